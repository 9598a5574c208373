"""Progress that fits the place: rich in a terminal, timestamped lines in CI and logs, or a callback.

Every reporter has the same four methods, so a Textual worker can pass :class:`CallbackProgress`
(``fn(event: dict)``) and post the events to its screen.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any, Callable


class Progress:
    def step(self, name: str, title: str) -> None:
        self.emit({"event": "step", "step": name, "title": title})

    def done(self, name: str, status: str, detail: str = "") -> None:
        self.emit({"event": "done", "step": name, "status": status, "detail": detail})

    def info(self, text: str) -> None:
        self.emit({"event": "info", "text": text})

    def poll(self, name: str, status: str, waited: float) -> None:
        self.emit({"event": "poll", "step": name, "status": status, "waited": waited})

    def emit(self, event: dict[str, Any]) -> None:  # pragma: no cover - overridden
        pass

    def close(self) -> None:
        pass


class CallbackProgress(Progress):
    def __init__(self, fn: Callable[[dict[str, Any]], None]):
        self.fn = fn

    def emit(self, event: dict[str, Any]) -> None:
        self.fn(event)


def _line(event: dict[str, Any]) -> str:
    kind = event["event"]
    if kind == "step":
        return f"{event['step']}: {event['title']} ..."
    if kind == "done":
        extra = f" ({event['detail']})" if event.get("detail") else ""
        return f"{event['step']}: {event['status']}{extra}"
    if kind == "poll":
        return f"{event['step']}: {event['status']} after {event['waited']:.0f}s"
    return str(event.get("text", ""))


class PlainProgress(Progress):
    """``2026-12-01T07:00:00Z upload: done (2 files)`` lines, for logs and CI."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr

    def emit(self, event: dict[str, Any]) -> None:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        print(f"{stamp} {_line(event)}", file=self.stream, flush=True)


class RichProgress(Progress):
    """A live status line with a spinner per running step (rich is already installed with Textual)."""

    def __init__(self, stream=None):
        from rich.console import Console

        self.console = Console(file=stream or sys.stderr, highlight=False)
        self._status = None

    def emit(self, event: dict[str, Any]) -> None:
        from rich.markup import escape

        kind = event["event"]
        if kind == "step":
            self._stop()
            self._status = self.console.status(escape(_line(event)))
            self._status.start()
        elif kind == "poll" and self._status is not None:
            self._status.update(escape(_line(event)))
        else:
            if kind == "done":
                self._stop()
                mark = {"done": "[green]✓[/]", "skipped": "[dim]-[/]", "failed": "[red]✗[/]"}.get(event["status"], "•")
                self.console.print(f"{mark} {escape(_line(event))}")
            else:
                self.console.print(escape(_line(event)))

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def close(self) -> None:
        self._stop()


class QuietProgress(Progress):
    """For ``-q``: only failed steps are reported; everything else is silent."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr

    def emit(self, event: dict[str, Any]) -> None:
        if event["event"] == "done" and event.get("status") == "failed":
            print(_line(event), file=self.stream, flush=True)


def make_progress(stream=None, callback: Callable[[dict[str, Any]], None] | None = None,
                  quiet: bool = False) -> Progress:
    if callback is not None:
        return CallbackProgress(callback)
    stream = stream or sys.stderr
    if quiet:
        return QuietProgress(stream)
    if getattr(stream, "isatty", lambda: False)():
        try:
            return RichProgress(stream)
        except ImportError:
            pass
    return PlainProgress(stream)
