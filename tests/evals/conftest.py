"""Paths the eval tests share: the example config, its TAT-QA slice and the full TAT-QA files."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = REPO / "examples" / "eval-tatqa.yaml"
EXAMPLE_SLICE = REPO / "examples" / "eval-tatqa" / "tatqa_dev_slice.json"
# CI clones main with shared/ beside it; developers may not have it (tests needing it skip).
SHARED_TATQA = REPO.parent / "shared" / "data" / "tatqa"
