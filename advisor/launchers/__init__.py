"""The launcher wing: one module per path, each with a pure ``plan()`` and a ``run()`` that does the I/O.

Adding a launcher is one module (``advisor/launchers/<path>.py`` defining ``plan``, ``run``,
``add_arguments``, ``inputs_from_args(args, answers)`` and ``StillRunning``; optionally
``CHANGEABLE_INPUTS``, the inputs a re-run may change and the steps that then run again) and one
entry in :data:`REGISTRY`.

Shared pieces: :mod:`advisor.launchers.plan` (Plan, Step), :mod:`~advisor.launchers.ledger` (state per
launch, written atomically), :mod:`~advisor.launchers.progress` (rich, plain or callback),
:mod:`~advisor.launchers.batch` (Bedrock batch inference as a reusable step) and :mod:`advisor.aws`.
"""

from __future__ import annotations

import importlib

from advisor.launchers.plan import Plan, Step

__all__ = ["PATHS", "REGISTRY", "Plan", "Step", "launcher", "normalise_path"]

# Every path the contract names; launchers exist for those in REGISTRY.
PATHS = ("rag", "few_shot", "build_evals", "stay_on_prompts", "distill", "bedrock_fine_tune")
# path id -> module under advisor.launchers
REGISTRY: dict[str, str] = {
    "bedrock_fine_tune": "bedrock_fine_tune",
    "build_evals": "build_evals",
    "distill": "distill",
    "few_shot": "few_shot",
    "rag": "rag",
    "stay_on_prompts": "stay_on_prompts",
}


def normalise_path(path: str) -> str:
    return path.strip().replace("-", "_")


def launcher(path: str):
    """The launcher module for ``path`` (already normalised), or None when it is not built yet."""
    module = REGISTRY.get(path)
    return importlib.import_module(f"advisor.launchers.{module}") if module else None
