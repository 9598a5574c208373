"""Benchmark: the size of a fresh ``pip install .`` (prints figures; asserts nothing).

Creates a new virtual environment in a temporary folder, installs this checkout into it with pip
(dependencies from the configured package index) and prints the size of its site-packages (goal:
at most 100 MB) with the biggest installed distributions. Pip itself and setuptools, which every new
environment carries, are listed but not counted. Run: ``python bench/bench_install.py [--keep DIR]``.
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

REPO = Path(__file__).resolve().parent.parent
BASE = {"pip", "setuptools", "wheel", "_distutils_hack", "distutils-precedence.pth"}

# Run inside the new environment: bytes on disk per distribution, from each one's RECORD.
MEASURE = r"""
import json, os, sys, sysconfig
from importlib import metadata
site = sysconfig.get_paths()["purelib"]
sizes, owned = {}, set()
for dist in metadata.distributions(path=[site]):
    total = 0
    for f in dist.files or []:
        path = os.path.normpath(os.path.join(site, f))
        if path in owned or not os.path.isfile(path):
            continue
        owned.add(path)
        total += os.path.getsize(path)
    sizes[dist.metadata["Name"]] = sizes.get(dist.metadata["Name"], 0) + total
everything = 0
for root, _, files in os.walk(site):
    for name in files:
        path = os.path.join(root, name)
        if not os.path.islink(path):
            everything += os.path.getsize(path)
print(json.dumps({"site": site, "total": everything, "unowned": everything - sum(sizes.values()), "sizes": sizes}))
"""


def mb(n: int) -> str:
    return f"{n / 1e6:7.1f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build the environment here and keep it")
    parser.add_argument("--top", type=int, default=15, help="how many of the biggest distributions to list")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env_dir = args.keep or Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
        python = env_dir / "bin" / "python"
        started = time.perf_counter()
        result = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                 str(REPO)], capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            print(result.stdout[-3000:], result.stderr[-3000:], sep="\n", file=sys.stderr)
            print("pip install . failed", file=sys.stderr)
            return 1
        smoke = subprocess.run([str(env_dir / "bin" / "advisor"), "recommend", "--answers",
                                str(REPO / "examples" / "support-classifier.yaml"), "--format", "json"],
                               capture_output=True, text=True, env=dict(os.environ, ADVISOR_CACHE_DIR=""))
        report = json.loads(subprocess.run([str(python), "-c", MEASURE], check=True, capture_output=True,
                                           text=True).stdout)
    sizes: dict[str, int] = report["sizes"]
    base = sum(size for name, size in sizes.items() if name.lower() in BASE)
    counted = report["total"] - base
    print(f"pip install . into a fresh venv: {seconds:.0f} s; `advisor recommend` in it exits {smoke.returncode}")
    print(f"site-packages: {mb(counted)} for advisor and its dependencies (goal <= 100 MB); "
          f"{mb(report['total'])} with pip/setuptools; {len(sizes)} distributions")
    print(f"biggest {args.top}:")
    for name, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:args.top]:
        note = "  (comes with every venv, not counted)" if name.lower() in BASE else ""
        print(f"  {name:28s} {mb(size)}{note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
