"""Reading users' files with errors they can act on (exit 2, the file named, no traceback)."""

from __future__ import annotations

import sys
from pathlib import Path

from advisor.errors import InputError, Location

__all__ = ["STDIN", "MAX_ANSWERS_BYTES", "MAX_YAML_BYTES", "read_text"]

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
    where = Location("<stdin>" if from_stdin else name)
    try:
        if from_stdin:
            stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
            if stream is None:
                raw = sys.stdin.read(max_bytes + 1).encode("utf-8")
            else:
                raw = stream.read(max_bytes + 1)
        elif max_bytes is not None:
            with open(path, "rb") as fh:
                raw = fh.read(max_bytes + 1)
        else:
            return Path(path).read_text(encoding="utf-8")
        if len(raw) > max_bytes:
            raise InputError(f"{what} is larger than {max_bytes // (1024 * 1024)} MB; is this the right file?",
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
