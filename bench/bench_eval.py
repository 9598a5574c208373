"""Benchmarks for the eval harness and the TAT-QA scorer (prints figures; asserts nothing).

1. 1,000 calls at 100 ms server latency with concurrency 16 through ``advisor eval run``'s harness,
   against the loopback fake server running in its own process (so its threads do not share our GIL),
   for the Bedrock (boto3) and the OpenAI-compatible (httpx) providers. Ideal: 1000 / 16 × 0.1 s
   = 6.25 s; target within 10 %. The anchor (a bare ``http.client`` thread pool) and the providers run
   alternately, ``--rounds`` times, and medians are printed, so drift on a shared machine moves
   anchor and project alike.
2. The TAT-QA scorer on the dev file (with the official sample predictions) and on the gold test file
   (gold answers as predictions), JSON parsing included. Target: well under a second each.

Run: ``python bench/bench_eval.py [--rounds N]``. The TAT-QA files are looked for in
``../shared/data/tatqa`` beside the repository (or ``--tatqa DIR``); without them that part is skipped
with a message.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def bench_harness(provider: str, calls: int, latency: float, concurrency: int) -> tuple[float, int]:
    """Seconds spent in calls and the number of successful calls."""
    import yaml

    from advisor.evals.harness import RunOptions, run_eval

    serve = f"from tests.fakes.llm_server import main; main(['--latency', '{latency}'])"
    server = subprocess.Popen([sys.executable, "-c", serve], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        base_url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            (tmp / "data.jsonl").write_text("".join(json.dumps({"id": i, "answer": "ok"}) + "\n"
                                                    for i in range(calls)))
            providers = {"bedrock": {"type": "bedrock", "region": "us-west-2", "endpoint_url": base_url,
                                     "concurrency": concurrency},
                         "openai": {"type": "openai", "base_url": base_url + "/v1", "concurrency": concurrency,
                                    "api_key_env": "BENCH_NO_KEY"}}
            (tmp / "eval.yaml").write_text(yaml.safe_dump({
                "name": "bench", "metric": "exact", "dataset": {"path": "data.jsonl"},
                "providers": {provider: providers[provider]}, "prompt": "call {{ id }}",
                "variants": [{"name": "v", "provider": provider, "model": "m"}],
                "cache_dir": str(tmp / "cache"), "output_dir": str(tmp / "out")}))
            result = run_eval(tmp / "eval.yaml", RunOptions(progress=False))
        ok = sum(r["status"] == "ok" for r in result.rows.values())
        return result.stats.seconds, ok
    finally:
        server.terminate()
        server.wait()


def bench_reference(calls: int, latency: float, concurrency: int) -> float:
    """The same load with a bare ``http.client`` thread pool: the floor this machine and server allow."""
    import http.client
    import threading
    from concurrent.futures import ThreadPoolExecutor

    serve = f"from tests.fakes.llm_server import main; main(['--latency', '{latency}'])"
    server = subprocess.Popen([sys.executable, "-c", serve], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline().strip().rsplit(":", 1)[1])
        local = threading.local()
        body = json.dumps({"messages": [{"role": "user", "content": [{"text": "hi"}]}]})

        def call(_):
            if not hasattr(local, "conn"):
                local.conn = http.client.HTTPConnection("127.0.0.1", port)
            local.conn.request("POST", "/model/m/converse", body=body, headers={"Content-Type": "application/json"})
            local.conn.getresponse().read()

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(call, range(calls)))
        return time.perf_counter() - started
    finally:
        server.terminate()
        server.wait()


def bench_tatqa(data_dir: Path) -> None:
    from advisor.evals import tatqa
    from advisor.evals.tatqa import score_dataset

    dev, test, sample = (data_dir / "tatqa_dataset_dev.json", data_dir / "tatqa_dataset_test_gold.json",
                         data_dir / "sample_prediction.json")
    if not dev.exists():
        print(f"tatqa: skipped, no TAT-QA files in {data_dir} (put the shared data beside the repository as "
              "../shared/data/tatqa, or pass --tatqa DIR)")
        return
    for label, gold_path, preds_path in (("dev + sample predictions", dev, sample), ("test gold (gold as "
                                                                                     "predictions)", test, None)):
        if not gold_path.exists():
            continue
        best = float("inf")
        for _ in range(5):
            tatqa.is_number.cache_clear()  # time a cold scorer every round
            tatqa._normalize_token.cache_clear()
            started = time.perf_counter()
            gold = json.loads(gold_path.read_text())
            if preds_path is not None:
                preds = json.loads(preds_path.read_text())
            else:
                preds = {q["uid"]: [q["answer"], q["scale"]] for ctx in gold for q in ctx["questions"]}
            result = score_dataset(gold, preds)
            best = min(best, time.perf_counter() - started)
        print(f"tatqa/{label}: {result['count']} questions, EM {result['exact_match']:.2f} "
              f"F1 {result['f1']:.2f}, best of 5: {best * 1000:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of anchor and providers")
    parser.add_argument("--providers", default="bedrock,openai")
    parser.add_argument("--tatqa", type=Path, default=REPO.parent / "shared" / "data" / "tatqa")
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    providers = list(filter(None, args.providers.split(",")))
    times: dict[str, list[float]] = {"reference": [], **{p: [] for p in providers}}
    failed: dict[str, int] = {p: 0 for p in providers}
    for _ in range(args.rounds):  # anchor and project alternate, so drift moves them alike
        times["reference"].append(bench_reference(args.calls, args.latency, args.concurrency))
        for provider in providers:
            seconds, ok = bench_harness(provider, args.calls, args.latency, args.concurrency)
            times[provider].append(seconds)
            failed[provider] += args.calls - ok
    ideal = args.calls / args.concurrency * args.latency
    anchor = statistics.median(times["reference"])
    print(f"{args.calls} calls, {args.latency * 1000:.0f} ms latency, concurrency {args.concurrency}; ideal "
          f"{ideal:.2f} s; medians of {args.rounds} alternating rounds")
    print(f"reference/http.client: {anchor:.2f} s; vs ideal {anchor / ideal:.3f} (no harness: this machine's floor)")
    for provider in providers:
        median = statistics.median(times[provider])
        print(f"harness/{provider:7s}:       {median:.2f} s; vs ideal {median / ideal:.3f} (target <= 1.10); "
              f"vs reference {median / anchor:.3f}; failed calls {failed[provider]}")
    bench_tatqa(args.tatqa)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
