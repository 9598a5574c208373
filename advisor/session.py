"""The interview as immutable state: every action returns a new :class:`InterviewSession`.

The UI turns key presses into these calls and renders what they return; nothing here knows about
Textual. Answers are kept in the order given so that *back* undoes the last one, and changing an
earlier answer keeps exactly the answers the engine would still ask for (the ones that depended on
the old value are cleared).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from advisor.answers import UNSURE, save_answers, validate_answer
from advisor.engine import Engine, Recommendation
from advisor.knowledge.models import Question
from advisor.values import show

__all__ = ["InterviewSession", "QuestionView", "UNSURE"]

# part -> whole: a number that cannot exceed another answer.
_PART_OF = {"cacheable_prefix_tokens": "input_tokens_per_request"}


@dataclass(frozen=True)
class QuestionView:
    """What the UI needs to show one question."""

    id: str
    text: str
    help: str
    type: str
    choices: list[tuple[str, str]]  # (value, label)
    allows_unsure: bool
    unsure_note: str | None
    why: list[tuple[str, str, str]]  # (rule id, kind, because)
    minimum: float | None
    maximum: float | None
    current: Any
    role: str = "decision"  # "plan": the path is settled and this answer only completes the plan


@dataclass(frozen=True)
class InterviewSession:
    """Answers so far (in the order given) plus where to save them."""

    engine: Engine
    answered: tuple[tuple[str, Any], ...] = ()
    save_path: Path | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # An eval run's results read back into the advice (``recommend --evidence``); kept across answers.
    evidence: Any = None

    # --- building -----------------------------------------------------------------------------

    @classmethod
    def start(cls, engine: Engine, answers: Mapping[str, Any] | None = None, save_path: Path | str | None = None,
              metadata: Mapping[str, Any] | None = None) -> "InterviewSession":
        """A session pre-filled with (already validated) ``answers``."""
        session = cls(engine=engine, answered=tuple((answers or {}).items()),
                      save_path=Path(save_path) if save_path else None, metadata=dict(metadata or {}))
        return session

    @property
    def answers(self) -> dict[str, Any]:
        return dict(self.answered)

    # --- asking -------------------------------------------------------------------------------

    def pending(self) -> list[str]:
        return self._ordered(self.answers)

    def _ordered(self, answers: Mapping[str, Any]) -> list[str]:
        """The engine's open questions, with the numbers a question can be derived from asked before it.

        The rule base marks these with ``derivable_from`` (the cost questions answer the yes/no volume
        question), so the user gives the numbers first and is asked the yes/no only if they do not settle it.
        """
        questions = self.engine.rulebase.questions
        ordered: list[str] = []
        for qid in self.engine.next_questions(answers):
            q = questions.get(qid)
            if q is not None and q.derivable_from and answers.get(qid) is None:
                ordered.extend(d for d in q.derivable_from
                               if d in questions and answers.get(d) is None and d not in ordered)
            if qid not in ordered:
                ordered.append(qid)
        return ordered

    def current_question(self) -> str | None:
        """The next question to ask, or None when the interview is complete."""
        pending = self.pending()
        return pending[0] if pending else None

    @property
    def finished(self) -> bool:
        return self.current_question() is None

    def view(self, question_id: str) -> QuestionView:
        rb = self.engine.rulebase
        q: Question = rb.questions[question_id]
        choices = [(c, rb.choice_label(q, c)) for c in (rb.choices(q) or [])]
        return QuestionView(
            id=q.id, text=q.text, help=" ".join(q.help.split()), type=q.type, choices=choices,
            allows_unsure=q.allows_unsure,
            unsure_note=" ".join(q.unsure.because.split()) if q.unsure else None,
            why=self.engine.rules_using(q.id),
            minimum=q.domain.min, maximum=q.domain.max, current=self.answers.get(q.id),
            # A plan question whose answer can still change the path (it feeds a derived decision) is asked as one.
            role="decision" if q.id in self.engine.open_decision_questions(self.answers) else q.role,
        )

    def progress(self) -> tuple[int, int]:
        """(questions answered that matter, answered + still to ask) for a progress indicator."""
        asked = [qid for qid, _ in self.answered if qid in self.engine.rulebase.questions]
        remaining = self._remaining_estimate()
        return len(asked), len(asked) + remaining

    def _remaining_estimate(self) -> int:
        # Decision questions still open, plus the plan questions of the most likely path.
        answers = self.answers
        decision = self.engine.open_decision_questions(answers)
        if decision:
            paths = self.engine.possible_paths(answers)
            plan = self.engine.open_plan_questions(answers, paths[0]) if paths else []
            return len(decision) + len([q for q in plan if q not in decision])
        return len(self.engine.open_plan_questions(answers))

    def decided_path(self) -> str | None:
        """The path once nothing left to ask can change it (plan questions may still be open).

        None while a remaining question could still change the path, including the cost questions
        from which the economics would derive a decision answer given as "not sure"."""
        answers = self.answers
        return self.engine.decide(answers) if self.engine.settled(answers) else None

    def possible_paths(self) -> list[str]:
        return self.engine.possible_paths(self.answers)

    def recommendation(self) -> Recommendation:
        if self.evidence is None:
            return self.engine.recommend(self.answers)
        from advisor.engine.evidence import apply_to_answers, attach

        answers, how = apply_to_answers(self.answers, self.evidence)
        return attach(self.engine.recommend(answers), self.evidence, how)

    def with_evidence(self, results: Path | str) -> "InterviewSession":
        """This session with an eval run's ``results.json`` as evidence (:class:`InputError` names a bad file)."""
        from advisor.engine.evidence import load_evidence

        return replace(self, evidence=load_evidence(results))

    # --- answering ----------------------------------------------------------------------------

    def validate(self, question_id: str, value: Any) -> Any:
        """The canonical value, or ``ValueError`` with a message to show inline."""
        rb = self.engine.rulebase
        q = rb.questions[question_id]
        canonical = validate_answer(q, value, rb.choices(q))
        self._check_bounds(question_id, canonical)
        return canonical

    def _check_bounds(self, question_id: str, value: Any) -> None:
        """Answers bounded by another answer (a cached prefix is part of the whole input)."""
        answers = self.answers
        for part, whole in _PART_OF.items():
            if question_id == part:
                other = answers.get(whole)
                if isinstance(value, (int, float)) and isinstance(other, (int, float)) and value > other:
                    raise ValueError(f"the cacheable prefix ({show(value)} tokens) cannot be larger than the whole "
                                     f"input ({show(other)} tokens per request)")
            elif question_id == whole:
                other = answers.get(part)
                if isinstance(value, (int, float)) and isinstance(other, (int, float)) and other > value:
                    raise ValueError(f"the whole input ({show(value)} tokens) cannot be smaller than the cacheable "
                                     f"prefix you gave ({show(other)} tokens); change that answer first")

    def answer(self, question_id: str, value: Any) -> "InterviewSession":
        """A new session with this answer; answers that depended on an old value are cleared."""
        canonical = self.validate(question_id, value)
        existing = dict(self.answered)
        if question_id in existing:
            items = [(k, canonical if k == question_id else v) for k, v in self.answered]
            return self._replay(items)
        return replace(self, answered=self.answered + ((question_id, canonical),))

    def back(self) -> "InterviewSession":
        """Undo the last answer."""
        if not self.answered:
            return self
        return replace(self, answered=self.answered[:-1])

    def clear(self, question_id: str) -> "InterviewSession":
        return self._replay([(k, v) for k, v in self.answered if k != question_id])

    def _replay(self, items: list[tuple[str, Any]]) -> "InterviewSession":
        """Keep only answers the engine still asks for, replaying from an empty session."""
        wanted = dict(items)
        kept: dict[str, Any] = {}
        while True:
            pending = [q for q in self._ordered(kept) if q in wanted and q not in kept]
            if not pending:
                break
            kept[pending[0]] = wanted[pending[0]]
        # Keep the order in which they were given, so `back` still undoes the latest.
        order = [k for k, _ in items if k in kept]
        return replace(self, answered=tuple((k, kept[k]) for k in order))

    def dropped_by(self, question_id: str, value: Any) -> list[str]:
        """Which answers changing ``question_id`` to ``value`` would clear (to warn before doing it)."""
        after = self.answer(question_id, value)
        return [k for k, _ in self.answered if k not in after.answers]

    # --- saving ---------------------------------------------------------------------------------

    def save(self, path: Path | str | None = None) -> Path | None:
        """Write answers in the answers-file format (atomic). Returns the path written, if any."""
        target = Path(path) if path else self.save_path
        if target is None:
            return None
        meta = dict(self.metadata)
        meta.setdefault("advisor_answers_version", 1)
        meta["ruleset"] = {"version": self.engine.rulebase.version, "hash": self.engine.rulebase.hash}
        save_answers(target, self.answers, meta)
        return target
