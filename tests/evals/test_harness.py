"""``eval run``: retries with back-off, cache, resume modes, concurrency limits, thresholds and outputs."""

from __future__ import annotations

import json
import random

import pytest
import yaml

from advisor.cli import main
from advisor.evals.config import RetryConfig
from advisor.evals.harness import RunOptions, backoff_delay, run_eval
from advisor.evals.report import build_report


def write_config(tmp_path, server, *, n=6, variants=None, provider="bedrock", extra=None):
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"id": f"q{i}", "question": f"what is {i}?", "answer": str(i)}) + "\n"
                            for i in range(n)))
    providers = {"bedrock": {"type": "bedrock", "region": "us-west-2", "endpoint_url": server.base_url,
                             "concurrency": 4},
                 "local": {"type": "openai", "base_url": server.openai_base_url, "concurrency": 4,
                           "api_key_env": "ADVISOR_TEST_NO_KEY"}}
    cfg = {"name": "t", "metric": "exact", "dataset": {"path": "data.jsonl"}, "providers": providers,
           "prompt": "Q: {{ question }}", "retry": {"max_attempts": 4, "base_delay": 0.0, "max_delay": 0.0},
           "variants": variants or [{"name": "v1", "provider": provider, "model": "m1"}],
           "cache_dir": "cache", "output_dir": "out"}
    cfg.update(extra or {})
    path = tmp_path / "eval.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def answer_number(call):
    return call.prompt.split("what is ")[1].rstrip("?")


@pytest.fixture
def server(fake_server, aws_env):
    fake_server.responder = answer_number
    return fake_server


def test_backoff_grows_is_capped_has_jitter_and_honours_retry_after():
    retry = RetryConfig(max_attempts=10, base_delay=1.0, max_delay=8.0)
    rng = random.Random(1)
    for attempt, (lo, hi) in {1: (0.5, 1.0), 2: (1.0, 2.0), 3: (2.0, 4.0), 6: (4.0, 8.0)}.items():
        delays = {backoff_delay(attempt, retry, None, rng) for _ in range(20)}
        assert all(lo <= d <= hi for d in delays) and len(delays) > 1
    assert backoff_delay(1, retry, 30.0, rng) == 30.0


def test_throttled_calls_are_retried_after_retry_after(tmp_path, server):
    server.inject(429, count=2, retry_after=0.2)
    waits = []
    options = RunOptions(progress=False, wait=lambda stop, seconds: waits.append(seconds) or False)
    result = run_eval(write_config(tmp_path, server, n=1), options)
    row = result.rows[("v1", "q0")]
    assert (row["status"], row["attempts"], server.hits) == ("ok", 3, 3)
    assert waits and all(w >= 0.2 for w in waits)


@pytest.mark.parametrize("provider", ["bedrock", "local"])
def test_5xx_then_success_for_both_providers(tmp_path, server, provider):
    server.inject(503, count=1)
    result = run_eval(write_config(tmp_path, server, n=3, provider=provider), RunOptions(progress=False))
    report = build_report(result)
    assert report.variants[0].metrics == {"exact_match": 100.0}
    assert result.stats.retries == 1


def test_errors_are_recorded_not_cached_and_retry_errors_reruns_only_them(tmp_path, server):
    config = write_config(tmp_path, server, n=4, extra={"retry": {"max_attempts": 1}})
    server.inject(500, count=1)
    first = run_eval(config, RunOptions(progress=False))
    errors = [k for k, r in first.rows.items() if r["status"] == "error"]
    assert len(errors) == 1 and server.hits == 4
    # plain resume keeps the error and calls nothing
    again = run_eval(config, RunOptions(progress=False))
    assert again.stats.called == 0 and server.hits == 4
    # --retry-errors calls the model once more, for the failed row only
    retried = run_eval(config, RunOptions(progress=False, retry_errors=True))
    assert server.hits == 5 and retried.stats.called == 1
    assert all(r["status"] == "ok" for r in retried.rows.values())
    lines = (tmp_path / "out" / "results.jsonl").read_text().splitlines()
    assert len(lines) == 5  # four rows plus one superseding row; reports use the latest per key
    assert len(build_report(retried).rows) == 4


def test_cache_answers_a_fresh_run_without_calls(tmp_path, server):
    config = write_config(tmp_path, server, n=5)
    run_eval(config, RunOptions(progress=False))
    assert server.hits == 5
    fresh = run_eval(config, RunOptions(progress=False, output_dir=tmp_path / "other"))
    assert server.hits == 5 and fresh.stats.cached == 5
    assert all(r["cached"] for r in fresh.rows.values())


def test_changed_prompt_is_not_served_from_cache_or_ledger(tmp_path, server):
    config = write_config(tmp_path, server, n=3)
    run_eval(config, RunOptions(progress=False))
    doc = yaml.safe_load(config.read_text())
    doc["prompt"] = "Question: {{ question }}"
    config.write_text(yaml.safe_dump(doc))
    run_eval(config, RunOptions(progress=False))
    assert server.hits == 6


def test_rerun_all_calls_everything_again(tmp_path, server):
    config = write_config(tmp_path, server, n=3)
    run_eval(config, RunOptions(progress=False))
    result = run_eval(config, RunOptions(progress=False, rerun_all=True))
    assert server.hits == 6 and result.stats.called == 3
    assert len((tmp_path / "out" / "results.jsonl").read_text().splitlines()) == 3


def test_concurrency_limit_is_respected(tmp_path, server):
    server.latency = 0.1
    variants = [{"name": "v1", "provider": "bedrock", "model": "m1"}]
    config = write_config(tmp_path, server, n=9, variants=variants)
    doc = yaml.safe_load(config.read_text())
    doc["providers"]["bedrock"]["concurrency"] = 3
    config.write_text(yaml.safe_dump(doc))
    run_eval(config, RunOptions(progress=False))
    assert server.max_in_flight == 3


def test_variants_side_by_side_with_few_shot_and_context(tmp_path, server):
    (tmp_path / "shots.jsonl").write_text(json.dumps({"user": "what is 9?", "assistant": "9"}) + "\n")
    (tmp_path / "ctx.jsonl").write_text("".join(json.dumps({"id": f"q{i}", "context": f"doc {i}"}) + "\n"
                                                for i in range(3)))
    variants = [{"name": "base", "provider": "bedrock", "model": "m1"},
                {"name": "shots", "provider": "bedrock", "model": "m1", "few_shot": {"path": "shots.jsonl"}},
                {"name": "rag", "provider": "local", "model": "small", "context_file": "ctx.jsonl",
                 "prompt": "{{ context }}\nQ: {{ question }}", "postprocess": "regex:(\\d+)"}]
    run_eval(write_config(tmp_path, server, n=3, variants=variants), RunOptions(progress=False))
    shots = [c for c in server.calls if len(c.messages) == 3]
    assert len(shots) == 3 and shots[0].messages[:2] == (("user", "what is 9?"), ("assistant", "9"))
    rag = server.calls_for(model="small")
    assert len(rag) == 3 and all(c.prompt.startswith("doc ") for c in rag)


def test_cli_writes_outputs_and_fails_a_missed_threshold(tmp_path, server, capsys):
    variants = [{"name": "good", "provider": "bedrock", "model": "m1", "thresholds": {"exact_match": 90}},
                {"name": "bad", "provider": "bedrock", "model": "m2", "thresholds": {"exact_match": 90}}]
    server.responder = lambda call: answer_number(call) if call.model == "m1" else "no idea"
    config = write_config(tmp_path, server, n=4, variants=variants)
    code = main(["eval", "run", "--config", str(config), "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "bad: exact_match 0.00 is below the threshold 90" in err and "good:" not in err
    assert "good" in out and "100.00" in out
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<svg" in html and "no idea" in html and "<script" not in html
    csv_lines = (tmp_path / "out" / "results.csv").read_text().splitlines()
    assert len(csv_lines) == 1 + 8
    summary = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [v["metrics"]["exact_match"] for v in summary["variants"]] == [100.0, 0.0]


def test_cli_passing_run_exits_0_and_reports_cost_for_priced_models(tmp_path, server, capsys):
    server.responder = lambda call: __import__("tests.fakes", fromlist=["FakeReply"]).FakeReply(
        answer_number(call), input_tokens=1000, output_tokens=100)
    variants = [{"name": "haiku", "provider": "bedrock", "model": "anthropic.claude-3-haiku-20240307-v1:0"}]
    config = write_config(tmp_path, server, n=2, variants=variants)
    assert main(["eval", "run", "--config", str(config), "--no-progress", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # 2 × (1000 in × $0.25/M + 100 out × $1.25/M), rules/prices.yaml
    assert doc["variants"][0]["cost_usd"] == pytest.approx(2 * (1000 * 0.25 + 100 * 1.25) / 1e6)
    assert doc["variants"][0]["output_token_stats"]["mean"] == 100


def test_config_errors_name_file_and_line(tmp_path, server, capsys):
    config = write_config(tmp_path, server, variants=[{"name": "v1", "provider": "nowhere", "model": "m"}])
    assert main(["eval", "run", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert str(config) in err and "unknown provider 'nowhere'" in err and "Traceback" not in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    assert main(["eval", "run", "--config", str(bad)]) == 2
    assert f"{bad}:" in capsys.readouterr().err


def test_unknown_template_field_is_a_usage_error(tmp_path, server, capsys):
    config = write_config(tmp_path, server, extra={"prompt": "{{ nope }}"})
    assert main(["eval", "run", "--config", str(config)]) == 2
    assert "'nope' is undefined" in capsys.readouterr().err
    assert server.hits == 0


def test_missing_credentials_stop_the_run_with_a_message(tmp_path, server, monkeypatch, capsys):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    config = write_config(tmp_path, server, n=20)
    assert main(["eval", "run", "--config", str(config), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "credentials" in err.lower() and "Traceback" not in err
    assert server.hits == 0


def test_progress_bar_on_request(tmp_path, server, capsys):
    config = write_config(tmp_path, server, n=3)
    assert main(["eval", "run", "--config", str(config), "--progress"]) == 0
    err = capsys.readouterr().err
    assert "3/3" in err and "errors 0" in err


def test_ledger_ignores_and_repairs_a_torn_last_line(tmp_path, server):
    from advisor.batch import read_ledger

    config = write_config(tmp_path, server, n=2)
    run_eval(config, RunOptions(progress=False))
    path = tmp_path / "out" / "results.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + lines[1][:20])  # the second row torn by a kill
    assert len(read_ledger(path)) == 1
    again = run_eval(config, RunOptions(progress=False))
    assert again.stats.skipped == 1 and again.stats.cached == 1 and server.hits == 2
    assert len(path.read_text().splitlines()) == 2 and len(read_ledger(path)) == 2


def test_cli_exits_5_when_calls_failed_and_names_the_fix(tmp_path, server, capsys):
    config = write_config(tmp_path, server, n=3, extra={"retry": {"max_attempts": 2, "base_delay": 0}})
    doc = yaml.safe_load(config.read_text())
    doc["providers"]["bedrock"]["concurrency"] = 1  # so both failures hit the same row
    config.write_text(yaml.safe_dump(doc))
    server.inject(500, count=2)  # the first row fails twice: out of attempts
    assert main(["eval", "run", "--config", str(config), "--no-progress"]) == 5  # calls failed, not a miss
    captured = capsys.readouterr()
    assert "1 calls have no answer; re-run with --retry-errors" in captured.err
    assert "InternalServerException" in captured.err  # the cause is shown
    assert "66.67" in captured.out  # the failed row scores 0
    rows = (tmp_path / "out" / "results.csv").read_text()
    assert rows.count(",error,") == 1
    assert main(["eval", "run", "--config", str(config), "--no-progress", "--retry-errors"]) == 0


def test_cache_key_depends_on_endpoint_request_and_epoch():
    from advisor.evals.cache import cache_key

    request = {"model": "m", "messages": [["user", "hi"]], "temperature": 0.0}
    base = cache_key({"kind": "bedrock", "endpoint_url": "https://bedrock-runtime.us-west-2.amazonaws.com"}, request)
    assert base == cache_key({"endpoint_url": "https://bedrock-runtime.us-west-2.amazonaws.com",
                              "kind": "bedrock"}, dict(reversed(request.items())))  # canonical JSON
    assert base != cache_key({"kind": "bedrock", "endpoint_url": "http://127.0.0.1:9"}, request)
    assert base != cache_key({"kind": "bedrock", "endpoint_url": "https://bedrock-runtime.us-west-2.amazonaws.com"},
                             {**request, "temperature": 0.5})
    assert base != cache_key({"kind": "bedrock", "endpoint_url": "https://bedrock-runtime.us-west-2.amazonaws.com"},
                             request, epoch=1)
