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
import threading
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
        self._root = str(self.root)
        self._made: set[str] = set()

    def _dir(self, key: str) -> str:
        return os.path.join(self._root, key[:2])

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored response, or None (missing or unreadable entries are misses)."""
        try:
            with open(os.path.join(self._dir(key), key + ".json"), "rb") as fh:
                doc = json.loads(fh.read())
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def put(self, key: str, response: dict[str, Any]) -> None:
        """Store a successful response atomically (write a unique temporary file, then rename)."""
        folder = self._dir(key)
        if folder not in self._made:
            os.makedirs(folder, exist_ok=True)
            self._made.add(folder)
        # cheap on purpose: this runs once per call on the worker threads of a run
        tmp = os.path.join(folder, f".tmp-{key[:16]}-{os.getpid()}-{threading.get_ident()}")
        data = json.dumps(response, ensure_ascii=False).encode("utf-8")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
            os.replace(tmp, os.path.join(folder, key + ".json"))
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
