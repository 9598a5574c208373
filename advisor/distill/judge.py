"""The LLM judge over teacher answers, in the prompt shape of seed 003, and its agreement with people.

The judge gets the question, the answer and a context (the gold answer or the system prompt when there
is one) and replies with a short step-by-step reason (at most four sentences) in ``<reason>`` tags and
``correct`` or ``incorrect`` in ``<judgement>`` tags. Replies are parsed by the eval harness's
:func:`advisor.evals.judge.parse_verdict`; an unreadable reply counts as a rejection with its reason.

Alignment: given a labelled sample (JSONL of ``prompt`` or ``messages``, ``answer`` and ``label``
``correct`` / ``incorrect``, at least 30 rows), the judge grades it too and the report gives the
agreement rate and Cohen's kappa.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from advisor.errors import CheckFailed, InputError, location_for

SYSTEM = "You are a reliable and impartial expert judge in question/answering data assessment."
TASK = ("Your task is to take a question, an answer, and a context which may include multiple documents, and "
        "provide a judgment on whether the answer to the question is correct or not. This decision should be "
        "based either on the provided context or your general knowledge and memory. If the answer contradicts "
        "the information in context, it's incorrect. A correct answer is ideally derived from the given context. "
        "If no context is given, a correct answer should be factually true and directly and unambiguously "
        "address the question.\n\nProvide a short step-by-step reasoning with a maximum of 4 sentences within "
        "the <reason></reason> xml tags and provide a single correct or incorrect response within the "
        "<judgement></judgement> xml tags.\n")
MIN_LABELLED = 30


def _escape(text: str) -> str:
    # keep the user's text from closing our tags
    return (text or "").replace("</", "<\\/")


def judge_prompt(question: str, answer: str, context: str | None) -> str:
    return (f"{TASK}<context>\n{_escape(context or '')}\n</context>\n<question>\n{_escape(question)}\n</question>\n"
            f"<answer>\n{_escape(answer)}\n</answer>\n")


def judge_request(cfg, question: str, answer: str, context: str | None):
    from advisor.providers import ChatRequest

    return ChatRequest(model=cfg.model, system=cfg.system or SYSTEM,
                       messages=(("user", judge_prompt(question, answer, context)),),
                       max_tokens=cfg.max_tokens, temperature=cfg.temperature)


def record_question(record: dict[str, Any]) -> str:
    users = [m["content"] for m in record["messages"] if m["role"] == "user"]
    return users[-1] if users else ""


def record_context(record: dict[str, Any]) -> str | None:
    parts = []
    if record.get("system"):
        parts.append(record["system"])
    if record.get("gold"):
        parts.append(f"Reference answer: {record['gold']}")
    return "\n".join(parts) or None


def verdict_of(row: dict[str, Any] | None):
    """(accepted: bool, reason) from a judge ledger row."""
    from advisor.evals.judge import parse_verdict

    if row is None or row.get("status") != "ok":
        return False, "the judge call failed: " + str((row or {}).get("error") or "no answer")
    v = parse_verdict(row.get("text"), row.get("stop_reason"))
    return bool(v.passed), v.reason


def read_labelled(path: Path) -> list[dict[str, Any]]:
    rows = []
    try:
        fh = open(path, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the labelled sample: {exc.strerror or exc}", location_for(path)) from None
    with fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise InputError(f"not JSON: {getattr(exc, 'msg', exc)}", location_for(path, n)) from None
            label = obj.get("label") if isinstance(obj, dict) else None
            if isinstance(label, bool):
                label = "correct" if label else "incorrect"
            label = str(label).strip().lower() if label is not None else None
            if label in ("pass", "good", "yes", "1"):
                label = "correct"
            if label in ("fail", "bad", "no", "0"):
                label = "incorrect"
            if label not in ("correct", "incorrect"):
                raise InputError("each labelled row needs label: correct or incorrect", location_for(path, n))
            if isinstance(obj.get("messages"), list):
                question = next((m.get("content") for m in reversed(obj["messages"])
                                 if isinstance(m, dict) and m.get("role") == "user"), None)
            else:
                question = obj.get("prompt", obj.get("question"))
            answer = obj.get("answer")
            if not isinstance(question, str) or not isinstance(answer, str):
                raise InputError("each labelled row needs a prompt (or messages) and an answer string",
                                 location_for(path, n))
            rows.append({"n": n, "question": question, "answer": answer, "label": label,
                         "context": obj.get("context") if isinstance(obj.get("context"), str) else None})
    if len(rows) < MIN_LABELLED:
        raise CheckFailed(f"{path}: {len(rows)} labelled rows; the judge's agreement needs at least "
                          f"{MIN_LABELLED} to mean anything. Label more, or drop judge.labelled")
    return rows


def agreement(human: list[bool], judge: list[bool]) -> dict[str, Any]:
    """Raw agreement and Cohen's kappa between two lists of accept/reject decisions."""
    n = len(human)
    if n == 0:
        return {"rows": 0, "agreement": None, "kappa": None}
    agree = sum(h == j for h, j in zip(human, judge)) / n
    p_h, p_j = sum(human) / n, sum(judge) / n
    expected = p_h * p_j + (1 - p_h) * (1 - p_j)
    kappa = 1.0 if expected >= 1.0 and agree >= 1.0 else (agree - expected) / (1 - expected) if expected < 1 else 0.0
    both = {"tp": sum(h and j for h, j in zip(human, judge)), "tn": sum((not h) and (not j) for h, j in zip(human, judge)),
            "fp": sum((not h) and j for h, j in zip(human, judge)), "fn": sum(h and (not j) for h, j in zip(human, judge))}
    return {"rows": n, "agreement": round(agree, 4), "kappa": round(kappa, 4), **both}
