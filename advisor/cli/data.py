"""``advisor data …``: dataset tooling (validate, stats, convert, split)."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("data", help="validate, inspect, convert and split fine-tuning datasets")
    p.set_defaults(handler=lambda args: p.print_help() or 2)
