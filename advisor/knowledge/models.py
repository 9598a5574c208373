"""Pydantic models for every file in a rule base (``rules/``). All reject unknown keys."""


import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from advisor.knowledge.conditions import Condition, ConditionSyntaxError, parse_condition

PathId = Literal["rag", "few_shot", "build_evals", "stay_on_prompts", "distill", "bedrock_fine_tune"]
PATH_IDS: tuple[str, ...] = ("rag", "few_shot", "build_evals", "stay_on_prompts", "distill", "bedrock_fine_tune")


def _to_condition(value: Any) -> Condition:
    if isinstance(value, Condition):
        return value
    try:
        return parse_condition(value)
    except ConditionSyntaxError as exc:
        raise ValueError(exc.message) from None


ConditionField = Annotated[Condition, BeforeValidator(_to_condition), PlainSerializer(lambda c: c.text, return_type=str)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True, defer_build=True)


class Cited(Strict):
    """Anything that carries a reason and sources."""

    because: str = Field(min_length=1)
    sources: list[str] = Field(min_length=1)


# --- ruleset.yaml, sources.yaml -------------------------------------------------------------

class RulesetInfo(Strict):
    name: str
    version: str
    description: str = ""
    stale_after_days: int = Field(default=365, ge=1)
    fine_tune_model: str


class Source(Strict):
    id: str
    title: str
    ref: str = Field(description="seed file name or URL")
    as_of: dt.date
    published: dt.date | None = None


class SourcesFile(Strict):
    sources: list[Source]


# --- questions.yaml ----------------------------------------------------------------------------

class Unsure(Strict):
    allowed: bool = True
    assume: Any
    because: str = Field(min_length=1)


class Domain(Strict):
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    choices: list[str] | None = None


class Question(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str
    help: str
    type: Literal["bool", "int", "number", "choice", "text"]
    role: Literal["decision", "plan"]
    domain: Domain = Domain()
    choices_from: Literal["symptoms", "problem_types"] | None = None
    unsure: Unsure | None = None
    # Questions whose answers let the engine derive this one (the economics derives the volume question).
    derivable_from: list[str] = []

    @model_validator(mode="after")
    def _choices_present(self) -> "Question":
        if self.type == "choice" and not (self.choices_from or (self.domain.choices)):
            raise ValueError("a choice question needs domain.choices or choices_from")
        return self

    @property
    def allows_unsure(self) -> bool:
        return self.unsure is not None and self.unsure.allowed


class QuestionsFile(Strict):
    questions: list[Question]


# --- outcomes.yaml, decision.yaml ------------------------------------------------------------------

class Outcome(Strict):
    id: PathId
    title: str
    summary: str
    plan_questions: list[str] = []
    next_steps: list[str] = []


class OutcomesFile(Strict):
    outcomes: list[Outcome]


class DecisionRule(Cited):
    id: str
    priority: int
    when: list[ConditionField] = Field(min_length=1)
    then: PathId


class DecisionFile(Strict):
    hit_policy: Literal["priority"]
    rules: list[DecisionRule]


# --- hyperparameters.yaml ------------------------------------------------------------------------

class HyperparameterRule(Cited):
    id: str
    when: ConditionField
    value: float
    range: tuple[float, float]

    @model_validator(mode="after")
    def _value_in_range(self) -> "HyperparameterRule":
        low, high = self.range
        if low > high:
            raise ValueError(f"range [{low}, {high}] is empty")
        if not low <= self.value <= high:
            raise ValueError(f"value {self.value} lies outside its own range [{low}, {high}]")
        return self


class HyperparameterSpec(Strict):
    name: str
    rules: list[HyperparameterRule] = Field(min_length=1)


class HyperparametersFile(Strict):
    applies_to: list[PathId]
    requires: list[str]
    parameters: list[HyperparameterSpec]


# --- warnings.yaml -------------------------------------------------------------------------------

class WarningRule(Cited):
    id: str
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    applies_to: list[PathId] | None = None
    when: ConditionField
    message: str


class WarningsFile(Strict):
    warnings: list[WarningRule]


# --- tables -------------------------------------------------------------------------------------

class Symptom(Strict):
    id: str
    says: str
    cause: str
    fix: str
    points_to: PathId | None
    sources: list[str] = Field(min_length=1)


class SymptomsFile(Strict):
    symptoms: list[Symptom]


Likelihood = Literal["very_high", "high", "medium", "low", "unknown"]


class ProblemType(Strict):
    id: str
    problem: str
    example: str
    fine_tuning: Likelihood
    prompting_rag: Likelihood
    sources: list[str] = Field(min_length=1)


class ProblemTypesFile(Strict):
    problem_types: list[ProblemType]


class ReadinessItem(Strict):
    id: str
    text: str
    when: ConditionField
    sources: list[str] = Field(min_length=1)


class ReadinessFile(Strict):
    readiness: list[ReadinessItem]


class UseCase(Strict):
    id: str
    name: str
    example: str
    sources: list[str] = Field(min_length=1)


class ReportedOutcome(Strict):
    id: str
    text: str
    sources: list[str] = Field(min_length=1)


class UseCasesFile(Strict):
    use_cases: list[UseCase]
    reported_outcomes: list[ReportedOutcome] = []


# --- models.yaml ----------------------------------------------------------------------------------

class HyperparameterRange(Strict):
    type: Literal["int", "float"]
    default: float
    min: float
    max: float
    description: str = ""


class Lifecycle(Strict):
    status: Literal["active", "legacy", "end_of_life"]
    end_of_life: dt.date | None = None
    note: str = ""
    sources: list[str] = []


class ModelLimits(Strict):
    """Dataset limits. A numeric limit of None means AWS does not document it: checks against it are
    skipped (and reported as such), never invented."""

    max_tokens_per_record: int | None = None
    chars_per_token_estimate: float = 3
    min_training_records: int | None = None
    max_training_records: int | None = None
    min_validation_records: int | None = None
    max_validation_records: int | None = None
    max_total_records: int | None = None
    max_training_file_bytes: int | None = None
    max_validation_file_bytes: int | None = None
    recommended_min_records: int | None = None
    reserved_strings: list[str] = []


class ModelSpec(Strict):
    id: str
    name: str
    provider: str
    base_model_id: str
    inference_model_id: str | None = None
    regions: list[str]
    customization_types: list[str] = []
    record_format: str
    uses_validation_set: bool = True
    tool_use_in_sft: bool = False
    prompt_caching: bool = False
    lifecycle: Lifecycle
    hyperparameters: dict[str, HyperparameterRange] = {}
    hyperparameter_sources: list[str] = []
    limits: ModelLimits | None = None
    limit_sources: list[str] = []
    sources: list[str] = []

    def past_end_of_life(self, today: dt.date) -> bool:
        return self.lifecycle.end_of_life is not None and today > self.lifecycle.end_of_life


class ModelsFile(Strict):
    models: list[ModelSpec]


# --- scenarios/*.yaml ---------------------------------------------------------------------------

class ScenarioExpect(Strict):
    path: PathId | None = None
    undetermined: bool = False
    fired: list[str] = []
    missing_includes: list[str] = []
    hyperparameters: dict[str, float | tuple[float, float]] = {}
    warnings: list[str] = []
    no_warnings: list[str] = []
    assumptions: list[str] = []


class Scenario(Strict):
    name: str
    given: dict[str, Any]
    expect: ScenarioExpect
    today: dt.date | None = None


class ScenariosFile(Strict):
    scenarios: list[Scenario]
