"""Markdown, ADR, HTML and JSON reports for every path: snapshots, schema, escaping, self-containment."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from advisor.reports import load_schema, render_report
from tests.reports.conftest import PATHS, recommend

SNAPSHOTS = Path(__file__).parent / "snapshots"
HASH = re.compile(r"sha256:[0-9a-f]+")


def _stable(text: str) -> str:
    # The rule-base hash changes with every edit to rules/; the snapshot keeps the text around it.
    return HASH.sub("sha256:<hash>", text)


@pytest.mark.parametrize("name", PATHS)
def test_each_answers_file_reaches_its_path(rulebase, name):
    assert recommend(rulebase, name).path == name


@pytest.mark.parametrize("name", PATHS)
@pytest.mark.parametrize("fmt,ext", [("markdown", "md"), ("adr", "adr.md")])
def test_markdown_and_adr_snapshots(rulebase, snapshot, name, fmt, ext):
    snapshot.snapshot_dir = SNAPSHOTS
    text = render_report(recommend(rulebase, name), fmt, rulebase)
    snapshot.assert_match(_stable(text), f"{name}.{ext}")


@pytest.mark.parametrize("name", PATHS)
def test_json_snapshots(rulebase, snapshot, name):
    from advisor.cli.recommend import render

    snapshot.snapshot_dir = SNAPSHOTS
    snapshot.assert_match(_stable(render(recommend(rulebase, name), "json", rulebase)), f"{name}.json")


@pytest.mark.parametrize("name", PATHS + ("undetermined",))
def test_every_json_report_validates_against_the_shipped_schema(rulebase, name):
    import jsonschema

    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(recommend(rulebase, name).contract_json(), schema)


def test_schema_rejects_a_report_that_breaks_the_contract(rulebase):
    import jsonschema

    data = recommend(rulebase, "bedrock_fine_tune").contract_json()
    for broken in ({**data, "path": "fine_tune_everything"},
                   {k: v for k, v in data.items() if k != "ruleset"},
                   {**data, "hyperparameters": {**data["hyperparameters"], "epochCount": "two"}},
                   {**data, "model": {**data["model"], "lifecycle": {"status": "eol", "end_of_life": "2026-09-10"}}},
                   {k: v for k, v in data.items() if k != "trace"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, load_schema())


def test_undetermined_report_lists_the_questions_to_answer(rulebase):
    rec = recommend(rulebase, "undetermined")
    md = render_report(rec, "markdown", rulebase)
    assert "No recommendation yet" in md
    assert "`few_shot_examples_tried`" in md
    adr = render_report(rec, "adr", rulebase)
    assert "status: draft" in adr and "No option is chosen yet" in adr
    assert "No recommendation yet" in render_report(rec, "html", rulebase)


def test_adr_lists_every_path_with_the_rule_that_ruled_it_out(rulebase):
    adr = render_report(recommend(rulebase, "bedrock_fine_tune"), "adr", rulebase)
    for heading in ("## Context and Problem Statement", "## Decision Drivers", "## Considered Options",
                    "## Decision Outcome", "### Consequences", "## Pros and Cons of the Options"):
        assert heading in adr
    for path in PATHS:
        assert f"(`{path}`)" in adr
    assert "You said your team will not operate a model itself, so distilling into a small open model was ruled out." in adr


HOSTILE = 'Triage <script>alert("x")</script> <img src=x onerror=alert(1)> & [link](http://evil.example)'


def test_user_text_is_escaped_in_html(rulebase):
    rec = recommend(rulebase, "bedrock_fine_tune", project_name=HOSTILE)
    html = render_report(rec, "html", rulebase)
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "&lt;script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_user_text_is_inert_in_markdown(rulebase):
    rec = recommend(rulebase, "bedrock_fine_tune", project_name=HOSTILE)
    for fmt in ("markdown", "adr"):
        text = render_report(rec, fmt, rulebase)
        assert not re.search(r"(?<!\\)<(script|img)", text), "unescaped HTML from user text"
        assert "[link](http" not in text
        assert r"\<script\>" in text


class _References(HTMLParser):
    """Collects everything in a page that could load something from outside it."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.refs: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "srcset", "poster", "data", "action", "background"):
                self.refs.append(value or "")
            if name == "style":
                self.styles.append(value or "")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


@pytest.mark.parametrize("name", ["bedrock_fine_tune", "rag"])
def test_html_references_nothing_outside_itself(rulebase, name):
    html = render_report(recommend(rulebase, name), "html", rulebase)
    page = _References()
    page.feed(html)
    assert not {"script", "link", "img", "iframe", "object", "embed", "image", "base"} & set(page.tags)
    assert all(ref.startswith("#") for ref in page.refs), page.refs
    css = "\n".join(page.styles)
    assert "@import" not in css and "@font-face" not in css
    assert all(u.startswith("#") for u in re.findall(r"url\(\s*['\"]?([^)'\"]*)", css + html)), "external url()"
    assert page.tags.count("svg") >= 1


def test_html_has_the_tree_with_the_path_highlighted_and_the_cost_chart(rulebase):
    html = render_report(recommend(rulebase, "bedrock_fine_tune"), "html", rulebase)
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == 2  # decision tree and cost chart
    tree, chart = svgs
    assert "[bedrock_fine_tune]" in tree and "stroke: #1a7f37" in tree
    assert "requests per month" in chart and "break-even" in chart
    no_econ = render_report(recommend(rulebase, "rag"), "html", rulebase)
    assert len(re.findall(r"<svg", no_econ)) == 1
    # the rag path is highlighted in its own report, not the fine-tuning one
    assert "[rag]" in no_econ


def test_reports_are_deterministic(rulebase):
    rec = recommend(rulebase, "distill")
    for fmt in ("markdown", "adr", "html"):
        assert render_report(rec, fmt, rulebase) == render_report(rec, fmt, rulebase)


def test_economics_section_shows_how_the_volume_answer_was_derived(rulebase):
    md = render_report(recommend(rulebase, "stay_on_prompts"), "markdown", rulebase)
    assert "(derived from the economics)" in md
    assert "The cost model answered `volume_justifies_setup` = **no**" in md
    assert "(1,500 x $3 + 200 x $15) / 1M tokens = $0.007500 a request; x 200,000 requests" in md
    # The verdict compares with the cheapest prompt-only option, and says so.
    assert "the cheapest prompt-only option, Amazon Nova Micro with few-shot examples, costs $30.10 a month" in md
    assert "below Claude Haiku 4.5's minimum cacheable size of 4,096 tokens" in md


@pytest.mark.parametrize("name", PATHS)
def test_no_report_names_a_model_past_end_of_life_or_a_seed_file(rulebase, name):
    from advisor.cli.recommend import render

    rec = recommend(rulebase, name)
    for fmt in ("text", "markdown", "adr", "html", "json"):
        text = render(rec, fmt, rulebase)
        assert "Fine-tune Claude" not in text
        assert not re.search(r"00[1-4]_[0-9a-f]{16}\.txt", text), f"a seed file name in the {fmt} report"
    if rec.economics is not None:
        assert all(o.model not in ("claude-3-haiku", "claude-3-5-sonnet") for o in rec.economics.options)


def test_text_report_shows_the_economics_and_the_date(rulebase):
    from advisor.cli.recommend import render

    text = render(recommend(rulebase, "bedrock_fine_tune"), "text", rulebase)
    assert "Economics:" in text and "<- cheapest prompt-only" in text and "<- compared" in text
    assert "Advice of 2026-11-21." in text
    assert "Target: Amazon Nova Micro (amazon.nova-micro-v1:0:128k, us-east-1; active on 2026-11-21)" in text


def test_recommend_cli_writes_each_format(tmp_path):
    from advisor.cli import main
    from tests.reports.conftest import ANSWERS

    for fmt, marker in (("markdown", "## Economics"), ("adr", "## Decision Outcome"), ("html", "<!DOCTYPE html>"),
                        ("json", '"schema_version": 1')):
        out = tmp_path / f"report.{fmt}"
        code = main(["recommend", "--answers", str(ANSWERS / "bedrock_fine_tune.yaml"), "--format", fmt,
                     "--output", str(out)])
        assert code == 0
        text = out.read_text(encoding="utf-8")
        assert marker in text
        if fmt == "json":
            assert json.loads(text)["economics"]["volume_justifies_setup"]["source"] == "derived"


def test_stale_sources_are_flagged_in_every_report(rulebase, monkeypatch):
    monkeypatch.setenv("ADVISOR_TODAY", "2029-01-01")  # long after every source's as-of date
    rec = recommend(rulebase, "few_shot")
    assert rec.ruleset.stale_sources
    md = render_report(rec, "markdown", rulebase)
    assert "> **Warning:**" in md and "stale)" in md
    assert "Knowledge as of **2026-11-21**" in md
    assert "**Warning:** stale sources:" in render_report(rec, "adr", rulebase)
    assert "Stale knowledge:" in render_report(rec, "html", rulebase)


def test_every_scenario_recommendation_follows_the_schema(rulebase):
    """Each case in rules/scenarios (targets, stay on Claude, no target, unsure, economics) yields valid JSON."""
    import datetime as dt

    import jsonschema

    from advisor.answers import validate_answer
    from advisor.engine import Engine

    schema = load_schema()
    for _file, _line, scenario in rulebase.load_scenarios():
        answers = {k: validate_answer(rulebase.questions[k], v, rulebase.choices(rulebase.questions[k]))
                   for k, v in scenario.given.items()}
        rec = Engine(rulebase, today=scenario.today or dt.date(2026, 12, 1)).recommend(answers)
        data = rec.contract_json()
        jsonschema.validate(data, schema)
        if rec.model is not None:
            model = rulebase.models[rec.model.id]
            assert not model.past_end_of_life(dt.date.fromisoformat(rec.date))
            for name, value in (data.get("hyperparameters") or {}).items():
                api = model.hyperparameters[name]
                assert api.min <= value <= api.max, (scenario.name, name, value)
