"""Reading users' files with errors they can act on (exit 2, the file named, no traceback), and writing JSON
state files atomically (a kill at any moment leaves the old file or the new one, never half of one)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from collections.abc import Callable, Iterable
from typing import IO, Any

from advisor.errors import InputError, Location

__all__ = ["STDIN", "MAX_ANSWERS_BYTES", "MAX_YAML_BYTES", "read_text", "write_json_atomic", "write_jsonl_atomic"]

# The name that means "standard input" where a command reads a file.
STDIN = "-"
# Answers files are a few kilobytes; a cap keeps `--answers /dev/zero` from reading until memory runs out.
MAX_ANSWERS_BYTES = 4 * 1024 * 1024
# Rule files and other YAML documents: far larger than any real one, small enough to refuse a device.
MAX_YAML_BYTES = 64 * 1024 * 1024


def read_text(path: str | Path, what: str = "file", max_bytes: int | None = None, allow_stdin: bool = False) -> str:
    """The UTF-8 text of ``path``; a missing, unreadable or non-UTF-8 file raises :class:`InputError`.

    ``what`` names the file in messages ("answers file", "rule file", …). With ``max_bytes`` at most that
    many bytes are read; a longer file (or a device such as /dev/zero) is refused. With ``allow_stdin``,
    ``-`` reads standard input (with the same cap).
    """
    name = str(path)
    from_stdin = allow_stdin and name == STDIN
    if from_stdin and max_bytes is None:
        max_bytes = MAX_ANSWERS_BYTES
    limit = max_bytes if max_bytes is not None else 0  # only read when a cap is set (stdin always has one)
    where = Location("<stdin>" if from_stdin else name)
    try:
        if from_stdin:
            stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
            if stream is None:
                raw = sys.stdin.read(limit + 1).encode("utf-8")
            else:
                raw = stream.read(limit + 1)
        elif max_bytes is not None:
            with open(path, "rb") as fh:
                raw = fh.read(limit + 1)
        else:
            return Path(path).read_text(encoding="utf-8")
        if len(raw) > limit:
            raise InputError(f"{what} is larger than {limit // (1024 * 1024)} MB; is this the right file?",
                             where)
        nul = raw.find(b"\x00")
        if nul >= 0:
            raise InputError(f"binary data, not UTF-8 text (a NUL byte at byte {nul})", where)
        return raw.decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} not found", where) from None
    except IsADirectoryError:
        raise InputError(f"is a directory; expected the {what}", where) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", where) from None
    except MemoryError:
        raise InputError(f"{what} is too large to read", where) from None
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}", where) from None


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON through a synced temporary file renamed over ``path``."""

    def write(fh: IO[str]) -> None:
        json.dump(data, fh, indent=2, sort_keys=True, default=str)
        fh.write("\n")

    _write_atomic(path, write)


def write_jsonl_atomic(path: Path, records: Iterable[dict[str, Any]]) -> int:
    """Write ``records`` as JSON Lines through a synced temporary file renamed over ``path``; the count."""
    count = 0

    def write(fh: IO[str]) -> None:
        nonlocal count
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1

    _write_atomic(path, write)
    return count


def _write_atomic(path: Path, write: Callable[[IO[str]], None]) -> None:
    """``write`` into a temporary file beside ``path``, fsync it and rename it over ``path``: a kill at any
    moment leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # the rename itself survives a power cut only once the directory is synced
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
