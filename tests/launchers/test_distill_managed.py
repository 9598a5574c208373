"""The managed route: a Bedrock distillation job through the wing (moto + the fake Bedrock server on
127.0.0.1), with the ledger's resume rules; and teacher generation through Bedrock batch inference."""

from __future__ import annotations

import json

from tests.distill.helpers import prompt_lines, workdir, write_jsonl  # noqa: F401
from tests.launchers.conftest import BUCKET, ROLE, complete_job, count_jobs, job_backend

TEACHER = "meta.llama3-1-70b-instruct-v1:0"
STUDENT = "meta.llama3-1-8b-instruct-v1:0:128k"


def managed_config(wd):
    (wd / "config.yaml").write_text(
        "student: {model: llama-3.1-8b, licence: 'Llama 3.1 Community License'}\n"
        f"managed: {{teacher: '{TEACHER}', student: '{STUDENT}', bucket: {BUCKET}, prefix: dist, "
        f"role_arn: '{ROLE}', max_response_length: 800}}\n"
        "holdout: {fraction: 0.1, min_count: 6}\n")


def args(wd):
    return ["launch", "distill", "--answers", wd / "answers.yaml", "--prompts", wd / "prompts.jsonl",
            "--config", wd / "config.yaml", "--out", wd / "out", "--state-dir", wd / "state", "--poll-interval",
            "0.01", "--poll-max", "0.02"]


def test_distillation_job_created_once_and_resumed(cli, workdir, s3, moto_server):
    write_jsonl(workdir / "prompts.jsonl", prompt_lines(130))
    managed_config(workdir)
    rc, out, err = cli(*args(workdir), "--yes")
    assert rc == 4, err + out  # the job runs
    assert "Llama 3.1 Community License" in err
    state = json.loads((workdir / "state" / "distill" / "state.json").read_text())
    name = state["steps"]["create_job"]["resources"]["job_name"]
    job = job_backend(name)
    assert job.customization_type == "DISTILLATION" and job.base_model_identifier == STUDENT
    body = s3.get_object(Bucket=BUCKET, Key="dist/distill/distill/prompts.jsonl")["Body"].read().decode()
    uploaded = [json.loads(x) for x in body.splitlines()]
    test_prompts = {json.loads(x)["messages"][0]["content"]
                    for x in (workdir / "out" / "test.jsonl").read_text().splitlines()}
    assert len(uploaded) == 130 - len(test_prompts) and uploaded[0]["schemaVersion"] == "bedrock-conversation-2024"
    assert not test_prompts & {u["messages"][0]["content"][0]["text"] for u in uploaded}
    rc, out, err = cli(*args(workdir), "--yes")
    assert rc == 4 and count_jobs(moto_server) == 1
    complete_job(s3, workdir / "state", launch="distill")
    rc, out, err = cli(*args(workdir), "--yes")
    assert rc == 0, err
    assert count_jobs(moto_server) == 1
    report = (workdir / "out" / "report.md").read_text()
    assert "Bedrock distillation job" in report and "Completed" in report


def test_kill_between_create_and_ledger_write_makes_one_job(subprocess_cli, workdir, s3, moto_server):
    write_jsonl(workdir / "prompts.jsonl", prompt_lines(130))
    managed_config(workdir)
    rc, out, err = subprocess_cli(*args(workdir), "--yes", fault="created:create_job")
    assert rc == -9
    rc, out, err = subprocess_cli(*args(workdir), "--yes")
    assert rc == 4, err
    assert count_jobs(moto_server) == 1


def test_too_few_prompts_stop_before_upload(cli, workdir, s3):
    write_jsonl(workdir / "prompts.jsonl", prompt_lines(40))
    managed_config(workdir)
    rc, out, err = cli(*args(workdir), "--yes")
    assert rc == 1 and "at least 100" in err
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0


def test_teacher_generation_through_bedrock_batch_inference(cli, workdir, aws_env, s3, fake):
    fake.responder = lambda model, body: "Answer: " + body["messages"][-1]["content"][0]["text"]
    fake.creating_polls = 1
    write_jsonl(workdir / "prompts.jsonl", prompt_lines(40))
    (workdir / "config.yaml").write_text(
        f"teacher: {{type: bedrock, region: us-west-2, model: amazon.nova-pro-v1:0, max_tokens: 100, "
        f"terms: 'AWS service terms', batch: {{role_arn: '{ROLE}', s3_uri: 's3://{BUCKET}/teach', min_records: 20, "
        f"poll_seconds: 0.01}}}}\n"
        "student: {model: Qwen/Qwen2.5-0.5B-Instruct, licence: Apache-2.0}\n"
        "holdout: {fraction: 0.1, min_count: 6}\n")
    rc, out, err = cli(*args(workdir), "--yes")
    assert rc == 4, err + out  # the batch job is still running
    assert "generate" in out and "waiting" in out
    rc, out, err = cli(*args(workdir), "--yes")
    assert rc == 0, err + out
    assert fake.created["batch_job"] == 1
    generated = [json.loads(x) for x in (workdir / "out" / "generated.jsonl").read_text().splitlines()]
    assert len(generated) == 34
    assert all(g["answer"] == "Answer: " + g["messages"][0]["content"] for g in generated)  # joined on recordId
