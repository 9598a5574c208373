"""Streaming JSONL reading with bounded memory: one line at a time, over-long lines skipped, not loaded."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import BinaryIO, Iterator, NamedTuple

from advisor.errors import InputError, Location

__all__ = ["MAX_LINE_BYTES", "STDIN", "display_name", "Line", "LineError", "decode_line", "file_size", "json_decode",
           "open_input", "read_lines",
           "scan_value", "skip_rest_of_line"]

# No Bedrock record can be this long (32,000 tokens at 3 characters each, even at 4 bytes a character
# and with every character escaped, stays well under it); a longer line is reported and skipped in
# chunks, so one damaged multi-gigabyte "line" never has to fit in memory.
MAX_LINE_BYTES = 16 * 1024 * 1024
_CHUNK = 1024 * 1024


class Line(NamedTuple):
    """One physical line: its 1-based number, its bytes (without the skipped tail) and whether it was cut."""

    number: int
    data: bytes
    too_long: bool = False


class LineError(NamedTuple):
    """Why a line could not be decoded as JSON: a code, a message, a fix and a 1-based column."""

    code: str
    message: str
    fix: str
    column: int | None = None


STDIN = "-"


def display_name(path: str | Path) -> str:
    """How a file is named in messages: ``-`` (standard input) as ``<stdin>``."""
    return "<stdin>" if str(path) == STDIN else str(path)


class _Stdin:
    """Standard input as a binary stream that counts the bytes read and is not closed on exit."""

    def __init__(self):
        self._raw = sys.stdin.buffer
        self.bytes_read = 0

    def readline(self, limit: int = -1) -> bytes:
        data = self._raw.readline(limit)
        self.bytes_read += len(data)
        return data

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self.bytes_read += len(data)
        return data

    def readable(self) -> bool:
        return True

    def __iter__(self):
        return iter(self.readline, b"")

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def close(self) -> None:
        return None


def open_input(path: str | Path) -> BinaryIO:
    """Open a file (``-``: standard input) for binary reading; OS errors become :class:`InputError` (exit 2)."""
    if str(path) == STDIN:
        return _Stdin()  # type: ignore[return-value]
    try:
        if os.path.isdir(path):
            raise InputError("is a directory, not a file", Location(str(path)))
        stream = open(path, "rb")
        mode = os.fstat(stream.fileno()).st_mode
        if (stat.S_ISCHR(mode) or stat.S_ISBLK(mode)) and not stream.isatty():
            # /dev/zero or /dev/urandom would be read without end; pipes and terminals are fine
            stream.close()
            raise InputError("is a device, not a data file (use - for standard input)", Location(str(path)))
        return stream
    except FileNotFoundError:
        raise InputError("no such file", Location(str(path))) from None
    except PermissionError:
        raise InputError("permission denied", Location(str(path))) from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", Location(str(path))) from None


def file_size(path: str | Path) -> int:
    if str(path) == STDIN:
        return 0
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def skip_rest_of_line(stream: BinaryIO) -> None:
    """Read past the next line break without keeping what is read."""
    while True:
        rest = stream.readline(_CHUNK)
        if not rest or rest.endswith(b"\n"):
            return


def read_lines(stream: BinaryIO, path: str | Path = "<input>", max_bytes: int = MAX_LINE_BYTES) -> Iterator[Line]:
    """Yield each line; a line longer than ``max_bytes`` is yielded cut, with ``too_long`` set."""
    number = 0
    readline = stream.readline
    try:
        while True:
            data = readline(max_bytes)
            if not data:
                return
            number += 1
            if len(data) == max_bytes and not data.endswith(b"\n"):
                skip_rest_of_line(stream)
                yield Line(number, data, True)
                continue
            yield Line(number, data)
    except OSError as exc:
        raise InputError(f"read error: {exc.strerror or exc}", Location(str(path), number + 1)) from None


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


_decoder = json.JSONDecoder(parse_constant=_reject_constant)
_decode = _decoder.decode
json_decode = _decode  # str -> value; NaN/Infinity raise ValueError
# The C scanner itself: (value, end) for a value starting at an index, StopIteration when none does.
# Calling it directly skips json's two Python-level wrapper calls per line (see validate's hot loop).
scan_value = _decoder.scan_once  # type: ignore[attr-defined]  # the C scanner, not in the stubs


def decode_line(data: bytes, first: bool = False):
    """Decode one line as UTF-8 JSON; returns the value or a :class:`LineError`. Never raises."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return LineError("invalid_utf8", f"byte 0x{data[exc.start]:02x} at byte {exc.start + 1} is not valid UTF-8",
                         "re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)", exc.start + 1)
    if first and text.startswith("\ufeff"):
        return LineError("byte_order_mark", "the file starts with a UTF-8 byte-order mark",
                         "save the file as UTF-8 without BOM", 1)
    try:
        return _decode(text.rstrip("\r\n"))
    except json.JSONDecodeError as exc:
        # the column is counted in characters on this line (the line break is not part of the record)
        return LineError("invalid_json", f"not valid JSON: {exc.msg}",
                         "fix the JSON syntax on this line (one complete object per line)", exc.pos + 1)
    except RecursionError:
        return LineError("invalid_json", "not valid JSON: nested too deeply",
                         "flatten the value; a record needs only two levels of nesting")
    except ValueError as exc:  # NaN/Infinity via parse_constant
        return LineError("invalid_json", f"not valid JSON: {exc}", "replace the value with a number or a string")
