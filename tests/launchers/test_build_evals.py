"""``advisor launch build_evals``: real cases -> stratified seeded split -> a config `eval run` accepts ->
annotation sheet -> agreement -> a report that says what to run next; then the loop closes through
``eval run`` against a loopback model and ``recommend --evidence``."""

from __future__ import annotations

import csv
import json
import random

import pytest
import yaml

from advisor.launchers.build_evals import agreement, kappa_reading, sample_and_split
from tests.fakes import FakeLLMServer

LABELS = ["billing"] * 6 + ["technical"] * 3 + ["other"]


def write_tickets(path, n=300, seed=1):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = rng.choice(LABELS)
        rows.append({"input": f"ticket {i}: please help with my {label} issue", "output": label, "label": label})
    rows[0]["input"] = "=HYPERLINK(\"http://evil\",\"click\")"  # a formula an expert's spreadsheet must not run
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def wd(tmp_path):
    (tmp_path / "answers.yaml").write_text(yaml.safe_dump({"answers": {
        "project_name": "Tickets", "gap_is_factual_recall": False, "few_shot_examples_tried": 30,
        "gap_measured_with_evals": "unsure", "volume_justifies_setup": False}}))
    write_tickets(tmp_path / "tickets.jsonl")
    return tmp_path


def launch(cli, wd, *extra, path="build_evals", data="tickets.jsonl"):
    args = ["launch"] + ([path] if path else []) + ["--answers", wd / "answers.yaml", "--data", wd / data,
                                                    "--out", wd / "out", "--state-dir", wd / "state", *extra]
    return cli(*args)


def read_jsonl(path):
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def test_dry_run_shows_the_task_scorer_and_strata_and_writes_nothing(cli, wd):
    rc, out, err = launch(cli, wd, "--dry-run")
    assert rc == 0, err
    assert "stratified by label: billing" in out and "task classification" in out and "accuracy" in out
    assert "placeholders to fill: baseline model" in out and "BILLED" not in out
    assert not (wd / "out").exists()


def test_build_writes_a_stratified_split_a_valid_config_and_a_safe_sheet(cli, wd):
    rc, out, err = launch(cli, wd, "--cases", "60", "--seed", "7")
    assert rc == 0, err
    dev, test = read_jsonl(wd / "out" / "dev.jsonl"), read_jsonl(wd / "out" / "test.jsonl")
    assert len(dev) + len(test) == 60 and 12 <= len(dev) <= 24
    assert not {r["id"] for r in dev} & {r["id"] for r in test}
    counts = {lab: sum(r["answer"] == lab for r in dev + test) for lab in ("billing", "technical", "other")}
    assert counts["billing"] > counts["technical"] > counts["other"] >= 1  # the data's proportions kept
    assert {r["answer"] for r in dev} == {r["answer"] for r in test} == set(counts)  # every class in both
    config = (wd / "out" / "eval.yaml").read_text()
    assert "FILL IN BEFORE RUNNING" in config and "REPLACE-ME-baseline-model-id" in config
    from advisor.evals.config import load_config

    cfg = load_config(wd / "out" / "eval.yaml").config
    assert cfg.metric == "accuracy" and cfg.variants[0].name == "current-system"
    assert "billing, other, technical" in cfg.system
    with open(wd / "out" / "annotation.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 60 and all(not r["input"].startswith("=") for r in rows)
    report = (wd / "out" / "report.md").read_text()
    assert f"advisor eval run --config {wd / 'out' / 'eval.yaml'}" in report
    assert (f"advisor recommend --answers {wd / 'answers.yaml'} --evidence "
            f"{wd / 'out' / 'runs' / 'baseline' / 'results.json'}") in report
    assert "advisor eval run --config" in (wd / "out" / "report.html").read_text()


def test_same_seed_same_sample_and_rerun_changes_nothing(cli, wd, tmp_path):
    assert launch(cli, wd, "--cases", "40")[0] == 0
    first = (wd / "out" / "test.jsonl").read_text()
    rc, _, err = launch(cli, wd, "--cases", "40")
    assert rc == 0 and "sample: sample" not in err  # finished steps are not repeated
    dev, test = sample_and_split([{"id": str(i), "label": LABELS[i % 10]} for i in range(300)], 40, 0.3, 0, "label")
    again = sample_and_split([{"id": str(i), "label": LABELS[i % 10]} for i in range(300)], 40, 0.3, 0, "label")
    assert (dev, test) == again and first == (wd / "out" / "test.jsonl").read_text()


def test_no_path_launches_the_recommended_build_evals(cli, wd):
    rc, out, err = launch(cli, wd, "--cases", "20", path=None)
    assert rc == 0, err
    assert "the answers lead to 'build_evals'" in err and (wd / "out" / "eval.yaml").exists()
    rc, out, _ = cli("launch", "status", "--state-dir", wd / "state")
    assert rc == 0 and "build-evals" in out and "build_evals" in out and "finished" in out


@pytest.mark.parametrize("task, rows, metric, extra", [
    ("structured", [{"input": f"order {i}", "output": {"sku": f"A{i}", "qty": i}} for i in range(30)], "json",
     "json_schema"),
    ("free_text", [{"input": f"summarise contract {i}", "output": " ".join(["clause"] * 40)} for i in range(30)],
     "f1", "judge"),
    ("extraction", [{"input": f"invoice {i} total?", "output": f"{i * 3}.00 EUR"} for i in range(30)], "squad",
     None),
])
def test_scorers_follow_the_task(cli, wd, task, rows, metric, extra):
    (wd / "cases.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    rc, out, err = launch(cli, wd, "--cases", "20", data="cases.jsonl")
    assert rc == 0, err
    cfg = yaml.safe_load((wd / "out" / "eval.yaml").read_text())
    assert cfg["metric"] == metric
    if extra:
        assert extra in cfg
    if task == "structured":
        schema = json.loads((wd / "out" / "schema.json").read_text())
        assert schema["required"] == ["qty", "sku"] and schema["properties"]["qty"]["type"] == "number"
    if task == "free_text":
        assert cfg["judge"]["model"].startswith("REPLACE-ME") and "judge.model" in (wd / "out" / "report.md").read_text()


def test_bedrock_conversations_and_tatqa_are_read(cli, wd):
    rows = [{"schemaVersion": "bedrock-conversation-2024", "system": [{"text": "You classify."}],
             "messages": [{"role": "user", "content": [{"text": f"mail {i}"}]},
                          {"role": "assistant", "content": [{"text": "spam" if i % 3 else "ham"}]}]}
            for i in range(30)]
    (wd / "conv.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    rc, _, err = launch(cli, wd, "--cases", "12", data="conv.jsonl")
    assert rc == 0, err
    test = read_jsonl(wd / "out" / "test.jsonl")
    assert test[0]["system"] == "You classify." and test[0]["input"].startswith("mail ")
    assert yaml.safe_load((wd / "out" / "eval.yaml").read_text())["system"] == "{{ system }}"

    from tests.evals.conftest import EXAMPLE_SLICE

    rc, _, err = cli("launch", "build_evals", "--answers", wd / "answers.yaml", "--data", EXAMPLE_SLICE,
                     "--out", wd / "tq", "--state-dir", wd / "state", "--name", "tq", "--cases", "20")
    assert rc == 0, err
    cfg = yaml.safe_load((wd / "tq" / "eval.yaml").read_text())
    assert cfg["metric"] == "tatqa" and cfg["dataset"] == {"path": "test.json", "format": "tatqa"}
    from advisor.evals.dataset import load_examples

    n = len(load_examples(wd / "tq" / "test.json", "tatqa")) + len(load_examples(wd / "tq" / "dev.json", "tatqa"))
    assert n == 20


def test_other_changes_to_an_existing_launch_are_refused(cli, wd):
    assert launch(cli, wd, "--cases", "20")[0] == 0
    rc, _, err = launch(cli, wd, "--cases", "30")
    assert rc == 2 and "already exists with different inputs" in err and "cases: was 20, now 30" in err


def test_bad_data_names_the_file_and_line(cli, wd):
    (wd / "bad.jsonl").write_text('{"input": "a", "output": "b"}\n{"input": "c"}\n')
    rc, out, err = launch(cli, wd, data="bad.jsonl")
    assert rc == 2 and "bad.jsonl:2" in err and "Traceback" not in err
    rc, _, err = launch(cli, wd, data="missing.jsonl")
    assert rc == 2 and "missing.jsonl" in err


def test_two_labelled_sheets_give_cohens_kappa_in_plain_words(cli, wd):
    assert launch(cli, wd, "--cases", "40")[0] == 0
    with open(wd / "out" / "annotation.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for who, flip in (("a", set()), ("b", {r["id"] for r in rows[:8]})):
        with open(wd / f"{who}.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            for r in rows:
                good = r["reference_output"] != "other"
                w.writerow({**r, "verdict": "pass" if good != (r["id"] in flip) else "fail"})
    sample = (wd / "out" / "sample.jsonl").read_text()
    rc, out, err = launch(cli, wd, "--cases", "40", "--labels", wd / "a.csv", wd / "b.csv")
    assert rc == 0, err  # the same launch, now with labels: only the agreement and the report run again
    assert "agreement: done" in err and "sample: done" not in err
    assert (wd / "out" / "sample.jsonl").read_text() == sample
    state = json.loads((wd / "state" / "build-evals" / "state.json").read_text())
    res = state["steps"]["agreement"]["resources"]
    assert res["rows"] == 40 and res["agreement"] == 0.8 and -1 < res["kappa"] < 0.8
    report = (wd / "out" / "report.md").read_text()
    assert "Cohen's kappa" in report and "disagreement on" in report


def test_kappa_by_hand():
    a = {str(i): v for i, v in enumerate("yyyyynnnnn")}
    assert agreement(a, dict(a))["kappa"] == 1.0
    b = {str(i): v for i, v in enumerate("yyyynnnnny")}  # 8 of 10 agree, chance 0.5 -> kappa 0.6
    r = agreement(a, b)
    assert r["agreement"] == 0.8 and r["kappa"] == pytest.approx(0.6)
    assert "substantial" in r["reading"] and "slight" in kappa_reading(0.1)
    assert agreement(a, {})["kappa"] is None


def test_the_loop_closes_build_run_recommend(cli, wd, monkeypatch):
    """Build evals with the current system named, run them against a loopback model, feed the results back."""
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    with FakeLLMServer(responder=lambda call: call.prompt.rsplit("my ", 1)[-1].split(" issue")[0]) as server:
        rc, _, err = launch(cli, wd, "--cases", "30", "--baseline-model", "current-m", "--base-url",
                            server.openai_base_url)
        assert rc == 0, err
        assert "REPLACE-ME" not in (wd / "out" / "eval.yaml").read_text()
        assert cli("eval", "run", "--config", wd / "out" / "eval.yaml", "--no-progress")[0] == 0
    results = wd / "out" / "runs" / "baseline" / "results.json"
    rc, out, err = cli("recommend", "--answers", wd / "answers.yaml", "--evidence", results, "--format", "json")
    doc = json.loads(out)
    assert rc == 0 and doc["answers"]["gap_measured_with_evals"] is True and doc["path"] != "build_evals"
    (variant,) = doc["evidence"]["variants"]
    assert variant["name"] == "current-system" and variant["value"] is not None and variant["value"] > 80
    assert any(w["code"] == "evidence_no_comparison" for w in doc["warnings"])


@pytest.mark.parametrize("module, folder_of", [("advisor.launchers.report", lambda d: d),
                                               ("advisor.distill.report", lambda d: d)])
def test_every_launch_report_ends_with_the_remeasure_command(tmp_path, module, folder_of):
    import importlib

    from advisor.launchers.ledger import Ledger
    from advisor.launchers.plan import Plan, Step

    plan = Plan("distill" if "distill" in module else "bedrock_fine_tune", "x",
                {"answers": {"path": "/work/my answers.yaml"}}, [Step("report", "report")], [],
                {"out": str(tmp_path)})
    ledger = Ledger(tmp_path / "state", "x")
    paths = importlib.import_module(module).write_reports(plan, ledger, folder_of(tmp_path))
    md = paths["markdown"].read_text()
    tail = md.strip().splitlines()[-1]
    assert "advisor recommend --answers '/work/my answers.yaml' --evidence" in tail
    assert str(tmp_path / "eval" / "run" / "results.json") in tail.replace("\\_", "_")
    assert "--evidence" in paths["html"].read_text()
