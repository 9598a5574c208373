"""The recommendation as plain terminal text (``advisor recommend --format text``)."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from advisor.values import money, show

if TYPE_CHECKING:
    from advisor.engine.recommendation import Recommendation

WIDTH = 88


def _wrap(text: str, indent: str = "  ") -> str:
    text = " ".join(str(text).split())
    # Hang continuation lines under the text of a bullet ("- ", "! ", "1. ").
    marker = text.split(" ", 1)[0] if text[:1] in "-!" or text.split(" ", 1)[0].rstrip(".").isdigit() else ""
    hang = indent + " " * (len(marker) + 1 if marker else 0)
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=hang)


def economics_lines(econ) -> list[str]:
    """The cost table and its arithmetic as plain lines (shared by the text report)."""
    out = []
    verdict = econ.volume_justifies_setup
    if verdict.explanation:
        out.append(_wrap(verdict.explanation))
    volume = f"{econ.monthly_requests:,}" if econ.monthly_requests is not None else "?"
    out.append(f"  {'Option':<62} {'per month':>14}  (at {volume} requests)")
    for o in econ.options:
        cost = money(o.monthly_usd) if o.monthly_usd is not None else "needs " + ", ".join(o.missing_inputs)
        mark = "  <- cheapest prompt-only" if o.id == econ.baseline else ""
        mark = "  <- compared" if o.id == verdict.compared_option else mark
        out.append(f"  {o.title[:62]:<62} {cost:>14}{mark}")
    out.append(f"  One-off costs spread over {econ.payback_months} months"
               + (" (assumed; answer payback_months)" if econ.payback_assumed else "") + ".")
    for o in econ.options:
        if o.formula:
            out.append(_wrap(f"- {o.title}: {o.formula}."))
    for p in econ.prices:
        dates = "; ".join(f"{s.title} ({s.publisher}, as of {s.as_of})" if s.publisher else f"{s.title} (as of {s.as_of})"
                          for s in p.sources)
        out.append(_wrap(f"- Price: {p.name} ${p.input_per_million:g} in / ${p.output_per_million:g} out per "
                         f"million tokens. Source: {dates}"))
    if econ.missing_inputs:
        out.append(_wrap("Still needed for a full comparison: " + ", ".join(econ.missing_inputs)))
    return out


def _evidence_lines(rec: Recommendation, add) -> None:
    """The eval evidence given with ``recommend --evidence`` and its warnings (none without evidence)."""
    if rec.evidence is None:
        return
    from advisor.engine.evidence import describe

    add("")
    add(f"Evidence from evals ({rec.evidence.file}):")
    for line in describe(rec.evidence):
        add(_wrap(f"- {line}"))
    add(_wrap(rec.evidence.summary, "  "))
    if rec.path is None:
        for w in rec.warnings:
            if w.code.startswith("evidence_"):
                add(_wrap(f"! {w.title}: {w.message}"))


def render_text(rec: Recommendation) -> str:
    """The recommendation as lines of at most 88 columns, ending in a newline."""
    out: list[str] = []
    add = out.append
    if rec.project_name:
        add(f"Project: {rec.project_name}")
    if rec.path is None:
        add("No recommendation yet: more answers are needed.")
        add("")
        add("Still possible: " + ", ".join(rec.possible_paths))
        add("Answer these next (in order): " + ", ".join(rec.required_missing))
        _evidence_lines(rec, add)
        add("")
        add(f"Rule base {rec.ruleset.name} {rec.ruleset.version} ({rec.ruleset.hash}); advice of {rec.date}")
        return "\n".join(out) + "\n"
    add(f"Recommendation: {rec.title}  [{rec.path}]")
    add(f"Confidence: {rec.confidence.level} ({rec.confidence.score:.2f})")  # type: ignore[union-attr]  # a decided recommendation has a confidence
    for reason in rec.confidence.reasons:  # type: ignore[union-attr]
        add(_wrap(f"- {reason}"))
    add("")
    add(_wrap(rec.summary, ""))  # type: ignore[arg-type]
    if rec.model:
        add("")
        add(f"Target: {rec.model.name} ({rec.model.base_model_id}, {rec.model.region}; "
            f"{rec.model.lifecycle.status} on {rec.date})")
    if rec.assumptions:
        add("")
        add("Assumptions (answered 'not sure'):")
        for a in rec.assumptions:
            add(_wrap(f"- {a.question} assumed {show(a.assumed)}: {a.because}"))
    if rec.warnings:
        add("")
        add("Warnings:")
        for w in rec.warnings:
            add(_wrap(f"! {w.title}: {w.message}"))
    add("")
    add("Why:")
    for fired in rec.trace:
        if fired.kind not in ("decision", "model"):
            continue
        add(_wrap(f"- {fired.because}"))
        for said in fired.answers_said:
            add(_wrap(said, "    "))
        add(_wrap("Sources: " + "; ".join(s.citation for s in fired.sources), "    "))
    if rec.alternatives:
        add("")
        add("Why not the others:")
        for alt in rec.alternatives:
            add(_wrap(f"- {alt.explanation}"))
    if rec.what_would_change:
        add("")
        add("What would change the advice:")
        for flip in rec.what_would_change:
            add(_wrap(f"- {flip.explanation}"))
    if rec.hyperparameter_details:
        add("")
        subject = rec.model.name if rec.model else ("the model" if "model" in rec.shows else "the student model")
        add(f"Hyperparameters for {subject} "
            f"({show(rec.answers.get('training_examples'))} training examples):")
        for hp in rec.hyperparameter_details:
            note = "" if hp.api else "  (advice, not an API setting)"
            add(f"  {hp.name:<24} {hp.value!s:<8} explore {hp.range[0]}–{hp.range[1]}{note}")
            add(_wrap(hp.because + (" Kept inside the allowed range." if hp.clamped else ""), "      "))
    elif "hyperparameters" in rec.shows:
        add("")
        add("Hyperparameters: answer training_examples to get settings for your dataset size.")
    _evidence_lines(rec, add)
    if rec.notes:
        add("")
        add("Notes:")
        for entry in rec.notes:
            add(_wrap(f"- {entry.title}: {entry.text}"))
    if rec.readiness:
        add("")
        add("Readiness checklist:")
        marks = {"met": "[x]", "not_met": "[ ]", "unknown": "[?]", "check": "[ ] (check)"}
        for item in rec.readiness:
            add(f"  {marks[item.status]} {item.text}")
    if rec.economics is not None:
        add("")
        add("Economics:")
        out.extend(economics_lines(rec.economics))
    if rec.next_steps:
        add("")
        add("Next steps:")
        for i, step in enumerate(rec.next_steps, 1):
            add(_wrap(f"{i}. {step}"))
    if rec.missing:
        add("")
        add("Would complete the plan: " + ", ".join(rec.missing))
    add("")
    add(f"Advice of {rec.date}. Rule base {rec.ruleset.name} {rec.ruleset.version} ({rec.ruleset.hash}); "
        f"knowledge as of {rec.ruleset.knowledge_as_of}")
    return "\n".join(out) + "\n"
