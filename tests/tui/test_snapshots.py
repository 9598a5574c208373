"""Snapshots of the key screens as text (what a reader sees) and SVG (layout), at fixed sizes.

Cursor blink and animations are off and the date is fixed. After an intended change to a screen or to
the shipped rule base, review and refresh with ``pytest tests/tui --snapshot-update``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.tui.helpers import PATHS, answers_file, drive, make_app, screen_text

pytest.importorskip("pytest_snapshot")

SMALL, LARGE = (80, 24), (120, 40)


def svg(app) -> str:
    # Textual names CSS classes after a hash of the content; keep the file stable and diffable.
    return stable(re.sub(r"terminal-\d+", "terminal", app.export_screenshot(title="advisor")))


def stable(text: str) -> str:
    """The rule base's content hash changes with every edit to rules/; the snapshots show its place only."""
    return re.sub(r"sha256:[0-9a-f]{16}", "sha256:<hash>", text)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
async def test_question_screen(snapshot, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await drive(pilot, PATHS["bedrock_fine_tune"], stop_after=1)
        await pilot.pause()
        snapshot.assert_match(stable(screen_text(app)), f"question-{size[0]}x{size[1]}.txt")
        if size == SMALL:
            snapshot.assert_match(svg(app), "question-80x24.svg")


async def test_why_panel(snapshot):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        snapshot.assert_match(stable(screen_text(app)), "why-80x24.txt")


async def test_review_screen(snapshot):
    # The first four answers on the way to stay_on_prompts, resumed from the file the interview saves.
    Path("advisor-answers.yaml").write_text(yaml.safe_dump({"answers": PATHS["stay_on_prompts"]}, sort_keys=False))
    app = make_app("advisor-answers.yaml")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        app.clear_notifications()
        await pilot.press("ctrl+r")
        await pilot.pause()
        snapshot.assert_match(stable(screen_text(app)), "review-80x24.txt")


async def test_result_screen(snapshot):
    # The answers a person gives by keys (tests/tui/test_interview.py does that), saved and resumed.
    app = make_app(answers_file(PATHS["distill"])[0])
    async with app.run_test(size=LARGE) as pilot:
        await pilot.pause()
        app.clear_notifications()  # "Resumed N answers" would cover part of the screen
        await pilot.pause()
        snapshot.assert_match(stable(screen_text(app)), "result-120x40.txt")
        snapshot.assert_match(svg(app), "result-120x40.svg")
        # The whole result, not only the first screenful: every section's text.
        sections = [str(w.render()) for w in app.screen.query(".section-title, .section")]
        snapshot.assert_match(stable("\n".join(sections) + "\n"), "result-full.txt")


async def test_light_theme_question(snapshot):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        assert not app.current_theme.dark
        snapshot.assert_match(svg(app), "question-light-80x24.svg")
