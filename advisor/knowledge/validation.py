"""Validate a parsed YAML document against a pydantic schema, naming file and line for every error."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from advisor.errors import InputError, RuleBaseError
from advisor.knowledge.yamlio import YamlDocument, read_yaml

__all__ = ["validate_document", "load_document"]

M = TypeVar("M", bound=BaseModel)


def validate_document(doc: YamlDocument, schema: type[M], problems: list[RuleBaseError]) -> M | None:
    """``doc`` validated as ``schema``; on failure None, with one problem per error added to ``problems``."""
    if not isinstance(doc.data, dict):
        problems.append(RuleBaseError("expected a mapping at the top of the file", doc.locate(())))
        return None
    try:
        return schema.model_validate(doc.data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            dotted = ".".join(str(p) for p in loc) or "(top)"
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(RuleBaseError(f"{dotted}: {msg}", doc.locate(loc)))
        return None


def load_document(path: Path | str, schema: type[M]) -> M:
    """Read a YAML file and validate it as ``schema``; the first problem raises :class:`InputError`."""
    doc = read_yaml(path)
    problems: list[RuleBaseError] = []
    result = validate_document(doc, schema, problems)
    if result is None:
        first = problems[0]
        raise InputError(first.message, first.location)
    return result
