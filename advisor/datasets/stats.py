"""``advisor data stats``: what is in a Bedrock dataset, and the hyperparameters to start from.

Distributions use the nearest-rank percentile (p90 = the value 90 % of records do not exceed). Tokens
are the catalogue estimate described in :mod:`advisor.datasets.records`. Lines that fail the
per-record checks are counted and left out (``advisor data validate`` explains them).

Memory: a few integers per record (arrays of machine ints), and the answer texts only while they
still look like class labels (at most ``MAX_LABELS`` distinct values).

JSON output (``--format json``)::

    {"file", "model", "records", "usable_records", "skipped_lines",
     "tokens": dist, "turns": dist, "answer_chars": dist, "answer_tokens": dist,
     # dist = {"min", "mean", "median", "p90", "max"}
     "tokens_total", "with_system_prompt", "labels": {label: n} | null,
     "hyperparameters": [{"name", "value", "range", "default", "rule", "because", "sources"}],
     "hyperparameters_model": str | null, "notes": [str]}
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from advisor.datasets.jsonl import LineError, decode_line, open_input, read_lines
from advisor.datasets.records import RecordLimits, check_record, quick_facts

__all__ = ["Distribution", "DatasetStats", "dataset_stats", "MAX_LABELS"]

MAX_LABELS = 50
MAX_LABEL_CHARS = 64


@dataclass(frozen=True)
class Distribution:
    """min, mean, median, p90 and max of a list of numbers (all 0 for an empty list)."""

    min: float
    mean: float
    median: float
    p90: float
    max: float

    @classmethod
    def of(cls, values) -> "Distribution":
        if not values:
            return cls(0, 0, 0, 0, 0)
        ordered = sorted(values)
        n = len(ordered)
        middle = n // 2
        median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        p90 = ordered[max(0, math.ceil(0.9 * n) - 1)]
        return cls(ordered[0], round(sum(ordered) / n, 1), median, p90, ordered[-1])

    def to_dict(self) -> dict:
        return {"min": self.min, "mean": self.mean, "median": self.median, "p90": self.p90, "max": self.max}

    def __str__(self) -> str:
        return (f"min {self.min:,g}  mean {self.mean:,g}  median {self.median:,g}  "
                f"p90 {self.p90:,g}  max {self.max:,g}")


@dataclass
class DatasetStats:
    """Everything ``stats`` reports about one file."""

    file: str
    model: str
    records: int = 0
    usable_records: int = 0
    skipped_lines: int = 0
    tokens: Distribution | None = None
    turns: Distribution | None = None
    answer_chars: Distribution | None = None
    answer_tokens: Distribution | None = None
    tokens_total: int = 0
    with_system_prompt: int = 0
    labels: dict[str, int] | None = None
    hyperparameters: list = field(default_factory=list)
    hyperparameters_model: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "file": self.file, "model": self.model, "records": self.records,
            "usable_records": self.usable_records, "skipped_lines": self.skipped_lines,
            "tokens": self.tokens.to_dict(), "turns": self.turns.to_dict(),
            "answer_chars": self.answer_chars.to_dict(), "answer_tokens": self.answer_tokens.to_dict(),
            "tokens_total": self.tokens_total, "with_system_prompt": self.with_system_prompt,
            "labels": self.labels,
            "hyperparameters": [
                {"name": h.name, "value": h.value, "range": list(h.range), "default": h.default,
                 "rule": h.rule, "because": h.because, "sources": list(h.sources)}
                for h in self.hyperparameters],
            "hyperparameters_model": self.hyperparameters_model,
            "notes": list(self.notes),
        }

    def render_text(self) -> str:
        n = self.usable_records
        share = f"{100 * self.with_system_prompt / n:.0f} %" if n else "n/a"
        lines = [
            f"{self.file}: {self.records:,} records, {n:,} usable"
            + (f", {self.skipped_lines:,} skipped (run advisor data validate)" if self.skipped_lines else ""),
            f"tokens per record (estimate)  {self.tokens}",
            f"turns per record              {self.turns}",
            f"answer characters             {self.answer_chars}",
            f"answer tokens (estimate)      {self.answer_tokens}",
            f"system prompt                 {self.with_system_prompt:,} of {n:,} records ({share})",
            f"tokens per epoch (estimate)   {self.tokens_total:,}",
        ]
        if self.labels:
            lines.append(f"answers look like class labels ({len(self.labels)} distinct):")
            for label, count in sorted(self.labels.items(), key=lambda kv: (-kv[1], kv[0])):
                lines.append(f"  {count:>7,}  {100 * count / n:5.1f} %  {label}")
        for note in self.notes:
            lines.append(f"note: {note}")
        if self.hyperparameters:
            lines.append("")
            lines.append(f"recommended hyperparameters for {n:,} training records "
                         f"({self.hyperparameters_model}):")
            for h in self.hyperparameters:
                lines.append(f"  {h.name} = {h.value:g}  (explore {h.range[0]:g}–{h.range[1]:g}; "
                             f"API default {h.default:g})" if h.default is not None else
                             f"  {h.name} = {h.value:g}  (explore {h.range[0]:g}–{h.range[1]:g})")
                lines.append(f"      rule {h.rule}: {h.because} [{', '.join(h.sources)}]")
        return "\n".join(lines)


def dataset_stats(path: str | Path, model, rulebase=None) -> DatasetStats:
    """Stream ``path`` and describe its usable records; add the rule base's hyperparameter plan if given."""
    limits = RecordLimits.from_model(model)
    result = DatasetStats(str(path), model.id)
    tokens, turns, answer_chars, answer_tokens = array("q"), array("q"), array("q"), array("q")
    labels: Counter[str] | None = Counter()
    with open_input(path) as stream:
        for line in read_lines(stream, path):
            if not line.data.strip():
                continue
            result.records += 1
            value = None if line.too_long else decode_line(line.data, line.number == 1)
            if value is None or isinstance(value, LineError):
                result.skipped_lines += 1
                continue
            facts = quick_facts(value, limits, line.data)
            if facts is None:
                full = check_record(value, limits)[1]
                if full is None:
                    result.skipped_lines += 1
                    continue
                facts = (full.tokens, full.turns, full.has_system, full.answer, full.answer_tokens)
            n_tokens, n_turns, has_system, answer, n_answer_tokens = facts[:5]
            result.usable_records += 1
            tokens.append(n_tokens)
            turns.append(n_turns)
            answer = answer.strip()
            answer_chars.append(len(answer))
            answer_tokens.append(n_answer_tokens)
            result.tokens_total += n_tokens
            result.with_system_prompt += has_system
            if labels is not None:
                if len(answer) > MAX_LABEL_CHARS or (answer not in labels and len(labels) >= MAX_LABELS):
                    labels = None  # free-text answers: stop tracking
                else:
                    labels[answer] += 1
    n = result.usable_records
    result.tokens, result.turns = Distribution.of(tokens), Distribution.of(turns)
    result.answer_chars, result.answer_tokens = Distribution.of(answer_chars), Distribution.of(answer_tokens)
    # class labels: few distinct short answers, each seen twice on average
    if labels and n >= 4 and len(labels) * 2 <= n:
        result.labels = dict(labels)
    if n < model.limits.min_training_records:
        result.notes.append(f"{n:,} usable records: {model.id} needs at least "
                            f"{model.limits.min_training_records:,} training records")
    elif n > model.limits.max_training_records:
        result.notes.append(f"{n:,} usable records: {model.id} takes at most {model.limits.max_training_records:,} "
                            "training records (advisor data split can cap them)")
    if rulebase is not None and n:
        from advisor.engine.hyperparameters import plan_hyperparameters

        result.hyperparameters = plan_hyperparameters(rulebase, n)
        planned_for = rulebase.fine_tune_model
        result.hyperparameters_model = planned_for.id if planned_for is not None else None
    return result
