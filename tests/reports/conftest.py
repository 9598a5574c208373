"""Shared fixtures for the report tests: one answers file per path, a fixed date, shipped prices."""

from __future__ import annotations

from pathlib import Path

import pytest

ANSWERS = Path(__file__).parent / "answers"
PATHS = ("rag", "few_shot", "build_evals", "stay_on_prompts", "distill", "bedrock_fine_tune")
TODAY = "2026-11-21"


@pytest.fixture(autouse=True)
def fixed_environment(monkeypatch):
    """Reports are deterministic only with a fixed date and the shipped prices."""
    monkeypatch.setenv("ADVISOR_TODAY", TODAY)
    monkeypatch.delenv("ADVISOR_PRICES", raising=False)


@pytest.fixture(scope="session")
def rulebase():
    from advisor.knowledge import load_rulebase

    return load_rulebase()


def recommend(rulebase, name: str, **extra):
    """The Recommendation for ``answers/<name>.yaml`` (plus ``extra`` answers), as the CLI makes it."""
    from advisor.answers import load_answers, validate_answers
    from advisor.engine import Engine

    answers = validate_answers(rulebase, load_answers(ANSWERS / f"{name}.yaml"))
    answers.update(extra)
    return Engine(rulebase).recommend(answers)
