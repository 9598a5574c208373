"""Launcher for ``distill``: real prompts -> held-out test set -> teacher answers -> filters -> judge ->
student data and trainer configs -> (train) -> student evaluation -> report; or the managed route, a
Bedrock distillation job.

``advisor launch distill --answers FILE --config FILE --out DIR [--prompts FILE] [--logs PATH|s3://…]…``

Steps (local route): ``prompts`` (file and logs, filtered, sampled, capped, de-duplicated), ``holdout``
(the test set, split before any teacher call), ``generate`` (the batch runner, resumable after ``kill -9``
with every prompt answered exactly once; or Bedrock batch inference at or above the job minimum, joined
on ``recordId``), ``filter`` (deterministic, cheapest first, each drop with its reason), ``judge`` (LLM
judge, seed 003's shape; agreement with human labels), ``relabel`` (judge rejects re-answered by a stronger
model), ``export`` (TRL, LLaMA-Factory, Axolotl, Bedrock), ``leak_check`` (no test prompt in any training
file), ``train`` (``--train TRAINER`` when installed), ``evaluate`` (student vs base student vs teacher on
the held-out set; cascade share; monthly cost), ``report``.

Managed route (config ``managed:``): ``prompts``, ``holdout``, ``upload`` (single-turn
``bedrock-conversation-2024`` prompts of the training side only), ``create_job``
(``customizationType="DISTILLATION"``, a catalogue teacher/student pair), ``watch``, ``report``.

The teacher's terms of service and the student's licence are listed in the plan as items the user
confirms; ``--yes`` names them when it confirms.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from advisor.errors import AdvisorError, CheckFailed, InputError, UsageError, location_for
from advisor.launchers.plan import Field, Plan, Request, Step
from advisor.launchers.running import StillRunning, fault, run_steps

PATH = "distill"
RUNNING = {"InProgress", "Stopping"}

# Bedrock Model Distillation pairs (catalogue-2026.md §4, prequisites-model-distillation.html):
# teacher family -> (student families, region)
MANAGED_PAIRS: dict[str, tuple[tuple[str, ...], str]] = {
    "nova-premier": (("nova-pro", "nova-lite", "nova-micro"), "us-east-1"),
    "nova-pro": (("nova-lite", "nova-micro"), "us-east-1"),
    "llama3-1-405b": (("llama3-1-8b", "llama3-1-70b", "llama3-2-1b", "llama3-3-70b"), "us-west-2"),
    "llama3-1-70b": (("llama3-1-8b", "llama3-2-1b", "llama3-2-3b"), "us-west-2"),
    "llama3-3-70b": (("llama3-1-8b", "llama3-2-1b", "llama3-2-3b"), "us-west-2"),
}
MANAGED_MIN_PROMPTS = 100  # rules/sources.yaml aws_distillation: at least 100 prompts


def _family(model_id: str) -> str | None:
    m = model_id.lower()
    for fam in ("nova-premier", "nova-pro", "nova-lite", "nova-micro", "llama3-1-405b", "llama3-1-70b",
                "llama3-3-70b", "llama3-1-8b", "llama3-2-1b", "llama3-2-3b"):
        if fam in m:
            return fam
    return None






# --- command line --------------------------------------------------------------------------------------

def _add(group, parser, flag: str, **kw) -> None:
    """Add ``flag`` unless another launcher already did (the launch parser is shared)."""
    if flag not in parser._option_string_actions:
        group.add_argument(flag, **kw)


def add_arguments(p) -> None:
    g = p.add_argument_group("distill (also: --train TRAINER runs trl|llamafactory|axolotl when installed; "
                             "--profile; --wait)")
    _add(g, p, "--prompts", metavar="FILE", help="distill: prompts JSONL (messages, or prompt/question/input)")
    _add(g, p, "--config", metavar="FILE", help="distill: config YAML (teacher:, student:, filters:, judge: …)")
    _add(g, p, "--out", metavar="DIR", help="distill: output folder (data, ledgers, exports, report)")
    _add(g, p, "--logs", metavar="PATH", action="append",
         help="distill: production logs, a file, folder or s3://bucket/prefix (repeatable)")
    _add(g, p, "--log-format", choices=("auto", "bedrock", "openai"), default="auto",
         help="distill: Bedrock invocation logs or OpenAI-format request logs (default: by record)")
    _add(g, p, "--log-model", metavar="PATTERN", action="append", help="distill: keep log records of this model "
                                                                        "(shell pattern; repeatable)")
    _add(g, p, "--log-since", metavar="YYYY-MM-DD", help="distill: keep log records from this day")
    _add(g, p, "--log-until", metavar="YYYY-MM-DD", help="distill: keep log records up to this day")
    _add(g, p, "--log-tag", metavar="KEY=VALUE", action="append", help="distill: keep log records with this "
                                                                        "request metadata (repeatable, all must match)")
    _add(g, p, "--log-keyword", metavar="WORD", action="append", help="distill: keep log records whose user "
                                                                       "text has any of these words")
    _add(g, p, "--sample-rate", type=float, default=1.0, metavar="R",
         help="distill: keep this share of log prompts (0-1, stable across re-runs)")
    _add(g, p, "--max-rows", type=int, metavar="N", help="distill: at most N prompts")


def _fingerprint(value: str | None, what: str) -> dict[str, Any] | None:
    if value is None:
        return None
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
    Field("config", "Config (YAML: teacher, student, filters …)", "file", required=True),
    Field("out", "Output folder", required=True),
    Field("prompts", "Prompts (JSONL; or give production logs below)", "file"),
    Field("logs", "Production logs (files, folders or s3://bucket/prefix, separated by spaces)"),
    Field("max_rows", "At most this many prompts (optional)", "int"),
)


def inputs_from_args(args, answers: dict[str, Any] | None = None) -> dict[str, Any]:
    from advisor.distill.config import TRAINERS
    from advisor.distill.prompts import parse_date, parse_tags

    if not getattr(args, "config", None) or not getattr(args, "out", None):
        raise UsageError("distill needs --config FILE and --out DIR (and --prompts FILE or --logs PATH)")
    logs = list(getattr(args, "logs", None) or [])
    if not args.prompts and not logs:
        raise UsageError("distill needs --prompts FILE or --logs PATH (a folder, file or s3://bucket/prefix)")
    for source in logs:
        if not source.startswith("s3://") and not Path(source).exists():
            raise InputError("log file or folder not found", location_for(source))
    trainer = getattr(args, "train", None)
    if trainer is not None and trainer not in TRAINERS:
        raise UsageError(f"--train {trainer!r}: for distill, name the trainer to run: {', '.join(TRAINERS)}")
    rate = args.sample_rate
    if not 0 < rate <= 1:
        raise UsageError("--sample-rate must be in (0, 1]")
    if args.max_rows is not None and args.max_rows < 1:
        raise UsageError("--max-rows must be 1 or more")
    return {
        "prompts": _fingerprint(args.prompts, "prompts"),
        "config": _fingerprint(args.config, "config"),
        "out": str(Path(args.out).resolve()),
        "logs": [s if s.startswith("s3://") else str(Path(s).resolve()) for s in logs],
        "log_format": args.log_format,
        "log_filters": {"models": list(args.log_model or []),
                        "since": str(parse_date(args.log_since, "--log-since") or "") or None,
                        "until": str(parse_date(args.log_until, "--log-until") or "") or None,
                        "tags": parse_tags(args.log_tag), "keywords": list(args.log_keyword or []),
                        "sample_rate": rate, "max_rows": args.max_rows},
        "train": trainer,
        "profile": getattr(args, "profile", None),
        "region": getattr(args, "region", None),
    }


# --- plan ---------------------------------------------------------------------------------------------

def _count_prompt_chars(info: dict[str, Any] | None) -> tuple[int, int]:
    if not info:
        return 0, 0
    lines = chars = 0
    with open(info["path"], encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.strip():
                lines += 1
                chars += len(line)
    return lines, chars


def _teacher_price(cfg, rulebase):
    t = cfg.teacher
    if t is None:
        return None, None, ""
    if t.price_input_per_million is not None and t.price_output_per_million is not None:
        return t.price_input_per_million, t.price_output_per_million, "config teacher.price_*"
    try:
        from advisor.knowledge.prices import prices_of

        price = prices_of(rulebase).for_model(t.model)
    except Exception:
        price = None
    if price is not None:
        return price.input_per_million, price.output_per_million, "rule base prices"
    return None, None, ""


def _endpoint_request(name: str, ep) -> Request:
    where = ep.base_url if ep.type == "openai" else f"bedrock-runtime {ep.region or '(default region)'}"
    op = "POST /chat/completions" if ep.type == "openai" else "Converse"
    return Request(ep.type, op, {"endpoint": where, "model": ep.model, "max_tokens": ep.max_tokens,
                                 "temperature": ep.temperature, "concurrency": ep.concurrency, "role": name})


def terms_items(cfg) -> list[str]:
    teacher = cfg.managed.teacher if cfg.managed is not None else (cfg.teacher.model if cfg.teacher else "?")
    student = cfg.managed.student if cfg.managed is not None else cfg.student.model
    terms = (cfg.teacher.terms if cfg.teacher is not None and cfg.teacher.terms else
             "not given in the config (teacher.terms): read the provider's terms on using outputs to train "
             "another model")
    licence = cfg.student.licence or "not given in the config (student.licence): read the model card's licence"
    return [f"the teacher's terms of service allow training a model on {teacher}'s outputs: {terms}",
            f"the student model's licence allows this use and serving: {student}: {licence}"]


def plan(rec, inputs: dict[str, Any], rulebase=None, name: str = "distill") -> Plan:
    from advisor.distill.config import load_distill_config
    from advisor.launchers.ledger import token

    loaded = load_distill_config(inputs["config"]["path"])
    cfg = loaded.config
    out = Path(inputs["out"])
    if cfg.judge is not None and cfg.judge.labelled:
        from advisor.distill.judge import read_labelled

        read_labelled(loaded.resolve(cfg.judge.labelled))  # fewer than 30 rows stops the launch here (exit 1)
    if cfg.filters.json_schema:
        from advisor.evals.schema import load_schema

        load_schema(loaded.resolve(cfg.filters.json_schema))
    if cfg.filters.command is not None and shutil.which(cfg.filters.command.argv[0]) is None:
        raise InputError(f"filters.command: {cfg.filters.command.argv[0]!r} is not an executable on PATH",
                         location_for(loaded.path))
    answers = dict(getattr(rec, "answers", None) or {})
    n_prompts, chars = _count_prompt_chars(inputs.get("prompts"))
    steps: list[Step] = []
    src = []
    if inputs.get("prompts"):
        src.append(f"{n_prompts:,} lines of {Path(inputs['prompts']['path']).name}")
    for s in inputs.get("logs") or []:
        src.append(f"logs {s}")
    lf = inputs.get("log_filters") or {}
    active = {k: v for k, v in lf.items() if v not in (None, [], {}, 1.0)}
    steps.append(Step("prompts", "read the prompts, filter, sample, cap and de-duplicate",
                      [Request("s3", "list_objects_v2 / get_object", {"source": s})
                       for s in inputs.get("logs") or [] if s.startswith("s3://")],
                      detail="; ".join(src) + (f"; log filters {json.dumps(active, sort_keys=True)}" if active else "")))
    h = cfg.holdout
    steps.append(Step("holdout", "hold out the test set before any teacher call",
                      detail=f"{h.fraction:.0%} of distinct prompts, at least {h.min_count}, at most {h.max_count}, "
                             f"seed {h.seed}; checked again after export (no test prompt may reach training data)"))
    notes = [f"confirm: {item}" for item in terms_items(cfg)]
    if rec is not None and getattr(rec, "path", None) and rec.path != PATH:
        notes.append(f"the recommendation's path is {rec.path!r}, not {PATH!r}: launching as asked")
    context: dict[str, Any] = {"config": str(loaded.path), "config_dir": str(loaded.base), "out": str(out),
                               "route": "managed" if cfg.managed is not None else "local",
                               "terms": terms_items(cfg), "region": None,
                               "monthly_requests": answers.get("monthly_requests"),
                               "gpu_hourly_usd": cfg.student.gpu_hourly_usd if cfg.student.gpu_hourly_usd is not None
                               else answers.get("gpu_hourly_usd")}
    if cfg.managed is not None:
        m = cfg.managed
        tf, sf = _family(m.teacher), _family(m.student)
        if m.teacher.lower().startswith("anthropic."):
            raise CheckFailed(f"Bedrock distillation does not take Anthropic teachers ({m.teacher}); use the local "
                              "route (teacher: block without managed:)")
        if tf not in MANAGED_PAIRS or sf not in MANAGED_PAIRS[tf][0]:
            pairs = "; ".join(f"{t} -> {', '.join(s)} ({r})" for t, (s, r) in MANAGED_PAIRS.items())
            raise CheckFailed(f"Bedrock distillation does not support {m.teacher} -> {m.student}. Supported pairs "
                              f"(catalogue, as of 2026-12-01): {pairs}")
        region = m.region or inputs.get("region") or MANAGED_PAIRS[tf][1]
        if region != MANAGED_PAIRS[tf][1]:
            raise CheckFailed(f"{tf} -> {sf} distillation runs in {MANAGED_PAIRS[tf][1]}, not {region}")
        from advisor.aws import ROLE_ARN

        if not ROLE_ARN.fullmatch(m.role_arn):
            raise UsageError(f"managed.role_arn {m.role_arn!r} is not an IAM role ARN")
        suffix = token(name, "names")[:8]
        base_key = "/".join(p for p in (m.prefix.strip("/"), name) if p)
        key = f"{base_key}/distill/prompts.jsonl"
        job = {"jobName": f"advisor-{name}-{suffix}", "customModelName": f"advisor-{name}-{suffix}",
               "roleArn": m.role_arn, "baseModelIdentifier": m.student, "customizationType": "DISTILLATION",
               "trainingDataConfig": {"s3Uri": f"s3://{m.bucket}/{key}"},
               "outputDataConfig": {"s3Uri": f"s3://{m.bucket}/{base_key}/output/"},
               "customizationConfig": {"distillationConfig": {"teacherModelConfig": {
                   "teacherModelIdentifier": m.teacher, "maxResponseLengthForInference": m.max_response_length}}},
               "jobTags": [{"key": "advisor-launch", "value": name}],
               "customModelTags": [{"key": "advisor-launch", "value": name}],
               "clientRequestToken": token(name, "create_job")}
        steps.append(Step("upload", "upload the training side's prompts (single-turn bedrock-conversation-2024)",
                          [Request("s3", "put_object", {"Bucket": m.bucket, "Key": key,
                                                        "ServerSideEncryption": "AES256"})],
                          detail=f"at least {MANAGED_MIN_PROMPTS} prompts (Bedrock's minimum); the test set stays local"))
        steps.append(Step("create_job", "create the Bedrock distillation job",
                          [Request("bedrock", "create_model_customization_job", job)], bills=True, cost_usd=None,
                          cost_note="teacher inference on every prompt plus student training, at Bedrock's "
                                    "distillation prices (not in the rule base: see the Bedrock pricing page)",
                          detail="; ".join(notes)))
        steps.append(Step("watch", "watch the job until it ends (exit 4 while it runs, unless --wait)",
                          [Request("bedrock", "get_model_customization_job", {"jobIdentifier": job["jobName"]})]))
        steps.append(Step("report", "write the launch report (report.md and report.html)"))
        context.update(region=region, job_name=job["jobName"], bucket=m.bucket, s3_key=key, base_key=base_key)
        return Plan(PATH, name, inputs, steps, notes, context)

    t = cfg.teacher
    pin, pout, psrc = _teacher_price(cfg, rulebase)
    est_in = int(chars / 3)
    est_out = int(n_prompts * t.max_tokens)
    if pin is not None and n_prompts:
        cost = (est_in * pin + est_out * pout) / 1e6
        note = (f"at most ~{est_in:,} input + {est_out:,} output tokens (max_tokens x prompts) at "
                f"${pin}/${pout} per 1M ({psrc}); the held-out share is not sent")
    else:
        cost, note = None, ("no teacher price known: set teacher.price_input_per_million and "
                            "price_output_per_million in the config to estimate" if n_prompts else
                            "prompts come from logs: the count is known after the prompts step")
    route = "the batch runner"
    reqs = [_endpoint_request("teacher", t)]
    if t.batch is not None:
        route = (f"Bedrock batch inference when the training side has at least {t.batch.min_records} prompts "
                 "(joined on recordId), else the batch runner")
        reqs.append(Request("bedrock", "create_model_invocation_job", {
            "roleArn": t.batch.role_arn, "modelId": t.model, "modelInvocationType": "Converse",
            "inputDataConfig": {"s3InputDataConfig": {"s3Uri": f"{t.batch.s3_uri}/<job>/input/records.jsonl",
                                                      "s3InputFormat": "JSONL"}},
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"{t.batch.s3_uri}/<job>/output/"}}}))
    steps.append(Step("generate", f"teacher answers for the training prompts through {route}", reqs, bills=True,
                      cost_usd=cost, cost_note=note,
                      detail="resumable: a re-run answers only prompts without an answer; billed: you confirm the "
                             "teacher's terms and the student's licence (notes below)"))
    f = cfg.filters
    active_filters = ["length", "truncated"] + (["refusal"] if f.refusals else []) + (["regex"] if f.regex else []) \
        + (["json_schema"] if f.json_schema else []) + (["gold"] if f.gold else []) \
        + (["duplicate"] if f.dedupe else []) + (["command"] if f.command else [])
    steps.append(Step("filter", "deterministic filters, cheapest first (dropped records kept with reasons)",
                      detail=" -> ".join(active_filters)))
    if cfg.judge is not None:
        steps.append(Step("judge", "LLM judge on every kept answer (<reason>, <judgement>correct|incorrect)",
                          [_endpoint_request("judge", cfg.judge)], bills=True, cost_usd=None,
                          cost_note="one judge call per kept answer" + (" plus the labelled sample"
                                                                        if cfg.judge.labelled else ""),
                          detail=("agreement with human labels on " + cfg.judge.labelled) if cfg.judge.labelled
                          else "no labelled sample: the judge's agreement is not measured"))
    else:
        steps.append(Step("judge", "skipped (no judge: in the config)"))
    if cfg.relabel is not None:
        steps.append(Step("relabel", "re-answer what the judge rejected with a stronger model",
                          [_endpoint_request("relabel", cfg.relabel)], bills=True, cost_usd=None,
                          cost_note="one call per rejected answer"))
    else:
        steps.append(Step("relabel", "skipped (judge rejects are dropped; add relabel: to re-answer them)"))
    steps.append(Step("export", "student data and trainer configs: TRL, LLaMA-Factory, Axolotl, Bedrock",
                      detail=f"LoRA settings for {cfg.student.model}; max length from the p95 of token counts"))
    steps.append(Step("leak_check", "check that no held-out prompt reached any training file"))
    trainer = inputs.get("train")
    steps.append(Step("train", f"run {trainer} (when installed; log kept)" if trainer else
                      "skipped (pass --train trl|llamafactory|axolotl to run a trainer here)"))
    if cfg.student.endpoint is not None:
        reqs = [_endpoint_request("student", cfg.student.endpoint)]
        if cfg.student.base_endpoint is not None:
            reqs.append(_endpoint_request("base_student", cfg.student.base_endpoint))
        reqs.append(_endpoint_request("teacher", t))
        steps.append(Step("evaluate", "student vs base student vs teacher on the held-out set (eval harness)",
                          reqs, bills=True, cost_usd=None,
                          cost_note="the teacher answers the held-out prompts once (the student's server is yours)",
                          detail=f"metric {cfg.evaluate.metric}; cascade at quality bar {cfg.evaluate.quality_bar:g}"))
    else:
        steps.append(Step("evaluate", "skipped (no student.endpoint: serve the trained student behind an "
                                      "OpenAI-compatible server, add it to the config and launch again)"))
    steps.append(Step("report", "write the launch report (report.md and report.html)"))
    context.update(teacher_price={"input": pin, "output": pout, "source": psrc},
                   economics=_economics(rulebase, answers, context["gpu_hourly_usd"]))
    return Plan(PATH, name, inputs, steps, notes, context)


def _economics(rulebase, answers: dict[str, Any], gpu: float | None) -> dict[str, Any] | None:
    """The economics' figures for the distilled option and today's large model (None without a rule base)."""
    if rulebase is None:
        return None
    try:
        from advisor.economics.model import cost_model
        from advisor.knowledge.prices import prices_of

        values = {**answers, **({"gpu_hourly_usd": gpu} if gpu is not None else {})}
        econ = cost_model(prices_of(rulebase), values)
    except Exception:  # a rule base without prices: the report names what is missing instead
        return None
    out: dict[str, Any] = {}
    for key, option_id in (("distilled", "distilled_self_hosted"), ("baseline", econ.baseline)):
        if not option_id:
            continue
        o = econ.option(option_id)
        out[key] = {"title": o.title, "monthly_usd": o.monthly_usd, "per_request_usd": o.per_request_usd,
                    "formula": o.formula, "missing": list(o.missing_inputs)}
    return out


# --- run ----------------------------------------------------------------------------------------------

class Runner:
    def __init__(self, plan: Plan, ledger, progress, *, wait: bool = False, poll_interval: float = 30.0,
                 poll_max: float = 300.0, rulebase=None, sleep=time.sleep, **_):
        from advisor.distill.config import load_distill_config

        self.plan = plan
        self.ledger = ledger
        self.progress = progress
        self.wait = wait
        self.poll_interval = poll_interval
        self.poll_max = poll_max
        self.sleep = sleep
        self.rulebase = rulebase
        self.inputs = plan.inputs
        self.ctx = plan.context
        self.loaded = load_distill_config(self.ctx["config"])
        self.cfg = self.loaded.config
        self.out = Path(self.ctx["out"])

    def path(self, name: str) -> Path:
        return self.out / name

    def run(self) -> None:
        from advisor.batch import open_ledger_dir

        open_ledger_dir(self.out)
        if "terms_confirmed" not in self.ledger.state:
            self.progress.info("you confirm: " + " | ".join(self.ctx.get("terms") or []))
            self.ledger.set("terms_confirmed", self.ctx.get("terms") or [])
        run_steps(self, self.plan, self.ledger, self.progress)

    # -- prompts and hold-out -------------------------------------------------------------------------
    def step_prompts(self, step):
        from advisor.distill.prompts import LogFilters, collect, require_some, write_jsonl

        lf = self.inputs.get("log_filters") or {}
        filters = LogFilters(models=lf.get("models") or [], tags=lf.get("tags") or {},
                             keywords=lf.get("keywords") or [], sample_rate=lf.get("sample_rate") or 1.0,
                             max_rows=lf.get("max_rows"),
                             since=dt.date.fromisoformat(lf["since"]) if lf.get("since") else None,
                             until=dt.date.fromisoformat(lf["until"]) if lf.get("until") else None)
        prompts = (self.inputs.get("prompts") or {}).get("path")
        records, stats = collect(prompts, self.inputs.get("logs") or [], self.inputs.get("log_format", "auto"),
                                 filters, self.inputs.get("profile"))
        n = write_jsonl(self.path("prompts.jsonl"), records)
        require_some(n, "after reading and filtering")
        skipped = stats.get("skipped") or []
        self.ledger.update("prompts", prompts=n, duplicates=stats.get("duplicates", 0),
                           over_cap=stats.get("over_cap", 0), log_records_skipped=len(skipped),
                           skipped_examples=skipped[:5], file=str(self.path("prompts.jsonl")))
        extra = f", {stats.get('duplicates', 0)} duplicates removed" if stats.get("duplicates") else ""
        extra += f", {len(skipped)} unusable log records skipped" if skipped else ""
        return f"{n} prompts{extra}"

    def step_holdout(self, step):
        from advisor.distill.holdout import split

        h = self.cfg.holdout
        counts = split(self.path("prompts.jsonl"), self.path("train_prompts.jsonl"), self.path("test.jsonl"),
                       fraction=h.fraction, min_count=h.min_count, max_count=h.max_count, seed=h.seed)
        self.ledger.update("holdout", **counts)
        return f"{counts['train_prompts']} training prompts, {counts['test_prompts']} held out"

    # -- teacher -----------------------------------------------------------------------------------------
    def _retry(self):
        from advisor.batch import RetryPolicy

        return RetryPolicy(max_attempts=self.cfg.retry_attempts, base_delay=self.cfg.retry_base_delay,
                           max_delay=self.cfg.retry_max_delay)

    def _request(self, endpoint, record):
        from advisor.providers import ChatRequest

        return ChatRequest(model=endpoint.model, messages=tuple((m["role"], m["content"]) for m in record["messages"]),
                           system=endpoint.system or record.get("system") or None, max_tokens=endpoint.max_tokens,
                           temperature=endpoint.temperature)

    def _run_calls(self, name: str, endpoint, items, ledger_file: str, label: str):
        from advisor.batch import BatchOptions, ProgressPrinter, run_batch
        from advisor.providers import make_provider

        printer = ProgressPrinter(label, stream=sys.stderr, tty=False, every=10.0)
        try:
            return run_batch(items, {name: make_provider(name, endpoint.settings())}, self.path(ledger_file),
                             BatchOptions(mode="retry_errors", cache_dir=self.path("cache"), retry=self._retry(),
                                          on_result=printer))
        finally:
            printer.close()

    def step_generate(self, step):
        from advisor.batch import BatchItem
        from advisor.distill.prompts import iter_jsonl, write_jsonl

        t = self.cfg.teacher
        train = self.path("train_prompts.jsonl")
        n = sum(1 for _ in iter_jsonl(train))
        if t.batch is not None and n >= t.batch.min_records:
            rows = self._generate_batch(train)
        else:
            items = [BatchItem(r["id"], "teacher", self._request(t, r)) for r in iter_jsonl(train)]
            rows = self._run_calls("teacher", t, items, "teacher.jsonl", "teacher calls").rows
        errors = [rows.get(r["id"]) for r in iter_jsonl(train) if (rows.get(r["id"]) or {}).get("status") != "ok"]

        def joined():
            for r in iter_jsonl(train):
                row = rows.get(r["id"]) or {}
                ok = row.get("status") == "ok"
                yield {**r, "answer": row.get("text") if ok else None, "error": None if ok else row.get("error"),
                       "output_tokens": row.get("output_tokens"), "input_tokens": row.get("input_tokens"),
                       "stop_reason": row.get("stop_reason")}

        if errors:
            first = next((e.get("error") for e in errors if e), "no answer")
            self.ledger.update("generate", answered=n - len(errors), failed=len(errors))
            raise AdvisorError(f"{len(errors)} of {n} teacher calls failed (first: {first}); every answer so far is "
                               "kept: fix the cause and re-run the same command to ask only for the missing ones")
        write_jsonl(self.path("generated.jsonl"), joined())
        tokens_in = sum((rows[k].get("input_tokens") or 0) for k in rows)
        tokens_out = sum((rows[k].get("output_tokens") or 0) for k in rows)
        self.ledger.update("generate", answered=n, input_tokens=tokens_in, output_tokens=tokens_out,
                           ledger=str(self.path("teacher.jsonl")))
        return f"{n} answers ({tokens_in:,} input, {tokens_out:,} output tokens)"

    def _generate_batch(self, train: Path) -> dict[str, dict[str, Any]]:
        from advisor.aws import AwsContext
        from advisor.distill.prompts import iter_jsonl
        from advisor.launchers import batch as bedrock_batch
        from advisor.providers.bedrock import BedrockConverse

        t = self.cfg.teacher
        builder = BedrockConverse("teacher")
        records = []
        for r in iter_jsonl(train):
            body = builder.build_request(self._request(t, r))
            body.pop("modelId", None)
            records.append((r["id"], body))
        spec = bedrock_batch.BatchSpec(key=f"distill-{self.plan.name}", model_id=t.model, role_arn=t.batch.role_arn,
                                       s3_uri=t.batch.s3_uri, records=records,
                                       tags=[{"key": "advisor-launch", "value": self.plan.name}])
        aws = AwsContext(profile=self.inputs.get("profile") or t.profile, region=t.region)
        state = dict(self.ledger.resources("generate").get("batch") or {})
        if state.get("digest") != spec.digest:
            state = {"digest": spec.digest}

        def save():
            self.ledger.update("generate", batch=dict(state))

        job, results = bedrock_batch.run_batch(
            spec, aws.client("bedrock"), aws.client("s3"), state, save, wait=self.wait,
            interval=min(self.poll_interval, t.batch.poll_seconds), max_interval=self.poll_max,
            on_poll=lambda status, waited: self.progress.poll("generate", status, waited), sleep=self.sleep)
        if results is None:
            raise StillRunning("generate", f"batch job {spec.job_name} is {job['status']}; re-run the same command "
                                           "later (or add --wait)")
        rows = {}
        for rid, got in results.items():
            if "error" in got:
                err = got["error"]
                rows[rid] = {"key": rid, "status": "error",
                             "error": f"{err.get('errorCode', '')} {err.get('errorMessage', '')}".strip()}
            else:
                usage = got["output"].get("usage") or {}
                rows[rid] = {"key": rid, "status": "ok", "text": bedrock_batch.converse_text(got["output"]),
                             "input_tokens": usage.get("inputTokens"), "output_tokens": usage.get("outputTokens"),
                             "stop_reason": got["output"].get("stopReason"), "batch_job": spec.job_name}
        return rows

    # -- filters, judge, relabel ---------------------------------------------------------------------------
    def step_filter(self, step):
        from advisor.distill.filters import FilterChain, run_filters
        from advisor.distill.prompts import iter_jsonl

        chain = FilterChain(self.cfg.filters, self.loaded.base, self.out)
        result = run_filters(iter_jsonl(self.path("generated.jsonl")), chain, self.path("filtered.jsonl"),
                             self.path("dropped.jsonl"))
        self.ledger.update("filter", **result.to_dict(), dropped_file=str(self.path("dropped.jsonl")))
        drops = ", ".join(f"{k} {v}" for k, v in sorted(result.dropped.items())) or "none dropped"
        return f"{result.kept} of {result.read} kept ({drops})"

    def step_judge(self, step):
        from advisor.batch import BatchItem
        from advisor.distill import judge as J
        from advisor.distill.prompts import iter_jsonl, write_jsonl

        cfg = self.cfg.judge
        if cfg is None:
            shutil.copyfile(self.path("filtered.jsonl"), self.path("judged.jsonl"))
            return "skipped", "no judge configured: every filtered answer is kept"
        items = [BatchItem("judge:" + r["id"], "judge",
                           J.judge_request(cfg, J.record_question(r), r["answer"], J.record_context(r)))
                 for r in iter_jsonl(self.path("filtered.jsonl"))]
        labelled = J.read_labelled(self.loaded.resolve(cfg.labelled)) if cfg.labelled else []
        for row in labelled:
            items.append(BatchItem(f"label:{row['n']}", "judge",
                                   J.judge_request(cfg, row["question"], row["answer"], row.get("context"))))
        rows = self._run_calls("judge", cfg, items, "judge.jsonl", "judge calls").rows
        failed = [k for k in (i.key for i in items) if (rows.get(k) or {}).get("status") != "ok"]
        if failed:
            raise AdvisorError(f"{len(failed)} judge calls failed (first: {(rows.get(failed[0]) or {}).get('error')}); "
                               "re-run the same command to retry them")
        rejected = []

        def kept():
            for r in iter_jsonl(self.path("filtered.jsonl")):
                ok, reason = J.verdict_of(rows.get("judge:" + r["id"]))
                if ok:
                    yield {**r, "judge_reason": reason}
                else:
                    rejected.append({**r, "dropped_by": "judge", "reason": reason})

        n_kept = write_jsonl(self.path("judged.jsonl"), kept())
        write_jsonl(self.path("judge_rejected.jsonl"), rejected)
        details: dict[str, Any] = {"kept": n_kept, "rejected": len(rejected)}
        msg = f"{n_kept} accepted, {len(rejected)} rejected"
        if labelled:
            human = [row["label"] == "correct" for row in labelled]
            judged = [J.verdict_of(rows.get(f"label:{row['n']}"))[0] for row in labelled]
            agree = J.agreement(human, judged)
            details["agreement"] = agree
            msg += f"; agreement with human labels {agree['agreement']:.0%}, kappa {agree['kappa']:.2f} " \
                   f"on {agree['rows']} rows"
            self.ledger.update("judge", **details)
            if agree["kappa"] is not None and agree["kappa"] < 0.4:
                self.progress.info(f"judge: warning: Cohen's kappa {agree['kappa']:.2f} with the human labels is "
                                   "weak (under 0.4): its verdicts are close to chance; check the judge's model "
                                   "and replies (judge.jsonl) before trusting what it dropped")
            if cfg.min_agreement is not None and agree["agreement"] < cfg.min_agreement:
                raise CheckFailed(f"the judge agrees with the human labels on {agree['agreement']:.0%} of rows, "
                                  f"under judge.min_agreement {cfg.min_agreement:.0%}: fix the judge's model or "
                                  "prompt before trusting its verdicts")
        self.ledger.update("judge", **details)
        return msg

    def step_relabel(self, step):
        from advisor.batch import BatchItem
        from advisor.distill.filters import FilterChain, run_filters
        from advisor.distill.prompts import iter_jsonl, write_jsonl

        cfg = self.cfg.relabel
        rejected_path = self.path("judge_rejected.jsonl")
        if cfg is None or not rejected_path.exists():
            shutil.copyfile(self.path("judged.jsonl"), self.path("final.jsonl"))
            return "skipped", "no relabel model: judge rejects are dropped"
        rejected = list(iter_jsonl(rejected_path))
        items = [BatchItem(r["id"], "relabel", self._request(cfg, r)) for r in rejected]
        rows = self._run_calls("relabel", cfg, items, "relabel.jsonl", "relabel calls").rows

        def answered():
            for r in rejected:
                row = rows.get(r["id"]) or {}
                base = {k: v for k, v in r.items() if k not in ("dropped_by", "reason")}
                yield {**base, "answer": row.get("text") if row.get("status") == "ok" else None,
                       "error": row.get("error"), "output_tokens": row.get("output_tokens"),
                       "stop_reason": row.get("stop_reason"), "relabelled_by": cfg.model}

        chain = FilterChain(self.cfg.filters.model_copy(update={"dedupe": False}), self.loaded.base, self.out)
        result = run_filters(answered(), chain, self.path("relabelled.jsonl"), self.path("relabel_dropped.jsonl"))

        def final():
            yield from iter_jsonl(self.path("judged.jsonl"))
            yield from iter_jsonl(self.path("relabelled.jsonl"))

        n = write_jsonl(self.path("final.jsonl"), final())
        self.ledger.update("relabel", relabelled=result.kept, dropped=result.read - result.kept)
        return f"{result.kept} of {result.read} rejected answers re-answered by {cfg.model} and kept ({n} in all)"

    # -- export, leak check, train -----------------------------------------------------------------------
    def step_export(self, step):
        from advisor.distill.exports import export_all

        final = self.path("final.jsonl")
        if not final.exists():
            final = self.path("judged.jsonl")
        info = export_all(final, self.path("student"), self.cfg.student.model, self.rulebase, self.cfg.train)
        self.ledger.update("export", **{k: v for k, v in info.items()})
        return f"{info['records']} training records for trl, llamafactory, axolotl and bedrock"

    def step_leak_check(self, step):
        from advisor.distill.exports import training_files
        from advisor.distill.holdout import check_no_leak

        info = check_no_leak(self.path("test.jsonl"), training_files(self.path("student")))
        self.ledger.update("leak_check", **info)
        return f"none of {info['test_prompts']} held-out prompts in {len(info['files_checked'])} training files"

    def step_train(self, step):
        from advisor.distill.exports import TRAINER_COMMANDS, train_argv

        trainer = self.inputs.get("train")
        folder = self.path("student")
        if not trainer:
            return "skipped", "run it yourself: cd " + str(folder) + " && " + TRAINER_COMMANDS[self.cfg.train.trainer]
        argv = train_argv(trainer, folder)
        if argv is None:
            return "skipped", (f"{trainer} is not installed here; install it (pip install {trainer}) or run "
                               f"`cd {folder} && {TRAINER_COMMANDS[trainer]}` where it is")
        log = self.path(f"train-{trainer}.log")
        with open(log, "ab") as fh:
            fh.write(f"$ {' '.join(argv)}\n".encode())
            fh.flush()
            proc = subprocess.run(argv, cwd=folder, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.ledger.update("train", trainer=trainer, argv=argv, log=str(log), exit_code=proc.returncode)
        if proc.returncode != 0:
            raise CheckFailed(f"{trainer} exited {proc.returncode}; see its log {log}")
        return f"{trainer} finished; log {log}"

    # -- evaluate --------------------------------------------------------------------------------------------
    def step_evaluate(self, step):
        from advisor.batch import BatchItem
        from advisor.distill import evaluate as E
        from advisor.distill.prompts import iter_jsonl
        from advisor.evals.harness import RunOptions, run_eval
        from advisor.evals.report import build_report

        cfg = self.cfg
        if cfg.student.endpoint is None:
            return "skipped", "no student.endpoint in the config"
        test = list(iter_jsonl(self.path("test.jsonl")))
        need_refs = [r for r in test if not r.get("gold")]
        refs = {}
        if need_refs:
            items = [BatchItem(r["id"], "teacher", self._request(cfg.teacher, r)) for r in need_refs]
            rows = self._run_calls("teacher", cfg.teacher, items, "eval-teacher-refs.jsonl", "teacher references").rows
            bad = [k for k in (i.key for i in items) if (rows.get(k) or {}).get("status") != "ok"]
            if bad:
                raise AdvisorError(f"{len(bad)} teacher reference calls failed; re-run the same command to retry")
            refs = {k: rows[k]["text"] for k in rows}
        eval_rows = [{"id": r["id"], "question": next(m["content"] for m in reversed(r["messages"])
                                                      if m["role"] == "user"),
                      "system": r.get("system") or "", "answer": r.get("gold") or refs.get(r["id"], "")}
                     for r in test]
        config = E.write_eval_config(self.path("eval"), eval_rows, cfg, with_teacher=not need_refs)
        result = run_eval(config, RunOptions(output_dir=self.path("eval") / "run", progress=False, retry_errors=True,
                                             cache_dir=self.path("eval") / "cache"))
        report = build_report(result)
        if report.errors:
            first = next((r["error"] for r in report.rows if r.get("error")), "no answer")
            raise AdvisorError(f"{report.errors} evaluation calls failed (first: {first}); answers so far are kept: "
                               "fix this and re-run the same command")
        table = E.summarise(report)
        casc = E.cascade(report.rows, report.primary or cfg.evaluate.metric, cfg.evaluate.quality_bar)
        price = self.ctx.get("teacher_price") or {}
        teacher_rows = self._teacher_tokens()
        cost = E.monthly_cost(share=casc.get("share"), monthly_requests=self.ctx.get("monthly_requests"),
                              gpu_hourly_usd=self.ctx.get("gpu_hourly_usd"),
                              teacher_in_tokens=teacher_rows[0], teacher_out_tokens=teacher_rows[1],
                              price_in=price.get("input"), price_out=price.get("output"))
        summary = {"table": table, "metric": report.primary, "cascade": casc, "monthly_cost": cost,
                   "reference": "gold answers" if not need_refs else
                   ("the teacher's answers" if len(need_refs) == len(test) else "gold where given, else the teacher's"),
                   "config": str(config)}
        (self.path("eval") / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        self.ledger.update("evaluate", **summary)
        student = next((row for row in table if row["variant"] == "student"), {})
        share = casc.get("share")
        return (f"student {report.primary} {student.get(report.primary, '?')}; "
                + (f"reaches the bar on {share:.0%} of held-out prompts" if share is not None else "no cascade share"))

    def _teacher_tokens(self) -> tuple[float | None, float | None]:
        from advisor.batch import read_ledger

        rows = [r for r in read_ledger(self.path("teacher.jsonl")).values() if r.get("status") == "ok"]
        if not rows:
            return None, None
        return (sum(r.get("input_tokens") or 0 for r in rows) / len(rows),
                sum(r.get("output_tokens") or 0 for r in rows) / len(rows))

    # -- managed route -----------------------------------------------------------------------------------------
    def _aws(self):
        from advisor.aws import AwsContext

        return AwsContext(profile=self.inputs.get("profile"), region=self.ctx["region"])

    def step_upload(self, step):
        from advisor.aws import call
        from advisor.datasets.convert import Conversation, to_format
        from advisor.distill.prompts import iter_jsonl

        lines = []
        for r in iter_jsonl(self.path("train_prompts.jsonl")):
            if len(r["messages"]) != 1:
                continue  # Bedrock distillation takes single-turn prompts (Llama teachers need them)
            conv = Conversation(r.get("system"), (("user", r["messages"][0]["content"]),))
            lines.append(json.dumps(to_format(conv, "distillation", prompts_only=True), ensure_ascii=False))
        if len(lines) < MANAGED_MIN_PROMPTS:
            raise CheckFailed(f"{len(lines)} single-turn training prompts; Bedrock distillation needs at least "
                              f"{MANAGED_MIN_PROMPTS}. Nothing was uploaded")
        body = ("\n".join(lines) + "\n").encode()
        local = self.path("managed_prompts.jsonl")
        local.write_bytes(body)
        from advisor.distill.holdout import check_no_leak

        check_no_leak(self.path("test.jsonl"), [local])
        s3 = self._aws().client("s3")
        bucket, key = self.ctx["bucket"], self.ctx["s3_key"]
        call(s3, "put_object", f"s3://{bucket}/{key}", Bucket=bucket, Key=key, Body=body,
             ServerSideEncryption="AES256")
        self.ledger.update("upload", s3_uri=f"s3://{bucket}/{key}", prompts=len(lines), bytes=len(body))
        return f"{len(lines)} prompts to s3://{bucket}/{key}"

    def _get_job(self, name: str):
        from advisor.aws import AwsError, call

        try:
            return call(self._aws().client("bedrock"), "get_model_customization_job", name, jobIdentifier=name)
        except AwsError as exc:
            if exc.code in ("ResourceNotFoundException", "ValidationException"):
                return None
            raise

    def step_create_job(self, step):
        from advisor.aws import AwsError, call

        params = dict(step.requests[0].params)
        name = params["jobName"]
        existing = self._get_job(name)
        if existing is None:
            try:
                arn = call(self._aws().client("bedrock"), "create_model_customization_job", name, **params)["jobArn"]
                fault("created:create_job")
            except AwsError as exc:
                if exc.code not in ("ConflictException", "ResourceInUseException"):
                    raise
                existing = self._get_job(name)
                if existing is None:
                    raise
                arn = existing["jobArn"]
        else:
            arn = existing["jobArn"]
        self.ledger.update("create_job", job_arn=arn, job_name=name, custom_model_name=params["customModelName"])
        return f"distillation job {name}"

    def step_watch(self, step):
        from advisor.aws import call

        name = self.ledger.resource("create_job", "job_name")
        waited, delay = 0.0, self.poll_interval
        while True:
            job = call(self._aws().client("bedrock"), "get_model_customization_job", name, jobIdentifier=name)
            self.progress.poll("watch", job.get("status", "?"), waited)
            if job["status"] not in RUNNING or not self.wait:
                break
            self.sleep(delay)
            waited += delay
            delay = min(self.poll_max, delay * 1.5)
        if job["status"] in RUNNING:
            raise StillRunning("watch", f"job {name} is {job['status']}; re-run the same command later (or --wait)")
        if job["status"] != "Completed":
            message = (job.get("failureMessage") or "no failure message").strip()
            self.ledger.update("watch", job_status=job["status"], failure_message=message)
            raise CheckFailed(f"distillation job {name} ended {job['status']}: {message}")
        self.ledger.update("watch", job_status="Completed", output_model_arn=job.get("outputModelArn"))
        return f"job {name} Completed; deploy the custom model (e.g. on demand) to evaluate it"

    # -- report ------------------------------------------------------------------------------------------------
    def step_report(self, step):
        from advisor.distill.report import write_reports

        paths = write_reports(self.plan, self.ledger, self.out)
        self.ledger.update("report", **{k: str(v) for k, v in paths.items()})
        return ", ".join(str(p) for p in paths.values())


def run(plan: Plan, ledger, progress, **options) -> None:
    Runner(plan, ledger, progress, **options).run()


# --- cleanup ----------------------------------------------------------------------------------------------

def cleanup_actions(ledger, delete_model: bool = False) -> list[tuple[str, str, dict[str, Any]]]:
    job = ledger.resources("create_job")
    if delete_model and job.get("custom_model_name") and not job.get("model_deleted"):
        return [(f"delete custom model {job['custom_model_name']}", "delete_custom_model",
                 {"modelIdentifier": job["custom_model_name"]})]
    return []


def job_running(ledger, aws) -> str | None:
    from advisor.aws import call

    name = ledger.resource("create_job", "job_name")
    if not name or ledger.resource("watch", "job_status"):
        return None
    job = call(aws.client("bedrock"), "get_model_customization_job", name, jobIdentifier=name)
    return job["status"] if job["status"] in RUNNING else None

