"""One way to show a value to a person, used by every report format and every TUI screen.

* nothing answered: ``(not answered)``; the "not sure" answer: ``not sure``
* booleans: ``yes`` / ``no``; a choice: its label when the labels are given
* whole numbers with thousands separators (``2,400``); other numbers with two decimals (``12,345.50``),
  or as written below one (``0.0004``)
* money in US dollars (:func:`money`), counts rounded to whole numbers (:func:`number`)
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

__all__ = ["NOT_ANSWERED", "UNSURE", "UNSURE_LABEL", "show", "money", "number", "markdown_inline"]

# The canonical "not sure" answer (advisor.answers.UNSURE; a test keeps the two equal). Repeated here so
# this module depends on nothing: the engine, the reports and the TUI can all use it.
UNSURE = "unsure"
UNSURE_LABEL = "not sure"
NOT_ANSWERED = "(not answered)"


def show(value: Any, labels: Mapping[str, str] | None = None) -> str:
    """``value`` as a person reads it; ``labels`` maps choice ids to the labels the user picked from."""
    if value is None:
        return NOT_ANSWERED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        if value == UNSURE:
            return UNSURE_LABEL
        return labels.get(value, value) if labels else value
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):  # the number questions are amounts in dollars: cents, or small figures whole
        return f"{value:,.2f}" if abs(value) >= 1 or value == 0 else f"{value:g}"
    return str(value)


def money(value: float | None, precise: bool = False) -> str:
    """US dollars: cents for totals, up to six decimals for per-request figures below a dollar."""
    if value is None:
        return "n/a"
    if precise and 0 < abs(value) < 1:
        return f"${value:.6f}".rstrip("0").rstrip(".")
    return f"${value:,.2f}"


def number(value: float | None) -> str:
    """A count rounded to a whole number, with thousands separators."""
    return "n/a" if value is None else f"{value:,.0f}"


def markdown_inline(text: Any) -> str:
    """User text made inert in Markdown: HTML escaped, markup characters backslash-escaped, one line."""
    out = html.escape(str(text), quote=False)
    for ch in "\\`*_[]|":
        out = out.replace(ch, "\\" + ch)
    return out.replace("\r", " ").replace("\n", " ")
