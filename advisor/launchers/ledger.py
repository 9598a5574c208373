"""The state of one launch: ``<state-dir>/<name>/plan.json`` and ``state.json``, written atomically.

``state.json`` holds each step's status (``pending``, ``running``, ``done``, ``failed``, ``waiting``)
and every resource it created (ids, ARNs, S3 keys). Each write goes to a temporary file that is
fsynced and renamed over the old one, so a kill at any moment leaves the old or the new state, never
half of one. Idempotency tokens are derived from the launch name and step, so the same call after a
crash carries the same token and AWS returns the resource it already made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from advisor.errors import InputError, UsageError, location_for
from advisor.files import write_json_atomic

DEFAULT_STATE_DIR = Path(".advisor") / "launches"
_NAME = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,39}")


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name or ""):
        raise UsageError(f"launch name {name!r}: use 1-40 letters, digits and hyphens, starting with a letter or "
                         "digit (it becomes part of AWS job and model names)")
    return name


def token(name: str, step: str, salt: str = "") -> str:
    """The idempotency token for ``step`` of launch ``name`` (stable across re-runs, 1-64 hex chars)."""
    return hashlib.sha256(f"advisor-launch\0{name}\0{step}\0{salt}".encode()).hexdigest()[:64]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read launch state: {exc}", location_for(path)) from None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Ledger:
    """``state.json`` of one launch. Steps keep ``status``, ``resources`` and a short ``detail``."""

    def __init__(self, directory: Path, name: str):
        self.dir = Path(directory)
        self.name = name
        self.path = self.dir / "state.json"
        self.state: dict[str, Any] = _read_json(self.path) or {"name": name, "steps": {}, "created": _now()}

    @classmethod
    def for_launch(cls, state_dir: str | Path | None, name: str) -> "Ledger":
        return cls(Path(state_dir or DEFAULT_STATE_DIR) / name, name)

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def token(self, step: str, salt: str = "") -> str:
        return token(self.name, step, salt)

    def step(self, name: str) -> dict[str, Any]:
        return self.state["steps"].setdefault(name, {"status": "pending", "resources": {}})

    def status(self, name: str) -> str:
        return self.state["steps"].get(name, {}).get("status", "pending")

    def resources(self, name: str) -> dict[str, Any]:
        return self.state["steps"].get(name, {}).get("resources", {})

    def resource(self, step: str, key: str, default=None):
        return self.resources(step).get(key, default)

    def update(self, step: str, status: str | None = None, detail: str | None = None, **resources) -> None:
        entry = self.step(step)
        if status is not None:
            entry["status"] = status
        if detail is not None:
            entry["detail"] = detail
        entry["resources"].update({k: v for k, v in resources.items() if v is not None})
        entry["updated"] = _now()
        self.save()

    def set(self, key: str, value: Any) -> None:
        self.state[key] = value
        self.save()

    def save(self) -> None:
        write_json_atomic(self.path, self.state)

    # --- plan.json --------------------------------------------------------------------------------
    def read_plan(self) -> dict[str, Any] | None:
        return _read_json(self.dir / "plan.json")

    def write_plan(self, plan_dict: dict[str, Any]) -> None:
        write_json_atomic(self.dir / "plan.json", plan_dict)


def input_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Human lines naming each input that differs between two launches of the same name."""
    out = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            out.append(f"{key}: was {old.get(key)!r}, now {new.get(key)!r}")
    return out


def list_launches(state_dir: str | Path | None) -> list[str]:
    root = Path(state_dir or DEFAULT_STATE_DIR)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "state.json").exists() or (p / "plan.json").exists())
