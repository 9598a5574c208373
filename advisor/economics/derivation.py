"""The economics the engine is given: cost the options, derive ``volume_justifies_setup``.

The engine calls an :class:`Economist` with the resolved answers and the managed fine-tuning target.
When the numbers are there, the comparison of the cheapest custom option with the cheapest
prompt-only option decides whether the volume justifies the setup; an answer the user gave directly
always wins, and the report says when the numbers disagree with it.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any, Mapping

from advisor.economics.model import HOURS_PER_MONTH, INPUT_QUESTIONS, Economics, Target, cost_model
from advisor.economics.report import BreakEven, EconomicsReport, OptionReport, PriceReport, VolumeVerdict
from advisor.knowledge.prices import PricesFile, load_user_prices, prices_of
from advisor.knowledge.refs import source_refs

__all__ = ["PRICES_ENV", "Economist", "EconomicsOutcome", "economist_from_env", "derive_economics"]

# A user price file (same shape as rules/prices.yaml) that overrides and extends the shipped prices.
PRICES_ENV = "ADVISOR_PRICES"


@dataclass(frozen=True)
class EconomicsOutcome:
    """What the economics adds before the decision: derived answers, the report, and notes to show."""

    derived: dict[str, Any] = field(default_factory=dict)
    report: EconomicsReport | None = None
    notes: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Economist:
    """Prices the options with the rule base's prices merged with a user's price file."""

    override: PricesFile | None = None
    override_path: str | None = None

    def __call__(self, rulebase, values: Mapping[str, Any], target: Target | None, today: dt.date) -> EconomicsOutcome:
        return derive_economics(rulebase, values, target, today, self.override, self.override_path)


def economist_from_env(prices_file: str | None = None) -> Economist:
    """The economics with ``prices_file`` (else the file named by ``ADVISOR_PRICES``, else shipped prices)."""
    path = prices_file or os.environ.get(PRICES_ENV)
    if not path:
        return Economist()
    prices = load_user_prices(path)
    check_price_sanity(prices, path)
    return Economist(prices, path)


def check_price_sanity(prices: PricesFile, path: str) -> None:
    """Every number in a user's price file is finite and not negative (an infinite price made the
    economics say "breaks even at 0 requests a month"); the error names the file and line."""
    import math

    from advisor.errors import InputError

    stack: list[tuple[tuple[Any, ...], Any]] = [((), prices.model_dump(by_alias=True))]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            stack.extend(((*where, k), v) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend(((*where, i), v) for i, v in enumerate(value))
        elif isinstance(value, float) and not isinstance(value, bool) and (not math.isfinite(value) or value < 0):
            from advisor.knowledge.yamlio import read_yaml

            try:
                location = read_yaml(path).locate(where)
            except InputError:
                location = None
            from advisor.errors import Location

            label = ".".join(str(p) for p in where)
            problem = "is not a finite number" if not math.isfinite(value) else "is negative"
            raise InputError(f"price {label} {problem} ({value}); prices are finite amounts of at least 0",
                             location or Location(str(path)))


def derive_economics(rulebase, values: Mapping[str, Any], target: Target | None = None, today: dt.date | None = None,
                     override: PricesFile | None = None, override_path: str | None = None) -> EconomicsOutcome:
    """Nothing at all when no economics question was answered."""
    from advisor.engine.recommendation import Note

    if not any(values.get(q) is not None for q in INPUT_QUESTIONS):
        return EconomicsOutcome()
    today = today or dt.date.today()
    prices = prices_of(rulebase)
    if override is not None:
        prices = prices.merged(override)
    econ = cost_model(prices, values, target, today)
    verdict = _verdict(econ, values)
    report = economics_report(rulebase, prices, econ, verdict, today, override_path)
    derived: dict[str, Any] = {}
    notes = []
    sources = source_refs(rulebase, _used_sources(econ))
    if verdict.source == "derived":
        derived["volume_justifies_setup"] = verdict.value
        notes.append(Note(kind="economics", title="Volume question answered by the cost model",
                          text=verdict.explanation, sources=sources))
    elif verdict.source == "answered" and verdict.numbers_say is not None and verdict.numbers_say != verdict.value:
        notes.append(Note(kind="economics", title="Your numbers disagree with your volume answer",
                          text=verdict.explanation, sources=sources))
    # A fact for the rules: the readiness checklist and the confidence must agree with the numbers.
    derived["economics_disagree"] = (verdict.source == "answered" and verdict.numbers_say is not None
                                     and verdict.numbers_say != verdict.value)
    return EconomicsOutcome(derived=derived, report=report, notes=notes)


def _candidates(values: Mapping[str, Any]) -> list[str]:
    """The custom options the decision would choose between, given what is known about open weights."""
    if values.get("must_stay_on_claude") is True:
        return []
    viable = values.get("open_weights_viable")
    if viable is True:
        return ["distilled_self_hosted"]
    if viable is False:
        return ["custom_on_demand", "custom_provisioned"]
    return ["custom_on_demand", "custom_provisioned", "distilled_self_hosted"]


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _verdict(econ: Economics, values: Mapping[str, Any]) -> VolumeVerdict:
    baseline = econ.option(econ.baseline) if econ.baseline else None
    computed = [o for o in (econ.option(c) for c in _candidates(values)) if o is not None and o.computed]
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
                   else "it never breaks even, because it saves nothing per request against the baseline")
        payback = f"{econ.payback_months} months" + (" (assumed)" if econ.payback_assumed else "")
        sign = "less" if numbers_say else "more"
        explanation = (f"At {econ.monthly_requests:,} requests a month the cheapest prompt-only option, "
                       f"{baseline.title}, costs {_money(baseline.monthly_usd)} a month; the cheapest custom option, "
                       f"{best.title}, costs {_money(best.monthly_usd)} a month with one-off costs of "
                       f"{_money(best.one_off_usd or 0)} spread over {payback}. That is {sign} than the prompt-only "
                       f"option, and {be_text}. So the volume "
                       f"{'justifies' if numbers_say else 'does not justify'} the setup.")
    if isinstance(answered, bool):
        source = "answered"
        value: bool | None = answered
        if numbers_say is not None and numbers_say != answered:
            explanation = (f"You answered that the volume {'justifies' if answered else 'does not justify'} the setup, "
                           "and that answer is used, but your numbers say otherwise. " + explanation)
    elif numbers_say is not None:
        source, value = "derived", numbers_say
    else:
        source, value = "undetermined", None
        missing = ", ".join(econ.missing_inputs) or "a sourced price"
        explanation = f"Not enough numbers to compare the options yet (missing: {missing})."
    return VolumeVerdict(value=value, source=source, numbers_say=numbers_say, compared_option=compared,
                         baseline_option=econ.baseline, explanation=explanation)


def _used_sources(econ: Economics) -> list[str]:
    seen: list[str] = []
    for option in econ.options:
        for sid in option.sources:
            if sid not in seen:
                seen.append(sid)
    return seen


def _round(value: float | None) -> float | None:
    # Rounded so reports and snapshots do not show binary floating-point noise.
    return None if value is None else round(value, 6)


def economics_report(rulebase, prices: PricesFile, econ: Economics, verdict: VolumeVerdict, today: dt.date,
                     override_path: str | None = None) -> EconomicsReport:
    used_prices = []
    seen: set[str] = set()
    for o in econ.options:
        price = prices.for_model(o.model) if o.model else None
        if price is not None and price.id not in seen:
            seen.add(price.id)
            used_prices.append(PriceReport(
                id=price.id, name=price.name, input_per_million=price.input_per_million,
                output_per_million=price.output_per_million, prompt_caching=price.prompt_caching,
                min_cacheable_tokens=price.min_cacheable_tokens, sources=source_refs(rulebase, price.sources)))
    options = [OptionReport(
        id=o.id, title=o.title, kind=o.kind, model=o.model, per_request_usd=_round(o.per_request_usd),
        fixed_monthly_usd=_round(o.fixed_monthly_usd), one_off_usd=_round(o.one_off_usd),
        monthly_usd=_round(o.monthly_usd), formula=o.formula, notes=list(o.notes),
        missing_inputs=list(o.missing_inputs), sources=source_refs(rulebase, o.sources)) for o in econ.options]
    titles = {o.id: o.title for o in econ.options}
    return EconomicsReport(
        currency=prices.currency, hours_per_month=HOURS_PER_MONTH, monthly_requests=econ.monthly_requests,
        payback_months=econ.payback_months, payback_assumed=econ.payback_assumed, baseline=econ.baseline,
        options=options,
        break_even=[BreakEven(option=k, title=titles.get(k, k), monthly_requests=v) for k, v in econ.break_even.items()],
        volume_justifies_setup=verdict, missing_inputs=list(econ.missing_inputs), prices=used_prices,
        price_file=os.path.basename(override_path) if override_path else None)
