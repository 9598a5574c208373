"""Pick the model whose record format and dataset limits apply: ``--model ID`` or the rule base's fine-tuning model.

Two ways in:

* :func:`dataset_model` takes a loaded rule base and returns its ``ModelSpec``.
* :func:`dataset_model_fast` (``advisor data validate``'s start-up path) avoids importing pydantic and
  validating the whole rule base on every run: the first run loads and validates the rule base as
  usual, then keeps the catalogue entries it read in a JSON file in the user's cache folder
  (``$ADVISOR_CACHE_DIR``, else ``$XDG_CACHE_HOME/advisor``, else ``~/.cache/advisor``), keyed by a
  BLAKE2b hash of every file of the rule base. Any change to a rule file changes the key; a damaged or
  foreign cache file is ignored and rebuilt; an unwritable cache folder only means no cache. JSON,
  never pickle. The cached entry is returned as a read-only attribute view with the same field names
  as ``ModelSpec`` (``id``, ``record_format``, ``uses_validation_set``, ``tool_use_in_sft``,
  ``limits.*``, ``hyperparameters[name].min``, ...).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from advisor.errors import UsageError

__all__ = ["CONVERSATION_FORMAT", "RECORD_FORMATS", "dataset_model", "dataset_model_fast"]

CONVERSATION_FORMAT = "bedrock-claude-conversation"
RECORD_FORMATS = ("bedrock-claude-conversation", "bedrock-conversation-2024")
_CACHE_VERSION = 1


def _check(model):
    if model.record_format not in RECORD_FORMATS:
        raise UsageError(f"model {model.id!r} uses record format {model.record_format!r}; "
                         f"advisor data supports {' and '.join(RECORD_FORMATS)}")
    return model


def dataset_model(rulebase, model_id: str | None = None):
    """The catalogue entry (``ModelSpec``) to validate against; :class:`UsageError` when unusable."""
    if model_id is None:
        model = rulebase.fine_tune_model
        if model is None:
            raise UsageError(f"the rule base names fine-tuning model {rulebase.info.fine_tune_model!r}, "
                             "which is not in its model catalogue")
    else:
        model = rulebase.models.get(model_id)
        if model is None:
            known = ", ".join(sorted(rulebase.models)) or "none"
            raise UsageError(f"unknown model {model_id!r}; the catalogue has: {known}")
    _check(model)
    if model.limits is None:  # nothing documented: every limit unknown (checks skipped and said so)
        from advisor.knowledge.models import ModelLimits

        model = model.model_copy(update={"limits": ModelLimits()})
    return model


# --- the cached, pydantic-free path ------------------------------------------------------------------

class _View:
    """Read-only attribute access to a JSON object (nested objects become views; ``hyperparameters`` a dict)."""

    __slots__ = ("_data",)

    def __init__(self, data: dict):
        object.__setattr__(self, "_data", data)

    def __getattr__(self, name: str):
        try:
            value = self._data[name]
        except KeyError:
            raise AttributeError(name) from None
        if name == "hyperparameters" and isinstance(value, dict):
            return {k: _View(v) for k, v in value.items()}
        if isinstance(value, dict):
            return _View(value)
        return value

    def __setattr__(self, name, value):
        raise AttributeError("read-only")

    def __repr__(self) -> str:
        return f"ModelView({self._data.get('id', '?')!r})"


_LIMIT_DEFAULTS = {"chars_per_token_estimate": 3, "reserved_strings": []}


def _cache_dir() -> Path:
    explicit = os.environ.get("ADVISOR_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "advisor"


def _hasher():
    try:  # the C module itself: importing hashlib loads OpenSSL, a tenth of this command's start-up
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - other Python builds
        from hashlib import blake2b
    return blake2b(digest_size=32)


def _rules_key(root: Path) -> str | None:
    """BLAKE2b over every file of the rule base (relative names and bytes); None when it can't be read."""
    digest = _hasher()
    digest.update(f"advisor-data-catalogue-v{_CACHE_VERSION}\0".encode())
    try:
        files = []
        for folder, dirs, names in os.walk(root):
            dirs.sort()
            files += [os.path.join(folder, n) for n in names]
        files.sort()
        for name in files:
            with open(name, "rb") as f:
                data = f.read()
            digest.update(os.path.relpath(name, root).replace(os.sep, "/").encode() + b"\0")
            digest.update(data + b"\0")
    except OSError:
        return None
    try:
        from advisor import __version__
    except ImportError:  # pragma: no cover
        __version__ = "?"
    digest.update(str(__version__).encode())
    return digest.hexdigest()


def _default_rules_dir() -> Path:
    # the same place advisor.knowledge.default_rules_dir finds it, without importing the loader
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_rules"
    return packaged if packaged.is_dir() else here.parent / "rules"


def _read_cache(path: Path) -> dict | None:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError, RecursionError):
        return None
    if (not isinstance(data, dict) or data.get("version") != _CACHE_VERSION
            or not isinstance(data.get("models"), dict) or not isinstance(data.get("fine_tune_model"), str)):
        return None
    for entry in data["models"].values():
        if not (isinstance(entry, dict) and isinstance(entry.get("id"), str)
                and isinstance(entry.get("record_format"), str) and isinstance(entry.get("limits"), dict)
                and isinstance(entry.get("hyperparameters"), dict)):
            return None
    return data


def _write_cache(path: Path, data: dict) -> None:
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".catalogue.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f)
            os.replace(tmp, path)
        except OSError:
            os.unlink(tmp)
    except OSError:
        return  # no cache: the next run loads the rule base again


def _build(root: Path | None) -> dict:
    from advisor.knowledge import load_rulebase

    rulebase = load_rulebase(root)
    models = {}
    for mid, spec in rulebase.models.items():
        entry = spec.model_dump(mode="json")
        if entry.get("limits") is None:
            entry["limits"] = {}
        models[mid] = entry
    return {"version": _CACHE_VERSION, "fine_tune_model": rulebase.info.fine_tune_model, "models": models}


def dataset_model_fast(rules_dir: str | Path | None = None, model_id: str | None = None):
    """Like :func:`dataset_model`, from the cached catalogue when the rule base is unchanged (see above)."""
    root = Path(rules_dir) if rules_dir is not None else _default_rules_dir()
    key = _rules_key(root) if root.is_dir() else None
    data = None
    cache = _cache_dir() / f"catalogue-{key}.json" if key else None
    if cache is not None:
        data = _read_cache(cache)
    if data is None:
        data = _build(Path(rules_dir) if rules_dir is not None else None)  # validates; raises on a bad rule base
        if cache is not None:
            _write_cache(cache, data)
    wanted = model_id if model_id is not None else data["fine_tune_model"]
    entry = data["models"].get(wanted)
    if entry is None:
        if model_id is None:
            raise UsageError(f"the rule base names fine-tuning model {wanted!r}, which is not in its model catalogue")
        known = ", ".join(sorted(data["models"])) or "none"
        raise UsageError(f"unknown model {model_id!r}; the catalogue has: {known}")
    entry = dict(entry)
    entry["limits"] = {**_LIMIT_DEFAULTS, **(entry.get("limits") or {})}
    entry.setdefault("uses_validation_set", True)
    entry.setdefault("tool_use_in_sft", False)
    return _check(_View(entry))
