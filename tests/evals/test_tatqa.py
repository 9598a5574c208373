"""The TAT-QA metric against the behaviour of the official scorer (evals.md §1.3) and its dev-set figure."""

from __future__ import annotations

import json

import pytest

from advisor.evals.tatqa import score_dataset, score_question

from .conftest import EXAMPLE_SLICE, SHARED_TATQA

CAT_GOLD = "The cat sits on the soft mat under the warm sun"
CAT_PRED = "The cat sits on the mat in the sun"
FIXED_PRICE = ["fixed-price type", "cost-plus type", "time-and-material type"]


def q(answer_type, answer, scale=""):
    return {"uid": "x", "answer_type": answer_type, "answer": answer, "scale": scale}


# (gold question, prediction, predicted scale, EM, F1) — each row observed with the official code
CASES = [
    (q("span", [CAT_GOLD]), CAT_PRED, "", 0, 0.71),
    (q("arithmetic", CAT_GOLD), CAT_PRED, "", 0, 0),
    (q("span", ["$1,496.5"], "million"), "1496.5", "million", 1, 1),
    (q("span", ["$1,496.5"], "million"), "1,496.5 million", "", 1, 1),
    (q("span", ["$1,496.5"], "million"), "1496500000", "", 1, 1),
    (q("arithmetic", 22.12, "percent"), "22.12%", "", 1, 1),
    (q("arithmetic", 22.12, "percent"), "22.115", "percent", 0, 0),
    (q("arithmetic", 22.12, "percent"), "The answer is 22.12", "percent", 0, 0),
    (q("arithmetic", -5.2), "(5.2)", "", 1, 1),
    (q("span", ["2019"]), "2019", "", 1, 1),
    (q("span", ["2019"]), "2019.0", "", 1, 1),
    (q("span", ["2019"]), "In 2019", "", 0, 0.0),
    (q("span", ["Fixed Price"], "million"), "Fixed Price", "", 0, 0.80),
    (q("span", ["Fixed Price"], "million"), "Fixed Price", "million", 1, 1),
    (q("multi-span", FIXED_PRICE), ["cost-plus type", "fixed-price type"], "", 0, 0.86),
    (q("multi-span", FIXED_PRICE), "fixed-price type, cost-plus type and time-and-material type", "", 0, 0.89),
    (q("span", ["anything"]), None, "", 0, 0),
    (q("count", 3), "3", "", 1, 1),
    (q("arithmetic", 0.2212 * 100, "percent"), "0.2212", "", 1, 1),  # the extra "percent" variant
]


@pytest.mark.parametrize("gold, prediction, scale, em, f1", CASES)
def test_behaviour_matches_official_scorer(gold, prediction, scale, em, f1):
    score = score_question(gold, prediction, scale)
    assert (score.exact_match, score.f1) == (em, f1)


def test_multi_span_order_does_not_matter():
    gold = q("multi-span", ["a red fox", "blue whale"])
    assert score_question(gold, ["blue whale", "a red fox"], "").exact_match == 1


def test_missing_predictions_count_as_zero():
    gold = [{"questions": [dict(q("span", ["x"]), uid="1"), dict(q("span", ["y"]), uid="2")]}]
    result = score_dataset(gold, {"1": ["x", ""]})
    assert (result["exact_match"], result["f1"], result["count"]) == (50.0, 50.0, 2)


@pytest.mark.skipif(not (SHARED_TATQA / "sample_prediction.json").exists(), reason="shared/data/tatqa not present")
def test_official_dev_figure():
    gold = json.loads((SHARED_TATQA / "tatqa_dataset_dev.json").read_text())
    preds = json.loads((SHARED_TATQA / "sample_prediction.json").read_text())
    result = score_dataset(gold, preds)
    assert (result["exact_match"], result["f1"], result["scale"]) == (45.92, 58.88, 90.95)


def test_gold_answers_as_predictions_score_full_marks_on_the_shipped_slice():
    gold = json.loads(EXAMPLE_SLICE.read_text())
    preds = {qq["uid"]: [qq["answer"], qq["scale"]] for ctx in gold for qq in ctx["questions"]}
    result = score_dataset(gold, preds)
    assert (result["exact_match"], result["f1"], result["count"]) == (100.0, 100.0, 48)
