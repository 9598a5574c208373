"""Benchmarks for the eval harness and the TAT-QA scorer (prints figures; asserts nothing).

1. 1,000 calls at 100 ms server latency with concurrency 16 through ``advisor eval run``'s harness,
   against the loopback fake server running in its own process (so its threads do not share our GIL),
   for the Bedrock (boto3) and the OpenAI-compatible (openai SDK) providers. Ideal: 1000 / 16 × 0.1 s
   = 6.25 s; target within 10 %.
2. The TAT-QA scorer on the dev file (with the official sample predictions) and on the gold test file
   (gold answers as predictions), JSON parsing included. Target: well under a second each.

Run: ``python bench/bench_eval.py`` from the repository root (TAT-QA files from ../shared/data/tatqa or
``--tatqa DIR``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def bench_harness(provider: str, calls: int, latency: float, concurrency: int) -> None:
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
            started = time.perf_counter()
            result = run_eval(tmp / "eval.yaml", RunOptions(progress=False))
            wall = time.perf_counter() - started
        ok = sum(r["status"] == "ok" for r in result.rows.values())
        ideal = calls / concurrency * latency
        print(f"harness/{provider:7s}: {ok}/{calls} calls, {latency * 1000:.0f} ms latency, concurrency "
              f"{concurrency}: calls {result.stats.seconds:.2f} s (wall incl. setup {wall:.2f} s); "
              f"ideal {ideal:.2f} s; ratio {result.stats.seconds / ideal:.3f}")
    finally:
        server.terminate()
        server.wait()


def bench_reference(calls: int, latency: float, concurrency: int) -> None:
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
        seconds = time.perf_counter() - started
        ideal = calls / concurrency * latency
        print(f"reference/http.client: {calls} calls: {seconds:.2f} s; ratio {seconds / ideal:.3f} "
              "(no SDK, no harness: the floor on this machine)")
    finally:
        server.terminate()
        server.wait()


def bench_tatqa(data_dir: Path) -> None:
    from advisor.evals import tatqa
    from advisor.evals.tatqa import score_dataset

    dev, test, sample = (data_dir / "tatqa_dataset_dev.json", data_dir / "tatqa_dataset_test_gold.json",
                         data_dir / "sample_prediction.json")
    if not dev.exists():
        print(f"tatqa: {data_dir} not found, skipped")
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
    parser.add_argument("--providers", default="bedrock,openai")
    parser.add_argument("--tatqa", type=Path, default=REPO.parent / "shared" / "data" / "tatqa")
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    bench_reference(args.calls, args.latency, args.concurrency)
    for provider in filter(None, args.providers.split(",")):
        bench_harness(provider, args.calls, args.latency, args.concurrency)
    bench_tatqa(args.tatqa)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
