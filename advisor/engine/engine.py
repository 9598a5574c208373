"""The inference engine: goal-driven questions, the decision, and its explanation as data.

The decision table uses the *priority* hit policy: rules are tried from the highest priority down;
a rule whose conditions are all true wins if every higher-priority rule is definitely false. With
partial answers a rule can be *unknown*, which is how the engine knows which questions can still
change the outcome (docassemble-style goal-driven interviewing).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from string import Template
from typing import Any, Callable, Iterable, Mapping

from advisor.answers import UNSURE
from advisor.engine import recommendation as r
from advisor.engine.hyperparameters import plan_hyperparameters
from advisor.knowledge.conditions import UNKNOWN, Condition
from advisor.knowledge.loader import RuleBase
from advisor.knowledge.models import DecisionRule

__all__ = ["Engine", "Derivation", "today_from_env"]

# A derivation fills answers from other answers (e.g. the economics deriving volume_justifies_setup
# from request volumes). It returns (derived values, economics report or None, notes).
Derivation = Callable[[RuleBase, Mapping[str, Any]], tuple[dict[str, Any], dict[str, Any] | None, list[r.Note]]]


def today_from_env() -> dt.date:
    """Today, or ``ADVISOR_TODAY`` (YYYY-MM-DD) for reproducible reports and tests."""
    value = os.environ.get("ADVISOR_TODAY")
    if value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    return dt.date.today()


def _tri(value: Any) -> str:
    return "unknown" if value is UNKNOWN else ("true" if value else "false")


@dataclass(frozen=True)
class _RuleState:
    rule: DecisionRule
    results: tuple[Any, ...]

    @property
    def overall(self) -> Any:
        if any(v is False for v in self.results):
            return False
        if any(v is UNKNOWN for v in self.results):
            return UNKNOWN
        return True

    def first(self, wanted: Any) -> int | None:
        for i, v in enumerate(self.results):
            if v is wanted:
                return i
        return None


class Engine:
    """Reasons over a :class:`RuleBase`. Stateless apart from the rule base, ``today`` and derivations."""

    def __init__(self, rulebase: RuleBase, today: dt.date | None = None,
                 derivations: Iterable[Derivation] | None = None):
        self.rulebase = rulebase
        self.today = today or today_from_env()
        if derivations is None:
            from advisor.engine.derivations import default_derivations

            derivations = default_derivations()
        self.derivations = list(derivations)
        self._ordered = sorted(rulebase.decision.rules, key=lambda rule: -rule.priority)

    # --- resolving answers -------------------------------------------------------------------

    def resolve(self, answers: Mapping[str, Any]) -> tuple[dict[str, Any], list[r.Assumption], dict | None, list[r.Note]]:
        """Answers with derived values added, "unsure" replaced by documented defaults, and facts.

        Order matters: derivations see the direct answers and the defaults of "unsure" answers, except
        for questions that can be derived (``derivable_from``): there the numbers beat "not sure". An
        "unsure" whose default is null means "left out" and is neither a value nor an assumption.
        """
        questions = self.rulebase.questions
        values: dict[str, Any] = {}
        pending_unsure: list[str] = []
        for qid, value in answers.items():
            question = questions.get(qid)
            if question is None or value is None:
                continue
            if value == UNSURE and question.unsure is not None:
                pending_unsure.append(qid)
            else:
                values[qid] = value
        view = dict(values)
        for qid in pending_unsure:
            assumed = questions[qid].unsure.assume
            if assumed is not None and not questions[qid].derivable_from:
                view[qid] = assumed
        economics: dict | None = None
        notes: list[r.Note] = []
        derived_keys: set[str] = set()
        for derive in self.derivations:
            derived, report, extra_notes = derive(self.rulebase, view)
            for key, value in derived.items():
                if key not in values:
                    values[key] = view[key] = value
                    derived_keys.add(key)
            economics = report or economics
            notes.extend(extra_notes)
        assumptions: list[r.Assumption] = []
        for qid in pending_unsure:
            unsure = questions[qid].unsure
            if qid in derived_keys or unsure.assume is None:
                continue
            values[qid] = unsure.assume
            assumptions.append(r.Assumption(question=qid, assumed=unsure.assume, because=" ".join(unsure.because.split())))
        values.update(self._facts())
        return values, assumptions, economics, notes

    def _facts(self) -> dict[str, Any]:
        model = self.rulebase.fine_tune_model
        facts: dict[str, Any] = {"today": self.today.isoformat()}
        if model is not None:
            facts["model_name"] = model.name
            facts["model_end_of_life"] = model.lifecycle.end_of_life.isoformat() if model.lifecycle.end_of_life else "none"
            facts["model_past_end_of_life"] = model.past_end_of_life(self.today)
        return facts

    # --- the decision ---------------------------------------------------------------------------

    def _states(self, values: Mapping[str, Any]) -> list[_RuleState]:
        return [_RuleState(rule, tuple(c.evaluate(values) for c in rule.when)) for rule in self._ordered]

    @staticmethod
    def _winner(states: list[_RuleState]) -> _RuleState | None:
        for state in states:
            overall = state.overall
            if overall is True:
                return state
            if overall is UNKNOWN:
                return None
        return None

    @staticmethod
    def _possible(states: list[_RuleState]) -> list[_RuleState]:
        possible = []
        for state in states:
            overall = state.overall
            if overall is False:
                continue
            possible.append(state)
            if overall is True:
                break
        return possible

    def decide(self, answers: Mapping[str, Any]) -> str | None:
        """The path for these answers, or None when more answers are needed."""
        values, *_ = self.resolve(answers)
        winner = self._winner(self._states(values))
        return winner.rule.then if winner else None

    def possible_paths(self, answers: Mapping[str, Any]) -> list[str]:
        """Paths that some answers to the open questions could still lead to, in priority order."""
        values, *_ = self.resolve(answers)
        return _unique(s.rule.then for s in self._possible(self._states(values)))

    # --- goal-driven questions ------------------------------------------------------------------

    def open_decision_questions(self, answers: Mapping[str, Any]) -> list[str]:
        """Unanswered questions whose answers can still change the path, the most urgent first."""
        values, *_ = self.resolve(answers)
        states = self._states(values)
        if self._winner(states) is not None:
            return []
        asked: list[str] = []
        for state in self._possible(states):
            for condition, result in zip(state.rule.when, state.results):
                if result is UNKNOWN:
                    asked.extend(sorted(n for n in condition.names if n not in values and n in self.rulebase.questions))
        return _unique(asked)

    def open_plan_questions(self, answers: Mapping[str, Any], path: str | None = None) -> list[str]:
        """Unanswered questions that complete the plan for the chosen path (they never change it)."""
        path = path or self.decide(answers)
        if path is None:
            return []
        outcome = self.rulebase.outcomes.get(path)
        wanted = list(outcome.plan_questions) if outcome else []
        hp = self.rulebase.hyperparameters
        if hp is not None and path in hp.applies_to:
            wanted.extend(hp.requires)
        values, *_ = self.resolve(answers)
        answered = {k for k, v in answers.items() if v is not None} | set(values)
        return _unique(q for q in wanted if q not in answered and q in self.rulebase.questions)

    def next_questions(self, answers: Mapping[str, Any]) -> list[str]:
        """Everything still worth asking, in order: decision questions first, then plan questions."""
        return self.open_decision_questions(answers) or self.open_plan_questions(answers)

    def next_question(self, answers: Mapping[str, Any]) -> str | None:
        pending = self.next_questions(answers)
        return pending[0] if pending else None

    def rules_using(self, question_id: str) -> list[tuple[str, str, str]]:
        """(rule id, kind, because) for every rule that reads ``question_id`` (for "why are you asking?")."""
        uses = []
        for rule in self.rulebase.decision.rules:
            if any(question_id in c.names for c in rule.when):
                uses.append((rule.id, "decision", rule.because))
        if self.rulebase.hyperparameters:
            for spec in self.rulebase.hyperparameters.parameters:
                for hrule in spec.rules:
                    if question_id in hrule.when.names:
                        uses.append((hrule.id, "hyperparameter", hrule.because))
        for w in self.rulebase.warnings:
            if question_id in w.when.names:
                uses.append((w.id, "warning", w.because))
        for item in self.rulebase.readiness:
            if question_id in item.when.names:
                uses.append((item.id, "readiness", item.text))
        return uses

    # --- the recommendation -----------------------------------------------------------------

    def recommend(self, answers: Mapping[str, Any]) -> r.Recommendation:
        """Everything the renderers need, determined or not."""
        rb = self.rulebase
        values, assumptions, economics, derived_notes = self.resolve(answers)
        states = self._states(values)
        winner = self._winner(states)
        path = winner.rule.then if winner else None
        outcome = rb.outcomes.get(path) if path else None
        possible = _unique(s.rule.then for s in self._possible(states))

        trace: list[r.FiredRule] = []
        if winner is not None:
            trace.append(self._fired(winner.rule.id, "decision", winner.rule.because, winner.rule.sources,
                                     winner.rule.when, values, f"path = {path}"))

        hyper_details = []
        hyper: dict[str, float | int] | None = None
        hp = rb.hyperparameters
        if path and hp is not None and path in hp.applies_to and isinstance(values.get("training_examples"), int):
            hyper_details = plan_hyperparameters(rb, values["training_examples"])
            hyper = {c.name: c.value for c in hyper_details}
            for choice in hyper_details:
                rule = _find_hp_rule(rb, choice.rule)
                trace.append(self._fired(choice.rule, "hyperparameter", choice.because, choice.sources,
                                         [rule.when], values, f"{choice.name} = {choice.value}"))

        warnings: list[r.Warning] = []
        if path:
            for w in rb.warnings:
                if w.applies_to is not None and path not in w.applies_to:
                    continue
                if w.when.evaluate(values) is True:
                    message = " ".join(Template(w.message).safe_substitute(_text_values(values)).split())
                    warnings.append(r.Warning(code=w.code, message=message, rule=w.id, sources=self._sources(w.sources)))
                    trace.append(self._fired(w.id, "warning", w.because, w.sources, [w.when], values, f"warning {w.code}"))
        stale = self._stale_sources()
        if stale:
            warnings.append(r.Warning(
                code="stale_sources",
                message=f"{len(stale)} source(s) were last checked more than {rb.info.stale_after_days} days ago: "
                        + ", ".join(stale) + ". Re-check them before relying on figures and availability.",
            ))

        required_missing = [] if path else self.open_decision_questions(answers)
        plan_missing = self.open_plan_questions(answers, path) if path else []
        readiness = [
            r.ReadinessCheck(id=item.id, text=item.text, status={"true": "met", "false": "not_met", "unknown": "unknown"}[
                _tri(item.when.evaluate(values))], sources=self._sources(item.sources))
            for item in rb.readiness
        ]
        notes = self._notes(values, path) + derived_notes
        project = values.get("project_name") if isinstance(values.get("project_name"), str) else None
        model = rb.fine_tune_model
        return r.Recommendation(
            path=path,
            title=outcome.title if outcome else None,
            summary=" ".join(outcome.summary.split()) if outcome else None,
            confidence=self._confidence(path, assumptions, warnings, answers) if path else None,
            possible_paths=possible,
            trace=trace,
            alternatives=self._alternatives(states, path, values),
            what_would_change=self._flips(answers, winner, values) if winner else [],
            hyperparameters=hyper,
            hyperparameter_details=hyper_details,
            warnings=warnings,
            assumptions=assumptions,
            missing=required_missing or plan_missing,
            required_missing=required_missing,
            readiness=readiness,
            notes=notes,
            next_steps=list(outcome.next_steps) if outcome else [],
            answers={k: v for k, v in answers.items() if k in rb.questions},
            model=r.ModelRef(
                id=model.id, name=model.name, base_model_id=model.base_model_id, regions=model.regions,
                lifecycle_status=model.lifecycle.status,
                end_of_life=model.lifecycle.end_of_life.isoformat() if model.lifecycle.end_of_life else None,
            ) if model and path == "bedrock_fine_tune" else None,
            ruleset=r.RulesetRef(
                name=rb.info.name, version=rb.version, hash=rb.hash,
                knowledge_as_of=min((s.as_of for s in rb.sources.values()), default=self.today).isoformat(),
                stale_sources=stale,
            ),
            economics=economics,
            project_name=project,
        )

    # --- explanation helpers ---------------------------------------------------------------------

    def _sources(self, ids: Iterable[str]) -> list[r.SourceRef]:
        refs = []
        for sid in ids:
            src = self.rulebase.sources.get(sid)
            if src is None:
                refs.append(r.SourceRef(id=sid, title=sid, ref=sid, as_of="unknown"))
            else:
                refs.append(r.SourceRef(id=src.id, title=src.title, ref=src.ref, as_of=src.as_of.isoformat()))
        return refs

    def _condition(self, condition: Condition, values: Mapping[str, Any]) -> r.ConditionResult:
        seen = {n: values.get(n, None) for n in sorted(condition.names)}
        return r.ConditionResult(condition=condition.text, values=seen, result=_tri(condition.evaluate(values)))

    def _fired(self, rule_id, kind, because, sources, conditions, values, conclusion) -> r.FiredRule:
        return r.FiredRule(
            rule=rule_id, kind=kind, because=" ".join(because.split()), sources=self._sources(sources),
            conditions=[self._condition(c, values) for c in conditions], conclusion=conclusion,
        )

    def _alternatives(self, states: list[_RuleState], path: str | None, values: Mapping[str, Any]) -> list[r.RuledOut]:
        by_path: dict[str, list[_RuleState]] = {}
        for state in states:
            by_path.setdefault(state.rule.then, []).append(state)
        winner = self._winner(states)

        def progress(state: _RuleState) -> int:
            # How far a rule got before its first failing condition: the closest rule explains the path.
            idx = state.first(False)
            return len(state.results) if idx is None else idx

        out = []
        for pid, outcome in self.rulebase.outcomes.items():
            if pid == path or pid not in by_path:
                continue
            best = max(by_path[pid], key=progress)
            failed = best.first(False)
            condition = None
            if failed is not None:
                cond = best.rule.when[failed]
                condition = r.ConditionResult(condition=cond.text, values={n: values.get(n) for n in sorted(cond.names)},
                                              result="false")
                status = "ruled_out"
                explanation = (f"Ruled out because `{cond.text}` is false for your answers "
                               f"({_fmt_values(condition.values)}).")
            elif best.overall is True:
                status = "outranked"
                explanation = f"Its conditions hold, but rule {winner.rule.id if winner else '?'} has higher priority."
            else:
                status = "still_possible"
                unknown = best.first(UNKNOWN)
                pending = best.rule.when[unknown].text if unknown is not None else "?"
                explanation = f"Still possible: depends on `{pending}`, which is not answered yet."
            out.append(r.RuledOut(path=pid, title=outcome.title, rule=best.rule.id, status=status,
                                  condition=condition, explanation=explanation))
        return out

    def _flips(self, answers: Mapping[str, Any], winner: _RuleState, values: Mapping[str, Any]) -> list[r.Flip]:
        """Re-decide with each answer the winning rule read changed to its nearest different value."""
        flips: list[r.Flip] = []
        current_path = winner.rule.then
        names = _unique(n for c in winner.rule.when for n in sorted(c.names))
        for qid in names:
            question = self.rulebase.questions.get(qid)
            if question is None or question.role != "decision":
                continue
            current = answers.get(qid, values.get(qid))
            seen: set[str | None] = set()
            for alternative in self._alternative_values(qid, current):
                changed = dict(answers)
                changed[qid] = alternative
                path = self.decide(changed)
                key = path if path is not None else "?" + ",".join(self.possible_paths(changed))
                if path == current_path or key in seen:
                    continue
                seen.add(key)
                possible = [] if path else self.possible_paths(changed)
                if path:
                    explanation = f"If {qid} were {_show(alternative)} instead of {_show(current)}, the advice would be {path}."
                else:
                    explanation = (f"If {qid} were {_show(alternative)} instead of {_show(current)}, more questions would "
                                   f"decide between {', '.join(possible)}.")
                flips.append(r.Flip(question=qid, question_text=question.text, current=current, alternative=alternative,
                                    path=path, possible_paths=possible, explanation=explanation))
        return flips

    def _alternative_values(self, qid: str, current: Any) -> list[Any]:
        question = self.rulebase.questions[qid]
        if question.type == "bool":
            if current == UNSURE and question.unsure is not None:
                return [not question.unsure.assume]
            return [not current] if isinstance(current, bool) else [True, False]
        if question.type in ("int", "number"):
            thresholds = sorted({c.value for rule in self.rulebase.decision.rules for cond in rule.when
                                 for c in cond.comparisons if c.name == qid and isinstance(c.value, (int, float))})
            candidates = []
            for t in thresholds:
                candidates.extend([t - 1, t, t + 1])
            lo = question.domain.min
            cur = current if isinstance(current, (int, float)) and not isinstance(current, bool) else 0
            candidates = [c for c in candidates if lo is None or c >= lo]
            return sorted(set(candidates), key=lambda c: abs(c - cur))
        if question.type == "choice":
            return [c for c in (self.rulebase.choices(question) or []) if c != current]
        return []

    def _confidence(self, path, assumptions, warnings, answers) -> r.Confidence:
        score = 1.0
        reasons = []
        decision_qids = {n for rule in self.rulebase.decision.rules for c in rule.when for n in c.names}
        for a in assumptions:
            if a.question in decision_qids:
                score -= 0.25
                reasons.append(f"'{a.question}' was answered 'not sure'; assumed {_show(a.assumed)}.")
            else:
                score -= 0.05
                reasons.append(f"'{a.question}' was answered 'not sure' (plan detail).")
        serious = {"model_end_of_life", "too_few_training_examples", "too_many_training_examples", "no_enterprise_route"}
        for w in warnings:
            if w.code in serious:
                score -= 0.15
                reasons.append(f"Warning: {w.code}.")
        score = max(0.0, round(score, 2))
        level = "high" if score >= 0.8 else "medium" if score >= 0.5 else "low"
        if not reasons:
            reasons.append("Every answer on the decision path was given directly.")
        return r.Confidence(level=level, score=score, reasons=reasons)

    def _notes(self, values: Mapping[str, Any], path: str | None) -> list[r.Note]:
        rb = self.rulebase
        notes: list[r.Note] = []
        symptom = rb.symptoms.get(values.get("symptom")) if isinstance(values.get("symptom"), str) else None
        if symptom is not None and symptom.fix:
            text = f"Usual cause: {symptom.cause} Fix: {symptom.fix}"
            if path and symptom.points_to and symptom.points_to != path:
                text += f" (This symptom usually points to {symptom.points_to}; try that fix as well.)"
            notes.append(r.Note(kind="symptom", title=symptom.says, text=text, sources=self._sources(symptom.sources)))
        ptype = rb.problem_types.get(values.get("problem_type")) if isinstance(values.get("problem_type"), str) else None
        if ptype is not None and ptype.fine_tuning != "unknown":
            notes.append(r.Note(
                kind="problem_type", title=ptype.problem,
                text=(f"Likelihood of success: fine-tuning {ptype.fine_tuning.replace('_', ' ')}, "
                      f"prompting + RAG {ptype.prompting_rag.replace('_', ' ')} (e.g. {ptype.example})."),
                sources=self._sources(ptype.sources),
            ))
        return notes

    def _stale_sources(self) -> list[str]:
        limit = dt.timedelta(days=self.rulebase.info.stale_after_days)
        return [s.id for s in self.rulebase.sources.values() if self.today - s.as_of > limit]


def _find_hp_rule(rb: RuleBase, rule_id: str):
    for spec in rb.hyperparameters.parameters:
        for rule in spec.rules:
            if rule.id == rule_id:
                return rule
    raise KeyError(rule_id)


def _unique(items: Iterable[Any]) -> list[Any]:
    seen: set = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _fmt_values(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} = {_show(v)}" for k, v in values.items())


def _text_values(values: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in values.items():
        if isinstance(value, int) and not isinstance(value, bool):
            out[key] = f"{value:,}"
        else:
            out[key] = _show(value)
    return out
