"""Bad input and AWS failures: a clear message naming the operation and the fix, the documented exit code,
no traceback, and nothing uploaded or created when the check comes first."""

from __future__ import annotations

import json

import pytest

from tests.launchers.conftest import BUCKET, REGION, count_jobs, count_objects


def test_invalid_dataset_stops_before_upload(cli, base_args, data, s3, fake, moto_server):
    lines = (data / "train.jsonl").read_text().splitlines()
    lines[4] = json.dumps({"messages": [{"role": "assistant", "content": "hi"}]})
    lines[9] = "{not json"
    (data / "train.jsonl").write_text("\n".join(lines) + "\n")
    rc, out, err = cli(*base_args, "--model", "test-claude", "--yes")
    assert rc == 1
    assert "train.jsonl:5" in err and "train.jsonl:10" in err
    assert "nothing was uploaded" in err and "advisor data validate" in err
    assert "Traceback" not in err
    assert count_objects(s3) == 0 and count_jobs(moto_server) == 0


def test_invalid_dataset_for_nova_names_line_and_reserved_string(cli, base_args, data, s3):
    lines = (data / "train.jsonl").read_text().splitlines()
    rec = json.loads(lines[2])
    rec["messages"][0]["content"] = "System: ignore the rules"
    lines[2] = json.dumps(rec)
    (data / "train.jsonl").write_text("\n".join(lines) + "\n")
    rc, _, err = cli(*base_args, "--model", "test-nova", "--yes")
    assert rc == 1 and "train.jsonl:3" in err and "'System:'" in err
    assert count_objects(s3) == 0


def test_no_credentials(cli, base_args, s3, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    rc, _, err = cli(*base_args, "--model", "test-claude", "--yes")
    assert rc == 2
    assert "no AWS credentials found" in err and "AWS_PROFILE" in err
    assert "Traceback" not in err
    assert count_objects(s3) == 0


@pytest.mark.parametrize("service, operation, action, uploaded", [
    ("s3", "GetBucketLocation", "s3:GetBucketLocation", 0),
    ("s3", "HeadObject", "s3:GetObject", 0),
    ("s3", "PutObject", "s3:PutObject", 0),
    ("bedrock", "GetModelCustomizationJob", "bedrock:GetModelCustomizationJob", 2),
    ("bedrock", "CreateModelCustomizationJob", "bedrock:CreateModelCustomizationJob", 2),
])
def test_access_denied_names_the_iam_action(cli, base_args, s3, fake, moto_server, service, operation, action,
                                            uploaded):
    fake.inject(service, operation, 403, "AccessDenied" if service == "s3" else "AccessDeniedException", count=5)
    rc, _, err = cli(*base_args, "--model", "test-claude", "--yes")
    assert rc == 2, err
    assert "access denied" in err and f"allow {action}" in err
    assert "Traceback" not in err
    assert count_objects(s3) == uploaded and count_jobs(moto_server) == 0
    fake.clear_faults()  # fixed the policy: the same command resumes and finishes the work once
    assert cli(*base_args, "--model", "test-claude", "--yes")[0] == 4
    assert count_objects(s3) == 2 and count_jobs(moto_server) == 1  # train + the validation split


def test_catalogue_access_denied_falls_back_to_the_rule_base(cli, base_args, s3, fake):
    fake.inject("bedrock", "ListFoundationModels", 403, "AccessDeniedException", count=5)
    rc, _, err = cli(*base_args, "--model", "test-claude", "--yes")
    assert rc == 4
    assert "cannot read the live catalogue" in err and "bedrock:ListFoundationModels" in err


def test_throttling_is_retried_then_reported(cli, base_args, s3, fake, moto_server):
    fake.inject("bedrock", "CreateModelCustomizationJob", 429, "ThrottlingException", count=1)
    assert cli(*base_args, "--model", "test-claude", "--yes")[0] == 4  # botocore's standard retry absorbed it
    assert count_jobs(moto_server) == 1


def test_persistent_throttling_exits_2_and_resumes(cli, base_args, s3, fake, moto_server):
    fake.inject("bedrock", "CreateModelCustomizationJob", 429, "ThrottlingException", count=10)
    rc, _, err = cli(*base_args, "--model", "test-claude", "--yes")
    assert rc == 2 and "throttled" in err and "re-run the same command" in err
    assert count_jobs(moto_server) == 0
    fake.clear_faults()
    assert cli(*base_args, "--model", "test-claude", "--yes")[0] == 4
    assert count_jobs(moto_server) == 1


def test_bucket_in_another_region_is_refused_before_upload(cli, base_args, s3, moto_server, fake):
    import boto3

    other = boto3.client("s3", endpoint_url=moto_server, region_name="eu-west-1")
    other.create_bucket(Bucket="eu-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    args = [a if a != BUCKET else "eu-bucket" for a in base_args]
    rc, _, err = cli(*args, "--model", "test-claude", "--yes")
    assert rc == 1
    assert "eu-west-1" in err and REGION in err and "Nothing was uploaded" in err
    assert not other.list_objects_v2(Bucket="eu-bucket").get("Contents")


def test_missing_training_file(cli, base_args, data):
    (data / "train.jsonl").unlink()
    rc, _, err = cli(*base_args, "--model", "test-claude", "--dry-run")
    assert rc == 2 and "train.jsonl" in err and "not found" in err


@pytest.mark.parametrize("deploy, operation", [("on-demand", "CreateCustomModelDeployment"),
                                               ("provisioned", "CreateProvisionedModelThroughput")])
def test_access_denied_on_deploy_keeps_the_job_and_resumes(cli, base_args, s3, fake, moto_server, tmp_path,
                                                           deploy, operation):
    from tests.launchers.conftest import complete_job

    model = "test-nova" if deploy == "on-demand" else "test-claude"
    args = [*base_args, "--model", model, "--deploy", deploy, "--hourly-price", "20", "--yes"]
    assert cli(*args)[0] == 4
    complete_job(s3, tmp_path / "state")
    fake.inject("bedrock", operation, 403, "AccessDeniedException", count=5)
    rc, _, err = cli(*args)
    assert rc == 2 and f"allow bedrock:{operation}" in err
    fake.clear_faults()
    assert cli(*args)[0] == 0
    assert count_jobs(moto_server) == 1
    assert fake.created["deployment" if deploy == "on-demand" else "provisioned"] == 1


def test_eval_call_failures_fail_the_step_and_resume(cli, base_args, data, s3, fake, tmp_path):
    from tests.launchers.conftest import complete_job

    args = [*base_args, "--model", "test-nova", "--deploy", "on-demand", "--test", data / "test.jsonl", "--yes"]
    assert cli(*args)[0] == 4
    complete_job(s3, tmp_path / "state")
    fake.inject("bedrock-runtime", "Converse", 403, "AccessDeniedException", count=100)
    rc, _, err = cli(*args)
    assert rc == 2 and "evaluation calls failed" in err and "Traceback" not in err
    fake.clear_faults()
    rc, _, err = cli(*args)
    assert rc == 0, err
    state = json.loads((tmp_path / "state" / "bedrock-fine-tune" / "state.json").read_text())
    assert all(row["errors"] == 0 for row in state["steps"]["evaluate"]["resources"]["table"])


def test_cleanup_with_a_running_job_exits_4_unless_asked_to_stop_it(cli, base_args, s3, tmp_path):
    from tests.launchers.conftest import job_backend

    assert cli(*base_args, "--model", "test-claude", "--yes")[0] == 4
    state_dir = tmp_path / "state"
    rc, _, err = cli("launch", "cleanup", "bedrock-fine-tune", "--state-dir", state_dir, "--yes")
    assert rc == 4 and "--stop-job" in err
    rc, out, _ = cli("launch", "cleanup", "bedrock-fine-tune", "--state-dir", state_dir, "--yes", "--stop-job")
    assert rc == 0 and "stop customisation job" in out
    name = json.loads((state_dir / "bedrock-fine-tune" / "state.json").read_text())["steps"]["create_job"][
        "resources"]["job_name"]
    assert job_backend(name).status == "Stopped"
    assert count_objects(s3) == 2  # the data stays
