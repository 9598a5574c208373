"""Optional rule-base files owned by other parts of advisor (for example ``prices.yaml`` for the
economics). Each maps a file name to (pydantic schema, required); the loader validates them like the
core files and exposes the result as ``RuleBase.extras[name]``."""

from __future__ import annotations

from pydantic import BaseModel

from advisor.knowledge.prices import PricesFile

EXTENSION_FILES: dict[str, tuple[type[BaseModel], bool]] = {
    "prices.yaml": (PricesFile, False),
}
