"""Widgets that turn a :class:`advisor.session.QuestionView` into something to answer, and back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from advisor.session import UNSURE, QuestionView
from advisor.values import show

UNSURE_LABEL = "Not sure"  # the button and list entry; values show as "not sure" (advisor.values)


def _prefill(view: QuestionView) -> str:
    """The current answer as editable text ("2,400" is read back as 2400)."""
    return "" if view.current in (None, UNSURE) else show(view.current)


class SessionValidator(Validator):
    """Validates typed text with the session's own rules, so the UI never duplicates them."""

    def __init__(self, validate: Callable[[str], Any]) -> None:
        super().__init__()
        self._validate = validate

    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.failure("type an answer, then press Enter")
        try:
            self._validate(value)
        except ValueError as exc:
            return self.failure(str(exc))
        return self.success()


class AnswerForm(Vertical):
    """The widget for one question: a list to pick from, or a field to type into.

    Posts :class:`AnswerForm.Answered` with a canonical value when the user commits an answer.
    """

    class Answered(Message):
        def __init__(self, form: AnswerForm, question_id: str, value: Any) -> None:
            super().__init__()
            self.form = form
            self.question_id = question_id
            self.value = value

    def __init__(self, view: QuestionView, validate: Callable[[str, Any], Any], *, blink: bool = True,
                 id: str | None = None) -> None:
        super().__init__(id=id, classes="answer-form")
        self.view = view
        self._validate = validate
        self._blink = blink

    @property
    def uses_list(self) -> bool:
        return self.view.type in ("bool", "choice")

    @staticmethod
    def kind_of(view: QuestionView) -> tuple[bool, bool]:
        """Forms of the same kind have the same widgets, so one can be reused for the next question."""
        return view.type in ("bool", "choice"), view.allows_unsure

    @property
    def kind(self) -> tuple[bool, bool]:
        return self.kind_of(self.view)

    def show_question(self, view: QuestionView) -> None:
        """Show another question of the same kind in place: cheaper than a new form, and focus stays put."""
        assert self.kind_of(view) == self.kind
        self.view = view
        if self.uses_list:
            olist = self.query_one(OptionList)
            olist.clear_options()
            olist.add_options(self._options())
            self._highlight_current()
            return
        field = self.query_one(Input)
        field.placeholder = self._placeholder()
        field.validators = [self._validator(view.id)]
        field.value = _prefill(view)
        self._show_error("")

    def compose(self) -> ComposeResult:
        view = self.view
        if self.uses_list:
            options = self._options()
            olist = OptionList(*options, id="answer-options")
            yield olist
            yield Static(self._list_hint(), classes="hint")
            return
        field = Input(value=_prefill(view), placeholder=self._placeholder(), id="answer-input",
                      validators=[self._validator(view.id)],
                      validate_on=["changed", "submitted"])
        field.cursor_blink = self._blink
        yield field
        yield Static("", id="answer-error", classes="error")
        with Horizontal(classes="buttons"):
            yield Button("Next", id="answer-next", variant="primary")
            if view.allows_unsure:
                yield Button(UNSURE_LABEL, id="answer-unsure")
        yield Static("Enter: next" + ("   ctrl+n: not sure" if view.allows_unsure else ""), classes="hint")

    def _validator(self, question_id: str) -> SessionValidator:
        def validate(raw: str) -> Any:
            return self._validate(question_id, raw)

        return SessionValidator(validate)

    def _placeholder(self) -> str:
        view = self.view
        placeholder = {"int": "a whole number", "number": "a number", "text": "your answer"}[view.type]
        if view.minimum is not None or view.maximum is not None:
            placeholder += f" ({_range(view)})"
        return placeholder

    def _options(self) -> list[Option]:
        view = self.view
        if view.type == "bool":
            pairs = [("yes", "Yes"), ("no", "No")]
        else:
            pairs = list(view.choices)
        if view.allows_unsure:
            pairs.append((UNSURE, UNSURE_LABEL))
        return [Option(label, id=value) for value, label in pairs]

    def _list_hint(self) -> str:
        return "↑/↓ to choose, Enter to answer"

    def on_mount(self) -> None:
        self._highlight_current()

    def _highlight_current(self) -> None:
        if self.uses_list:
            olist = self.query_one(OptionList)
            current = self.view.current
            wanted = {True: "yes", False: "no"}.get(current, current) if isinstance(current, bool) else current
            index = 0
            for i in range(olist.option_count):
                if olist.get_option_at_index(i).id == wanted:
                    index = i
            olist.highlighted = index

    def focus_answer(self) -> None:
        """Put the keyboard focus where the answer goes."""
        targets = self.query(OptionList) if self.uses_list else self.query(Input)
        if targets:  # not yet composed: the call after the next refresh focuses it
            targets.first().focus()

    # --- committing ---------------------------------------------------------------------------

    def commit(self, raw: Any) -> bool:
        """Validate ``raw`` and post the answer; show the reason inline when it is not valid."""
        try:
            value = self._validate(self.view.id, raw)
        except ValueError as exc:
            self._show_error(str(exc))
            return False
        self.post_message(self.Answered(self, self.view.id, value))
        return True

    def commit_unsure(self) -> bool:
        if not self.view.allows_unsure:
            return False
        return self.commit(UNSURE)

    def _show_error(self, message: str) -> None:
        if message:  # the answer was refused: keys typed after its Enter belong here, not to a next question
            release = getattr(self.screen, "release_keys", None)
            if release is not None:
                release()
        errors = self.query("#answer-error")
        if errors:
            errors.first(Static).update(Text(message))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        choice = event.option_id
        raw: Any = choice
        if self.view.type == "bool":
            raw = choice == "yes" if choice in ("yes", "no") else choice
        self.commit(raw)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        result = event.validation_result
        if not event.value.strip() or result is None or result.is_valid:
            self._show_error("")
        else:
            self._show_error("; ".join(result.failure_descriptions))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.view.type == "text" or event.value.strip():
            self.commit(event.value)
        else:
            self._show_error("type an answer, then press Enter")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "answer-unsure":
            self.commit_unsure()
        elif event.button.id == "answer-next":
            value = self.query_one(Input).value
            if self.view.type == "text" or value.strip():
                self.commit(value)
            else:
                self._show_error("type an answer, then press Enter")


def _limit(value: float) -> str:
    return show(int(value) if float(value).is_integer() else value)


def _range(view: QuestionView) -> str:
    lo = _limit(view.minimum) if view.minimum is not None else None
    hi = _limit(view.maximum) if view.maximum is not None else None
    if lo is not None and hi is not None:
        return f"{lo} to {hi}"
    return f"at least {lo}" if lo is not None else f"at most {hi}"


def why_text(view: QuestionView, titles: dict[str, str] | None = None, derives: list[str] | None = None) -> Text:
    """"Why are you asking?": the rules that read this question, grouped by what they decide.

    ``derives``: the questions the cost comparison answers from this number (the volume question)."""
    kinds = {
        "decision": "It decides the path",
        "hyperparameter": "It sets training settings",
        "warning": "It can raise a warning",
        "readiness": "It is on the readiness checklist",
    }
    text = Text()
    if derives:
        text.append("It feeds the cost comparison:\n", style="bold")
        text.append("• The cost comparison uses this number to derive the answer to: ")
        text.append("; ".join(derives))
        text.append(" With the numbers given, that question is not asked.\n")
    elif not view.why:
        text.append("No rule reads this answer directly; it is shown in the reports.\n")
    grouped: dict[str, list[tuple[str, str]]] = {}
    for rule_id, kind, because in view.why:
        grouped.setdefault(kind, []).append((rule_id, because))
    for kind, items in grouped.items():
        text.append(kinds.get(kind, kind) + ":\n", style="bold")
        for rule_id, because in items:
            text.append("• ")
            text.append(" ".join(because.split()))
            text.append(f"  [{rule_id}]\n", style="dim")
    if view.allows_unsure and view.unsure_note:
        text.append("If you are not sure: ", style="bold")
        text.append(view.unsure_note + "\n")
    return text
