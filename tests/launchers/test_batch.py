"""Batch inference as a reusable step, and `eval run` with `batch: true`, against moto S3 + the fake."""

from __future__ import annotations

import json

import yaml

from advisor.aws import AwsContext
from advisor.launchers.batch import BatchSpec, converse_text, run_batch
from tests.launchers.conftest import BUCKET, REGION, ROLE


def echo(model, body):
    return "echo: " + body["messages"][-1]["content"][0]["text"]


def test_batch_joins_outputs_on_record_id_not_order(aws_env, s3, fake):
    fake.responder = echo
    fake.creating_polls = 2
    records = [(f"ex{i}", {"messages": [{"role": "user", "content": [{"text": f"question {i}"}]}]})
               for i in range(7)]
    spec = BatchSpec(key="t-batch", model_id="amazon.nova-micro-v1:0", role_arn=ROLE,
                     s3_uri=f"s3://{BUCKET}/batches", records=records)
    aws = AwsContext(region=REGION)
    state, saves = {}, []
    sleeps = []
    job, results = run_batch(spec, aws.client("bedrock"), aws.client("s3"), state, lambda: saves.append(dict(state)),
                             interval=1.0, max_interval=10.0, sleep=sleeps.append)
    assert job["status"] == "Completed"
    assert {k: converse_text(v["output"]) for k, v in results.items()} == {
        f"ex{i}": f"echo: question {i}" for i in range(7)}
    assert sleeps == [1.0, 1.5]  # back-off, one GetModelInvocationJob per interval
    assert fake.calls["bedrock:GetModelInvocationJob"] == 3
    # the fake wrote the output reversed: joining on order would have mixed the answers up
    out_key = next(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"] if o["Key"].endswith(".out"))
    first = json.loads(s3.get_object(Bucket=BUCKET, Key=out_key)["Body"].read().splitlines()[0])
    assert first["recordId"] == spec.record_ids()["ex6"]
    # resuming with the saved state never submits a second job
    run_batch(spec, aws.client("bedrock"), aws.client("s3"), state, lambda: None, sleep=lambda s: None)
    assert fake.created["batch_job"] == 1 and fake.calls["bedrock:CreateModelInvocationJob"] == 1


def test_eval_run_uses_batch_for_batch_variants(cli, aws_env, s3, fake, tmp_path):
    fake.responder = echo
    (tmp_path / "test.jsonl").write_text("".join(
        json.dumps({"id": f"q{i}", "question": f"question {i}", "answer": f"echo: question {i}"}) + "\n"
        for i in range(4)))
    config = {"name": "batchy", "dataset": {"path": "test.jsonl"}, "metric": "exact",
              "providers": {"br": {"type": "bedrock", "region": REGION, "batch_role_arn": ROLE,
                                   "batch_s3_uri": f"s3://{BUCKET}/eval", "batch_poll_seconds": 0.01}},
              "prompt": "{{ question }}",
              "variants": [{"name": "bulk", "provider": "br", "model": "amazon.nova-micro-v1:0", "batch": True},
                           {"name": "live", "provider": "br", "model": "amazon.nova-micro-v1:0"}]}
    (tmp_path / "eval.yaml").write_text(yaml.safe_dump(config))
    rc, out, err = cli("eval", "run", "--config", tmp_path / "eval.yaml", "--output", tmp_path / "out", "--no-cache",
                       "--format", "json")
    assert rc == 0, err
    summary = {v["name"]: v for v in json.loads(out)["variants"]}
    assert summary["bulk"]["metrics"]["exact_match"] == 100.0
    assert summary["live"]["metrics"]["exact_match"] == 100.0
    assert fake.calls["bedrock:CreateModelInvocationJob"] == 1
    assert fake.calls["bedrock-runtime:Converse"] == 4  # only the live variant calls one by one
    rc, _, err = cli("eval", "run", "--config", tmp_path / "eval.yaml", "--output", tmp_path / "out", "--no-cache")
    assert rc == 0, err
    assert fake.calls["bedrock:CreateModelInvocationJob"] == 1  # resumed from the ledger


def test_batch_variant_needs_role_and_bucket(cli, tmp_path):
    (tmp_path / "test.jsonl").write_text(json.dumps({"id": "a", "question": "q", "answer": "a"}) + "\n")
    config = {"dataset": {"path": "test.jsonl"}, "metric": "exact", "providers": {"br": {"type": "bedrock"}},
              "prompt": "{{ question }}", "variants": [{"name": "bulk", "provider": "br", "model": "m", "batch": True}]}
    (tmp_path / "eval.yaml").write_text(yaml.safe_dump(config))
    rc, _, err = cli("eval", "run", "--config", tmp_path / "eval.yaml")
    assert rc == 2 and "batch_role_arn" in err
