"""Answer metrics besides TAT-QA: plain token F1, SQuAD EM/F1, exact match, accuracy, JSON validity,
and output-token statistics. Standard library only (fast to import, no pandas).

Normalisations, stated so results can be reproduced:

* ``f1`` (the "token-level F1" of the Bedrock Haiku fine-tuning blog, seed 003 appendix):
  Unicode NFKC, lower case, split on whitespace, strip punctuation from both ends of each token,
  drop empty tokens; overlap counted as a **multiset** (a word matching twice counts twice).
  P = matches / predicted tokens, R = matches / reference tokens, F1 = 2PR / (P + R) × 100.
  The blog's worked example (6 matches, 9 generated, 11 reference tokens) gives exactly 60.00
  (the post prints 59.90, a typo: evals.md §1.4); on its raw sentences this metric gives 80.00.
* ``squad``: SQuAD v1.1 ``evaluate-v1.1.py``: lower case, drop every ASCII punctuation character,
  drop the articles a/an/the, collapse whitespace; multiset F1; max over the gold answers.
* ``exact``: strings equal after stripping surrounding whitespace.
* ``accuracy``: class labels equal after stripping whitespace and case folding.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import string
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

_SQUAD_PUNCT = set(string.punctuation)
_SQUAD_ARTICLES = re.compile(r"\b(a|an|the)\b")
_EDGE_PUNCT = "".join(ch for ch in string.punctuation) + "“”‘’«»…–—"


def f1_from_counts(matching: int, generated: int, reference: int) -> float:
    """Token F1 × 100 from counts: P = matching/generated, R = matching/reference."""
    if matching == 0 or generated == 0 or reference == 0:
        return 0.0
    precision, recall = matching / generated, matching / reference
    return 100 * 2 * precision * recall / (precision + recall)


def plain_tokens(text: str) -> list[str]:
    """Tokens for the plain ``f1`` metric (see the module docstring)."""
    text = unicodedata.normalize("NFKC", str(text)).lower()
    tokens = (t.strip(_EDGE_PUNCT) for t in text.split())
    return [t for t in tokens if t]


def _multiset_f1(pred: list[str], gold: list[str]) -> float:
    common = sum((Counter(pred) & Counter(gold)).values())
    return f1_from_counts(common, len(pred), len(gold)) / 100


def plain_f1(prediction: str, reference: str) -> float:
    """Plain token-level F1 (0–1) of one prediction against one reference."""
    return _multiset_f1(plain_tokens(prediction), plain_tokens(reference))


def squad_normalize(text: str) -> str:
    """SQuAD v1.1 answer normalisation."""
    text = "".join(ch for ch in str(text).lower() if ch not in _SQUAD_PUNCT)
    return " ".join(_SQUAD_ARTICLES.sub(" ", text).split())


def squad_scores(prediction: str, golds: Sequence[str]) -> tuple[float, float]:
    """(EM, F1) in 0–1, each the max over the gold answers, as the SQuAD v1.1 script computes them."""
    if not golds:
        return 0.0, 0.0
    pred_norm = squad_normalize(prediction)
    em = max(float(pred_norm == squad_normalize(g)) for g in golds)
    f1 = max(_multiset_f1(pred_norm.split(), squad_normalize(g).split()) for g in golds)
    return em, f1


@dataclass(frozen=True)
class TokenStats:
    """Output-token statistics as in seed 003's table (standard deviation is the sample one, n − 1)."""

    count: int
    mean: float
    median: float
    stdev: float
    min: int
    max: int

    def as_dict(self) -> dict:
        return {"count": self.count, "mean": round(self.mean, 2), "median": round(self.median, 2),
                "stdev": round(self.stdev, 2), "min": self.min, "max": self.max}


def token_stats(values: Iterable[int]) -> TokenStats | None:
    """Mean, median, sample standard deviation, min and max of output-token counts (None when empty)."""
    data = [int(v) for v in values if v is not None]
    if not data:
        return None
    stdev = statistics.stdev(data) if len(data) > 1 else 0.0
    return TokenStats(len(data), statistics.fmean(data), statistics.median(data), stdev, min(data), max(data))


def _as_list(gold: Any) -> list[str]:
    if isinstance(gold, (list, tuple)):
        return [str(g) for g in gold]
    return [] if gold is None else [str(gold)]


def _pred_text(pred: Any) -> str:
    if pred is None:
        return ""
    if isinstance(pred, (list, tuple)):
        return " ".join(str(p) for p in pred)
    return str(pred)


def score_example(metric: str, gold: Any, prediction: Any, schema: dict | None = None) -> dict[str, float]:
    """Per-example scores (0–1) for one of the generic metrics; keys depend on the metric."""
    text = _pred_text(prediction)
    golds = _as_list(gold)
    if metric == "f1":
        return {"f1": max((plain_f1(text, g) for g in golds), default=0.0)}
    if metric == "squad":
        em, f1 = squad_scores(text, golds)
        return {"exact_match": em, "f1": f1}
    if metric == "exact":
        return {"exact_match": float(any(text.strip() == g.strip() for g in golds))}
    if metric == "accuracy":
        return {"accuracy": float(any(text.strip().casefold() == g.strip().casefold() for g in golds))}
    if metric == "json":
        return json_scores(text, schema)
    raise ValueError(f"unknown metric {metric!r}")


def json_scores(text: str, schema: dict | None) -> dict[str, float]:
    """``valid_json`` is 1 when the text parses as JSON; ``matches_schema`` when it also fits ``schema``."""
    try:
        doc = json.loads(text)
    except (ValueError, TypeError, RecursionError):  # too deep or too long an integer counts as invalid
        return {"valid_json": 0.0, "matches_schema": 0.0}
    if schema is None:
        return {"valid_json": 1.0, "matches_schema": 1.0}
    return {"valid_json": 1.0, "matches_schema": float(_matches(schema, doc))}


_VALIDATORS: dict[int, Any] = {}


def _schema_validator(schema: dict):
    key = id(schema)
    if key not in _VALIDATORS:
        from advisor.evals.schema import make_validator

        _VALIDATORS[key] = (schema, make_validator(schema))  # keep schema alive so its id stays unique
    return _VALIDATORS[key][1]


def _matches(schema: dict, doc: Any) -> bool:
    validator = _schema_validator(schema)
    try:
        return bool(validator.is_valid(doc))
    except RecursionError:
        return False
    except Exception as exc:  # a reference only reachable at validation time: never fetched
        from advisor.errors import InputError

        raise InputError(f"the JSON Schema cannot be applied: {exc}") from None


def mean_percent(values: Iterable[float]) -> float:
    """Mean × 100 rounded to two decimals (0 when empty)."""
    data = list(values)
    if not data:
        return 0.0
    value = 100 * math.fsum(data) / len(data)
    return round(value, 2)
