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

from textual import events
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
    LaunchRequested,
    QuestionShown,
    ResultRequested,
    ResultShown,
    ShowCurrent,
)
from tui.screens import (
    ConfirmScreen,
    ExportScreen,
    InterviewScreen,
    KeysScreen,
    ResultScreen,
    ReviewScreen,
    launcher_for,
)


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
    # The palette (ctrl+p) lists every action of the screen; its footer hint is left out to save room.
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        # ctrl+c quits cleanly (answers are already saved) instead of Textual's "press ctrl+q" hint.
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("f3", "toggle_theme", "Theme", show=False),
        Binding("f10", "keys", "Keys"),
        Binding("question_mark", "keys", "Keys", show=False),
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
        # Answers taken back with "back": shown pre-filled when their question is asked again.
        self.undone: dict[str, Any] = {}
        self.early_result = False  # the result was opened (F4) while plan questions are still open
        self.state_dir: Path | None = None  # where launches keep their ledgers (None: .advisor/launches)

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
        self.call_after_refresh(self.offer_resume)
        if self.prepared.resumed:
            done, _ = self.session.progress()
            self.notify(f"Resumed {done} answer(s) from {self.save_path}.", timeout=4)
        elif self.prepared.earlier_default is not None:
            self.notify(f"Found answers from an earlier session in {self.prepared.earlier_default}. To resume "
                        f"them, quit and run: advisor interview --answers {self.prepared.earlier_default}",
                        timeout=10)

    async def on_event(self, event: events.Event) -> None:
        # Keys typed right after an Enter in the answer form wait for the next question (see
        # InterviewScreen.hold_keys), so fast typists lose nothing and nothing lands in the old form.
        if isinstance(event, events.Key) and not event.is_forwarded and isinstance(self.screen, InterviewScreen):
            screen = self.screen
            if screen.typeahead is not None:
                screen.typeahead.append(event)
                return
            if event.key == "enter" and screen.in_answer_form():
                await super().on_event(event)
                screen.hold_keys()
                return
        await super().on_event(event)

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
        self.undone.pop(message.question_id, None)
        self.apply(self.session.answer(message.question_id, message.value))

    def on_answer_changed(self, message: AnswerChanged) -> None:
        # The review screen stays on top; the screens below are brought up to date when it closes.
        self.apply(self.session.answer(message.question_id, message.value), stay=True)
        if message.cleared:
            self.notify(f"Cleared {message.cleared} dependent answer(s).")
        if isinstance(self.screen, ReviewScreen):
            self.screen.refresh_list()
        elif isinstance(self.screen, ResultScreen):
            self._show_current()  # changed from the result: it may now need more answers

    def on_go_back(self, message: GoBack) -> None:
        if not self.session.answered:
            self.notify("This is the first question.")
            return
        qid, value = self.session.answered[-1]
        self.undone[qid] = value  # asked again with this answer filled in; Enter keeps it
        self.apply(self.session.back())

    def on_show_current(self, message: ShowCurrent) -> None:
        if message.leave_result:
            self.early_result = False
        self._show_current()

    def on_result_requested(self, message: ResultRequested) -> None:
        if self.session.decided_path() is not None and not isinstance(self.screen, ResultScreen):
            self.early_result = True
            self.push_screen(ResultScreen())

    def on_export_requested(self, message: ExportRequested) -> None:
        """Write the report in a thread (HTML takes a second or two); the dialog shows it is busy."""
        screen = self.screen
        if isinstance(screen, ExportScreen):
            screen.set_busy(True)
        rec, rulebase = self.session.recommendation(), self.session.engine.rulebase

        def write() -> None:
            try:
                path = write_report(rec, message.fmt, rulebase, message.path)
            except Exception as exc:  # an OS error or a renderer failure is shown in the dialog, never a crash
                self.call_from_thread(self._export_done, screen, message.fmt, None, f"could not write: {exc}")
                return
            self.call_from_thread(self._export_done, screen, message.fmt, path, None)

        self.run_worker(write, thread=True, group="export", exit_on_error=False)

    def _export_done(self, screen: Any, fmt: str, path: Path | None, error: str | None) -> None:
        if isinstance(screen, ExportScreen):
            screen.set_busy(False)
            if error:
                screen.show_error(error)
                return
        if path is not None:
            self.notify(f"Wrote {fmt} report to {path}")
            if isinstance(screen, ExportScreen) and screen.is_attached:
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
        if self.session.decided_path() is None:
            self.early_result = False  # the path is open again: questions first
        if isinstance(self.screen, ResultScreen):
            if finished or self.early_result:
                self.call_later(self.screen.refresh_result)
                return
            self.pop_screen()
        interview = self.screen
        if isinstance(interview, InterviewScreen):
            if finished:
                self.push_screen(ResultScreen())
            else:
                self.call_later(interview.refresh_question)

    def on_launch_requested(self, message: LaunchRequested) -> None:
        from tui.launch import LaunchScreen

        self.push_screen(LaunchScreen(message.path, state_dir=self.state_dir))

    def offer_resume(self) -> None:
        """A launch left unfinished (quit, or a job still running): offer to pick it up."""
        from tui.launch import LaunchScreen, unfinished_launches

        found = unfinished_launches(self.state_dir)
        if not found:
            return
        name, path, where = found[0]
        if path not in self.path_titles and launcher_for(path) is None:
            return
        message = (f"Launch {name!r} ({self.path_titles.get(path, path)}) is not finished ({where}). Open it to "
                   "resume? Finished steps are not repeated.")
        def open_it(ok: bool | None) -> None:
            if ok:
                self.push_screen(LaunchScreen(path, resume=name, state_dir=self.state_dir))

        self.push_screen(ConfirmScreen(message, yes="Yes, open it"), open_it)

    def action_keys(self) -> None:
        """Every key of the screen with what it does; pick one to run it."""
        if isinstance(self.screen, KeysScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(KeysScreen(self.active_bindings))

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"
