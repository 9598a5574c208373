"""``eval run`` grown up: judge, intervals and paired comparisons, repeats, subsets, cost cap, cache
commands, progress without a terminal, the folder lock, the HTML report's thresholds and run details."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import yaml

from advisor.cli import main
from advisor.evals.harness import RunOptions, run_eval
from advisor.evals.report import build_report
from tests.fakes import FakeReply

from .conftest import REPO
from .test_harness import answer_number, write_config


@pytest.fixture
def server(fake_server, aws_env):
    fake_server.responder = answer_number
    return fake_server


JUDGE = {"provider": "local", "model": "judge-m", "rubric": "The answer states the number asked for."}


def judge_responder(call):
    if call.model != "judge-m":
        if call.prompt.endswith("what is 2?"):
            return "two"  # a wrong answer the judge will fail
        return answer_number(call)
    answer = call.prompt.split("<answer>\n", 1)[1].split("\n</answer>", 1)[0]
    if answer == "3":
        return "I think it is fine"  # no verdict: an invalid judge reply
    if answer.isdigit():
        return "<reason>States the number.</reason><judgement>PASS</judgement>"
    return "<reason>Spells it out instead of a number.</reason><judgement>FAIL</judgement>"


def test_judge_grades_answers_caches_its_replies_and_records_invalid_ones(tmp_path, server, capsys):
    server.responder = judge_responder
    config = write_config(tmp_path, server, n=5, extra={"judge": JUDGE})
    assert main(["eval", "run", "--config", str(config), "--no-progress", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    variant = doc["variants"][0]
    assert variant["metrics"]["judge"] == 60.0  # q0, q1, q4 pass; q2 fails; q3's verdict is unreadable
    assert variant["judge_invalid"] == 1
    rows = {r["id"]: r for r in json.loads((tmp_path / "out" / "results.json").read_text())["rows"]}
    assert rows["q2"]["judge_verdict"] == "fail" and rows["q2"]["judge_reason"] == "Spells it out instead of a number."
    assert rows["q3"]["judge_verdict"] == "invalid" and "no <judgement>" in rows["q3"]["judge_reason"]
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Spells it out instead of a number." in html and "The answer states the number asked for." in html
    hits = server.hits
    assert main(["eval", "run", "--config", str(config), "--no-progress", "--output", str(tmp_path / "o2")]) == 0
    assert server.hits == hits  # answers and verdicts both come from the cache


def test_intervals_are_deterministic_and_comparisons_say_what_is_noise(tmp_path, server):
    n = 48
    server.responder = lambda call: (answer_number(call) if call.model in ("good", "almost")
                                     and not (call.model == "almost" and answer_number(call) in ("5", "9"))
                                     else "x")
    variants = [{"name": "bad", "provider": "bedrock", "model": "bad"},
                {"name": "good", "provider": "bedrock", "model": "good"},
                {"name": "almost", "provider": "bedrock", "model": "almost"}]
    config = write_config(tmp_path, server, n=n, variants=variants)
    report = build_report(run_eval(config, RunOptions(progress=False)))
    again = build_report(run_eval(config, RunOptions(progress=False)))
    assert [v.intervals for v in report.variants] == [v.intervals for v in again.variants]
    by_pair = {(c["a"], c["b"]): c for c in report.comparisons}
    assert by_pair[("bad", "good")]["significant"] and by_pair[("bad", "good")]["difference"] == 100.0
    close = by_pair[("good", "almost")]  # 2 of 48 differ: about 4 points, inside the noise
    assert close["difference"] == pytest.approx(-4.17) and not close["significant"]
    almost = report.variants[2].intervals["exact_match"]
    assert almost["ci_low"] < 95.83 < almost["ci_high"] <= 100
    results = json.loads((tmp_path / "out" / "results.jsonl").read_text().splitlines()[0])
    assert results["status"] == "ok"


def test_terminal_and_json_outputs_carry_intervals_and_comparisons(tmp_path, server, capsys):
    variants = [{"name": "a", "provider": "bedrock", "model": "m1"}, {"name": "b", "provider": "bedrock", "model": "m2"}]
    config = write_config(tmp_path, server, n=6, variants=variants)
    assert main(["eval", "run", "--config", str(config), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "95% CI" in out and "b vs a: exact_match +0.00 points" in out and "not significant" in out
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert doc["schema_version"] == 2 and doc["primary_metric"] == "exact_match"
    assert doc["comparisons"] == [{"a": "a", "b": "b", "metric": "exact_match", "difference": 0.0, "ci_low": 0.0,
                                   "ci_high": 0.0, "confidence": 0.95, "n": 6, "significant": False}]
    assert doc["run"]["prompts"]["a"]["prompt"] == "Q: {{ question }}" and doc["run"]["started_at"]


def test_repeat_runs_fresh_samples_and_reports_the_spread(tmp_path, server, capsys):
    counter = {"n": 0}

    def flaky(call):
        counter["n"] += 1
        return answer_number(call) if counter["n"] % 3 else "x"

    server.responder = flaky
    config = write_config(tmp_path, server, n=4, extra={"temperature": 0.7})
    assert main(["eval", "run", "--config", str(config), "--no-progress", "--repeat", "3",
                 "--format", "json"]) in (0, 1)
    doc = json.loads(capsys.readouterr().out)
    assert server.hits == 12
    spread = doc["variants"][0]["spread"]["exact_match"]
    assert spread["runs"] == 3 and spread["min"] <= spread["mean"] <= spread["max"]
    assert doc["variants"][0]["examples"] == 12
    assert main(["eval", "run", "--config", str(config), "--no-progress", "--repeat", "3"]) in (0, 1)
    assert server.hits == 12  # resumed: every repeat is in the ledger


def test_limit_and_seeded_sample_choose_subsets(tmp_path, server):
    config = write_config(tmp_path, server, n=20)
    first = run_eval(config, RunOptions(progress=False, limit=3, output_dir=tmp_path / "a"))
    assert [e.id for e in first.plan.examples] == ["q0", "q1", "q2"]
    s1 = run_eval(config, RunOptions(progress=False, sample=5, sample_seed=1, output_dir=tmp_path / "b"))
    s1b = run_eval(config, RunOptions(progress=False, sample=5, sample_seed=1, output_dir=tmp_path / "c"))
    s2 = run_eval(config, RunOptions(progress=False, sample=5, sample_seed=2, output_dir=tmp_path / "d"))
    ids = [e.id for e in s1.plan.examples]
    assert len(ids) == 5 and ids == [e.id for e in s1b.plan.examples] != [e.id for e in s2.plan.examples]
    assert build_report(s1).run["settings"]["subset"] == "random 5 of 20 (seed 1)"


def test_max_cost_stops_before_exceeding_keeps_what_is_done_and_exits_5(tmp_path, server, capsys):
    server.responder = lambda call: FakeReply(answer_number(call), input_tokens=1000, output_tokens=100)
    variants = [{"name": "haiku", "provider": "bedrock", "model": "anthropic.claude-3-haiku-20240307-v1:0",
                 "max_tokens": 100}]
    config = write_config(tmp_path, server, n=10, variants=variants)
    doc = yaml.safe_load(config.read_text())
    doc["providers"]["bedrock"]["concurrency"] = 1
    config.write_text(yaml.safe_dump(doc))
    # the upper bound per call is (prompt chars/3 + overhead) × $0.25/M + 100 × $1.25/M ≈ $0.000135;
    # each call really costs 1000 × 0.25/M + 100 × 1.25/M = $0.000375: the cap allows a few calls only
    code = main(["eval", "run", "--config", str(config), "--no-progress", "--max-cost", "0.001"])
    captured = capsys.readouterr()
    assert code == 5
    assert "estimate: 10 calls to run (0 already done): 0 answered by the cache, 10 to make" in captured.err and "stopped at --max-cost $0.001" in captured.err
    done = len((tmp_path / "out" / "results.jsonl").read_text().splitlines())
    assert 1 <= done < 10 and server.hits == done
    assert done * 0.000375 <= 0.001 + 0.000375  # never more than one call's overshoot of the real cost
    assert main(["eval", "run", "--config", str(config), "--no-progress"]) == 0
    assert server.hits == 10  # the rest, without repeating what was done


def test_dry_run_estimates_and_calls_nothing(tmp_path, server, capsys):
    variants = [{"name": "haiku", "provider": "bedrock", "model": "anthropic.claude-3-haiku-20240307-v1:0"}]
    config = write_config(tmp_path, server, n=4, variants=variants)
    assert main(["eval", "run", "--config", str(config), "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert "estimate: 4 calls to run" in captured.err and "at most $0.00" in captured.err
    assert server.hits == 0


def test_cache_info_prune_and_clear(tmp_path, server, capsys):
    config = write_config(tmp_path, server, n=3)
    run_eval(config, RunOptions(progress=False))
    cache = str(tmp_path / "cache")
    assert main(["eval", "cache", "info", "--cache-dir", cache, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["entries"] == 3
    assert main(["eval", "cache", "prune", "--cache-dir", cache, "--older-than", "1h"]) == 0
    assert "removed 0 cached responses" in capsys.readouterr().out
    assert main(["eval", "cache", "prune", "--cache-dir", cache, "--older-than", "0s"]) == 0
    assert "removed 3 cached responses" in capsys.readouterr().out
    run_eval(config, RunOptions(progress=False, output_dir=tmp_path / "o2"))
    assert main(["eval", "cache", "clear", "--cache-dir", cache]) == 0
    assert "removed 3" in capsys.readouterr().out
    assert main(["eval", "cache", "info", "--cache-dir", cache]) == 0
    assert ": 0 responses" in capsys.readouterr().out
    assert main(["eval", "cache", "prune", "--cache-dir", cache, "--older-than", "soon"]) == 2


def _env(server):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-west-2",
               AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    env.pop("AWS_PROFILE", None)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_progress_lines_when_stderr_is_not_a_terminal(tmp_path, server):
    config = write_config(tmp_path, server, n=8)
    result = subprocess.run([sys.executable, "-m", "advisor", "eval", "run", "--config", str(config)],
                            env=_env(server), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("advisor: calls ")]
    assert lines and lines[-1].startswith("advisor: calls 8/8 (100%)") and "\r" not in result.stderr


def test_two_runs_into_one_folder_do_not_both_call_every_model(tmp_path, server):
    import threading

    release = threading.Event()

    def held(call):  # the first run's calls wait until the test lets them go
        release.wait(30)
        return answer_number(call)

    server.responder = held
    config = write_config(tmp_path, server, n=12)
    cmd = [sys.executable, "-m", "advisor", "eval", "run", "--config", str(config), "--no-progress"]
    first = subprocess.Popen(cmd, env=_env(server), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while server.in_flight == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        refused = subprocess.run(cmd, env=_env(server), capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2
        assert "another run (pid" in refused.stderr and "--wait" in refused.stderr
        assert "Traceback" not in refused.stderr
        log = tmp_path / "waiting.log"
        with open(log, "w") as fh:
            waiting = subprocess.Popen(cmd + ["--wait"], env=_env(server), stdout=subprocess.DEVNULL, stderr=fh)
        deadline = time.monotonic() + 30
        while "waiting for another run" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "waiting for another run" in log.read_text()
    finally:
        release.set()
    assert first.wait(timeout=60) == 0
    assert waiting.wait(timeout=60) == 0, log.read_text()
    assert server.hits == 12  # the waiting run found every row done: 12 calls, not 24


def test_report_html_shows_missed_thresholds_and_the_run_details(tmp_path, server, capsys):
    variants = [{"name": "good", "provider": "bedrock", "model": "m1", "thresholds": {"exact_match": 90}},
                {"name": "bad", "provider": "bedrock", "model": "m2", "thresholds": {"exact_match": 50}}]
    server.responder = lambda call: answer_number(call) if call.model == "m1" else "no idea"
    config = write_config(tmp_path, server, n=4, variants=variants, extra={"system": "Reply with <b>a number</b>."})
    assert main(["eval", "run", "--config", str(config), "--no-progress"]) == 1
    capsys.readouterr()
    page = (tmp_path / "out" / "report.html").read_text()
    assert "1 threshold(s) missed" in page and "bad: exact_match 0.00 is below the threshold 50" in page
    assert '<tr class="missed"><td>bad</td>' in page and '<tr class="met"><td>good</td>' in page
    assert "Run details" in page and "<th>date (UTC)</th><td>20" in page
    assert "Reply with &lt;b&gt;a number&lt;/b&gt;." in page and "Q: {{ question }}" in page
    assert "bootstrap_samples" in page and "<script" not in page


def test_chromium_renders_the_report(tmp_path, server):
    import shutil

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium not installed")
    config = write_config(tmp_path, server, n=3, extra={"judge": JUDGE})
    server.responder = judge_responder
    assert main(["eval", "run", "--config", str(config), "--no-progress"]) == 0
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=1200,1600", (tmp_path / "out" / "report.html").as_uri()],
                   capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000


def test_eval_score_gives_every_metric_an_interval(tmp_path, capsys):
    from .test_score_cli import slice_predictions
    from .conftest import EXAMPLE_SLICE

    pred = slice_predictions(tmp_path, wrong_every=4)
    assert main(["eval", "score", "--metric", "tatqa", "--gold", str(EXAMPLE_SLICE), "--predictions", str(pred),
                 "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    f1 = doc["intervals"]["f1"]
    assert f1["value"] == 75.0 and 55 < f1["ci_low"] < 75 < f1["ci_high"] < 90 and f1["n"] == 48
    assert main(["eval", "score", "--metric", "tatqa", "--gold", str(EXAMPLE_SLICE), "--predictions", str(pred)]) == 0
    assert "F1:  75.00  (95% interval" in capsys.readouterr().out


def test_tatqa_metric_on_a_jsonl_test_set_is_refused_before_any_call(tmp_path, server, capsys):
    config = write_config(tmp_path, server, extra={"metric": "tatqa"})
    assert main(["eval", "run", "--config", str(config), "--no-progress"]) == 2
    assert "metric tatqa needs a TAT-QA test set" in capsys.readouterr().err and server.hits == 0
