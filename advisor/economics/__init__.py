"""The economics behind the advice: a cost model per option, break-even volumes, and the derivation
that answers ``volume_justifies_setup`` from the user's numbers."""

from advisor.economics.derivation import PRICES_ENV, derive_economics, economics_derivation, economics_report
from advisor.economics.model import (
    DEFAULT_PAYBACK_MONTHS, HOURS_PER_MONTH, INPUT_QUESTIONS, LARGE_MODEL, SMALL_MODEL, CostOption, Economics,
    cost_model,
)

__all__ = [
    "DEFAULT_PAYBACK_MONTHS", "HOURS_PER_MONTH", "INPUT_QUESTIONS", "LARGE_MODEL", "PRICES_ENV", "SMALL_MODEL",
    "CostOption", "Economics", "cost_model", "derive_economics", "economics_derivation", "economics_report",
]
