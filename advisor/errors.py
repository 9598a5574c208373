"""Errors a user can cause, each with the exit code the contract documents.

The hierarchy::

    AdvisorError                 exit 2 unless a subclass says otherwise
    ├── UsageError               bad command-line usage                     (2)
    ├── InputError               a file can't be read or parsed             (2)
    │   └── AnswerError          an answers file names an unknown question,
    │                            or gives a value of the wrong type/range  (2)
    ├── RuleBaseError            the rule base fails schema validation      (2 when loading for use,
    │                            reported as findings by ``rules check``)
    └── CheckFailed              the input was read and fails the check     (1)

Every error carries the file (and line/column where there is one) so the CLI can print
``file:line:col: message`` without a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_UNDETERMINED = 3
# An unexpected exception: a bug in advisor, not in the input (sysexits' EX_SOFTWARE). One line on
# stderr names the crash log holding the traceback; ``--debug`` prints the traceback too.
EXIT_INTERNAL = 70

# Control characters a terminal would act on (ESC, BEL, backspace, carriage return, C1 controls, …);
# newline and tab stay. Bidirectional overrides are included: they reorder what the reader sees.
_CONTROL = {c for c in range(0x20) if c not in (0x09, 0x0A)} | {0x7F} | set(range(0x80, 0xA0)) | {
    0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}
_CONTROL_TABLE = {c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" for c in _CONTROL}


def clean_for_terminal(text: str) -> str:
    """``text`` with every terminal control character shown as an escape (``\\x1b``), never acted on.

    Used for user text (answers, file names, messages quoting files) printed as plain text.
    """
    return text.translate(_CONTROL_TABLE)


_verbosity = 0


def set_verbosity(level: int) -> None:
    """-1 for ``-q`` (results and errors only), 0 by default, 1+ for ``-v``."""
    global _verbosity
    _verbosity = level


def verbosity() -> int:
    return _verbosity


@dataclass(frozen=True)
class Location:
    """Where something is: a file, and a 1-based line and column when known."""

    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [_display_path(self.file) if self.file else "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


def _display_path(file: str) -> str:
    """A path relative to the working directory when it lies below it (shorter, clickable messages)."""
    if os.path.isabs(file):
        try:
            rel = os.path.relpath(file)
        except ValueError:
            return file
        if not rel.startswith(".."):
            return rel
    return file


class AdvisorError(Exception):
    """Base class: a message for the user, a location and an exit code."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, location: Location | None = None):
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location}: {self.message}"


class UsageError(AdvisorError):
    """The command line itself is wrong."""


class InputError(AdvisorError):
    """A file could not be read or parsed (missing, not UTF-8, malformed YAML/JSON)."""


class AnswerError(InputError):
    """An answers file is readable but names an unknown question or gives an invalid value."""


class RuleBaseError(AdvisorError):
    """The rule base fails validation; ``problems`` lists every finding, not just the first."""

    def __init__(self, message: str, location: Location | None = None, problems: list["AdvisorError"] | None = None):
        super().__init__(message, location)
        self.problems = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return super().__str__()
        return "\n".join(str(p) for p in self.problems)


class CheckFailed(AdvisorError):
    """The input was read and fails the check (exit 1)."""

    exit_code = EXIT_CHECK_FAILED


def location_for(path: str | Path | None, line: int | None = None, column: int | None = None) -> Location:
    name = None if path is None else "<stdin>" if str(path) == "-" else str(path)
    return Location(name, line, column)
