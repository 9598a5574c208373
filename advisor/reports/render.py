"""Build the report context from a Recommendation and render it through the Jinja2 templates.

Everything a template shows comes from the Recommendation (and, for the decision-tree picture and
question texts, from the rule base it was made with); nothing here re-derives a decision.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from advisor.errors import UsageError
from advisor.values import money, number, show

__all__ = ["render", "build_context"]

_TEMPLATES = Path(__file__).with_name("templates")
_TEMPLATE_OF = {"markdown": "report.md.j2", "adr": "adr.md.j2", "html": "report.html.j2"}
# Characters that change meaning in (GitHub-flavoured) Markdown, escaped in user-written text.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&!])")
# Outside code spans, text that mixes the rule base's words with user text (option titles holding a
# price file's model names, for instance) escapes what could start raw HTML, a link or an image,
# break a table cell, or turn an escape of ours into a literal backslash.
_MD_STRUCTURE = re.compile(r"([\\|<>\[\]])")
# A bare address is a live link on GitHub and GitLab (autolinks): its ":" or "." is escaped to keep it text.
_BARE_LINK = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*)(://)|\b(www)(\.)")
_BACKTICK_RUN = re.compile(r"`+")


def _defuse_links(text: str) -> str:
    return _BARE_LINK.sub(lambda m: f"{m.group(1)}\\:{m.group(2)[1:]}" if m.group(1) else f"{m.group(3)}\\.", text)


def md_escape(value: Any) -> str:
    """User text made inert in Markdown: one line, special characters backslash-escaped, no live link."""
    text = " ".join(str(value).split())
    return _defuse_links(_MD_SPECIAL.sub(r"\\\1", text))


def _code_spans(text: str) -> list[tuple[str, str]]:
    """``text`` cut as CommonMark reads it: ("code", span) for a backtick run closed by the next run of
    the same length, ("tick", run) for a run never closed, ("text", part) for the rest."""
    runs = list(_BACKTICK_RUN.finditer(text))
    parts: list[tuple[str, str]] = []
    pos, k = 0, 0
    while k < len(runs):
        opening = runs[k]
        size = len(opening.group())
        close = next((j for j in range(k + 1, len(runs)) if len(runs[j].group()) == size), None)
        parts.append(("text", text[pos:opening.start()]))
        if close is None:
            parts.append(("tick", opening.group()))
            pos, k = opening.end(), k + 1
        else:
            parts.append(("code", text[opening.start():runs[close].end()]))
            pos, k = runs[close].end(), close + 1
    parts.append(("text", text[pos:]))
    return parts


def md_text(value: Any) -> str:
    """Text on one line, safe inside a Markdown table cell: the rule base's code spans are kept, and
    anything else that could become HTML, a link, an image or a new cell is escaped."""
    text = " ".join(str(value).split())
    out = []
    for kind, part in _code_spans(text):
        if kind == "code":
            out.append(part.replace("|", "\\|"))  # GitHub splits table cells before it reads code spans
        elif kind == "tick":
            out.append("\\`" * len(part))
        else:
            out.append(_defuse_links(_MD_STRUCTURE.sub(r"\\\1", part)))
    return "".join(out)


def md_url(value: Any) -> str:
    """A source's address as a bare link: characters that could end it or start markup percent-encoded."""
    from urllib.parse import quote

    return quote(" ".join(str(value).split()), safe=":/?#@$&'()*+,;=%~-._!")


def md_source(src: Any, known: Any = ()) -> str:
    """One source on one line: title, publisher and address. An address the rule base does not vouch
    for (its id is not in ``known``: a user's price file names it) is shown as inert text, not a link."""
    def get(key: str) -> Any:
        return src.get(key) if isinstance(src, dict) else getattr(src, key, None)

    text = md_text(get("title"))
    if get("publisher"):
        text += ", " + md_text(get("publisher"))
    url = get("url")
    if url:
        text += ", " + (md_url(url) if get("id") in known else md_escape(url))
    return text


@lru_cache(maxsize=2)
def _env(html: bool):
    """One environment per escaping mode, kept so templates compile once per process."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(_TEMPLATES)), autoescape=html, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(md=md_escape, mdt=md_text, mdurl=md_url, mdsrc=md_source, show=show, money=money,
                       number=number)
    return env


def _source_list(rec, extra: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    stale = set(rec.ruleset.stale_sources)

    def add(ref: dict[str, Any]) -> None:
        if ref["id"] not in seen:
            seen[ref["id"]] = {**ref, "stale": ref["id"] in stale}

    for fired in rec.trace:
        for s in fired.sources:
            add(s.model_dump())
    for group in (rec.warnings, rec.readiness, rec.notes):
        for item in group:
            for s in item.sources:
                add(s.model_dump())
    for ref in extra:
        add(ref)
    return list(seen.values())


def _economics_sources(econ) -> list[dict[str, Any]]:
    if econ is None:
        return []
    refs = [s.model_dump() for p in econ.prices for s in p.sources]
    refs += [s.model_dump() for o in econ.options for s in o.sources]
    return refs


def _evidence_lines(rec) -> list[str]:
    if getattr(rec, "evidence", None) is None:
        return []
    from advisor.engine.evidence import describe

    return describe(rec.evidence)
# The answers the choice of the target model reads (advisor.engine.target.choose_target).
MODEL_INPUTS = ("customisation_region", "input_modality", "task_uses_tools", "target_model")


def _drivers(rec, answers: list[dict[str, Any]], decision) -> list[dict[str, Any]]:
    """The answers that decided: those the fired decision rule's conditions read, in the rule's order,
    then those the choice of the target model read. Undecided, the decision questions answered so far."""
    by_id = {a["id"]: a for a in answers}
    if decision is None:
        return [{**a, "why": "a decision question"} for a in answers if a["role"] == "decision"]
    out: dict[str, dict[str, Any]] = {}
    for cond in decision.conditions:
        for qid in cond.values:
            if qid in by_id and qid not in out:
                out[qid] = {**by_id[qid], "why": f"rule `{decision.rule}`: `{cond.condition}`"}
    if any(f.kind == "model" for f in rec.trace):
        for qid in MODEL_INPUTS:
            if qid in by_id and qid not in out:
                out[qid] = {**by_id[qid], "why": "the choice of the target model"}
    return list(out.values())


def _arguments(rulebase, outcome_id: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The outcome's pros and cons from the rule base, each with its sources resolved."""
    from advisor.knowledge.refs import source_refs

    outcome = rulebase.outcomes.get(outcome_id) if outcome_id else None
    if outcome is None:
        return [], []

    def resolve(args) -> list[dict[str, Any]]:
        return [{"text": a.text, "sources": [s.model_dump() for s in source_refs(rulebase, a.sources)]} for a in args]

    return resolve(outcome.pros), resolve(outcome.cons)


def build_context(rec, rulebase) -> dict[str, Any]:
    """The data every template reads, computed once from the Recommendation."""
    questions = rulebase.questions
    answers = []
    for qid, value in rec.answers.items():
        q = questions.get(qid)
        shown = rulebase.choice_label(q, value) if q is not None and q.type == "choice" and value != "unsure" else show(value)
        answers.append({"id": qid, "text": q.text if q else qid, "value": shown, "role": q.role if q else "",
                        "derived": False, "free": q is None or q.type == "text"})
    econ = rec.economics
    verdict = econ.volume_justifies_setup if econ is not None else None
    if verdict is not None and verdict.source == "derived":
        q = questions.get("volume_justifies_setup")
        answers.append({"id": "volume_justifies_setup", "text": q.text if q else "volume_justifies_setup",
                        "value": show(verdict.value), "role": "decision", "derived": True,
                        "free": False})

    decision = next((f for f in rec.trace if f.kind == "decision"), None)
    rules_by_id = {r.id: r for r in rulebase.decision.rules}
    options = []
    if decision is not None:
        chosen = rules_by_id.get(decision.rule)
        pros, cons = _arguments(rulebase, chosen.then if chosen else None)
        options.append({"path": rec.path, "title": rec.title, "status": "chosen", "rule": decision.rule,
                        "because": decision.because, "explanation": decision.because, "pros": pros, "cons": cons})
    for alt in rec.alternatives:
        rule = rules_by_id.get(alt.rule)
        pros, cons = _arguments(rulebase, rule.then if rule else None)
        options.append({"path": alt.path, "title": alt.title, "status": alt.status, "rule": alt.rule,
                        "because": " ".join(rule.because.split()) if rule else "", "explanation": alt.explanation,
                        "pros": pros, "cons": cons})
    argument_sources = [s for o in options for side in ("pros", "cons") for a in o[side] for s in a["sources"]]
    adr_sources = _source_list(rec, _economics_sources(econ) + argument_sources)
    break_even = [b.model_dump() for b in econ.break_even] if econ is not None else []
    chosen_rule = rules_by_id.get(decision.rule) if decision is not None else None
    path_conditions = [c.text for c in chosen_rule.when] if chosen_rule is not None else []
    return {
        "rec": rec,
        "project": rec.project_name,
        "today": rec.date,
        "answers": answers,
        "decision": decision,
        "path_conditions": path_conditions,
        "hyper_rules": [f for f in rec.trace if f.kind == "hyperparameter"],
        "options": options,
        "econ": econ,
        "verdict": verdict.model_dump() if verdict is not None else {},
        "break_even": break_even,
        "sources": _source_list(rec, _economics_sources(econ)),
        "known_sources": frozenset(rulebase.sources),
        "drivers": _drivers(rec, answers, decision),
        "adr_sources": adr_sources,
        "source_number": {src["id"]: i for i, src in enumerate(adr_sources, 1)},
        "status_text": {"chosen": "chosen", "ruled_out": "ruled out", "outranked": "outranked",
                        "still_possible": "still possible"},
        "evidence_lines": _evidence_lines(rec),
        "readiness_mark": {"met": "met", "not_met": "not met", "unknown": "unknown", "check": "check by hand"},
    }


def render(rec, fmt: str, rulebase) -> str:
    """Render ``rec`` as ``markdown``, ``adr`` or ``html``."""
    if fmt not in _TEMPLATE_OF:
        raise UsageError(f"unknown report format {fmt!r} (choose from markdown, html, adr)")
    ctx = build_context(rec, rulebase)
    html = fmt == "html"
    if html:
        from markupsafe import Markup

        from advisor.reports.charts import cost_chart_svg, decision_tree_svg

        # The SVG comes from advisor.reports.charts, which escapes every text it draws; it is trusted markup.
        ctx["tree_svg"] = Markup(decision_tree_svg(rulebase, ctx["decision"].rule if ctx["decision"] else None))
        chart = cost_chart_svg(rec.economics.model_dump()) if rec.economics else None
        ctx["cost_svg"] = Markup(chart) if chart else None
    if fmt == "markdown":
        from advisor.reports.mermaid import decision_tree_mermaid

        ctx["tree_mermaid"] = decision_tree_mermaid(rulebase, ctx["decision"].rule if ctx["decision"] else None)
    text = _env(html).get_template(_TEMPLATE_OF[fmt]).render(**ctx)
    # Collapse runs of blank lines the template's optional sections leave behind.
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.rstrip("\n") + "\n"
