"""Load a rule base directory into validated models, collecting every schema error with file:line.

A rule base that validated once is kept in the user's cache folder (see :mod:`advisor.knowledge.cache`)
and read back from there while its files, the advisor version and the schemas stay the same.
"""

from __future__ import annotations

import hashlib
from collections import UserDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, MutableMapping

from pydantic import BaseModel

from advisor.errors import InputError, Location, RuleBaseError
from advisor.knowledge import cache
from advisor.knowledge import models as m
from advisor.knowledge.prices import PricesFile
from advisor.knowledge.validation import validate_document
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
    "prices.yaml": (PricesFile, False),
}
SCENARIO_DIR = "scenarios"


def default_rules_dir() -> Path:
    """The shipped rule base: inside the installed wheel, or ``rules/`` beside the package in a checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_rules"
    if packaged.is_dir():
        return packaged
    return here.parent / "rules"


class _Documents(UserDict):
    """The rule files' node trees, parsed on first use when the rule base came from the cache."""

    def __init__(self, read: Callable[[], dict[str, YamlDocument]] | None = None,
                 documents: dict[str, YamlDocument] | None = None):
        self._read = read
        self._data = documents

    @property
    def data(self) -> dict[str, YamlDocument]:
        if self._data is None:
            self._data = self._read() if self._read is not None else {}
        return self._data

    @data.setter
    def data(self, value: dict[str, YamlDocument]) -> None:
        self._data = value


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
    prices: PricesFile = field(default_factory=PricesFile.model_construct)
    documents: MutableMapping[str, YamlDocument] = field(default_factory=dict, repr=False)

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
            parsed = validate_document(doc, m.ScenariosFile, problems)
            if parsed is not None:
                for i, sc in enumerate(parsed.scenarios):
                    scenarios.append((rel, doc.locate(("scenarios", i)).line or 0, sc))
        if problems:
            raise RuleBaseError(f"{len(problems)} problem(s) in scenarios", Location(str(scenario_dir)), [*problems])
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


def _rule_files(root: Path) -> list[Path]:
    return [root / name for name in RULE_FILES if (root / name).is_file()]


def _content_digest(files: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _content_hash(files: list[Path], root: Path) -> str:
    return "sha256:" + _content_digest(files, root)[:16]


def load_rulebase(rules_dir: Path | str | None = None, *, use_cache: bool = True) -> RuleBase:
    """Read, validate and index a rule base. Raises :class:`RuleBaseError` listing every problem.

    Cross-references (undefined ids, cycles, …) are *not* checked here; ``advisor rules check`` does that.
    With ``use_cache`` (the default) a rule base that validated before is read from the user's cache.
    """
    root = Path(rules_dir) if rules_dir is not None else default_rules_dir()
    if not root.is_dir():
        raise InputError("rule base directory not found", Location(str(root)))
    key: str | None = None
    digest: str | None = None
    if use_cache:
        try:
            digest = _content_digest(_rule_files(root), root)
        except OSError:
            digest = None  # an unreadable file: the full load below names it
        if digest is not None:
            key = cache.cache_key(digest)
            cached = _from_cache(root, key, digest)
            if cached is not None:
                return cached
    rulebase, parsed = _load(root)
    if key is not None and digest is not None and rulebase.hash == "sha256:" + digest[:16]:
        cache.write_entry(key, parsed)  # unless a file changed while it was read
    return rulebase


def _from_cache(root: Path, key: str, digest: str) -> RuleBase | None:
    files = cache.read_entry(key)
    if files is None:
        return None
    present = {path.name for path in _rule_files(root)}
    if set(files) != present:
        return None
    try:
        parsed = {name: cache.construct(RULE_FILES[name][0], data) for name, data in files.items()}
    except Exception:  # noqa: BLE001 - any surprise in a cached entry means: validate the files again
        return None

    def read_documents() -> dict[str, YamlDocument]:
        documents = {}
        for name in files:
            try:
                documents[name] = read_yaml(root / name)
            except InputError:
                continue
        return documents

    return _assemble(root, parsed, "sha256:" + digest[:16], _Documents(read_documents))


def _load(root: Path) -> tuple[RuleBase, dict[str, BaseModel]]:
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
        parsed[name] = validate_document(doc, schema, problems)

    if problems:
        raise RuleBaseError(f"{len(problems)} problem(s) in rule base {root}", Location(str(root)), [*problems])
    return _assemble(root, parsed, _content_hash(read_files, root), documents), parsed


def _assemble(root: Path, parsed: dict[str, Any], content_hash: str, documents) -> RuleBase:
    def by_id(items):
        return {item.id: item for item in items}

    def get(name: str) -> Any:
        return parsed.get(name)

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
        hash=content_hash,
        prices=get("prices.yaml") or PricesFile.model_construct(),
        documents=documents,
    )
