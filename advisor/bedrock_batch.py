"""Bedrock batch inference as a reusable step (``CreateModelInvocationJob``).

Records go to S3 as JSONL, one ``{"recordId", "modelInput"}`` a line; the job writes
``<output>/<jobId>/<input>.jsonl.out`` with ``{"recordId", "modelInput", "modelOutput" | "error"}``.
Outputs are joined to inputs on ``recordId`` only: the docs disagree on whether order is kept.

Resumable: the caller passes a ``state`` dict (e.g. a ledger step's resources) and a ``save``
callback; the job name and client request token are derived from the caller's key, so a re-run after
a crash finds or re-creates the same job, never a second one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from advisor.aws import AwsError, call
from advisor.files import write_json_atomic

RUNNING = {"Submitted", "Validating", "Scheduled", "InProgress", "Stopping"}
FINISHED_OK = {"Completed", "PartiallyCompleted"}


@dataclass
class BatchSpec:
    key: str  # stable identity of this batch (e.g. launch name + step); names and token derive from it
    model_id: str
    role_arn: str
    s3_uri: str  # s3://bucket/prefix (folder for input and output)
    records: list[tuple[str, dict[str, Any]]]  # (caller id, modelInput)
    invocation_type: str = "Converse"  # or InvokeModel
    timeout_hours: int = 24
    tags: list[dict[str, str]] = field(default_factory=list)

    @property
    def digest(self) -> str:
        h = hashlib.sha256(self.key.encode())
        h.update(self.model_id.encode())
        for rid, body in self.records:
            h.update(rid.encode() + b"\0" + json.dumps(body, sort_keys=True).encode())
        return h.hexdigest()

    @property
    def job_name(self) -> str:
        base = "".join(c if c.isalnum() or c == "-" else "-" for c in self.key)[:40].strip("-") or "batch"
        while "--" in base:
            base = base.replace("--", "-")
        return f"{base}-{self.digest[:12]}"

    @property
    def token(self) -> str:
        return self.digest[:64]

    def record_ids(self) -> dict[str, str]:
        """Our recordId (alphanumeric, 11 characters) for each caller id."""
        return {rid: f"R{i:010d}" for i, (rid, _) in enumerate(self.records)}

    def bucket_and_prefix(self) -> tuple[str, str]:
        rest = self.s3_uri[len("s3://"):]
        bucket, _, prefix = rest.partition("/")
        return bucket, prefix.strip("/")

    def input_key(self) -> str:
        _, prefix = self.bucket_and_prefix()
        return "/".join(p for p in (prefix, self.job_name, "input", "records.jsonl") if p)

    def output_prefix(self) -> str:
        _, prefix = self.bucket_and_prefix()
        return "/".join(p for p in (prefix, self.job_name, "output") if p) + "/"

    def create_request(self) -> dict[str, Any]:
        bucket, _ = self.bucket_and_prefix()
        return {"jobName": self.job_name, "roleArn": self.role_arn, "modelId": self.model_id,
                "clientRequestToken": self.token, "modelInvocationType": self.invocation_type,
                "timeoutDurationInHours": self.timeout_hours,
                "inputDataConfig": {"s3InputDataConfig": {"s3Uri": f"s3://{bucket}/{self.input_key()}",
                                                          "s3InputFormat": "JSONL"}},
                "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"s3://{bucket}/{self.output_prefix()}"}},
                **({"tags": self.tags} if self.tags else {})}


def submit(spec: BatchSpec, bedrock, s3, state: dict[str, Any], save: Callable[[], None]) -> str:
    """Upload the records and create the job (once); returns the job ARN."""
    if state.get("job_arn"):
        return state["job_arn"]
    bucket, _ = spec.bucket_and_prefix()
    ids = spec.record_ids()
    body = "".join(json.dumps({"recordId": ids[rid], "modelInput": m}, ensure_ascii=False) + "\n"
                   for rid, m in spec.records).encode()
    if not state.get("input_key"):
        call(s3, "put_object", f"s3://{bucket}/{spec.input_key()}", Bucket=bucket, Key=spec.input_key(),
             Body=body, ServerSideEncryption="AES256")
        state["input_key"] = spec.input_key()
        save()
    try:
        arn = call(bedrock, "create_model_invocation_job", spec.job_name, **spec.create_request())["jobArn"]
    except AwsError as exc:
        if exc.code not in ("ConflictException", "ResourceInUseException"):
            raise
        arn = call(bedrock, "get_model_invocation_job", spec.job_name, jobIdentifier=spec.job_name)["jobArn"]
    state["job_arn"] = arn
    state["job_name"] = spec.job_name
    save()
    return arn


def poll(bedrock, job_arn: str, *, wait: bool, interval: float, max_interval: float,
         on_poll: Callable[[str, float], None] | None = None, sleep=time.sleep) -> dict[str, Any]:
    """``GetModelInvocationJob`` once (``wait=False``) or until the job ends, backing off between calls."""
    waited = 0.0
    delay = interval
    while True:
        job = call(bedrock, "get_model_invocation_job", job_arn, jobIdentifier=job_arn)
        if on_poll:
            on_poll(job["status"], waited)
        if job["status"] not in RUNNING or not wait:
            return job
        sleep(delay)
        waited += delay
        delay = min(max_interval, delay * 1.5)


def job_id_of(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def fetch(spec: BatchSpec, s3, job_arn: str) -> dict[str, dict[str, Any]]:
    """``{caller id: {"output": modelOutput} | {"error": {...}}}`` joined on recordId."""
    bucket, _ = spec.bucket_and_prefix()
    prefix = spec.output_prefix() + job_id_of(job_arn) + "/"
    back = {v: k for k, v in spec.record_ids().items()}
    results: dict[str, dict[str, Any]] = {}
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        for obj in page.get("Contents", []):
            if not obj["Key"].endswith(".jsonl.out"):
                continue
            text = call(s3, "get_object", f"s3://{bucket}/{obj['Key']}", Bucket=bucket,
                        Key=obj["Key"])["Body"].read().decode("utf-8")
            for line in text.splitlines():
                if not line.strip():
                    continue
                row = json.loads(line)
                caller = back.get(str(row.get("recordId")))
                if caller is None:
                    continue
                results[caller] = ({"output": row["modelOutput"]} if "modelOutput" in row
                                   else {"error": row.get("error") or {"errorMessage": "no output"}})
    return results


def converse_text(output: dict[str, Any]) -> str:
    """The text of a Converse-shaped (or Claude InvokeModel-shaped) model output."""
    blocks = ((output.get("output") or {}).get("message") or {}).get("content")
    if blocks is None:
        blocks = output.get("content") or []
    return "".join(b.get("text", "") for b in blocks if isinstance(b, dict))


def run_batch(spec: BatchSpec, bedrock, s3, state: dict[str, Any], save: Callable[[], None], *, wait: bool = True,
              interval: float = 30.0, max_interval: float = 300.0, on_poll=None, sleep=time.sleep):
    """Submit (once), poll, fetch. Returns ``(job, results)``; ``results`` is None while the job runs."""
    arn = submit(spec, bedrock, s3, state, save)
    job = poll(bedrock, arn, wait=wait, interval=interval, max_interval=max_interval, on_poll=on_poll, sleep=sleep)
    if job["status"] in RUNNING:
        return job, None
    if job["status"] not in FINISHED_OK:
        raise AwsError(f"batch job {spec.job_name} ended {job['status']}: {job.get('message') or 'no message'}",
                       code=job["status"], operation="GetModelInvocationJob", resource=arn, exit_code=1)
    return job, fetch(spec, s3, arn)


# --- the eval harness's hook (variants with ``batch: true``) --------------------------------------------

def eval_rows(tasks, cfg, out_dir, make_row) -> list[dict[str, Any]]:
    """Run each batch variant's pending tasks as one batch job; one ledger row per task (joined on recordId)."""
    from advisor.aws import AwsContext
    from advisor.providers.bedrock import BedrockConverse

    rows: list[dict[str, Any]] = []
    by_variant: dict[str, list] = {}
    for task in tasks:
        by_variant.setdefault(task.variant.name, []).append(task)
    for name, group in by_variant.items():
        variant = group[0].variant
        pc = cfg.providers[variant.provider]
        aws = AwsContext(profile=pc.profile, region=pc.region)
        builder = BedrockConverse(variant.provider)
        records = []
        for task in group:
            body = builder.build_request(task.request)
            body.pop("modelId", None)
            records.append((task.example.id, body))
        spec = BatchSpec(key=f"eval-{cfg.name}-{name}", model_id=variant.model, role_arn=pc.batch_role_arn,
                         s3_uri=pc.batch_s3_uri, records=records)
        state_path = Path(out_dir) / f"batch-{name}.json"
        state: dict[str, Any] = {}
        if state_path.exists():
            saved = json.loads(state_path.read_text(encoding="utf-8"))
            if saved.get("digest") == spec.digest:
                state = saved
        state["digest"] = spec.digest
        _, results = run_batch(spec, aws.client("bedrock"), aws.client("s3"), state,
                               functools.partial(write_json_atomic, state_path, state), wait=True,
                               interval=pc.batch_poll_seconds, max_interval=max(pc.batch_poll_seconds, 300.0))
        for task in group:
            got = results.get(task.example.id)
            if got is None:
                rows.append(make_row(task, "error", cached=False, attempts=1, error="no output for this record"))
            elif "error" in got:
                err = got["error"]
                rows.append(make_row(task, "error", cached=False, attempts=1,
                                     error=f"{err.get('errorCode', '')} {err.get('errorMessage', '')}".strip()))
            else:
                usage = got["output"].get("usage") or {}
                rows.append(make_row(task, "ok", cached=False, attempts=1, batch_job=spec.job_name,
                                     text=converse_text(got["output"]), input_tokens=usage.get("inputTokens"),
                                     output_tokens=usage.get("outputTokens"),
                                     stop_reason=got["output"].get("stopReason"), latency_ms=None))
    return rows
