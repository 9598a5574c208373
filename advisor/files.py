"""Reading users' files with errors they can act on (exit 2, the file named, no traceback)."""

from __future__ import annotations

from pathlib import Path

from advisor.errors import InputError, Location

__all__ = ["read_text"]


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
