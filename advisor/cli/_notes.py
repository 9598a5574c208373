"""Informational notes on standard error that obey the global ``-q`` / ``-v`` flags.

``note`` is for progress and summaries that are not the command's result (silenced by ``-q``);
``detail`` is for what ``-v`` adds (which inputs were read). Errors never go through here.
"""

from __future__ import annotations

import sys

from advisor.errors import clean_for_terminal, verbosity


def quiet() -> bool:
    return verbosity() < 0


def note(text: str) -> None:
    if verbosity() >= 0:
        print(f"advisor: {clean_for_terminal(text)}", file=sys.stderr, flush=True)


def detail(text: str) -> None:
    if verbosity() > 0:
        print(f"advisor: {clean_for_terminal(text)}", file=sys.stderr, flush=True)
