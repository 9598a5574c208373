"""``advisor launch distill`` end to end against a loopback teacher (with faults) and a loopback student."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tests.distill.helpers import prompt_lines, student, teacher, workdir, write_config, write_jsonl  # noqa: F401


def launch(cli, wd, *extra, config=None):
    return cli("launch", "distill", "--answers", wd / "answers.yaml", "--prompts", wd / "prompts.jsonl",
               "--config", config or wd / "config.yaml", "--out", wd / "out", "--state-dir", wd / "state", *extra)


def lines(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_dry_run_shows_the_plan_and_calls_nothing(cli, workdir, teacher):
    write_config(workdir, teacher.base_url)
    rc, out, err = launch(cli, workdir, "--dry-run")
    assert rc == 0, err
    assert "generate" in out and "[BILLED: about $" in out and "POST /chat/completions" in out
    assert "confirm: the teacher's terms of service" in out and "Example terms, section 3" in out
    assert "Apache-2.0" in out
    assert teacher.hits == 0 and not (workdir / "out").exists()


def test_billed_steps_need_yes(cli, workdir, teacher):
    write_config(workdir, teacher.base_url)
    rc, out, err = launch(cli, workdir)
    assert rc == 2 and "--yes" in err and teacher.hits == 0


def test_full_launch_with_faults_then_rerun_calls_nothing(cli, workdir, teacher, student):
    teacher.inject(429, count=3, retry_after=0.01)
    teacher.inject(500, count=3)
    teacher.drop(3)
    write_config(workdir, teacher.base_url, student.base_url, extra="filters: {regex: '^Answer'}\n")
    rc, out, err = launch(cli, workdir, "--yes")
    assert rc == 0, err + out
    assert teacher.failures_served == 6 and teacher.dropped == 3
    assert "you confirm:" in err and "Example terms, section 3" in err and "Apache-2.0" in err
    o = workdir / "out"
    test_ids = {r["id"] for r in lines(o / "test.jsonl")}
    train_ids = {r["id"] for r in lines(o / "train_prompts.jsonl")}
    assert len(test_ids) == 6 and len(train_ids) == 54 and not test_ids & train_ids
    ledger = lines(o / "teacher.jsonl")
    assert sorted(r["key"] for r in ledger if r["status"] == "ok") == sorted(train_ids)
    # the teacher never saw a held-out prompt during generation
    test_prompts = {r["messages"][0]["content"] for r in lines(o / "test.jsonl")}
    generation_prompts = [c.prompt for c in teacher.calls][:len(train_ids)]
    assert not test_prompts & set(generation_prompts)
    trl = lines(o / "student" / "trl" / "train.jsonl")
    assert len(trl) == 54 and trl[0]["messages"][-1]["content"].startswith("Answer:")
    summary = json.loads((o / "eval" / "summary.json").read_text())
    by = {row["variant"]: row for row in summary["table"]}
    assert by["student"]["f1"] > by["base_student"]["f1"]
    assert summary["cascade"]["share"] == 0.5  # the student matches the teacher on the even items only
    cost = summary["monthly_cost"]
    assert cost["student_serving_usd"] == 730.0 and "cascade_usd" in cost and "teacher_only_usd" in cost
    report = (o / "report.md").read_text()
    assert "Cascade and cost" in report and "lora\\_r" in report
    html = (o / "report.html").read_text()
    assert html.startswith("<!doctype html>") and "<script" not in html and "<link" not in html
    hits = teacher.hits
    rc, out, err = launch(cli, workdir, "--yes")
    assert rc == 0 and teacher.hits == hits  # nothing repeated


def test_filters_judge_agreement_and_relabel(cli, workdir, teacher):
    def responder(call):
        if call.model == "judge-model":
            verdict = "incorrect" if "item 1" in call.prompt or "BAD" in call.prompt else "correct"
            return f"<reason>Checked it.</reason>\n<judgement>{verdict}</judgement>"
        if call.model == "strong-model":
            return "Answer: relabelled"
        if "item 2 " in call.prompt:
            return "I'm sorry, but I can't help with that."
        return "Answer: " + call.prompt

    teacher.responder = responder
    labelled = workdir / "labels.jsonl"
    write_jsonl(labelled, [{"prompt": f"q{i}", "answer": "BAD" if i < 10 else "fine",
                            "label": "incorrect" if i < 12 else "correct"} for i in range(40)])
    extra = (f"judge: {{type: openai, base_url: {teacher.base_url}/v1, api_key_env: null, model: judge-model, "
             f"labelled: labels.jsonl}}\n"
             f"relabel: {{type: openai, base_url: {teacher.base_url}/v1, api_key_env: null, model: strong-model}}\n")
    write_config(workdir, teacher.base_url, extra=extra)
    rc, out, err = launch(cli, workdir, "--yes")
    assert rc == 0, err + out
    o = workdir / "out"
    dropped = lines(o / "dropped.jsonl")
    assert {d["dropped_by"] for d in dropped} == {"refusal"}
    assert all("refusal" in d["reason"] for d in dropped)
    rejected = lines(o / "judge_rejected.jsonl")
    assert rejected and all(r["reason"] == "Checked it." for r in rejected)
    relabelled = lines(o / "relabelled.jsonl")
    assert {r["id"] for r in relabelled} == {r["id"] for r in rejected}
    assert all(r["answer"] == "Answer: relabelled" for r in relabelled)
    state = json.loads((workdir / "state" / "distill" / "state.json").read_text())
    agree = state["steps"]["judge"]["resources"]["agreement"]
    assert agree["rows"] == 40 and agree["agreement"] == 0.95 and 0.85 < agree["kappa"] < 0.9
    report = (o / "report.md").read_text()
    assert "agreement with human labels: 95%" in report and "kappa 0.88" in report


def test_train_runs_an_installed_trainer_and_keeps_its_log(cli, workdir, teacher, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "axolotl"
    fake.write_text("#!/bin/sh\necho \"training with $2\"\ntest -f \"$2\"\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    write_config(workdir, teacher.base_url)
    rc, out, err = launch(cli, workdir, "--yes", "--train", "axolotl")
    assert rc == 0, err + out
    log = (workdir / "out" / "train-axolotl.log").read_text()
    assert "training with" in log and "axolotl/config.yaml" in log


def test_train_with_a_missing_trainer_is_skipped_with_the_command(cli, workdir, teacher, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    write_config(workdir, teacher.base_url)
    rc, out, err = launch(cli, workdir, "--yes", "--train", "llamafactory")
    assert rc == 0
    assert "llamafactory is not installed" in out and "llamafactory-cli train" in out


def test_bad_prompts_line_stops_before_any_teacher_call(cli, workdir, teacher):
    (workdir / "prompts.jsonl").write_text('{"prompt": "fine"}\nnot json\n')
    write_config(workdir, teacher.base_url)
    rc, out, err = launch(cli, workdir, "--yes")
    assert rc == 2 and "prompts.jsonl:2" in err and "Traceback" not in err and teacher.hits == 0


def test_bad_config_names_the_line(cli, workdir, teacher):
    write_config(workdir, teacher.base_url, extra="filters: {regex: '(unclosed'}\n")
    rc, out, err = launch(cli, workdir, "--dry-run")
    assert rc == 2 and "config.yaml:" in err and "regular expression" in err


def test_too_few_labelled_rows_stop_the_plan(cli, workdir, teacher):
    write_jsonl(workdir / "labels.jsonl", [{"prompt": "q", "answer": "a", "label": "correct"}] * 5)
    write_config(workdir, teacher.base_url, extra=(f"judge: {{type: openai, base_url: {teacher.base_url}/v1, "
                                                   "api_key_env: null, model: j, labelled: labels.jsonl}\n"))
    rc, out, err = launch(cli, workdir, "--dry-run")
    assert rc == 1 and "at least 30" in err


def test_teacher_failures_keep_answers_and_rerun_asks_only_for_missing(cli, workdir, teacher):
    write_config(workdir, teacher.base_url, extra="retry_attempts: 2\n")
    teacher.inject(500, count=8)  # with concurrency 4 some prompts exhaust their two attempts
    rc, out, err = launch(cli, workdir, "--yes")
    assert rc == 2 and "teacher calls failed" in err
    answered = {r["key"] for r in lines(workdir / "out" / "teacher.jsonl") if r["status"] == "ok"}
    assert 0 < len(answered) < 54
    before = len(teacher.calls)
    rc, out, err = launch(cli, workdir, "--yes")
    assert rc == 0, err
    asked_again = [c.prompt for c in teacher.calls[before:]]
    assert len(asked_again) == 54 - len(answered)


def test_logs_as_the_prompt_source(cli, workdir, teacher):
    logs = workdir / "logs"
    logs.mkdir()
    write_jsonl(logs / "requests.jsonl", [
        {"input": {"model": "gpt-big", "messages": [{"role": "user", "content": f"Refund ticket {i}?"}]},
         "output": {"choices": [{"message": {"content": "ok"}}]}, "metadata": {"team": "support" if i % 3 else "x"},
         "timestamp": "2026-11-02T08:00:00Z"} for i in range(90)])
    write_config(workdir, teacher.base_url)
    rc, out, err = cli("launch", "distill", "--answers", workdir / "answers.yaml", "--logs", logs,
                       "--log-tag", "team=support", "--log-keyword", "refund", "--max-rows", "50",
                       "--config", workdir / "config.yaml", "--out", workdir / "out", "--state-dir",
                       workdir / "state", "--yes")
    assert rc == 0, err
    assert "50 prompts" in out
    prompts = lines(workdir / "out" / "prompts.jsonl")
    assert all(int(p["messages"][0]["content"].split()[-1].rstrip("?")) % 3 for p in prompts)


@pytest.mark.parametrize("pair,ok", [(("amazon.nova-pro-v1:0", "amazon.nova-micro-v1:0:128k"), True),
                                     (("amazon.nova-lite-v1:0", "amazon.nova-micro-v1:0:128k"), False),
                                     (("anthropic.claude-3-5-sonnet-20240620-v1:0", "amazon.nova-micro-v1:0:128k"),
                                      False)])
def test_managed_pairs_come_from_the_catalogue(cli, workdir, pair, ok):
    (workdir / "config.yaml").write_text(
        "student: {model: nova-micro, licence: 'AWS service terms'}\n"
        f"managed: {{teacher: '{pair[0]}', student: '{pair[1]}', bucket: b, "
        "role_arn: 'arn:aws:iam::123456789012:role/Distill'}\n")
    rc, out, err = launch(cli, workdir, "--dry-run")
    if ok:
        assert rc == 0, err
        assert '"customizationType": "DISTILLATION"' in out and '"teacherModelIdentifier"' in out
        assert "us-east-1" in out or rc == 0
    else:
        assert rc == 1 and "distillation" in err.lower()


def test_missing_options_are_usage_errors(cli, workdir):
    rc, out, err = cli("launch", "distill", "--answers", workdir / "answers.yaml", "--prompts",
                       workdir / "prompts.jsonl", "--state-dir", workdir / "state")
    assert rc == 2 and "--config" in err and "--out" in err
    rc, out, err = cli("launch", "distill", "--answers", workdir / "answers.yaml", "--prompts",
                       workdir / "prompts.jsonl", "--config", workdir / "answers.yaml", "--out", workdir / "o",
                       "--train", "deepspeed", "--state-dir", workdir / "state")
    assert rc == 2 and "trl, llamafactory, axolotl" in err


def test_status_and_json_plan(cli, workdir, teacher):
    write_config(workdir, teacher.base_url)
    rc, out, err = launch(cli, workdir, "--dry-run", "--format", "json")
    plan = json.loads(out)
    assert rc == 0 and plan["path"] == "distill" and plan["billed_steps"] == ["generate"]
    assert [s["name"] for s in plan["steps"]][:3] == ["prompts", "holdout", "generate"]
    rc, out, err = launch(cli, workdir, "--yes")
    assert rc == 0
    rc, out, err = cli("launch", "status", "distill", "--state-dir", workdir / "state", "--format", "json")
    status = json.loads(out)
    assert rc == 0 and {s["name"]: s["status"] for s in status["steps"]}["leak_check"] == "done"
