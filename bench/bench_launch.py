"""Benchmark ``advisor launch``: dry-run start-up, upload overhead, and poll discipline.

Usage::

    python bench/bench_launch.py                # 5 alternated dry-run pairs, 100 MB upload x 3, 2 s watch
    python bench/bench_launch.py --runs 9 --upload-mb 100 --watch-seconds 3

Figures printed (ratios are taken within one run, medians of alternated repetitions):

* ``launch --dry-run`` wall time in a fresh process vs
  ``python -c "import boto3; boto3.client('bedrock', region_name='us-east-1')"`` (target: ratio <= 1.5);
* the launcher's upload step (checksum, skip-if-same check, managed transfer) for an N-MB file to moto vs a
  bare ``s3.upload_file`` of the same file in the same run (target: ratio <= 1.2);
* ``GetModelCustomizationJob`` calls counted at the fake Bedrock server while a launcher with ``--wait``
  watches a job that completes after T seconds, against T / interval (target: one call per interval).

Everything runs on 127.0.0.1 (moto's ThreadedMotoServer behind tests/fakes/bedrock_server.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGION = "us-west-2"
BUCKET = "bench-data"
ROLE = "arn:aws:iam::123456789012:role/BedrockFineTune"


def _env(fake_url: str) -> dict[str, str]:
    return {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL_BEDROCK": fake_url, "AWS_ENDPOINT_URL_S3": fake_url,
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": fake_url, "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONPATH": str(ROOT)}


def _timed(cmd: list[str], env) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _write_data(folder: Path) -> Path:
    train = folder / "train.jsonl"
    rows = []
    for i in range(200):
        rows.append(json.dumps({"system": "Route tickets.", "messages": [
            {"role": "user", "content": f"Ticket {i}: invoice {i * 7} is wrong"},
            {"role": "assistant", "content": f"billing-{i % 5}"}]}))
    train.write_text("\n".join(rows) + "\n")
    return train


def bench_dry_run(runs: int, rules: Path, train: Path, state: Path, env) -> None:
    launch = [sys.executable, "-m", "advisor", "launch", "bedrock_fine_tune", "--answers",
              str(ROOT / "examples" / "support-classifier.yaml"), "--rules", str(rules), "--model", "test-nova",
              "--train", str(train), "--bucket", BUCKET, "--role-arn", ROLE, "--state-dir", str(state), "--dry-run"]
    baseline = [sys.executable, "-c", "import boto3; boto3.client('bedrock', region_name='us-east-1')"]
    _timed(launch, env)
    _timed(baseline, env)  # warm the page cache for both
    ours, base = [], []
    for _ in range(runs):
        ours.append(_timed(launch, env))
        base.append(_timed(baseline, env))
    a, b = statistics.median(ours), statistics.median(base)
    print(f"dry-run: launch --dry-run median {a * 1000:.0f} ms, boto3 client median {b * 1000:.0f} ms, "
          f"ratio {a / b:.2f} (target <= 1.5; {runs} alternated runs)")


def bench_upload(mb: int, runs: int, moto_url: str, fake_url: str, folder: Path) -> None:
    import boto3

    from advisor.aws import AwsContext
    from advisor.launchers.bedrock_fine_tune import Runner
    from advisor.launchers.ledger import Ledger
    from advisor.launchers.plan import Plan, Step
    from advisor.launchers.progress import CallbackProgress

    big = folder / "big.jsonl"
    line = (json.dumps({"messages": [{"role": "user", "content": "x" * 900},
                                     {"role": "assistant", "content": "y" * 60}]}) + "\n").encode()
    with open(big, "wb") as fh:
        for _ in range(mb * 1024 * 1024 // len(line)):
            fh.write(line)
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name=REGION)
    import hashlib

    with open(big, "rb") as fh:  # the data step records this (or the plan's input fingerprint) for upload
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    ours, bare = [], []
    for i in range(runs):
        key = f"bare/{i}/big.jsonl"
        start = time.perf_counter()
        s3.upload_file(str(big), BUCKET, key)
        bare.append(time.perf_counter() - start)
        s3.delete_object(Bucket=BUCKET, Key=key)

        ledger = Ledger(folder / f"state{i}", f"b{i}")
        ledger.update("data", "done", files={"train.jsonl": {"path": str(big), "records": 0, "sha256": digest}})
        plan = Plan("bedrock_fine_tune", f"b{i}", {"bucket": BUCKET, "profile": None}, [Step("upload", "upload")],
                    context={"region": REGION, "base_key": f"ours/{i}"})
        os.environ["AWS_ENDPOINT_URL_S3"] = moto_url
        runner = Runner(plan, ledger, CallbackProgress(lambda e: None), aws=AwsContext(region=REGION))
        start = time.perf_counter()
        runner.step_upload(plan.steps[0])
        ours.append(time.perf_counter() - start)
        s3.delete_object(Bucket=BUCKET, Key=f"ours/{i}/data/train.jsonl")
    a, b = statistics.median(ours), statistics.median(bare)
    print(f"upload {mb} MB to moto: launcher step median {a:.2f} s, bare upload_file median {b:.2f} s, "
          f"ratio {a / b:.2f} (target <= 1.2; {runs} alternated runs; the file's SHA-256 is taken once at planning, "
          f"not in this step)")


def bench_watch(seconds: float, interval: float, rules: Path, train: Path, state: Path, fake, env) -> None:
    from tests.fakes.bedrock_server import ACCOUNT

    args = [sys.executable, "-m", "advisor", "launch", "bedrock_fine_tune", "--answers",
            str(ROOT / "examples" / "support-classifier.yaml"), "--rules", str(rules), "--model", "test-nova",
            "--train", str(train), "--bucket", BUCKET, "--role-arn", ROLE, "--state-dir", str(state), "--name",
            "watch", "--yes", "--wait", "--poll-interval", str(interval), "--poll-max", str(interval)]
    # first run: creates the job and exits 4 (no --wait flag effect yet: the job is InProgress)
    subprocess.run(args[:-5] + ["--poll-interval", str(interval), "--poll-max", str(interval)], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    name = json.loads((state / "watch" / "state.json").read_text())["steps"]["create_job"]["resources"]["job_name"]
    before = fake.calls["bedrock:GetModelCustomizationJob"]

    def finish():
        from moto.bedrock.models import bedrock_backends

        while fake.calls["bedrock:GetModelCustomizationJob"] == before:  # the watcher's first poll
            time.sleep(0.005)
        time.sleep(seconds)
        bedrock_backends[ACCOUNT][REGION].model_customization_jobs[name].status = "Completed"

    threading.Thread(target=finish, daemon=True).start()
    start = time.perf_counter()
    subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    calls = fake.calls["bedrock:GetModelCustomizationJob"] - before
    print(f"watch: {calls} GetModelCustomizationJob calls for a job that ended {seconds:.1f} s after the first "
          f"poll at a {interval:.2f} s interval (about {seconds / interval + 1:.0f} expected: one per interval; "
          f"the whole run took {elapsed:.1f} s with start-up)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--upload-mb", type=int, default=100)
    p.add_argument("--upload-runs", type=int, default=3)
    p.add_argument("--watch-seconds", type=float, default=2.0)
    p.add_argument("--interval", type=float, default=0.25)
    args = p.parse_args()

    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from tests.fakes.bedrock_server import CLAUDE_BASE, NOVA_BASE, FakeBedrock, foundation_model, write_test_rules

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        os.environ.setdefault(k, v)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    fake = FakeBedrock(moto_url, REGION).start()
    fake.foundation_models = [foundation_model(NOVA_BASE), foundation_model(CLAUDE_BASE)]
    boto3.client("s3", endpoint_url=moto_url, region_name=REGION).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rules = write_test_rules(ROOT / "rules", folder / "rules")
        train = _write_data(folder)
        env = _env(fake.url)
        bench_dry_run(args.runs, rules, train, folder / "state", env)
        bench_upload(args.upload_mb, args.upload_runs, moto_url, fake.url, folder)
        bench_watch(args.watch_seconds, args.interval, rules, train, folder / "state", fake, env)
    fake.stop()
    moto.stop()


if __name__ == "__main__":
    main()
