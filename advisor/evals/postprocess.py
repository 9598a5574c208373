"""Turn a model's free text into the prediction a metric scores.

``tatqa`` extracts ``(answer, scale)``: from a JSON object with ``answer``/``scale`` keys anywhere in the
text, else from ``<answer>…</answer>``/``<scale>…</scale>`` tags, else from ``Answer: …`` / ``Scale: …``
lines, else the whole text. Without the split, numeric TAT-QA answers never match (evals.md §1.3: the
official metric gives EM 0 to "The answer is 22.12").
"""

from __future__ import annotations

import json
import re
from typing import Any

from advisor.evals.tatqa import SCALES

_TAG = {name: re.compile(rf"<{name}>\s*(.*?)\s*</{name}>", re.S | re.I) for name in ("answer", "scale")}
_LINE = {name: re.compile(rf"^\s*\**{name}\**\s*[:=]\s*(.+?)\s*$", re.M | re.I) for name in ("answer", "scale")}
_SCALE_WORDS = {"thousands": "thousand", "millions": "million", "billions": "billion", "%": "percent",
                "percentage": "percent", "none": "", "null": "", "n/a": "", "": ""}


def normalize_scale(value: Any) -> str:
    """One of the five TAT-QA scales ("" when the text names none of them)."""
    text = str(value or "").strip().strip("\"'.").lower()
    text = _SCALE_WORDS.get(text, text)
    return text if text in SCALES else ""


def _json_object(text: str) -> dict | None:
    start = text.find("{")
    while start != -1:
        depth = 0
        for end in range(start, len(text)):
            if text[end] == "{":
                depth += 1
            elif text[end] == "}":
                depth -= 1
                if depth == 0:
                    try:
                        doc = json.loads(text[start:end + 1])
                    except ValueError:
                        break
                    if isinstance(doc, dict) and "answer" in doc:
                        return doc
                    break
        start = text.find("{", start + 1)
    return None


def parse_tatqa(text: str) -> tuple[Any, str]:
    """``(answer, scale)`` from a model's reply; the answer is a string or a list of spans."""
    text = text or ""
    doc = _json_object(text)
    if doc is not None:
        answer = doc.get("answer")
        if isinstance(answer, (int, float)) and not isinstance(answer, bool):
            answer = repr(answer) if isinstance(answer, float) else str(answer)
        if isinstance(answer, list):
            answer = [str(a) for a in answer]
        return (answer if answer is not None else ""), normalize_scale(doc.get("scale"))
    found = {}
    for name in ("answer", "scale"):
        match = _TAG[name].search(text) or _LINE[name].search(text)
        if match:
            found[name] = match.group(1).strip()
    answer = found.get("answer", text.strip())
    return answer, normalize_scale(found.get("scale"))


def apply(kind: str, text: str) -> Any:
    """Post-process ``text`` with one of: ``none``, ``strip``, ``first_line``, ``tatqa``, ``regex:PATTERN``
    (first group, or the whole match when the pattern has none; "" when nothing matches)."""
    if kind == "none":
        return text
    if kind == "strip":
        return (text or "").strip()
    if kind == "first_line":
        lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
        return lines[0] if lines else ""
    if kind == "tatqa":
        return parse_tatqa(text)
    if kind.startswith("regex:"):
        match = re.search(kind[len("regex:"):], text or "", re.S)
        if not match:
            return ""
        return (match.group(1) if match.groups() else match.group(0)).strip()
    raise ValueError(f"unknown post-processing {kind!r}")
