"""Helpers to drive the interview with real key presses (Textual's pilot)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("textual")

from advisor.interview import prepare  # noqa: E402
from advisor.session import UNSURE  # noqa: E402
from tui.app import AdvisorApp  # noqa: E402

SIZE = (80, 24)

# Decision answers that lead to each of the six paths (rules/decision.yaml).
PATHS: dict[str, dict[str, Any]] = {
    "rag": {"gap_is_factual_recall": True},
    "few_shot": {"gap_is_factual_recall": False, "few_shot_examples_tried": 5},
    "build_evals": {"gap_is_factual_recall": False, "few_shot_examples_tried": 30,
                    "gap_measured_with_evals": False},
    "stay_on_prompts": {"gap_is_factual_recall": False, "few_shot_examples_tried": 30,
                        "gap_measured_with_evals": True, "volume_justifies_setup": False},
    "distill": {"gap_is_factual_recall": False, "few_shot_examples_tried": 30, "gap_measured_with_evals": True,
                "volume_justifies_setup": True, "open_weights_viable": True},
    "bedrock_fine_tune": {"gap_is_factual_recall": False, "few_shot_examples_tried": 30,
                          "gap_measured_with_evals": True, "volume_justifies_setup": True,
                          "open_weights_viable": False, "must_stay_on_claude": False},
}
PLAN_DEFAULTS = {"text": "Ticket triage", "int": 2400, "number": 1.5}


def make_app(answers: str | None = None) -> AdvisorApp:
    """An app that is not running yet, with the cursor still and no animations (stable snapshots)."""
    app = AdvisorApp(prepare(answers, None), cursor_blink=False)
    app.animation_level = "none"
    return app


def screen_text(app) -> str:
    """What the terminal shows, as plain text (trailing spaces removed)."""
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips()) + "\n"


async def wait_for_text(pilot, text: str, tries: int = 50) -> str:
    """The screen once it shows ``text`` (the footer paints a little after the first question)."""
    for _ in range(tries):
        shown = screen_text(pilot.app)
        if text in shown:
            return shown
        await pilot.pause(0.02)
    return screen_text(pilot.app)


async def choose(pilot, option_id: str, list_selector: str = "#answer-options") -> None:
    """Move the highlight to ``option_id`` with the arrow keys and press Enter."""
    olist = pilot.app.screen.query_one(list_selector)
    ids = [olist.get_option_at_index(i).id for i in range(olist.option_count)]
    await pilot.press("home", *["down"] * ids.index(option_id), "enter")
    await pilot.pause()


async def answer_current(pilot, value: Any) -> None:
    """Answer the question on screen the way a person would: arrows + Enter, or typing + Enter."""
    app = pilot.app
    view = app.session.view(app.session.current_question())
    if value == UNSURE and view.type not in ("bool", "choice"):
        await pilot.press("ctrl+n")
    elif view.type == "bool":
        await choose(pilot, value if value == UNSURE else ("yes" if value else "no"))
    elif view.type == "choice":
        await choose(pilot, value)
    else:
        await pilot.press("ctrl+u", *str(value), "enter")
    await pilot.pause()


def auto_answer(view, answers: dict[str, Any]) -> Any:
    """The answer ``drive`` gives: the one in ``answers``, else a valid default for the question."""
    if view.id in answers:
        return answers[view.id]
    if view.type == "bool":
        return True
    if view.type == "choice":
        return view.choices[0][0]
    if view.allows_unsure:
        return UNSURE  # extra plan questions (costs, volumes): "not sure" is always valid
    return plan_default(view)


async def drive(pilot, answers: dict[str, Any], stop_after: int | None = None) -> list[str]:
    """Answer questions by key presses as the engine asks them until it has none left; returns the ids asked."""
    app = pilot.app
    asked = []
    while (qid := app.session.current_question()) is not None:
        if stop_after is not None and len(asked) >= stop_after:
            break
        await answer_current(pilot, auto_answer(app.session.view(qid), answers))
        asked.append(qid)
        assert len(asked) < 40, "the interview does not end"
    return asked


def answers_file(answers: dict[str, Any], name: str = "advisor-answers.yaml") -> tuple[str, list[str]]:
    """Complete the interview without the interface, answering as ``drive`` would; save it to ``name``.

    Returns the file name and the question ids in the order the engine asked them. Tests that need a
    finished interview start from this file (the app opens the result) instead of pressing every key.
    """
    session = prepare(None, None).session
    asked = []
    while (qid := session.current_question()) is not None:
        session = session.answer(qid, auto_answer(session.view(qid), answers))
        asked.append(qid)
        assert len(asked) < 40, "the interview does not end"
    session.save(name)
    return name, asked


def decisions(asked: list[str]) -> list[str]:
    """The decision questions among ``asked``, in order (the cost numbers asked before the volume question are
    plan questions that can answer it)."""
    questions = prepare(None, None).session.engine.rulebase.questions
    return [q for q in asked if questions[q].role == "decision"]


def plan_default(view) -> Any:
    """A valid typed answer for a plan question the test does not care about."""
    value = PLAN_DEFAULTS[view.type]
    if view.type in ("int", "number") and view.maximum is not None:
        value = min(value, int(view.maximum) if view.type == "int" else view.maximum)
    return value


def saved(path: str | Path = "advisor-answers.yaml") -> dict:
    """The answers in the saved answers file."""
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))["answers"]
