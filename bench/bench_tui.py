"""Benchmark: launch to first question on screen (vs. a hello-world Textual app), and answer to next question.

Run: ``python bench/bench_tui.py [--runs N]``. Prints figures; asserts nothing (style.md: no timed tests).
Launch is measured as the wall time of a fresh Python process that imports everything, shows the first
screen headless at 80x24 and exits once that screen has been rendered; the hello-world app does the same
with one Static. The two launches alternate, run after run, so drift on a shared machine moves both
alike; medians are printed with their ratio. Answer-to-next-question is measured in-process with
Textual's pilot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HELLO = """
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static("Hello, world")
    def on_mount(self):
        self.call_after_refresh(self.exit)

Hello().run(headless=True, size=(80, 24))
"""

# The interview's preparation moves out of the CLI (issue 9); find it where it lives.
PREPARE = """
try:
    from advisor.interview import prepare
except ImportError:
    from advisor.cli.interview import prepare
"""

ADVISOR = PREPARE + """
from tui.app import AdvisorApp

app = AdvisorApp(prepare(None, None), exit_after_first_question=True)
app.run(headless=True, size=(80, 24))
assert app.shown, "no question was shown"
"""


def _launch(code: str, cwd: str) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of a fresh process running ``code``."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), ADVISOR_CACHE_DIR=os.path.join(cwd, ".cache"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


async def _answer_times(rounds: int) -> list[float]:
    sys.path.insert(0, str(ROOT))
    scope: dict = {}
    exec(PREPARE, scope)
    prepare = scope["prepare"]
    from tui.app import AdvisorApp

    times: list[float] = []
    for _ in range(rounds):
        app = AdvisorApp(prepare(None, None), cursor_blink=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            # yes/no (No), then a number (30), then yes/no again: time until the next id is on screen
            for keys in (("down", "enter"), ("3", "0", "enter"), ("enter",)):
                await pilot.press(*keys[:-1])
                shown = len(app.shown)
                start = time.perf_counter()
                await pilot.press(keys[-1])
                while len(app.shown) == shown:
                    await asyncio.sleep(0.001)
                await pilot.pause()  # until the new question has been painted
                times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cwd:  # answers files land here, not in the checkout
        _launch(HELLO, cwd), _launch(ADVISOR, cwd)  # warm the OS file cache and .pyc files
        hello, advisor = [], []
        for _ in range(args.runs):  # alternate, so drift moves anchor and project alike
            hello.append(_launch(HELLO, cwd))
            advisor.append(_launch(ADVISOR, cwd))
        os.chdir(cwd)
        os.environ["ADVISOR_CACHE_DIR"] = os.path.join(cwd, ".cache")
        answers = asyncio.run(_answer_times(max(1, args.runs // 2)))
    h, a = statistics.median(w for w, _ in hello), statistics.median(w for w, _ in advisor)
    hc, ac = statistics.median(c for _, c in hello), statistics.median(c for _, c in advisor)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, Python {sys.version.split()[0]}")
    print(f"launch to first screen, hello-world Textual app: median {h * 1000:.0f} ms over {args.runs} runs")
    print(f"launch to first question, advisor:              median {a * 1000:.0f} ms over {args.runs} runs")
    print(f"ratio advisor / hello world: {a / h:.2f}x (target <= 1.5x); "
          f"CPU time {ac * 1000:.0f} / {hc * 1000:.0f} ms: {ac / hc:.2f}x")
    print(f"answer to next question on screen: median {statistics.median(answers) * 1000:.0f} ms, "
          f"max {max(answers) * 1000:.0f} ms over {len(answers)} answers")


if __name__ == "__main__":
    main()
