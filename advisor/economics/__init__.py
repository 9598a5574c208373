"""The economics behind the advice: a cost model per option, break-even volumes, and the economist
the engine is given to answer ``volume_justifies_setup`` from the user's numbers."""

from advisor.economics.model import (
    DEFAULT_PAYBACK_MONTHS, HOURS_PER_MONTH, INPUT_QUESTIONS, CostOption, Economics, Target, cost_model,
)

__all__ = [
    "DEFAULT_PAYBACK_MONTHS", "HOURS_PER_MONTH", "INPUT_QUESTIONS", "PRICES_ENV", "CostOption", "Economics",
    "Economist", "Target", "cost_model", "derive_economics", "economist_from_env",
]


def __getattr__(name: str):
    # The derivation needs the engine's Note type; import it on first use so the engine can import this package.
    if name in ("PRICES_ENV", "Economist", "derive_economics", "economist_from_env"):
        from advisor.economics import derivation

        return getattr(derivation, name)
    raise AttributeError(name)
