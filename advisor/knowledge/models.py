"""Pydantic models for every file in a rule base (``rules/``). All reject unknown keys."""


import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from advisor.knowledge.conditions import Condition, ConditionSyntaxError, parse_condition

# Path and outcome ids are rule data (outcomes.yaml); `rules check` proves every reference resolves.
PathId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
# The contract's path ids (contract.md); kept for callers that list them, the rule base is the authority.
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

class ConfidenceWeights(Strict):
    """How much each kind of doubt lowers the confidence score (1.0 = nothing in doubt)."""

    decision_assumption: float = Field(default=0.25, ge=0, le=1)
    plan_assumption: float = Field(default=0.05, ge=0, le=1)
    serious_warning: float = Field(default=0.15, ge=0, le=1)
    derived_answer: float = Field(default=0.0, ge=0, le=1)
    high_from: float = Field(default=0.8, ge=0, le=1)
    medium_from: float = Field(default=0.5, ge=0, le=1)
    sources: list[str] = []


class FactSpec(Strict):
    """A value the engine computes (not asked), usable in conditions and messages."""

    type: Literal["bool", "int", "number", "text", "date"]
    description: str
    # Representative values for `rules check` (bool facts default to true/false).
    examples: list[Any] = []


class RulesetInfo(Strict):
    name: str
    version: str
    description: str = ""
    stale_after_days: int = Field(default=365, ge=1)
    # The catalogue entry the dataset tooling defaults to (the engine chooses its target itself).
    fine_tune_model: str
    confidence: ConfidenceWeights = ConfidenceWeights()
    facts: dict[str, FactSpec] = {}


class Source(Strict):
    id: str
    title: str
    ref: str = Field(description="seed file name or URL")
    publisher: str = ""
    url: str | None = None
    as_of: dt.date
    published: dt.date | None = None

    @property
    def link(self) -> str | None:
        """A link a reader can follow: ``url``, else ``ref`` when it is a URL (never a file name)."""
        if self.url:
            return self.url
        return self.ref if self.ref.startswith(("http://", "https://")) else None


class SourcesFile(Strict):
    sources: list[Source]


# --- questions.yaml ----------------------------------------------------------------------------

class Unsure(Strict):
    allowed: bool = True
    # The value assumed; the string "unsure" keeps the answer as "unsure" for the decision table.
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
    # How an answer reads in a sentence ("You said {...}"): `if_yes`/`if_no` for bool questions, `value`
    # with {value} for the others, `unsure` for a kept "not sure". Explanations fall back to the question.
    says: dict[Literal["if_yes", "if_no", "value", "unsure"], str] = {}

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

OutcomePart = Literal["model", "hyperparameters", "economics", "readiness"]


class ProCon(Strict):
    """One argument for or against an outcome, in a sentence, with the sources it comes from (the ADR's
    "Pros and Cons of the Options" show them for every option, chosen or not)."""

    text: str
    sources: list[str] = []


class Outcome(Strict):
    """One exit of the decision table. ``path`` is the contract's path id (defaults to ``id``); two
    outcomes may share a path when their reasons differ (staying on Claude is a way of staying on prompts)."""

    id: PathId
    path: PathId | None = None
    title: str
    summary: str
    # "You said ..., so {ruled_out_as} was ruled out."
    ruled_out_as: str = ""
    # What this outcome carries: a target model from the catalogue, hyperparameters, economics, a readiness checklist.
    carries: list[OutcomePart] = []
    # The customisation type the target model must support (models.yaml customization_types).
    customization_type: str | None = None
    plan_questions: list[str] = []
    next_steps: list[str] = []
    readiness: list[str] | None = None  # readiness item ids shown (all when None)
    sources: list[str] = []
    # What speaks for and against this way, whatever the answers (the ADR's pros and cons).
    pros: list[ProCon] = []
    cons: list[ProCon] = []

    @property
    def path_id(self) -> str:
        return self.path or self.id


class OutcomesFile(Strict):
    outcomes: list[Outcome]


class DecisionRule(Cited):
    id: str
    priority: int
    when: list[ConditionField] = Field(min_length=1)
    then: PathId
    # Caps the confidence when this rule decides (e.g. measuring first because answers were unsure).
    max_confidence: float | None = Field(default=None, ge=0, le=1)


class DecisionFile(Strict):
    hit_policy: Literal["priority"]
    rules: list[DecisionRule]


# --- hyperparameters.yaml ------------------------------------------------------------------------

class ValueFrom(Strict):
    """A value computed from an answer: ``question / divide_by``, rounded up to ``round_up_to``,
    then kept inside the rule's range (the report says when it was)."""

    question: str
    divide_by: float = Field(default=1.0, gt=0)
    round_up_to: int | None = Field(default=None, ge=1)


class HyperparameterRule(Cited):
    id: str
    when: ConditionField
    value: float | None = None
    value_from: ValueFrom | None = None
    range: tuple[float, float]

    @model_validator(mode="after")
    def _value_in_range(self) -> "HyperparameterRule":
        low, high = self.range
        if low > high:
            raise ValueError(f"range [{low}, {high}] is empty")
        if (self.value is None) == (self.value_from is None):
            raise ValueError("give exactly one of value and value_from")
        if self.value is not None and not low <= self.value <= high:
            raise ValueError(f"value {self.value} lies outside its own range [{low}, {high}]")
        return self


class HyperparameterSpec(Strict):
    name: str
    # False for advice that is not a setting of the training API (e.g. how often to repeat the data).
    api: bool = True
    type: Literal["int", "float"] | None = None
    rules: list[HyperparameterRule] = Field(min_length=1)


class HyperparameterTable(Strict):
    """Heuristics for one model family (catalogue ids in ``models``) or for a path's own training (``paths``)."""

    id: str
    title: str
    models: list[str] = []
    paths: list[PathId] = []
    requires: list[str]
    parameters: list[HyperparameterSpec]
    sources: list[str] = []
    # Kept for history (its models are past end of life): never used for new advice, not counted in coverage.
    history: bool = False


class HyperparametersFile(Strict):
    tables: list[HyperparameterTable]

    @property
    def requires(self) -> list[str]:
        return list(dict.fromkeys(q for t in self.tables for q in t.requires))

    def for_model(self, model_id: str | None) -> "HyperparameterTable | None":
        return next((t for t in self.tables if model_id is not None and model_id in t.models and not t.history), None)

    def for_path(self, path: str | None) -> "HyperparameterTable | None":
        return next((t for t in self.tables if path is not None and path in t.paths), None)


# --- warnings.yaml -------------------------------------------------------------------------------

class WarningRule(Cited):
    id: str
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = ""
    # serious warnings lower the confidence (ruleset.yaml confidence.serious_warning)
    severity: Literal["serious", "advice"] = "advice"
    # Caps the confidence when the warning fires (a plan without a target cannot be advice of high confidence).
    max_confidence: float | None = Field(default=None, ge=0, le=1)
    applies_to: list[PathId] | None = None  # outcome ids
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
    # Items that no answer can settle (licences, terms of service) are listed to check by hand.
    manual: bool = False


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
    """``status`` as last seen; ``status_on(date)`` also applies the dates (past ``end_of_life`` is eol)."""

    status: Literal["active", "legacy", "eol"]
    legacy_since: dt.date | None = None
    end_of_life: dt.date | None = None
    note: str = ""
    sources: list[str] = []


class ModelLimits(Strict):
    """Documented limits; None means AWS does not document it (unknown: checks are skipped, never invented)."""

    max_tokens_per_record: int | None = None
    chars_per_token_estimate: float = 3.0
    min_training_records: int | None = None
    max_training_records: int | None = None
    min_validation_records: int | None = None
    max_validation_records: int | None = None
    max_total_records: int | None = None
    max_training_file_bytes: int | None = None
    max_validation_file_bytes: int | None = None
    recommended_min_records: int | None = None
    reserved_strings: list[str] = []


CustomizationType = Literal["FINE_TUNING", "DISTILLATION_STUDENT", "DISTILLATION_TEACHER", "REINFORCEMENT_FINE_TUNING"]


class ModelSpec(Strict):
    id: str
    name: str
    provider: str
    base_model_id: str
    inference_model_id: str | None = None
    regions: list[str]
    customization_types: list[CustomizationType] = []
    modalities: list[Literal["text", "image", "video"]] = ["text"]
    record_format: Literal["bedrock-claude-conversation", "bedrock-conversation-2024"]
    uses_validation_set: bool = True
    tool_use_in_sft: bool = False
    # Tasks the model's fine-tuning documentation rules out (e.g. "tool_use" for Nova 2 SFT).
    unsupported_tasks: list[str] = []
    # How a custom copy is served: per-token on-demand deployment and/or hourly Provisioned Throughput.
    serving: list[Literal["on_demand_deployment", "provisioned_throughput"]] = ["provisioned_throughput"]
    # Lower is preferred when several models fit (the smallest, cheapest model that fits first).
    preference: int = 100
    prompt_caching: bool = False  # Bedrock takes a cachePoint for this model (prompt_caching_sources)
    prompt_caching_sources: list[str] = []
    lifecycle: Lifecycle
    hyperparameters: dict[str, HyperparameterRange] = {}
    hyperparameter_sources: list[str] = []
    limits: ModelLimits = ModelLimits()
    limit_sources: list[str] = []
    sources: list[str] = []

    def status_on(self, today: dt.date) -> str:
        """active, legacy or eol on ``today`` (the dates win over the status last seen)."""
        lc = self.lifecycle
        if lc.status == "eol" or (lc.end_of_life is not None and today > lc.end_of_life):
            return "eol"
        if lc.status == "legacy" or (lc.legacy_since is not None and today >= lc.legacy_since):
            return "legacy"
        return "active"

    def past_end_of_life(self, today: dt.date) -> bool:
        return self.status_on(today) == "eol"


class ModelsFile(Strict):
    models: list[ModelSpec]


# --- scenarios/*.yaml ---------------------------------------------------------------------------

class ScenarioExpect(Strict):
    path: PathId | None = None
    undetermined: bool = False
    fired: list[str] = []
    missing_includes: list[str] = []
    hyperparameters: dict[str, float | tuple[float, float]] = {}
    model: str | None = None  # catalogue id of the target, or "none" for no target
    outcome: str | None = None
    confidence: Literal["high", "medium", "low"] | None = None
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
