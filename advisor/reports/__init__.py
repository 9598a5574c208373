"""Every way a Recommendation leaves the program: terminal text, JSON, Markdown, HTML and an ADR (MADR).

* :mod:`advisor.reports.formats`: the one registry of formats (name, file extension, renderer).
* :mod:`advisor.values` (below the engine, so any module may use it): the one value formatter every
  renderer and TUI screen uses.
* :mod:`advisor.reports.text`: the plain text renderer; :mod:`advisor.reports.render`: the Jinja2
  documents (Markdown, HTML, ADR), all from the one Recommendation.

The JSON format is ``Recommendation.contract_json()``; its JSON Schema ships beside this module as
``recommendation.schema.json`` (see :func:`schema_path`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from advisor.reports.formats import (
    FORMATS,
    ReportFormat,
    format_names,
    get_format,
    register,
    render_report,
    write_report,
)

__all__ = ["FORMATS", "ReportFormat", "format_names", "get_format", "register", "render_report", "write_report",
           "schema_path", "load_schema"]


def schema_path() -> Path:
    """Where the JSON Schema of ``recommend --format json`` lives inside the installed package."""
    return Path(__file__).with_name("recommendation.schema.json")


def load_schema() -> dict[str, Any]:
    """The JSON Schema of ``recommend --format json`` as a dict."""
    result: dict[str, Any] = json.loads(schema_path().read_text(encoding="utf-8"))
    return result
