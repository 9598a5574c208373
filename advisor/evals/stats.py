"""Uncertainty for eval results: bootstrap confidence intervals and paired comparisons between variants.

* :func:`bootstrap_ci` — the percentile bootstrap of a mean: resample the examples with replacement
  ``samples`` times, take the mean of each resample, and report the ``(1−c)/2`` and ``(1+c)/2``
  quantiles. Seeded, so the same scores always give the same interval.
* :func:`paired_difference` — the same resamples applied to per-example differences (b − a) of two
  variants scored on the same examples. The difference is called *significant* when its interval
  excludes 0. Pairing matters: both variants see the same hard and easy examples, so the interval of
  the difference is much narrower than the two separate intervals suggest.

With 48 examples a few points of F1 are inside the noise; the report says so rather than ranking.
Scores are 0–1 per example in and 0–100 out (rounded to 2 decimals).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Sequence

__all__ = ["Interval", "bootstrap_ci", "paired_difference", "resample_indices", "spread"]


@dataclass(frozen=True)
class Interval:
    """A point estimate with its bootstrap interval (0–100 scale)."""

    value: float
    low: float
    high: float
    confidence: float
    n: int

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def as_dict(self) -> dict:
        return {"value": self.value, "ci_low": self.low, "ci_high": self.high, "confidence": self.confidence,
                "n": self.n}


_INDEX_CACHE: dict[tuple[int, int, int], list[list[int]]] = {}


def resample_indices(n: int, samples: int, seed: int) -> list[list[int]]:
    """``samples`` lists of ``n`` indices drawn with replacement (the same for the same arguments)."""
    key = (n, samples, seed)
    if key not in _INDEX_CACHE:
        rng = random.Random(f"advisor-bootstrap:{seed}:{n}")
        _INDEX_CACHE.clear()  # one run uses one n; keep memory flat
        _INDEX_CACHE[key] = [[rng.randrange(n) for _ in range(n)] for _ in range(samples)]
    return _INDEX_CACHE[key]


def _quantile(sorted_values: list[float], q: float) -> float:
    pos = (len(sorted_values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def bootstrap_ci(values: Sequence[float], samples: int = 1000, confidence: float = 0.95, seed: int = 0) -> Interval:
    """The mean of ``values`` (0–1 each) ×100 with its percentile-bootstrap interval."""
    n = len(values)
    if n == 0:
        return Interval(0.0, 0.0, 0.0, confidence, 0)
    mean = math.fsum(values) / n
    if all(v == values[0] for v in values):
        return Interval(round(100 * mean, 2), round(100 * mean, 2), round(100 * mean, 2), confidence, n)
    means = sorted(math.fsum(values[i] for i in idx) / n for idx in resample_indices(n, samples, seed))
    alpha = (1 - confidence) / 2
    return Interval(round(100 * mean, 2), round(100 * _quantile(means, alpha), 2),
                    round(100 * _quantile(means, 1 - alpha), 2), confidence, n)


def paired_difference(a: Sequence[float], b: Sequence[float], samples: int = 1000, confidence: float = 0.95,
                      seed: int = 0) -> Interval:
    """Mean of (b − a) over paired examples, ×100, with its bootstrap interval."""
    if len(a) != len(b):
        raise ValueError("paired scores need the same examples on both sides")
    return bootstrap_ci([y - x for x, y in zip(a, b)], samples, confidence, seed)


def spread(values: Sequence[float]) -> dict:
    """Mean, sample standard deviation, min and max of per-repeat figures."""
    if not values:
        return {}
    mean = math.fsum(values) / len(values)
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return {"mean": round(mean, 2), "std": round(std, 2), "min": round(min(values), 2), "max": round(max(values), 2),
            "runs": len(values)}
