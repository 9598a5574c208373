"""The Textual app: it holds the current :class:`advisor.session.InterviewSession` and swaps it.

Screens read the session and post messages (:mod:`tui.messages`); the app alone changes the session,
saves it and decides which screen shows next. Every answer produces a new session, which is saved at
once in the answers-file format, so quitting, ctrl+c or a crash loses nothing;
``advisor interview --answers FILE`` resumes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding

from advisor.interview import Prepared, reproduce_command
from advisor.reports import write_report
from advisor.session import InterviewSession
from tui.messages import (
    AnswerChanged,
    AnswerGiven,
    ExportRequested,
    GoBack,
    QuestionShown,
    ResultRequested,
    ResultShown,
    ShowCurrent,
)
from tui.screens import ExportScreen, InterviewScreen, ResultScreen, ReviewScreen


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it (shorter on a small screen)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


class AdvisorApp(App[None]):
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
        self.session: InterviewSession = prepared.session
        self.prepared = prepared
        self.save_path: Path = prepared.save_path
        self.rules_dir = rules_dir if rules_dir is not None else prepared.rules
        self.cursor_blink = cursor_blink
        self.exit_after_first_question = exit_after_first_question
        self.saved_once = False
        self.save_error: str | None = None
        self.crash: BaseException | None = None
        self.shown: list[str] = []  # question ids in the order shown (tests and benchmark read it)
        self.path_titles = self.session.engine.path_titles()

    # --- what the screens read ------------------------------------------------------------------

    @property
    def save_note(self) -> str:
        """Where the answers go (or why they could not be saved), shown under every question."""
        if self.save_error:
            return self.save_error
        return f"Saved as you go: {display_path(self.save_path)}"

    @property
    def reproduce(self) -> str:
        """The headless command that shows this recommendation again."""
        return reproduce_command(Path(display_path(self.save_path)), self.rules_dir)

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

    def _handle_exception(self, error: Exception) -> None:
        # Answers are saved after every answer, so a crash loses nothing. Keep the error for the CLI,
        # which prints one line and the resume command; the traceback goes to a log file, not the screen.
        self.crash = error
        self._return_code = 1
        if self._exception is None:
            self._exception = error  # pilot tests re-raise it
            self._exception_event.set()
        self._close_messages_no_wait()

    # --- messages from the screens --------------------------------------------------------------

    def on_answer_given(self, message: AnswerGiven) -> None:
        if message.question_id != self.session.current_question():
            return  # a second Enter on a question already answered, sent before the next one showed
        self.apply(self.session.answer(message.question_id, message.value))

    def on_answer_changed(self, message: AnswerChanged) -> None:
        # The review screen stays on top; the screens below are brought up to date when it closes.
        self.apply(self.session.answer(message.question_id, message.value), stay=True)
        if message.cleared:
            self.notify(f"Cleared {message.cleared} dependent answer(s).")
        if isinstance(self.screen, ReviewScreen):
            self.screen.refresh_list()

    def on_go_back(self, message: GoBack) -> None:
        if not self.session.answered:
            self.notify("This is the first question.")
            return
        self.apply(self.session.back())

    def on_show_current(self, message: ShowCurrent) -> None:
        self._show_current()

    def on_result_requested(self, message: ResultRequested) -> None:
        if self.session.decided_path() is not None and not isinstance(self.screen, ResultScreen):
            self.push_screen(ResultScreen())

    def on_export_requested(self, message: ExportRequested) -> None:
        screen = self.screen
        try:
            path = write_report(self.session.recommendation(), message.fmt, self.session.engine.rulebase,
                                message.path)
        except Exception as exc:  # an OS error or a renderer failure is shown in the dialog, never a crash
            if isinstance(screen, ExportScreen):
                screen.show_error(f"could not write: {exc}")
            return
        self.notify(f"Wrote {message.fmt} report to {path}")
        if isinstance(screen, ExportScreen):
            screen.dismiss(path)

    def on_question_shown(self, message: QuestionShown) -> None:
        self.shown.append(message.question_id)
        if self.exit_after_first_question:
            self.call_after_refresh(self.exit)

    def on_result_shown(self, message: ResultShown) -> None:
        self.shown.append(f"result:{message.path}")

    # --- changing the session -------------------------------------------------------------------

    def apply(self, session: InterviewSession, *, stay: bool = False) -> None:
        """Make ``session`` current, save it, and (unless ``stay``) show the next question or the result."""
        self.session = session
        self._save()
        if not stay:
            self._show_current()

    def answer(self, question_id: str, value: Any) -> None:
        """Answer programmatically (scripts); the same path as a key press."""
        self.apply(self.session.answer(question_id, value))

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

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"
