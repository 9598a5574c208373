"""Launcher for ``build_evals``: real cases from the user's data -> a stratified, seeded dev/test split -> a
ready ``eval run`` config with the current system as the baseline -> an annotation sheet for
subject-matter experts -> (their agreement) -> a report that says what to run next.

``advisor launch build_evals --answers FILE --data FILE --out DIR [--task auto|extraction|classification|
structured|free_text] [--baseline-provider bedrock|openai] [--baseline-model ID] [--base-url URL]
[--cases N] [--dev-share F] [--seed N] [--labels A.csv B.csv]``

The data is JSON Lines in a Bedrock conversation format (either: ``messages`` with string or
``[{"text"}]`` content, ``system`` as text or ``[{"text"}]``) or ``{"input", "output", "label"?,
"slice"?}``, or a TAT-QA JSON file. The last assistant turn (or ``output``) is the reference answer.

Steps (all local; nothing is called or billed): ``read`` (parse and count, find labels or slices),
``sample`` (stratified by label, else by slice, seeded; split into dev and test inside each stratum),
``config`` (``eval.yaml``: dataset, scorers chosen by the task, the baseline variant; placeholders
named ``REPLACE-ME-…`` where the current system is not known; checked with the same loader as
``eval run``), ``annotate`` (``annotation.csv`` for experts, formula-escaped), ``agreement`` (Cohen's
kappa between two labelled sheets, with ``--labels``), ``report`` (``report.md``, ``report.html``).
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import math
import random
import shlex
from collections import Counter
from pathlib import Path
from typing import Any

from advisor.errors import CheckFailed, InputError, UsageError, location_for
from advisor.launchers.plan import Field, Plan, Step
from advisor.launchers.running import StillRunning  # noqa: F401  (never raised here; the CLI catches it)

PATH = "build_evals"
TASKS = ("auto", "extraction", "classification", "structured", "free_text")
PLACEHOLDER = "REPLACE-ME"
# task -> (eval metric, what it scores, in words)
SCORERS = {
    "extraction": ("squad", "exact match and token F1 against the reference answer (SQuAD normalisation)"),
    "classification": ("accuracy", "accuracy: the reply equals the reference label (case-insensitive)"),
    "structured": ("json", "valid JSON and a match with the JSON Schema inferred from the reference outputs"),
    "free_text": ("f1", "a model-graded rubric (judge: PASS/FAIL with a reason), and token F1 as a rough overlap"),
}
# Inputs a re-run of the same launch may change, and the steps that then run again (advisor.cli.launch).
CHANGEABLE_INPUTS = {"labels": ("agreement", "report")}
ANNOTATION_COLUMNS = ("id", "split", "stratum", "input", "reference_output", "model_output", "verdict", "label",
                      "notes")




# --- command line --------------------------------------------------------------------------------------

def _add(group, parser, flag: str, **kw) -> None:
    """Add ``flag`` unless another launcher already did (the launch parser is shared)."""
    if flag not in parser._option_string_actions:
        group.add_argument(flag, **kw)


def add_arguments(p) -> None:
    g = p.add_argument_group("build_evals (also: --out DIR, --region)")
    _add(g, p, "--data", metavar="FILE", help="build_evals: your cases: JSONL (Bedrock conversations or "
                                              "input/output/label) or TAT-QA JSON")
    _add(g, p, "--out", metavar="DIR", help="output folder")
    _add(g, p, "--task", choices=TASKS, default=None,
         help="build_evals: what the model does, which picks the scorers (default auto: from the data and the "
              "answers' problem type)")
    _add(g, p, "--baseline-provider", choices=("bedrock", "openai"), default=None,
         help="build_evals: where the current system runs (default bedrock)")
    _add(g, p, "--baseline-model", metavar="ID", help="build_evals: the current system's model id (else a "
                                                      "REPLACE-ME placeholder in the config)")
    _add(g, p, "--base-url", metavar="URL", help="build_evals: the OpenAI-compatible endpoint of the current "
                                                 "system (with --baseline-provider openai)")
    _add(g, p, "--cases", type=int, default=None, metavar="N", help="build_evals: cases to sample (default 100)")
    _add(g, p, "--dev-share", type=float, default=None, metavar="F",
         help="build_evals: share of the sample for the dev split (default 0.3; the rest is the test split)")
    _add(g, p, "--seed", type=int, default=None, metavar="N", help="build_evals: sampling seed (default 0)")
    _add(g, p, "--labels", nargs=2, metavar=("A.csv", "B.csv"),
         help="build_evals: two annotation sheets labelled by different people: report their agreement")


def _fingerprint(value: str, what: str) -> dict[str, Any]:
    path = Path(value)
    if not path.is_file():
        raise InputError(f"{what} file not found", location_for(value))
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return {"path": str(path.resolve()), "sha256": h.hexdigest(), "bytes": path.stat().st_size}


# What the interview's Launch form asks for (the same options as the command line).
FIELDS = (
    Field("data", "Your real cases (JSONL or TAT-QA JSON)", "file", required=True),
    Field("out", "Output folder", required=True),
    Field("task", "What the model does (picks the scorers)", "choice", choices=(*TASKS[1:], "auto")),
    Field("baseline_model", "The current system's model id (empty: a placeholder)"),
    Field("cases", "Cases to sample (empty: 100)", "int"),
    Field("labels", "Two labelled annotation sheets to compare (optional, separated by a space)"),
)


def inputs_from_args(args, answers: dict[str, Any] | None = None) -> dict[str, Any]:
    answers = answers or {}
    data, out = getattr(args, "data", None), getattr(args, "out", None)
    if not data or not out:
        raise UsageError("build_evals needs --data FILE (your real cases) and --out DIR")
    cases = args.cases if args.cases is not None else 100
    if cases < 2:
        raise UsageError("--cases must be 2 or more (a dev and a test case at least)")
    share = args.dev_share if args.dev_share is not None else 0.3
    if not 0 < share < 1:
        raise UsageError("--dev-share must be between 0 and 1 (exclusive)")
    provider = args.baseline_provider or ("openai" if args.base_url else "bedrock")
    if args.base_url and provider != "openai":
        raise UsageError("--base-url is for --baseline-provider openai")
    return {
        "data": _fingerprint(data, "data"),
        "out": str(Path(out).resolve()),
        "task": args.task or "auto",
        "problem_type": answers.get("problem_type"),
        "baseline": {"provider": provider, "model": args.baseline_model, "base_url": args.base_url,
                     "region": getattr(args, "region", None)},
        "cases": cases,
        "dev_share": share,
        "seed": args.seed if args.seed is not None else 0,
        "labels": [_fingerprint(p, "labels") for p in args.labels] if getattr(args, "labels", None) else None,
    }


# --- reading the cases ------------------------------------------------------------------------------------

def _text(value: Any, where) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(b, dict) and isinstance(b.get("text"), str) for b in value):
        return "\n\n".join(b["text"] for b in value)
    raise InputError("content must be text or a list of {\"text\": ...} blocks (images and tool blocks cannot "
                     "be sampled into a text eval)", where)


def _case_from_record(rec: Any, number: int, where) -> dict[str, Any]:
    if not isinstance(rec, dict):
        raise InputError("each line must be a JSON object", where)
    stratum_keys = ("slice", "category", "segment")
    if isinstance(rec.get("messages"), list):
        turns = []
        for i, m in enumerate(rec["messages"]):
            if not isinstance(m, dict) or m.get("role") not in ("user", "assistant"):
                raise InputError(f"messages[{i}] needs role user or assistant", where)
            turns.append((m["role"], _text(m.get("content"), where)))
        if len(turns) < 2 or turns[-1][0] != "assistant" or turns[-2][0] != "user":
            raise InputError("a conversation needs a user turn followed by the assistant's answer", where)
        earlier = turns[:-2]
        prompt = turns[-2][1]
        if earlier:  # earlier turns go into the prompt as a transcript (the eval sends one user turn)
            prompt = "\n\n".join(f"{role.title()}: {text}" for role, text in earlier) + f"\n\nUser: {prompt}"
        system = rec.get("system")
        system = _text(system, where) if system is not None else ""
        meta: dict[str, Any] = rec["metadata"] if isinstance(rec.get("metadata"), dict) else {}
        label = rec.get("label", meta.get("label"))
        stratum = next((rec.get(k, meta.get(k)) for k in stratum_keys if rec.get(k, meta.get(k)) is not None), None)
        return {"id": str(rec.get("id", f"line{number}")), "input": prompt, "output": turns[-1][1],
                "system": system, "label": None if label is None else str(label),
                "slice": None if stratum is None else str(stratum)}
    inp = next((rec[k] for k in ("input", "prompt", "question") if k in rec), None)
    out = next((rec[k] for k in ("output", "completion", "answer") if k in rec), None)
    if not isinstance(inp, str) or (out is not None and not isinstance(out, (str, dict, list))):
        raise InputError("expected {\"input\", \"output\", \"label\"?} or a Bedrock conversation (\"messages\")",
                         where)
    if isinstance(out, (dict, list)):
        out = json.dumps(out, ensure_ascii=False)
    label = rec.get("label")
    if out is None and label is None:
        raise InputError("a case needs a reference: \"output\" or \"label\"", where)
    stratum = next((rec.get(k) for k in stratum_keys if rec.get(k) is not None), None)
    return {"id": str(rec.get("id", f"line{number}")), "input": inp, "output": out if out is not None else
            (None if label is None else str(label)), "system": str(rec.get("system") or ""),
            "label": None if label is None else str(label), "slice": None if stratum is None else str(stratum)}


def _is_tatqa(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip()
    return head.startswith(b"[")


def read_cases(path: str | Path) -> tuple[str, list[dict[str, Any]], Any]:
    """``(format, cases, raw)``: each case has id, input, output, system, label, slice (raw: the TAT-QA doc)."""
    path = Path(path)
    if _is_tatqa(path):
        from advisor.evals.scoring import check_tatqa_shape, read_json

        doc = read_json(path)
        check_tatqa_shape(doc, path)
        cases = []
        for context in doc:
            for q in context.get("questions") or []:
                answer = q.get("answer")
                cases.append({"id": str(q.get("uid")), "input": str(q.get("question", "")),
                              "output": json.dumps(answer, ensure_ascii=False) if not isinstance(answer, str)
                              else answer, "system": "", "label": None,
                              "slice": str(q.get("answer_type") or "") or None})
        if not cases:
            raise CheckFailed("the TAT-QA file has no questions", location_for(path))
        return "tatqa", cases, doc
    from advisor.evals.scoring import read_records

    records = read_records(path, lines=True)
    if not isinstance(records, list):
        raise InputError("expected JSON Lines (one case per line) or a TAT-QA JSON file", location_for(path))
    cases = []
    for number, rec in enumerate(records, start=1):
        cases.append(_case_from_record(rec, number, location_for(path, number)))
    if not cases:
        raise CheckFailed("the data file has no cases", location_for(path))
    ids = Counter(c["id"] for c in cases)
    dup = next((i for i, n in ids.items() if n > 1), None)
    if dup is not None:
        raise InputError(f"duplicate case id {dup!r}", location_for(path))
    return "jsonl", cases, None


def stratify_key(cases: list[dict[str, Any]]) -> str | None:
    """``label`` when the cases carry labels, else ``slice`` when they carry slices, else None."""
    for key in ("label", "slice"):
        if any(c.get(key) for c in cases):
            return key
    return None


def sample_and_split(cases: list[dict[str, Any]], n: int, dev_share: float, seed: int,
                     key: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A seeded sample of ``n`` cases, proportional to each stratum (largest remainder, at least one case
    per stratum while there is room), split into dev and test inside every stratum."""
    rng = random.Random(seed)
    groups: dict[str, list[dict[str, Any]]] = {}
    for c in cases:
        groups.setdefault(str(c.get(key) or "(none)") if key else "all", []).append(c)
    n = min(n, len(cases))
    names = sorted(groups)
    quota = {g: n * len(groups[g]) / len(cases) for g in names}
    take = {g: min(len(groups[g]), math.floor(quota[g])) for g in names}
    if n >= len(names):
        for g in names:
            take[g] = max(take[g], 1)
    for g in sorted(names, key=lambda g: (-(quota[g] - math.floor(quota[g])), g)):
        if sum(take.values()) >= n:
            break
        if take[g] < len(groups[g]):
            take[g] += 1
    while sum(take.values()) > n:  # the at-least-one rule overshot: trim the largest strata
        g = max(names, key=lambda g: (take[g], g))
        take[g] -= 1
    dev, test = [], []
    for g in names:
        chosen = rng.sample(groups[g], take[g])
        k = round(len(chosen) * dev_share)
        if len(chosen) >= 2:
            k = min(max(k, 1), len(chosen) - 1)  # both splits see every stratum with two or more cases
        for c in chosen[:k]:
            dev.append({**c, "stratum": g})
        for c in chosen[k:]:
            test.append({**c, "stratum": g})
    return dev, test


def infer_task(fmt: str, cases: list[dict[str, Any]], problem_type: str | None) -> tuple[str, str]:
    """``(task, why)`` from the data, with the answers' problem type as a hint."""
    if fmt == "tatqa":
        return "extraction", "a TAT-QA file: answers are spans and numbers taken from tables and text"
    outputs = [c["output"] for c in cases if c.get("output") is not None]
    labels = [c["label"] for c in cases if c.get("label")]
    if labels and len(labels) == len(cases) and all(c["output"] in (None, c["label"]) for c in cases):
        return "classification", f"every case has a label and the output is the label ({len(set(labels))} classes)"
    distinct = set(outputs)
    if outputs and len(distinct) <= max(2, min(20, len(outputs) // 5)) and all(len(o.split()) <= 4 for o in outputs):
        return "classification", f"outputs are a small fixed set of short answers ({len(distinct)} distinct)"
    parsed = 0
    for o in outputs:
        try:
            if isinstance(json.loads(o), (dict, list)):
                parsed += 1
        except ValueError:
            pass
    if outputs and parsed == len(outputs):
        return "structured", "every reference output is a JSON object or list"
    words = sorted(len(o.split()) for o in outputs) or [0]
    median = words[len(words) // 2]
    if median <= 12 and problem_type not in ("format_or_tone", "generalise_skill"):
        return "extraction", f"reference outputs are short (median {median} words): spans or values to extract"
    why = f"reference outputs are free text (median {median} words)"
    if problem_type:
        why += f"; the answers' problem type is {problem_type}"
    return "free_text", why


# --- plan ---------------------------------------------------------------------------------------------

def plan(rec, inputs: dict[str, Any], rulebase=None, name: str = "build-evals") -> Plan:
    fmt, cases, _ = read_cases(inputs["data"]["path"])
    key = "slice" if fmt == "tatqa" else stratify_key(cases)
    task, why = (inputs["task"], "chosen with --task") if inputs["task"] != "auto" else \
        infer_task(fmt, cases, inputs.get("problem_type"))
    metric, scorer = SCORERS[task]
    if fmt == "tatqa":
        metric, scorer = "tatqa", "the official TAT-QA exact match and F1"
    n = min(inputs["cases"], len(cases))
    base = inputs["baseline"]
    unknown = [what for what, v in (("baseline model", base.get("model")),
                                    ("endpoint", base.get("base_url") if base["provider"] == "openai" else "ok"))
               if not v]
    if task == "free_text":
        unknown.append("judge model")
    strata = Counter(str(c.get(key) or "(none)") for c in cases) if key else {}
    steps = [
        Step("read", "read and check the cases", detail=f"{len(cases)} cases ({fmt})"
             + (f", stratified by {key}: " + ", ".join(f"{k} {v}" for k, v in sorted(strata.items())[:12])
                if key else ", no label or slice to stratify by")),
        Step("sample", "sample and split (seeded)",
             detail=f"{n} cases, seed {inputs['seed']}, {inputs['dev_share']:.0%} dev / "
                    f"{1 - inputs['dev_share']:.0%} test inside each stratum"),
        Step("config", "write the eval config (eval.yaml) with the current system as the baseline",
             detail=f"task {task} ({why}); scorer: {scorer}"
                    + (f"; placeholders to fill: {', '.join(unknown)}" if unknown else "")),
        Step("annotate", "write the annotation sheet for subject-matter experts (annotation.csv)"),
        Step("agreement", "Cohen's kappa between the two labelled sheets" if inputs.get("labels")
             else "skipped (give --labels A.csv B.csv once two people have labelled the sheet)"),
        Step("report", "write the launch report (report.md and report.html)"),
    ]
    notes = ["nothing here calls a model or bills anything; `advisor eval run` does, after you review the config"]
    if rec is not None and getattr(rec, "path", None) and rec.path != PATH:
        notes.append(f"the recommendation's path is {rec.path!r}, not {PATH!r}: launching as asked")
    context = {"format": fmt, "task": task, "task_why": why, "metric": metric, "scorer": scorer,
               "stratify_by": key, "cases_total": len(cases), "sample": n, "placeholders": unknown,
               "out": inputs["out"]}
    return Plan(PATH, name, inputs, steps, notes, context)


# --- run ----------------------------------------------------------------------------------------------

def _write_jsonl(path: Path, rows) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def infer_schema(outputs: list[str]) -> dict[str, Any]:
    """A JSON Schema the reference outputs all meet: their common top-level type, keys and key types."""
    docs = [json.loads(o) for o in outputs]
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number",
             type(None): "null"}
    if not all(isinstance(d, dict) for d in docs):
        return {"type": "array"} if all(isinstance(d, list) for d in docs) else {}
    keys = set.intersection(*(set(d) for d in docs)) if docs else set()
    props = {}
    for k in sorted({k for d in docs for k in d}):
        types = sorted({names.get(type(d[k]), "string") for d in docs if k in d})
        props[k] = {"type": types[0] if len(types) == 1 else types}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "required": sorted(keys), "properties": props}


class Runner:
    def __init__(self, plan: Plan, ledger, progress, **_):
        self.plan = plan
        self.ledger = ledger
        self.progress = progress
        self.inputs = plan.inputs
        self.ctx = plan.context
        self.out = Path(self.ctx["out"])

    def run(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        for step in self.plan.steps:
            if self.ledger.status(step.name) in ("done", "skipped"):
                continue
            self.progress.step(step.name, step.title)
            self.ledger.update(step.name, "running")
            try:
                result = getattr(self, f"step_{step.name}")()
            except BaseException as exc:
                message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
                self.ledger.update(step.name, "failed", detail=message)
                self.progress.done(step.name, "failed", message)
                raise
            final, detail = result if isinstance(result, tuple) else ("done", result or "")
            self.ledger.update(step.name, final, detail=detail)
            self.progress.done(step.name, final, detail)

    def _cases(self):
        return read_cases(self.inputs["data"]["path"])

    def step_read(self):
        fmt, cases, _ = self._cases()
        self.ledger.update("read", cases=len(cases), format=fmt, stratify_by=self.ctx["stratify_by"])
        return f"{len(cases)} cases ({fmt})"

    def step_sample(self):
        fmt, cases, raw = self._cases()
        dev, test = sample_and_split(cases, self.inputs["cases"], self.inputs["dev_share"], self.inputs["seed"],
                                     self.ctx["stratify_by"])
        if fmt == "tatqa":
            for split, chosen in (("dev", dev), ("test", test)):
                keep = {c["id"] for c in chosen}
                doc = [{**ctx, "questions": [q for q in ctx.get("questions") or [] if str(q.get("uid")) in keep]}
                       for ctx in raw]
                (self.out / f"{split}.json").write_text(
                    json.dumps([c for c in doc if c["questions"]], ensure_ascii=False, indent=1), encoding="utf-8")
        else:
            gold = "label" if self.ctx["task"] == "classification" and self.ctx["stratify_by"] == "label" else "output"
            for split, chosen in (("dev", dev), ("test", test)):
                _write_jsonl(self.out / f"{split}.jsonl",
                             ({"id": c["id"], "input": c["input"], "system": c["system"], "stratum": c["stratum"],
                               "answer": c[gold] if c[gold] is not None else c["output"]} for c in chosen))
        _write_jsonl(self.out / "sample.jsonl", ({**c, "split": s} for s, rows in (("dev", dev), ("test", test))
                                                 for c in rows))
        per = Counter(c["stratum"] for c in dev + test)
        self.ledger.update("sample", dev=len(dev), test=len(test), strata=dict(per))
        return f"{len(dev)} dev, {len(test)} test" + (f" across {len(per)} strata" if len(per) > 1 else "")

    def _sampled(self) -> list[dict[str, Any]]:
        with open(self.out / "sample.jsonl", encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    def step_config(self):
        import yaml

        from advisor.evals.config import load_config

        ctx, base = self.ctx, self.inputs["baseline"]
        fmt, task, metric = ctx["format"], ctx["task"], ctx["metric"]
        sampled = self._sampled()
        model = base.get("model") or f"{PLACEHOLDER}-baseline-model-id"
        if base["provider"] == "openai":
            provider = {"type": "openai", "base_url": base.get("base_url") or f"{PLACEHOLDER}-endpoint-url",
                        "api_key_env": "OPENAI_API_KEY", "concurrency": 4}
        else:
            provider = {"type": "bedrock", "concurrency": 4}
            if base.get("region"):
                provider["region"] = base["region"]
        cfg: dict[str, Any] = {"name": f"{self.plan.name}"[:40] or "evals", "metric": metric}
        if fmt == "tatqa":
            cfg["dataset"] = {"path": "test.json", "format": "tatqa"}
            cfg["system"] = ("You answer questions about a financial report using its table and text. Reply with one "
                             "JSON object and nothing else: {\"answer\": ..., \"scale\": ...}.")
            cfg["prompt"] = "<table>\n{{ table }}\n</table>\n<text>\n{{ paragraphs }}\n</text>\nQuestion: {{ question }}"
            cfg["postprocess"] = "tatqa"
        else:
            cfg["dataset"] = {"path": "test.jsonl", "format": "jsonl"}
            if any(c.get("system") for c in sampled):
                cfg["system"] = "{{ system }}"
            cfg["prompt"] = "{{ input }}"
            if task == "classification":
                labels = sorted({str(c.get("label") or c.get("output")) for c in sampled})
                if not any(c.get("system") for c in sampled):
                    cfg["system"] = ("Reply with exactly one of these labels and nothing else: "
                                     + ", ".join(labels[:50]))
                cfg["postprocess"] = "first_line"
        cfg["providers"] = {"baseline": provider}
        cfg["variants"] = [{"name": "current-system", "provider": "baseline", "model": model}]
        written = []
        if task == "structured":
            schema = infer_schema([c["output"] for c in sampled if c.get("output")])
            (self.out / "schema.json").write_text(json.dumps(schema, indent=2), encoding="utf-8")
            cfg["json_schema"] = "schema.json"
            written.append("schema.json")
        if task == "free_text":
            cfg["judge"] = {"provider": "baseline", "model": f"{PLACEHOLDER}-judge-model-id",
                            "rubric": ("The answer does what the reference answer does for this input: it is correct, "
                                       "complete and in the expected format and tone. Minor wording differences are "
                                       "fine. (Replace this with your experts' rubric.)")}
        cfg["stats"] = {"bootstrap_samples": 1000, "confidence": 0.95, "seed": 0}
        cfg["output_dir"] = "runs/baseline"
        placeholders = [k for k, v in (("variants[0].model", model), ("providers.baseline.base_url",
                                                                     provider.get("base_url") or ""),
                                       ("judge.model", (cfg.get("judge") or {}).get("model", "")))
                        if PLACEHOLDER in str(v)]
        header = ["# Eval config written by `advisor launch build_evals` from your own cases.",
                  f"# Task: {task} ({ctx['task_why']}); scorer: {ctx['scorer']}.",
                  "# The test split is test.* here; tune prompts on dev.* only, so the test score stays honest.",
                  "# Add your candidate (few-shot, RAG, a tuned model) as a second variant: `eval run` then",
                  "# reports the gap between them with a paired interval.",
                  "# Run: advisor eval run --config eval.yaml"]
        if placeholders:
            header.insert(1, f"# FILL IN BEFORE RUNNING: {', '.join(placeholders)} still hold {PLACEHOLDER}-… placeholders "
                             "(the current system was not given: use --baseline-model / --base-url).")
        path = self.out / "eval.yaml"
        path.write_text("\n".join(header) + "\n" + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True),
                        encoding="utf-8")
        load_config(path)  # the same check `eval run` makes
        self.ledger.update("config", config=str(path), placeholders=placeholders, metric=metric,
                           files=written)
        return f"{path.name}: metric {metric}" + (f"; fill in {', '.join(placeholders)}" if placeholders else "")

    def step_annotate(self):
        from advisor.evals.report import csv_cell

        path = self.out / "annotation.csv"
        rows = self._sampled()
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(ANNOTATION_COLUMNS)
            for c in rows:
                w.writerow([csv_cell(v) for v in (c["id"], c["split"], c["stratum"], c["input"],
                                                  c.get("output") or "", "", "", "", "")])
        self.ledger.update("annotate", sheet=str(path), rows=len(rows))
        return f"{path.name}: {len(rows)} rows (fill verdict pass/fail or label; keep the id column)"

    def step_agreement(self):
        labels = self.inputs.get("labels")
        if not labels:
            return "skipped", "no --labels"
        a_path, b_path = labels[0]["path"], labels[1]["path"]
        result = agreement(read_labels(a_path), read_labels(b_path), a_path, b_path)
        self.ledger.update("agreement", **result)
        return (f"Cohen's kappa {result['kappa']:.2f} on {result['rows']} rows ({result['reading']})"
                if result["kappa"] is not None else result["reading"])

    def step_report(self):
        paths = write_reports(self.plan, self.ledger, self.out)
        self.ledger.update("report", **{k: str(v) for k, v in paths.items()})
        return ", ".join(str(p) for p in paths.values())


def run(plan: Plan, ledger, progress, **options) -> None:
    Runner(plan, ledger, progress, **options).run()


# --- agreement --------------------------------------------------------------------------------------------

def read_labels(path: str | Path) -> dict[str, str]:
    """id -> the expert's judgement (``label`` when filled, else ``verdict``) from a labelled sheet."""
    from advisor.files import read_text

    text = read_text(path)
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "id" not in reader.fieldnames:
        raise InputError("an annotation sheet needs an \"id\" column (the sheet build_evals wrote)",
                         location_for(str(path), 1))
    out: dict[str, str] = {}
    for row in reader:
        value = (row.get("label") or "").strip() or (row.get("verdict") or "").strip()
        ident = (row.get("id") or "").lstrip("'")
        if value:
            out[ident] = value.lstrip("'").strip().casefold()
    return out


def kappa_reading(kappa: float | None) -> str:
    """Plain words for a kappa (Landis and Koch's bands)."""
    if kappa is None:
        return "no rows labelled by both people"
    if kappa < 0:
        return "worse than chance: the two people disagree systematically; compare guidelines before going on"
    for bound, words in ((0.2, "slight agreement: the labels are not reliable yet; sharpen the guidelines"),
                         (0.4, "fair agreement: the guidelines leave too much to judgement"),
                         (0.6, "moderate agreement: usable, but resolve the disagreements and refine the guidelines"),
                         (0.8, "substantial agreement: the labels can be trusted for evals"),
                         (1.01, "almost perfect agreement")):
        if kappa < bound:
            return words
    return "almost perfect agreement"


def agreement(a: dict[str, str], b: dict[str, str], a_name: str = "A", b_name: str = "B") -> dict[str, Any]:
    """Raw agreement and Cohen's kappa over the ids both sheets label."""
    both = sorted(set(a) & set(b))
    n = len(both)
    if not n:
        return {"rows": 0, "agreement": None, "kappa": None, "reading": kappa_reading(None), "disagreements": []}
    agree = sum(a[i] == b[i] for i in both) / n
    ca, cb = Counter(a[i] for i in both), Counter(b[i] for i in both)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    kappa = 1.0 if expected >= 1.0 else (agree - expected) / (1 - expected)
    kappa = round(kappa, 4)
    return {"rows": n, "agreement": round(agree, 4), "kappa": kappa, "reading": kappa_reading(kappa),
            "only_in_first": len(set(a) - set(b)), "only_in_second": len(set(b) - set(a)),
            "disagreements": [{"id": i, "first": a[i], "second": b[i]} for i in both if a[i] != b[i]][:20],
            "sheets": [str(a_name), str(b_name)]}


# --- report -----------------------------------------------------------------------------------------------

def next_commands(plan: Plan) -> list[str]:
    """What to run next, exactly: the eval run, then the re-measure command."""
    from advisor.engine.evidence import remeasure_command

    out = Path(plan.context["out"])
    config = out / "eval.yaml"
    results = out / "runs" / "baseline" / "results.json"
    answers = (plan.inputs.get("answers") or {}).get("path")
    return [f"advisor eval run --config {shlex.quote(str(config))}", remeasure_command(answers, str(results))]


def _md(text: Any) -> str:
    from advisor.launchers.report import _md as md

    return md(text)


def write_reports(plan: Plan, ledger, out: Path) -> dict[str, Path]:
    out = Path(out)
    res = ledger.resources
    ctx = plan.context
    steps = [(s.name, "done" if s.name == "report" else ledger.status(s.name),
              "this report" if s.name == "report" else ledger.state["steps"].get(s.name, {}).get("detail", ""))
             for s in plan.steps]
    sample = res("sample")
    facts = [f"data: {plan.inputs['data']['path']} ({ctx['cases_total']} cases, {ctx['format']})",
             f"sample: {sample.get('dev', '?')} dev and {sample.get('test', '?')} test cases, seed "
             f"{plan.inputs['seed']}" + (f", stratified by {ctx['stratify_by']}" if ctx["stratify_by"] else
                                        ", no label or slice to stratify by"),
             f"task: {ctx['task']} ({ctx['task_why']})", f"scorer: {ctx['scorer']} (metric {ctx['metric']})"]
    strata = sample.get("strata") or {}
    if len(strata) > 1:
        facts.append("cases per stratum: " + ", ".join(f"{k} {v}" for k, v in sorted(strata.items())))
    placeholders = res("config").get("placeholders") or []
    todo = ([f"fill in {p} in eval.yaml (it holds a {PLACEHOLDER} placeholder: the current system was not given)"
             for p in placeholders]
            + ["review eval.yaml's prompt: it should be the prompt your system sends today",
               "ask subject-matter experts to fill annotation.csv (verdict pass/fail, or label); two people labelling "
               "the same rows let you measure their agreement: repeat this launch command with --labels A.csv B.csv"])
    agree = res("agreement")
    agree_lines = []
    if agree.get("rows"):
        agree_lines = [f"Cohen's kappa {agree['kappa']:.2f} over {agree['rows']} rows both labelled "
                       f"(raw agreement {agree['agreement']:.0%}): {agree['reading']}"]
        agree_lines += [f"disagreement on {d['id']}: {d['first']} vs {d['second']}"
                        for d in agree.get("disagreements", [])[:10]]
    elif agree:
        agree_lines = [str(agree.get("reading", ""))]
    commands = next_commands(plan)
    md = [f"# Build evals: {_md(plan.name)}", "", "## What was built", ""]
    md += [f"- {_md(f)}" for f in facts]
    md += ["", "## Steps", "", "| step | status | detail |", "| --- | --- | --- |"]
    md += [f"| {_md(a)} | {_md(b)} | {_md(c)} |" for a, b, c in steps]
    md += ["", "## Before you run", ""] + [f"- {_md(t)}" for t in todo]
    if agree_lines:
        md += ["", "## Agreement between labellers", ""] + [f"- {_md(line)}" for line in agree_lines]
    md += ["", "## Next", "", "Run the eval (this calls the model and may bill), then feed its results back into the "
           "advice (re-measure):", "", "```", *commands, "```", ""]
    md_path = out / "report.md"
    md_path.write_text("\n".join(md), encoding="utf-8")
    e = html.escape
    page = ["<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
            f"<title>Build evals: {e(plan.name)}</title><style>body{{font-family:sans-serif;max-width:60em;"
            "margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;"
            "text-align:left;vertical-align:top}pre{background:#f4f4f4;padding:.6em}</style></head><body>",
            f"<h1>Build evals: {e(plan.name)}</h1><h2>What was built</h2><ul>"
            + "".join(f"<li>{e(f)}</li>" for f in facts) + "</ul>",
            "<h2>Steps</h2><table><tr><th>step</th><th>status</th><th>detail</th></tr>"
            + "".join(f"<tr><td>{e(a)}</td><td>{e(b)}</td><td>{e(str(c))}</td></tr>" for a, b, c in steps)
            + "</table>",
            "<h2>Before you run</h2><ul>" + "".join(f"<li>{e(t)}</li>" for t in todo) + "</ul>"]
    if agree_lines:
        page.append("<h2>Agreement between labellers</h2><ul>" + "".join(f"<li>{e(x)}</li>" for x in agree_lines)
                    + "</ul>")
    page.append("<h2>Next</h2><p>Run the eval (this calls the model and may bill), then feed its results back into "
                "the advice (re-measure):</p><pre>" + e("\n".join(commands)) + "</pre></body></html>\n")
    html_path = out / "report.html"
    html_path.write_text("".join(page), encoding="utf-8")
    return {"markdown": md_path, "html": html_path}
