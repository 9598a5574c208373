"""The ``advisor`` command line.

Each command group lives in its own module under ``advisor.cli`` with two functions:
``add_parser(subparsers)`` (cheap: argparse only) and ``run(args) -> int`` (imports what it needs).
Errors users can cause are :class:`advisor.errors.AdvisorError`; they are printed as
``advisor: file:line:col: message`` with the documented exit code and never a traceback.

Anything else is a bug: it exits with :data:`advisor.errors.EXIT_INTERNAL` (70), prints one line
saying so and where the details (the traceback) were written, and shows the traceback only with
the global ``--debug`` flag.

Global flags (before or after the command): ``--debug``, ``-q``/``--quiet`` (errors only),
``-v``/``--verbose`` (more detail on standard error; twice for more).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from advisor import __version__
from advisor.errors import EXIT_INTERNAL, EXIT_USAGE, AdvisorError, clean_for_terminal, set_verbosity

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
    "completion": "completion",
}

# Examples shown at the end of each command's --help, by command path.
EXAMPLES: dict[str, str] = {
    "": """examples:
  advisor                                      # the interview in the terminal
  advisor recommend --answers answers.yaml     # a recommendation without the interface
  advisor rules check                          # validate and verify the shipped rule base
  advisor completion bash > ~/.local/share/bash-completion/completions/advisor""",
    "interview": """examples:
  advisor interview
  advisor interview --answers answers.yaml     # resume; goes to the first open question""",
    "recommend": """examples:
  advisor recommend --answers answers.yaml
  advisor recommend --answers answers.yaml --format json | jq .path
  advisor recommend --answers answers.yaml --format html --output report.html --force
  cat answers.json | advisor recommend --answers - --format markdown""",
    "rules": """examples:
  advisor rules check
  advisor rules check --rules ./my-rules --format json""",
    "rules check": """examples:
  advisor rules check
  advisor rules check --rules ./my-rules --format json
  advisor rules check --stale-days 90          # also report sources older than 90 days""",
    "data": """examples:
  advisor data validate train.jsonl --validation val.jsonl
  advisor data stats train.jsonl --format json
  advisor data split all.jsonl --out splits/""",
    "data validate": """examples:
  advisor data validate train.jsonl
  advisor data validate train.jsonl --validation val.jsonl --format json""",
    "data stats": """examples:
  advisor data stats train.jsonl
  advisor data stats train.jsonl --format json""",
    "data convert": """examples:
  advisor data convert --from openai chat.jsonl -o bedrock.jsonl
  advisor data convert --help                  # every source format""",
    "data split": """examples:
  advisor data split all.jsonl --out splits/
  advisor data split all.jsonl --out splits/ --format json""",
    "eval": """examples:
  advisor eval score --metric tatqa --gold dev.json --predictions preds.json
  advisor eval run examples/eval-tatqa.yaml --dry-run""",
    "eval score": """examples:
  advisor eval score --metric tatqa --gold dev.json --predictions preds.json
  advisor eval score --metric exact --gold gold.jsonl --predictions preds.jsonl --format json""",
    "eval run": """examples:
  advisor eval run examples/eval-tatqa.yaml --dry-run
  advisor eval run examples/eval-tatqa.yaml --format json""",
    "eval cache": """examples:
  advisor eval cache info
  advisor eval cache prune --older-than 14d""",
    "launch": """examples:
  advisor launch --answers answers.yaml --dry-run
  advisor launch rag --answers answers.yaml --dry-run --format json
  advisor launch status
  advisor launch cleanup bedrock-fine-tune --yes""",
    "rag": """examples:
  advisor rag index docs/ handbook.pdf --index docs.sqlite
  advisor rag query --index docs.sqlite "How often are keys rotated?" -k 5
  advisor rag eval --index docs.sqlite --questions questions.jsonl --format json""",
    "fewshot": """examples:
  advisor fewshot select --pool pool.jsonl --query "I was charged twice" -k 5
  advisor fewshot select --pool pool.jsonl --query "refund please" --format json""",
    "rag index": """examples:
  advisor rag index docs/ handbook.pdf faq.jsonl --index docs.sqlite
  advisor rag index docs/ --index docs.sqlite --prune      # drop documents gone from docs/""",
    "rag query": """examples:
  advisor rag query --index docs.sqlite "How often are keys rotated?" -k 5
  advisor rag query --index docs.sqlite "refund policy" --format json""",
    "rag eval": """examples:
  advisor rag eval --index docs.sqlite --questions questions.jsonl -k 5
  advisor rag eval --index docs.sqlite --questions questions.jsonl --format json --fail-under 0.8""",
    "fewshot select": """examples:
  advisor fewshot select --pool pool.jsonl --query "I was charged twice" -k 5
  advisor fewshot select --pool pool.jsonl --query "refund please" --format json""",
    "completion": """examples:
  advisor completion bash > ~/.local/share/bash-completion/completions/advisor
  advisor completion zsh > ~/.zfunc/_advisor     # with fpath+=(~/.zfunc) in ~/.zshrc""",
}


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # argparse's default exits 2 with usage, which matches the contract
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"advisor: error: {clean_for_terminal(message)}\n")


def _add_global_flags(parser: argparse.ArgumentParser, top: bool) -> None:
    """``--debug``, ``-q`` and ``-v``: the same meaning on every command (set once, read anywhere)."""
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--debug", action="store_true", default=False if top else argparse.SUPPRESS,
                        help="show the full traceback of an internal error")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", default=False if top else argparse.SUPPRESS,
                       help="print only results and errors (no progress or notes on standard error)")
    group.add_argument("-v", "--verbose", action="count", default=0 if top else default,
                       help="more detail on standard error (repeat for more)")


def _decorate(parser: argparse.ArgumentParser, path: str) -> None:
    """Add examples and the global flags to every sub-command parser, recursively."""
    if path in EXAMPLES and not parser.epilog:
        parser.epilog = EXAMPLES[path]
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                child_path = f"{path} {name}".strip()
                if not getattr(child, "_advisor_globals", False):
                    existing = {opt for a in child._actions for opt in a.option_strings}
                    if not existing & {"--debug", "-q", "--quiet", "-v", "--verbose"}:
                        _add_global_flags(child, top=False)
                    child._advisor_globals = True
                _decorate(child, child_path)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole ``advisor`` parser, or with ``only`` the parser of that one command (the other
    command modules are then not imported, which keeps a single command's start-up short)."""
    parser = _Parser(
        prog="advisor",
        description="Should you fine-tune a language model? Run the interview, get a recommendation, launch it.",
    )
    parser.add_argument("--version", action="version", version=f"advisor {__version__}")
    _add_global_flags(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module in COMMANDS.items():
        if only is None or name == only:
            mod = importlib.import_module(f"advisor.cli.{module}")
            mod.add_parser(sub)
    _decorate(parser, "")
    return parser


def _command_of(argv: list[str]) -> str | None:
    """The first word of ``argv`` that is not a global flag, when it names a command."""
    for word in argv:
        if word in ("--debug", "-q", "--quiet", "-v", "--verbose") or (word.startswith("-v") and set(word[1:]) == {"v"}):
            continue
        return word if word in COMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    set_verbosity(0)
    debug = "--debug" in argv or os.environ.get("ADVISOR_DEBUG") == "1"
    try:
        # A known command first: only its module is needed. Anything else (no command, --help, --version,
        # a typo) gets the whole parser, so help and errors list every command as before.
        parser = build_parser(_command_of(argv))
        args = parser.parse_args(argv)
        if args.command is None:
            args = build_parser("interview").parse_args(["interview", *argv])
        debug = debug or bool(getattr(args, "debug", False))
        _set_verbosity(args)
        return int(args.handler(args) or 0)
    except AdvisorError as exc:
        _print_error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        print("advisor: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - anything else is a bug: one line, details in a crash log
        return _internal_error(exc, argv, debug)


def _set_verbosity(args: argparse.Namespace) -> None:
    """Publish -q/-v for code that prints notes (``advisor.errors.verbosity()``)."""
    set_verbosity(-1 if getattr(args, "quiet", False) else int(getattr(args, "verbose", 0) or 0))


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _print_error(exc: AdvisorError) -> None:
    problems = getattr(exc, "problems", None) or [exc]
    for problem in problems:
        print(f"advisor: {clean_for_terminal(str(problem))}", file=sys.stderr)


def _internal_error(exc: BaseException, argv: list[str], debug: bool) -> int:
    """Write the traceback to a crash log and say, in one line, that this is a bug and where the log is."""
    import traceback

    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    log = _write_crash_log(details, argv)
    if debug:
        sys.stderr.write(details)
    where = f"details in {log}" if log else "the details could not be written to a crash log"
    name = type(exc).__name__
    print(f"advisor: internal error ({name}), a bug in advisor, not in your input; {where} "
          f"(please report it; --debug shows the traceback)", file=sys.stderr)
    return EXIT_INTERNAL


def _write_crash_log(details: str, argv: list[str]) -> str | None:
    import datetime as dt
    import tempfile
    from pathlib import Path

    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    text = (f"advisor {__version__} crash at {stamp}\npython {sys.version.split()[0]} on {sys.platform}\n"
            f"arguments: {len(argv)} (not recorded: they may name private files)\n\n{details}")
    cache_home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for base in (Path(cache_home) / "advisor" / "crashes", Path(tempfile.gettempdir())):
        try:
            base.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f"advisor-crash-{stamp}-", suffix=".txt", dir=str(base))
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            return name
        except OSError:
            continue
    return None
