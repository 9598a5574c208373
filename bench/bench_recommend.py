"""Benchmark: `advisor recommend --format json` and `advisor rules check` wall time.

Prints the median wall time of a headless recommendation against a bare
`python -c "import pydantic, yaml"` on the same machine (target: at most 1.5x), and the time of
`rules check` (target: under 1 s). Run: python bench/bench_recommend.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "support-classifier.yaml"


def wall(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    py = sys.executable
    wall([py, "-c", "pass"], 2)  # warm the file cache
    baseline = wall([py, "-c", "import pydantic, yaml"], args.runs)
    # What any pydantic-validated command pays before doing anything: BaseModel's machinery is imported
    # lazily, so `import pydantic` alone does not include it.
    floor = wall([py, "-c", "import yaml\nfrom pydantic import BaseModel\nclass M(BaseModel):\n    x: int\nM(x=1)"],
                 args.runs)
    recommend = wall([py, "-m", "advisor", "recommend", "--answers", str(EXAMPLE), "--format", "json"], args.runs)
    check_cli = wall([py, "-m", "advisor", "rules", "check"], max(3, args.runs // 3))

    from advisor.verify import check_rulebase

    start = time.perf_counter()
    check_rulebase()
    check_inproc = time.perf_counter() - start

    print(f"python -c 'import pydantic, yaml'     {baseline * 1000:8.1f} ms (median of {args.runs})")
    print(f"one pydantic model, validated         {floor * 1000:8.1f} ms  ratio {floor / baseline:.2f}x (floor)")
    print(f"advisor recommend --format json       {recommend * 1000:8.1f} ms  ratio {recommend / baseline:.2f}x "
          f"(target <= 1.5x)")
    print(f"advisor rules check (whole process)   {check_cli * 1000:8.1f} ms  (target < 1000 ms)")
    print(f"rules check (in process, warm import) {check_inproc * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
