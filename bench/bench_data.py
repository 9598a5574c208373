"""Benchmark ``advisor data validate`` as a whole command against a bare ``json.loads`` loop script.

Usage::

    python bench/bench_data.py                       # 10,000 records; memory at 10,000 and 100,000 records
    python bench/bench_data.py --runs 15 --big 300000

What it prints (figures only; nothing is asserted):

* wall time of ``python -m advisor data validate FILE`` (start-up, catalogue and all) and of a fresh
  ``python bare_loop.py FILE`` that only does ``for line in f: json.loads(line)``: anchor and project
  runs alternate, one after the other, so drift on a busy machine hits both alike; the medians and
  their ratio are printed (goal: at most 1.5x);
* peak resident memory (``ru_maxrss`` of each command, from ``os.wait4`` in a small shim) of the command and of the bare
  loop at two sizes, and the command's growth per record between them.

Records come from TAT-QA (CC BY 4.0), converted with ``advisor data convert --from tatqa``; it is looked
for at ``../shared/data/tatqa`` beside the repository (or ``$ADVISOR_TATQA_DIR``). Without it that part
is skipped with a message and synthetic question/answer records of similar size are used instead.
Copies get a numbered suffix so they are distinct records, not duplicates. The first project run
(not timed) fills the catalogue cache, as any user's first run does.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TATQA = Path(os.environ.get("ADVISOR_TATQA_DIR", ROOT.parent / "shared" / "data" / "tatqa"))
BARE = "import json, sys\nwith open(sys.argv[1], 'rb') as f:\n    for line in f:\n        json.loads(line)\n"


def base_records() -> tuple[list[dict], str]:
    """Clean Claude-format records, and where they came from."""
    files = [TATQA / name for name in ("tatqa_dataset_dev.json", "tatqa_dataset_test_gold.json")]
    if not all(f.is_file() for f in files):
        print(f"TAT-QA not found at {TATQA}: skipping the TAT-QA records; using synthetic records instead")
        records = []
        for i in range(2000):
            question = f"Table row {i}: revenue {i * 13 % 997} and cost {i * 7 % 991}. " * 20
            records.append({"system": "You are a financial analyst.",
                            "messages": [{"role": "user", "content": question + "What is the margin?"},
                                         {"role": "assistant", "content": f"<answer>{i % 97}</answer>"}]})
        return records, "synthetic records"
    from advisor.datasets.convert import convert

    records = []
    for path in files:
        out = io.StringIO()
        convert(path, "tatqa", "bedrock", out)
        records += [json.loads(line) for line in out.getvalue().splitlines()]
    return records, f"{len(records):,} TAT-QA questions"


def write_dataset(path: Path, records: list[dict], count: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for written in range(count):
            base = records[written % len(records)]
            copy = written // len(records)
            messages = [dict(m) for m in base["messages"]]
            if copy:
                messages[0]["content"] += f" (copy {copy})"
            out.write(json.dumps(dict(base, messages=messages), ensure_ascii=False) + "\n")


# A child's ru_maxrss starts from the RSS of the process it was forked (or vforked) from, so spawning
# straight from this process, which holds the records, would inflate every figure. A small shim process
# starts the command from a fresh fork and reports the command's own figures.
SHIM = """
import os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss,
      os.waitstatus_to_exitcode(status))
"""


def run(cmd: list[str], env: dict) -> tuple[float, float, int, float]:
    """(wall seconds, peak RSS in MB, exit code, CPU seconds) of one fresh process running ``cmd``."""
    done = subprocess.run([sys.executable, "-c", SHIM, *cmd], capture_output=True, text=True, env=env, check=True)
    elapsed, cpu, rss_kb, code = done.stdout.split()
    return float(elapsed), int(rss_kb) / 1024, int(code), float(cpu)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000, help="records for the timing (default 10,000)")
    parser.add_argument("--runs", type=int, default=11, help="alternating anchor/project pairs (default 11)")
    parser.add_argument("--big", type=int, default=100_000, help="second size for the memory figure")
    args = parser.parse_args(argv)

    records, origin = base_records()
    with tempfile.TemporaryDirectory() as tmp:
        # bytecode as an installed package has it: compiled once (into a temporary prefix, so the checkout
        # stays clean), even where the environment sets PYTHONDONTWRITEBYTECODE
        env = dict(os.environ, ADVISOR_CACHE_DIR=str(Path(tmp) / "cache"), PYTHONPATH=str(ROOT),
                   PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        bare = Path(tmp) / "bare_loop.py"
        bare.write_text(BARE, encoding="utf-8")
        path = Path(tmp) / "bench.jsonl"
        write_dataset(path, records, args.records)
        anchor_cmd = [sys.executable, str(bare), str(path)]
        project_cmd = [sys.executable, "-m", "advisor", "data", "validate", str(path)]
        _, _, code, _ = run(project_cmd, env)  # warm-up: fills the catalogue cache
        if code not in (0, 1):
            print(f"advisor data validate exited {code}; is the package importable from {ROOT}?")
            return 2
        anchors, projects = [], []
        for _ in range(args.runs):
            anchors.append(run(anchor_cmd, env))
            projects.append(run(project_cmd, env))
        print(f"data validate, {args.records:,} records ({path.stat().st_size / 1e6:.1f} MB, from {origin}); "
              f"{args.runs} alternating runs each, whole commands (start-up included)")
        for label, index in (("wall time", 0), ("CPU time (user + system)", 3)):
            a = statistics.median(r[index] for r in anchors)
            p = statistics.median(r[index] for r in projects)
            print(f"  {label}")
            print(f"    anchor  python bare_loop.py (json.loads per line) : median {a * 1000:7.1f} ms")
            print(f"    project advisor data validate                    : median {p * 1000:7.1f} ms")
            print(f"    ratio                                            : {p / a:7.2f}x  (goal <= 1.5x)")

        one = Path(tmp) / "one.jsonl"
        write_dataset(one, records, 1)
        starts = [(run([sys.executable, str(bare), str(one)], env)[3],
                   run([sys.executable, "-m", "advisor", "data", "validate", str(one)], env)[3])
                  for _ in range(args.runs)]
        a1 = statistics.median(s[0] for s in starts)
        p1 = statistics.median(s[1] for s in starts)
        print(f"  start-up alone (1-record file, CPU): anchor {a1 * 1000:.1f} ms, project {p1 * 1000:.1f} ms "
              f"(+{(p1 - a1) * 1000:.1f} ms: importing and building advisor's command line, reading the "
              "cached catalogue)")

        print("peak memory (ru_maxrss), whole commands")
        peaks = {}
        for n in (args.records, args.big):
            sized = Path(tmp) / f"mem-{n}.jsonl"
            if n != args.records:
                write_dataset(sized, records, n)
            else:
                sized = path
            anchor_mb = run([sys.executable, str(bare), str(sized)], env)[1]
            project_mb = run([sys.executable, "-m", "advisor", "data", "validate", str(sized)], env)[1]
            flat_mb = run([sys.executable, "-m", "advisor", "data", "validate", "--no-duplicate-check",
                           str(sized)], env)[1]
            peaks[n] = project_mb
            print(f"  {n:>9,} records: anchor {anchor_mb:6.1f} MB   validate {project_mb:6.1f} MB   "
                  f"validate --no-duplicate-check {flat_mb:6.1f} MB")
            if n != args.records:
                sized.unlink()
        small, big = args.records, args.big
        if big != small:
            per = (peaks[big] - peaks[small]) * 1024 * 1024 / (big - small)
            print(f"  growth of validate: {per:,.0f} bytes a record (duplicate/leakage digests; "
                  "flat with --no-duplicate-check)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
