"""The screens of the interview: question, why, review, change, confirm, result, export.

Screens read ``self.app.session`` (an immutable :class:`advisor.session.InterviewSession`) and post
messages (:mod:`tui.messages`); the app changes the session and decides what shows next.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual import events
from textual.widget import Widget
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
    LaunchRequested,
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
        Binding("ctrl+b", "back", "Back", tooltip="Go back one question; your answer is filled in again",
                priority=True),
        Binding("f1", "why", "Why?", tooltip="Why this question is asked"),
        Binding("ctrl+r", "review", "Review", tooltip="Check and change your answers", priority=True),
        Binding("ctrl+n", "unsure", "Not sure", tooltip="Answer 'not sure' (an assumption is used)",
                priority=True),
        Binding("f4", "result", "Result", tooltip="Show the result now (the plan questions can wait)"),
        Binding("ctrl+q", "app.quit", "Quit", show=False, priority=True),
        Binding("f2", "toggle_panel", "Panel", tooltip="Show or hide the side panel", show=False),
        Binding("escape", "app.keys", "Menu", tooltip="Keys and actions", show=False),
    ]

    app: AdvisorApp

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        # The progress row sits outside the scrolling area so it stays in view on a small terminal.
        with Horizontal(id="progress-row"):
            yield ProgressBar(total=1, show_eta=False, show_percentage=False, id="progress")
            yield Static("", id="progress-label")
        with Horizontal(id="body"):
            with VerticalScroll(id="main"):
                yield Static("", id="settled-note")
                yield Static("", id="question-text")
                yield Static("", id="question-help")
                yield Vertical(id="answer-area")
                yield Static("", id="save-note")
            with VerticalScroll(id="side"):
                yield Static("", id="side-paths")
                yield Static("", id="side-why")
        yield Footer(compact=True, show_command_palette=False)

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
        if view.current is None and qid in self.app.undone:
            view = replace(view, current=self.app.undone[qid])  # taken back: show the old answer again
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
            # Keys typed meanwhile go to the screen (which hands them to the new field), not to the old form.
            self.set_focus(None)
            # Await the removal so no key press can reach the previous question's form.
            await area.remove_children()
            form = AnswerForm(view, session.validate, blink=self.app.cursor_blink)
            await area.mount(form)
        form.focus_answer()
        self.call_after_refresh(form.focus_answer)
        self._replay_keys(form)
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
        text.append_text(why_text(view, derives=derived_questions(self.app.session, view.id)))
        return text

    # --- keys typed ahead -------------------------------------------------------------------
    # The app holds the keys typed between an Enter in the answer form and the next question showing
    # (``hold_keys``); they are typed into the next question's field once it is there. On a list question
    # an Enter among them is dropped, so a key meant for a field never picks a choice by accident.

    typeahead: list[events.Key] | None = None

    def hold_keys(self) -> None:
        if self.typeahead is None:
            self.typeahead = []
            self.set_timer(5.0, self.release_keys)  # no new question (an error, the result): hand them back

    def release_keys(self) -> None:
        keys, self.typeahead = self.typeahead, None
        if keys and self.app.screen is self and self.focused is not None:
            for key in keys:
                self.focused._forward_event(events.Key(key.key, key.character))

    def _replay_keys(self, form: AnswerForm) -> None:
        keys, self.typeahead = self.typeahead or [], None
        if not keys:
            return
        if form.uses_list:
            if not form.query(OptionList):
                return
            olist = form.query_one(OptionList)
            for key in keys:
                if key.key == "enter":
                    return
                olist._forward_event(events.Key(key.key, key.character))
            return
        if not form.query(Input):
            return
        field = form.query_one(Input)
        for key in keys:
            if key.key == "enter":
                self.run_worker(field.action_submit(), exclusive=False)
                return
            if key.is_printable and key.character is not None:
                field.insert_text_at_cursor(key.character)

    def on_screen_resume(self) -> None:
        self.typeahead = None

    def on_screen_suspend(self) -> None:
        self.typeahead = None  # the result (or a dialog) is on top: keys are its own

    def in_answer_form(self) -> bool:
        form = self._form()
        return form is not None and self.focused is not None and form in self.focused.ancestors_with_self

    def on_key(self, event: events.Key) -> None:
        """Keys typed while a new question's field is being built go into that field, not nowhere."""
        # A printable key reaching the screen was not taken by the field (focus was elsewhere): type it there.
        form = self._form()
        if form is None or form.uses_list or not form.query(Input):
            return
        field = form.query_one(Input)
        if event.key == "enter" and self.focused is not field:
            field.focus()
            event.stop()
            self.call_after_refresh(field.action_submit)
        elif event.is_printable and event.character is not None:
            field.focus()
            field.insert_text_at_cursor(event.character)
            event.stop()
            event.prevent_default()

    def _paths_panel(self) -> Text:
        session = self.app.session
        titles = self.app.path_titles
        paths = session.possible_paths()
        text = Text("Still possible\n", style="bold underline")
        for path in paths:
            text.append(f"• {titles.get(path, path)}\n")
        if paths and session.answered:  # no leaning before the first answer
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
            self.app.push_screen(WhyScreen(self.app.session.view(qid), derived_questions(self.app.session, qid)))

    def action_review(self) -> None:
        self.app.push_screen(ReviewScreen())

    def action_toggle_panel(self) -> None:
        side = self.query_one("#side")
        side.display = not side.display


class WhyScreen(ModalScreen[None]):
    """"Why are you asking?" in full, generated from the rules that use the question."""

    BINDINGS = [Binding("escape,f1,q", "close", "Close")]

    def __init__(self, view: QuestionView, derives: list[str] | None = None) -> None:
        super().__init__()
        self.view = view
        self.derives = derives or []

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="why-dialog", classes="dialog"):
            yield Static(Text(f"Why are you asking: {self.view.text}", style="bold"), id="why-title")
            yield Static(why_text(self.view, derives=self.derives), id="why-body")
            yield Button("Close", id="why-close")
        yield Footer(compact=True, show_command_palette=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class ReviewScreen(Screen[None]):
    """"Check your answers": every answer given; pick one to change it."""

    BINDINGS = [
        Binding("escape,ctrl+r", "close", "Done", tooltip="Back to where you were"),
        Binding("ctrl+q", "app.quit", "Quit", priority=True),
    ]

    app: AdvisorApp

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(id="review"):
            yield Static(Text("Check your answers", style="bold"), id="review-title")
            yield Static("Enter on an answer to change it. Answers that depended on it are cleared (you are "
                         "told which first).", classes="hint")
            yield OptionList(id="review-list")
        yield Footer(compact=True, show_command_palette=False)

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
        else:
            olist.highlighted = min(keep or 0, olist.option_count - 1)  # the first answer to begin with

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        qid = event.option_id
        if qid:
            self.app.push_screen(ChangeAnswerScreen(self.app.session.view(qid)), self._changed)

    def _changed(self, result: tuple[str, Any] | None) -> None:
        confirm_change(self.app, result)

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
        yield Footer(compact=True, show_command_palette=False)

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

    BINDINGS = [Binding("escape,n", "no", "Cancel"), Binding("y", "yes", "Yes")]

    def __init__(self, message: str, yes: str = "Yes, change it") -> None:
        super().__init__()
        self.message = message
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(Text(self.message), id="confirm-message")
            with Horizontal(classes="buttons"):
                yield Button(self.yes, id="confirm-yes", variant="warning")
                yield Button("Cancel", id="confirm-no")
        yield Footer(compact=True, show_command_palette=False)

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
        Binding("e", "export", "Export", tooltip="Write the report (text, Markdown, HTML, JSON, ADR)"),
        Binding("r,ctrl+r", "review", "Review", tooltip="Check and change your answers"),
        Binding("b,ctrl+b", "back", "Back", tooltip="Change your last answer (nothing is lost unless you do)"),
        Binding("c", "continue", "Plan questions", tooltip="Answer the open plan questions"),
        Binding("l", "launch", "Launch", tooltip="Launch the recommended path (plan first, asks before billing)"),
        Binding("v", "evidence", "Evidence", show=False,
                tooltip="Load evidence: an eval run's results.json, to answer from measured results"),
        Binding("q,ctrl+q", "app.quit", "Quit", show=False, priority=True),
    ]

    app: AdvisorApp

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "continue":
            return not self.app.session.finished  # hidden when every question is answered
        if action == "launch":
            return self._launchable()  # hidden when no launcher (or no inputs form) exists for the path
        return True

    def _launchable(self) -> bool:
        from advisor.launchers import REGISTRY

        path = self.app.session.recommendation().path
        return path in REGISTRY and bool(getattr(launcher_for(path), "FIELDS", ()))

    def action_launch(self) -> None:
        path = self.app.session.recommendation().path
        if path and self._launchable():
            self.app.post_message(LaunchRequested(path))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "result-launch":
            self.action_launch()

    def action_continue(self) -> None:
        """Back to the open plan questions (shown when the result was opened early)."""
        self.app.post_message(ShowCurrent(leave_result=True))

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield VerticalScroll(id="result")
        yield Footer(compact=True, show_command_palette=False)

    async def on_mount(self) -> None:
        await self.refresh_result()

    async def refresh_result(self) -> None:
        rec = self.app.session.recommendation()
        body = self.query_one("#result", VerticalScroll)
        await body.remove_children()
        command = self.app.reproduce
        widgets: list[Widget] = []
        for key, title, content in result_sections(rec, command):
            if title:
                widgets.append(Static(Text(title, style="bold"), classes="section-title", id=f"title-{key}"))
            widgets.append(Static(content, classes="section", id=f"section-{key}"))
            if key == "headline" and self._launchable():
                widgets.append(Button("Launch this path (l)", id="result-launch", variant="primary"))
        await body.mount_all(widgets)
        body.focus()
        self.app.post_message(ResultShown(rec.path))

    def action_export(self) -> None:
        self.app.push_screen(ExportScreen())

    def action_evidence(self) -> None:
        """Ask for an eval run's results.json; the result is shown again with the evidence."""

        async def loaded(done: bool | None) -> None:
            if done:
                await self.refresh_result()

        self.app.push_screen(EvidenceScreen(), loaded)

    def action_review(self) -> None:
        self.app.push_screen(ReviewScreen())

    def action_back(self) -> None:
        """The last answer in a dialog, filled in: keep it (Escape) or change it; nothing is lost silently."""
        session = self.app.session
        asked = [qid for qid, _ in session.answered if qid in session.engine.rulebase.questions]
        if not asked:
            return
        self.app.push_screen(ChangeAnswerScreen(session.view(asked[-1])), lambda r: confirm_change(self.app, r))


class EvidenceScreen(ModalScreen[bool]):
    """The path of an eval run's results.json; a file that cannot be read says why and the dialog stays."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    app: AdvisorApp

    def compose(self) -> ComposeResult:
        with Vertical(id="evidence-dialog", classes="dialog"):
            yield Static(Text("Load evidence from evals", style="bold"))
            yield Static("The results.json an `advisor eval run` wrote (Enter to load):", classes="hint")
            yield Input(placeholder="RUN_DIR/results.json", id="evidence-path")
            yield Static("", id="evidence-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Load", id="evidence-load", variant="primary")
                yield Button("Cancel", id="evidence-cancel")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        field = self.query_one("#evidence-path", Input)
        field.cursor_blink = self.app.cursor_blink
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._load()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "evidence-load":
            self._load()
        else:
            self.dismiss(False)

    def _load(self) -> None:
        from advisor.errors import AdvisorError

        raw = self.query_one("#evidence-path", Input).value.strip()
        if not raw:
            self.show_error("type the path of a results.json")
            return
        try:
            session = self.app.session.with_evidence(Path(raw).expanduser())
        except AdvisorError as exc:
            self.show_error(str(exc))
            return
        self.app.session = session
        self.dismiss(True)

    def show_error(self, message: str) -> None:
        self.query_one("#evidence-error", Static).update(Text(message))

    def action_cancel(self) -> None:
        self.dismiss(False)


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
        yield Footer(compact=True, show_command_palette=False)

    def set_busy(self, busy: bool) -> None:
        """A loading indicator over the dialog while the report is written (in a worker thread)."""
        self.query_one("#export-dialog").loading = busy

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


def derived_questions(session, question_id: str) -> list[str]:
    """The texts of the questions this answer helps derive (the cost numbers answer the volume question)."""
    questions = session.engine.rulebase.questions
    return [q.text for q in questions.values() if question_id in q.derivable_from]


def confirm_change(app: AdvisorApp, result: tuple[str, Any] | None) -> None:
    """Apply a changed answer; first say which answers it clears and whether they are asked again."""
    if result is None:
        return
    qid, value = result
    session = app.session
    dropped = session.dropped_by(qid, value)
    if not dropped:
        app.post_message(AnswerChanged(qid, value))
        return
    after = session.answer(qid, value)
    later = set(after.pending())
    for path in after.possible_paths():
        later.update(after.engine.open_plan_questions(after.answers, path))
    again = [session.view(d).text for d in dropped if d in later]
    gone = [session.view(d).text for d in dropped if d not in later]
    parts = [f"Changing this answer clears {len(dropped)} answer(s) that depended on it."]
    if again:
        parts.append("You will be asked again:\n" + "\n".join(f"• {n}" for n in again))
    if gone:
        parts.append("Cleared (no longer needed for this advice):\n" + "\n".join(f"• {n}" for n in gone))

    def confirmed(ok: bool | None) -> None:
        if ok:
            app.post_message(AnswerChanged(qid, value, cleared=len(dropped)))

    app.push_screen(ConfirmScreen("\n".join(parts)), confirmed)


class KeysScreen(ModalScreen[None]):
    """The keys of the screen below with what they do; Enter runs one (Escape closes)."""

    BINDINGS = [Binding("escape,f10,question_mark", "close", "Close")]

    def __init__(self, bindings: Any) -> None:
        super().__init__()
        seen: set[str] = set()
        self.rows: list[tuple[str, str, str, Any]] = []  # (key, description, action, node)
        for _key, active in bindings.items():
            b = active.binding
            if (not active.enabled or b.action in seen or not isinstance(active.node, (Screen, App))
                    or b.action in ("keys", "app.keys", "command_palette", "app.focus_next", "app.focus_previous",
                                    "screen.copy_text", "screen.maximize", "screen.minimize")):
                continue  # the screen's own keys; a widget's arrows and tab are everywhere
            seen.add(b.action)
            keys = ", ".join(self.app.get_key_display(Binding(k.strip(), "")) for k in b.key.split(","))
            self.rows.append((keys, b.tooltip or b.description or b.action, b.action, active.node))
        self.rows.append(("ctrl+p", "Command palette: search every action", "command_palette", None))

    def compose(self) -> ComposeResult:
        with Vertical(id="keys-dialog", classes="dialog"):
            yield Static(Text("Keys (Enter runs one, Escape closes)", style="bold"))
            options = []
            for i, (keys, text, _, _) in enumerate(self.rows):
                label = Text()
                label.append(f"{keys:<14}", style="bold")
                label.append(text)
                options.append(Option(label, id=str(i)))
            yield OptionList(*options, id="keys-list")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        olist = self.query_one("#keys-list", OptionList)
        olist.highlighted = 0
        olist.focus()

    async def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        _, _, action, node = self.rows[int(event.option_id or 0)]
        self.dismiss(None)
        if action == "command_palette":
            self.app.action_command_palette()
        else:
            await self.app.run_action(action, node)

    def action_close(self) -> None:
        self.dismiss(None)


def launcher_for(path: str | None):
    from advisor.launchers import launcher

    return launcher(path) if path else None
