"""Reading JSON and JSON Lines files with errors that name the file, line and column."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from advisor.errors import InputError, location_for
from advisor.files import MAX_YAML_BYTES, STDIN, read_text


def _loads(text: str, path, line: int | None = None) -> Any:
    """``json.loads`` with every failure a clear :class:`InputError`: malformed, nested too deep for
    Python's recursion limit, or an integer longer than Python converts (4,300 digits)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = location_for(path, line if line is not None else exc.lineno, exc.colno)
        raise InputError(f"malformed JSON{' line' if line is not None else ''}: {exc.msg}", where) from None
    except RecursionError:
        raise InputError("JSON nested too deeply to read", location_for(path, line)) from None
    except ValueError as exc:  # e.g. "Exceeds the limit (4300 digits) for integer string conversion"
        raise InputError(f"unreadable JSON value: {exc}", location_for(path, line)) from None


def read_json(path: str | Path) -> Any:
    """Parse a JSON file; errors name the file, line and column."""
    return _loads(_read_text(path), path)


def _read_text(path: str | Path) -> str:
    if str(path) == STDIN:  # `-`: standard input, capped like any file read whole
        return read_text(path, "standard input", max_bytes=MAX_YAML_BYTES, allow_stdin=True)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = 0  # read_text reports missing or unreadable files
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):  # /dev/zero would be read until memory runs out
        raise InputError("is a device, not a file", location_for(path))
    return read_text(path)


def read_records(path: str | Path, lines: bool | None = None) -> Any:
    """A JSON document, or the list of objects of a JSON Lines file (blank lines skipped).

    ``lines`` forces JSON Lines (True) or one JSON document (False); None guesses from the content."""
    text = _read_text(path)
    stripped = text.lstrip()
    if lines is None:
        lines = not (stripped.startswith("[") or (stripped.startswith("{") and not _looks_like_jsonl(stripped)))
    if not lines:
        return _loads(text, path)
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        records.append(_loads(line, path, number))
    return records


def _looks_like_jsonl(text: str) -> bool:
    first = text.split("\n", 1)[0].strip()
    if not first.endswith("}"):
        return False
    try:
        json.loads(first)
    except (ValueError, RecursionError):
        return False
    return "\n" in text.strip()
