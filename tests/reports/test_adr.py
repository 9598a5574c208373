"""The ADR for the review room: the drivers are the answers that decided, and every option has its
own pros and cons from the rule base, with their sources."""

from __future__ import annotations

import re

import pytest

from advisor.reports import render_report
from advisor.reports.render import MODEL_INPUTS
from tests.reports.conftest import PATHS, recommend


def _section(text: str, title: str) -> str:
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _driver_texts(text: str) -> list[str]:
    return [line for line in _section(text, "Decision Drivers").splitlines() if line.startswith("* ")
            and not line.startswith("* Assumed ")]


@pytest.mark.parametrize("name", PATHS)
def test_drivers_are_exactly_the_deciding_answers(rulebase, name):
    rec = recommend(rulebase, name)
    text = render_report(rec, "adr", rulebase)
    decision = next(f for f in rec.trace if f.kind == "decision")
    expected = list(dict.fromkeys(q for c in decision.conditions for q in c.values))
    if rec.model is not None:
        expected += [q for q in MODEL_INPUTS if q in rec.answers and q not in expected]
    texts = {q.id: q.text for q in rulebase.questions.values()}
    lines = _driver_texts(text)
    assert [next(q for q in expected if line.startswith(f"* {texts[q]} ")) for line in lines] == expected
    # Far fewer than all the answers given: the plan's other answers are not drivers.
    assert len(lines) < len(rec.answers)
    assert "project_name" not in expected and texts["project_name"] not in _section(text, "Decision Drivers")


def test_fine_tune_drivers_name_the_rule_and_the_model_choice(rulebase):
    rec = recommend(rulebase, "bedrock_fine_tune")
    lines = _driver_texts(render_report(rec, "adr", rulebase))
    assert len(lines) == 9  # six conditions of the decision rule, three inputs of the model choice (of 24 answers)
    assert sum("the choice of the target model" in line for line in lines) == 3
    assert any("**yes** (derived from the economics below): rule `managed_fine_tune`: `volume_justifies_setup`" in line
               for line in lines)


def test_every_option_has_its_own_pros_and_cons_with_numbered_sources(rulebase):
    rec = recommend(rulebase, "bedrock_fine_tune")
    text = render_report(rec, "adr", rulebase)
    pros_cons = _section(text, "Pros and Cons of the Options")
    sources = _section(text, "More Information").split("Sources:\n", 1)[1]
    numbered = dict(re.findall(r"^(\d+)\. (.*)$", sources, re.MULTILINE))
    blocks = re.split(r"^### ", pros_cons, flags=re.MULTILINE)[1:]
    assert len(blocks) == 1 + len(rec.alternatives)
    seen_texts = set()
    for block in blocks:
        title = block.splitlines()[0]
        good = re.findall(r"^\* Good: (.*)$", block, re.MULTILINE)
        bad = re.findall(r"^\* Bad: (.*)$", block, re.MULTILINE)
        assert good and bad, f"{title}: no pros or cons of its own"
        seen_texts.update(good + bad)
        for cited in re.findall(r"\(sources? ([\d, ]+)\)$", "\n".join(good + bad), re.MULTILINE):
            for n in cited.split(", "):
                assert n in numbered, f"{title} cites source {n}, which is not listed"
    # Each outcome's arguments are its own, not one list repeated.
    outcome = rulebase.outcomes["distill"]
    distill = next(b for b in blocks if b.startswith("Distil"))
    assert all(p.text in distill for p in outcome.pros + outcome.cons)
    assert len(seen_texts) >= 2 * len(blocks)
    # The seeds' own claim is cited to the seed.
    seed = numbered[re.search(r"thirty worked examples.*\(source (\d+)\)", pros_cons).group(1)]
    assert "Fine-tuning (and the cheaper alternatives)" in seed


def test_every_outcome_has_pros_and_cons_with_defined_sources(rulebase):
    for outcome in rulebase.outcomes.values():
        assert outcome.pros and outcome.cons, outcome.id
        for arg in outcome.pros + outcome.cons:
            assert all(s in rulebase.sources for s in arg.sources), (outcome.id, arg.text)
