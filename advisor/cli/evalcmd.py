"""``advisor eval …``: score predictions and run base-vs-improved evaluations."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="score predictions and run evaluations")
    p.set_defaults(handler=lambda args: p.print_help() or 2)
