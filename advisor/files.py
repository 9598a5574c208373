"""Reading users' files with errors they can act on (exit 2, the file named, no traceback), and writing JSON
state files atomically (a kill at any moment leaves the old file or the new one, never half of one)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from advisor.errors import InputError, Location

__all__ = ["read_text", "write_json_atomic"]


def read_text(path: str | Path, what: str = "file") -> str:
    """The UTF-8 text of ``path``; a missing, unreadable or non-UTF-8 file raises :class:`InputError`.

    ``what`` names the file in messages ("answers file", "rule file", …).
    """
    where = Location(str(path))
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} not found", where) from None
    except IsADirectoryError:
        raise InputError(f"is a directory, expected a {what}", where) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", where) from None
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}", where) from None


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON through a synced temporary file renamed over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True, default=str)
            fh.write("\n")
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
