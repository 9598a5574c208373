"""``advisor eval run``: every variant × every test example (× repeats), through the batch runner.

Flow: load and check the whole config before the first call (templates rendered for every example,
few-shot and context files, the post-processing regexes, the JSON Schema and its ``$ref``s, the price
file, the output folder) → take the folder's lock (a second run into the same folder waits or stops
with a message) → estimate the cost → hand the calls to :func:`advisor.batch.run_batch` (concurrency
per provider, back-off, response cache, the ``results.jsonl`` ledger, a cost cap) → when the config has
a ``judge:``, grade every answer through the same runner into ``judge.jsonl`` → score and report.

Modes: the default resumes (finished rows are kept, including final errors); ``retry_errors`` also
re-runs rows that ended in an error; ``rerun_all`` starts fresh ledgers and ignores cached answers.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from advisor.batch import (BatchAborted, BatchItem, BatchOptions, LedgerLock, ProgressPrinter, backoff_delay,
                           call_with_retries, open_ledger_dir, plan_batch, run_batch)
from advisor.errors import InputError, UsageError, location_for
from advisor.evals.config import EvalConfig, LoadedConfig, VariantConfig, load_config
from advisor.evals.common import NoPrices, ledger_key, row_key
from advisor.evals.common import TemplateCache as _TemplateCache
from advisor.evals.dataset import Example, load_contexts, load_examples, load_few_shot
from advisor.providers import ChatRequest, ProviderError, make_provider

__all__ = ["RunAborted", "Task", "RunOptions", "RunStats", "Plan", "plan_run", "execute", "RunResult", "run_eval",
           "estimate_cost", "backoff_delay", "call_with_retries", "row_key"]

RunAborted = BatchAborted  # kept: the name the CLI and older callers use


@dataclass(frozen=True)
class Task:
    """One planned call."""

    variant: VariantConfig
    example: Example
    request: ChatRequest
    key: str  # ledger key
    repeat: int = 0


@dataclass
class RunOptions:
    """How to run: resume mode, cache use, subsets, repeats, budget, progress, and hooks for tests."""

    retry_errors: bool = False
    rerun_all: bool = False
    use_cache: bool = True
    cache_dir: Path | None = None
    output_dir: Path | None = None
    progress: bool | None = None  # None: a bar on a terminal, plain lines otherwise; False: silent
    limit: int | None = None  # the first N examples
    sample: int | None = None  # N examples drawn at random (seeded)
    sample_seed: int = 0
    repeat: int = 1
    max_cost: float | None = None
    wait_for_lock: bool = False
    dry_run: bool = False  # check everything and estimate the cost; call nothing
    announce: Callable[[str], None] | None = None  # called with the cost estimate before any call
    rng: random.Random = field(default_factory=random.Random)
    wait: Callable[[threading.Event, float], bool] | None = None  # (stop, seconds) -> stopped


@dataclass
class RunStats:
    """Counts of one invocation (not of the whole ledger)."""

    planned: int = 0
    skipped: int = 0
    called: int = 0
    cached: int = 0
    errors: int = 0
    retries: int = 0
    not_run: int = 0
    spent_usd: float = 0.0
    judge_called: int = 0
    judge_cached: int = 0
    judge_errors: int = 0
    budget_stopped: bool = False
    estimate_usd: float | None = None
    seconds: float = 0.0


@dataclass
class Plan:
    """What a run will do: providers, examples, tasks, and what scoring needs (schema, prices)."""

    loaded: LoadedConfig
    providers: dict[str, Any]
    examples: list[Example]
    tasks: list[Task]
    schema: Any = None
    prices: Any = None
    repeat: int = 1
    subset: str = ""  # "", "first N", "random N (seed S)"


def _load_prices(loaded: LoadedConfig):

    try:
        from advisor.knowledge import load_rulebase
        from advisor.knowledge.prices import prices_of

        table = prices_of(load_rulebase(None))
    except Exception as exc:  # the shipped table missing must not stop a run; costs show "-"
        table = NoPrices(str(exc))  # type: ignore[assignment]  # NoPrices stands in for the table
    if loaded.config.prices:
        from advisor.knowledge.prices import load_user_prices

        user = load_user_prices(loaded.resolve(loaded.config.prices))  # type: ignore[arg-type]  # the config's paths are set and resolved when this runs
        table = table.merged(user) if hasattr(table, "merged") else user
    return table


def _subset(examples: list[Example], options: RunOptions) -> tuple[list[Example], str]:
    if options.limit is not None and options.sample is not None:
        raise UsageError("--limit and --sample cannot be combined")
    if options.limit is not None:
        if options.limit < 1:
            raise UsageError("--limit must be at least 1")
        return examples[:options.limit], f"first {min(options.limit, len(examples))} of {len(examples)}"
    if options.sample is not None:
        if options.sample < 1:
            raise UsageError("--sample must be at least 1")
        if options.sample >= len(examples):
            return examples, ""
        chosen = set(random.Random(options.sample_seed).sample(range(len(examples)), options.sample))
        return ([e for i, e in enumerate(examples) if i in chosen],
                f"random {options.sample} of {len(examples)} (seed {options.sample_seed})")
    return examples, ""


def plan_run(loaded: LoadedConfig, options: RunOptions | None = None) -> Plan:
    """Load the test set and extras, build providers, render every request and check everything the
    run needs later (schema, prices), so a config error is found before the first model call."""
    options = options or RunOptions()
    cfg = loaded.config
    if options.repeat < 1:
        raise UsageError("--repeat must be at least 1")
    data_path = loaded.resolve(cfg.dataset.path)
    examples = load_examples(data_path, cfg.dataset.format, cfg.dataset.limit)  # type: ignore[arg-type]  # the config's paths are set and resolved when this runs
    if not examples:
        raise InputError("the test set is empty", location_for(data_path))
    if cfg.metric == "tatqa" and not all(isinstance(e.gold, dict) and "answer" in e.gold for e in examples):
        raise InputError("metric tatqa needs a TAT-QA test set (dataset format: tatqa)", location_for(data_path))
    examples, subset = _subset(examples, options)
    schema = None
    if cfg.json_schema:
        from advisor.evals.schema import load_schema

        schema = load_schema(loaded.resolve(cfg.json_schema))  # type: ignore[arg-type]  # the config's paths are set and resolved when this runs
    prices = _load_prices(loaded)
    providers: dict[str, Any] = {}
    names = {v.provider for v in cfg.variants} | ({cfg.judge.provider} if cfg.judge else set())
    for name in sorted(names):
        try:
            providers[name] = make_provider(name, cfg.providers[name].settings())
            providers[name].identity()  # builds the client: a bad endpoint or profile stops here
        except ProviderError as exc:
            raise RunAborted(exc.message, location_for(loaded.path)) from None
    templates = _TemplateCache()
    if cfg.judge and cfg.judge.prompt:
        templates.render(cfg.judge.prompt, {"question": "", "gold": "", "answer": "", "rubric": "",
                                            "prediction": ""}, f"{loaded.path}: judge")
    tasks: list[Task] = []
    per_variant: dict[str, tuple] = {}
    for v in cfg.variants:
        shots = load_few_shot(loaded.resolve(v.few_shot.path), v.few_shot.count) if v.few_shot else []  # type: ignore[arg-type]  # the config's paths are set and resolved when this runs
        contexts = load_contexts(loaded.resolve(v.context_file)) if v.context_file else None  # type: ignore[arg-type]  # the config's paths are set and resolved when this runs
        per_variant[v.name] = (shots, contexts)
    for example in examples:
        for v in cfg.variants:
            shots, contexts = per_variant[v.name]
            fields = dict(example.fields)
            if contexts is not None:
                fields["context"] = contexts.get(example.id, "")
            where = f"{loaded.path}: variant {v.name}"
            prompt = templates.render(v.prompt or cfg.prompt or "", fields, where)
            system_t = v.system if v.system is not None else cfg.system
            system = templates.render(system_t, fields, where) if system_t else None
            messages: list[tuple[str, str]] = []
            for user, assistant in shots:
                messages += [("user", user), ("assistant", assistant)]
            messages.append(("user", prompt))
            request = ChatRequest(model=v.model, messages=tuple(messages), system=system,
                                  max_tokens=v.max_tokens or cfg.max_tokens,
                                  temperature=v.temperature if v.temperature is not None else cfg.temperature)
            tasks.append(Task(v, example, request, ledger_key(v.name, example.id)))
    first = list(tasks)
    for repeat in range(1, options.repeat):  # repeat r is epoch + r: a fresh sample, its own cache address
        tasks += [Task(t.variant, t.example, t.request, ledger_key(t.variant.name, t.example.id, repeat), repeat)
                  for t in first]
    return Plan(loaded, providers, examples, tasks, schema, prices, options.repeat, subset)


def _tokens_upper_bound(request: ChatRequest) -> tuple[int, int]:
    chars = len(request.system or "") + sum(len(text) for _, text in request.messages)
    return chars // 3 + 8 * (len(request.messages) + 1), int(request.max_tokens)  # Bedrock's chars/3


def cost_function(prices) -> Callable[[BatchItem, dict | None], float | None]:
    """``cost_of(item, row)`` for the batch runner: actual cost from a row's usage, or an upper bound
    (input ≈ characters/3 tokens, output = max_tokens) before the call; None for unpriced models."""
    found: dict[str, Any] = {}

    def cost_of(item: BatchItem, row: dict | None) -> float | None:
        model = item.request.model
        if model not in found:
            found[model] = prices.for_model(model)
        price = found[model]
        if price is None:
            return None
        if row is None:
            inp, out = _tokens_upper_bound(item.request)
        else:
            inp, out = int(row.get("input_tokens") or 0), int(row.get("output_tokens") or 0)
        return price.cost(inp, out)

    return cost_of


def estimate_cost(plan: Plan, items: list[BatchItem]) -> dict[str, Any]:
    """An upper bound on what ``items`` (the calls to make) cost; a model without a sourced price is
    counted in ``unpriced_calls`` instead of guessed."""
    cost_of = cost_function(plan.prices)
    total, unpriced = 0.0, 0
    for item in items:
        cost = cost_of(item, None)
        if cost is None:
            unpriced += 1
        else:
            total += cost
    return {"calls": len(items), "upper_bound_usd": round(total, 6), "unpriced_calls": unpriced}


@dataclass
class RunResult:
    """Everything the CLI prints and writes."""

    plan: Plan
    rows: dict[tuple, dict[str, Any]]
    stats: RunStats
    output_dir: Path
    judge_rows: dict[tuple, dict[str, Any]] = field(default_factory=dict)
    started_at: str = ""
    settings: dict[str, Any] = field(default_factory=dict)


def _batch_options(options: RunOptions, cache_dir, retry, progress_label: str, max_cost) -> tuple[BatchOptions,
                                                                                                  ProgressPrinter]:
    mode = "rerun_all" if options.rerun_all else ("retry_errors" if options.retry_errors else "resume")
    printer = ProgressPrinter(progress_label, enabled=options.progress is not False,
                              tty=True if options.progress is True else None)
    return BatchOptions(mode=mode, cache_dir=cache_dir, retry=retry, max_cost=max_cost, on_result=printer,  # type: ignore[arg-type]  # mode is one of the three
                        wait_for_lock=False, rng=options.rng, wait=options.wait), printer


def _items(plan: Plan) -> list[BatchItem]:
    epoch = plan.loaded.config.epoch
    return [BatchItem(t.key, t.variant.provider, t.request,
                      {"variant": t.variant.name, "id": t.example.id, "repeat": t.repeat}, epoch=epoch + t.repeat)
            for t in plan.tasks]


def _run_batch_variants(plan: Plan, items: list[BatchItem], options: RunOptions, out_dir: Path,
                        stats: RunStats) -> RunOptions:
    """Variants with ``batch: true`` go to Bedrock batch inference (one job per variant, outputs joined on
    ``recordId``); their rows land in the same ledger, so the request loop that follows skips them."""
    from advisor.batch import LedgerLock, _LedgerWriter
    from advisor.bedrock_batch import eval_rows

    ledger = out_dir / "results.jsonl"
    mode = "rerun_all" if options.rerun_all else ("retry_errors" if options.retry_errors else "resume")
    batch_keys = {t.key for t in plan.tasks if t.variant.batch}
    bitems = [i for i in items if i.key in batch_keys]
    bplan = plan_batch(bitems, plan.providers, ledger, mode)  # type: ignore[arg-type]  # mode is one of the three
    pending = {i.key for i in bplan.pending}
    tasks = [t for t in plan.tasks if t.key in pending]
    if tasks:
        by_key = {i.key: i for i in bitems}

        def make_row(task: Task, status: str, **extra: Any) -> dict[str, Any]:
            item = by_key[task.key]
            return {"key": item.key, "request_hash": bplan.hashes[item.key], "status": status,
                    "provider": item.provider, "model": item.request.model, "finished_at": time.time(),
                    **item.meta, **extra}

        lock = LedgerLock(ledger).acquire(False, announce=lambda m: None)  # the run lock is held already
        try:
            rows = eval_rows(tasks, plan.loaded.config, out_dir, make_row)
            writer = _LedgerWriter(ledger)
            writer.open(fresh=options.rerun_all)
            try:
                writer.append_many(rows)
            finally:
                writer.close()
        finally:
            lock.release()
        stats.errors += sum(row["status"] != "ok" for row in rows)
    # The batch rows are in the ledger now: the rest of the run appends to it instead of starting afresh.
    return dataclasses.replace(options, rerun_all=False) if options.rerun_all else options


def execute(plan: Plan, options: RunOptions, out_dir: Path) -> tuple[dict, dict, RunStats]:
    """Run the plan's pending calls (and the judge's); returns (rows, judge rows, stats)."""
    from advisor.evals.cache import default_cache_dir

    cfg = plan.loaded.config
    cache_dir = None
    if options.use_cache:
        cache_dir = options.cache_dir or plan.loaded.resolve(cfg.cache_dir) or default_cache_dir()
    items = _items(plan)
    cost_of = cost_function(plan.prices)
    stats = RunStats()
    if options.announce is not None or options.max_cost is not None or options.dry_run:
        mode = "rerun_all" if options.rerun_all else ("retry_errors" if options.retry_errors else "resume")
        bplan = plan_batch(items, plan.providers, out_dir / "results.jsonl", mode)  # type: ignore[arg-type]  # mode is one of the three
        pending = bplan.pending
        cached = bplan.cached(cache_dir) if not options.rerun_all else set()
        estimate = estimate_cost(plan, [i for i in pending if i.key not in cached])
        estimate["cached"] = len(cached)
        stats.estimate_usd = estimate["upper_bound_usd"]
        if options.announce is not None:
            priced = estimate["calls"] - estimate["unpriced_calls"]
            text = (f"{len(pending)} calls to run ({len(items) - len(pending)} already done): "
                    f"{estimate['cached']} answered by the cache, {estimate['calls']} to make")
            if priced:
                text += f"; at most ${estimate['upper_bound_usd']:.4f} for {priced} priced calls"
            if estimate["unpriced_calls"]:
                text += f"; {estimate['unpriced_calls']} calls to models without a sourced price are not costed"
            if cfg.judge and estimate["calls"]:
                text += "; judge calls come on top (one per new answer)"
            if options.max_cost is not None:
                text += f"; cap ${options.max_cost:g}"
            options.announce(text)
    if options.dry_run:
        stats.planned = len(items)
        return {}, {}, stats
    if any(t.variant.batch for t in plan.tasks):
        options = _run_batch_variants(plan, items, options, out_dir, stats)
    bopts, printer = _batch_options(options, cache_dir, cfg.retry, "calls", options.max_cost)
    bopts.cost_of = cost_of
    try:
        result = run_batch(items, plan.providers, out_dir / "results.jsonl", bopts)
    finally:
        printer.close()
    s = result.stats
    stats.planned, stats.skipped, stats.called, stats.cached = s.planned, s.skipped, s.called, s.cached
    stats.errors, stats.retries, stats.not_run, stats.spent_usd = s.errors, s.retries, s.not_run, s.spent
    stats.seconds = round(s.seconds, 2)
    stats.budget_stopped = result.budget_stopped
    rows = {}
    for task in plan.tasks:  # only this plan's rows (a ledger may hold rows of a larger or older run)
        row = result.rows.get(task.key)
        if row is not None:
            rows[row_key(task.variant.name, task.example.id, task.repeat)] = row
    judge_rows: dict = {}
    if cfg.judge is not None and not result.budget_stopped:
        from advisor.evals.judge import judge_items

        jitems = judge_items(plan, rows)
        remaining = None if options.max_cost is None else max(0.0, options.max_cost - s.spent)
        jopts, jprinter = _batch_options(options, cache_dir, cfg.retry, "judge calls", remaining)
        jopts.cost_of = cost_of
        try:
            jresult = run_batch(jitems, plan.providers, out_dir / "judge.jsonl", jopts)
        finally:
            jprinter.close()
        js = jresult.stats
        stats.judge_called, stats.judge_cached, stats.judge_errors = js.called, js.cached, js.errors
        stats.spent_usd += js.spent
        stats.not_run += js.not_run
        stats.budget_stopped = jresult.budget_stopped
        stats.seconds = round(stats.seconds + js.seconds, 2)
        for item in jitems:
            row = jresult.rows.get(item.key)
            if row is not None:
                judge_rows[row_key(item.meta["variant"], item.meta["id"], item.meta["repeat"])] = row
    return rows, judge_rows, stats


def _cache_dir_shown(options: RunOptions, loaded: LoadedConfig) -> str:
    from advisor.evals.cache import default_cache_dir

    if not options.use_cache:
        return "off (--no-cache)"
    return str(options.cache_dir or loaded.resolve(loaded.config.cache_dir) or default_cache_dir())


def run_eval(config_path: str | Path, options: RunOptions | None = None) -> RunResult:
    """Plan, lock the output folder, execute; returns rows for scoring and reporting."""
    options = options or RunOptions()
    loaded = load_config(config_path)
    plan = plan_run(loaded, options)
    cfg: EvalConfig = loaded.config
    out_dir = Path(options.output_dir or loaded.resolve(cfg.output_dir) or Path("eval-runs") / cfg.name)
    options.output_dir = out_dir
    open_ledger_dir(out_dir)
    started = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    lock = LedgerLock(out_dir / "eval-run").acquire(
        options.wait_for_lock, announce=lambda m: print(f"advisor: {m}", file=sys.stderr))
    try:
        rows, judge_rows, stats = execute(plan, options, out_dir)
    finally:
        lock.release()
    settings = {"config": str(loaded.path), "output_dir": str(out_dir), "repeat": options.repeat,
                "subset": plan.subset or "all", "examples": len(plan.examples),
                "cache": _cache_dir_shown(options, loaded),
                "mode": "rerun-all" if options.rerun_all else ("retry-errors" if options.retry_errors else "resume"),
                "max_cost": options.max_cost, "epoch": cfg.epoch, "temperature": cfg.temperature,
                "max_tokens": cfg.max_tokens}
    return RunResult(plan, rows, stats, out_dir, judge_rows, started, settings)
