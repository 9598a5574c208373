"""The economics as an engine derivation: cost the options, derive ``volume_justifies_setup``.

The engine calls :func:`derive_economics` with the resolved answers. When the user gave the volume,
the tokens per request and the hourly rate of a custom option, the comparison decides whether the
volume justifies the setup; an answer the user gave directly always wins, and the report says when
the numbers disagree with it.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Mapping

from advisor.economics.model import HOURS_PER_MONTH, INPUT_QUESTIONS, LARGE_MODEL, SMALL_MODEL, Economics, cost_model
from advisor.engine.recommendation import Note, SourceRef
from advisor.knowledge.prices import PricesFile, load_user_prices, prices_of

__all__ = ["PRICES_ENV", "derive_economics", "economics_derivation", "economics_report"]

# A user price file (same shape as rules/prices.yaml) that overrides and extends the shipped prices.
PRICES_ENV = "ADVISOR_PRICES"


def economics_derivation(override: PricesFile | None = None, override_path: str | None = None) -> Callable:
    """A derivation using the rule base's prices merged with ``override`` (a user price file)."""

    def derive(rulebase, values: Mapping[str, Any]):
        return derive_economics(rulebase, values, override, override_path)

    return derive


def derivation_from_env() -> Callable:
    """The economics derivation, with the price file named by ``ADVISOR_PRICES`` when it is set."""
    path = os.environ.get(PRICES_ENV)
    if not path:
        return economics_derivation()
    return economics_derivation(load_user_prices(path), path)


def derive_economics(rulebase, values: Mapping[str, Any], override: PricesFile | None = None,
                     override_path: str | None = None) -> tuple[dict[str, Any], dict[str, Any] | None, list[Note]]:
    """``(derived answers, economics report, notes)``; nothing at all when no economics question was answered."""
    if not any(values.get(q) is not None for q in INPUT_QUESTIONS):
        return {}, None, []
    prices = prices_of(rulebase)
    if override is not None:
        prices = prices.merged(override)
    econ = cost_model(prices, values)
    verdict = _verdict(econ, values)
    report = economics_report(rulebase, prices, econ, verdict, override_path)
    derived: dict[str, Any] = {}
    notes: list[Note] = []
    sources = _source_refs(rulebase, _used_sources(econ))
    if verdict["source"] == "derived":
        derived["volume_justifies_setup"] = verdict["value"]
        notes.append(Note(kind="economics", title="Volume question answered by the cost model",
                          text=verdict["explanation"], sources=sources))
    elif verdict["source"] == "answered" and verdict["numbers_say"] is not None \
            and verdict["numbers_say"] != verdict["value"]:
        notes.append(Note(kind="economics", title="Your numbers disagree with your volume answer",
                          text=verdict["explanation"], sources=sources))
    return derived, report, notes


def _candidates(econ: Economics, values: Mapping[str, Any]) -> list[str]:
    """The custom options the decision would choose between, given what is known about open weights."""
    viable = values.get("open_weights_viable")
    if viable is True:
        return ["distilled_self_hosted"]
    if viable is False:
        return ["fine_tuned_provisioned"]
    return ["fine_tuned_provisioned", "distilled_self_hosted"]


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _verdict(econ: Economics, values: Mapping[str, Any]) -> dict[str, Any]:
    baseline = econ.option(econ.baseline) if econ.baseline else None
    computed = [o for o in (econ.option(c) for c in _candidates(econ, values)) if o is not None and o.computed]
    answered = values.get("volume_justifies_setup")
    numbers_say = None
    compared = None
    explanation = ""
    if baseline is not None and computed:
        best = min(computed, key=lambda o: o.monthly_usd)
        compared = best.id
        numbers_say = best.monthly_usd < baseline.monthly_usd
        be = econ.break_even.get(best.id)
        be_text = (f"it breaks even at {be:,.0f} requests a month" if be is not None
                   else "it never breaks even, because it saves nothing per request")
        payback = f"{econ.payback_months} months" + (" (assumed)" if econ.payback_assumed else "")
        explanation = (f"At {econ.monthly_requests:,} requests a month the {baseline.title.lower()} costs "
                       f"{_money(baseline.monthly_usd)} a month; {best.title} costs {_money(best.monthly_usd)} a month "
                       f"with one-off costs spread over {payback}; {be_text}. "
                       f"So the volume {'justifies' if numbers_say else 'does not justify'} the setup.")
    if isinstance(answered, bool):
        source = "answered"
        value = answered
        if numbers_say is not None and numbers_say != answered:
            explanation = (f"You answered that the volume {'justifies' if answered else 'does not justify'} the setup, "
                           "and that answer is used. " + explanation)
    elif numbers_say is not None:
        source, value = "derived", numbers_say
    else:
        source, value = "undetermined", None
        missing = ", ".join(econ.missing_inputs) or "a sourced price for the large model"
        explanation = f"Not enough numbers to compare the options yet (missing: {missing})."
    return {"value": value, "source": source, "numbers_say": numbers_say, "compared_option": compared,
            "explanation": explanation}


def _used_sources(econ: Economics) -> list[str]:
    seen: list[str] = []
    for option in econ.options:
        for sid in option.sources:
            if sid not in seen:
                seen.append(sid)
    return seen


def _source_refs(rulebase, ids: list[str]) -> list[SourceRef]:
    refs = []
    for sid in ids:
        src = rulebase.sources.get(sid)
        if src is None:  # a user price file may cite its own source (a URL or a note)
            refs.append(SourceRef(id=sid, title="Source named in the user's price file", ref=sid, as_of="unknown"))
        else:
            refs.append(SourceRef(id=src.id, title=src.title, ref=src.ref, as_of=src.as_of.isoformat()))
    return refs


def _round(value: float | None) -> float | None:
    # Rounded so reports and snapshots do not show binary floating-point noise.
    return None if value is None else round(value, 6)


def economics_report(rulebase, prices: PricesFile, econ: Economics, verdict: dict[str, Any],
                     override_path: str | None = None) -> dict[str, Any]:
    """The economics as JSON-ready data (``Recommendation.economics``); every renderer reads this."""
    used_prices = []
    for model_id in (LARGE_MODEL, SMALL_MODEL):
        price = prices.for_model(model_id)
        if price is not None:
            used_prices.append({
                "id": price.id, "name": price.name, "input_per_million": price.input_per_million,
                "output_per_million": price.output_per_million, "prompt_caching": price.prompt_caching,
                "sources": [s.model_dump() for s in _source_refs(rulebase, price.sources)],
            })
    options = []
    for o in econ.options:
        options.append({
            "id": o.id, "title": o.title, "kind": o.kind, "model": o.model,
            "per_request_usd": _round(o.per_request_usd), "fixed_monthly_usd": _round(o.fixed_monthly_usd),
            "one_off_usd": _round(o.one_off_usd), "monthly_usd": _round(o.monthly_usd),
            "formula": o.formula, "notes": list(o.notes), "missing_inputs": list(o.missing_inputs),
            "sources": [s.model_dump() for s in _source_refs(rulebase, o.sources)],
        })
    return {
        "currency": prices.currency,
        "hours_per_month": HOURS_PER_MONTH,
        "monthly_requests": econ.monthly_requests,
        "payback_months": econ.payback_months,
        "payback_assumed": econ.payback_assumed,
        "baseline": econ.baseline,
        "options": options,
        "break_even": [{"option": k, "monthly_requests": v} for k, v in econ.break_even.items()],
        "volume_justifies_setup": verdict,
        "missing_inputs": list(econ.missing_inputs),
        "prices": used_prices,
        "price_file": os.path.basename(override_path) if override_path else None,
    }
