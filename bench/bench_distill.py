"""Benchmarks for ``advisor launch distill`` (prints figures; no assertions).

1. Teacher generation: the batch runner against an out-of-process loopback OpenAI-compatible teacher
   with a fixed latency; the figure is the ideal time (prompts x latency / concurrency) over the
   measured time (target: at least 90 % of the ideal rate).
2. Filters stream: peak Python heap (tracemalloc) and the process's peak RSS while the filter chain runs
   over 1k, 10k and 50k generated records, each in a fresh process (target: flat in the record count).

Run: ``python bench/bench_distill.py [--prompts 1000] [--latency 0.1] [--concurrency 16]`` (the eval
runner's bench uses the same figures). The machine's load average is printed: on a shared machine the
figures move with it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def bench_generation(n: int, latency: float, concurrency: int) -> None:
    from advisor.batch import BatchItem, BatchOptions, run_batch
    from advisor.providers import ChatRequest, make_provider

    server = subprocess.Popen([sys.executable, "-m", "tests.fakes.teacher_server", "--latency", str(latency)],
                              cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        provider = make_provider("teacher", {"type": "openai", "base_url": url + "/v1", "api_key_env": None,
                                             "concurrency": concurrency})
        with tempfile.TemporaryDirectory() as tmp:
            warm = [BatchItem(f"w{i}", "teacher", ChatRequest(model="t", messages=(("user", f"warm {i}"),)))
                    for i in range(concurrency)]
            run_batch(warm, {"teacher": provider}, Path(tmp) / "warm.jsonl", BatchOptions())
            items = [BatchItem(f"p{i}", "teacher", ChatRequest(model="t", system="Be brief.",
                                                               messages=(("user", f"What is item {i} called?"),)))
                     for i in range(n)]
            started = time.perf_counter()
            result = run_batch(items, {"teacher": provider}, Path(tmp) / "teacher.jsonl",
                               BatchOptions(cache_dir=Path(tmp) / "cache"))
            took = time.perf_counter() - started
        ideal = n * latency / concurrency
        calls = result.stats.seconds
        ok = sum(1 for r in result.rows.values() if r["status"] == "ok")
        print(f"teacher generation: {n} prompts, latency {latency * 1000:.0f} ms, concurrency {concurrency}: "
              f"calls {calls:.2f} s (wall incl. set-up {took:.2f} s); ideal {ideal:.2f} s = {ideal / calls:.1%} of the "
              f"ideal rate ({ideal / took:.1%} on the wall clock); {ok} answered, ledger and cache written")
    finally:
        server.terminate()
        server.wait()


def _filters_child(n: int) -> None:
    import tracemalloc

    from advisor.distill.config import Filters
    from advisor.distill.filters import FilterChain, run_filters
    from advisor.distill.prompts import iter_jsonl

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "generated.jsonl"
        with open(src, "w", encoding="utf-8") as fh:
            for i in range(n):
                fh.write(json.dumps({"id": f"r{i}", "system": "You route tickets.",
                                     "messages": [{"role": "user", "content": f"Ticket {i}: invoice {i * 7} is wrong"}],
                                     "gold": None, "source": f"p:{i}", "answer": f"Answer: billing-{i % 5} " + "x" * 200,
                                     "stop_reason": "stop", "output_tokens": 60}) + "\n")
        base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        started = time.perf_counter()
        chain = FilterChain(Filters(regex="^Answer", max_chars=4000), tmp, tmp)
        result = run_filters(iter_jsonl(src), chain, tmp / "kept.jsonl", tmp / "dropped.jsonl")
        took = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"n": n, "kept": result.kept, "seconds": round(took, 2), "peak_heap_kb": peak // 1024,
                          "rss_growth_kb": rss - base_rss, "rss_kb": rss, "per_second": round(n / took)}))


def bench_filters(sizes: list[int]) -> None:
    for n in sizes:
        out = subprocess.run([sys.executable, __file__, "--filters-child", str(n)], capture_output=True, text=True,
                             cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
        if out.returncode != 0:
            print(out.stderr)
            continue
        fig = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"filters: {fig['n']:>6} records in {fig['seconds']:.2f} s ({fig['per_second']:,}/s), peak Python heap "
              f"{fig['peak_heap_kb']:,} KiB, process peak RSS {fig['rss_kb'] // 1024:,} MiB "
              f"(+{fig['rss_growth_kb']:,} KiB during the filters)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--filters-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.filters_child:
        _filters_child(args.filters_child)
        return 0
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    bench_generation(args.prompts, args.latency, args.concurrency)
    bench_filters([int(x) for x in args.sizes.split(",")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
