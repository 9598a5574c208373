"""A content-addressed, on-disk cache of successful model responses.

The key is the SHA-256 of everything that changes an answer: where the call goes (provider kind,
endpoint or region — never credentials), the model, system prompt, messages, sampling settings and
an ``epoch`` the user can bump to force fresh samples. One small JSON file per entry, written to a
temporary file and renamed, so a killed run never leaves a torn entry. Errors are never stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

CACHE_VERSION = 1


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/advisor/responses`` (``~/.cache/advisor/responses``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "advisor" / "responses"


def cache_key(identity: dict[str, Any], request: dict[str, Any], epoch: int = 0) -> str:
    """The hex SHA-256 of the canonical JSON of provider identity, request and epoch."""
    doc = {"v": CACHE_VERSION, "provider": identity, "request": request, "epoch": epoch}
    blob = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """Get and put responses by key under ``root`` (``root/ab/abcdef….json``)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored response, or None (missing or unreadable entries are misses)."""
        try:
            with open(self._path(key), encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def put(self, key: str, response: dict[str, Any]) -> None:
        """Store a successful response atomically."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(response, fh, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


class NoCache:
    """The cache used with ``--no-cache``: never hits, never stores."""

    def get(self, key: str) -> None:
        return None

    def put(self, key: str, response: dict[str, Any]) -> None:
        pass
