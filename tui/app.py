"""The Textual app: it holds the current :class:`advisor.session.InterviewSession` and swaps it.

Every answer produces a new session, which is saved at once in the answers-file format, so quitting,
ctrl+c or a crash loses nothing; ``advisor interview --answers FILE`` resumes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding

from advisor.cli.interview import Prepared, reproduce_command
from tui.screens import InterviewScreen, ResultScreen


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it (shorter on a small screen)."""
    import os

    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


class AdvisorApp(App):
    """The interview: questions until the engine has none left, then the result."""

    CSS_PATH = "advisor.tcss"
    TITLE = "advisor"
    SUB_TITLE = "should you fine-tune?"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        # ctrl+c quits cleanly (answers are already saved) instead of Textual's "press ctrl+q" hint.
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("f3", "toggle_theme", "Theme", show=True),
    ]

    def __init__(self, prepared: Prepared, rules_dir: str | None = None, *, cursor_blink: bool = True,
                 exit_after_first_question: bool = False) -> None:
        super().__init__()
        self.session = prepared.session
        self.prepared = prepared
        self.save_path: Path = prepared.save_path
        self.rules_dir = rules_dir
        self.cursor_blink = cursor_blink
        self.exit_after_first_question = exit_after_first_question
        self.saved_once = False
        self.save_error: str | None = None
        self.crash: BaseException | None = None
        self.shown: list[str] = []  # question ids in the order shown (tests and benchmark read it)
        self.path_titles = self.session.engine.path_titles()

    # --- lifecycle ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.push_screen(InterviewScreen())
        if self.session.finished:
            self.push_screen(ResultScreen())
        if self.prepared.resumed:
            done, _ = self.session.progress()
            self.notify(f"Resumed {done} answer(s) from {self.save_path}.", timeout=4)
        elif self.prepared.earlier_default is not None:
            self.notify(f"Found answers from an earlier session in {self.prepared.earlier_default}. To resume "
                        f"them, quit and run: advisor interview --answers {self.prepared.earlier_default}",
                        timeout=10)

    def question_shown(self, qid: str) -> None:
        self.shown.append(qid)
        if self.exit_after_first_question:
            self.call_after_refresh(self.exit)

    def result_shown(self, rec) -> None:
        self.shown.append(f"result:{rec.path}")

    def _handle_exception(self, error: Exception) -> None:
        # Answers are saved after every answer, so a crash loses nothing. Keep the error for the CLI,
        # which prints one line and the resume command; the traceback goes to a log file, not the screen.
        self.crash = error
        self._return_code = 1
        if self._exception is None:
            self._exception = error  # pilot tests re-raise it
            self._exception_event.set()
        self._close_messages_no_wait()

    # --- changing the session -----------------------------------------------------------------------

    def apply(self, session, *, stay: bool = False) -> None:
        """Make ``session`` current, save it, and show the next question or the result."""
        self.session = session
        self._save()
        if stay:  # the review screen stays on top; the screens below are refreshed when it closes
            return
        self._show_current()

    def _save(self) -> None:
        try:
            self.session.save()
            self.saved_once = True
            self.save_error = None
        except OSError as exc:
            self.save_error = f"could not save answers to {self.save_path}: {exc.strerror or exc}"
            self.notify(self.save_error, severity="error", timeout=8)

    def _show_current(self) -> None:
        """Bring the screen stack in line with the session: the result on top when finished."""
        while len(self.screen_stack) > 2 and not isinstance(self.screen, (InterviewScreen, ResultScreen)):
            self.pop_screen()
        finished = self.session.finished
        if isinstance(self.screen, ResultScreen):
            if finished:
                self.call_later(self.screen.refresh_result)
                return
            self.pop_screen()
        interview = self.screen
        if isinstance(interview, InterviewScreen):
            if finished:
                self.push_screen(ResultScreen())
            else:
                self.call_later(interview.refresh_question)

    def go_back(self) -> None:
        """Undo the last answer and ask that question again."""
        if not self.session.answered:
            self.notify("This is the first question.")
            return
        self.apply(self.session.back())

    def close_review(self) -> None:
        self.pop_screen()
        self._show_current()

    def save_note(self) -> str:
        if self.save_error:
            return self.save_error
        return f"Saved as you go: {display_path(self.save_path)}"

    # --- result -------------------------------------------------------------------------------

    def reproduce_command(self) -> str:
        return reproduce_command(Path(display_path(self.save_path)), self.rules_dir)

    def available_formats(self) -> list[str]:
        """The report formats the export dialog offers (the same as `advisor recommend --format`)."""
        from advisor.cli.recommend import FORMATS

        return list(FORMATS)

    def export(self, fmt: str, path: Path) -> Path:
        """Write the report in ``fmt`` to ``path`` (parents created)."""
        from advisor.cli.recommend import render

        text = render(self.session.recommendation(), fmt, self.session.engine.rulebase)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def answer(self, question_id: str, value: Any) -> None:
        """Answer programmatically (used by tests and scripts); same path as a key press."""
        self.apply(self.session.answer(question_id, value))
