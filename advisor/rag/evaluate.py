"""Retrieval evaluation: hit rate, recall and MRR at k over questions with known relevant documents.

Questions are JSONL, ``{"question": ..., "relevant": [doc_id, ...]}`` a line. A hit counts at the
document level: a retrieved chunk is relevant when its document is. ``hit_rate`` is the share of
questions with a relevant document among the top ``k`` hits, ``recall`` the mean share of a
question's relevant documents found there, ``mrr`` the mean of 1 / rank of the first relevant hit
(0 when none is within ``k``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Protocol


@dataclass(frozen=True)
class Question:
    question: str
    relevant: tuple[str, ...]
    where: str = ""


class Searcher(Protocol):
    def search(self, text: str, k: int = 5, mode: str | None = None): ...


@dataclass
class EvalResult:
    count: int
    k: int
    hit_rate: float
    recall: float
    mrr: float
    misses: list[dict[str, Any]] = field(default_factory=list)
    unknown_relevant: list[str] = field(default_factory=list)
    mode: str | None = None
    seconds: float = 0.0

    def to_json(self, misses: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"count": self.count, "k": self.k, "hit_rate": round(self.hit_rate, 4),
               "recall": round(self.recall, 4), "mrr": round(self.mrr, 4)}
        if self.mode:
            out["mode"] = self.mode
        out["misses"] = self.misses if misses is None else self.misses[:misses]
        out["unknown_relevant"] = self.unknown_relevant
        return out


class QuestionsError(ValueError):
    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def load_questions(path: str | Path) -> list[Question]:
    """Read a questions JSONL file; raises :class:`QuestionsError` naming the file and line."""
    path = Path(path)
    try:
        raw_lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise QuestionsError(str(path), f"cannot read: {exc.strerror or exc}") from None
    questions = []
    for number, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise QuestionsError(where, f"not a JSON line ({exc})") from None
        if not isinstance(record, dict) or not isinstance(record.get("question"), str) or not record["question"].strip():
            raise QuestionsError(where, 'expected an object with a non-empty string "question"')
        relevant = record.get("relevant")
        if isinstance(relevant, (str, int)):
            relevant = [relevant]
        if not isinstance(relevant, list) or not relevant or not all(isinstance(r, (str, int)) for r in relevant):
            raise QuestionsError(where, '"relevant" must be a non-empty list of document ids')
        questions.append(Question(record["question"], tuple(str(r) for r in relevant), where))
    if not questions:
        raise QuestionsError(str(path), "no questions in the file")
    return questions


def evaluate(index: Searcher, questions: Iterable[Question | dict], k: int = 5, mode: str | None = None,
             known_ids: set[str] | None = None) -> EvalResult:
    """Score ``index.search`` on the questions. ``known_ids`` (the index's document ids, read from
    the index when it has ``doc_ids()``) lets relevant ids that are not indexed be reported."""
    qs = [q if isinstance(q, Question) else Question(q["question"], tuple(str(r) for r in q["relevant"]))
          for q in questions]
    if known_ids is None and hasattr(index, "doc_ids"):
        known_ids = index.doc_ids()
    hits_total = recall_total = rr_total = 0.0
    misses = []
    start = time.perf_counter()
    for q in qs:
        hits = index.search(q.question, k=k, mode=mode) if mode else index.search(q.question, k=k)
        relevant = set(q.relevant)
        found: set[str] = set()
        first = 0
        for rank, hit in enumerate(hits[:k], start=1):
            if hit.doc_id in relevant:
                found.add(hit.doc_id)
                if not first:
                    first = rank
        if first:
            hits_total += 1
            rr_total += 1.0 / first
        else:
            misses.append({"question": q.question, "relevant": list(q.relevant), "where": q.where,
                           "retrieved": [{"doc_id": h.doc_id, "chunk_id": h.chunk_id, "score": round(h.score, 4)}
                                         for h in hits[:k]]})
        recall_total += len(found) / len(relevant)
    n = len(qs) or 1
    unknown = sorted({r for q in qs for r in q.relevant} - known_ids) if known_ids is not None else []
    return EvalResult(count=len(qs), k=k, hit_rate=hits_total / n, recall=recall_total / n, mrr=rr_total / n,
                      misses=misses, unknown_relevant=unknown, mode=mode,
                      seconds=time.perf_counter() - start)
