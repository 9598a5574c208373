"""Reports for architects: Markdown, self-contained HTML and an ADR (MADR), all rendered from the one
:class:`~advisor.engine.recommendation.Recommendation` through Jinja2 templates.

The JSON format is ``Recommendation.contract_json()``; its JSON Schema ships beside this module as
``recommendation.schema.json`` (see :func:`schema_path`).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["REPORT_FORMATS", "render_report", "schema_path", "load_schema"]

REPORT_FORMATS = ("markdown", "html", "adr")


def render_report(rec, fmt: str, rulebase) -> str:
    """The recommendation as a ``markdown``, ``html`` or ``adr`` document (text ending in a newline)."""
    from advisor.reports.render import render

    return render(rec, fmt, rulebase)


def schema_path() -> Path:
    """Where the JSON Schema of ``recommend --format json`` lives inside the installed package."""
    return Path(__file__).with_name("recommendation.schema.json")


def load_schema() -> dict:
    """The JSON Schema of ``recommend --format json`` as a dict."""
    import json

    return json.loads(schema_path().read_text(encoding="utf-8"))
