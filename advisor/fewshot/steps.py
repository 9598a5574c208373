"""The step loop and helpers the prompting launchers (few_shot, stay_on_prompts) share.

Same contract as every launcher (see :mod:`advisor.launchers`): a step already ``done`` in the
ledger is skipped; a step's outcome is written atomically before the next one starts; the model
calls inside a step go through the batch runner's ledger and response cache, so a re-run after
``kill -9`` pays for no answer twice.
"""

from __future__ import annotations

import hashlib
import os
import shlex
from pathlib import Path
from typing import Any

from advisor.errors import InputError, UsageError, location_for


def fault(point: str) -> None:
    """``ADVISOR_LAUNCH_FAULT=<point>`` kills this process there (crash tests)."""
    if os.environ.get("ADVISOR_LAUNCH_FAULT") == point:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def add_option(p, *flags: str, **kw) -> None:
    """Add an option unless another launcher already defined it (launchers share ``advisor launch``'s
    parser: ``--test`` and ``--config`` mean the same file to each)."""
    existing = getattr(p, "_option_string_actions", {})
    if any(f in existing for f in flags):
        return
    p.add_argument(*flags, **kw)


def file_input(value: str | None, what: str, flag: str) -> dict[str, Any]:
    if not value:
        raise UsageError(f"{flag} FILE is needed ({what})")
    path = Path(value)
    if not path.is_file():
        raise InputError(f"{what} not found", location_for(value))
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return {"path": str(path.resolve()), "sha256": h.hexdigest()}


def rerun_command(path: str, name: str, inputs: dict[str, Any], options: list[tuple[str, str]]) -> str:
    parts = ["advisor", "launch", path, "--answers", inputs["answers"]["path"]]
    for flag, key in options:
        value = inputs.get(key)
        if isinstance(value, dict):
            value = value.get("path")
        if value not in (None, "", [], False):
            parts += [flag, str(value)]
    parts += ["--name", name, "--yes"]
    return " ".join(shlex.quote(p) for p in parts)


class StepRunner:
    """Runs ``step_<name>`` methods of a subclass in plan order, with the ledger and progress."""

    def __init__(self, plan, ledger, progress, rulebase=None, **_options):
        self.plan = plan
        self.ledger = ledger
        self.progress = progress
        self.inputs = plan.inputs
        self.ctx = plan.context
        self._rulebase = rulebase
        self.dir = Path(ledger.dir)

    @property
    def rulebase(self):
        if self._rulebase is None:
            from advisor.knowledge import load_rulebase

            self._rulebase = load_rulebase()
        return self._rulebase

    def run(self) -> None:
        for step in self.plan.steps:
            if self.ledger.status(step.name) in ("done", "skipped"):
                continue
            self.progress.step(step.name, step.title)
            self.ledger.update(step.name, "running")
            try:
                detail = getattr(self, f"step_{step.name}")(step) or ""
            except BaseException as exc:
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    self.ledger.update(step.name, "interrupted")
                else:
                    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
                    self.ledger.update(step.name, "failed", detail=message)
                    self.progress.done(step.name, "failed", message)
                raise
            self.ledger.update(step.name, "done", detail=detail)
            self.progress.done(step.name, "done", detail)
            fault(f"after:{step.name}")


def sweep_fault_hook():
    """``ADVISOR_LAUNCH_FAULT=during:calls`` kills the process after a few answers are in the ledger."""
    if os.environ.get("ADVISOR_LAUNCH_FAULT") != "during:calls":
        return None
    seen = [0]

    def hook(row, progress) -> None:
        seen[0] += 1
        if seen[0] >= 3:
            fault("during:calls")

    return hook
