"""Reading a pool of worked examples: Bedrock conversation records or ``{"input", "output", "label"}`` JSONL.

Each usable line becomes a :class:`PoolExample` whose ``id`` is its 1-based line number. A Bedrock
record (either ``bedrock-claude-conversation`` or ``bedrock-conversation-2024``) gives its input as
the first user turn and its output as the last assistant turn; such records carry no label. A line
that is neither shape stops the load with an error naming the file and line, so a typo in the pool is
never silently dropped from the selection.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.errors import InputError, location_for

__all__ = ["PoolExample", "Pool", "load_pool", "normal_input"]

_SPACE = re.compile(r"\s+")


def normal_input(text: str) -> str:
    """The form two inputs are compared in: case-folded, whitespace collapsed, trimmed."""
    return _SPACE.sub(" ", text).strip().casefold()


@dataclass(frozen=True)
class PoolExample:
    """One worked example: ``id`` is its line number in the pool file."""

    id: int
    input: str
    output: str
    label: str | None = None

    def to_json(self, score: float | None = None) -> dict[str, Any]:
        return {"id": self.id, "score": None if score is None else round(score, 6), "input": self.input,
                "output": self.output, "label": self.label}


@dataclass
class Pool:
    """The examples of one pool file and the hash of its bytes (the index cache key)."""

    path: Path
    examples: list[PoolExample]
    sha256: str

    @property
    def has_labels(self) -> bool:
        return any(e.label is not None for e in self.examples)

    def by_id(self) -> dict[int, PoolExample]:
        return {e.id: e for e in self.examples}


def _content_text(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str)]
        return "".join(parts) if parts else None
    return None


def _from_record(doc: dict[str, Any]) -> tuple[str, str, str | None] | str:
    """(input, output, label) from one JSON object, or the reason it is not a usable example."""
    if "messages" in doc:
        messages = doc["messages"]
        if not isinstance(messages, list) or len(messages) < 2:
            return "a Bedrock record needs at least a user and an assistant message"
        first, last = messages[0], messages[-1]
        if not (isinstance(first, dict) and first.get("role") == "user"):
            return "a Bedrock record's first message must be from the user"
        if not (isinstance(last, dict) and last.get("role") == "assistant"):
            return "a Bedrock record's last message must be from the assistant"
        user, assistant = _content_text(first.get("content")), _content_text(last.get("content"))
        if user is None or assistant is None:
            return "message content must be text (a string or a list of {\"text\": ...} blocks)"
        label = doc.get("label")
        return user, assistant, None if label is None else str(label)
    if "input" in doc and "output" in doc:
        inp, out, label = doc["input"], doc["output"], doc.get("label")
        if not isinstance(inp, str) or not inp.strip():
            return "\"input\" must be a non-empty string"
        if not isinstance(out, str):
            out = json.dumps(out, ensure_ascii=False, sort_keys=True)
        if label is not None and not isinstance(label, (str, int, float, bool)):
            return "\"label\" must be a string (or a number)"
        return inp, out, None if label is None else str(label)
    return "expected a Bedrock conversation record (\"messages\") or {\"input\", \"output\"[, \"label\"]}"


def load_pool(path: str | Path) -> Pool:
    """Read and check a pool file; InputError (exit 2 for unreadable, 1 for a bad line) names file and line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the pool: {exc.strerror or exc}", location_for(path)) from None
    examples: list[PoolExample] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the pool is not UTF-8 text", location_for(path)) from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except (json.JSONDecodeError, RecursionError, ValueError) as exc:
            raise InputError(f"not a JSON line ({getattr(exc, 'msg', exc)})", location_for(path, number)) from None
        if not isinstance(doc, dict):
            raise InputError("each line must be a JSON object", location_for(path, number))
        parsed = _from_record(doc)
        if isinstance(parsed, str):
            raise InputError(parsed, location_for(path, number))
        examples.append(PoolExample(number, *parsed))
    if not examples:
        raise InputError("the pool has no examples", location_for(path))
    return Pool(path, examples, hashlib.sha256(data).hexdigest())
