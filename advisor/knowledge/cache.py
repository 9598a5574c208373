"""A cache of validated rule bases, so a command does not parse and validate the same YAML every time.

The cache is JSON (never pickle) in the user's cache folder: ``$ADVISOR_CACHE_DIR`` if set (an empty
value turns the cache off), else ``$XDG_CACHE_HOME/advisor``, else ``~/.cache/advisor``. An entry is
keyed by a hash of the rule files' bytes, the advisor version and the source of the modules that define
and read the schemas, so an edited rule file, an upgrade or a schema change simply misses. A damaged
or unreadable entry is ignored (the rule base is validated again), writes are atomic (temporary file +
rename), and a folder that cannot be written is skipped silently.

Reading an entry rebuilds the models with ``model_construct`` from data that pydantic validated and
dumped when the entry was written, so no schema is built and no YAML is parsed on a hit. Any field
type the rebuilder does not know makes the entry unusable, and the loader validates as usual.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import types
import typing
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel

from advisor.knowledge.conditions import Condition, parse_condition

__all__ = ["cache_dir", "cache_key", "read_entry", "write_entry", "construct", "CACHE_ENV"]

CACHE_ENV = "ADVISOR_CACHE_DIR"
FORMAT = 1
_KEEP = 16  # entries kept per cache folder; older ones are removed when a new one is written
_HERE = Path(__file__).resolve().parent
# The modules whose source decides what a cached entry means: the schemas and the code reading them.
_SCHEMA_SOURCES = ("models.py", "prices.py", "conditions.py", "loader.py", "cache.py")


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is turned off (``ADVISOR_CACHE_DIR`` set to empty)."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return Path(configured).expanduser() if configured.strip() else None
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "advisor"
    try:
        return Path.home() / ".cache" / "advisor"
    except (RuntimeError, KeyError):  # no home folder to be found: no cache
        return None


def cache_key(content_digest: str) -> str:
    """The entry name for rule files hashing to ``content_digest`` under this version and these schemas."""
    from advisor import __version__

    digest = hashlib.sha256()
    digest.update(f"format {FORMAT}\0version {__version__}\0rules {content_digest}\0".encode())
    for name in _SCHEMA_SOURCES:
        try:
            digest.update((_HERE / name).read_bytes())
        except OSError:
            digest.update(b"missing " + name.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def _entry_path(key: str) -> Path | None:
    folder = cache_dir()
    return folder / f"rulebase-{key}.json" if folder is not None else None


def read_entry(key: str) -> dict[str, Any] | None:
    """The cached files for ``key`` (file name -> validated data), or None on a miss or a damaged entry."""
    path = _entry_path(key)
    if path is None:
        return None
    try:
        entry = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != key:
        return None
    files = entry.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, dict) for v in files.values()):
        return None
    return files


def write_entry(key: str, files: dict[str, BaseModel]) -> None:
    """Store validated models under ``key``; silently does nothing where the folder cannot be written."""
    path = _entry_path(key)
    if path is None:
        return
    try:
        data = {name: model.model_dump(mode="json") for name, model in files.items()}
        # Store only what reads back exactly (a YAML date under an ``Any`` field would come back as text).
        for name, model in files.items():
            if construct(type(model), data[name]).model_dump() != model.model_dump():
                return
        payload = json.dumps({"format": FORMAT, "key": key, "files": data}, ensure_ascii=False,
                             separators=(",", ":"))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(payload, encoding="utf-8")
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        _prune(path.parent)
    except (OSError, TypeError, ValueError, Unsupported):
        return


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("rulebase-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[_KEEP:]:
        old.unlink(missing_ok=True)


# --- rebuilding models from validated data --------------------------------------------------------

class Unsupported(Exception):
    """A field type the rebuilder does not handle: the entry is not used."""


def construct(schema: type[BaseModel], data: Any) -> BaseModel:
    """``schema`` built from its own ``model_dump(mode="json")`` without validating again."""
    if not isinstance(data, dict):
        raise Unsupported(f"{schema.__name__}: expected an object")
    values = {}
    for name, info in schema.model_fields.items():
        if info.alias is not None and info.alias != name:
            raise Unsupported(f"{schema.__name__}.{name} has an alias")
        if name in data:
            values[name] = _value(info.annotation, info.metadata, data[name])
    return schema.model_construct(**values)


_PLAIN = (str, int, bool)


def _value(tp: Any, metadata: list[Any], value: Any) -> Any:
    if value is None:
        return None
    if typing.get_origin(tp) is typing.Annotated:
        base, *extra = typing.get_args(tp)
        return _value(base, [*metadata, *extra], value)
    if any(type(meta).__name__ in ("PlainSerializer", "WrapSerializer") for meta in metadata) and tp is not Condition:
        raise Unsupported(f"custom serializer on {tp!r}")
    if tp is Condition:
        if not isinstance(value, str):
            raise Unsupported("condition is not text")
        return parse_condition(value)
    if tp is Any:
        return value
    if isinstance(tp, type):
        if issubclass(tp, BaseModel):
            return construct(tp, value)
        if tp is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise Unsupported("not a number")
            return float(value)
        if tp in _PLAIN:
            if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
                raise Unsupported(f"not a {tp.__name__}")
            return value
        if tp is dt.date:
            return dt.date.fromisoformat(value)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        if value not in args:
            raise Unsupported("literal out of range")
        return value
    if origin in (Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return _value(options[0], [], value)
        raise Unsupported(f"union {tp!r}")
    if origin is list and isinstance(value, list):
        item = args[0] if args else Any
        return [_value(item, [], v) for v in value]
    if origin is tuple and isinstance(value, list):
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_value(args[0], [], v) for v in value)
        if len(args) != len(value):
            raise Unsupported("tuple length")
        return tuple(_value(a, [], v) for a, v in zip(args, value, strict=True))
    if origin is dict and isinstance(value, dict):
        key_type, item = args if args else (str, Any)
        text_keys = key_type is str or (typing.get_origin(key_type) is typing.Literal
                                        and all(isinstance(a, str) for a in typing.get_args(key_type)))
        if not text_keys:
            raise Unsupported("dict keys")
        return {k: _value(item, [], v) for k, v in value.items()}
    raise Unsupported(f"type {tp!r}")
