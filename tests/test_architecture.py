"""The import contract in pyproject.toml holds: advisor.cli -> tui -> core -> advisor.knowledge, no circles.

The contract is checked with import-linter (``lint-imports`` runs the same check by hand).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytest.importorskip("importlinter")

ROOT = Path(__file__).resolve().parents[1]
LINT = ("import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))")


def lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", LINT], cwd=cwd, capture_output=True, text=True, timeout=300)


def contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    return {c["id"]: c for c in config["contracts"]}


def test_the_import_contract_is_kept():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _layer_of() -> dict[str, int]:
    """Module -> index of its layer in the one-way contract (0 is the top); ``(name)`` marks an optional layer."""
    return {m.strip().strip("()"): i for i, layer in enumerate(contracts()["one-way"]["layers"])
            for m in layer.split(":")}


def test_every_module_of_advisor_has_its_place_in_the_contract():
    # A new package (say advisor/rag) must be placed deliberately: in a layer of the one-way contract, below the
    # TUI, and among the modules that must work without Textual. Until it is, the contract says nothing about it.
    children = {f"advisor.{p.stem}" for p in (ROOT / "advisor").iterdir()
                if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    layer_of = _layer_of()
    unplaced = sorted(children - layer_of.keys())
    assert not unplaced, f"place {unplaced} in a layer of the 'one-way' contract in pyproject.toml"
    entry = {"advisor.__main__", "advisor.cli"}
    above_the_core = sorted(m for m in children - entry if layer_of[m] <= layer_of["tui"])
    assert not above_the_core, f"{above_the_core} must sit below the TUI"
    without_textual = set(contracts()["no-textual-in-core"]["source_modules"])
    assert sorted((children - entry) - without_textual) == [], "add them to 'no-textual-in-core' source_modules"
    assert sorted(without_textual - children) == [], "no-textual-in-core names modules that do not exist"


def test_the_launcher_wing_and_the_packages_on_their_way_sit_in_the_core():
    # The launchers, AWS, batch and distillation packages are core (no Textual); RAG and few-shot get the same
    # place when they arrive (optional layers until then).
    layer_of = _layer_of()
    for name in ("advisor.launchers", "advisor.aws", "advisor.batch", "advisor.distill", "advisor.bedrock_batch",
                 "advisor.response_cache", "advisor.rag", "advisor.fewshot"):
        assert layer_of[name] == layer_of["advisor.engine"], name
    assert layer_of["advisor.knowledge"] > layer_of["advisor.engine"] > layer_of["tui"] > layer_of["advisor.cli"]


def test_a_core_module_importing_the_tui_breaks_the_contract(tmp_path):
    # Guards the first test: a planted wrong-way import in a copy of the code is found.
    for name in ("advisor", "tui"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "_rules"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    text = tmp_path / "advisor" / "reports" / "text.py"
    text.write_text(text.read_text(encoding="utf-8") + "\nimport tui.widgets  # planted\n", encoding="utf-8")
    result = lint(tmp_path)
    assert result.returncode == 1
    assert "advisor.reports.text -> tui.widgets" in result.stdout
    assert "BROKEN" in result.stdout
