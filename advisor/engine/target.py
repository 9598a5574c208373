"""Choosing the managed fine-tuning target from the catalogue, on the day of the recommendation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping

from advisor.knowledge.models import ModelSpec

__all__ = ["TargetChoice", "choose_target"]

_SERVING = {"on_demand_deployment": "serves a custom copy per token (on-demand deployment)",
            "provisioned_throughput": "serves a custom copy on Provisioned Throughput (billed by the hour)"}


@dataclass(frozen=True)
class TargetChoice:
    """The chosen model (or None), why, and why each other catalogue model was passed over."""

    model: ModelSpec | None
    reasons: list[str] = field(default_factory=list)
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (model name, why not)
    sources: list[str] = field(default_factory=list)


def choose_target(models: Mapping[str, ModelSpec], values: Mapping[str, Any], today: dt.date,
                  customization_type: str = "FINE_TUNING") -> TargetChoice:
    """The preferred model that is active today, supports the customisation type, the user's region and
    modality and the task; Legacy models are never chosen for a new deployment, and eol ones never."""
    region = values.get("customisation_region")
    region = region if isinstance(region, str) and region not in ("any", "unsure") else None
    modality = values.get("input_modality")
    modality = modality if isinstance(modality, str) and modality != "unsure" else "text"
    tools = values.get("task_uses_tools") is True
    excluded: list[tuple[str, str]] = []
    fits: list[ModelSpec] = []
    for model in sorted(models.values(), key=lambda m: (m.preference, m.id)):
        status = model.status_on(today)
        if status == "eol":
            eol = model.lifecycle.end_of_life
            excluded.append((model.name, f"past its end of life ({eol.isoformat() if eol else 'date unknown'})"))
        elif status == "legacy":
            eol = model.lifecycle.end_of_life
            excluded.append((model.name, "Legacy: no new deployments" + (f" (end of life {eol.isoformat()})" if eol else "")))
        elif customization_type not in model.customization_types:
            excluded.append((model.name, f"does not support {customization_type.lower().replace('_', '-')}"))
        elif region is not None and region not in model.regions:
            excluded.append((model.name, f"customised only in {', '.join(model.regions)}, not {region}"))
        elif modality not in model.modalities:
            excluded.append((model.name, f"does not read {modality}"))
        elif tools and "tool_use" in model.unsupported_tasks:
            excluded.append((model.name, "its fine-tuning data takes no tool-use sections"))
        elif not model.hyperparameters:
            excluded.append((model.name, "no documented hyperparameters for its fine-tuning jobs in this rule base"))
        else:
            fits.append(model)
    wanted = values.get("target_model")
    note = []
    if isinstance(wanted, str) and wanted in models:
        named = next((m for m in fits if m.id == wanted), None)
        if named is not None:
            fits.remove(named)
            fits.insert(0, named)
        else:
            why = next((w for n, w in excluded if n == models[wanted].name), "it does not fit")
            note.append(f"You asked for {models[wanted].name}, but {why}.")
    if not fits:
        return TargetChoice(None, note + ["No model in the catalogue fits on this date."], excluded)
    chosen = fits[0]
    serving = " and ".join(_SERVING[s] for s in chosen.serving[:1])
    where = region or chosen.regions[0]
    reasons = note + [f"{chosen.name} is active on {today.isoformat()}, supports {customization_type.lower().replace('_', '-')} "
               f"in {where}, reads {modality}, and {serving}."]
    others = [m.name for m in fits[1:]]
    if others and chosen.id != wanted:
        reasons.append("It is the smallest fitting model; " + ", ".join(others) + " also fit if evals show it is not enough.")
    elif chosen.id == wanted:
        reasons.append("You chose it; it fits.")
    return TargetChoice(chosen, reasons, excluded + [(m.name, "fits, but comes after the chosen model") for m in fits[1:]],
                        list(dict.fromkeys(list(chosen.sources) + list(chosen.lifecycle.sources))))
