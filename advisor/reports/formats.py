"""The one registry of report formats: name, file extension and renderer of each.

``advisor recommend --format``, the TUI's export dialog and anything else that offers formats read
:data:`FORMATS`; adding a format here adds it everywhere. Every renderer takes the Recommendation and
the rule base it was made with and returns text ending in a newline.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.errors import UsageError
from advisor.reports.text import render_text

if TYPE_CHECKING:
    from advisor.engine.recommendation import Recommendation
    from advisor.knowledge.loader import RuleBase

__all__ = ["ReportFormat", "FORMATS", "register", "format_names", "get_format", "render_report", "write_report"]

Renderer = Callable[["Recommendation", "RuleBase"], str]


@dataclass(frozen=True)
class ReportFormat:
    """One output format: its name on the command line, its file extension, and how to render it."""

    name: str
    extension: str  # without the leading dot, e.g. "md" or "adr.md"
    description: str
    render: Renderer

    def file_name(self, stem: str) -> str:
        return f"{stem}.{self.extension}"


FORMATS: dict[str, ReportFormat] = {}


def register(fmt: ReportFormat) -> ReportFormat:
    """Add ``fmt`` to the registry (a name is registered once)."""
    if fmt.name in FORMATS:
        raise ValueError(f"report format {fmt.name!r} is already registered")
    FORMATS[fmt.name] = fmt
    return fmt


def format_names() -> tuple[str, ...]:
    """The registered format names, in the order they were registered (the first is the default)."""
    return tuple(FORMATS)


def get_format(name: str) -> ReportFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise UsageError(f"unknown report format {name!r} (choose from {', '.join(FORMATS)})") from None


def render_report(rec: Recommendation, fmt: str, rulebase: RuleBase) -> str:
    """The recommendation in the registered format ``fmt``."""
    return get_format(fmt).render(rec, rulebase)


def write_report(rec: Recommendation, fmt: str, rulebase: RuleBase, path: Path) -> Path:
    """Render ``rec`` in ``fmt`` and write it to ``path`` (parent folders created); OSError on failure."""
    text = render_report(rec, fmt, rulebase)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _text(rec: Recommendation, rulebase: RuleBase) -> str:
    return render_text(rec)


def _json(rec: Recommendation, rulebase: RuleBase) -> str:
    return json.dumps(rec.contract_json(), indent=2, ensure_ascii=False) + "\n"


def _template(fmt: str) -> Renderer:
    def render(rec: Recommendation, rulebase: RuleBase) -> str:
        # Jinja2, the engine's clock and the charts load only when a document is rendered.
        try:
            import jinja2  # noqa: F401
        except ImportError:
            raise UsageError(f"the {fmt} report is not available in this build (Jinja2 is not installed); "
                             "use --format text or json") from None
        from advisor.reports.render import render as render_template

        return render_template(rec, fmt, rulebase)

    render.__name__ = f"render_{fmt}"
    return render


register(ReportFormat("text", "txt", "plain text for the terminal", _text))
register(ReportFormat("json", "json", "the recommendation as JSON (recommendation.schema.json)", _json))
register(ReportFormat("markdown", "md", "a Markdown report", _template("markdown")))
register(ReportFormat("html", "html", "a self-contained HTML report with charts", _template("html")))
register(ReportFormat("adr", "adr.md", "an architecture decision record (MADR)", _template("adr")))
