"""Benchmark: `advisor recommend --format json` and `advisor rules check` wall time.

Prints the median wall time (and CPU time) of a headless recommendation against a bare
`python -c "import pydantic, yaml"` on the same machine (target: at most 1.5x), and the time of
`rules check` (target: under 1 s). Every round runs the anchor and each command once, in turn, so
drift on a shared machine moves them alike. The recommendation is timed with the validated rule
base cache warm (what a user gets from the second run on) and with the cache turned off.
Run: python bench/bench_recommend.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import resource
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
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
            "floor": ([py, "-c", "import yaml\nfrom pydantic import BaseModel\nclass M(BaseModel):\n    x: int\nM(x=1)"],
                      warm),
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
    print(f"{'advisor rules check (whole process)':38s} wall {statistics.median(checks) * 1000:6.1f} ms  "
          "(target < 1000 ms)")
    print(f"{'rules check (in process, warm import)':38s} wall {check_inproc * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
