"""The screens of the interview: question, why, review, change, confirm, result, export.

Screens read ``self.app.session`` (an immutable :class:`advisor.session.InterviewSession`) and post
messages (:mod:`tui.messages`); the app changes the session and decides what shows next.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Header, Input, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from advisor.reports import format_names, get_format
from advisor.session import QuestionView
from advisor.values import show
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
from tui.report import result_sections
from tui.widgets import AnswerForm, why_text

if TYPE_CHECKING:
    from tui.app import AdvisorApp


class InterviewScreen(Screen[None]):
    """One question at a time, with progress, and a side panel of why and what is still possible."""

    BINDINGS = [
        Binding("ctrl+b", "back", "Back", priority=True),
        Binding("f1", "why", "Why?"),
        Binding("ctrl+r", "review", "Review", priority=True),
        Binding("ctrl+n", "unsure", "Not sure", priority=True),
        Binding("ctrl+q", "app.quit", "Quit", priority=True),
        Binding("f2", "toggle_panel", "Panel"),
        Binding("f4", "result", "Result now"),
    ]

    app: AdvisorApp

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="body"):
            with VerticalScroll(id="main"):
                with Horizontal(id="progress-row"):
                    yield ProgressBar(total=1, show_eta=False, show_percentage=False, id="progress")
                    yield Static("", id="progress-label")
                yield Static("", id="settled-note")
                yield Static("", id="question-text")
                yield Static("", id="question-help")
                yield Vertical(id="answer-area")
                yield Static("", id="save-note")
            with VerticalScroll(id="side"):
                yield Static("", id="side-paths")
                yield Static("", id="side-why")
        yield Footer()

    async def on_mount(self) -> None:
        await self.refresh_question()

    @property
    def question_id(self) -> str | None:
        return self.app.session.current_question()

    async def refresh_question(self) -> None:
        """Show the session's current question (the engine decides which)."""
        session = self.app.session
        qid = session.current_question()
        if qid is None:
            return
        view = session.view(qid)
        done, total = session.progress()
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=max(total, 1), progress=done)
        self.query_one("#progress-label", Static).update(f"Question {done + 1} of about {max(total, done + 1)}")
        settled = session.decided_path()
        note = self.query_one("#settled-note", Static)
        note.display = settled is not None
        if settled is not None:
            title = self.app.path_titles.get(settled, settled)
            note.update(Text.assemble(("The advice is settled: ", "bold"), title,
                                      ". These questions complete the plan; F4 shows the result now."))
        self.query_one("#question-text", Static).update(Text(view.text, style="bold"))
        self.query_one("#question-help", Static).update(Text(view.help))
        form = self._form()
        if form is not None and form.kind == AnswerForm.kind_of(view):
            form.show_question(view)
        else:
            area = self.query_one("#answer-area", Vertical)
            # Await the removal so no key press can reach the previous question's form.
            await area.remove_children()
            form = AnswerForm(view, session.validate, blink=self.app.cursor_blink)
            await area.mount(form)
        self.call_after_refresh(form.focus_answer)
        self.query_one("#side-why", Static).update(self._why_panel(view))
        self.query_one("#side-paths", Static).update(self._paths_panel())
        self.query_one("#save-note", Static).update(Text(self.app.save_note, style="dim"))
        # Re-check the footer's keys only when what they depend on changed: a footer refresh rebuilds
        # every key widget, which costs more than the rest of showing a question.
        key_state = (view.allows_unsure, bool(session.answered), settled is not None)
        if key_state != getattr(self, "_key_state", None):
            self._key_state = key_state
            self.refresh_bindings()
        self.app.post_message(QuestionShown(qid))

    def _why_panel(self, view: QuestionView) -> Text:
        text = Text("Why this question\n", style="bold underline")
        text.append_text(why_text(view))
        return text

    def _paths_panel(self) -> Text:
        session = self.app.session
        titles = self.app.path_titles
        paths = session.possible_paths()
        text = Text("Still possible\n", style="bold underline")
        for path in paths:
            text.append(f"• {titles.get(path, path)}\n")
        if paths:
            text.append("Leaning: ", style="bold")
            text.append(f"{titles.get(paths[0], paths[0])}\n")
        return text

    def _form(self) -> AnswerForm | None:
        forms = self.query(AnswerForm)
        return forms.first() if forms else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "unsure":
            form = self._form()
            return bool(form and form.view.allows_unsure)
        if action == "result":
            return self.app.session.decided_path() is not None  # hidden until the path is settled
        if action == "back":
            return bool(self.app.session.answered) or None
        return True

    # --- actions --------------------------------------------------------------------------

    def on_answer_form_answered(self, event: AnswerForm.Answered) -> None:
        event.stop()
        self.app.post_message(AnswerGiven(event.question_id, event.value))

    def action_back(self) -> None:
        self.app.post_message(GoBack())

    def action_unsure(self) -> None:
        form = self._form()
        if form:
            form.commit_unsure()

    def action_result(self) -> None:
        """Show the recommendation before the plan questions are answered (they can follow later)."""
        self.app.post_message(ResultRequested())

    def action_why(self) -> None:
        qid = self.question_id
        if qid:
            self.app.push_screen(WhyScreen(self.app.session.view(qid)))

    def action_review(self) -> None:
        self.app.push_screen(ReviewScreen())

    def action_toggle_panel(self) -> None:
        side = self.query_one("#side")
        side.display = not side.display


class WhyScreen(ModalScreen[None]):
    """"Why are you asking?" in full, generated from the rules that use the question."""

    BINDINGS = [Binding("escape,f1,q", "close", "Close")]

    def __init__(self, view: QuestionView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="why-dialog", classes="dialog"):
            yield Static(Text(f"Why are you asking: {self.view.text}", style="bold"), id="why-title")
            yield Static(why_text(self.view), id="why-body")
            yield Button("Close", id="why-close")
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class ReviewScreen(Screen[None]):
    """"Check your answers": every answer given; pick one to change it."""

    BINDINGS = [
        Binding("escape,ctrl+r", "close", "Done"),
        Binding("ctrl+q", "app.quit", "Quit", priority=True),
    ]

    app: AdvisorApp

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(id="review"):
            yield Static(Text("Check your answers", style="bold"), id="review-title")
            yield Static("Enter on an answer to change it. Answers that depended on it are cleared and asked "
                         "again.", classes="hint")
            yield OptionList(id="review-list")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_list()
        self.query_one("#review-list").focus()

    def refresh_list(self) -> None:
        session = self.app.session
        olist = self.query_one("#review-list", OptionList)
        keep = olist.highlighted
        olist.clear_options()
        for qid, value in session.answered:
            if qid not in session.engine.rulebase.questions:
                continue
            view = session.view(qid)
            label = Text()
            label.append(view.text + "\n")
            label.append(f"  → {show(value, dict(view.choices))}", style="bold")
            olist.add_option(Option(label, id=qid))
        if not olist.option_count:
            olist.add_option(Option("No answers yet.", id="", disabled=True))
        elif keep is not None:
            olist.highlighted = min(keep, olist.option_count - 1)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        qid = event.option_id
        if qid:
            self.app.push_screen(ChangeAnswerScreen(self.app.session.view(qid)), self._changed)

    def _changed(self, result: tuple[str, Any] | None) -> None:
        if result is None:
            return
        qid, value = result
        session = self.app.session
        dropped = session.dropped_by(qid, value)
        if not dropped:
            self.app.post_message(AnswerChanged(qid, value))
            return
        names = [session.view(d).text for d in dropped]
        message = (f"Changing this answer clears {len(dropped)} answer(s) that depended on it; "
                   "you will be asked again:\n" + "\n".join(f"• {n}" for n in names))

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.app.post_message(AnswerChanged(qid, value, cleared=len(dropped)))

        self.app.push_screen(ConfirmScreen(message), confirmed)

    def action_close(self) -> None:
        self.app.post_message(ShowCurrent())


class ChangeAnswerScreen(ModalScreen[tuple[str, Any] | None]):
    """One question again, pre-filled with the current answer."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"),
                Binding("ctrl+n", "unsure", "Not sure", priority=True)]

    app: AdvisorApp

    def __init__(self, view: QuestionView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        with Vertical(id="change-dialog", classes="dialog"):
            yield Static(Text(self.view.text, style="bold"))
            yield Static(Text(self.view.help), classes="hint")
            yield AnswerForm(self.view, self.app.session.validate, blink=self.app.cursor_blink)
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(self.query_one(AnswerForm).focus_answer)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "unsure":
            return self.view.allows_unsure
        return True

    def on_answer_form_answered(self, event: AnswerForm.Answered) -> None:
        event.stop()  # the change is confirmed on the review screen before the app hears of it
        self.dismiss((event.question_id, event.value))

    def action_unsure(self) -> None:
        self.query_one(AnswerForm).commit_unsure()

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """Yes/no before something that clears answers."""

    BINDINGS = [Binding("escape,n", "no", "Cancel"), Binding("y", "yes", "Yes, change it")]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(Text(self.message), id="confirm-message")
            with Horizontal(classes="buttons"):
                yield Button("Yes, change it", id="confirm-yes", variant="warning")
                yield Button("Cancel", id="confirm-no")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#confirm-yes").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class ResultScreen(Screen[None]):
    """The recommendation: path, confidence, reasons, alternatives, flips, settings, next steps."""

    BINDINGS = [
        Binding("e", "export", "Export"),
        Binding("r,ctrl+r", "review", "Review / change"),
        Binding("b,ctrl+b", "back", "Back"),
        Binding("c", "continue", "Complete the plan"),
        Binding("q,ctrl+q", "app.quit", "Quit", priority=True),
    ]

    app: AdvisorApp

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "continue":
            return not self.app.session.finished  # hidden when every question is answered
        return True

    def action_continue(self) -> None:
        """Back to the open plan questions (shown when the result was opened early)."""
        self.app.post_message(ShowCurrent())

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield VerticalScroll(id="result")
        yield Footer()

    async def on_mount(self) -> None:
        await self.refresh_result()

    async def refresh_result(self) -> None:
        rec = self.app.session.recommendation()
        body = self.query_one("#result", VerticalScroll)
        await body.remove_children()
        command = self.app.reproduce
        widgets = []
        for key, title, content in result_sections(rec, command):
            if title:
                widgets.append(Static(Text(title, style="bold"), classes="section-title", id=f"title-{key}"))
            widgets.append(Static(content, classes="section", id=f"section-{key}"))
        await body.mount_all(widgets)
        body.focus()
        self.app.post_message(ResultShown(rec.path))

    def action_export(self) -> None:
        self.app.push_screen(ExportScreen())

    def action_review(self) -> None:
        self.app.push_screen(ReviewScreen())

    def action_back(self) -> None:
        self.app.post_message(GoBack())


class ExportScreen(ModalScreen[Path | None]):
    """Write the recommendation in any report format that renders, to a path the user picks."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    app: AdvisorApp

    def compose(self) -> ComposeResult:
        self.formats = list(format_names())
        with Vertical(id="export-dialog", classes="dialog"):
            yield Static(Text("Export the recommendation", style="bold"))
            yield Static("Format (↑/↓):", classes="hint")
            yield OptionList(*[Option(f, id=f) for f in self.formats], id="export-formats")
            yield Static("Save to (Enter to write):", classes="hint")
            yield Input(value=self._default_path(self.formats[0]), id="export-path")
            yield Static("", id="export-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Write", id="export-write", variant="primary")
                yield Button("Cancel", id="export-cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).cursor_blink = self.app.cursor_blink
        olist = self.query_one("#export-formats", OptionList)
        olist.highlighted = 0
        olist.focus()

    def _default_path(self, fmt: str) -> str:
        stem = self.app.save_path.stem.replace("-answers", "-report").replace("answers", "report")
        if stem == self.app.save_path.stem:
            stem += "-report"
        return str(self.app.save_path.with_name(get_format(fmt).file_name(stem)))

    @property
    def fmt(self) -> str:
        olist = self.query_one("#export-formats", OptionList)
        return self.formats[olist.highlighted or 0]

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        field = self.query_one("#export-path", Input)
        # Follow the format in the suggested name unless the user typed their own path.
        if event.option_id and any(field.value == self._default_path(f) for f in self.formats):
            field.value = self._default_path(event.option_id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#export-path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._write()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export-write":
            self._write()
        else:
            self.dismiss(None)

    def _write(self) -> None:
        raw = self.query_one("#export-path", Input).value.strip()
        if not raw:
            self.show_error("type a file name")
            return
        self.show_error("")
        self.app.post_message(ExportRequested(self.fmt, Path(raw).expanduser()))

    def show_error(self, message: str) -> None:
        """Why the report could not be written; the dialog stays open."""
        self.query_one("#export-error", Static).update(Text(message))

    def action_cancel(self) -> None:
        self.dismiss(None)
