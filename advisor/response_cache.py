"""A content-addressed, on-disk cache of successful model responses.

The key is the SHA-256 of everything that changes an answer: where the call goes (provider kind,
endpoint or region — never credentials), the model, system prompt, messages, sampling settings and
an ``epoch`` the user can bump to force fresh samples. Errors are never stored.

Storage is one SQLite file (``responses.sqlite3`` in the cache folder) in WAL mode: an insert costs
tens of microseconds where a file per entry cost a create, a write and a rename (with a journal commit
each), which showed up as CPU on every call of a fast run. A committed entry survives the process
being killed; several runs may share the cache at once (SQLite's locking, with a busy timeout).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from advisor.errors import InputError, location_for

CACHE_VERSION = 1
DB_NAME = "responses.sqlite3"


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
    """Get and put responses by key in ``root/responses.sqlite3`` (one connection per thread)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.path = self.root / DB_NAME
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self.root.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # no fsync per commit; WAL keeps it consistent
            conn.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
                         "created REAL NOT NULL)")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored response, or None (missing or unreadable entries are misses)."""
        try:
            row = self._db().execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
            doc = json.loads(row[0]) if row else None
        except (sqlite3.Error, OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def put(self, key: str, response: dict[str, Any]) -> None:
        """Store a successful response (raises OSError when the cache cannot be written)."""
        data = json.dumps(response, ensure_ascii=False)
        try:
            self._db().execute("INSERT OR REPLACE INTO responses (key, value, created) VALUES (?, ?, ?)",
                               (key, data, time.time()))
        except sqlite3.Error as exc:
            raise OSError(f"response cache {self.path}: {exc}") from None

    def __len__(self) -> int:
        return self._db().execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            for conn in self._connections:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()
        self._local = threading.local()


class NoCache:
    """The cache used with ``--no-cache``: never hits, never stores."""

    def get(self, key: str) -> None:
        return None

    def put(self, key: str, response: dict[str, Any]) -> None:
        pass

    def close(self) -> None:
        pass


def _db_path(root: str | Path) -> Path:
    return Path(root) / DB_NAME


def cache_info(root: str | Path) -> dict[str, Any]:
    """Where the cache is, how many responses it holds, its size on disk and the oldest/newest entry."""
    path = _db_path(root)
    doc: dict[str, Any] = {"path": str(Path(root)), "exists": path.exists(), "entries": 0, "bytes": 0,
                           "oldest": None, "newest": None}
    if not path.exists():
        return doc
    doc["bytes"] = sum(p.stat().st_size for p in Path(root).glob(DB_NAME + "*") if p.is_file())
    with _open_readonly(path) as conn:
        count, oldest, newest = conn.execute("SELECT COUNT(*), MIN(created), MAX(created) FROM responses").fetchone()
    doc["entries"] = count

    def stamp(t):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)) if t else None

    doc["oldest"], doc["newest"] = stamp(oldest), stamp(newest)
    return doc


class _open_readonly:
    def __init__(self, path: Path):
        self.path = path

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.conn.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
                              "created REAL NOT NULL)")
        except sqlite3.Error as exc:
            raise InputError(f"cannot open the response cache: {exc}", location_for(self.path)) from None
        return self.conn

    def __exit__(self, *exc) -> None:
        self.conn.close()


def _delete(root: str | Path, where: str, params: tuple) -> int:
    path = _db_path(root)
    if not path.exists():
        return 0
    with _open_readonly(path) as conn:
        try:
            removed = conn.execute(f"DELETE FROM responses {where}", params).rowcount
            conn.execute("VACUUM")
        except sqlite3.Error as exc:
            raise InputError(f"cannot change the response cache: {exc}", location_for(path)) from None
    return int(removed)


def clear_cache(root: str | Path) -> int:
    """Remove every cached response; returns how many were removed."""
    return _delete(root, "", ())


def prune_cache(root: str | Path, older_than_seconds: float) -> int:
    """Remove responses stored more than ``older_than_seconds`` ago; returns how many were removed."""
    return _delete(root, "WHERE created < ?", (time.time() - older_than_seconds,))
