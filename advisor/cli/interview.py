"""``advisor interview``: the interview in the terminal UI (Textual is imported only in :func:`run`).

Preparing the session and the closing message live in :mod:`advisor.interview`, shared with the TUI
and the benchmark. Nothing here imports Textual at module level: the headless commands and
``advisor --help`` stay fast and work without it.
"""

from __future__ import annotations

import argparse
import sys

from advisor.errors import UsageError
from advisor.interview import DEFAULT_ANSWERS, Prepared, closing_message, prepare

__all__ = ["DEFAULT_ANSWERS", "Prepared", "add_parser", "prepare", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("interview", help="run the interview in the terminal (the default command)")
    p.add_argument("--answers", metavar="FILE",
                   help="pre-fill answers from FILE (if it exists) and save progress to it")
    p.add_argument("--rules", metavar="DIR", help="use the rule base in DIR instead of the shipped one")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the app, then print where the answers are and how to resume or reproduce the result."""
    prepared = prepare(args.answers, args.rules)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Without a terminal the interface would wait for keys that never come; say what works instead.
        target = args.answers or "FILE"
        raise UsageError("the interview needs a terminal (standard input and output are not one); for a "
                         f"headless recommendation run: advisor recommend --answers {target}")
    from tui.app import AdvisorApp  # Textual is imported here and only here

    app = AdvisorApp(prepared)
    app.run()
    print(closing_message(app.session, prepared.save_path, args.rules, saved=app.saved_once or prepared.resumed))
    if app.crash is not None:
        log = _write_crash_log(app.crash)
        print(f"advisor: the interface stopped unexpectedly ({type(app.crash).__name__}: {app.crash}); "
              f"nothing you answered is lost. Details: {log}", file=sys.stderr)
        return 1
    return 0


def _write_crash_log(error: BaseException) -> str:
    # Only after a crash: keep tempfile and traceback off the start-up path.
    import tempfile
    import traceback

    fd, path = tempfile.mkstemp(prefix="advisor-crash-", suffix=".log")
    with open(fd, "w", encoding="utf-8") as fh:
        fh.write("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    return path
