"""Benchmark: launch to first question on screen (vs. a hello-world Textual app), and answer to next question.

Run: ``python bench/bench_tui.py [--runs N]``. Prints figures; asserts nothing (style.md: no timed tests).
Launch is measured as the wall time of a fresh Python process that imports everything, shows the first
screen headless at 80x24 and exits once that screen has been rendered; the hello-world app does the same
with one Static. Answer-to-next-question is measured in-process with Textual's pilot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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

ADVISOR = """
from advisor.cli.interview import prepare
from tui.app import AdvisorApp

app = AdvisorApp(prepare(None, None), exit_after_first_question=True)
app.run(headless=True, size=(80, 24))
assert app.shown, "no question was shown"
"""


def _launch(code: str, cwd: str) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


async def _answer_times(rounds: int) -> list[float]:
    sys.path.insert(0, str(ROOT))
    from advisor.cli.interview import prepare
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
        hello = [_launch(HELLO, cwd) for _ in range(args.runs)]
        advisor = [_launch(ADVISOR, cwd) for _ in range(args.runs)]
        os.chdir(cwd)
        answers = asyncio.run(_answer_times(max(1, args.runs // 2)))
    h, a = statistics.median(hello), statistics.median(advisor)
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"launch to first screen, hello-world Textual app: median {h * 1000:.0f} ms over {args.runs} runs")
    print(f"launch to first question, advisor:              median {a * 1000:.0f} ms over {args.runs} runs")
    print(f"ratio advisor / hello world: {a / h:.2f}x (target <= 1.5x)")
    print(f"answer to next question on screen: median {statistics.median(answers) * 1000:.0f} ms, "
          f"max {max(answers) * 1000:.0f} ms over {len(answers)} answers")


if __name__ == "__main__":
    main()
