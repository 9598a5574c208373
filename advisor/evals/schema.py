"""JSON Schemas for the ``json`` metric: references are resolved inside the schema only.

A ``$ref`` to ``http://…`` or ``file://…`` is never fetched or read (issue 16: evaluating must not send
requests the user did not name, nor read files through a schema). Validators are built with a
``referencing`` registry that holds the schema itself and has no retrieval function, and every ``$ref``
is looked up once when the schema is loaded, so an unresolvable one is an error naming the file before
any model call instead of a traceback after all of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advisor.errors import InputError, UsageError, location_for

__all__ = ["load_schema", "make_validator", "check_refs"]


def _jsonschema():
    try:
        import jsonschema  # lazy: only the json metric with a schema needs it
    except ImportError:
        raise UsageError("checking a JSON Schema needs the jsonschema package (pip install jsonschema)") from None
    return jsonschema


def _no_retrieval(uri: str):
    from referencing.exceptions import NoSuchResource

    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


def _registry_and_resolver(schema: Any):
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resource = Resource.from_contents(schema, default_specification=DRAFT202012)
    registry = Registry(retrieve=_no_retrieval).with_resource(uri="", resource=resource)  # type: ignore[call-arg]
    return registry, registry.resolver_with_root(resource)


def _refs(node: Any, depth: int = 0):
    """Every ``$ref`` string outside subschemas that set their own ``$id`` (their base URI differs)."""
    if depth > 200:
        raise InputError("the JSON Schema is nested more than 200 levels deep")
    if isinstance(node, dict):
        if depth and isinstance(node.get("$id"), str):
            return
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for key, value in node.items():
            if key not in ("const", "enum", "examples", "default"):
                yield from _refs(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value, depth + 1)


def check_refs(schema: Any, where=None) -> None:
    """Raise :class:`InputError` for the first ``$ref`` that does not point inside the schema."""
    from referencing.exceptions import Unresolvable

    if not isinstance(schema, dict):
        return
    _, resolver = _registry_and_resolver(schema)
    for ref in _refs(schema):
        try:
            resolver.lookup(ref)
        except Unresolvable:
            raise InputError(f"JSON Schema $ref {ref!r} does not point inside the schema; references are only "
                             "resolved within the schema file (nothing is fetched or read)", where) from None
        except Exception as exc:  # a malformed pointer
            raise InputError(f"JSON Schema $ref {ref!r} is invalid: {exc}", where) from None


def make_validator(schema: Any, where=None):
    """A validator for ``schema`` (checked against its meta-schema) that never retrieves references."""
    jsonschema = _jsonschema()
    try:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise InputError(f"not a valid JSON Schema: {exc.message}", where) from None
    except RecursionError:
        raise InputError("the JSON Schema is nested too deeply", where) from None
    check_refs(schema, where)
    if isinstance(schema, dict):
        registry, _ = _registry_and_resolver(schema)
        return cls(schema, registry=registry)
    return cls(schema)


def load_schema(path: str | Path) -> Any:
    """Read a JSON Schema file and check it (meta-schema, references) before it is used."""
    from advisor.evals.jsonio import read_json

    schema = read_json(path)
    if not isinstance(schema, (dict, bool)):
        raise InputError("a JSON Schema must be an object", location_for(path))
    make_validator(schema, location_for(path))
    return schema
