"""Helpers to drive the interview with real key presses (Textual's pilot)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("textual")

from advisor.cli.interview import prepare  # noqa: E402
from advisor.session import UNSURE  # noqa: E402

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


def make_app(answers: str | None = None):
    from tui.app import AdvisorApp

    app = AdvisorApp(prepare(answers, None), cursor_blink=False)
    app.animation_level = "none"
    return app


def screen_text(app) -> str:
    """What the terminal shows, as plain text (trailing spaces removed)."""
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips()) + "\n"


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


async def drive(pilot, answers: dict[str, Any], stop_after: int | None = None) -> list[str]:
    """Answer questions as the engine asks them until it has none left; returns the ids asked."""
    app = pilot.app
    asked = []
    while (qid := app.session.current_question()) is not None:
        if stop_after is not None and len(asked) >= stop_after:
            break
        view = app.session.view(qid)
        if qid in answers:
            value = answers[qid]
        elif view.type == "bool":
            value = True
        elif view.type == "choice":
            value = view.choices[0][0]
        elif view.allows_unsure:
            value = UNSURE  # extra plan questions (costs, volumes): "not sure" is always valid
        else:
            value = plan_default(view)
        await answer_current(pilot, value)
        asked.append(qid)
        assert len(asked) < 40, "the interview does not end"
    return asked


def plan_default(view) -> Any:
    """A valid typed answer for a plan question the test does not care about."""
    value = PLAN_DEFAULTS[view.type]
    if view.type in ("int", "number") and view.maximum is not None:
        value = min(value, int(view.maximum) if view.type == "int" else view.maximum)
    return value


def saved(path: str | Path = "advisor-answers.yaml") -> dict:
    import yaml

    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))["answers"]
