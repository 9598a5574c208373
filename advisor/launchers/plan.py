"""A launch plan: named steps, each with the exact API requests it will send, whether it bills and its cost."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Field:
    """One input a launcher needs, described so a form can ask for it (the TUI's Launch screen).

    ``dest`` is the argparse destination of the matching command-line option, so a form's values go
    through the launcher's own ``inputs_from_args`` checks."""

    dest: str
    label: str
    kind: str = "text"  # text | file | number | int | choice
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass
class Request:
    """One API call as it will be sent (``params`` are the boto3 keyword arguments)."""

    service: str
    operation: str
    params: dict[str, Any]


@dataclass
class Step:
    name: str
    title: str
    requests: list[Request] = field(default_factory=list)
    bills: bool = False
    cost_usd: float | None = None  # None: unknown (the note says what to supply)
    cost_note: str = ""
    cost_unit: str = ""  # e.g. "per token": billed by use, no fixed amount to add up
    detail: str = ""


@dataclass
class Plan:
    path: str
    name: str
    inputs: dict[str, Any]  # what the launch was asked to do; a re-run must match it
    steps: list[Step]
    notes: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)  # derived facts run() needs (model, region …)

    @property
    def billed(self) -> list[Step]:
        return [s for s in self.steps if s.bills]

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "name": self.name, "inputs": self.inputs, "notes": self.notes,
                "context": self.context, "steps": [asdict(s) for s in self.steps],
                "billed_steps": [s.name for s in self.billed],
                "cost_usd_known": round(sum(s.cost_usd or 0 for s in self.billed), 4),
                "cost_unknown_steps": [s.name for s in self.billed if s.cost_usd is None and not s.cost_unit]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Plan":
        steps = [Step(**{**s, "requests": [Request(**r) for r in s.get("requests", [])]}) for s in data["steps"]]
        return cls(data["path"], data["name"], data["inputs"], steps, data.get("notes", []), data.get("context", {}))

    def render_text(self) -> str:
        lines = [f"Launch plan: {self.path} as {self.name!r}", ""]
        for i, s in enumerate(self.steps, 1):
            money = ""
            if s.bills:
                money = (f"  [BILLED {s.cost_unit}]" if s.cost_unit
                         else f"  [BILLED: about ${s.cost_usd:,.2f}]" if s.cost_usd is not None
                         else "  [BILLED: cost unknown]")
            lines.append(f"{i}. {s.name}: {s.title}{money}")
            if s.detail:
                lines.append(f"   {s.detail}")
            if s.bills and s.cost_note:
                lines.append(f"   cost: {s.cost_note}")
            for r in s.requests:
                body = json.dumps(r.params, indent=2, sort_keys=True, default=str).replace("\n", "\n      ")
                lines.append(f"   -> {r.service} {r.operation}")
                lines.append(f"      {body}")
        for note in self.notes:
            lines.append(f"note: {note}")
        billed = self.billed
        if billed:
            known = sum(s.cost_usd or 0 for s in billed)
            unknown = [s.name for s in billed if s.cost_usd is None and not s.cost_unit]
            if unknown and not known:
                total = (f"Estimated cost of billed steps: unknown (no reliable price for {', '.join(unknown)}; "
                         "see each step)")
            else:
                total = f"Estimated cost of billed steps: ${known:,.2f}"
                if unknown:
                    total += f" plus unknown amounts for {', '.join(unknown)}"
            lines += ["", total]
        return "\n".join(lines)
