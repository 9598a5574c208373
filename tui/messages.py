"""What the screens tell the app. Screens read the app's session and post these; the app decides.

Each message is a dataclass; the app handles it in ``on_<snake_case_name>`` (Textual's naming).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.message import Message

__all__ = ["AnswerGiven", "AnswerChanged", "GoBack", "ShowCurrent", "ResultRequested", "ExportRequested",
           "QuestionShown", "ResultShown", "LaunchRequested"]


@dataclass
class AnswerGiven(Message):
    """The user answered the question on screen."""

    question_id: str
    value: Any


@dataclass
class AnswerChanged(Message):
    """The user changed an earlier answer on the review screen (confirmed when it clears others)."""

    question_id: str
    value: Any
    cleared: int = 0  # how many dependent answers the change clears


@dataclass
class GoBack(Message):
    """Undo the last answer and ask that question again."""


@dataclass
class ShowCurrent(Message):
    """Leave this screen (review, early result) for whatever the session asks for now.

    An early result (opened with F4 while plan questions are open) stays on top unless ``leave_result``.
    """

    leave_result: bool = False


@dataclass
class ResultRequested(Message):
    """Show the result now (the path is settled; plan questions may follow later)."""


@dataclass
class ExportRequested(Message):
    """Write the recommendation in ``fmt`` to ``path``."""

    fmt: str
    path: Path


@dataclass
class QuestionShown(Message):
    """A question is on screen (tests and the start-up benchmark follow these)."""

    question_id: str


@dataclass
class ResultShown(Message):
    """The result screen shows the recommendation for ``path``."""

    path: str | None


@dataclass
class LaunchRequested(Message):
    """Open the Launch screen for ``path`` (the recommended one)."""

    path: str
