"""One registry of report formats and one value formatter, read by the CLI, the TUI and every renderer."""

from __future__ import annotations

import json

import pytest

from advisor import values
from advisor.answers import UNSURE
from advisor.errors import UsageError
from advisor.reports import FORMATS, format_names, get_format, render_report, write_report


def test_every_format_is_registered_once_with_its_extension():
    assert format_names() == ("text", "json", "markdown", "html", "adr")
    assert {name: f.extension for name, f in FORMATS.items()} == {
        "text": "txt", "json": "json", "markdown": "md", "html": "html", "adr": "adr.md"}
    assert get_format("adr").file_name("support-report") == "support-report.adr.md"


def test_the_cli_offers_exactly_the_registered_formats(run_cli):
    result = run_cli("recommend", "--help")
    assert "{" + ",".join(format_names()) + "}" in result.out


def test_an_unknown_format_is_a_usage_error_naming_the_choices(rulebase):
    with pytest.raises(UsageError, match="choose from text, json, markdown, html, adr"):
        get_format("pdf")


def test_write_report_creates_folders(tmp_path, rulebase, engine):
    rec = engine.recommend({"gap_is_factual_recall": True})
    path = write_report(rec, "json", rulebase, tmp_path / "a" / "b" / "rec.json")
    assert json.loads(path.read_text())["path"] == "rag"
    assert render_report(rec, "text", rulebase).startswith("Recommendation: Use retrieval")


@pytest.mark.parametrize("value,shown", [
    (2400, "2,400"), (0, "0"), (1234567, "1,234,567"), (True, "yes"), (False, "no"), (None, "(not answered)"),
    (UNSURE, "not sure"), ("Ticket triage", "Ticket triage"), (20000.0, "20,000.00"), (0.0004, "0.0004"),
])
def test_values_read_the_same_everywhere(value, shown):
    assert values.show(value) == shown


def test_choice_labels_and_money():
    assert values.show("classification", {"classification": "Classify or route"}) == "Classify or route"
    assert values.money(1234.5) == "$1,234.50"
    assert values.money(0.000412, precise=True) == "$0.000412"
    assert values.money(None) == "n/a"
    assert values.number(2400.4) == "2,400"


def test_the_formatter_knows_the_canonical_not_sure_value():
    assert values.UNSURE == UNSURE


def test_text_report_shows_numbers_with_separators(rulebase, engine):
    answers = {"gap_is_factual_recall": False, "few_shot_examples_tried": 30, "gap_measured_with_evals": True,
               "volume_justifies_setup": True, "open_weights_viable": False, "must_stay_on_claude": False,
               "training_examples": 2400}
    text = render_report(engine.recommend(answers), "text", rulebase)
    assert "(2,400 training examples)" in text
