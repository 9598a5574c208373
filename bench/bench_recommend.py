"""Benchmark: `advisor recommend --format json` and `advisor rules check` wall time.

Prints the median wall time (and CPU time) of a headless recommendation against a bare
`python -c "import pydantic, yaml"` on the same machine (target: at most 1.5x), and the time of
`rules check` (target: under 1 s). Every round runs the anchor and each command once, in turn, so
drift on a shared machine moves them alike. The recommendation is timed with the validated rule
base cache warm (what a user gets from the second run on) and with the cache turned off.
On a busy machine wall and even CPU times swing by a third; ``--instructions`` also counts the
instructions each command executes under valgrind's cachegrind (slow, but the same on any load).
Run: python bench/bench_recommend.py [--runs N] [--instructions]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "support-classifier.yaml"


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def instructions(cmd: list[str], env: dict[str, str]) -> int | None:
    """Instructions executed by ``cmd`` (valgrind cachegrind), or None without valgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    result = subprocess.run([valgrind, "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                             *cmd], cwd=REPO, env=dict(env, PYTHONHASHSEED="0"), capture_output=True, text=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    return int(found.group(1).replace(",", "")) if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--instructions", action="store_true", help="also count instructions with valgrind")
    args = parser.parse_args()
    py = sys.executable
    recommend = [py, "-m", "advisor", "recommend", "--answers", str(EXAMPLE), "--format", "json"]
    with tempfile.TemporaryDirectory() as cache:
        warm = dict(os.environ, ADVISOR_CACHE_DIR=cache)
        cold = dict(os.environ, ADVISOR_CACHE_DIR="")
        commands = {
            "anchor": ([py, "-c", "import pydantic, yaml"], warm),
            # What any pydantic-validated command pays before doing anything: BaseModel's machinery is
            # imported lazily, so `import pydantic` alone does not include it.
            "floor": ([py, "-c",
                       "import yaml\nfrom pydantic import BaseModel\nclass M(BaseModel):\n    x: int\nM(x=1)"], warm),
            "recommend": (recommend, warm),
            "recommend_cold": (recommend, cold),
        }
        for cmd, env in commands.values():  # warm the file cache, the .pyc files and the rule base cache
            run(cmd, env)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (cmd, env) in commands.items():
                wall, cpu = run(cmd, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
        checks = [run([py, "-m", "advisor", "rules", "check"], warm)[0] for _ in range(max(3, args.runs // 3))]
        counts = ({name: instructions(cmd, env) for name, (cmd, env) in commands.items()}
                  if args.instructions else {})

    sys.path.insert(0, str(REPO))
    from advisor.verify import check_rulebase

    start = time.perf_counter()
    check_rulebase()
    check_inproc = time.perf_counter() - start

    wall = {name: statistics.median(v) for name, v in walls.items()}
    cpu = {name: statistics.median(v) for name, v in cpus.items()}
    labels = {"anchor": "python -c 'import pydantic, yaml'", "floor": "one pydantic model, validated",
              "recommend": "advisor recommend --format json", "recommend_cold": "  the same, rule base cache off"}
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, Python {sys.version.split()[0]}; "
          f"medians of {args.runs} alternating rounds")
    for name, label in labels.items():
        note = {"floor": " (floor)", "recommend": " (target <= 1.5x)"}.get(name, "")
        print(f"{label:38s} wall {wall[name] * 1000:6.1f} ms  ratio {wall[name] / wall['anchor']:.2f}x   "
              f"cpu {cpu[name] * 1000:6.1f} ms  ratio {cpu[name] / cpu['anchor']:.2f}x{note}")
    if counts and all(counts.values()):
        print("instructions (valgrind cachegrind, independent of the machine's load):")
        for name, label in labels.items():
            print(f"{label:38s} {counts[name] / 1e6:8.0f} M   ratio {counts[name] / counts['anchor']:.2f}x")
    elif args.instructions:
        print("instructions: valgrind is not installed (apt-get install valgrind), not counted")
    print(f"{'advisor rules check (whole process)':38s} wall {statistics.median(checks) * 1000:6.1f} ms  "
          "(target < 1000 ms)")
    print(f"{'rules check (in process, warm import)':38s} wall {check_inproc * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
