"""The ADR shows the eval evidence (``recommend --evidence``) like the other formats, escaped."""

from __future__ import annotations

import json

from advisor.engine.evidence import attach, load_evidence
from advisor.reports import render_report
from tests.reports.conftest import PATHS, recommend


def write_results(path, name="baseline", other="few-shot <b>|*x*|</b>"):
    path.write_text(json.dumps({
        "schema_version": 2, "primary_metric": "accuracy",
        "variants": [{"name": name, "model": "m1", "metrics": {"accuracy": 71.0}, "examples": 48, "done": 48},
                     {"name": other, "model": "m2", "metrics": {"accuracy": 74.5}, "examples": 48, "done": 48}],
        "comparisons": [{"a": name, "b": other, "metric": "accuracy", "difference": 3.5, "ci_low": -2.0,
                         "ci_high": 9.0, "confidence": 0.95, "n": 48, "significant": False}]}))
    return path


def test_adr_has_the_evidence_section_only_with_evidence_and_escapes_it(rulebase, tmp_path):
    rec = recommend(rulebase, PATHS[0])
    assert "Evidence from Evals" not in render_report(rec, "adr", rulebase)
    ev = load_evidence(write_results(tmp_path / "results.json"))
    text = render_report(attach(rec, ev, "answered"), "adr", rulebase)
    section = text.split("## Evidence from Evals\n", 1)[1].split("\n## ", 1)[0]
    assert "results.json" in section and "accuracy" in section
    assert "+3.5" in section and "not significant" in section
    # The variant name is user text: no raw HTML, no table breaks or emphasis from it.
    assert "<b>" not in section and "|*x*|" not in section
    assert "few-shot" in section
