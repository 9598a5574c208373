"""Prices as data (``rules/prices.yaml``), each with a source; a user file of the same shape overrides."""


import datetime as dt
from pathlib import Path

from pydantic import Field

from advisor.knowledge.models import Strict


class TokenPrice(Strict):
    id: str
    name: str
    model_ids: list[str] = Field(min_length=1)
    input_per_million: float = Field(ge=0)
    output_per_million: float = Field(ge=0)
    prompt_caching: bool = False
    # Smallest prefix the model caches (tokens per cache checkpoint); None = not documented.
    min_cacheable_tokens: int | None = None
    # A price for a model past its end of life is history: never used as an option or a baseline.
    end_of_life: dt.date | None = None
    sources: list[str] = Field(min_length=1)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """US dollars for this many tokens at on-demand prices."""
        return (input_tokens * self.input_per_million + output_tokens * self.output_per_million) / 1_000_000


class CachingRates(Strict):
    cache_write_multiplier: float = Field(ge=0)
    cache_read_multiplier: float = Field(ge=0)
    sources: list[str] = Field(min_length=1)


class BatchDiscount(Strict):
    multiplier: float = Field(gt=0, le=1)
    uncertain: bool = False
    sources: list[str] = Field(min_length=1)


class PromptOnlyModels(Strict):
    """Which priced models the economics offers as prompt-only options (ids in token_prices)."""

    large: str
    small: list[str] = []


class PricesFile(Strict):
    currency: str = "USD"
    token_prices: list[TokenPrice] = []
    prompt_only_models: PromptOnlyModels | None = None
    prompt_caching: CachingRates | None = None
    batch_discount: BatchDiscount | None = None
    user_inputs_required: list[str] = []

    def for_model(self, model_id: str) -> TokenPrice | None:
        """The price whose ``model_ids`` (or ``id``) names ``model_id``; None when no sourced price exists."""
        for price in self.token_prices:
            if model_id == price.id or model_id in price.model_ids:
                return price
        return None

    def merged(self, override: "PricesFile") -> "PricesFile":
        """These prices with ``override``'s entries replacing same-id entries and adding new ones."""
        by_id = {p.id: p for p in self.token_prices}
        by_id.update({p.id: p for p in override.token_prices})
        return self.model_copy(update={
            "token_prices": list(by_id.values()),
            "prompt_caching": override.prompt_caching or self.prompt_caching,
            "batch_discount": override.batch_discount or self.batch_discount,
            "prompt_only_models": override.prompt_only_models or self.prompt_only_models,
        })


def prices_of(rulebase) -> PricesFile:
    """The rule base's prices (empty when it ships no prices.yaml); the same as ``rulebase.prices``."""
    return rulebase.prices


def load_user_prices(path: Path | str) -> PricesFile:
    """Read a user's price file (same shape as rules/prices.yaml); errors name file and line."""
    from advisor.knowledge.validation import load_document

    return load_document(path, PricesFile)
