"""The cost model: monthly cost of each way to serve the task, and the break-even volume.

Every figure is computed from prices with a source (``rules/prices.yaml`` or the user's price file)
and from numbers the user gave; nothing without a source gets a default. Options whose inputs are
missing are still listed, with the inputs they need, so the report says what to find out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from advisor.knowledge.prices import PricesFile, TokenPrice

__all__ = [
    "HOURS_PER_MONTH", "DEFAULT_PAYBACK_MONTHS", "LARGE_MODEL", "SMALL_MODEL", "CostOption", "Economics",
    "INPUT_QUESTIONS", "cost_model",
]

# 24 hours x 365 days / 12 months: the hours an always-on resource is billed in an average month.
HOURS_PER_MONTH = 730
# Used only when the user does not answer payback_months; the report labels it as an assumption.
DEFAULT_PAYBACK_MONTHS = 12
# The large model the team runs today and the smaller model a cascade or few-shot prompt would use.
# Their prices come from the price table (ids in rules/prices.yaml); a user price file can change them.
LARGE_MODEL = "claude-3-5-sonnet"
SMALL_MODEL = "claude-3-haiku"

# The questions the cost model reads, in the order the interview should ask them.
INPUT_QUESTIONS = (
    "monthly_requests", "input_tokens_per_request", "output_tokens_per_request", "cacheable_prefix_tokens",
    "few_shot_extra_tokens", "provisioned_throughput_hourly_usd", "fine_tuning_training_cost_usd",
    "gpu_hourly_usd", "setup_cost_usd", "payback_months",
)


@dataclass(frozen=True)
class CostOption:
    """One way to serve the task. ``per_request_usd`` scales with volume; ``fixed_monthly_usd`` does not.

    ``monthly_usd`` is the cost at the user's volume including one-off costs spread over the payback
    period; None while ``missing_inputs`` is not empty.
    """

    id: str
    title: str
    kind: str  # "prompt" (billed per token) or "custom" (hourly-billed, with one-off costs)
    model: str | None
    per_request_usd: float | None
    fixed_monthly_usd: float | None
    one_off_usd: float | None
    monthly_usd: float | None
    formula: str
    notes: list[str] = field(default_factory=list)
    missing_inputs: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @property
    def computed(self) -> bool:
        return self.monthly_usd is not None

    def cost_at(self, monthly_requests: float, payback_months: int) -> float | None:
        """Monthly cost at another volume (for the chart and the break-even)."""
        if self.per_request_usd is None or self.fixed_monthly_usd is None:
            return None
        amortised = (self.one_off_usd or 0.0) / payback_months
        return self.fixed_monthly_usd + amortised + self.per_request_usd * monthly_requests


@dataclass(frozen=True)
class Economics:
    """The cost model's result: options, the baseline they are compared with, and break-even volumes."""

    options: list[CostOption]
    baseline: str | None
    break_even: dict[str, float | None]
    payback_months: int
    payback_assumed: bool
    monthly_requests: int | None
    missing_inputs: list[str]

    def option(self, option_id: str) -> CostOption | None:
        return next((o for o in self.options if o.id == option_id), None)


def _per_request(price: TokenPrice, input_tokens: int, output_tokens: int, cached_tokens: int,
                 read_multiplier: float | None) -> float:
    """US dollars for one request; ``cached_tokens`` of the input are billed at the cache-read rate."""
    if read_multiplier is None or cached_tokens <= 0:
        return price.cost(input_tokens, output_tokens)
    cached = min(cached_tokens, input_tokens)
    fresh = input_tokens - cached
    return (fresh * price.input_per_million + cached * price.input_per_million * read_multiplier
            + output_tokens * price.output_per_million) / 1_000_000


def _int(values: Mapping[str, Any], key: str) -> int | None:
    v = values.get(key)
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _num(values: Mapping[str, Any], key: str) -> float | None:
    v = values.get(key)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _prompt_option(option_id: str, title: str, model_id: str, prices: PricesFile, requests: int | None,
                   input_tokens: int | None, output_tokens: int | None, cached_tokens: int,
                   extra_missing: list[str], extra_input: int = 0) -> tuple[CostOption, TokenPrice | None]:
    price = prices.for_model(model_id)
    missing = [q for q, v in (("monthly_requests", requests), ("input_tokens_per_request", input_tokens),
                              ("output_tokens_per_request", output_tokens)) if v is None] + extra_missing
    notes: list[str] = []
    if price is None:
        missing.append(f"price:{model_id}")
        notes.append(f"No sourced on-demand price for {model_id}; add one with a price file.")
        return CostOption(option_id, title, "prompt", model_id, None, None, None, None, "", notes, missing), None
    caching = prices.prompt_caching
    read = None
    if price.prompt_caching and caching is not None and cached_tokens > 0:
        read = caching.cache_read_multiplier
        notes.append(f"Prompt caching applied: {cached_tokens:,} prefix tokens billed at {read:g}x the input price "
                     "(every request assumed to hit the cache; cache writes not counted).")
    elif not price.prompt_caching:
        notes.append(f"{price.name} does not support prompt caching (per the price table), so every input token "
                     "is billed in full.")
    sources = list(price.sources) + (list(caching.sources) if read is not None and caching else [])
    if missing:
        return CostOption(option_id, title, "prompt", model_id, None, None, None, None, "", notes, missing, sources), price
    input_tokens += extra_input
    per_request = _per_request(price, input_tokens, output_tokens, cached_tokens, read)
    if read is not None:
        formula = (f"{requests:,} requests x (({input_tokens:,} - {cached_tokens:,}) x ${price.input_per_million:g} "
                   f"+ {cached_tokens:,} x ${price.input_per_million:g} x {read:g} "
                   f"+ {output_tokens:,} x ${price.output_per_million:g}) / 1M tokens")
    else:
        formula = (f"{requests:,} requests x ({input_tokens:,} x ${price.input_per_million:g} "
                   f"+ {output_tokens:,} x ${price.output_per_million:g}) / 1M tokens")
    return CostOption(option_id, title, "prompt", model_id, per_request, 0.0, 0.0, per_request * requests, formula,
                      notes, [], sources), price


def cost_model(prices: PricesFile, values: Mapping[str, Any], large_model: str = LARGE_MODEL,
               small_model: str = SMALL_MODEL) -> Economics:
    """Cost every option for these answers. Pure: the same inputs always give the same figures."""
    requests = _int(values, "monthly_requests")
    input_tokens = _int(values, "input_tokens_per_request")
    output_tokens = _int(values, "output_tokens_per_request")
    prefix = _int(values, "cacheable_prefix_tokens") or 0
    few_shot = _int(values, "few_shot_extra_tokens")
    payback = _int(values, "payback_months")
    payback_assumed = payback is None
    payback = payback or DEFAULT_PAYBACK_MONTHS

    options: list[CostOption] = []
    large, large_price = _prompt_option(
        "large_on_demand", "Large model on demand", large_model, prices, requests, input_tokens, output_tokens,
        prefix, [])
    options.append(large)
    # The worked examples are the same on every request, so they join the cacheable prefix.
    small, _ = _prompt_option(
        "small_few_shot", "Smaller model with few-shot examples", small_model, prices, requests,
        input_tokens, output_tokens, prefix + (few_shot or 0),
        [] if few_shot is not None else ["few_shot_extra_tokens"], extra_input=few_shot or 0)
    options.append(small)

    setup = _num(values, "setup_cost_usd")
    # Fine-tuned Claude 3 Haiku: no per-token charge, Provisioned Throughput billed every hour.
    pt = _num(values, "provisioned_throughput_hourly_usd")
    training = _num(values, "fine_tuning_training_cost_usd")
    ft_missing = [q for q, v in (("provisioned_throughput_hourly_usd", pt),) if v is None]
    ft_notes = ["Provisioned Throughput is billed every hour until deleted, whatever the traffic; its capacity "
                "(model units) must cover your peak, which this model does not check."]
    one_off_parts = [v for v in (training, setup) if v is not None]
    if training is None:
        ft_notes.append("Training cost not given: the one-off cost counts only what you entered.")
    if setup is None:
        ft_notes.append("Setup cost not given: people's time is not counted.")
    ft_one_off = sum(one_off_parts)
    if ft_missing:
        options.append(CostOption("fine_tuned_provisioned", "Fine-tuned Claude 3 Haiku on Provisioned Throughput",
                                  "custom", small_model, None, None, None, None, "", ft_notes, ft_missing,
                                  ["aws_provisioned_throughput"]))
    else:
        fixed = pt * HOURS_PER_MONTH
        monthly = fixed + ft_one_off / payback
        formula = (f"${pt:g}/hour x {HOURS_PER_MONTH} hours + (${ft_one_off:,.2f} one-off / {payback} months)")
        options.append(CostOption("fine_tuned_provisioned", "Fine-tuned Claude 3 Haiku on Provisioned Throughput",
                                  "custom", small_model, 0.0, fixed, ft_one_off, monthly, formula, ft_notes, [],
                                  ["aws_provisioned_throughput"]))

    # Self-hosted distilled model: GPUs billed every hour, plus the teacher outputs bought once.
    gpu = _num(values, "gpu_hourly_usd")
    examples = _int(values, "training_examples")
    d_notes = ["The GPU rate must cover enough instances for your peak traffic; operating them is not costed."]
    teacher = None
    if examples is not None and large.per_request_usd is not None:
        teacher = examples * large.per_request_usd
        d_notes.append(f"Teacher outputs: {examples:,} examples x ${large.per_request_usd:.6f} per large-model request "
                       f"= ${teacher:,.2f}.")
    else:
        d_notes.append("Teacher outputs not costed (needs training_examples and the large model's per-request cost).")
    if setup is None:
        d_notes.append("Setup cost not given: people's time is not counted.")
    d_one_off = sum(v for v in (teacher, setup) if v is not None)
    if gpu is None:
        options.append(CostOption("distilled_self_hosted", "Distilled open-weights model, self-hosted", "custom",
                                  None, None, None, None, None, "", d_notes, ["gpu_hourly_usd"],
                                  list(large_price.sources) if large_price else []))
    else:
        fixed = gpu * HOURS_PER_MONTH
        formula = f"${gpu:g}/hour x {HOURS_PER_MONTH} hours + (${d_one_off:,.2f} one-off / {payback} months)"
        options.append(CostOption("distilled_self_hosted", "Distilled open-weights model, self-hosted", "custom",
                                  None, 0.0, fixed, d_one_off, fixed + d_one_off / payback, formula, d_notes, [],
                                  list(large_price.sources) if large_price else []))

    # The baseline is the large model as used today (with caching where supported): the remaining gap
    # survived prompting, so the team is on the large model and a custom model must beat that bill.
    baseline = large if large.computed else None
    break_even: dict[str, float | None] = {}
    for option in options:
        if option.kind != "custom" or option.fixed_monthly_usd is None:
            continue
        break_even[option.id] = _break_even(option, large, payback)
    missing = sorted({m for o in options for m in o.missing_inputs})
    return Economics(options=options, baseline=baseline.id if baseline else None, break_even=break_even,
                     payback_months=payback, payback_assumed=payback_assumed, monthly_requests=requests,
                     missing_inputs=missing)


def _break_even(custom: CostOption, baseline: CostOption, payback: int) -> float | None:
    """Monthly requests above which ``custom`` costs less than ``baseline``; None if it never does."""
    if baseline.per_request_usd is None or custom.fixed_monthly_usd is None:
        return None
    saving_per_request = baseline.per_request_usd - (custom.per_request_usd or 0.0)
    if saving_per_request <= 0:
        return None
    fixed = custom.fixed_monthly_usd + (custom.one_off_usd or 0.0) / payback
    return math.ceil(fixed / saving_per_request)
