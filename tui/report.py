"""The result screen's content: a :class:`Recommendation` as titled Rich sections (no decisions here)."""

from __future__ import annotations

from collections.abc import Iterator

from rich.text import Text

from advisor.engine.recommendation import Recommendation
from advisor.values import show


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _sources(sources) -> str:
    return "; ".join(s.citation for s in sources)


def result_sections(rec: Recommendation, command: str) -> Iterator[tuple[str, str, Text]]:
    """(key, title, content) for each part of the result screen, in reading order."""
    if rec.path is None:
        text = Text("No recommendation yet: more answers are needed.\n")
        text.append("Still possible: " + ", ".join(rec.possible_paths) + "\n")
        text.append("Answer next: " + ", ".join(rec.required_missing))
        yield "headline", "", text
        return

    head = Text()
    if rec.project_name:
        head.append(f"{rec.project_name}\n", style="dim")
    head.append(f"{rec.title}", style="bold reverse")
    head.append(f"  [{rec.path}]\n", style="dim")
    head.append(_one_line(rec.summary or ""))
    yield "headline", "", head

    conf = Text()
    if rec.confidence:
        conf.append(f"{rec.confidence.level} ({rec.confidence.score:.2f})", style="bold")
        for reason in rec.confidence.reasons:
            conf.append(f"\n• {_one_line(reason)}")
    yield "confidence", "Confidence", conf

    if rec.assumptions:
        text = Text()
        for a in rec.assumptions:
            text.append(f"• {a.question}: assumed {show(a.assumed)}. {_one_line(a.because)}\n")
        text.rstrip()
        yield "assumptions", "Assumptions (you answered 'not sure')", text

    if rec.warnings:
        text = Text()
        for w in rec.warnings:
            text.append(f"! {w.title}: ", style="bold")
            text.append(f"{_one_line(w.message)}\n")
        text.rstrip()
        yield "warnings", "Warnings", text

    if rec.evidence is not None:
        from advisor.engine.evidence import describe

        text = Text(f"From {rec.evidence.file} (primary metric {rec.evidence.primary_metric}).\n")
        text.append(_one_line(rec.evidence.summary or ""), style="bold")
        for line in describe(rec.evidence):
            text.append(f"\n• {_one_line(line)}")
        yield "evidence", "Evidence from evals", text

    reasons = Text()
    for fired in rec.trace:
        if fired.kind not in ("decision", "model"):
            continue
        reasons.append(f"• {_one_line(fired.because)}\n")
        for said in fired.answers_said:
            reasons.append(f"    {said}\n")
        if fired.sources:
            reasons.append(f"    Sources: {_sources(fired.sources)}\n", style="italic")
    reasons.rstrip()
    yield "reasons", "Why this path", reasons

    if rec.alternatives:
        text = Text()
        for alt in rec.alternatives:
            text.append(f"• {alt.title or alt.path}: ", style="bold")
            text.append(_one_line(alt.explanation) + "\n")
        text.rstrip()
        yield "alternatives", "Why not the others", text

    if rec.what_would_change:
        text = Text()
        for flip in rec.what_would_change:
            text.append(f"• {_one_line(flip.explanation)}\n")
        text.rstrip()
        yield "flips", "What would change the advice", text

    if rec.hyperparameter_details:
        text = Text()
        name = rec.model.name if rec.model else "the model"
        text.append(f"For {name}, {show(rec.answers.get('training_examples'))} training examples:\n")
        for hp in rec.hyperparameter_details:
            text.append(f"{hp.name}: ", style="bold")
            text.append(f"{hp.value}  (explore {hp.range[0]}–{hp.range[1]})")
            text.append(f"  [rule {hp.rule}]\n", style="dim")
            text.append(f"    {_one_line(hp.because)}\n")
        text.rstrip()
        yield "hyperparameters", "Hyperparameters", text

    if rec.notes:
        text = Text()
        for note in rec.notes:
            text.append(f"• {note.title}: ", style="bold")
            text.append(_one_line(note.text) + "\n")
        text.rstrip()
        yield "notes", "Notes", text

    if rec.readiness:
        text = Text()
        marks = {"met": "[x]", "not_met": "[ ]", "unknown": "[?]", "check": "[ ] check:"}
        for item in rec.readiness:
            text.append(f"{marks[item.status]} {_one_line(item.text)}\n")
        text.rstrip()
        yield "readiness", "Readiness checklist", text

    if rec.economics is not None:
        from advisor.render.text import economics_lines

        yield "economics", "Economics", Text("\n".join(line.strip() for line in economics_lines(rec.economics)))

    steps = Text()
    for i, step in enumerate(rec.next_steps, 1):
        steps.append(f"{i}. {_one_line(step)}\n")
    steps.append("Reproduce this advice without the interface:\n")
    steps.append(f"  {command}", style="bold")
    yield "next", "Next steps", steps

    footer = Text(f"Rule base {rec.ruleset.name} {rec.ruleset.version} ({rec.ruleset.hash}); "
                  f"knowledge as of {rec.ruleset.knowledge_as_of}", style="dim")
    yield "ruleset", "", footer
