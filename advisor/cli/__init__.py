"""The ``advisor`` command line.

Each command group lives in its own module under ``advisor.cli`` with two functions:
``add_parser(subparsers)`` (cheap: argparse only) and ``run(args) -> int`` (imports what it needs).
Errors users can cause are :class:`advisor.errors.AdvisorError`; they are printed as
``advisor: file:line:col: message`` with the documented exit code and never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from advisor import __version__
from advisor.errors import EXIT_USAGE, AdvisorError

# command name -> module under advisor.cli
COMMANDS = {
    "interview": "interview",
    "recommend": "recommend",
    "rules": "rules",
    "data": "data",
    "eval": "evalcmd",
    "launch": "launch",
    "rag": "rag",
    "fewshot": "fewshot",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's default exits 2 with usage, which matches the contract
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"advisor: error: {message}\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole ``advisor`` parser, or with ``only`` the parser of that one command (the other
    command modules are then not imported, which keeps a single command's start-up short)."""
    parser = _Parser(
        prog="advisor",
        description="Should you fine-tune a language model? Run the interview, get a recommendation, launch it.",
    )
    parser.add_argument("--version", action="version", version=f"advisor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module in COMMANDS.items():
        if only is None or name == only:
            mod = importlib.import_module(f"advisor.cli.{module}")
            mod.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # A known command first: only its module is needed. Anything else (no command, --help, --version,
    # a typo) gets the whole parser, so help and errors list every command as before.
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    args = parser.parse_args(argv)
    if args.command is None:
        args = build_parser("interview").parse_args(["interview", *argv])
    try:
        return int(args.handler(args) or 0)
    except AdvisorError as exc:
        _print_error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        print("advisor: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _print_error(exc: AdvisorError) -> None:
    problems = getattr(exc, "problems", None) or [exc]
    for problem in problems:
        print(f"advisor: {problem}", file=sys.stderr)
