"""The append-only results ledger that makes runs resumable.

Each finished call (success or final error) is one JSON line keyed by (variant, example id). Rows are
written as they arrive and fsync'ed in small groups, so a run killed at any moment (even SIGKILL) loses
at most the rows of the last group and the calls in flight — and the answers of finished calls are
already in the response cache, so resuming does not call the model for them again. On reading, a torn last line is ignored and the last row of a key wins, so re-running errors
appends a superseding row instead of editing the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator


class Ledger:
    """``results.jsonl`` in a run's output folder."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._fh = None

    def rows(self) -> dict[tuple[str, str], dict[str, Any]]:
        """The latest row per (variant, id); unreadable lines (a torn tail after a kill) are skipped."""
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for row in self._iter():
            latest[(row["variant"], row["id"])] = row
        return latest

    def _iter(self) -> Iterator[dict[str, Any]]:
        try:
            fh = open(self.path, encoding="utf-8")
        except FileNotFoundError:
            return
        with fh:
            for line in fh:
                if not line.endswith("\n"):
                    break  # torn write from a killed run
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if isinstance(row, dict) and "variant" in row and "id" in row:
                    yield row

    def _repair_tail(self) -> None:
        # drop a partial last line so the next append starts on a fresh line
        try:
            with open(self.path, "rb+") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                if size == 0:
                    return
                fh.seek(size - 1)
                if fh.read(1) == b"\n":
                    return
                fh.seek(0)
                data = fh.read()
                fh.truncate(data.rfind(b"\n") + 1)
        except FileNotFoundError:
            pass

    def open(self, fresh: bool = False) -> "Ledger":
        """Open for appending (``fresh`` starts an empty ledger, keeping the old one as ``.prev``)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if fresh and self.path.exists():
            os.replace(self.path, self.path.with_suffix(".jsonl.prev"))
        self._repair_tail()
        self._fh = open(self.path, "a", encoding="utf-8")
        return self

    def append(self, row: dict[str, Any]) -> None:
        """Write one row durably (flush + fsync)."""
        self.append_many([row])

    def append_many(self, rows: list[dict[str, Any]]) -> None:
        """Write rows and make them durable with one fsync (group commit: an fsync can cost
        milliseconds, and one per row would cap a fast run at a few hundred rows a second)."""
        assert self._fh is not None, "ledger not open"
        self._fh.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
