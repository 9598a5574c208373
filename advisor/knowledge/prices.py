"""Prices as data (``rules/prices.yaml``), each with a source; a user file of the same shape overrides."""


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


class PricesFile(Strict):
    currency: str = "USD"
    token_prices: list[TokenPrice] = []
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
        })


def prices_of(rulebase) -> PricesFile:
    """The rule base's prices (empty when it ships no prices.yaml); the same as ``rulebase.prices``."""
    return rulebase.prices


def load_user_prices(path: Path | str) -> PricesFile:
    """Read a user's price file (same shape as rules/prices.yaml); errors name file and line."""
    from advisor.knowledge.validation import load_document

    return load_document(path, PricesFile)
