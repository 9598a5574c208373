"""Pieces the harness, the judge and the report share (kept here so none of them imports another in a circle)."""

from __future__ import annotations

from typing import Any

from advisor.errors import InputError


def row_key(variant: str, example_id: str, repeat: int = 0):
    """The key of :attr:`RunResult.rows`: ``(variant, id)`` for the first repeat, ``(variant, id, r)`` after."""
    return (variant, example_id) if repeat == 0 else (variant, example_id, repeat)


def ledger_key(variant: str, example_id: str, repeat: int = 0) -> str:
    return f"{variant}/{example_id}" + (f"#{repeat}" if repeat else "")


class TemplateCache:
    """Prompt templates compiled once, rendered in Jinja's sandbox; a failure is an InputError naming where."""

    def __init__(self):
        from jinja2 import StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        self.env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        self.compiled: dict[str, Any] = {}

    def render(self, template: str, fields: dict[str, Any], where: str) -> str:
        from jinja2 import TemplateError

        try:
            if template not in self.compiled:
                self.compiled[template] = self.env.from_string(template)
            return self.compiled[template].render(**fields)
        except TemplateError as exc:
            raise InputError(f"{where}: prompt template: {exc}") from None
        except (RecursionError, OverflowError, ValueError, TypeError) as exc:
            raise InputError(f"{where}: prompt template failed: {exc.__class__.__name__}: {exc}") from None


class NoPrices:
    """Stands in for a price table that could not be read: every model is unpriced, and ``why`` says why."""

    def __init__(self, why: str):
        self.why = why

    def for_model(self, model_id: str):
        return None
