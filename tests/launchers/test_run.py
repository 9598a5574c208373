"""A whole launch against moto + the fake Bedrock server, as a user runs it."""

from __future__ import annotations

import json

from tests.launchers.conftest import BUCKET, complete_job, count_jobs, count_objects


def test_launch_waits_then_completes_deploys_evaluates_and_reports(cli, base_args, data, s3, fake, moto_server,
                                                                     tmp_path):
    args = [*base_args, "--model", "test-nova", "--validation", data / "validation.jsonl",
            "--test", data / "test.jsonl", "--deploy", "on-demand", "--yes"]
    rc, out, err = cli(*args)
    assert rc == 4, err
    assert "advisor launch status bedrock-fine-tune" in err
    assert count_jobs(moto_server) == 1
    # the data went up converted to Nova's record format
    body = s3.get_object(Bucket=BUCKET, Key="advisor/bedrock-fine-tune/data/train.jsonl")["Body"].read()
    first = json.loads(body.splitlines()[0])
    assert first["schemaVersion"] == "bedrock-conversation-2024"
    assert first["messages"][0]["content"] == [{"text": "Ticket 0: my invoice 0 is wrong, please help"}]

    rc, out, err = cli("launch", "status", "bedrock-fine-tune", "--state-dir", tmp_path / "state", "--format", "json")
    assert rc == 4
    status = json.loads(out)
    assert status["exit_code"] == 4
    assert {s["name"]: s["status"] for s in status["steps"]}["watch"] == "waiting"

    complete_job(s3, tmp_path / "state")
    rc, out, err = cli(*args)
    assert rc == 0, err
    assert count_jobs(moto_server) == 1
    assert fake.created["deployment"] == 1
    state = json.loads((tmp_path / "state" / "bedrock-fine-tune" / "state.json").read_text())
    steps = state["steps"]
    assert all(steps[s]["status"] == "done" for s in ("preflight", "data", "upload", "create_job", "watch",
                                                      "metrics", "deploy", "evaluate", "report"))
    table = {row["variant"]: row for row in steps["evaluate"]["resources"]["table"]}
    assert table["custom"]["f1"] > table["base"]["f1"]
    html = (tmp_path / "state" / "bedrock-fine-tune" / "report.html").read_text()
    assert "<svg" in html and "polyline" in html and "<script" not in html
    md = (tmp_path / "state" / "bedrock-fine-tune" / "report.md").read_text()
    assert "advisor launch cleanup bedrock-fine-tune --yes" in md

    # cleanup deletes the deployment, never the data or the model
    objects = count_objects(s3)
    rc, out, err = cli("launch", "cleanup", "bedrock-fine-tune", "--state-dir", tmp_path / "state")
    assert rc == 2 and fake.created["deployment_deleted"] == 0
    rc, out, err = cli("launch", "cleanup", "bedrock-fine-tune", "--state-dir", tmp_path / "state", "--yes")
    assert rc == 0, err
    assert fake.created["deployment_deleted"] == 1 and not fake.deployments
    assert count_objects(s3) == objects
    rc, out, err = cli("launch", "cleanup", "bedrock-fine-tune", "--state-dir", tmp_path / "state", "--yes")
    assert rc == 0 and "nothing to clean up" in out


def test_provisioned_with_wait_states_hourly_cost_and_polls_with_backoff(cli, base_args, data, s3, fake,
                                                                           moto_server, tmp_path):
    args = [*base_args, "--model", "test-claude", "--validation", data / "validation.jsonl",
            "--deploy", "provisioned", "--hourly-price", "21.18", "--model-units", "2"]
    rc, out, err = cli(*args)
    assert rc == 2
    assert "$42.36 per hour" in out and "--yes" in err
    assert count_objects(s3) == 0 and count_jobs(moto_server) == 0
    rc, out, err = cli(*args, "--yes")
    assert rc == 4
    before = fake.calls["bedrock:GetModelCustomizationJob"]
    complete_job(s3, tmp_path / "state")
    fake.creating_polls = 3
    rc, out, err = cli(*args, "--yes", "--wait")
    assert rc == 0, err
    assert fake.created["provisioned"] == 1
    # one look-up by name before creating (nothing there yet), then 3 x Creating and 1 x InService
    assert fake.calls["bedrock:GetProvisionedModelThroughput"] == 5
    job = json.loads((tmp_path / "state" / "bedrock-fine-tune" / "plan.json").read_text())
    params = next(s for s in job["steps"] if s["name"] == "create_job")["requests"][0]["params"]
    assert all(isinstance(v, str) for v in params["hyperParameters"].values())
    assert fake.calls["bedrock:GetModelCustomizationJob"] > before


def test_failed_job_shows_failure_message_and_data_pointer(cli, base_args, s3, tmp_path):
    args = [*base_args, "--model", "test-claude", "--yes"]
    assert cli(*args)[0] == 4
    complete_job(s3, tmp_path / "state", status="Failed",
                 failure="Unable to parse Amazon S3 file: train.jsonl. Data files must conform to JSONL format.")
    rc, out, err = cli(*args)
    assert rc == 1
    assert "Unable to parse Amazon S3 file" in err
    assert "advisor data validate" in err and "--model test-claude" in err
