"""The one object every renderer reads: a :class:`Recommendation` and its parts.

Nothing downstream re-derives a decision; the TUI, the reports and the launchers render this data.
"""


from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from advisor.economics.report import EconomicsReport
from advisor.engine.hyperparameters import HyperparameterChoice
from advisor.knowledge.refs import SourceRef

SCHEMA_VERSION = 1

__all__ = ["Assumption", "Confidence", "ConditionResult", "Evidence", "EvidenceComparison", "EvidenceVariant",
           "FiredRule", "Flip", "ModelLifecycle", "ModelRef", "Note", "ReadinessCheck", "Recommendation", "RuledOut",
           "RulesetRef", "SourceRef", "Warning"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


class ConditionResult(Frozen):
    """One condition of a rule: its text, the values it read, and its three-valued result."""

    condition: str
    values: dict[str, Any]
    result: Literal["true", "false", "unknown"]


class FiredRule(Frozen):
    """A rule that contributed to the recommendation (decision, hyperparameter, warning or readiness)."""

    rule: str
    kind: Literal["decision", "model", "hyperparameter", "warning"]
    because: str
    sources: list[SourceRef]
    conditions: list[ConditionResult]
    conclusion: str
    # The answers this rule read, as sentences ("You said ..."), for readers; ids stay in `conditions`.
    answers_said: list[str] = []


class RuledOut(Frozen):
    """Why another path was not chosen: the first condition of its rule that failed (or is still open)."""

    path: str
    title: str
    rule: str
    status: Literal["ruled_out", "still_possible", "outranked"]
    condition: ConditionResult | None
    explanation: str


class Flip(Frozen):
    """An answer that, if different, would change the advice."""

    question: str
    question_text: str
    current: Any
    alternative: Any
    path: str | None
    possible_paths: list[str] = []
    explanation: str


class Assumption(Frozen):
    question: str
    assumed: Any
    because: str


class Warning(Frozen):
    code: str
    message: str
    title: str = ""
    severity: Literal["serious", "advice"] = "advice"
    rule: str = ""
    sources: list[SourceRef] = []


class ReadinessCheck(Frozen):
    id: str
    text: str
    status: Literal["met", "not_met", "unknown", "check"]  # "check": no answer can settle it; check by hand
    sources: list[SourceRef] = []


class Note(Frozen):
    """Context the answers add: the fix for a symptom, the problem type's likelihood of success."""

    kind: str
    title: str
    text: str
    sources: list[SourceRef] = []


class Confidence(Frozen):
    level: Literal["high", "medium", "low"]
    score: float
    reasons: list[str]


class RulesetRef(Frozen):
    name: str
    version: str
    hash: str
    knowledge_as_of: str
    stale_sources: list[str] = []


class ModelLifecycle(Frozen):
    status: Literal["active", "legacy", "eol"]
    end_of_life: str | None


class ModelRef(Frozen):
    """The target chosen from the catalogue (contract.md: id, name, base_model_id, region, lifecycle)."""

    id: str
    name: str
    base_model_id: str
    region: str
    lifecycle: ModelLifecycle
    record_format: str
    serving: list[str]
    reasons: list[str] = []


class EvidenceComparison(Frozen):
    """One paired difference between two variants of an eval run (b minus a, points on 0-100)."""

    a: str
    b: str
    metric: str
    difference: float
    ci_low: float | None = None
    ci_high: float | None = None
    confidence: float | None = None
    n: int | None = None
    significant: bool = False


class EvidenceVariant(Frozen):
    name: str
    model: str = ""
    value: float | None = None  # the primary metric, 0-100
    ci_low: float | None = None
    ci_high: float | None = None
    examples: int = 0
    errors: int = 0


class Evidence(Frozen):
    """An eval run's ``results.json`` read back into the advice (``recommend --evidence``)."""

    file: str
    name: str
    metric: str
    primary_metric: str
    started_at: str | None = None
    variants: list[EvidenceVariant] = []
    comparisons: list[EvidenceComparison] = []
    # what the evidence did to ``gap_measured_with_evals``: "answered" (set to true), "kept_user_answer"
    # (the user's explicit answer wins) or "already_true"
    gap_answer: str = "answered"
    summary: str = ""


class Recommendation(Frozen):
    """What to do, why, and what would change it. ``path`` is None while answers are missing."""

    schema_version: int = SCHEMA_VERSION
    path: str | None
    # The outcome of the decision table (several outcomes may share a path) and the date the advice was made.
    outcome: str | None = None
    date: str
    # What the outcome carries, from the rule base: model, hyperparameters, economics, readiness.
    shows: list[str] = []
    title: str | None
    summary: str | None
    confidence: Confidence | None
    possible_paths: list[str]
    trace: list[FiredRule]
    alternatives: list[RuledOut]
    what_would_change: list[Flip]
    hyperparameters: dict[str, float | int] | None
    hyperparameter_details: list[HyperparameterChoice]
    warnings: list[Warning]
    assumptions: list[Assumption]
    missing: list[str]
    required_missing: list[str]
    readiness: list[ReadinessCheck]
    notes: list[Note]
    next_steps: list[str]
    answers: dict[str, Any]
    model: ModelRef | None
    ruleset: RulesetRef
    economics: EconomicsReport | None = None
    project_name: str | None = None
    evidence: Evidence | None = None  # eval results given with --evidence (issue 15)

    @property
    def determined(self) -> bool:
        return self.path is not None

    def contract_json(self) -> dict[str, Any]:
        """The ``recommend --format json`` object (contract.md), with extra keys after the contract's."""
        data = self.model_dump(mode="json")
        if self.hyperparameters is None:
            data.pop("hyperparameters")
        if self.evidence is None:
            data.pop("evidence")
        if self.path is None:
            for key in ("path", "outcome", "title", "summary", "trace"):
                data.pop(key, None)
        return data
