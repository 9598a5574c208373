"""Answers derived from other answers before the decision is made.

Each derivation returns ``(derived values, economics report or None, notes)``; derived values never
override an answer the user gave directly.
"""

from __future__ import annotations


def default_derivations() -> list:
    """The derivations the shipped engine runs: the economics (with ``ADVISOR_PRICES`` when set)."""
    from advisor.economics.derivation import derivation_from_env

    return [derivation_from_env()]
