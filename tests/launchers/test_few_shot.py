"""`advisor launch few_shot` against a loopback model that learns from examples: the sweep's shape, the
cheapest variant meeting the bar, caching and structured outputs on the wire, kill -9 and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.llm_server import FakeLLMServer
from tests.fewshot.helpers import LearningModel, write_config, write_data

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def server():
    with FakeLLMServer(responder=LearningModel()) as s:
        yield s


def launch(run_cli, files, config, *extra):
    return run_cli("launch", "few_shot", "--answers", files["answers"], "--pool", files["pool"], "--test",
                   files["test"], "--config", config, "--state-dir", "state", *extra)


def results(folder: Path) -> dict[str, dict]:
    return {r["variant"]: r for r in json.loads((folder / "results.json").read_text())["variants"]}


def test_sweep_shape_winner_and_artefacts(run_cli, env, server):
    files = write_data(env)
    config = write_config(env, server)
    r = launch(run_cli, files, config, "--yes", "--bar", "accuracy=90", "--format", "json")
    assert r.code == 0, r.err
    folder = env / "state" / "few-shot"
    res = results(folder)
    assert len(server.calls) == 9 * 40
    select = [res[f"select-k{k}"]["quality"] for k in (5, 10, 20, 30)]
    assert select == sorted(select)  # more relevant examples never hurt this model
    assert res["k0"]["quality"] <= 75 and res["select-k30"]["quality"] >= 95
    assert res["select-k5"]["quality"] > res["static-k5"]["quality"]  # chosen examples beat a fixed block at small k
    # the static block is the cacheable one: most of its input tokens come from the cache, and it costs less
    assert res["static-k30"]["cache_hit_share"] > 0.8 > res["select-k30"]["cache_hit_share"]
    assert res["static-k30"]["cost_per_1000_usd"] < res["select-k30"]["cost_per_1000_usd"]
    summary = json.loads((folder / "summary.json").read_text())
    meeting = [v for v in res.values() if v["quality"] >= 90]
    assert summary["winner"] == min(meeting, key=lambda v: v["cost_per_1000_usd"])["variant"]
    assert summary["claim_from"] == res["k0"]["quality"] and summary["claim_k"] == 30
    md = (folder / "report.md").read_text()
    assert "Measured: accuracy" in md and "75% -&gt; 95% with 30" in md
    assert "<script" not in (folder / "report.html").read_text()
    prompt = (folder / "production" / "prompt.txt").read_text()
    assert "<examples>" in prompt if summary["winner"].startswith("static") else "selected_examples" in prompt
    assert "--bar accuracy=90" in summary["command"] and "--k 0,5,10,20,30" in summary["command"]


def test_costs_count_cached_tokens_at_the_cache_rate(run_cli, env, server):
    files = write_data(env, test_size=6)
    config = write_config(env, server)
    assert launch(run_cli, files, config, "--yes", "--k", "0,20").code == 0
    rows = [json.loads(line) for line in (env / "state" / "few-shot" / "calls.jsonl").read_text().splitlines()]
    static = [r for r in rows if r["variant"] == "static-k20"]
    hits = [r for r in static if r.get("cache_read_tokens")]
    assert hits, "the provider reported cached tokens"
    cost = results(env / "state" / "few-shot")["static-k20"]["cost_per_1000_usd"]
    full = 1000 * sum((r["input_tokens"] * 3.0 + r["output_tokens"] * 15.0) / 1e6 for r in static) / len(static)
    cached = 1000 * sum(((r["input_tokens"] - r.get("cache_read_tokens", 0)) * 3.0
                         + r.get("cache_read_tokens", 0) * 3.0 * 0.1 + r["output_tokens"] * 15.0) / 1e6
                        for r in static) / len(static)
    assert cost == pytest.approx(cached, rel=1e-4) and cost < full


def test_structured_output_or_prefill_on_the_wire(run_cli, env, server):
    files = write_data(env, test_size=4)
    launch(run_cli, files, write_config(env, server, structured=True), "--yes", "--k", "5", "--name", "schema")
    assert all("response_format" in c.body for c in server.calls)
    assert all(c.messages[-1][0] == "user" for c in server.calls)
    server.calls.clear()
    launch(run_cli, files, write_config(env, server, structured=False, name="c2.yaml"), "--yes", "--k", "5",
           "--name", "prefill")
    assert server.calls and all("response_format" not in c.body for c in server.calls)
    assert all(c.messages[-1] == ("assistant", "{") for c in server.calls)
    assert results(env / "state" / "prefill")["select-k5"]["quality"] > 0  # "{" + the reply parses


def test_bedrock_cache_point_and_output_config(run_cli, env, server, aws_env):
    files = write_data(env, test_size=4)
    config = write_config(env, server, kind="bedrock")
    r = launch(run_cli, files, config, "--yes", "--k", "20")
    assert r.code == 0, r.err
    static = [c for c in server.calls if "<examples>" in (c.system or "")]
    assert static and all(c.body["system"][-1] == {"cachePoint": {"type": "default"}} for c in static)
    assert all(c.body["outputConfig"]["textFormat"]["type"] == "json_schema" for c in server.calls)
    assert results(env / "state" / "few-shot")["static-k20"]["cache_hit_share"] > 0.5


def test_no_cache_point_where_the_model_does_not_cache(run_cli, env, server, aws_env):
    files = write_data(env, test_size=3)
    config = write_config(env, server, kind="bedrock", caching="false")
    assert launch(run_cli, files, config, "--yes", "--k", "20").code == 0
    assert server.calls and all("cachePoint" not in json.dumps(c.body) for c in server.calls)


def test_dry_run_and_billed_steps_need_yes(run_cli, env, server):
    files = write_data(env, test_size=3)
    config = write_config(env, server)
    r = launch(run_cli, files, config, "--dry-run", "--format", "json")
    assert r.code == 0, r.err
    plan = json.loads(r.out)
    assert plan["billed_steps"] == ["sweep"] and plan["steps"][1]["requests"][0]["operation"] == \
        "chat.completions.create"
    assert plan["cost_usd_known"] > 0  # an upper bound from the price file
    r = launch(run_cli, files, config)
    assert r.code == 2 and "--yes" in r.err
    assert server.calls == []


def test_bad_inputs_stop_before_any_call(run_cli, env, server):
    files = write_data(env, test_size=3)
    config = write_config(env, server)
    files["pool"].write_text(files["pool"].read_text() + "{oops\n")
    r = launch(run_cli, files, config, "--yes")
    assert r.code == 2 and "pool.jsonl:151" in r.err and "Traceback" not in r.err
    r = run_cli("launch", "few_shot", "--answers", files["answers"], "--pool", files["pool"], "--test", files["test"],
                "--config", config, "--k", "0,x")
    assert r.code == 2 and "--k" in r.err
    assert server.calls == []


def test_kill_and_resume_calls_nothing_twice(env, server):
    files = write_data(env, test_size=10)
    config = write_config(env, server, extra="concurrency: 1\n")
    args = [sys.executable, "-m", "advisor", "launch", "few_shot", "--answers", files["answers"], "--pool",
            files["pool"], "--test", files["test"], "--config", config, "--state-dir", "state", "--k", "0,5,10",
            "--yes"]
    base = {**os.environ, "PYTHONPATH": str(REPO)}
    codes, calls = [], []
    for point in ("during:calls", "after:sweep", None):
        env_ = {**base, **({"ADVISOR_LAUNCH_FAULT": point} if point else {})}
        proc = subprocess.run([str(a) for a in args], env=env_, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        codes.append(proc.returncode)
        calls.append(len([c for c in server.calls if c.model]))
    assert codes == [-signal.SIGKILL, -signal.SIGKILL, 0], codes
    assert 3 <= calls[0] < 50  # killed part-way through the sweep
    assert calls[2] == calls[1]  # the last run only wrote the report: every answer came from the ledger
    keys = [(c.model, c.system, c.messages) for c in server.calls if c.model]
    assert len(set(keys)) == 5 * 10
    # at most the one call in flight when the process was killed is asked again (concurrency 1)
    assert len(keys) - len(set(keys)) <= 1
    state = json.loads((env / "state" / "few-shot" / "state.json").read_text())
    assert {s["status"] for s in state["steps"].values()} == {"done"}
    rows = [json.loads(x) for x in (env / "state" / "few-shot" / "calls.jsonl").read_text().splitlines()]
    assert len({r["key"] for r in rows if r["status"] == "ok"}) == 50
    assert (env / "state" / "few-shot" / "report.html").exists()


def test_without_prices_or_examples(run_cli, env, server):
    files = write_data(env, test_size=4)
    config = write_config(env, server)
    config.write_text(config.read_text().replace("prices: prices.yaml\n", ""))
    r = launch(run_cli, files, config, "--yes", "--k", "0", "--bar", "accuracy=10")
    assert r.code == 0, r.err
    folder = env / "state" / "few-shot"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["winner"] == "k0" and "no prices to compare" in summary["winner_reason"]
    assert summary["claim"].startswith("Not measured")
    assert results(folder)["k0"]["cost_per_1000_usd"] is None
    assert "No sourced price for this model" in (folder / "report.md").read_text()
    r = launch(run_cli, files, config, "--yes", "--k", "0", "--bar", "f1=10", "--name", "other")
    assert r.code == 2 and "config's metric is 'accuracy'" in r.err


@pytest.mark.parametrize("model, caches", [("us.amazon.nova-micro-v1:0", True),
                                           ("anthropic.claude-3-haiku-20240307-v1:0", False),
                                           ("some-unlisted-model", False)])
def test_cache_point_follows_the_catalogue(run_cli, env, server, model, caches):
    files = write_data(env, test_size=2)
    config = write_config(env, server, kind="bedrock", caching="auto")
    config.write_text(config.read_text().replace("model: {provider: local, id: m-large",
                                                 f"model: {{provider: local, id: {model}"))
    r = launch(run_cli, files, config, "--dry-run", "--format", "json", "--k", "30")
    assert r.code == 0, r.err
    plan = json.loads(r.out)
    assert plan["context"]["caching"] is caches
    request = plan["steps"][1]["requests"][0]["params"]
    assert (request["system"][-1] == {"cachePoint": {"type": "default"}}) is caches
    if model == "some-unlisted-model":
        assert "does not list this model" in plan["context"]["caching_why"]


@pytest.mark.parametrize("model, k, cache_point, why", [
    # Haiku 4.5 caches, but the price table's minimum is 4,096 tokens: a 5-example block is too short.
    ("global.anthropic.claude-haiku-4-5-20251001-v1:0", 5, False, "minimum cacheable prefix 4,096 tokens (price table"),
    # Nova Micro caches (catalogue) and no source gives a minimum: the cache point is placed and measured.
    ("us.amazon.nova-micro-v1:0", 5, True, "minimum cacheable prefix not documented"),
])
def test_cache_point_uses_the_sourced_minimum(run_cli, env, server, model, k, cache_point, why):
    files = write_data(env, test_size=2)
    config = write_config(env, server, kind="bedrock", caching="auto")
    text = config.read_text().replace(", min_cache_tokens: 50", "")
    config.write_text(text.replace("model: {provider: local, id: m-large", f"model: {{provider: local, id: {model}"))
    r = launch(run_cli, files, config, "--dry-run", "--format", "json", "--k", str(k))
    assert r.code == 0, r.err
    plan = json.loads(r.out)
    assert plan["context"]["caching"] is True and why in plan["context"]["caching_why"]
    system = plan["steps"][1]["requests"][0]["params"]["system"]
    assert (system[-1] == {"cachePoint": {"type": "default"}}) is cache_point
    # the same model with the config's own minimum: the config wins
    config.write_text(config.read_text().replace(f"id: {model}", f"id: {model}, min_cache_tokens: 10"))
    plan = json.loads(launch(run_cli, files, config, "--dry-run", "--format", "json", "--k", str(k)).out)
    assert plan["steps"][1]["requests"][0]["params"]["system"][-1] == {"cachePoint": {"type": "default"}}
    assert "10 tokens (config)" in plan["context"]["caching_why"]
