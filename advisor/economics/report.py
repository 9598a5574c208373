"""The economics as typed data (``Recommendation.economics``); every renderer reads this."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from advisor.knowledge.refs import SourceRef

__all__ = ["BreakEven", "EconomicsReport", "OptionReport", "PriceReport", "VolumeVerdict"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


class OptionReport(_Frozen):
    id: str
    title: str
    kind: Literal["prompt", "custom"]
    model: str | None
    per_request_usd: float | None
    fixed_monthly_usd: float | None
    one_off_usd: float | None
    monthly_usd: float | None
    formula: str
    notes: list[str]
    missing_inputs: list[str]
    sources: list[SourceRef]


class BreakEven(_Frozen):
    option: str
    title: str
    monthly_requests: float | None


class VolumeVerdict(_Frozen):
    """Whether the volume justifies the setup: answered, derived from the numbers, or undetermined."""

    value: bool | None
    source: Literal["answered", "derived", "undetermined"]
    numbers_say: bool | None
    compared_option: str | None
    baseline_option: str | None
    explanation: str


class PriceReport(_Frozen):
    id: str
    name: str
    input_per_million: float
    output_per_million: float
    prompt_caching: bool
    min_cacheable_tokens: int | None
    sources: list[SourceRef]


class EconomicsReport(_Frozen):
    currency: str
    hours_per_month: int
    monthly_requests: int | None
    payback_months: int
    payback_assumed: bool
    baseline: str | None
    options: list[OptionReport]
    break_even: list[BreakEven]
    volume_justifies_setup: VolumeVerdict
    missing_inputs: list[str]
    prices: list[PriceReport]
    price_file: str | None

    def option(self, option_id: str | None) -> OptionReport | None:
        return next((o for o in self.options if o.id == option_id), None)
