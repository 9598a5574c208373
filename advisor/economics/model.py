"""The cost model: monthly cost of each way to serve the task, with the arithmetic shown.

Every figure comes from a price with a source and a date (``rules/prices.yaml`` or the user's price
file) and from numbers the user gave; nothing without a source gets a default. A price past its
model's end of life is never used. Options whose inputs are missing are still listed with the inputs
they need, so the report says what to find out. The verdict compares the cheapest custom option with
the **cheapest** prompt-only option, not with the most expensive one.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict

from advisor.knowledge.prices import PricesFile, TokenPrice

__all__ = [
    "HOURS_PER_MONTH", "DEFAULT_PAYBACK_MONTHS", "CostOption", "Economics", "INPUT_QUESTIONS", "Target",
    "cost_model",
]

# 24 hours x 365 days / 12 months: the hours an always-on resource is billed in an average month.
HOURS_PER_MONTH = 730
# Used only when the user does not answer payback_months; the report labels it as an assumption.
DEFAULT_PAYBACK_MONTHS = 12

# The questions the cost model reads, in the order the interview should ask them.
INPUT_QUESTIONS = (
    "monthly_requests", "input_tokens_per_request", "output_tokens_per_request", "cacheable_prefix_tokens",
    "few_shot_extra_tokens", "offline_share_percent", "output_token_saving_percent", "peak_requests_per_minute",
    "model_unit_tokens_per_minute", "provisioned_throughput_hourly_usd", "fine_tuning_training_cost_usd",
    "gpu_hourly_usd", "setup_cost_usd", "payback_months",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


class Target(_Frozen):
    """The managed fine-tuning target the custom options are priced for (from the catalogue)."""

    id: str
    name: str
    on_demand_deployment: bool
    provisioned_throughput: bool


class CostOption(_Frozen):
    """One way to serve the task. ``per_request_usd`` scales with volume; ``fixed_monthly_usd`` does not.

    ``monthly_usd`` is the cost at the user's volume including one-off costs spread over the payback
    period; None while ``missing_inputs`` is not empty.
    """

    id: str
    title: str
    kind: Literal["prompt", "custom"]
    model: str | None
    per_request_usd: float | None
    fixed_monthly_usd: float | None
    one_off_usd: float | None
    monthly_usd: float | None
    formula: str = ""
    notes: list[str] = []
    missing_inputs: list[str] = []
    sources: list[str] = []

    @property
    def computed(self) -> bool:
        return self.monthly_usd is not None

    def cost_at(self, monthly_requests: float, payback_months: int) -> float | None:
        """Monthly cost at another volume (for the chart and the break-even)."""
        if self.per_request_usd is None or self.fixed_monthly_usd is None:
            return None
        amortised = (self.one_off_usd or 0.0) / payback_months
        return self.fixed_monthly_usd + amortised + self.per_request_usd * monthly_requests


class Economics(_Frozen):
    """The cost model's result: options, the cheapest prompt-only baseline, and break-even volumes."""

    options: list[CostOption]
    baseline: str | None
    break_even: dict[str, float | None]
    payback_months: int
    payback_assumed: bool
    monthly_requests: int | None
    missing_inputs: list[str]

    def option(self, option_id: str) -> CostOption | None:
        return next((o for o in self.options if o.id == option_id), None)


def _int(values: Mapping[str, Any], key: str) -> int | None:
    v = values.get(key)
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _num(values: Mapping[str, Any], key: str) -> float | None:
    v = values.get(key)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _usable(prices: PricesFile, model_id: str, today: dt.date) -> TokenPrice | None:
    price = prices.for_model(model_id)
    if price is None or (price.end_of_life is not None and today > price.end_of_life):
        return None
    return price


def _prompt_option(option_id: str, title: str, price: TokenPrice | None, model_id: str, prices: PricesFile,
                   v: dict[str, Any], extra_input: int, extra_missing: list[str]) -> CostOption:
    requests, input_tokens, output_tokens = v["requests"], v["input"], v["output"]
    missing = [q for q, x in (("monthly_requests", requests), ("input_tokens_per_request", input_tokens),
                              ("output_tokens_per_request", output_tokens)) if x is None] + extra_missing
    notes: list[str] = []
    if price is None:
        notes.append(f"No sourced, current on-demand price for {model_id}; add one with a price file.")
        return CostOption(id=option_id, title=title, kind="prompt", model=model_id, per_request_usd=None,
                          fixed_monthly_usd=None, one_off_usd=None, monthly_usd=None, notes=notes,
                          missing_inputs=missing + [f"price:{model_id}"])
    sources = list(price.sources)
    if missing:
        return CostOption(id=option_id, title=title, kind="prompt", model=price.id, per_request_usd=None,
                          fixed_monthly_usd=None, one_off_usd=None, monthly_usd=None, notes=notes,
                          missing_inputs=missing, sources=sources)
    total_in = input_tokens + extra_input
    # The worked examples are the same on every request, so they join the cacheable prefix.
    cached = min(v["prefix"] + extra_input, total_in)
    caching = prices.prompt_caching
    read = None
    if price.prompt_caching and caching is not None and cached > 0:
        if price.min_cacheable_tokens is not None and cached < price.min_cacheable_tokens:
            notes.append(f"The {cached:,}-token prefix is below {price.name.split(' (')[0]}'s minimum cacheable size "
                         f"of {price.min_cacheable_tokens:,} tokens, so it is billed in full.")
        else:
            read = caching.cache_read_multiplier
            sources += [s for s in caching.sources if s not in sources]
            minimum = (f" (minimum cacheable size {price.min_cacheable_tokens:,} tokens)"
                       if price.min_cacheable_tokens else " (minimum cacheable size not documented in the sources)")
            notes.append(f"Prompt caching: {cached:,} prefix tokens billed at {read:g}x the input price{minimum}; "
                         "every request is assumed to hit the cache, cache writes are not counted.")
    elif not price.prompt_caching:
        notes.append(f"No sourced prompt-caching rate for {price.name.split(' (')[0]}, so every input token is "
                     "billed in full.")
    fresh = total_in - (cached if read is not None else 0)
    online = (fresh * price.input_per_million + (cached * price.input_per_million * read if read else 0)
              + output_tokens * price.output_per_million) / 1_000_000
    cache_part = f" + {cached:,} x ${price.input_per_million:g} x {read:g}" if read is not None else ""
    formula = (f"({fresh:,} x ${price.input_per_million:g}{cache_part} + {output_tokens:,} x "
               f"${price.output_per_million:g}) / 1M tokens = ${online:.6f} a request")
    per_request = online
    share = v["offline_share"]
    batch = prices.batch_discount
    if share and batch is not None:
        per_request = online * (1 - share) + online * batch.multiplier * share
        sources += [s for s in batch.sources if s not in sources]
        formula += f"; {share:.0%} of requests in batch at {batch.multiplier:g}x = ${per_request:.6f}"
        notes.append(f"Batch inference prices {share:.0%} of the traffic (the share you said can wait) at "
                     f"{batch.multiplier:g}x the on-demand price.")
    formula += f"; x {requests:,} requests"
    return CostOption(id=option_id, title=title, kind="prompt", model=price.id, per_request_usd=per_request,
                      fixed_monthly_usd=0.0, one_off_usd=0.0, monthly_usd=per_request * requests, formula=formula,
                      notes=notes, sources=sources)


def cost_model(prices: PricesFile, values: Mapping[str, Any], target: Target | None = None,
               today: dt.date | None = None) -> Economics:
    """Cost every option for these answers. Pure: the same inputs always give the same figures."""
    today = today or dt.date.today()
    share = _num(values, "offline_share_percent")
    saving = _num(values, "output_token_saving_percent")
    v = {"requests": _int(values, "monthly_requests"), "input": _int(values, "input_tokens_per_request"),
         "output": _int(values, "output_tokens_per_request"), "prefix": _int(values, "cacheable_prefix_tokens") or 0,
         "offline_share": (share or 0.0) / 100}
    few_shot = _int(values, "few_shot_extra_tokens")
    payback = _int(values, "payback_months")
    payback_assumed = payback is None
    payback = payback or DEFAULT_PAYBACK_MONTHS
    roles = prices.prompt_only_models

    options: list[CostOption] = []
    large_id = roles.large if roles else None
    large = None
    if large_id:
        large_price = _usable(prices, large_id, today)
        large = _prompt_option("large_on_demand", f"{_name(large_price, large_id)} on demand, prompts as today",
                               large_price, large_id, prices, v, 0, [])
        options.append(large)
    small_ids = list(roles.small) if roles else []
    if target is not None and target.id not in small_ids and target.id != large_id:
        small_ids.append(target.id)
    for sid in small_ids:
        price = _usable(prices, sid, today)
        if price is None and prices.for_model(sid) is None and target is not None and sid == target.id:
            continue  # the target has no sourced price: its prompt-only option cannot be priced at all
        options.append(_prompt_option(
            f"few_shot_{sid.replace('-', '_')}", f"{_name(price, sid)} with few-shot examples", price, sid, prices, v,
            few_shot or 0, [] if few_shot is not None else ["few_shot_extra_tokens"]))

    setup = _num(values, "setup_cost_usd")
    training = _num(values, "fine_tuning_training_cost_usd")
    one_off = sum(x for x in (training, setup) if x is not None)
    one_off_notes = []
    if training is None:
        one_off_notes.append("Training cost not given (no sourced per-token training price): the one-off cost "
                             "counts only what you entered.")
    if setup is None:
        one_off_notes.append("Setup cost not given: people's time is not counted.")
    out_factor = 1 - (saving or 0.0) / 100
    saving_note = (f"Output tokens cut by {saving:g}% (your estimate of what fine-tuning saves; the seeds report "
                   "35% and 85%)." if saving else
                   "No output-token saving assumed (answer output_token_saving_percent; the seeds report 35% and 85%).")

    if target is not None and target.on_demand_deployment:
        price = _usable(prices, target.id, today)
        title = f"Fine-tuned {target.name}, on-demand deployment (per token)"
        missing = [q for q, x in (("monthly_requests", v["requests"]), ("input_tokens_per_request", v["input"]),
                                  ("output_tokens_per_request", v["output"])) if x is None]
        if price is None:
            missing.append(f"price:{target.id}")
        notes = ["Billed per token like the base model; no examples in the prompt. Custom-model storage is not "
                 "counted (no sourced figure).", saving_note] + one_off_notes
        if missing:
            options.append(CostOption(id="custom_on_demand", title=title, kind="custom", model=target.id,
                                      per_request_usd=None, fixed_monthly_usd=None, one_off_usd=None, monthly_usd=None,
                                      notes=notes, missing_inputs=missing, sources=["aws_custom_model_on_demand"]))
        else:
            out = v["output"] * out_factor
            per = (v["input"] * price.input_per_million + out * price.output_per_million) / 1_000_000
            formula = (f"({v['input']:,} x ${price.input_per_million:g} + {out:,.0f} x ${price.output_per_million:g}) "
                       f"/ 1M tokens = ${per:.6f} a request; x {v['requests']:,} requests + (${one_off:,.2f} one-off "
                       f"/ {payback} months)")
            options.append(CostOption(id="custom_on_demand", title=title, kind="custom", model=target.id,
                                      per_request_usd=per, fixed_monthly_usd=0.0, one_off_usd=one_off,
                                      monthly_usd=per * v["requests"] + one_off / payback, formula=formula,
                                      notes=notes, sources=list(price.sources) + ["aws_custom_model_on_demand"]))

    if target is not None and target.provisioned_throughput:
        hourly = _num(values, "provisioned_throughput_hourly_usd")
        peak = _num(values, "peak_requests_per_minute")
        unit_tpm = _num(values, "model_unit_tokens_per_minute")
        title = f"Fine-tuned {target.name} on Provisioned Throughput"
        missing = [q for q, x in (("provisioned_throughput_hourly_usd", hourly), ("peak_requests_per_minute", peak),
                                  ("model_unit_tokens_per_minute", unit_tpm), ("input_tokens_per_request", v["input"]),
                                  ("output_tokens_per_request", v["output"])) if x is None]
        notes = ["Billed every hour until deleted, whatever the traffic. Neither the hourly rate nor a model "
                 "unit's throughput is published for every model, so both are your figures."] + one_off_notes
        if missing:
            options.append(CostOption(id="custom_provisioned", title=title, kind="custom", model=target.id,
                                      per_request_usd=None, fixed_monthly_usd=None, one_off_usd=None, monthly_usd=None,
                                      notes=notes, missing_inputs=missing, sources=["aws_provisioned_throughput"]))
        else:
            peak_tpm = peak * (v["input"] + v["output"] * out_factor)
            units = max(1, math.ceil(peak_tpm / unit_tpm)) if unit_tpm > 0 else 1
            fixed = units * hourly * HOURS_PER_MONTH
            formula = (f"{units} model unit(s) (peak {peak:,.0f} requests/minute x {v['input'] + v['output'] * out_factor:,.0f} "
                       f"tokens = {peak_tpm:,.0f} tokens/minute, {unit_tpm:,.0f} per unit) x ${hourly:g}/hour x "
                       f"{HOURS_PER_MONTH} hours + (${one_off:,.2f} one-off / {payback} months)")
            options.append(CostOption(id="custom_provisioned", title=title, kind="custom", model=target.id,
                                      per_request_usd=0.0, fixed_monthly_usd=fixed, one_off_usd=one_off,
                                      monthly_usd=fixed + one_off / payback, formula=formula, notes=notes,
                                      sources=["aws_provisioned_throughput"]))

    # Self-hosted distilled model: GPUs billed every hour, plus the teacher outputs bought once.
    gpu = _num(values, "gpu_hourly_usd")
    examples = _int(values, "training_examples")
    d_notes = ["The GPU rate must cover enough instances for your peak traffic; operating them is not costed."]
    teacher = None
    if examples is not None and large is not None and large.per_request_usd is not None:
        teacher = examples * large.per_request_usd
        d_notes.append(f"Teacher outputs: {examples:,} examples x ${large.per_request_usd:.6f} per large-model request "
                       f"= ${teacher:,.2f}.")
    else:
        d_notes.append("Teacher outputs not costed (needs training_examples and the large model's per-request cost).")
    if setup is None:
        d_notes.append("Setup cost not given: people's time is not counted.")
    d_one_off = sum(x for x in (teacher, setup) if x is not None)
    d_sources = list(large.sources) if large else []
    if gpu is None:
        options.append(CostOption(id="distilled_self_hosted", title="Distilled open-weights model, self-hosted",
                                  kind="custom", model=None, per_request_usd=None, fixed_monthly_usd=None,
                                  one_off_usd=None, monthly_usd=None, notes=d_notes, missing_inputs=["gpu_hourly_usd"],
                                  sources=d_sources))
    else:
        fixed = gpu * HOURS_PER_MONTH
        formula = f"${gpu:g}/hour x {HOURS_PER_MONTH} hours + (${d_one_off:,.2f} one-off / {payback} months)"
        options.append(CostOption(id="distilled_self_hosted", title="Distilled open-weights model, self-hosted",
                                  kind="custom", model=None, per_request_usd=0.0, fixed_monthly_usd=fixed,
                                  one_off_usd=d_one_off, monthly_usd=fixed + d_one_off / payback, formula=formula,
                                  notes=d_notes, sources=d_sources))

    prompt_computed = [o for o in options if o.kind == "prompt" and o.computed]
    baseline = min(prompt_computed, key=lambda o: o.monthly_usd) if prompt_computed else None
    break_even: dict[str, float | None] = {}
    if baseline is not None:
        for option in options:
            if option.kind == "custom" and option.computed:
                break_even[option.id] = _break_even(option, baseline, payback)
    missing_all = sorted({m for o in options for m in o.missing_inputs})
    return Economics(options=options, baseline=baseline.id if baseline else None, break_even=break_even,
                     payback_months=payback, payback_assumed=payback_assumed, monthly_requests=v["requests"],
                     missing_inputs=missing_all)


def _name(price: TokenPrice | None, model_id: str) -> str:
    return price.name.split(" (")[0] if price is not None else model_id


def _break_even(custom: CostOption, baseline: CostOption, payback: int) -> float | None:
    """Monthly requests above which ``custom`` costs less than ``baseline``; None if it never does."""
    if baseline.per_request_usd is None or custom.fixed_monthly_usd is None:
        return None
    saving_per_request = baseline.per_request_usd - (custom.per_request_usd or 0.0)
    fixed = custom.fixed_monthly_usd + (custom.one_off_usd or 0.0) / payback
    if saving_per_request <= 0:
        return None
    return float(math.ceil(fixed / saving_per_request))
