"""`advisor launch stay_on_prompts`: small-only / large-only / cascade measured on a loopback model pair,
escalation reasons asserted, cache hit rate from usage fields, offline share and when to look again."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.fakes.fewshot_model import SKILLS, difficulty
from tests.fakes.llm_server import FakeLLMServer
from tests.fewshot.helpers import LearningModel, write_config, write_data


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def server():
    with FakeLLMServer(responder=LearningModel()) as s:
        yield s


def launch(run_cli, files, config, *extra, answers=None):
    return run_cli("launch", "stay_on_prompts", "--answers", answers or files["answers"], "--test", files["test"],
                   "--config", config, "--state-dir", "state", "--yes", *extra)


def table(env: Path, name: str = "stay-on-prompts") -> dict[str, dict]:
    return {r["variant"]: r for r in json.loads((env / "state" / name / "results.json").read_text())["variants"]}


def expected_unsure(test: Path) -> float:
    """The share of inputs the small model gets wrong with low confidence (what the cascade must catch)."""
    base = SKILLS["m-small"][0]
    n = unsure = 0
    for line in test.read_text().splitlines():
        text = json.loads(line)["input"]
        d = difficulty(text)
        n += 1
        unsure += (d >= base) and d < base + 0.3
    return unsure / n


def test_cascade_escalates_what_the_small_model_is_unsure_of(run_cli, env, server):
    files = write_data(env)
    r = launch(run_cli, files, write_config(env, server))
    assert r.code == 0, r.err
    t = table(env)
    small, large, cascade = t["small-only"], t["large-only"], t["cascade"]
    assert cascade["escalated_share"] == pytest.approx(expected_unsure(files["test"]), abs=1e-3)
    assert cascade["escalated_because"] == {"unsure": round(cascade["escalated_share"] * 40)}
    assert small["quality"] < cascade["quality"] and cascade["quality"] >= large["quality"] - 2.5
    assert small["cost_per_1000_usd"] < cascade["cost_per_1000_usd"] < large["cost_per_1000_usd"]
    assert cascade["mean_latency_ms"] is not None
    # two calls per input, nothing more: the cascade reuses the large model's answers
    assert len(server.calls) == 80
    md = (env / "state" / "stay-on-prompts" / "report.md").read_text()
    assert "Serve with: cascade" in md
    assert "measured cache hit share" in md and t["small-only"]["cache_hit_share"] > 0.5


def test_schema_failures_escalate_without_structured_output(run_cli, env, server):
    files = write_data(env)
    assert launch(run_cli, files, write_config(env, server, structured=False)).code == 0
    cascade = table(env)["cascade"]
    broken = sum(difficulty(json.loads(x)["input"]) > 0.9 for x in files["test"].read_text().splitlines())
    assert broken and cascade["escalated_because"]["schema"] == broken


def test_judge_escalates_wrong_answers(run_cli, env, server):
    files = write_data(env, test_size=20)
    extra = ("escalate:\n  min_confidence: null\n  judge: {provider: local, id: m-judge, "
             "rubric: The label is right for the ticket.}\n")
    assert launch(run_cli, files, write_config(env, server, extra=extra)).code == 0
    t = table(env)
    wrong = 0
    for line in files["test"].read_text().splitlines():
        text = json.loads(line)["input"]
        wrong += difficulty(text) >= SKILLS["m-small"][0]
    assert t["cascade"]["escalated_because"] == {"judge": wrong}
    assert len([c for c in server.calls if c.model == "m-judge"]) == 20
    # every wrong small answer went to the large model, every right one stayed: never worse than large-only
    assert t["cascade"]["quality"] >= t["large-only"]["quality"] > t["small-only"]["quality"]


def test_when_to_look_again_and_offline_share(run_cli, env, server):
    files = write_data(env, test_size=10)
    answers = env / "answers2.yaml"
    answers.write_text("gap_is_factual_recall: false\nfew_shot_examples_tried: 30\nmonthly_requests: 200000\n"
                       "provisioned_throughput_hourly_usd: 20\nsetup_cost_usd: 1200\npayback_months: 6\n")
    config = write_config(env, server, extra="offline_share: 0.4\n")
    assert launch(run_cli, files, config, answers=answers).code == 0
    summary = json.loads((env / "state" / "stay-on-prompts" / "summary.json").read_text())
    serving = table(env)[summary["serving"]]
    fixed = 20 * 730 + 1200 / 6
    assert summary["look_again"] == math.ceil(fixed / (serving["cost_per_1000_usd"] / 1000))
    offline = summary["offline"][0]
    assert offline["offline_share"] == 0.4
    assert offline["cost_per_1000_usd"] == pytest.approx(table(env)["cascade"]["cost_per_1000_usd"] * (0.6 + 0.4 * 0.5),
                                                         rel=1e-4)
    md = (env / "state" / "stay-on-prompts" / "report.md").read_text()
    assert f"Ask the fine-tuning question again at about {summary['look_again']:,} requests a month" in md


def test_look_again_asks_for_the_missing_price(run_cli, env, server):
    files = write_data(env, test_size=5)
    assert launch(run_cli, files, write_config(env, server)).code == 0
    md = (env / "state" / "stay-on-prompts" / "report.md").read_text()
    assert "answer provisioned\\_throughput\\_hourly\\_usd" in md


def test_config_errors_name_the_line(run_cli, env, server):
    files = write_data(env, test_size=3)
    config = write_config(env, server)
    config.write_text(config.read_text().replace("small: {provider: local", "small: {provider: nowhere"))
    r = launch(run_cli, files, config)
    assert r.code == 2 and "config.yaml:" in r.err and "unknown provider 'nowhere'" in r.err
    assert server.calls == []


def test_kill_and_resume(env, server):
    import os
    import signal
    import subprocess
    import sys

    files = write_data(env, test_size=8)
    config = write_config(env, server, extra="concurrency: 1\n")
    repo = Path(__file__).resolve().parents[2]
    args = [sys.executable, "-m", "advisor", "launch", "stay_on_prompts", "--answers", files["answers"], "--test",
            files["test"], "--config", config, "--state-dir", "state", "--yes"]
    codes = []
    for point in ("during:calls", "after:cascade", None):
        env_ = {**os.environ, "PYTHONPATH": str(repo), **({"ADVISOR_LAUNCH_FAULT": point} if point else {})}
        codes.append(subprocess.run([str(a) for a in args], env=env_, capture_output=True, timeout=120,
                                    stdin=subprocess.DEVNULL).returncode)
    assert codes == [-signal.SIGKILL, -signal.SIGKILL, 0]
    keys = [(c.model, c.messages) for c in server.calls if c.model]
    assert len(set(keys)) == 16 and len(keys) - len(set(keys)) <= 1
    assert (env / "state" / "stay-on-prompts" / "report.md").exists()
