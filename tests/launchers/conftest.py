"""Fixtures for the launcher tests: moto's ThreadedMotoServer (S3, customisation jobs) behind the fake
Bedrock server (tests/fakes/bedrock_server.py), both on 127.0.0.1; clients are routed with the standard
AWS_ENDPOINT_URL_* variables so botocore's real serialisation runs end to end."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.fakes.bedrock_server import ACCOUNT, CLAUDE_BASE, NOVA_BASE, FakeBedrock, foundation_model, write_test_rules

REPO = Path(__file__).resolve().parents[2]
REGION = "us-west-2"
ROLE = "arn:aws:iam::123456789012:role/BedrockFineTune"
BUCKET = "ft-data"


@pytest.fixture(scope="session")
def moto_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def answer(model: str, body: dict) -> str:
    """Custom models (deployments, provisioned) answer right; base models answer wrong."""
    messages = body.get("messages") or []
    text = messages[-1]["content"][0]["text"] if messages else ""
    number = "".join(c for c in text.split(":")[0] if c.isdigit())
    if "custom-model-deployment" in model or "provisioned-model" in model:
        return f"billing-{int(number or 0) % 5}"
    return "general question"


@pytest.fixture(scope="session")
def fake_server(moto_server):
    fake = FakeBedrock(moto_server, REGION, responder=answer).start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(fake_server, moto_server):
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")).read()
    fake_server.reset()
    fake_server.creating_polls = 0
    fake_server.responder = answer
    fake_server.foundation_models = [foundation_model(NOVA_BASE), foundation_model(CLAUDE_BASE),
                                     foundation_model("anthropic.claude-3-haiku-20240307-v1:0:200k",
                                                      status="LEGACY")]
    return fake_server


@pytest.fixture
def aws_env(fake, monkeypatch, tmp_path):
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
           "AWS_ENDPOINT_URL_BEDROCK": fake.url, "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": fake.url,
           "AWS_ENDPOINT_URL_S3": fake.url, "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_MAX_ATTEMPTS": "2", "AWS_RETRY_MODE": "standard"}
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "ADVISOR_LAUNCH_FAULT"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.fixture
def s3(aws_env, moto_server):
    import boto3

    client = boto3.client("s3", endpoint_url=moto_server, region_name=REGION)
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return client


@pytest.fixture(scope="session")
def rules_dir(tmp_path_factory):
    """The shipped rule base plus two test models (an active Claude-format one and a Nova one), so the
    tests do not depend on which real models are alive today."""
    return write_test_rules(REPO / "rules", tmp_path_factory.mktemp("rules") / "rules")


def record(i: int, nova: bool = False) -> dict:
    user = f"Ticket {i}: my invoice {i * 7} is wrong, please help"
    answer_text = f"billing-{i % 5}"
    return {"system": "You route support tickets.",
            "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer_text}]}


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "train.jsonl").write_text("".join(json.dumps(record(i)) + "\n" for i in range(40)))
    (folder / "validation.jsonl").write_text("".join(json.dumps(record(100 + i)) + "\n" for i in range(6)))
    (folder / "test.jsonl").write_text("".join(json.dumps(record(200 + i)) + "\n" for i in range(5)))
    shutil.copy(REPO / "examples" / "support-classifier.yaml", folder / "answers.yaml")
    return folder


@pytest.fixture
def base_args(data, rules_dir, tmp_path):
    return ["launch", "bedrock_fine_tune", "--answers", str(data / "answers.yaml"), "--rules", str(rules_dir),
            "--train", str(data / "train.jsonl"), "--bucket", BUCKET, "--role-arn", ROLE,
            "--state-dir", str(tmp_path / "state"), "--poll-interval", "0.01", "--poll-max", "0.05"]


@pytest.fixture
def cli(capsys):
    from advisor.cli import main

    def run(*args):
        rc = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return rc, out, err

    return run


@pytest.fixture
def subprocess_cli(aws_env):
    def run(*args, fault: str | None = None, timeout: float = 120):
        env = {**os.environ, **aws_env, "PYTHONPATH": str(REPO)}
        if fault:
            env["ADVISOR_LAUNCH_FAULT"] = fault
        proc = subprocess.run([sys.executable, "-m", "advisor", *map(str, args)], env=env, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return proc.returncode, proc.stdout, proc.stderr

    return run


def job_backend(name: str):
    from moto.bedrock.models import bedrock_backends

    return bedrock_backends[ACCOUNT][REGION].model_customization_jobs[name]


def complete_job(s3_client, state_dir: Path, launch: str = "bedrock-fine-tune", status: str = "Completed",
                 failure: str | None = None, metrics: bool = True) -> str:
    """Move the launch's job to ``status`` in moto's backend and put the metrics CSVs in its S3 output."""
    state = json.loads((state_dir / launch / "state.json").read_text())
    job = state["steps"]["create_job"]["resources"]["job_name"]
    backend = job_backend(job)
    backend.status = status
    if failure is not None:
        backend.failure_message = failure
    if metrics and status == "Completed":
        plan = json.loads((state_dir / launch / "plan.json").read_text())
        base = plan["context"]["base_key"]
        job_id = state["steps"]["create_job"]["resources"]["job_arn"].rsplit("/", 1)[-1]
        folder = f"{base}/output/model-customization-job-{job_id}"
        rows = "step_number,epoch_number,training_loss,perplexity\n" + "".join(
            f"{i},{i // 5},{2.0 / (i + 1):.4f},{3.0 / (i + 1):.3f}\n" for i in range(10))
        s3_client.put_object(Bucket=BUCKET, Key=f"{folder}/training_artifacts/step_wise_training_metrics.csv",
                             Body=rows.encode())
        vrows = "step_number,epoch_number,validation_loss,perplexity\n" + "".join(
            f"{i * 5},{i},{1.5 / (i + 1):.4f},{2.0:.3f}\n" for i in range(2))
        s3_client.put_object(
            Bucket=BUCKET, Key=f"{folder}/validation_artifacts/post_fine_tuning_validation/validation_metrics.csv",
            Body=vrows.encode())
    return job


def count_objects(s3_client, prefix: str = "") -> int:
    pages = s3_client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return sum(len(p.get("Contents", [])) for p in pages)


def count_jobs(moto_url: str) -> int:
    import boto3

    client = boto3.client("bedrock", endpoint_url=moto_url, region_name=REGION)
    return len(client.list_model_customization_jobs()["modelCustomizationJobSummaries"])
