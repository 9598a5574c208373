"""The recommendation as plain terminal text (``advisor recommend --format text``)."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from advisor.values import show

if TYPE_CHECKING:
    from advisor.engine.recommendation import Recommendation

WIDTH = 88


def _wrap(text: str, indent: str = "  ") -> str:
    text = " ".join(str(text).split())
    # Hang continuation lines under the text of a bullet ("- ", "! ", "1. ").
    marker = text.split(" ", 1)[0] if text[:1] in "-!" or text.split(" ", 1)[0].rstrip(".").isdigit() else ""
    hang = indent + " " * (len(marker) + 1 if marker else 0)
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=hang)


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
        add("")
        add(f"Rule base {rec.ruleset.name} {rec.ruleset.version} ({rec.ruleset.hash})")
        return "\n".join(out) + "\n"
    add(f"Recommendation: {rec.title}  [{rec.path}]")
    if rec.confidence:
        add(f"Confidence: {rec.confidence.level} ({rec.confidence.score:.2f})")
    add("")
    add(_wrap(rec.summary or "", ""))
    if rec.assumptions:
        add("")
        add("Assumptions (answered 'not sure'):")
        for a in rec.assumptions:
            add(_wrap(f"- {a.question} assumed {show(a.assumed)}: {a.because}"))
    if rec.warnings:
        add("")
        add("Warnings:")
        for w in rec.warnings:
            add(_wrap(f"! [{w.code}] {w.message}"))
    add("")
    add("Why:")
    for fired in rec.trace:
        if fired.kind != "decision":
            continue
        add(_wrap(f"- {fired.because}"))
        for c in fired.conditions:
            values = ", ".join(f"{k} = {show(v)}" for k, v in c.values.items())
            add(f"    {c.condition:<40} {c.result:<7} ({values})")
        add(_wrap("Sources: " + "; ".join(f"{s.title} [{s.ref}, as of {s.as_of}]" for s in fired.sources), "    "))
    if rec.alternatives:
        add("")
        add("Why not the others:")
        for alt in rec.alternatives:
            add(_wrap(f"- {alt.path}: {alt.explanation}"))
    if rec.what_would_change:
        add("")
        add("What would change the advice:")
        for flip in rec.what_would_change:
            add(_wrap(f"- {flip.explanation}"))
    if rec.hyperparameter_details:
        add("")
        add(f"Hyperparameters for {rec.model.name if rec.model else 'the model'} "
            f"({show(rec.answers.get('training_examples'))} training examples):")
        for hp in rec.hyperparameter_details:
            add(f"  {hp.name:<24} {hp.value!s:<8} explore {hp.range[0]}–{hp.range[1]}   [rule {hp.rule}]")
            add(_wrap(hp.because, "      "))
    elif rec.path == "bedrock_fine_tune":
        add("")
        add("Hyperparameters: answer training_examples to get settings for your dataset size.")
    if rec.notes:
        add("")
        add("Notes:")
        for note in rec.notes:
            add(_wrap(f"- {note.title}: {note.text}"))
    if rec.readiness and rec.path in ("distill", "bedrock_fine_tune"):
        add("")
        add("Readiness checklist:")
        marks = {"met": "[x]", "not_met": "[ ]", "unknown": "[?]"}
        for item in rec.readiness:
            add(f"  {marks[item.status]} {item.text}")
    if rec.next_steps:
        add("")
        add("Next steps:")
        for i, step in enumerate(rec.next_steps, 1):
            add(_wrap(f"{i}. {step}"))
    if rec.missing:
        add("")
        add("Would complete the plan: " + ", ".join(rec.missing))
    add("")
    add(f"Rule base {rec.ruleset.name} {rec.ruleset.version} ({rec.ruleset.hash}); knowledge as of "
        f"{rec.ruleset.knowledge_as_of}")
    return "\n".join(out) + "\n"
