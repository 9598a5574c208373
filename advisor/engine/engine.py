"""The inference engine: goal-driven questions, the decision, and its explanation as data.

The decision table uses the *priority* hit policy: rules are tried from the highest priority down;
a rule whose conditions are all true wins if every higher-priority rule is definitely false. With
partial answers a rule can be *unknown*, which is how the engine knows which questions can still
change the outcome (docassemble-style goal-driven interviewing).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from string import Template
from typing import Any, Callable, Iterable, Mapping

from advisor.answers import UNSURE
from advisor.engine import recommendation as r
from advisor.engine.hyperparameters import plan_from_table
from advisor.engine.target import TargetChoice, choose_target
from advisor.knowledge.conditions import UNKNOWN, Condition
from advisor.knowledge.loader import RuleBase
from advisor.knowledge.models import DecisionRule, Outcome
from advisor.knowledge.refs import source_refs

__all__ = ["Engine", "Economist", "Resolved", "today_from_env"]

# The economics the engine is given: (rule base, resolved values, target, today) -> an object with
# ``derived`` (answers and facts it worked out), ``report`` (EconomicsReport or None) and ``notes``.
Economist = Callable[[RuleBase, Mapping[str, Any], Any, dt.date], Any]
_DEFAULT: Any = object()


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
class Resolved:
    """Answers as the rules see them: direct answers, documented defaults for "not sure", values the
    economics derived, and the facts the engine computes (target model, dates)."""

    values: dict[str, Any]
    assumptions: list[r.Assumption]
    derived: set[str]
    # Decision questions answered "not sure" whose value the economics could still derive.
    open_derivable: list[str]
    target: TargetChoice
    economics: Any = None
    notes: list[r.Note] = field(default_factory=list)


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
    """Reasons over a :class:`RuleBase`. Stateless apart from the rule base, ``today`` and the economics.

    ``economics`` is the collaborator that prices the options (``advisor.economics.Economist``); by
    default the shipped prices with ``ADVISOR_PRICES``; ``None`` for none.
    """

    def __init__(self, rulebase: RuleBase, today: dt.date | None = None, economics: Economist | None = _DEFAULT,
                 derivations: Iterable[Any] | None = None):
        self.rulebase = rulebase
        self.today = today or today_from_env()
        if derivations is not None:  # older callers: an empty list meant "no economics"
            derivations = list(derivations)
            economics = derivations[0] if derivations else None
        if economics is _DEFAULT:
            from advisor.economics.derivation import economist_from_env

            economics = economist_from_env()
        self.economics = economics
        self._ordered = sorted(rulebase.decision.rules, key=lambda rule: -rule.priority)
        self._cache: dict[tuple, Resolved] = {}

    # --- resolving answers -------------------------------------------------------------------

    def resolve(self, answers: Mapping[str, Any]) -> Resolved:
        """Answers with derived values added, "unsure" replaced by documented defaults, and facts.

        Order matters: the economics sees the direct answers and the defaults of "unsure" answers, except
        for questions that can be derived (``derivable_from``): there the numbers beat "not sure". An
        "unsure" whose default is null means "left out" and is neither a value nor an assumption.
        """
        key = tuple(sorted((k, repr(v)) for k, v in answers.items()))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
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
            assumed = questions[qid].unsure.assume  # type: ignore[union-attr]  # only questions with an unsure entry are pending
            if assumed is not None and not questions[qid].derivable_from:
                view[qid] = assumed
        target = choose_target(self.rulebase.models, view, self.today)
        economics = None
        notes: list[r.Note] = []
        derived_keys: set[str] = set()
        if self.economics is not None:
            outcome = self.economics(self.rulebase, view, _target_for_economics(target), self.today)
            for k, value in outcome.derived.items():
                if k not in values:
                    values[k] = view[k] = value
                    if k in questions:
                        derived_keys.add(k)
            economics = outcome.report
            notes.extend(outcome.notes)
        assumptions: list[r.Assumption] = []
        open_derivable: list[str] = []
        for qid in pending_unsure:
            q = questions[qid]
            if qid in derived_keys or q.unsure.assume is None:  # type: ignore[union-attr]
                continue
            if q.derivable_from:
                open_derivable.append(qid)
            values[qid] = q.unsure.assume  # type: ignore[union-attr]
            assumptions.append(r.Assumption(question=qid, assumed=q.unsure.assume, because=" ".join(q.unsure.because.split())))  # type: ignore[union-attr]
        values.setdefault("economics_disagree", False)
        values.update(self._facts(target))
        resolved = Resolved(values=values, assumptions=assumptions, derived=derived_keys, open_derivable=open_derivable,
                            target=target, economics=economics, notes=notes)
        if len(self._cache) > 512:
            self._cache.clear()
        self._cache[key] = resolved
        return resolved

    def _facts(self, target: TargetChoice) -> dict[str, Any]:
        facts: dict[str, Any] = {"today": self.today.isoformat()}
        for spec in self.rulebase.models.values():
            facts["status_" + spec.id.replace("-", "_")] = spec.status_on(self.today)
        model = target.model
        facts["has_target"] = model is not None
        if model is not None:
            facts["target_id"] = model.id
            facts["target_name"] = model.name
            for name in ("max_training_records", "recommended_min_records"):
                value = getattr(model.limits, name)
                if value is not None:
                    facts["target_" + name] = value
            facts["target_uses_validation_set"] = model.uses_validation_set
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

    def outcome_of(self, rule_or_outcome: str) -> Outcome | None:
        return self.rulebase.outcomes.get(rule_or_outcome)

    def path_of(self, outcome_id: str | None) -> str | None:
        outcome = self.rulebase.outcomes.get(outcome_id) if outcome_id else None
        return outcome.path_id if outcome else outcome_id

    def path_titles(self) -> dict[str, str]:
        """A readable title per path id (and per outcome id), for lists of still-possible paths."""
        generic = {"model_name": "a catalogue model"}
        titles = {o.id: Template(o.title).safe_substitute(generic) for o in self.rulebase.outcomes.values()}
        for o in self.rulebase.outcomes.values():
            titles.setdefault(o.path_id, titles[o.id])
        return titles

    def decide_outcome(self, answers: Mapping[str, Any]) -> str | None:
        """The outcome id for these answers, or None when more answers are needed."""
        winner = self._winner(self._states(self.resolve(answers).values))
        return winner.rule.then if winner else None

    def decide(self, answers: Mapping[str, Any]) -> str | None:
        """The path for these answers, or None when more answers are needed."""
        return self.path_of(self.decide_outcome(answers))

    def possible_paths(self, answers: Mapping[str, Any]) -> list[str]:
        """Paths that some answers to the open questions could still lead to, in priority order."""
        values = self.resolve(answers).values
        return _unique(self.path_of(s.rule.then) for s in self._possible(self._states(values)))

    def settled(self, answers: Mapping[str, Any]) -> bool:
        """True only when no remaining question can change the path, including the questions whose
        answers let the economics derive a decision answer that was answered "not sure"."""
        return self.decide_outcome(answers) is not None and not self.open_decision_questions(answers)

    # --- goal-driven questions ------------------------------------------------------------------

    def open_decision_questions(self, answers: Mapping[str, Any]) -> list[str]:
        """Unanswered questions whose answers can still change the path, the most urgent first."""
        resolved = self.resolve(answers)
        values = resolved.values
        states = self._states(values)
        winner = self._winner(states)
        if winner is not None:
            # A "not sure" the economics could still replace with a number-based answer keeps the path open.
            read = {n for c in winner.rule.when for n in c.names}
            asked: list[str] = []
            for qid in resolved.open_derivable:
                if qid in read:
                    asked.extend(q for q in self.rulebase.questions[qid].derivable_from
                                 if answers.get(q) is None and q in self.rulebase.questions)
            return _unique(asked)
        asked = []
        for state in self._possible(states):
            for condition, result in zip(state.rule.when, state.results):
                if result is UNKNOWN:
                    asked.extend(sorted(n for n in condition.names if n not in values and n in self.rulebase.questions))
        return _unique(asked)

    def _plan_wanted(self, outcome: Outcome | None, values: Mapping[str, Any]) -> list[str]:
        if outcome is None:
            return []
        wanted = list(outcome.plan_questions)
        hp = self.rulebase.hyperparameters
        if hp is not None and "hyperparameters" in outcome.carries:
            table = hp.for_path(outcome.id) or hp.for_path(outcome.path_id)
            if table is not None:
                wanted.extend(table.requires)
            elif "model" in outcome.carries:
                wanted.extend(q for t in hp.tables if t.models for q in t.requires)
        return wanted

    def open_plan_questions(self, answers: Mapping[str, Any], outcome_id: str | None = None) -> list[str]:
        """Unanswered questions that complete the plan for the chosen outcome (they never change it)."""
        outcome_id = outcome_id or self.decide_outcome(answers)
        if outcome_id is None:
            return []
        outcome = self.rulebase.outcomes.get(outcome_id)
        if outcome is None:  # a path id given by an older caller
            outcome = next((o for o in self.rulebase.outcomes.values() if o.path_id == outcome_id), None)
        resolved = self.resolve(answers)
        wanted = self._plan_wanted(outcome, resolved.values)
        answered = {k for k, v in answers.items() if v is not None} | set(resolved.values)
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
            for table in self.rulebase.hyperparameters.tables:
                for spec in table.parameters:
                    for hrule in spec.rules:
                        if question_id in hrule.when.names:
                            uses.append((hrule.id, "hyperparameter", hrule.because))
        for w in self.rulebase.warnings:
            if question_id in w.when.names:
                uses.append((w.id, "warning", w.because))
        for item in self.rulebase.readiness:
            if question_id in item.when.names:
                uses.append((item.id, "readiness", item.text))
        if question_id in ("customisation_region", "input_modality", "task_uses_tools"):
            uses.append(("model_selection", "model", "The fine-tuning target is chosen from the catalogue by date, "
                                                      "customisation type, region, modality and task."))
        return uses

    # --- the recommendation -----------------------------------------------------------------

    def recommend(self, answers: Mapping[str, Any]) -> r.Recommendation:
        """Everything the renderers need, determined or not."""
        rb = self.rulebase
        resolved = self.resolve(answers)
        values = resolved.values
        states = self._states(values)
        winner = self._winner(states)
        outcome = rb.outcomes.get(winner.rule.then) if winner else None
        path = outcome.path_id if outcome else None
        possible = _unique(self.path_of(s.rule.then) for s in self._possible(states))
        carries = list(outcome.carries) if outcome else []
        subst = _text_values(values)

        trace: list[r.FiredRule] = []
        if winner is not None:
            fired = self._fired(winner.rule.id, "decision", winner.rule.because, winner.rule.sources,
                                winner.rule.when, values, f"path = {path}")
            said = [_sentence(self.says(n, values.get(n), resolved)) + "."
                    for n in _unique(n for c in winner.rule.when for n in sorted(c.names)) if n in rb.questions]
            trace.append(fired.model_copy(update={"answers_said": said}))

        target = resolved.target if "model" in carries else None
        model_ref = None
        if target is not None and target.model is not None:
            m = target.model
            region = values.get("customisation_region")
            region = region if isinstance(region, str) and region in m.regions else m.regions[0]
            model_ref = r.ModelRef(
                id=m.id, name=m.name, base_model_id=m.base_model_id, region=region,
                lifecycle=r.ModelLifecycle(status=m.status_on(self.today), end_of_life=(
                    m.lifecycle.end_of_life.isoformat() if m.lifecycle.end_of_life else None)),
                record_format=m.record_format, serving=list(m.serving), reasons=target.reasons)
            subst["model_name"] = m.name
        if target is not None:
            because = " ".join(target.reasons)
            if target.excluded:
                because += " Passed over: " + "; ".join(f"{n} ({why})" for n, why in target.excluded) + "."
            trace.append(r.FiredRule(rule="model_selection", kind="model", because=because,
                                     sources=source_refs(rb, target.sources or ["aws_supported_models"]),
                                     conditions=[], conclusion=f"model = {target.model.id if target.model else 'none'}"))

        hyper_details = []
        hyper: dict[str, float | int] | None = None
        hp = rb.hyperparameters
        if outcome is not None and hp is not None and "hyperparameters" in carries:
            table = hp.for_path(outcome.id)
            model = None
            if table is None and target is not None and target.model is not None:
                model = target.model
                table = hp.for_model(model.id)
            if table is not None and all(isinstance(values.get(q), (int, float)) for q in table.requires[:1]):
                hyper_details = plan_from_table(table, model, values)
                hyper = {c.name: c.value for c in hyper_details if c.api} or None
                for choice in hyper_details:
                    rule = _find_hp_rule(table, choice.rule)
                    trace.append(self._fired(choice.rule, "hyperparameter", choice.because, choice.sources,
                                             [rule.when], values, f"{choice.name} = {choice.value}"))

        warnings: list[r.Warning] = []
        if outcome is not None:
            for w in rb.warnings:
                if w.applies_to is not None and outcome.id not in w.applies_to and path not in w.applies_to:
                    continue
                if w.when.evaluate(values) is True:
                    message = " ".join(Template(w.message).safe_substitute(subst).split())
                    warnings.append(r.Warning(code=w.code, title=w.title or w.code.replace("_", " ").capitalize(),
                                              severity=w.severity, message=message, rule=w.id,
                                              sources=source_refs(rb, w.sources)))
                    trace.append(self._fired(w.id, "warning", w.because, w.sources, [w.when], values, f"warning {w.code}"))
        stale = self._stale_sources()
        if stale:
            warnings.append(r.Warning(
                code="stale_sources", title="Sources not re-checked recently",
                message=f"{len(stale)} source(s) were last checked more than {rb.info.stale_after_days} days ago: "
                        + ", ".join(stale) + ". Re-check them before relying on figures and availability.",
            ))

        required_missing = [] if outcome else self.open_decision_questions(answers)
        plan_missing = self.open_plan_questions(answers, outcome.id) if outcome else []
        if outcome is not None:
            plan_missing = _unique(self.open_decision_questions(answers) + plan_missing)
        readiness = []
        if "readiness" in carries:
            wanted = outcome.readiness  # type: ignore[union-attr]  # the winner's outcome exists (the rule base is checked)
            for item in rb.readiness:
                if wanted is not None and item.id not in wanted:
                    continue
                status = "check" if item.manual else {"true": "met", "false": "not_met", "unknown": "unknown"}[
                    _tri(item.when.evaluate(values))]
                readiness.append(r.ReadinessCheck(id=item.id, text=" ".join(Template(item.text).safe_substitute(subst).split()),
                                                  status=status, sources=source_refs(rb, item.sources)))
        notes = self._notes(values, path) + list(resolved.notes)
        project = values.get("project_name") if isinstance(values.get("project_name"), str) else None
        title = Template(outcome.title).safe_substitute(subst) if outcome else None
        if outcome is not None and "model" in carries and model_ref is None:
            title = Template(outcome.title).safe_substitute({**subst, "model_name": "a catalogue model"})
        return r.Recommendation(
            path=path,
            outcome=outcome.id if outcome else None,
            date=self.today.isoformat(),
            shows=carries,
            title=title,
            summary=" ".join(Template(outcome.summary).safe_substitute(subst).split()) if outcome else None,
            confidence=self._confidence(winner.rule, resolved, warnings) if winner else None,
            possible_paths=possible,
            trace=trace,
            alternatives=self._alternatives(states, outcome.id if outcome else None, resolved),
            what_would_change=self._flips(answers, winner, values) if winner else [],
            hyperparameters=hyper,
            hyperparameter_details=hyper_details,
            warnings=warnings,
            assumptions=resolved.assumptions,
            missing=required_missing or plan_missing,
            required_missing=required_missing,
            readiness=readiness,
            notes=notes,
            next_steps=[" ".join(Template(s).safe_substitute(subst).split()) for s in outcome.next_steps] if outcome else [],
            answers={k: v for k, v in answers.items() if k in rb.questions},
            model=model_ref,
            ruleset=r.RulesetRef(
                name=rb.info.name, version=rb.version, hash=rb.hash,
                knowledge_as_of=min((s.as_of for s in rb.sources.values()), default=self.today).isoformat(),
                stale_sources=stale,
            ),
            economics=resolved.economics if "economics" in carries or outcome is None else resolved.economics,
            project_name=project,
        )

    # --- explanation helpers ---------------------------------------------------------------------

    def _condition(self, condition: Condition, values: Mapping[str, Any]) -> r.ConditionResult:
        seen = {n: values.get(n, None) for n in sorted(condition.names)}
        return r.ConditionResult(condition=condition.text, values=seen, result=_tri(condition.evaluate(values)))

    def _fired(self, rule_id, kind, because, sources, conditions, values, conclusion) -> r.FiredRule:
        return r.FiredRule(
            rule=rule_id, kind=kind, because=" ".join(because.split()), sources=source_refs(self.rulebase, sources),
            conditions=[self._condition(c, values) for c in conditions], conclusion=conclusion,
        )

    def says(self, qid: str, value: Any, resolved: Resolved | None = None) -> str:
        """How an answer reads in a sentence: "You said ...", "You were not sure ...", "The cost model worked out ..."."""
        q = self.rulebase.questions.get(qid)
        if q is None:
            return f"{qid} is {_show(value)}"
        if value == UNSURE and "unsure" in q.says:
            phrase = q.says["unsure"]
        elif isinstance(value, bool) and ("if_yes" if value else "if_no") in q.says:
            phrase = q.says["if_yes" if value else "if_no"]
        elif "value" in q.says:
            phrase = q.says["value"].replace("{value}", _show(value))
        else:
            phrase = f"“{q.text}” is {_show(value)}"
        if resolved is not None and qid in resolved.derived:
            return f"the cost model worked out that {phrase}"
        if resolved is not None and any(a.question == qid for a in resolved.assumptions):
            return f"you were not sure, and we assumed {phrase}"
        return f"you said {phrase}"

    def _alternatives(self, states: list[_RuleState], outcome_id: str | None, resolved: Resolved) -> list[r.RuledOut]:
        values = resolved.values
        by_outcome: dict[str, list[_RuleState]] = {}
        for state in states:
            by_outcome.setdefault(state.rule.then, []).append(state)
        winner = self._winner(states)

        def progress(state: _RuleState) -> int:
            # How far a rule got before its first failing condition: the closest rule explains the path.
            idx = state.first(False)
            return len(state.results) if idx is None else idx

        out = []
        for oid, outcome in self.rulebase.outcomes.items():
            if oid == outcome_id or oid not in by_outcome:
                continue
            best = max(by_outcome[oid], key=progress)
            failed = best.first(False)
            condition = None
            name = outcome.ruled_out_as or outcome.title
            if failed is not None:
                cond = best.rule.when[failed]
                condition = r.ConditionResult(condition=cond.text, values={n: values.get(n) for n in sorted(cond.names)},
                                              result="false")
                status = "ruled_out"
                said = "; ".join(self.says(n, values.get(n), resolved) for n in sorted(cond.names))
                explanation = _sentence(f"{said}, so {name} was ruled out.")
            elif best.overall is True:
                status = "outranked"
                first = self.rulebase.outcomes.get(winner.rule.then) if winner else None
                better = first.ruled_out_as or first.title if first else "another path"
                explanation = _sentence(f"{name} would fit too, but {better} "
                                        "comes first in the decision tree.")
            else:
                status = "still_possible"
                unknown = best.first(UNKNOWN)
                pending = sorted(best.rule.when[unknown].names) if unknown is not None else []
                texts = [self.rulebase.questions[n].text for n in pending if n in self.rulebase.questions]
                explanation = _sentence(f"{name} is still possible: it depends on “{' '.join(texts) or '?'}”, "
                                        "which is not answered yet.")
            out.append(r.RuledOut(path=outcome.path_id, title=Template(outcome.title).safe_substitute(
                {"model_name": "a catalogue model"}), rule=best.rule.id, status=status, condition=condition,
                explanation=explanation))
        return out

    def _flips(self, answers: Mapping[str, Any], winner: _RuleState, values: Mapping[str, Any]) -> list[r.Flip]:
        """Re-decide with each answer the winning rule read changed to its nearest different value."""
        flips: list[r.Flip] = []
        current = winner.rule.then
        names = _unique(n for c in winner.rule.when for n in sorted(c.names))
        for qid in names:
            question = self.rulebase.questions.get(qid)
            if question is None or question.role != "decision":
                continue
            now = answers.get(qid, values.get(qid))
            seen: set[str | None] = set()
            for alternative in self._alternative_values(qid, now):
                changed = dict(answers)
                changed[qid] = alternative
                oid = self.decide_outcome(changed)
                key = oid if oid is not None else "?" + ",".join(self.possible_paths(changed))
                if oid == current or key in seen:
                    continue
                seen.add(key)
                possible = [] if oid else self.possible_paths(changed)
                said = self.says(qid, alternative).removeprefix("you said ")
                if oid:
                    other = self.rulebase.outcomes[oid]
                    title = Template(other.title).safe_substitute({"model_name": "a catalogue model"})
                    explanation = f"If {said}, the advice would be: {title}."
                else:
                    states = self._possible(self._states(self.resolve(changed).values))
                    names = _unique(self.rulebase.outcomes[st.rule.then].ruled_out_as or st.rule.then for st in states)
                    explanation = f"If {said}, more questions would decide between {', '.join(names)}."
                flips.append(r.Flip(question=qid, question_text=question.text, current=now, alternative=alternative,
                                    path=self.path_of(oid), possible_paths=possible, explanation=explanation))
        return flips

    def _alternative_values(self, qid: str, current: Any) -> list[Any]:
        question = self.rulebase.questions[qid]
        if question.type == "bool":
            out: list[Any] = [v for v in (True, False) if v != current]
            if question.unsure is not None and question.unsure.assume == UNSURE and current != UNSURE:
                out.append(UNSURE)
            return out
        if question.type in ("int", "number"):
            thresholds = sorted({c.value for rule in self.rulebase.decision.rules for cond in rule.when
                                 for c in cond.comparisons if c.name == qid and isinstance(c.value, (int, float))
                                 and not isinstance(c.value, bool)})
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

    def _confidence(self, rule: DecisionRule, resolved: Resolved, warnings: list[r.Warning]) -> r.Confidence:
        weights = self.rulebase.info.confidence
        score = 1.0
        reasons = []
        # Only the answers the deciding rule read can have decided the path; other "not sure" answers weigh
        # like plan details.
        decision_qids = {n for c in rule.when for n in c.names}
        for a in resolved.assumptions:
            q = self.rulebase.questions[a.question]
            if a.question in decision_qids:
                score -= weights.decision_assumption
                if a.assumed == UNSURE:
                    reasons.append(f"You were not sure: “{q.text}” So the advice is to measure first.")
                else:
                    reasons.append(f"You were not sure: “{q.text}” We assumed "
                                   f"{self.says(a.question, a.assumed).removeprefix('you said ')}.")
            else:
                score -= weights.plan_assumption
                kind = "it did not decide this path" if q.role == "decision" else "a plan detail"
                reasons.append(f"You were not sure: “{q.text}” ({kind}).")
        for qid in sorted(resolved.derived):
            score -= weights.derived_answer
            reasons.append(f"Derived, not answered: {self.says(qid, resolved.values.get(qid), resolved)} "
                           "(see the economics).")
        for w in warnings:
            if w.severity == "serious":
                score -= weights.serious_warning
                reasons.append(f"Warning: {w.title}.")
        caps = {w.id: w.max_confidence for w in self.rulebase.warnings if w.max_confidence is not None}
        for w in warnings:
            cap = caps.get(w.rule)
            if cap is not None and score > cap:
                score = cap
                reasons.append(f"“{w.title}” limits the confidence.")
        if rule.max_confidence is not None and score > rule.max_confidence:
            score = rule.max_confidence
            reasons.append("This advice is to measure before deciding, so its confidence is capped.")
        score = max(0.0, round(score, 2))
        level = "high" if score >= weights.high_from else "medium" if score >= weights.medium_from else "low"
        if not reasons:
            reasons.append("Every answer on the decision path was given directly.")
        return r.Confidence(level=level, score=score, reasons=reasons)

    def _notes(self, values: Mapping[str, Any], path: str | None) -> list[r.Note]:
        rb = self.rulebase
        notes: list[r.Note] = []
        symptom = rb.symptoms.get(values.get("symptom")) if isinstance(values.get("symptom"), str) else None  # type: ignore[arg-type]  # isinstance(..., str) checked on the same line
        if symptom is not None and symptom.fix:
            text = f"Usual cause: {symptom.cause} Fix: {symptom.fix}"
            if path and symptom.points_to and symptom.points_to != path:
                other = rb.outcomes.get(symptom.points_to)
                points_to = other.title if other else symptom.points_to
                text += f" (This symptom usually points to “{points_to}”; try that fix as well.)"
            notes.append(r.Note(kind="symptom", title=symptom.says, text=text, sources=source_refs(rb, symptom.sources)))
        ptype = rb.problem_types.get(values.get("problem_type")) if isinstance(values.get("problem_type"), str) else None  # type: ignore[arg-type]  # isinstance(..., str) checked on the same line
        if ptype is not None and ptype.fine_tuning != "unknown":
            notes.append(r.Note(
                kind="problem_type", title=ptype.problem,
                text=(f"Likelihood of success: fine-tuning {ptype.fine_tuning.replace('_', ' ')}, "
                      f"prompting + RAG {ptype.prompting_rag.replace('_', ' ')} (e.g. {ptype.example})."),
                sources=source_refs(rb, ptype.sources),
            ))
        return notes

    def _stale_sources(self) -> list[str]:
        limit = dt.timedelta(days=self.rulebase.info.stale_after_days)
        return [s.id for s in self.rulebase.sources.values() if self.today - s.as_of > limit]


def _target_for_economics(choice: TargetChoice):
    from advisor.economics.model import Target

    m = choice.model
    if m is None:
        return None
    return Target(id=m.id, name=m.name, on_demand_deployment="on_demand_deployment" in m.serving,
                  provisioned_throughput="provisioned_throughput" in m.serving)


def _find_hp_rule(table, rule_id: str):
    for spec in table.parameters:
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


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value == UNSURE:
        return "not sure"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _text_values(values: Mapping[str, Any]) -> dict[str, str]:
    return {key: _show(value) for key, value in values.items()}
