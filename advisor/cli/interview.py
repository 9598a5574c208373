"""``advisor interview``: the interview in the terminal UI (Textual is imported only in :func:`run`).

This module also prepares the session the UI drives (:func:`prepare`), so the benchmark and the tests
start the app exactly as the command does. Nothing here imports Textual at module level: the headless
commands and ``advisor --help`` stay fast and work without it.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ANSWERS = "advisor-answers.yaml"


def add_parser(sub) -> None:
    p = sub.add_parser("interview", help="run the interview in the terminal (the default command)")
    p.add_argument("--answers", metavar="FILE",
                   help="pre-fill answers from FILE (if it exists) and save progress to it")
    p.add_argument("--rules", metavar="DIR", help="use the rule base in DIR instead of the shipped one")
    p.set_defaults(handler=run)


@dataclass
class Prepared:
    """A session ready for the UI, and what to tell the user about where answers go."""

    session: object  # advisor.session.InterviewSession
    save_path: Path
    resumed: bool  # answers were read from an existing file
    earlier_default: Path | None  # an answers file from an earlier run the user may want to resume


def default_save_path(directory: Path | None = None) -> tuple[Path, Path | None]:
    """A new answers file in ``directory`` that never overwrites an earlier run's answers.

    Returns (path to save to, an existing default answers file if there is one).
    """
    directory = directory or Path.cwd()
    first = directory / DEFAULT_ANSWERS
    if not first.exists():
        return first, None
    n = 2
    while (candidate := directory / f"advisor-answers-{n}.yaml").exists():
        n += 1
    return candidate, first


def prepare(answers: str | None = None, rules: str | None = None) -> Prepared:
    """Load the rule base and the answers file; errors are ``advisor.errors`` exceptions (exit 2)."""
    from advisor.answers import load_answers, validate_answers
    from advisor.engine import Engine
    from advisor.knowledge import load_rulebase
    from advisor.session import InterviewSession

    rulebase = load_rulebase(rules)
    engine = Engine(rulebase)
    prefilled: dict = {}
    metadata: dict = {}
    resumed = False
    earlier = None
    if answers:
        save_path = Path(answers)
        if save_path.exists():
            answers_file = load_answers(save_path)
            prefilled = validate_answers(rulebase, answers_file)
            metadata = dict(answers_file.metadata)
            resumed = True
    else:
        save_path, earlier = default_save_path()
    session = InterviewSession.start(engine, prefilled, save_path, metadata)
    return Prepared(session=session, save_path=save_path, resumed=resumed, earlier_default=earlier)


def run(args) -> int:
    """Run the app, then print where the answers are and how to resume or reproduce the result."""
    import sys

    prepared = prepare(args.answers, args.rules)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Without a terminal the interface would wait for keys that never come; say what works instead.
        from advisor.errors import UsageError

        target = args.answers or "FILE"
        raise UsageError("the interview needs a terminal (standard input and output are not one); for a "
                         f"headless recommendation run: advisor recommend --answers {target}")
    from tui.app import AdvisorApp  # Textual is imported here and only here

    app = AdvisorApp(prepared, rules_dir=args.rules)
    app.run()
    session = app.session
    print(closing_message(session, prepared.save_path, args.rules, saved=app.saved_once or prepared.resumed))
    if app.crash is not None:
        log = _write_crash_log(app.crash)
        print(f"advisor: the interface stopped unexpectedly ({type(app.crash).__name__}: {app.crash}); "
              f"nothing you answered is lost. Details: {log}", file=sys.stderr)
        return 1
    return 0


def _command(kind: str, save_path: Path, rules: str | None) -> str:
    rules_part = f" --rules {shlex.quote(rules)}" if rules else ""
    return f"advisor {kind} --answers {shlex.quote(str(save_path))}{rules_part}"


def reproduce_command(save_path: Path, rules: str | None = None) -> str:
    """The headless command that gives the same recommendation as this session."""
    return _command("recommend", save_path, rules)


def resume_command(save_path: Path, rules: str | None = None) -> str:
    """The command that reopens this interview where it stopped."""
    return _command("interview", save_path, rules)


def closing_message(session, save_path: Path, rules: str | None, saved: bool) -> str:
    """What to print after the app exits: where the answers are and the next command to run."""
    if not saved or not session.answered:
        return "advisor: no answers given, nothing saved."
    lines = [f"advisor: your answers are saved in {save_path}"]
    if session.finished:
        rec = session.recommendation()
        if rec.title:
            lines.append(f"advisor: recommendation: {rec.title}")
        lines.append(f"advisor: see it again with:  {reproduce_command(save_path, rules)}")
    else:
        done, total = session.progress()
        lines.append(f"advisor: {done} of about {total} questions answered; resume with:  "
                     f"{resume_command(save_path, rules)}")
    return "\n".join(lines)


def _write_crash_log(error: BaseException) -> str:
    import tempfile
    import traceback

    fd, path = tempfile.mkstemp(prefix="advisor-crash-", suffix=".log")
    with open(fd, "w", encoding="utf-8") as fh:
        fh.write("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    return path
