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
     "hyperparameters_model": str | null, "notes": [str],
     "epochs": int | null, "epochs_from": str,          # where the epoch count came from
     "billed_training_tokens": int | null,             # tokens per epoch x epochs (estimate)
     "training_cost": {"usd", "per_1k_tokens", "source", "as_of"} | null,
     "training_cost_note": str,                        # why the cost is unknown, when it is
     "advice": [str]}                                  # what the target's rules mean for this dataset

Billed tokens: Bedrock bills customisation by the tokens it trains on, i.e. the tokens of the
training file times the number of epochs. The epoch count is ``--epochs`` when given, else the
rule base's plan for this dataset size, else the model's API default. The price per 1,000 training
tokens is read from ``rules/prices.yaml`` (``training_per_1k_tokens`` under the model id, with its
source and date); where none is recorded the cost is reported as unknown, never guessed.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from advisor.datasets.jsonl import LineError, decode_line, display_name, open_input, read_lines
from advisor.datasets.records import RecordLimits, check_record, quick_facts

__all__ = ["Distribution", "DatasetStats", "dataset_advice", "dataset_stats", "training_price", "MAX_LABELS"]

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
    epochs: int | None = None
    epochs_from: str = ""
    billed_training_tokens: int | None = None
    training_cost: dict | None = None
    training_cost_note: str = ""
    advice: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "file": self.file, "model": self.model, "records": self.records,
            "usable_records": self.usable_records, "skipped_lines": self.skipped_lines,
            "tokens": self.tokens.to_dict(), "turns": self.turns.to_dict(),  # type: ignore[union-attr]
            "answer_chars": self.answer_chars.to_dict(), "answer_tokens": self.answer_tokens.to_dict(),  # type: ignore[union-attr]
            "tokens_total": self.tokens_total, "with_system_prompt": self.with_system_prompt,
            "labels": self.labels,
            "hyperparameters": [
                {"name": h.name, "value": h.value, "range": list(h.range), "default": h.default,
                 "rule": h.rule, "because": h.because, "sources": list(h.sources)}
                for h in self.hyperparameters],
            "hyperparameters_model": self.hyperparameters_model,
            "notes": list(self.notes),
            "epochs": self.epochs, "epochs_from": self.epochs_from,
            "billed_training_tokens": self.billed_training_tokens,
            "training_cost": self.training_cost, "training_cost_note": self.training_cost_note,
            "advice": list(self.advice),
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
        if self.billed_training_tokens is not None:
            lines.append(f"billed training tokens        {self.billed_training_tokens:,} "
                         f"({self.tokens_total:,} x {self.epochs} epochs, {self.epochs_from})")
        if self.training_cost is not None:
            c = self.training_cost
            lines.append(f"training cost (estimate)      ${c['usd']:,.2f} at ${c['per_1k_tokens']:g} per 1,000 "
                         f"tokens ({c['source']}, seen {c['as_of']})")
        elif self.training_cost_note:
            lines.append(f"training cost                 unknown: {self.training_cost_note}")
        for note in self.notes:
            lines.append(f"note: {note}")
        for advice in self.advice:
            lines.append(f"advice: {advice}")
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


def dataset_stats(path: str | Path, model, rulebase=None, epochs: int | None = None) -> DatasetStats:
    """Stream ``path`` and describe its usable records; add the rule base's hyperparameter plan if given.

    ``epochs`` overrides the epoch count used for the billed-token estimate.
    """
    limits = RecordLimits.from_model(model)
    result = DatasetStats(display_name(path), model.id)
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
    low, high = model.limits.min_training_records, model.limits.max_training_records
    if low is not None and n < low:
        result.notes.append(f"{n:,} usable records: {model.id} needs at least {low:,} training records")
    elif high is not None and n > high:
        result.notes.append(f"{n:,} usable records: {model.id} takes at most {high:,} "
                            "training records (advisor data split can cap them)")
    if rulebase is not None and n:
        planned_for = rulebase.fine_tune_model
        if planned_for is not None and planned_for.id == model.id:
            from advisor.engine.hyperparameters import plan_hyperparameters

            result.hyperparameters = plan_hyperparameters(rulebase, n)
            result.hyperparameters_model = planned_for.id
        elif planned_for is not None:
            ranges = ", ".join(f"{name} {hp.min:g} to {hp.max:g} (default {hp.default:g})"
                               for name, hp in model.hyperparameters.items())
            result.notes.append(f"the rule base's hyperparameter plan is for {planned_for.id}, not {model.id}"
                                + (f"; {model.id}'s API ranges: {ranges}" if ranges else ""))
    result.advice = dataset_advice(model, n)
    _billing(result, model, rulebase, epochs)
    return result


# Nova: epochCount stops at 5, and for fewer than about 1,000 samples AWS suggests duplicating the
# data to raise the "effective epochs" (catalogue-2026.md §2, Nova hyperparameter page).
NOVA_DUPLICATE_BELOW = 1000


def dataset_advice(model, n: int) -> list[str]:
    """What the target's rules mean for a training set of ``n`` records (validation, early stopping, epochs)."""
    out: list[str] = []
    limits = model.limits
    hp = model.hyperparameters
    early = sorted(name for name in hp if name.startswith("earlyStopping"))
    if not getattr(model, "uses_validation_set", True):
        out.append(f"{model.id} fine-tuning uses no validation set: train on all {n:,} records and keep a "
                   "separate test set for evaluation (advisor data split writes none for this model)")
    else:
        min_train, min_val = limits.min_training_records, limits.min_validation_records
        if min_train is not None and min_val is not None and n < min_train + min_val:
            text = (f"{n:,} records are fewer than {min_train:,} training + {min_val:,} validation: no validation "
                    "set is possible, so train on all of them (advisor data split folds the validation share "
                    "into training)")
            if early:
                text += (f"; early stopping ({', '.join(early)}) needs a validation loss and will not run, so "
                         "choose epochCount deliberately")
            out.append(text)
        elif min_train is None or min_val is None:
            out.append(f"AWS documents no minimum record counts for {model.id}; a validation set is optional")
    recommended = getattr(limits, "recommended_min_records", None)
    if recommended is not None and n < recommended:
        out.append(f"{n:,} records: AWS recommends at least {recommended:,} for {model.id}")
    epoch = hp.get("epochCount")
    if model.id.startswith("nova") and epoch is not None and 0 < n < NOVA_DUPLICATE_BELOW:
        copies = math.ceil(NOVA_DUPLICATE_BELOW / n)
        out.append(f"under ~{NOVA_DUPLICATE_BELOW:,} samples AWS suggests duplicating the data for more "
                   f"'effective epochs' (epochCount stops at {epoch.max:g}); effective epochs = epochCount x "
                   f"copies, e.g. {copies} copies bring {n:,} records to about {n * copies:,} samples a pass "
                   "(advisor's arithmetic, not an AWS figure); data validate then warns about the repeats, as expected")
    return out


def training_price(rulebase, model_id: str) -> dict | None:
    """``{"per_1k_tokens", "source", "as_of"}`` from rules/prices.yaml, or None when no sourced price exists.

    Reads ``training_per_1k_tokens`` under the model's price entry: a number (the entry's first source
    and its ``as_of`` then date it) or a mapping with ``usd``/``value``, ``source`` and ``as_of``.
    """
    if rulebase is None:
        return None
    prices = getattr(rulebase, "extras", {}).get("prices.yaml")
    entry = prices.for_model(model_id) if prices is not None and hasattr(prices, "for_model") else None
    raw = getattr(entry, "training_per_1k_tokens", None) if entry is not None else None
    if raw is None:
        return None
    if isinstance(raw, (int, float)):
        value, source, as_of = float(raw), None, getattr(entry, "as_of", None)
        sources = list(getattr(entry, "sources", []) or [])
        source = sources[0] if sources else None
    else:
        get = raw.get if isinstance(raw, dict) else (lambda k, d=None: getattr(raw, k, d))
        value = get("usd", None) or get("value", None) or get("price", None)  # type: ignore[assignment]
        source = get("source", None) or (list(get("sources", []) or []) or [None])[0]
        as_of = get("as_of", None)
    if value is None or source is None:
        return None
    if as_of is None:
        known = getattr(rulebase, "sources", {}).get(source)
        as_of = getattr(known, "as_of", None)
    if as_of is None:
        return None
    return {"per_1k_tokens": float(value), "source": str(source), "as_of": str(as_of)}


def _billing(result: DatasetStats, model, rulebase, epochs: int | None) -> None:
    if epochs is not None:
        result.epochs, result.epochs_from = epochs, "given with --epochs"
    else:
        planned = next((h for h in result.hyperparameters if h.name == "epochCount"), None)
        api = model.hyperparameters.get("epochCount")
        if planned is not None:
            result.epochs, result.epochs_from = int(planned.value), "from the hyperparameter plan"
        elif api is not None:
            result.epochs, result.epochs_from = int(api.default), f"{model.id}'s API default"
    if result.epochs is None:
        result.training_cost_note = "no epoch count known for this model; pass --epochs N"
        return
    result.billed_training_tokens = result.tokens_total * result.epochs
    price = training_price(rulebase, model.id)
    if price is None:
        result.training_cost_note = (f"rules/prices.yaml has no sourced training price for {model.id} "
                                     "(training_per_1k_tokens); check the Bedrock pricing page")
        return
    usd = result.billed_training_tokens / 1000 * price["per_1k_tokens"]
    result.training_cost = {"usd": round(usd, 2), **price}
