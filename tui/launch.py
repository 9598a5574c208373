"""Launch the recommended path from the interview: inputs form → plan → confirm billed steps → run.

The plan is the launcher's own ``plan()`` (the same as ``advisor launch --dry-run``); the run is its
``run()`` in a Textual worker thread, with progress events posted back as log lines. State lives in the
launch ledger (``.advisor/launches/<name>``), so quitting mid-launch loses nothing: the next interview
offers to resume a launch that is not finished.
"""

from __future__ import annotations

import argparse
import hashlib
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Log, Select, Static

from advisor.errors import AdvisorError
from advisor.launchers import launcher
from advisor.launchers.ledger import DEFAULT_STATE_DIR, Ledger, check_name, input_differences, list_launches
from advisor.launchers.plan import Plan

if TYPE_CHECKING:
    from tui.app import AdvisorApp

__all__ = ["LaunchScreen", "unfinished_launches", "launch_inputs"]

FINISHED = ("done", "skipped")


def unfinished_launches(state_dir: Path | str | None = None) -> list[tuple[str, str, str]]:
    """(name, path, where it stopped) for each launch in the state folder with a step not finished."""
    found = []
    for name in list_launches(state_dir):
        try:
            ledger = Ledger.for_launch(state_dir, name)
            plan = ledger.read_plan() or {}
        except AdvisorError:
            continue
        steps = [s["name"] for s in plan.get("steps", [])]
        open_steps = [s for s in steps if ledger.status(s) not in FINISHED]
        if steps and open_steps:
            found.append((name, plan.get("path", "?"), f"{open_steps[0]} {ledger.status(open_steps[0])}"))
    return found


def launch_inputs(module, values: dict[str, str], answers: dict[str, Any], answers_path: Path) -> dict[str, Any]:
    """The launch's inputs from the form, checked by the launcher's own ``inputs_from_args``."""
    parser = argparse.ArgumentParser(add_help=False)
    module.add_arguments(parser)
    args = parser.parse_args([])  # the command line's defaults
    # Options taking several values (nargs, append): the form's text is split on spaces (quotes keep one).
    many = {a.dest for a in parser._actions if a.nargs not in (None, "?") or isinstance(a, argparse._AppendAction)}
    for field in module.FIELDS:
        raw = (values.get(field.dest) or "").strip()
        if not raw:
            continue
        if field.dest in many:
            try:
                parts = shlex.split(raw)
            except ValueError as exc:
                raise AdvisorError(f"{field.label}: {exc}") from None
            value_list = [str(Path(p).expanduser()) for p in parts]
            setattr(args, field.dest, value_list)
            continue
        if field.kind in ("number", "int"):
            try:
                value: Any = int(raw) if field.kind == "int" else float(raw)
            except ValueError:
                raise AdvisorError(f"{field.label}: {raw!r} is not a number") from None
        elif field.kind == "file":
            value = str(Path(raw).expanduser())
        else:
            value = raw
        setattr(args, field.dest, value)
    inputs = module.inputs_from_args(args, answers)
    fingerprint = {"path": str(answers_path.resolve()), "sha256": hashlib.sha256(answers_path.read_bytes()).hexdigest()}
    return {"answers": fingerprint, **inputs}


def billed_summary(plan: Plan, ledger: Ledger | None) -> list[str]:
    """One line per billed step still to run, with its cost."""
    lines = []
    for step in plan.billed:
        if ledger is not None and ledger.status(step.name) in FINISHED:
            continue
        cost = (step.cost_unit if step.cost_unit else f"about ${step.cost_usd:,.2f}" if step.cost_usd is not None
                else "cost unknown")
        lines.append(f"• {step.name}: {step.title} ({cost})")
    return lines


class LaunchScreen(Screen[None]):
    """Inputs, the plan, a confirmation before billed steps, then the run with a live log."""

    BINDINGS = [
        Binding("escape", "close", "Back", tooltip="Back to the result (a running launch goes on)"),
        Binding("ctrl+q", "app.quit", "Quit", priority=True),
    ]

    app: AdvisorApp
    poll_interval = 30.0  # the first status check of a running job (tests make it short)

    def __init__(self, path: str, resume: str | None = None, state_dir: Path | str | None = None) -> None:
        super().__init__()
        self.path = path
        self.module = launcher(path)
        self.resume = resume
        self.state_dir = Path(state_dir) if state_dir else DEFAULT_STATE_DIR
        self.plan: Plan | None = None
        self.ledger: Ledger | None = None
        self.running = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        title = self.app.path_titles.get(self.path, self.path)
        with VerticalScroll(id="launch"):
            yield Static(Text(f"Launch: {title}", style="bold"), id="launch-title")
            if self.resume:
                yield Static(f"Resuming launch {self.resume!r} from {self.state_dir / self.resume}.", classes="hint")
            else:
                with Vertical(id="launch-form"):
                    yield Static("Launch name (letters, digits, hyphens)", classes="hint")
                    yield Input(value=self.path.replace("_", "-"), id="launch-name", compact=True)
                    for field in getattr(self.module, "FIELDS", ()):
                        yield Static(field.label + (" *" if field.required else ""), classes="hint")
                        if field.kind == "choice":
                            yield Select([(c, c) for c in field.choices], value=field.choices[-1],
                                         allow_blank=False, id=f"launch-{field.dest}", compact=True)
                        else:
                            yield Input(id=f"launch-{field.dest}", compact=True)
            with Horizontal(classes="buttons"):
                if not self.resume:
                    yield Button("Show plan", id="launch-plan", variant="primary")
                yield Button("Launch", id="launch-run", variant="warning", disabled=not self.resume)
            yield Static("", id="launch-error", classes="error")
            yield Static("", id="launch-plan-text")
            yield Static("", id="launch-status")
            yield Log(id="launch-log", max_lines=500)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        if self.resume:
            self.ledger = Ledger.for_launch(self.state_dir, self.resume)
            data = self.ledger.read_plan()
            if data is None:
                self.show_error(f"launch {self.resume!r} has no plan.json; start it again")
                return
            self.plan = Plan.from_dict(data)
            self.query_one("#launch-plan-text", Static).update(Text(self.plan.render_text()))

    # --- form → plan ----------------------------------------------------------------------------

    def form_values(self) -> dict[str, str]:
        values = {}
        for field in getattr(self.module, "FIELDS", ()):
            widget: Any = self.query_one(f"#launch-{field.dest}")  # an Input, Select or Checkbox: each has .value
            values[field.dest] = str(widget.value) if widget.value is not None else ""
        return values

    def show_error(self, message: str) -> None:
        self.query_one("#launch-error", Static).update(Text(message))

    def make_plan(self) -> Plan | None:
        """The plan for the form's inputs (the launcher's pure ``plan()``), shown on the screen."""
        session = self.app.session
        try:
            name = check_name(self.query_one("#launch-name", Input).value.strip())
            inputs = launch_inputs(self.module, self.form_values(), session.answers, self.app.save_path)
            ledger = Ledger.for_launch(self.state_dir, name)
            old = ledger.read_plan()
            if ledger.exists and old is not None:
                diffs = input_differences(old.get("inputs", {}), inputs)
                if diffs:
                    raise AdvisorError(f"launch {name!r} already exists with different inputs; choose a new name. "
                                       "Differences: " + "; ".join(diffs))
            plan = self.module.plan(session.recommendation(), inputs, session.engine.rulebase, name)
        except AdvisorError as exc:
            self.show_error(str(getattr(exc, "message", None) or exc))
            return None
        self.show_error("")
        self.plan, self.ledger = plan, ledger
        self.query_one("#launch-plan-text", Static).update(Text(plan.render_text()))
        self.query_one("#launch-run", Button).disabled = False
        self.call_after_refresh(self.query_one("#launch-plan-text").scroll_visible, top=True)
        return plan

    # --- run ------------------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "launch-plan":
            self.make_plan()
        elif event.button.id == "launch-run":
            self.start()

    def start(self) -> None:
        """Ask before billed steps, then run in a worker thread."""
        if self.running or self.plan is None or self.ledger is None:
            return
        billed = billed_summary(self.plan, self.ledger)
        if not billed:
            self._run()
            return
        from tui.screens import ConfirmScreen

        message = (f"Launch {self.plan.name!r} has billed steps; your AWS account is charged for:\n"
                   + "\n".join(billed) + "\nStart it?")
        self.app.push_screen(ConfirmScreen(message, yes="Yes, start (billed)"),
                             lambda ok: self._run() if ok else self.set_status("Not started: nothing was billed."))

    def set_status(self, text: str) -> None:
        self.query_one("#launch-status", Static).update(Text(text, style="bold"))

    def _log(self, line: str) -> None:
        self.query_one("#launch-log", Log).write_line(line)

    def _run(self) -> None:
        plan, ledger, module = self.plan, self.ledger, self.module
        assert plan is not None and ledger is not None
        self.running = True
        self.query_one("#launch-run", Button).disabled = True
        self.set_status(f"Running launch {plan.name!r} …")
        self.call_after_refresh(self.query_one("#launch-log").scroll_visible)
        ledger.write_plan(plan.to_dict())
        if not ledger.exists:
            ledger.save()
        from advisor.launchers.progress import CallbackProgress, _line

        rulebase = self.app.session.engine.rulebase
        progress = CallbackProgress(lambda event: self.app.call_from_thread(self._log, _line(event)))

        def work() -> None:
            try:
                module.run(plan, ledger, progress, wait=False, poll_interval=self.poll_interval, rulebase=rulebase)
            except module.StillRunning as exc:
                self.app.call_from_thread(self._finished, "running",
                                          f"Still running, check later: {exc.message}")
            except AdvisorError as exc:
                self.app.call_from_thread(self._finished, "failed",
                                          f"Stopped: {getattr(exc, 'message', None) or exc}")
            except Exception as exc:  # an AWS or I/O failure is shown, never a crash; the ledger keeps the state
                self.app.call_from_thread(self._finished, "failed", f"Stopped: {type(exc).__name__}: {exc}")
            else:
                report = ledger.resources("report").get("markdown")
                self.app.call_from_thread(self._finished, "done",
                                          "Done." + (f" Report: {report}" if report else ""))

        self.run_worker(work, thread=True, group="launch", exit_on_error=False)

    def _finished(self, outcome: str, text: str) -> None:
        self.running = False
        self.outcome = outcome
        self.set_status(text)
        self._log(text)
        if outcome != "done":
            self.query_one("#launch-run", Button).disabled = False  # run again = resume from the ledger

    def action_close(self) -> None:
        self.dismiss(None)
