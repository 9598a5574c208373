"""What every launcher's ``run()`` shares: the step loop over the ledger, "still running", crash-test faults."""

from __future__ import annotations

import os
import signal
from typing import Any

from advisor.launchers.plan import Plan

__all__ = ["StillRunning", "fault", "run_steps"]


class StillRunning(Exception):
    """A long-running step has not finished and ``--wait`` was not given (exit 4)."""

    def __init__(self, step: str, message: str):
        super().__init__(message)
        self.step = step
        self.message = message


def fault(point: str) -> None:
    """Fault injection for the crash tests: ``ADVISOR_LAUNCH_FAULT=<point>`` kills this process there."""
    if os.environ.get("ADVISOR_LAUNCH_FAULT") == point:
        os.kill(os.getpid(), signal.SIGKILL)


def run_steps(runner: Any, plan: Plan, ledger: Any, progress: Any) -> None:
    """Run ``runner.step_<name>(step)`` for each step the ledger has not finished, recording each outcome.

    A step returns a detail string, or ``(status, detail)`` for a status other than ``done``. Still running
    is recorded as ``waiting``; an interrupt as ``interrupted``; any other error as ``failed`` with its
    message; every exception is re-raised for the CLI to turn into an exit code."""
    for step in plan.steps:
        if ledger.status(step.name) in ("done", "skipped"):
            continue
        progress.step(step.name, step.title)
        ledger.update(step.name, "running")
        try:
            result = getattr(runner, f"step_{step.name}")(step)
        except StillRunning as exc:
            ledger.update(step.name, "waiting", detail=exc.message)
            progress.done(step.name, "waiting", exc.message)
            raise
        except BaseException as exc:
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                ledger.update(step.name, "interrupted")
            else:
                ledger.update(step.name, "failed", detail=message)
                progress.done(step.name, "failed", message)
            raise
        final, detail = result if isinstance(result, tuple) else ("done", result or "")
        ledger.update(step.name, final, detail=detail)
        progress.done(step.name, final, detail)
        fault(f"after:{step.name}")
