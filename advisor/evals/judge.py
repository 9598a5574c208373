"""Model-graded scoring: a judge model grades each answer against the config's rubric.

The judge is asked for a short reason in ``<reason>…</reason>`` and a verdict in
``<judgement>PASS</judgement>`` or ``<judgement>FAIL</judgement>`` (the judge prompt shape of the
distillation seed). Judge calls go through :func:`advisor.batch.run_batch` into ``judge.jsonl``, so they
are cached, retried and resumed like every other call. A reply without a readable verdict — the usual
complaint about judges is malformed or truncated output — scores 0 and is recorded as ``invalid`` with
the reason, never a crash. The report shows the verdict and the reason next to each score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from advisor.batch import BatchItem
from advisor.providers import ChatRequest

__all__ = ["DEFAULT_PROMPT", "Verdict", "parse_verdict", "judge_items"]

DEFAULT_PROMPT = """You grade an answer against a rubric.

<rubric>
{{ rubric }}
</rubric>
<question>
{{ question }}
</question>
<reference_answer>
{{ gold }}
</reference_answer>
<answer>
{{ answer }}
</answer>

Think briefly, then reply with a one or two sentence reason in <reason></reason> tags and your verdict,
PASS or FAIL, in <judgement></judgement> tags."""

_REASON = re.compile(r"<reason>\s*(.*?)\s*</reason>", re.S | re.I)
_VERDICT = re.compile(r"<judgement>\s*(.*?)\s*</judgement>", re.S | re.I)


@dataclass(frozen=True)
class Verdict:
    """``passed`` is None when the judge's reply had no readable verdict (``reason`` then says why)."""

    passed: bool | None
    reason: str

    @property
    def score(self) -> float:
        return 1.0 if self.passed else 0.0

    @property
    def label(self) -> str:
        return "pass" if self.passed else ("fail" if self.passed is False else "invalid")


def parse_verdict(text: str | None, stop_reason: str | None = None) -> Verdict:
    """The verdict and reason in a judge's reply."""
    text = text or ""
    reason_match = _REASON.search(text)
    reason = reason_match.group(1).strip() if reason_match else ""
    found = _VERDICT.findall(text)
    if not found:
        why = "the judge's reply has no <judgement>PASS|FAIL</judgement>"
        if stop_reason in ("max_tokens", "length"):
            why += " (it was cut off at max_tokens; raise judge.max_tokens)"
        snippet = " ".join(text.split())[:160]
        return Verdict(None, f"{why}: {snippet!r}" if snippet else why)
    word = found[-1].strip().strip(".*").upper()
    if word in ("PASS", "PASSED", "YES", "CORRECT"):
        return Verdict(True, reason or "(no reason given)")
    if word in ("FAIL", "FAILED", "NO", "INCORRECT"):
        return Verdict(False, reason or "(no reason given)")
    return Verdict(None, f"the judge's verdict {found[-1][:40]!r} is neither PASS nor FAIL")


def judge_items(plan, rows: dict) -> list[BatchItem]:
    """One judge call per answered row (errors are not judged: they already score 0)."""
    from advisor.evals.dataset import dumps_gold
    from advisor.evals.common import TemplateCache, ledger_key, row_key

    cfg = plan.loaded.config
    judge = cfg.judge
    templates = TemplateCache()
    template = judge.prompt or DEFAULT_PROMPT
    items = []
    for task in plan.tasks:
        row = rows.get(row_key(task.variant.name, task.example.id, task.repeat))
        if row is None or row.get("status") != "ok":
            continue
        fields: dict[str, Any] = {"rubric": judge.rubric, "question": str(task.example.fields.get("question", "")),
                                  "gold": dumps_gold(task.example.gold), "answer": row.get("text") or "",
                                  "prediction": row.get("text") or ""}
        prompt = templates.render(template, fields, f"{plan.loaded.path}: judge")
        request = ChatRequest(model=judge.model, messages=(("user", prompt),), max_tokens=judge.max_tokens,
                              temperature=judge.temperature)
        items.append(BatchItem("judge:" + ledger_key(task.variant.name, task.example.id, task.repeat),
                               judge.provider, request,
                               {"variant": task.variant.name, "id": task.example.id, "repeat": task.repeat},
                               epoch=cfg.epoch))
    return items
