"""Eval results fed back into the advice: ``advisor recommend --answers FILE --evidence RESULTS``.

``RESULTS`` is the ``results.json`` an ``advisor eval run`` writes (``schema_version`` 2, documented in
:mod:`advisor.evals.report`). Reading it does three things:

- ``gap_measured_with_evals`` is answered ``true`` (evals were written, run and read: this file is the
  proof). An explicit answer in the answers file still wins; the advice then says that it kept it.
  ``unsure`` or no answer count as not given.
- The measured gap between variants (each paired difference on the primary metric, with its
  interval) is attached to the recommendation as :class:`~advisor.engine.recommendation.Evidence`
  and shown in every report format.
- A difference whose interval includes zero gets a warning: with this many examples it may be noise.

A file that is not an eval run's results (wrong JSON, another schema version, no scored variant)
stops with exit 2 naming the file.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from advisor.engine.recommendation import Evidence, EvidenceComparison, EvidenceVariant, Recommendation, Warning
from advisor.errors import InputError, location_for

__all__ = ["load_evidence", "apply_to_answers", "attach", "recommend_with_evidence", "remeasure_command"]

QUESTION = "gap_measured_with_evals"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def load_evidence(path: str | Path) -> Evidence:
    """Read and check an eval run's ``results.json``; :class:`InputError` (exit 2) names the file."""
    import json

    from advisor.errors import Location
    from advisor.files import read_text

    where = location_for(str(path))
    text = read_text(path, "eval results file")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        line, col = getattr(exc, "lineno", None), getattr(exc, "colno", None)
        raise InputError(f"malformed JSON: {getattr(exc, 'msg', exc)}", Location(str(path), line, col)) from None

    def bad(msg: str) -> InputError:
        return InputError(f"not usable as eval evidence: {msg} (expected the results.json written by "
                          "`advisor eval run`)", where)

    if not isinstance(doc, dict):
        raise bad("the file is not a JSON object")
    version = doc.get("schema_version")
    if version != 2:
        raise bad(f"schema_version is {version!r}, this advisor reads 2")
    variants = doc.get("variants")
    if not isinstance(variants, list) or not variants or not all(isinstance(v, dict) for v in variants):
        raise bad("\"variants\" must be a non-empty list of objects")
    primary = doc.get("primary_metric") or ""
    if not isinstance(primary, str) or not primary:
        raise bad("\"primary_metric\" is missing")
    out_variants = []
    for i, v in enumerate(variants, 1):
        name = v.get("name")
        if not isinstance(name, str) or not name:
            raise bad(f"variant {i} has no name")
        metrics = v.get("metrics") if isinstance(v.get("metrics"), dict) else {}
        interval = (v.get("intervals") or {}).get(primary) if isinstance(v.get("intervals"), dict) else None
        interval = interval if isinstance(interval, dict) else {}
        examples = v.get("examples") if isinstance(v.get("examples"), int) else 0
        done = v.get("done") if isinstance(v.get("done"), int) else examples
        out_variants.append(EvidenceVariant(
            name=name, model=str(v.get("model") or ""), value=_number(metrics.get(primary)),
            ci_low=_number(interval.get("ci_low")), ci_high=_number(interval.get("ci_high")),
            examples=examples, errors=max(examples - done, 0)))
    if all(v.value is None for v in out_variants):
        raise bad(f"no variant has a score for the primary metric {primary!r}")
    comparisons = []
    raw = doc.get("comparisons") or []
    if not isinstance(raw, list):
        raise bad("\"comparisons\" must be a list")
    for c in raw:
        if not isinstance(c, dict) or c.get("metric") != primary:
            continue
        diff = _number(c.get("difference"))
        if diff is None or not isinstance(c.get("a"), str) or not isinstance(c.get("b"), str):
            continue
        comparisons.append(EvidenceComparison(
            a=c["a"], b=c["b"], metric=primary, difference=diff, ci_low=_number(c.get("ci_low")),
            ci_high=_number(c.get("ci_high")), confidence=_number(c.get("confidence")),
            n=c.get("n") if isinstance(c.get("n"), int) else None, significant=c.get("significant") is True))
    run: dict[str, Any] = doc["run"] if isinstance(doc.get("run"), dict) else {}
    return Evidence(file=str(path), name=str(doc.get("name") or ""), metric=str(doc.get("metric") or ""),
                    primary_metric=primary, started_at=run.get("started_at") if isinstance(
                        run.get("started_at"), str) else None,
                    variants=out_variants, comparisons=comparisons)


def apply_to_answers(answers: dict[str, Any], evidence: Evidence) -> tuple[dict[str, Any], str]:
    """The answers with ``gap_measured_with_evals`` answered from the evidence, and what was done."""
    from advisor.answers import UNSURE

    given = answers.get(QUESTION)
    if given is None or given == UNSURE:
        return {**answers, QUESTION: True}, "answered"
    return dict(answers), ("already_true" if given is True else "kept_user_answer")


def _pts(x: float | None) -> str:
    return "?" if x is None else f"{x:.1f}"


def _interval(lo: float | None, hi: float | None, conf: float | None = None) -> str:
    if lo is None or hi is None:
        return "no interval"
    level = f"{conf:.0%} " if conf else ""
    return f"{level}interval {_pts(lo)} to {_pts(hi)}"


def describe(ev: Evidence) -> list[str]:
    """Plain sentences: each variant's score and each measured gap, with intervals."""
    m = ev.primary_metric
    lines = [f"{v.name}: {m} {_pts(v.value)} ({_interval(v.ci_low, v.ci_high)}, {v.examples} examples"
             + (f", {v.errors} without an answer" if v.errors else "") + ")" for v in ev.variants]
    for c in ev.comparisons:
        sign = "+" if c.difference >= 0 else ""
        verdict = ("a real difference (the interval excludes 0)" if c.significant
                   else "not significant: the interval includes 0, so this may be noise")
        lines.append(f"{c.b} vs {c.a}: {sign}{c.difference:.1f} {m} points "
                     f"({_interval(c.ci_low, c.ci_high, c.confidence)}"
                     + (f", {c.n} paired examples" if c.n else "") + f"), {verdict}")
    return lines


def attach(rec: Recommendation, ev: Evidence, gap_answer: str) -> Recommendation:
    """The recommendation with the evidence and its warnings added (the engine's own fields untouched)."""
    warnings = list(rec.warnings)
    quiet = [c for c in ev.comparisons if not c.significant]
    if quiet:
        pairs = "; ".join(f"{c.b} vs {c.a}: {c.difference:+.1f} ({_interval(c.ci_low, c.ci_high)})" for c in quiet)
        warnings.append(Warning(
            code="evidence_gap_not_significant", title="Measured gap is not significant",
            message=(f"In {Path(ev.file).name}, {pairs} on {ev.primary_metric}: the interval includes 0, so the "
                     "difference may be noise. Add examples (the interval narrows roughly with the square root of "
                     "the count) before deciding on it."), severity="serious"))
    if not ev.comparisons:
        warnings.append(Warning(
            code="evidence_no_comparison", title="No gap between variants measured",
            message=(f"{Path(ev.file).name} scores {len(ev.variants)} variant(s) but compares none; add a second "
                     "variant (the candidate: few-shot, RAG or a tuned model) to measure the gap.")))
    if gap_answer == "kept_user_answer":
        warnings.append(Warning(
            code="evidence_answer_kept", title="Your answer kept over the evidence",
            message=(f"The answers file says {QUESTION}: {rec.answers.get(QUESTION)!r}; it was kept, although "
                     f"{Path(ev.file).name} is an eval run's results. Remove that answer to let the evidence "
                     "answer it.")))
    best = max(ev.comparisons, key=lambda c: abs(c.difference), default=None)
    if best is None:
        summary = f"{len(ev.variants)} variant(s) scored on {ev.primary_metric}; no comparison between variants."
    else:
        summary = (f"Largest measured gap: {best.b} vs {best.a}, {best.difference:+.1f} {ev.primary_metric} points "
                   f"({_interval(best.ci_low, best.ci_high, best.confidence)}); "
                   + ("significant." if best.significant else "not significant."))
    ev = ev.model_copy(update={"gap_answer": gap_answer, "summary": summary})
    return rec.model_copy(update={"evidence": ev, "warnings": warnings})


def recommend_with_evidence(engine, answers: dict[str, Any], evidence_file: str | None) -> Recommendation:
    """``engine.recommend(answers)``, with the answers and the result shaped by ``evidence_file`` when given."""
    if not evidence_file:
        return engine.recommend(answers)
    ev = load_evidence(evidence_file)
    answers, how = apply_to_answers(answers, ev)
    return attach(engine.recommend(answers), ev, how)


def remeasure_command(answers: str | None, results: str | None) -> str:
    """The command that feeds an eval run's results back into the advice."""
    import shlex

    return (f"advisor recommend --answers {shlex.quote(answers) if answers else 'ANSWERS.yaml'} "
            f"--evidence {shlex.quote(results) if results else 'RUN_DIR/results.json'}")
