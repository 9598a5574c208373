"""The TAT-QA metric, equal to the official scorer (NExTplusplus/TAT-QA ``tatqa_metric.py``).

Re-implemented from the algorithm described in ``evals.md`` §1.2 with the standard library only (the
official code needs numpy, scipy and pandas). Per question:

* gold and prediction become one canonical string each: items sorted, numbers canonicalised as
  ``'%.4f' % (round(x, 2) * scale)`` (or ``'%.4f' % x`` when the text carried ``%``), the scale word
  appended to non-numeric items;
* a bare number predicted without a scale also gets a "percent" variant (``0.2212`` matches 22.12 %);
* EM and F1 come from a per-token normalisation (lower case, punctuation removed unless numeric,
  numbers canonicalised, articles removed) and a **set**-of-tokens F1 rounded to two decimals;
* arithmetic and count questions take F1 := EM.

Totals are plain means over every gold question; a missing prediction scores 0.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import string
from dataclasses import dataclass, field
from typing import Any, Iterable

SCALES = ("", "thousand", "million", "billion", "percent")

_EXCLUDE_IN_NUM = str.maketrans("", "", "'\"\\$€£¥%(),[]")
_PUNCTUATION = str.maketrans("", "", string.punctuation)
_NUMBER = re.compile(r"([+-]?\d+(\.\d+)?)|([+-]?\.\d+)")
_NEGATIVE = re.compile(r"(\([\d.\s]+\))")
_PERCENT = re.compile(r"([\d.\s]+%)")
_WORD_SCALE = re.compile(r"([\d.]+\s?[a-zA-Z]+)")
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def scale_to_num(scale: str) -> float:
    """The multiplier a scale word stands for (1 when the text names none)."""
    scale = scale.lower()
    if "hundred" in scale:
        return 100
    if "thousand" in scale:
        return 1000
    if "million" in scale:
        return 1000000
    if "billion" in scale:
        return 1000000000
    if "percent" in scale:
        return 0.01
    return 1


def _clean_num(text: str) -> str:
    return str(text).translate(_EXCLUDE_IN_NUM)


@functools.lru_cache(maxsize=65536)
def is_number(text: str) -> bool:
    """True when the first word (after removing currency, brackets, commas and %) is a number and
    any second word is a scale word: ``"$1,496.5"``, ``"(134)"``, ``"3 million"``."""
    words = " ".join(_clean_num(w) for w in text.split()).split()
    if not words:
        return False
    try:
        num = float(words[0])
    except ValueError:
        return False
    if math.isnan(num):
        return False
    if len(words) >= 2 and scale_to_num(words[1]) == 1:
        return False
    return True


def _first_number(text: str) -> int | float | None:
    groups = _NUMBER.findall(_clean_num(text))
    if not groups or groups[0][0] == "":
        return None
    num = groups[0][0]
    return float(num) if "." in num else int(num)


def _word_scale(text: str) -> float:
    match = _WORD_SCALE.search(text)
    return scale_to_num(match.group(0).lower()) if match else 1


def to_number(text: str) -> int | float | None:
    """The first number in ``text`` times its word scale, negated for ``(x)``, /100 for ``x%``; 4 dp."""
    num = _first_number(text)
    if num is None:
        return None
    negative = -1 if _NEGATIVE.findall(text.strip()) else 1
    percent = 0.01 if _PERCENT.findall(text.strip()) else 1
    return round(num * _word_scale(text) * negative * percent, 4)


@functools.lru_cache(maxsize=65536)
def _normalize_token(token: str) -> str:
    token = token.lower()
    if not is_number(token):
        token = token.translate(_PUNCTUATION)
    if is_number(token):
        token = str(to_number(token))
    return " ".join(_ARTICLES.sub(" ", token).split())


def normalize_answer(text: str) -> str:
    """Token-wise normalisation of the official scorer (tokens are split on single spaces)."""
    parts = [_normalize_token(token) for token in text.split(" ")]
    return " ".join(p for p in parts if p.strip()).strip()


def _round2(value: float) -> float:
    # The official code rounds a numpy float (multiply, round half to even, divide), which can differ
    # from Python's decimal-exact round() in the last digit; mirror numpy.
    return round(value * 100) / 100


def _bag_f1(predicted: set[str], gold: set[str]) -> float:
    intersection = len(gold & predicted)
    precision = intersection / len(predicted) if predicted else 1.0
    recall = intersection / len(gold) if gold else 1.0
    if precision == 0.0 and recall == 0.0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def _align(predicted: list[set[str]], gold: list[set[str]]) -> list[float]:
    """Best one-to-one alignment of spans (the official code uses the Hungarian algorithm)."""
    size = max(len(gold), len(predicted))
    scores = [[_bag_f1(p, g) for p in predicted] for g in gold]
    if len(gold) == 1 or len(predicted) == 1:
        best = [0.0] * size
        if len(gold) == 1:
            best[0] = max(scores[0]) if predicted else 0.0
        else:
            j = max(range(len(gold)), key=lambda i: scores[i][0])
            best[j] = scores[j][0]
        return best
    # Multi-span on both sides never happens on the official path (answers are joined first);
    # an exhaustive search is exact and fine for the handful of spans a question has.
    rows, cols = len(gold), len(predicted)
    best_total, best_rows = -1.0, [0.0] * size
    if rows <= cols:
        for perm in itertools.permutations(range(cols), rows):
            vals = [scores[i][perm[i]] for i in range(rows)]
            if sum(vals) > best_total:
                best_total, best_rows = sum(vals), vals + [0.0] * (size - rows)
    else:
        for perm in itertools.permutations(range(rows), cols):
            vals = [0.0] * rows
            for j, i in enumerate(perm):
                vals[i] = scores[i][j]
            if sum(vals) > best_total:
                best_total, best_rows = sum(vals), vals + [0.0] * (size - rows)
    return best_rows


def _to_bags(answer: str | list[str]) -> tuple[list[str], list[set[str]]]:
    spans = answer if isinstance(answer, (list, tuple)) else [answer]
    normalized = [normalize_answer(s) for s in spans]
    return normalized, [set(n.split()) for n in normalized]


def get_metrics(predicted: str | list[str], gold: str | list[str]) -> tuple[float, float]:
    """(EM, F1) of one prediction string (or span list) against one gold string (or span list)."""
    pred_spans, pred_bags = _to_bags(predicted)
    gold_spans, gold_bags = _to_bags(gold)
    exact = 1.0 if set(pred_spans) == set(gold_spans) and len(pred_spans) == len(gold_spans) else 0.0
    per_bag = _align(pred_bags, gold_bags)
    return exact, _round2(sum(per_bag) / len(per_bag))


def extract_gold_answers(question: dict) -> tuple[str, list[str], str]:
    """(answer_type, gold answer strings, scale) of one TAT-QA question record."""
    answer_type = question.get("answer_type", "")
    scale = question.get("scale", "") or ""
    answer = question.get("answer")
    if answer_type in ("span", "multi-span"):
        answers = list(answer) if isinstance(answer, (list, tuple)) else [str(answer)]
    elif answer_type == "count":
        answers = [str(int(float(answer)))]  # type: ignore[arg-type]
    else:
        answers = [str(answer)]
    return answer_type, answers, scale


def get_answer_str(answers: list, scale: str) -> list[str]:
    """One canonical string for an answer list: sorted items, numbers as ``%.4f`` scaled, scale appended."""
    out = []
    for item in sorted(str(a) for a in answers):
        text = item
        if is_number(text):
            num = to_number(text)
            if num is None:
                if scale:
                    text = f"{text} {scale}"
            elif "%" in text:
                text = f"{num:.4f}"
            else:
                text = "%.4f" % (round(num, 2) * scale_to_num(scale))
        elif scale:
            text = f"{text} {scale}"
        out.append(text)
    return [" ".join(out)]


def _add_percent_variant(strings: list[str], pred_scale: str, prediction: list) -> list[str]:
    if len(prediction) > 1:
        return strings
    text = str(prediction[0])
    if not pred_scale and "%" not in text and is_number(text):
        num = to_number(text)
        if num is not None:
            strings.append(f"{num:.4f}")
    return strings


@dataclass(frozen=True)
class QuestionScore:
    """The score of one question: EM and F1 in 0..1, and whether the predicted scale was right."""

    exact_match: float
    f1: float
    scale_correct: bool


def score_question(question: dict, prediction: Any, pred_scale: str | None = "") -> QuestionScore:
    """Score one prediction (a string or a list of spans) with its scale against a gold question."""
    pred_scale = pred_scale or ""
    if not prediction:
        return QuestionScore(0.0, 0.0, False)
    gold_type, gold_answers, gold_scale = extract_gold_answers(question)
    scale_ok = pred_scale == gold_scale
    if not gold_answers:
        return QuestionScore(0.0, 0.0, scale_ok)
    gold_strings = get_answer_str(gold_answers, gold_scale)
    prediction = prediction if isinstance(prediction, list) else [prediction]
    pred_strings = _add_percent_variant(get_answer_str(prediction, pred_scale), pred_scale, prediction)
    exact, f1 = max(get_metrics(p, g) for p in pred_strings for g in gold_strings)
    if gold_type in ("arithmetic", "count"):
        f1 = exact
    return QuestionScore(exact, f1, scale_ok)


@dataclass
class TatqaTotals:
    """Running totals over gold questions; ``exact_match``/``f1``/``scale`` are 0–100."""

    count: int = 0
    em_sum: float = 0.0
    f1_sum: float = 0.0
    scale_hits: int = 0
    by_type: dict[str, list[float]] = field(default_factory=dict)

    def add(self, question: dict, score: QuestionScore) -> None:
        self.count += 1
        self.em_sum += score.exact_match
        self.f1_sum += score.f1
        self.scale_hits += int(score.scale_correct)
        bucket = self.by_type.setdefault(question.get("answer_type", "?"), [0, 0.0, 0.0])
        bucket[0] += 1
        bucket[1] += score.exact_match
        bucket[2] += score.f1

    def as_dict(self) -> dict:
        n = self.count or 1
        return {
            "exact_match": round(100 * self.em_sum / n, 2),
            "f1": round(100 * self.f1_sum / n, 2),
            "scale": round(100 * self.scale_hits / n, 2),
            "count": self.count,
            "by_answer_type": {
                name: {"count": c, "exact_match": round(100 * em / c, 2), "f1": round(100 * f1 / c, 2)}
                for name, (c, em, f1) in sorted(self.by_type.items())
            },
        }


def iter_questions(gold: Iterable[dict]) -> Iterable[dict]:
    """Every question record of a TAT-QA file (a list of contexts, each with ``questions``)."""
    for context in gold:
        yield from context.get("questions", [])


def score_dataset(gold: list[dict], predictions: dict[str, Any]) -> dict:
    """Official-scorer totals for a TAT-QA gold file and ``{uid: [answer, scale]}`` predictions."""
    totals = TatqaTotals()
    for question in iter_questions(gold):
        pred = predictions.get(question["uid"])
        answer, scale = (pred[0], pred[1]) if isinstance(pred, (list, tuple)) and len(pred) >= 2 else (pred, "")
        totals.add(question, score_question(question, answer, scale))
    return totals.as_dict()
