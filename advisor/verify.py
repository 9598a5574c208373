"""``advisor rules check``: schema, references, exhaustive verification, staleness and scenarios.

Findings carry a code, a severity and a location (file:line:col). Codes:

====== ======== ==================================================================================
code   severity meaning
====== ======== ==================================================================================
E100   error    schema: a file does not match its model (unknown key, wrong type, bad condition)
E101   error    a rule has no ``because`` or no ``sources``
E110   error    a condition names something that is neither a question nor a fact
E111   error    an id (source, question, outcome) is referenced but not defined
E112   error    the same id is defined twice
E113   error    cycle: a decision rule reads a plan question, which is only asked after the decision
E120   error    gap: an answer set for which no decision rule fires (witness given)
E121   error    conflict: two rules of equal priority fire with different paths (witness given)
E122   error    unreachable decision rule: it never decides any answer set
E123   error    an outcome no rule leads to
E124   error    hyperparameter gap or overlap for some dataset size (witness given)
E125   error    a hyperparameter value or range lies outside the model's API range
E126   error    the goal-driven interview does not reach the same path as the table (witness given)
E130   error    a scenario's expectation does not hold
W200   warning  a question no rule, outcome or table uses
W201   warning  a warning rule whose condition can never hold
W202   warning  a source whose as-of date is older than the staleness limit
W203   warning  an unreachable hyperparameter rule
I300   info     a source no rule cites
I301   info     overlaps that the priority hit policy resolves (count)
I302   info     rule coverage by the scenarios
I303   info     how many gaps there are in all when more than the first 20 are listed
====== ======== ==================================================================================
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.answers import validate_answer
from advisor.engine import Engine
from advisor.engine.engine import today_from_env
from advisor.errors import EXIT_CHECK_FAILED, EXIT_OK, Location, RuleBaseError
from advisor.knowledge.loader import default_rules_dir, load_rulebase

# One gap usually shows up in many answer sets; list this many witnesses, then give the count.
GAP_FINDINGS_LIMIT = 20

__all__ = ["Finding", "CheckReport", "check_rulebase", "render_findings", "domain_values", "run_scenario"]

def fact_names(rb) -> set[str]:
    """The facts the engine computes: declared in ruleset.yaml, plus a lifecycle status per catalogue model."""
    return set(rb.info.facts) | {"status_" + mid.replace("-", "_") for mid in rb.models}


def fact_domain(rb, name: str) -> list[Any]:
    """Representative values of a fact for exhaustive checks."""
    spec = rb.info.facts.get(name)
    if name.startswith("status_") and spec is None:
        return ["active", "legacy", "eol"]
    if spec is None:
        return ["x"]
    if spec.examples:
        return list(spec.examples)
    return [True, False] if spec.type == "bool" else ["x"]


def _hp_rules(rb):
    """(table index, parameter index, rule index, table, spec, rule) for every hyperparameter rule."""
    if rb.hyperparameters:
        for t, table in enumerate(rb.hyperparameters.tables):
            for i, spec in enumerate(table.parameters):
                for j, rule in enumerate(spec.rules):
                    yield t, i, j, table, spec, rule


@dataclass
class Finding:
    code: str
    severity: str  # error | warning | info
    message: str
    location: Location | None = None
    witness: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        loc = self.location or Location()
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "file": loc.file, "line": loc.line, "column": loc.column, "witness": self.witness}


@dataclass
class CheckReport:
    directory: str
    findings: list[Finding] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def add(self, code: str, severity: str, message: str, location: Location | None = None, witness=None):
        self.findings.append(Finding(code, severity, message, location, witness))

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def exit_code(self) -> int:
        return EXIT_CHECK_FAILED if self.errors else EXIT_OK


# --- entry point -------------------------------------------------------------------------------------

def check_rulebase(rules_dir: str | Path | None = None, stale_days: int | None = None,
                   today: dt.date | None = None) -> CheckReport:
    """Run every check on the rule base in ``rules_dir`` (default: the shipped one)."""
    root = Path(rules_dir) if rules_dir else default_rules_dir()
    report = CheckReport(str(root))
    today = today or today_from_env()
    try:
        rb = load_rulebase(root)
    except RuleBaseError as exc:
        for problem in exc.problems or [exc]:
            text = problem.message
            code = "E101" if text.split(":")[0].split(".")[-1] in ("because", "sources") else "E100"
            report.add(code, "error", text, problem.location)
        return report

    _check_references(rb, report)
    _check_decision(rb, report)
    _check_hyperparameters(rb, report)
    _check_warning_rules(rb, report)
    _check_staleness(rb, report, stale_days, today)
    _check_scenarios(rb, report)
    report.stats.update({"rules": len(rb.decision.rules), "questions": len(rb.questions),
                         "sources": len(rb.sources), "version": rb.version, "hash": rb.hash})
    return report


# --- references ---------------------------------------------------------------------------------------

def _cited(rb) -> list[tuple[str, list[str], Location]]:
    """(owner id, source ids, location) for everything that cites sources."""
    out = []
    for i, rule in enumerate(rb.decision.rules):
        out.append((rule.id, rule.sources, rb.locate("decision.yaml", ("rules", i, "sources"))))
    for i, w in enumerate(rb.warnings):
        out.append((w.id, w.sources, rb.locate("warnings.yaml", ("warnings", i, "sources"))))
    for t, i, j, _table, _spec, rule in _hp_rules(rb):
        where = ("tables", t, "parameters", i, "rules", j, "sources")
        out.append((rule.id, rule.sources, rb.locate("hyperparameters.yaml", where)))
    if rb.hyperparameters:
        for t, table in enumerate(rb.hyperparameters.tables):
            out.append((table.id, table.sources, rb.locate("hyperparameters.yaml", ("tables", t, "sources"))))
    for i, outcome in enumerate(rb.outcomes.values()):
        out.append((outcome.id, outcome.sources, rb.locate("outcomes.yaml", ("outcomes", i, "sources"))))
        for side in ("pros", "cons"):
            for j, arg in enumerate(getattr(outcome, side)):
                out.append((outcome.id, arg.sources, rb.locate("outcomes.yaml", ("outcomes", i, side, j, "sources"))))
    for file, key, items in (("symptoms.yaml", "symptoms", list(rb.symptoms.values())),
                             ("problem_types.yaml", "problem_types", list(rb.problem_types.values())),
                             ("readiness.yaml", "readiness", rb.readiness)):
        for i, item in enumerate(items):
            out.append((item.id, item.sources, rb.locate(file, (key, i, "sources"))))
    if rb.use_cases:
        for i, item in enumerate(rb.use_cases.use_cases):
            out.append((item.id, item.sources, rb.locate("use_cases.yaml", ("use_cases", i, "sources"))))
        for i, item in enumerate(rb.use_cases.reported_outcomes):
            out.append((item.id, item.sources, rb.locate("use_cases.yaml", ("reported_outcomes", i, "sources"))))
    for i, model in enumerate(rb.models.values()):
        for key in ("sources", "limit_sources", "hyperparameter_sources", "prompt_caching_sources"):
            out.append((model.id, getattr(model, key), rb.locate("models.yaml", ("models", i, key))))
        out.append((model.id, model.lifecycle.sources, rb.locate("models.yaml", ("models", i, "lifecycle", "sources"))))
    prices = rb.prices
    if prices is not None:
        for i, p in enumerate(prices.token_prices):
            out.append((p.id, p.sources, rb.locate("prices.yaml", ("token_prices", i, "sources"))))
        for key in ("prompt_caching", "batch_discount"):
            part = getattr(prices, key, None)
            if part is not None:
                out.append((key, part.sources, rb.locate("prices.yaml", (key, "sources"))))
    return out


def _conditions(rb):
    """(owner id, condition, location) for every condition in the rule base."""
    for i, rule in enumerate(rb.decision.rules):
        for j, cond in enumerate(rule.when):
            yield rule.id, cond, rb.locate("decision.yaml", ("rules", i, "when", j))
    for t, i, j, _table, _spec, rule in _hp_rules(rb):
        yield rule.id, rule.when, rb.locate("hyperparameters.yaml", ("tables", t, "parameters", i, "rules", j, "when"))
    for i, w in enumerate(rb.warnings):
        yield w.id, w.when, rb.locate("warnings.yaml", ("warnings", i, "when"))
    for i, item in enumerate(rb.readiness):
        yield item.id, item.when, rb.locate("readiness.yaml", ("readiness", i, "when"))


def _check_references(rb, report: CheckReport) -> None:
    # duplicate ids across the files' lists (the loader indexes by id, so look at the raw documents)
    for file, key in (("questions.yaml", "questions"), ("sources.yaml", "sources"), ("decision.yaml", "rules"),
                      ("outcomes.yaml", "outcomes"), ("warnings.yaml", "warnings"), ("symptoms.yaml", "symptoms"),
                      ("problem_types.yaml", "problem_types"), ("readiness.yaml", "readiness")):
        doc = rb.documents.get(file)
        if doc is None or not isinstance(doc.data, dict):
            continue
        seen: dict[str, int] = {}
        for i, item in enumerate(doc.data.get(key) or []):
            ident = item.get("id") if isinstance(item, dict) else None
            if ident in seen:
                report.add("E112", "error", f"{key}: id {ident!r} is defined twice (first as item {seen[ident] + 1})",
                           doc.locate((key, i, "id")))
            elif ident is not None:
                seen[ident] = i

    cited: set[str] = set()
    for owner, ids, loc in _cited(rb):
        for sid in ids:
            cited.add(sid)
            if sid not in rb.sources:
                report.add("E111", "error", f"{owner}: source {sid!r} is not defined in sources.yaml", loc)
    for sid, _src in rb.sources.items():
        if sid not in cited:
            report.add("I300", "info", f"source {sid!r} is not cited by any rule",
                       _locate_id(rb, "sources.yaml", "sources", sid))

    used: set[str] = set()
    decision_names: set[str] = set()
    FACT_NAMES = fact_names(rb)
    for owner, cond, loc in _conditions(rb):
        for name in cond.names:
            used.add(name)
            if name not in rb.questions and name not in FACT_NAMES:
                report.add("E110", "error", f"{owner}: condition `{cond.text}` names {name!r}, which is neither a "
                                            "question nor a fact", loc)
    for rule in rb.decision.rules:
        for cond in rule.when:
            decision_names |= cond.names
    for i, rule in enumerate(rb.decision.rules):
        for j, cond in enumerate(rule.when):
            for name in cond.names:
                q = rb.questions.get(name)
                if q is not None and q.role == "plan":
                    report.add("E113", "error",
                               f"cycle: decision rule {rule.id} reads plan question {name!r}, which is asked only "
                               "after the path is chosen", rb.locate("decision.yaml", ("rules", i, "when", j)))

    for i, outcome in enumerate(rb.outcomes.values()):
        for qid in outcome.plan_questions:
            used.add(qid)
            if qid not in rb.questions:
                report.add("E111", "error", f"outcome {outcome.id}: plan question {qid!r} is not defined",
                           rb.locate("outcomes.yaml", ("outcomes", i, "plan_questions")))
        for step in outcome.readiness or []:
            if not any(item.id == step for item in rb.readiness):
                report.add("E111", "error", f"outcome {outcome.id}: readiness item {step!r} is not defined",
                           rb.locate("outcomes.yaml", ("outcomes", i, "readiness")))
        if not any(rule.then == outcome.id for rule in rb.decision.rules):
            report.add("E123", "error", f"outcome {outcome.id!r} has no decision rule leading to it",
                       rb.locate("outcomes.yaml", ("outcomes", i)))
    for i, rule in enumerate(rb.decision.rules):
        if rule.then not in rb.outcomes:
            report.add("E111", "error", f"rule {rule.id}: path {rule.then!r} is not defined in outcomes.yaml",
                       rb.locate("decision.yaml", ("rules", i, "then")))
    if rb.hyperparameters:
        used.update(rb.hyperparameters.requires)
        for t, table in enumerate(rb.hyperparameters.tables):
            for mid in table.models:
                if mid not in rb.models:
                    report.add("E111", "error", f"hyperparameter table {table.id}: model {mid!r} is not in models.yaml",
                               rb.locate("hyperparameters.yaml", ("tables", t, "models")))
            for pid in table.paths:
                if pid not in rb.outcomes:
                    report.add("E111", "error", f"hyperparameter table {table.id}: outcome {pid!r} is not defined",
                               rb.locate("hyperparameters.yaml", ("tables", t, "paths")))
            for spec in table.parameters:
                for rule in spec.rules:
                    if rule.value_from is not None:
                        used.add(rule.value_from.question)
    for w in rb.warnings:
        for oid in w.applies_to or []:
            if oid not in rb.outcomes and not any(o.path_id == oid for o in rb.outcomes.values()):
                report.add("E111", "error", f"warning {w.id}: applies_to names {oid!r}, which is not an outcome",
                           _locate_id(rb, "warnings.yaml", "warnings", w.id))
    for i, q in enumerate(rb.questions.values()):
        for dep in q.derivable_from:
            used.add(dep)
            if dep not in rb.questions:
                report.add("E111", "error", f"question {q.id}: derivable_from names {dep!r}, which is not a question",
                           rb.locate("questions.yaml", ("questions", i, "derivable_from")))
    if rb.info.fine_tune_model and rb.models and rb.info.fine_tune_model not in rb.models:  # dataset default
        report.add("E111", "error", f"fine_tune_model {rb.info.fine_tune_model!r} is not in models.yaml",
                   rb.locate("ruleset.yaml", ("fine_tune_model",)))
    for qid in rb.questions:
        if qid not in used and qid != "project_name":
            report.add("W200", "warning", f"question {qid!r} is not used by any rule, outcome or table",
                       _locate_id(rb, "questions.yaml", "questions", qid))


def _locate_id(rb, file: str, key: str, ident: str) -> Location:
    doc = rb.documents.get(file)
    if doc and isinstance(doc.data, dict):
        for i, item in enumerate(doc.data.get(key) or []):
            if isinstance(item, dict) and item.get("id") == ident:
                return doc.locate((key, i))
    return rb.locate(file, ())


# --- exhaustive verification -----------------------------------------------------------------------

def domain_values(rb, qid: str, conditions) -> list[Any]:
    """Representative values of a question: every bool/choice value; numbers split at the thresholds
    the given conditions compare them with (t-1, t, t+1 and the domain's minimum)."""
    q = rb.questions[qid]
    if q.type == "bool":
        return [True, False] + (["unsure"] if q.unsure is not None and q.unsure.assume == "unsure" else [])
    if q.type == "choice":
        return list(rb.choices(q) or [])
    if q.type in ("int", "number"):
        thresholds = sorted({c.value for cond in conditions for c in cond.comparisons
                             if c.name == qid and isinstance(c.value, (int, float)) and not isinstance(c.value, bool)})
        step = 1 if q.type == "int" else 0.5
        values = set()
        lo = q.domain.min if q.domain.min is not None else None
        hi = q.domain.max if q.domain.max is not None else None
        if lo is not None:
            values.add(lo)
        for t in thresholds:
            values.update({t - step, t, t + step})
        if not values:
            values.add(lo if lo is not None else 0)
        out = sorted(v for v in values if (lo is None or v >= lo) and (hi is None or v <= hi))
        return [int(v) if q.type == "int" else float(v) for v in out]
    return ["text"]


def _check_decision(rb, report: CheckReport) -> None:
    rules = rb.decision.rules
    conditions = [c for rule in rules for c in rule.when]
    names = sorted({n for c in conditions for n in c.names if n in rb.questions})
    domains = [domain_values(rb, n, conditions) for n in names]
    engine = Engine(rb, economics=None)
    wins: dict[str, int] = {rule.id: 0 for rule in rules}
    fires: dict[str, int] = {rule.id: 0 for rule in rules}
    overlaps = 0
    combos = 0
    reported: set[tuple[str, ...]] = set()
    gaps = 0
    for combo in itertools.product(*domains):
        combos += 1
        values = dict(zip(names, combo, strict=False))
        firing = [rule for rule in rules if all(c.evaluate(values) is True for c in rule.when)]
        for rule in firing:
            fires[rule.id] += 1
        if not firing:
            gaps += 1
            if gaps <= GAP_FINDINGS_LIMIT:
                report.add("E120", "error", "gap: no decision rule fires for this answer set",
                           rb.locate("decision.yaml", ("rules",)), witness=values)
            continue
        top = max(rule.priority for rule in firing)
        best = [rule for rule in firing if rule.priority == top]
        if len({rule.then for rule in best}) > 1:
            key = ("conflict",) + tuple(sorted(rule.id for rule in best))
            if key not in reported:
                reported.add(key)
                report.add("E121", "error",
                           "conflict: rules " + ", ".join(rule.id for rule in best) +
                           f" have equal priority {top} and lead to different paths",
                           rb.locate_rule(best[1].id), witness=values)
        if len(firing) > 1:
            overlaps += 1
        wins[best[0].id] += 1
        # the goal-driven interview must reach the same path, asking each question at most once
        answers: dict[str, Any] = {}
        asked = 0
        while True:
            pending = engine.open_decision_questions(answers)
            if not pending:
                break
            qid = pending[0]
            if qid in answers or qid not in values or asked > len(names):
                break
            answers[qid] = values[qid]
            asked += 1
        path = engine.decide_outcome(answers)
        if path != best[0].then and ("interview",) not in reported:
            reported.add(("interview",))
            report.add("E126", "error", f"the interview reaches {path!r} but the table decides {best[0].then!r}",
                       rb.locate("decision.yaml", ("rules",)), witness=values)
    if gaps > GAP_FINDINGS_LIMIT:
        report.add("I303", "info", f"{gaps} answer sets in all have no decision rule; the first "
                   f"{GAP_FINDINGS_LIMIT} are listed as E120", rb.locate("decision.yaml", ("rules",)))
    for i, rule in enumerate(rules):
        if wins[rule.id] == 0:
            why = "it fires but is always outranked by a higher-priority rule" if fires[rule.id] else \
                "its conditions never hold together"
            report.add("E122", "error", f"unreachable rule {rule.id}: {why}", rb.locate("decision.yaml", ("rules", i)))
    if overlaps:
        report.add("I301", "info",
                   f"{overlaps} answer set(s) fire more than one rule; the priority hit policy resolves them")
    report.stats["combinations"] = combos
    report.stats["decision_questions"] = names


def _check_hyperparameters(rb, report: CheckReport) -> None:
    hp = rb.hyperparameters
    if hp is None:
        return
    for t, table in enumerate(hp.tables):
        models = [rb.models[mid] for mid in table.models if mid in rb.models] or [None]
        for i, spec in enumerate(table.parameters):
            conds = [rule.when for rule in spec.rules]
            names = sorted({n for c in conds for n in c.names})
            domains = []
            for n in names:
                if n in rb.questions:
                    domains.append(domain_values(rb, n, conds))
                elif n == "target_id" and table.models:
                    domains.append(list(table.models))
                else:
                    domains.append(fact_domain(rb, n))
            used: set[str] = set()
            for combo in itertools.product(*domains):
                values = dict(zip(names, combo))
                matching = [rule for rule in spec.rules if rule.when.evaluate(values) is True]
                # A rule that needs an optional answer (value_from) may leave a gap where that answer is absent.
                if len(matching) != 1 and not (not matching and all(r.value_from for r in spec.rules)):
                    kind = "gap: no rule" if not matching else "overlap: rules " + ", ".join(r.id for r in matching)
                    report.add("E124", "error", f"{table.id}.{spec.name}: {kind} for {values}",
                               rb.locate("hyperparameters.yaml", ("tables", t, "parameters", i)), witness=values)
                    break
                used.update(r.id for r in matching)
            for j, rule in enumerate(spec.rules):
                loc = rb.locate("hyperparameters.yaml", ("tables", t, "parameters", i, "rules", j))
                if rule.id not in used:
                    report.add("W203", "warning", f"hyperparameter rule {rule.id} never applies", loc)
                if not spec.api:
                    continue
                for model in models:
                    if model is None:
                        continue
                    api = model.hyperparameters.get(spec.name)
                    if api is None:
                        report.add("E111", "error", f"{spec.name} is not a hyperparameter of {model.id}",
                                   rb.locate("hyperparameters.yaml", ("tables", t, "parameters", i, "name")))
                        continue
                    checks = [("range low", rule.range[0]), ("range high", rule.range[1])]
                    if rule.value is not None:
                        checks.insert(0, ("value", rule.value))
                    for label, v in checks:
                        if not api.min <= v <= api.max:
                            report.add("E125", "error", f"{rule.id}: {label} {v} is outside {model.id}'s API range "
                                                        f"{api.min}–{api.max} of {spec.name}", loc)


def _check_warning_rules(rb, report: CheckReport) -> None:
    for i, w in enumerate(rb.warnings):
        names = sorted(w.when.names)
        domains = []
        facts_compared = [v for n in names if n not in rb.questions for v in fact_domain(rb, n)
                          if isinstance(v, (int, float)) and not isinstance(v, bool)]
        for n in names:
            if n in rb.questions:
                extra = [x for f in facts_compared for x in (f - 1, f + 1)] if rb.questions[n].type in ("int", "number") else []
                domains.append(domain_values(rb, n, [w.when]) + extra)
            else:
                domains.append(fact_domain(rb, n))
        if not any(w.when.evaluate(dict(zip(names, combo))) is True for combo in itertools.product(*domains)):
            report.add("W201", "warning", f"warning rule {w.id} can never fire", rb.locate("warnings.yaml", ("warnings", i)))


def _check_staleness(rb, report: CheckReport, stale_days: int | None, today: dt.date) -> None:
    limit = stale_days if stale_days is not None else rb.info.stale_after_days
    for sid, src in rb.sources.items():
        age = (today - src.as_of).days
        if age > limit:
            report.add("W202", "warning", f"source {sid!r} was last checked {age} days ago (as of {src.as_of}); "
                                          f"limit {limit} days", _locate_id(rb, "sources.yaml", "sources", sid))
    report.stats["stale_after_days"] = limit


# --- scenarios ---------------------------------------------------------------------------------------

def run_scenario(rb, scenario) -> tuple[list[str], Any]:
    """Run one scenario; returns (failure messages, recommendation)."""
    failures: list[str] = []
    answers = {}
    for qid, value in scenario.given.items():
        q = rb.questions.get(qid)
        if q is None:
            failures.append(f"given: unknown question {qid!r}")
            continue
        try:
            answers[qid] = validate_answer(q, value, rb.choices(q))
        except ValueError as exc:
            failures.append(f"given: {qid}: {exc}")
    rec = Engine(rb, today=scenario.today or dt.date(2026, 12, 1)).recommend(answers)
    exp = scenario.expect
    if exp.undetermined and rec.path is not None:
        failures.append(f"expected no path yet, got {rec.path}")
    if exp.path is not None and rec.path != exp.path:
        failures.append(f"expected path {exp.path}, got {rec.path}")
    if exp.outcome is not None and rec.outcome != exp.outcome:
        failures.append(f"expected outcome {exp.outcome}, got {rec.outcome}")
    if exp.model is not None:
        got_model = rec.model.id if rec.model else "none"
        if got_model != exp.model:
            failures.append(f"expected target model {exp.model}, got {got_model}")
    if exp.confidence is not None and (rec.confidence is None or rec.confidence.level != exp.confidence):
        failures.append(f"expected {exp.confidence} confidence, got {rec.confidence.level if rec.confidence else None}")
    fired = {t.rule for t in rec.trace}
    for rule_id in exp.fired:
        if rule_id not in fired:
            failures.append(f"expected rule {rule_id} to fire; fired: {', '.join(sorted(fired)) or 'none'}")
    for qid in exp.missing_includes:
        if qid not in rec.missing:
            failures.append(f"expected {qid} among missing answers; missing: {rec.missing}")
    got = rec.hyperparameters or {}
    for name, want in exp.hyperparameters.items():
        if name not in got:
            failures.append(f"expected hyperparameter {name}")
        elif isinstance(want, tuple):
            if not want[0] <= got[name] <= want[1]:
                failures.append(f"{name} = {got[name]} outside expected {want[0]}–{want[1]}")
        elif got[name] != want:
            failures.append(f"{name} = {got[name]}, expected {want}")
    codes = {w.code for w in rec.warnings}
    for code in exp.warnings:
        if code not in codes:
            failures.append(f"expected warning {code}; got {sorted(codes)}")
    for code in exp.no_warnings:
        if code in codes:
            failures.append(f"did not expect warning {code}")
    assumed = {a.question for a in rec.assumptions}
    for qid in exp.assumptions:
        if qid not in assumed:
            failures.append(f"expected an assumption for {qid}")
    return failures, rec


def _check_scenarios(rb, report: CheckReport) -> None:
    covered: set[str] = set()
    try:
        scenarios = rb.load_scenarios()
    except RuleBaseError as exc:
        for problem in exc.problems or [exc]:
            report.add("E100", "error", problem.message, problem.location)
        return
    for file, line, scenario in scenarios:
        failures, rec = run_scenario(rb, scenario)
        covered |= {t.rule for t in rec.trace}
        for failure in failures:
            report.add("E130", "error", f"scenario {scenario.name!r}: {failure}",
                       Location(str(rb.directory / file), line or None), witness=scenario.given)
    all_rules = [r.id for r in rb.decision.rules] + [w.id for w in rb.warnings]
    all_rules += [rule.id for _t, _i, _j, table, _spec, rule in _hp_rules(rb) if not table.history]
    uncovered = [r for r in all_rules if r not in covered]
    pct = 100.0 * (len(all_rules) - len(uncovered)) / len(all_rules) if all_rules else 100.0
    report.stats.update({"scenarios": len(scenarios), "rule_coverage_percent": round(pct, 1),
                         "rules_not_covered": uncovered})
    if scenarios:
        msg = f"scenarios cover {pct:.1f}% of rules ({len(all_rules) - len(uncovered)}/{len(all_rules)})"
        if uncovered:
            msg += "; not covered: " + ", ".join(uncovered)
        report.add("I302", "info", msg)


# --- output --------------------------------------------------------------------------------------------

def render_findings(report: CheckReport, fmt: str = "text") -> str:
    errors = len(report.errors)
    warnings = sum(1 for f in report.findings if f.severity == "warning")
    if fmt == "json":
        return json.dumps({"ok": errors == 0, "directory": report.directory, "errors": errors, "warnings": warnings,
                           "findings": [f.to_json() for f in report.findings], "stats": report.stats},
                          indent=2, default=str) + "\n"
    order = {"error": 0, "warning": 1, "info": 2}
    lines = []
    for f in sorted(report.findings, key=lambda f: order[f.severity]):
        where = f"{f.location}: " if f.location else ""
        lines.append(f"{where}{f.severity} {f.code}: {f.message}")
        if f.witness is not None:
            lines.append("    witness: " + ", ".join(f"{k}={v!r}" for k, v in f.witness.items()))
    s = report.stats
    if "combinations" in s:
        lines.append(f"verified {s['combinations']} answer combinations over {len(s.get('decision_questions', []))} "
                     f"decision questions; {s.get('scenarios', 0)} scenarios, rule coverage "
                     f"{s.get('rule_coverage_percent', 0)}%")
    verdict = "FAILED" if errors else "OK"
    lines.append(f"rules check {verdict}: {errors} error(s), {warnings} warning(s) in {report.directory}")
    return "\n".join(lines) + "\n"
