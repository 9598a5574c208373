"""Getting an interview ready and saying what to do after it: shared by the CLI and the TUI.

:func:`prepare` loads the rule base and the answers file into an
:class:`~advisor.session.InterviewSession`; :func:`closing_message`, :func:`resume_command` and
:func:`reproduce_command` tell the user where their answers are and which command to run next.
Nothing here knows about Textual or the command line's argument parsing.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the session pulls in the engine; load it only when an interview starts
    from advisor.session import InterviewSession

__all__ = ["DEFAULT_ANSWERS", "Prepared", "prepare", "default_save_path", "resume_command", "reproduce_command",
           "closing_message"]

DEFAULT_ANSWERS = "advisor-answers.yaml"


@dataclass(frozen=True)
class Prepared:
    """A session ready for the UI, and what to tell the user about where answers go."""

    session: InterviewSession
    save_path: Path
    resumed: bool  # answers were read from an existing file
    earlier_default: Path | None  # an answers file from an earlier run the user may want to resume
    rules: str | None = None  # the --rules directory, repeated in the commands shown to the user


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
    prefilled: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
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
    return Prepared(session=session, save_path=save_path, resumed=resumed, earlier_default=earlier, rules=rules)


def _command(kind: str, save_path: Path, rules: str | None) -> str:
    rules_part = f" --rules {shlex.quote(rules)}" if rules else ""
    return f"advisor {kind} --answers {shlex.quote(str(save_path))}{rules_part}"


def reproduce_command(save_path: Path, rules: str | None = None) -> str:
    """The headless command that gives the same recommendation as this session."""
    return _command("recommend", save_path, rules)


def resume_command(save_path: Path, rules: str | None = None) -> str:
    """The command that reopens this interview where it stopped."""
    return _command("interview", save_path, rules)


def closing_message(session: InterviewSession, save_path: Path, rules: str | None, saved: bool) -> str:
    """What to print after the interview ends: where the answers are and the next command to run."""
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
