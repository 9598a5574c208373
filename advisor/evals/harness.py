"""``advisor eval run``: every variant × every test example, concurrently, cached and resumable.

Flow: plan the calls (render each variant's prompt for each example) → skip what the ledger already
holds → run the rest on one thread pool per provider (its size is the provider's concurrency limit)
→ each worker answers from the response cache or calls the model, retrying throttling and 5xx with
exponential back-off and jitter (at least the server's ``retry-after``) → the main thread appends every
finished row to the ledger with fsync → score and report.

Modes: the default resumes (finished rows are kept, including final errors); ``retry_errors`` also
re-runs rows that ended in an error; ``rerun_all`` starts a fresh ledger and ignores cached answers.
"""

from __future__ import annotations

import queue
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from advisor.errors import AdvisorError, InputError, location_for
from advisor.evals.cache import NoCache, ResponseCache, cache_key, default_cache_dir
from advisor.evals.config import EvalConfig, LoadedConfig, RetryConfig, VariantConfig, load_config
from advisor.evals.dataset import Example, load_contexts, load_examples, load_few_shot
from advisor.evals.ledger import Ledger
from advisor.providers import ChatRequest, Completion, ProviderError, make_provider


class RunAborted(AdvisorError):
    """A provider failed in a way every other call would too (e.g. missing credentials); exit 2."""


@dataclass(frozen=True)
class Task:
    """One planned call."""

    variant: VariantConfig
    example: Example
    request: ChatRequest
    key: str  # content address: provider identity + request + epoch


@dataclass
class RunOptions:
    """How to run: resume mode, cache use, progress display, and hooks for tests."""

    retry_errors: bool = False
    rerun_all: bool = False
    use_cache: bool = True
    cache_dir: Path | None = None
    output_dir: Path | None = None
    progress: bool | None = None  # None: only when stderr is a terminal
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
    seconds: float = 0.0


def backoff_delay(attempt: int, retry: RetryConfig, retry_after: float | None, rng: random.Random) -> float:
    """Seconds to wait before attempt ``attempt + 1``: base·2^(attempt−1) capped at max_delay, with
    "equal jitter" (half fixed, half random) so throttled workers spread out; never less than the
    server's ``retry-after``."""
    exp = min(retry.max_delay, retry.base_delay * (2 ** (attempt - 1)))
    delay = exp / 2 + rng.uniform(0, exp / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, 600.0))
    return delay


def call_with_retries(provider, request: ChatRequest, retry: RetryConfig, rng: random.Random,
                      stop: threading.Event, wait=None) -> tuple[Completion, int]:
    """Call ``provider`` until it answers, a non-retryable error occurs or attempts run out.

    Returns (completion, attempts); raises the last :class:`ProviderError` with ``.attempts`` set."""
    wait = wait or (lambda event, seconds: event.wait(seconds))
    attempt = 0
    while True:
        attempt += 1
        try:
            return provider.complete(request), attempt
        except ProviderError as exc:
            exc.attempts = attempt
            if exc.fatal or not exc.retryable or attempt >= retry.max_attempts or stop.is_set():
                raise
            if wait(stop, backoff_delay(attempt, retry, exc.retry_after, rng)):
                raise


class _TemplateCache:
    def __init__(self):
        from jinja2 import StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        self.env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        self.compiled: dict[str, Any] = {}

    def render(self, template: str, fields: dict[str, Any], where: str) -> str:
        from jinja2 import TemplateError

        try:
            if template not in self.compiled:
                self.compiled[template] = self.env.from_string(template)
            return self.compiled[template].render(**fields)
        except TemplateError as exc:
            raise InputError(f"{where}: prompt template: {exc}") from None


@dataclass
class Plan:
    """What a run will do: providers, examples, tasks (variant-major inside each example)."""

    loaded: LoadedConfig
    providers: dict[str, Any]
    examples: list[Example]
    tasks: list[Task]


def plan_run(loaded: LoadedConfig) -> Plan:
    """Load the test set and extras, build providers and render every request."""
    cfg = loaded.config
    data_path = loaded.resolve(cfg.dataset.path)
    examples = load_examples(data_path, cfg.dataset.format, cfg.dataset.limit)
    if not examples:
        raise InputError("the test set is empty", location_for(data_path))
    providers: dict[str, Any] = {}
    for name in sorted({v.provider for v in cfg.variants}):
        try:
            providers[name] = make_provider(name, cfg.providers[name].settings())
        except ProviderError as exc:
            raise RunAborted(exc.message, location_for(loaded.path)) from None
    identities: dict[str, dict] = {}
    for name, provider in providers.items():
        try:
            identities[name] = provider.identity()
        except ProviderError as exc:
            raise RunAborted(exc.message, location_for(loaded.path)) from None
    templates = _TemplateCache()
    tasks: list[Task] = []
    per_variant: dict[str, tuple] = {}
    for v in cfg.variants:
        shots = load_few_shot(loaded.resolve(v.few_shot.path), v.few_shot.count) if v.few_shot else []
        contexts = load_contexts(loaded.resolve(v.context_file)) if v.context_file else None
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
            key = cache_key(identities[v.provider], request.as_key(), cfg.epoch)
            tasks.append(Task(v, example, request, key))
    return Plan(loaded, providers, examples, tasks)


class Progress:
    """A one-line progress bar on stderr (redrawn at most 10 times a second)."""

    def __init__(self, total: int, enabled: bool, stream=None):
        self.total, self.enabled = total, enabled
        self.stream = stream or sys.stderr
        self.done = self.errors = self.cached = 0
        self.started = time.monotonic()
        self._last = 0.0

    def update(self, row: dict[str, Any]) -> None:
        self.done += 1
        self.errors += row["status"] != "ok"
        self.cached += bool(row.get("cached"))
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.1 or self.done == self.total):
            self._last = now
            width = 30
            filled = int(width * self.done / max(1, self.total))
            elapsed = now - self.started
            eta = elapsed / self.done * (self.total - self.done) if self.done else 0
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}"
                              f"  cached {self.cached}  errors {self.errors}  eta {eta:4.0f}s ")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.total:
            self.stream.write("\n")
            self.stream.flush()


def _row(task: Task, status: str, **extra) -> dict[str, Any]:
    return {"variant": task.variant.name, "id": task.example.id, "key": task.key, "status": status,
            "model": task.request.model, "provider": task.variant.provider, "finished_at": time.time(), **extra}


def _work(task: Task, provider, cache, read_cache: bool, retry: RetryConfig, rng: random.Random,
          stop: threading.Event, wait) -> dict[str, Any]:
    if stop.is_set():
        return _row(task, "cancelled")
    if read_cache:
        hit = cache.get(task.key)
        if hit is not None:
            return _row(task, "ok", cached=True, attempts=0, **_completion_fields(hit))
    try:
        completion, attempts = call_with_retries(provider, task.request, retry, rng, stop, wait)
    except ProviderError as exc:
        if exc.fatal:
            stop.set()
        return _row(task, "error", cached=False, attempts=getattr(exc, "attempts", 1), error=exc.message,
                    fatal=exc.fatal, retryable=exc.retryable)
    except Exception as exc:  # a bug or an SDK surprise must not kill the run or print a traceback
        return _row(task, "error", cached=False, attempts=1, error=f"{exc.__class__.__name__}: {exc}")
    fields = {"text": completion.text, "input_tokens": completion.input_tokens,
              "output_tokens": completion.output_tokens, "stop_reason": completion.stop_reason,
              "latency_ms": round(completion.latency_ms, 1) if completion.latency_ms is not None else None}
    try:
        cache.put(task.key, fields)
    except OSError:
        pass  # a full or read-only cache disk costs a re-call on resume, never the answer in hand
    return _row(task, "ok", cached=False, attempts=attempts, **fields)


def _replace_fresh(options: RunOptions) -> RunOptions:
    """After the batch rows are in the ledger, the rest of the run must append, not start afresh."""
    import dataclasses

    return dataclasses.replace(options, rerun_all=False) if options.rerun_all else options


def _completion_fields(hit: dict[str, Any]) -> dict[str, Any]:
    return {k: hit.get(k) for k in ("text", "input_tokens", "output_tokens", "stop_reason", "latency_ms")}


def execute(plan: Plan, options: RunOptions) -> tuple[dict[tuple[str, str], dict[str, Any]], RunStats]:
    """Run the plan's pending calls; returns the ledger's latest rows and this invocation's stats."""
    cfg = plan.loaded.config
    out_dir = options.output_dir or plan.loaded.resolve(cfg.output_dir) or Path("eval-runs") / cfg.name
    ledger = Ledger(Path(out_dir) / "results.jsonl")
    previous = {} if options.rerun_all else ledger.rows()
    if options.use_cache:
        cache = ResponseCache(options.cache_dir or plan.loaded.resolve(cfg.cache_dir) or default_cache_dir())
    else:
        cache = NoCache()
    read_cache = options.use_cache and not options.rerun_all

    def finished(task: Task) -> bool:
        row = previous.get((task.variant.name, task.example.id))
        if row is None or row.get("key") != task.key:  # absent, or the prompt/model/settings changed
            return False
        return row["status"] == "ok" or (row["status"] == "error" and not options.retry_errors)

    pending = [t for t in plan.tasks if not finished(t)]
    stats = RunStats(planned=len(plan.tasks), skipped=len(plan.tasks) - len(pending))
    batched = [t for t in pending if t.variant.batch]
    pending = [t for t in pending if not t.variant.batch]
    if batched:  # one Bedrock batch inference job per variant; rows join on recordId, never on order
        from advisor.launchers.batch import eval_rows

        rows = eval_rows(batched, cfg, Path(out_dir), _row)
        ledger.open(fresh=options.rerun_all)
        try:
            ledger.append_many(rows)
        finally:
            ledger.close()
        for row in rows:
            stats.called += 1
            stats.errors += row["status"] != "ok"
        options = _replace_fresh(options)
    show = options.progress if options.progress is not None else sys.stderr.isatty()
    progress = Progress(len(pending), show)
    stop = threading.Event()
    pools = {name: ThreadPoolExecutor(max_workers=p.concurrency, thread_name_prefix=f"eval-{name}")
             for name, p in plan.providers.items()}
    fatal_message = None
    interrupted = False
    started = time.monotonic()
    ledger.open(fresh=options.rerun_all)
    results: queue.SimpleQueue = queue.SimpleQueue()

    def post(task: Task, provider, rng: random.Random) -> None:
        row = None
        try:
            row = _work(task, provider, cache, read_cache, cfg.retry, rng, stop, options.wait)
        finally:
            results.put(row if row is not None else _row(task, "cancelled"))

    try:
        for task in pending:
            rng = random.Random(options.rng.random())
            pools[task.variant.provider].submit(post, task, plan.providers[task.variant.provider], rng)
        received = 0
        while received < len(pending):
            batch = [results.get()]
            while True:  # take everything that finished meanwhile: one fsync for the group
                try:
                    batch.append(results.get_nowait())
                except queue.Empty:
                    break
            received += len(batch)
            keep = []
            for row in batch:
                if row["status"] == "cancelled":
                    continue
                if row.get("fatal"):
                    fatal_message = fatal_message or row["error"]
                    continue  # not recorded: the call never really ran
                keep.append(row)
            if keep:
                ledger.append_many(keep)
            for row in keep:
                progress.update(row)
                stats.called += not row.get("cached")
                stats.cached += bool(row.get("cached"))
                stats.errors += row["status"] != "ok"
                stats.retries += max(0, int(row.get("attempts") or 1) - 1)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        stop.set()  # ends back-off waits early; queued tasks come back "cancelled"
        for pool in pools.values():
            pool.shutdown(wait=not interrupted, cancel_futures=True)
        ledger.close()
        cache.close()
        progress.close()
        stats.seconds = time.monotonic() - started
    if fatal_message:
        raise RunAborted(f"{fatal_message}; finished rows are saved, fix this and re-run to resume",
                         location_for(plan.loaded.path))
    return ledger.rows(), stats


@dataclass
class RunResult:
    """Everything the CLI prints and writes."""

    plan: Plan
    rows: dict[tuple[str, str], dict[str, Any]]
    stats: RunStats
    output_dir: Path


def run_eval(config_path: str | Path, options: RunOptions | None = None) -> RunResult:
    """Plan and execute a config file; returns rows for scoring and reporting."""
    options = options or RunOptions()
    loaded = load_config(config_path)
    plan = plan_run(loaded)
    cfg: EvalConfig = loaded.config
    if options.output_dir is None:
        options.output_dir = loaded.resolve(cfg.output_dir) or Path("eval-runs") / cfg.name
    rows, stats = execute(plan, options)
    return RunResult(plan, rows, stats, Path(options.output_dir))
