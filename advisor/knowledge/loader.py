"""Load a rule base directory into validated models, collecting every schema error with file:line."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from advisor.errors import InputError, Location, RuleBaseError
from advisor.knowledge import models as m
from advisor.knowledge.yamlio import YamlDocument, read_yaml

__all__ = ["RuleBase", "load_rulebase", "default_rules_dir", "RULE_FILES"]

# file name -> (schema, required). Optional files may be absent in a custom rule base.
RULE_FILES: dict[str, tuple[type[BaseModel], bool]] = {
    "ruleset.yaml": (m.RulesetInfo, True),
    "sources.yaml": (m.SourcesFile, True),
    "questions.yaml": (m.QuestionsFile, True),
    "outcomes.yaml": (m.OutcomesFile, True),
    "decision.yaml": (m.DecisionFile, True),
    "hyperparameters.yaml": (m.HyperparametersFile, False),
    "warnings.yaml": (m.WarningsFile, False),
    "symptoms.yaml": (m.SymptomsFile, False),
    "problem_types.yaml": (m.ProblemTypesFile, False),
    "readiness.yaml": (m.ReadinessFile, False),
    "use_cases.yaml": (m.UseCasesFile, False),
    "models.yaml": (m.ModelsFile, False),
}
SCENARIO_DIR = "scenarios"


def default_rules_dir() -> Path:
    """The shipped rule base: inside the installed wheel, or ``rules/`` beside the package in a checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_rules"
    if packaged.is_dir():
        return packaged
    return here.parent / "rules"


@dataclass
class RuleBase:
    """A validated rule base. ``documents`` keeps each file's node tree for locating findings."""

    directory: Path
    info: m.RulesetInfo
    sources: dict[str, m.Source]
    questions: dict[str, m.Question]
    outcomes: dict[str, m.Outcome]
    decision: m.DecisionFile
    hyperparameters: m.HyperparametersFile | None
    warnings: list[m.WarningRule]
    symptoms: dict[str, m.Symptom]
    problem_types: dict[str, m.ProblemType]
    readiness: list[m.ReadinessItem]
    use_cases: m.UseCasesFile | None
    models: dict[str, m.ModelSpec]
    hash: str
    documents: dict[str, YamlDocument] = field(default_factory=dict, repr=False)
    extras: dict[str, Any] = field(default_factory=dict, repr=False)

    def load_scenarios(self) -> list[tuple[str, int, m.Scenario]]:
        """The scenario tests in ``scenarios/*.yaml`` as (file, line, scenario).

        Read on demand (``rules check``, pytest): they test the knowledge, they are not part of it, so
        they neither slow a recommendation nor change the rule base's hash. Problems raise
        :class:`RuleBaseError` listing each with its file and line.
        """
        problems: list[RuleBaseError] = []
        scenarios: list[tuple[str, int, m.Scenario]] = []
        scenario_dir = self.directory / SCENARIO_DIR
        for path in sorted(scenario_dir.glob("*.yaml")) if scenario_dir.is_dir() else []:
            rel = f"{SCENARIO_DIR}/{path.name}"
            try:
                doc = read_yaml(path)
            except InputError as exc:
                problems.append(RuleBaseError(exc.message, exc.location))
                continue
            self.documents[rel] = doc
            parsed = _validate(doc, m.ScenariosFile, problems)
            if parsed is not None:
                for i, sc in enumerate(parsed.scenarios):
                    scenarios.append((rel, doc.locate(("scenarios", i)).line or 0, sc))
        if problems:
            raise RuleBaseError(f"{len(problems)} problem(s) in scenarios", Location(str(scenario_dir)), problems)
        return scenarios

    @property
    def version(self) -> str:
        return self.info.version

    @property
    def fine_tune_model(self) -> m.ModelSpec | None:
        return self.models.get(self.info.fine_tune_model)

    def choices(self, question: m.Question) -> list[str] | None:
        """The allowed values of a choice question (from its domain or the table it names)."""
        if question.domain.choices:
            return list(question.domain.choices)
        if question.choices_from == "symptoms":
            return list(self.symptoms)
        if question.choices_from == "problem_types":
            return list(self.problem_types)
        return None

    def choice_label(self, question: m.Question, value: str) -> str:
        if question.choices_from == "symptoms" and value in self.symptoms:
            return self.symptoms[value].says
        if question.choices_from == "problem_types" and value in self.problem_types:
            return self.problem_types[value].problem
        return value

    def locate(self, file: str, loc: tuple[Any, ...]) -> Location:
        doc = self.documents.get(file)
        if doc is None:
            return Location(str(self.directory / file))
        return doc.locate(loc)

    def locate_rule(self, rule_id: str) -> Location:
        """Where a rule (decision, hyperparameter, warning or readiness item) is defined."""
        for file, key in (("decision.yaml", "rules"), ("warnings.yaml", "warnings"), ("readiness.yaml", "readiness")):
            doc = self.documents.get(file)
            if doc and isinstance(doc.data, dict):
                for i, item in enumerate(doc.data.get(key) or []):
                    if isinstance(item, dict) and item.get("id") == rule_id:
                        return doc.locate((key, i))
        doc = self.documents.get("hyperparameters.yaml")
        if doc and isinstance(doc.data, dict):
            for i, param in enumerate(doc.data.get("parameters") or []):
                for j, item in enumerate((param or {}).get("rules") or []):
                    if isinstance(item, dict) and item.get("id") == rule_id:
                        return doc.locate(("parameters", i, "rules", j))
        return Location(str(self.directory))


def _validate(doc: YamlDocument, schema: type[BaseModel], problems: list[RuleBaseError]) -> BaseModel | None:
    if not isinstance(doc.data, dict):
        problems.append(RuleBaseError("expected a mapping at the top of the file", doc.locate(())))
        return None
    try:
        return schema.model_validate(doc.data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            dotted = ".".join(str(p) for p in loc) or "(top)"
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(RuleBaseError(f"{dotted}: {msg}", doc.locate(loc)))
        return None


def _content_hash(files: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()[:16]


def load_rulebase(rules_dir: Path | str | None = None) -> RuleBase:
    """Read, validate and index a rule base. Raises :class:`RuleBaseError` listing every problem.

    Cross-references (undefined ids, cycles, …) are *not* checked here; ``advisor rules check`` does that.
    """
    root = Path(rules_dir) if rules_dir is not None else default_rules_dir()
    if not root.is_dir():
        raise InputError("rule base directory not found", Location(str(root)))
    problems: list[RuleBaseError] = []
    parsed: dict[str, Any] = {}
    documents: dict[str, YamlDocument] = {}
    read_files: list[Path] = []
    for name, (schema, required) in RULE_FILES.items():
        path = root / name
        if not path.exists():
            if required:
                problems.append(RuleBaseError(f"missing required file {name}", Location(str(path))))
            continue
        try:
            doc = read_yaml(path)
        except InputError as exc:
            problems.append(RuleBaseError(exc.message, exc.location))
            continue
        read_files.append(path)
        documents[name] = doc
        parsed[name] = _validate(doc, schema, problems)

    # Extension files (e.g. prices.yaml) register a loader here; see advisor.knowledge.extensions.
    from advisor.knowledge.extensions import EXTENSION_FILES

    extras: dict[str, Any] = {}
    for name, (schema, _required) in EXTENSION_FILES.items():
        path = root / name
        if not path.exists():
            continue
        try:
            doc = read_yaml(path)
        except InputError as exc:
            problems.append(RuleBaseError(exc.message, exc.location))
            continue
        read_files.append(path)
        documents[name] = doc
        extras[name] = _validate(doc, schema, problems)

    if problems:
        raise RuleBaseError(f"{len(problems)} problem(s) in rule base {root}", Location(str(root)), problems)

    def by_id(items):
        return {item.id: item for item in items}

    get = parsed.get
    return RuleBase(
        directory=root,
        info=get("ruleset.yaml"),
        sources=by_id(get("sources.yaml").sources),
        questions=by_id(get("questions.yaml").questions),
        outcomes=by_id(get("outcomes.yaml").outcomes),
        decision=get("decision.yaml"),
        hyperparameters=get("hyperparameters.yaml"),
        warnings=list(get("warnings.yaml").warnings) if get("warnings.yaml") else [],
        symptoms=by_id(get("symptoms.yaml").symptoms) if get("symptoms.yaml") else {},
        problem_types=by_id(get("problem_types.yaml").problem_types) if get("problem_types.yaml") else {},
        readiness=list(get("readiness.yaml").readiness) if get("readiness.yaml") else [],
        use_cases=get("use_cases.yaml"),
        models=by_id(get("models.yaml").models) if get("models.yaml") else {},
        hash=_content_hash(read_files, root),
        documents=documents,
        extras=extras,
    )
