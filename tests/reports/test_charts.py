"""The SVG charts: well-formed, escaped, and sized so that every label fits inside the picture."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from advisor.reports.charts import bar_chart_svg, cost_chart_svg, decision_tree_svg, text_width
from tests.reports.conftest import recommend

NS = "{http://www.w3.org/2000/svg}"


def _texts_fit(svg: str) -> list[str]:
    """Parse the SVG and check every text line lies inside the view box; returns the lines."""
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    lines = []
    for text in root.iter(f"{NS}text"):
        if text.get("transform") or any(p.get("transform") for p in root.iter(f"{NS}g") if text in list(p)):
            continue  # the rotated axis title
        size = float(text.get("font-size"))
        bold = text.get("font-weight") == "bold"
        anchor = text.get("text-anchor")
        for span in text.iter(f"{NS}tspan"):
            x, y, line = float(span.get("x")), float(span.get("y")), span.text or ""
            w = text_width(line, size, bold)
            start = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
            assert start >= 0 and start + w <= width + 0.5, f"{line!r} sticks out ({start:.0f}..{start + w:.0f})"
            assert size / 2 <= y + 0.5 and y <= height, f"{line!r} is above or below the picture"
            lines.append(line)
    return lines


def test_eval_bars_keep_long_names_and_full_values_inside():
    svg = bar_chart_svg([("a variant with a rather long name <b>", [("exact_match", 100.0), ("f1", 58.88)]),
                         ("short", [("exact_match", 45.9), ("f1", 0.0)])])
    lines = _texts_fit(svg)
    assert "exact_match 100.00" in lines and "a variant with a rather long name <b>" in lines
    assert "<b>" not in svg and "&lt;b&gt;" in svg


def test_decision_tree_labels_fit_and_the_path_is_highlighted(rulebase):
    rule = next(r for r in rulebase.decision.rules if r.then == "bedrock_fine_tune")
    svg = decision_tree_svg(rulebase, rule.id)
    lines = _texts_fit(svg)
    assert any(line.endswith("[bedrock_fine_tune]") for line in lines) and "start" in lines
    highlighted = re.findall(r'<path[^>]*stroke: #1a7f37', svg)
    assert len(highlighted) == len(rule.when)


def test_cost_chart_marks_volume_break_even_and_every_option(rulebase):
    rec = recommend(rulebase, "bedrock_fine_tune")
    svg = cost_chart_svg(rec.economics.model_dump())
    lines = _texts_fit(svg)
    assert "your volume" in lines and "break-even" in lines and "requests per month" in lines
    titles = [o.title for o in rec.economics.options if o.per_request_usd is not None]
    assert titles and all(t in lines for t in titles)
    assert cost_chart_svg({"options": [], "monthly_requests": 10}) is None
