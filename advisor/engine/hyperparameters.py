"""Hyperparameters for the chosen target (or the path's own training) by dataset size, each with its derivation."""

from __future__ import annotations

import math
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict

__all__ = ["HyperparameterChoice", "plan_from_table", "plan_hyperparameters"]


class HyperparameterChoice(BaseModel):
    """One recommended setting: the value to start with, the range to explore, and why."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    name: str
    value: float | int
    range: tuple[float | int, float | int]
    default: float | int | None
    api_min: float | int | None
    api_max: float | int | None
    rule: str
    because: str
    sources: list[str]
    clamped: bool = False
    # False for advice that is not a setting of the training API (kept out of ``hyperparameters``).
    api: bool = True


def _typed(value: float, kind: str | None) -> float | int:
    return int(round(value)) if kind == "int" else float(value)


def plan_hyperparameters(rulebase, training_examples: int, model_id: str | None = None) -> list[HyperparameterChoice]:
    """Settings for ``model_id`` (default: the rule base's dataset model) at this dataset size, history tables
    included (the dataset tooling may still plan for a model the advice no longer recommends)."""
    hp = rulebase.hyperparameters
    model = rulebase.models.get(model_id) if model_id else rulebase.fine_tune_model
    if hp is None or model is None:
        return []
    table = next((t for t in hp.tables if model.id in t.models), None)
    return plan_from_table(table, model, {"training_examples": training_examples, "target_id": model.id})


def plan_from_table(table, model, values: Mapping[str, Any]) -> list[HyperparameterChoice]:
    """The first matching rule per parameter, computed and kept inside the rule's and the model's API range.

    ``rules check`` proves exactly one rule matches for every dataset size and that fixed values lie in
    the API range; computed values (``value_from``) are clamped to the rule's range and flagged.
    """
    if table is None:
        return []
    choices: list[HyperparameterChoice] = []
    for spec in table.parameters:
        rule = next((r for r in spec.rules if r.when.evaluate(values) is True), None)
        if rule is None:
            continue
        api = model.hyperparameters.get(spec.name) if (model is not None and spec.api) else None
        kind = api.type if api else spec.type
        low, high = rule.range
        clamped = False
        if rule.value_from is not None:
            source = values.get(rule.value_from.question)
            if not isinstance(source, (int, float)) or isinstance(source, bool):
                continue
            raw = source / rule.value_from.divide_by
            if rule.value_from.round_up_to:
                step = rule.value_from.round_up_to
                raw = math.ceil(raw / step) * step
            value = min(max(raw, low), high)
            clamped = value != raw
        else:
            value = rule.value
        if api is not None:
            bounded = [min(max(v, api.min), api.max) for v in (value, low, high)]
            clamped = clamped or bounded != [value, low, high]
            value, low, high = bounded
        choices.append(HyperparameterChoice(
            name=spec.name,
            value=_typed(value, kind),
            range=(_typed(low, kind), _typed(high, kind)),
            default=_typed(api.default, kind) if api else None,
            api_min=_typed(api.min, kind) if api else None,
            api_max=_typed(api.max, kind) if api else None,
            rule=rule.id,
            because=" ".join(rule.because.split()),
            sources=list(rule.sources),
            clamped=clamped,
            api=spec.api,
        ))
    return choices
