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
    per_request = serving["cost_per_1000_usd"] / 1000
    # The catalogue's target for these answers is Nova Micro, served on demand (per token, at its sourced
    # price) or on Provisioned Throughput; the economics prices both at the tokens measured on the test set.
    assert summary["target"] == "nova-micro"
    tokens = summary["economics_inputs"]
    assert tokens["input_tokens_per_request"] == round(serving["mean_input_tokens"]) > 0
    assert tokens["output_tokens_per_request"] == round(serving["mean_output_tokens"]) > 0
    options = {o["option"]: o["monthly_requests"] for o in summary["look_again_options"]}
    # Provisioned Throughput: no peak traffic answered, so at least one model unit, billed every hour.
    assert options["custom_provisioned"] == math.ceil((20 * 730 + 1200 / 6) / per_request)
    # On demand: the one-off cost spread over the payback, against what each request saves.
    nova = (tokens["input_tokens_per_request"] * 0.035 + tokens["output_tokens_per_request"] * 0.14) / 1e6
    assert options["custom_on_demand"] == math.ceil((1200 / 6) / (per_request - nova))
    # The earliest volume at which fine-tuning could pay off is when to look again.
    assert summary["look_again"] == options["custom_on_demand"] < options["custom_provisioned"]
    offline = summary["offline"][0]
    assert offline["offline_share"] == 0.4
    assert offline["cost_per_1000_usd"] == pytest.approx(table(env)["cascade"]["cost_per_1000_usd"] * (0.6 + 0.4 * 0.5),
                                                         rel=1e-4)
    md = (env / "state" / "stay-on-prompts" / "report.md").read_text()
    assert f"Ask the fine-tuning question again at about {summary['look_again']:,} requests a month" in md


def test_look_again_counts_model_units_and_respects_the_answers(run_cli, env, server):
    files = write_data(env, test_size=5)
    answers = env / "answers3.yaml"
    answers.write_text("gap_is_factual_recall: false\nfew_shot_examples_tried: 30\nmonthly_requests: 200000\n"
                       "provisioned_throughput_hourly_usd: 20\npeak_requests_per_minute: 100\n"
                       "model_unit_tokens_per_minute: 1000\nfine_tuning_training_cost_usd: 300\n"
                       "open_weights_viable: false\n")
    assert launch(run_cli, files, write_config(env, server), answers=answers).code == 0
    summary = json.loads((env / "state" / "stay-on-prompts" / "summary.json").read_text())
    per_request = table(env)[summary["serving"]]["cost_per_1000_usd"] / 1000
    tokens = summary["economics_inputs"]
    units = math.ceil(100 * (tokens["input_tokens_per_request"] + tokens["output_tokens_per_request"]) / 1000)
    assert units > 1 and summary["payback_assumed"] and summary["payback_months"] == 12
    options = {o["option"]: o for o in summary["look_again_options"]}
    assert "distilled_self_hosted" not in options  # open weights ruled out
    assert options["custom_provisioned"]["monthly_requests"] == math.ceil((units * 20 * 730 + 300 / 12) / per_request)
    md = (env / "state" / "stay-on-prompts" / "report.md").read_text()
    assert "payback over 12 months, assumed" in md
    # a team that must stay on Claude has no custom option to compare
    answers.write_text(answers.read_text() + "must_stay_on_claude: true\n")
    assert launch(run_cli, files, write_config(env, server), "--name", "claude", answers=answers).code == 0
    summary = json.loads((env / "state" / "claude" / "summary.json").read_text())
    assert summary["look_again"] is None and "rule out every custom option" in summary["look_again_text"]


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
