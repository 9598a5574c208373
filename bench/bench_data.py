"""Benchmark ``advisor data validate``: speed against a bare ``json.loads`` loop, and peak memory.

Usage::

    python bench/bench_data.py                 # 10,000 records built from the TAT-QA files (seconds)
    python bench/bench_data.py --size-mb 1024  # also the peak-memory run on a ~1 GB file (minutes)
    ADVISOR_BENCH_SIZE_MB=1024 python bench/bench_data.py

Figures printed:
* CPU time to validate 10,000 records, CPU time of ``for line in f: json.loads(line)`` over the same file,
  and their ratio (target: at most 1.5);
* with ``--size-mb N``: the peak resident memory of a fresh process validating an N-MB file, and of a
  fresh process that only imports the tool, so the difference is the validator's own (target: flat,
  under 200 MB).

Records are built from ``../shared/data/tatqa`` (CC BY 4.0) with ``advisor data convert --from tatqa``;
copies get a numbered question suffix so they are distinct records, not duplicates.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TATQA = Path(os.environ.get("ADVISOR_TATQA_DIR", ROOT.parent / "shared" / "data" / "tatqa"))


def base_records() -> list[dict]:
    from advisor.datasets.convert import convert

    lines: list[str] = []
    for name in ("tatqa_dataset_dev.json", "tatqa_dataset_test_gold.json"):
        out = io.StringIO()
        convert(TATQA / name, "tatqa", "openai", out)  # no Bedrock filter needed: every TAT-QA record fits
        lines += out.getvalue().splitlines()
    records = []
    for line in lines:
        messages = json.loads(line)["messages"]
        system = messages[0]["content"] if messages[0]["role"] == "system" else None
        turns = [m for m in messages if m["role"] != "system"]
        record = {"system": system, "messages": turns} if system else {"messages": turns}
        records.append(record)
    return records


def write_dataset(path: Path, records: list[dict], count: int | None = None, size_bytes: int | None = None) -> int:
    """Write distinct records (cycling through ``records``) until ``count`` lines or ``size_bytes``."""
    written = size = 0
    with open(path, "w", encoding="utf-8") as out:
        while (count is None or written < count) and (size_bytes is None or size < size_bytes):
            base = records[written % len(records)]
            copy = written // len(records)
            messages = [dict(m) for m in base["messages"]]
            if copy:
                messages[0]["content"] += f" (copy {copy})"
            record = dict(base, messages=messages)
            line = json.dumps(record, ensure_ascii=False) + "\n"
            out.write(line)
            size += len(line.encode("utf-8"))
            written += 1
    return written


# CPU time of this process, not wall time: the figure should not depend on what else the machine runs
clock = time.process_time


def bare_loop(path: Path) -> float:
    start = clock()
    with open(path, "rb") as f:
        for line in f:
            json.loads(line)
    return clock() - start


def validate_time(path: Path) -> tuple[float, object]:
    from advisor.datasets.catalogue import dataset_model
    from advisor.datasets.validate import validate_dataset
    from advisor.knowledge import load_rulebase

    model = dataset_model(load_rulebase())
    start = clock()
    report = validate_dataset(path, None, model)
    return clock() - start, report


_PEAK = """
import resource, sys
sys.path.insert(0, {root!r})
from advisor.datasets.catalogue import dataset_model
from advisor.datasets.validate import validate_dataset
from advisor.knowledge import load_rulebase
model = dataset_model(load_rulebase())
if {run!r}:
    report = validate_dataset({path!r}, None, model)
    print(report.files[0].records, report.log.errors, report.log.warnings, file=sys.stderr)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_mb(path: Path, run: bool) -> float:
    code = _PEAK.format(root=str(ROOT), path=str(path), run=run)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    if done.stderr.strip():
        print(f"    (records, errors, warnings: {done.stderr.strip()})")
    return int(done.stdout.strip().splitlines()[-1]) / 1024  # ru_maxrss is KiB on Linux


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="timing runs; the best is reported")
    parser.add_argument("--size-mb", type=int, default=int(os.environ.get("ADVISOR_BENCH_SIZE_MB", "0")),
                        help="also measure peak memory on a file of this many MB (0 = skip)")
    args = parser.parse_args(argv)

    records = base_records()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.jsonl"
        n = write_dataset(path, records, count=args.records)
        size = path.stat().st_size
        bares, timed = [], []
        for _ in range(args.repeat):  # interleaved, so a busy machine slows both alike
            bares.append(bare_loop(path))
            timed.append(validate_time(path))
        bare = min(bares)
        best, report = min(timed, key=lambda t: t[0])
        print(f"validate {n:,} records ({size / 1e6:.1f} MB, from {len(records):,} TAT-QA questions)")
        print(f"  bare json.loads loop : {bare * 1000:8.1f} ms CPU")
        print(f"  advisor validate     : {best * 1000:8.1f} ms CPU  ({report.log.errors} errors, "
              f"{report.log.warnings} warnings)")
        print(f"  ratio                : {best / bare:8.2f}x  (target <= 1.5x)")
        if args.size_mb:
            big = Path(tmp) / "big.jsonl"
            m = write_dataset(big, records, size_bytes=args.size_mb * 1024 * 1024)
            print(f"peak memory, {big.stat().st_size / 1e6:,.0f} MB file, {m:,} records")
            baseline = peak_rss_mb(big, run=False)
            peak = peak_rss_mb(big, run=True)
            print(f"  import only          : {baseline:8.1f} MB")
            print(f"  validate             : {peak:8.1f} MB  (validator's own: {peak - baseline:.1f} MB; "
                  "target < 200 MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
