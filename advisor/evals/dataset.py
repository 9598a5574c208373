"""Test sets for ``eval run``: TAT-QA JSON files and generic JSON Lines.

A TAT-QA file gives one example per question, with template fields ``question``, ``table`` (rows
of cells joined by `` | ``, one row per line), ``table_html`` (a ``<tr>/<td>`` rendering), ``paragraphs``
(the context's paragraphs, blank-line separated) and ``uid``. Gold answers never reach templates.
A JSON Lines file gives one example per line: ``id`` (or the line number), ``answer``/``answers`` as the
gold, and every other key as a template field.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.errors import InputError, location_for

_GOLD_KEYS = ("answers", "answer", "label", "gold")


@dataclass(frozen=True)
class Example:
    """One test item: its id, the fields a prompt template may use, and the gold the metric needs."""

    id: str
    fields: dict[str, Any]
    gold: Any


def table_text(rows: list[list[Any]]) -> str:
    """A TAT-QA table as text: cells joined by `` | ``, one row per line."""
    return "\n".join(" | ".join(str(c).strip() for c in row) for row in rows)


def table_html(rows: list[list[Any]]) -> str:
    """A TAT-QA table as HTML rows (without the enclosing ``<table>`` tag, which prompts add)."""
    return "".join("<tr>" + "".join(f"<td>{html.escape(str(c).strip())}</td>" for c in row) + "</tr>"
                   for row in rows)


def load_examples(path: Path, fmt: str | None = None, limit: int | None = None) -> list[Example]:
    """Read a test set; ``fmt`` is ``tatqa`` or ``jsonl`` (guessed from the suffix when None)."""
    from advisor.evals.jsonio import read_json, read_records

    if fmt is None:
        fmt = "jsonl" if path.suffix in (".jsonl", ".ndjson") else "tatqa"
    examples: list[Example] = []
    if fmt == "tatqa":
        from advisor.evals.scoring import check_tatqa_shape

        doc = read_json(path)
        check_tatqa_shape(doc, path)
        for c_index, context in enumerate(doc, start=1):
            table = context.get("table") or {}
            rows = table.get("table") if isinstance(table, dict) else None
            rows = rows or []
            paragraphs = context.get("paragraphs") or []
            if not (isinstance(rows, list) and all(isinstance(r, list) for r in rows)):
                raise InputError(f"context {c_index}: \"table\" must be {{\"table\": [[cells]]}}", location_for(path))
            if not (isinstance(paragraphs, list) and all(isinstance(p, dict) for p in paragraphs)):
                raise InputError(f"context {c_index}: \"paragraphs\" must be a list of mappings",
                                 location_for(path))
            paragraphs = sorted(paragraphs, key=lambda p: p.get("order", 0) if isinstance(p.get("order", 0), int)
                                else 0)
            shared = {"table": table_text(rows), "table_html": table_html(rows),
                      "paragraphs": "\n\n".join(str(p.get("text", "")) for p in paragraphs)}
            questions = sorted(context.get("questions") or [],
                               key=lambda q: q.get("order", 0) if isinstance(q.get("order", 0), int) else 0)
            for q in questions:
                examples.append(Example(str(q["uid"]), {**shared, "question": str(q.get("question", "")),
                                                        "uid": q["uid"]}, q))
    else:
        records = read_records(path, lines=True)
        if not isinstance(records, list):
            raise InputError("expected JSON Lines of objects", location_for(path))
        for number, rec in enumerate(records, start=1):
            if not isinstance(rec, dict):
                raise InputError("each line must be a JSON object", location_for(path, number))
            gold = next((rec[k] for k in _GOLD_KEYS if k in rec), None)
            fields = {k: v for k, v in rec.items() if k not in _GOLD_KEYS}
            examples.append(Example(str(rec.get("id", number)), fields, gold))
    ids = [e.id for e in examples]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise InputError(f"duplicate example id {dup!r}", location_for(path))
    return examples[:limit] if limit else examples


def load_few_shot(path: Path, count: int | None) -> list[tuple[str, str]]:
    """Worked examples as (user, assistant) pairs from JSON Lines of ``{"user", "assistant"}``."""
    from advisor.evals.jsonio import read_records

    records = read_records(path, lines=True)
    pairs = []
    for number, rec in enumerate(records if isinstance(records, list) else [], start=1):
        if not isinstance(rec, dict) or not isinstance(rec.get("user"), str) or not isinstance(
                rec.get("assistant"), str):
            raise InputError("each few-shot line needs string \"user\" and \"assistant\" keys",
                             location_for(path, number))
        pairs.append((rec["user"], rec["assistant"]))
    return pairs[:count] if count is not None else pairs


def load_contexts(path: Path) -> dict[str, str]:
    """Retrieved context per example id, from JSON Lines of ``{"id", "context"}`` (lists are joined)."""
    from advisor.evals.jsonio import read_records

    out: dict[str, str] = {}
    for number, rec in enumerate(read_records(path, lines=True), start=1):
        if not isinstance(rec, dict) or "id" not in rec:
            raise InputError("each context line needs \"id\" and \"context\"", location_for(path, number))
        ctx = rec.get("context", "")
        out[str(rec["id"])] = "\n\n".join(map(str, ctx)) if isinstance(ctx, list) else str(ctx)
    return out


def dumps_gold(gold: Any) -> str:
    """A short text form of a gold answer for reports."""
    if isinstance(gold, dict) and "answer" in gold:
        answer = gold["answer"]
        text = "; ".join(map(str, answer)) if isinstance(answer, list) else str(answer)
        return f"{text} ({gold['scale']})" if gold.get("scale") else text
    if isinstance(gold, list):
        return "; ".join(map(str, gold))
    return json.dumps(gold) if not isinstance(gold, str) else gold
