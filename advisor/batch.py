"""The batch runner: many chat calls, concurrent per provider, cached, retried, resumable after ``kill -9``.

Lifted out of the eval harness so the eval runs, the few-shot sweep and teacher generation for
distillation share one request loop. The API is three names::

    from advisor.batch import BatchItem, BatchOptions, run_batch

    items = [BatchItem(key="q1", provider="teacher", request=ChatRequest(model="m", messages=(("user", "hi"),)))]
    result = run_batch(items, {"teacher": provider}, "out/teacher.jsonl", BatchOptions(cache_dir="cache"))
    for key, row in result.rows.items():   # also in out/teacher.jsonl, one JSON line per answer
        print(key, row["status"], row.get("text"))

Input: an iterable of :class:`BatchItem` — a ``key`` unique within the ledger (any string), the name of a
provider in the ``providers`` mapping (objects with ``complete(request)``, ``identity()`` and
``concurrency``, see :mod:`advisor.providers`), a :class:`~advisor.providers.ChatRequest`, and ``meta``
copied into the item's ledger row.

Output: the ledger, an append-only JSON Lines file. One row per finished item::

    {"key": "q1", "request_hash": "<sha256>", "status": "ok" | "error", "provider": "teacher",
     "model": "m", "text": "...", "input_tokens": 12, "output_tokens": 3, "stop_reason": "end_turn",
     "latency_ms": 41.0, "cached": false, "attempts": 1, "finished_at": 1764570000.0, ...meta}

(an ``error`` row has ``error``, ``retryable`` and no ``text``). :attr:`BatchResult.rows` holds, for
each item given, its latest row for the *current* request (a row left from an older prompt or model
is not returned); :func:`read_ledger` reads the latest row of every key from disk.

Resume: re-running with the same ledger skips every key whose latest row has the same
``request_hash`` and status ``ok`` — and also ``error`` unless ``mode="retry_errors"``, which calls
those again and appends a superseding row. A changed request (model, prompt, settings) is not
"done": its key is called again. ``mode="rerun_all"`` moves the old ledger to ``.prev`` and neither
reads the ledger nor the cache (answers are still written to the cache).

Exactly once: rows are appended by one thread with an fsync per group, after the answer is in the
response cache. A process killed at any moment loses at most the rows of calls in flight; on resume
those are answered from the cache when they had finished, so every key ends with exactly one ``ok``
row and no finished call is paid twice. A lock file beside the ledger (``<ledger>.lock``, ``flock``)
stops two processes from working on one ledger at once (:class:`LedgerBusy`, or wait with
``BatchOptions.wait_for_lock``).

Back-off: throttling, timeouts, connection failures and 5xx are retried up to ``retry.max_attempts``
with exponential back-off and jitter, never sooner than the server's ``retry-after``. A ``fatal`` provider
error (missing credentials) stops the run: :class:`BatchAborted`, finished rows kept.

Planning: :func:`plan_batch` returns the items' content addresses and the ones still pending (and
:meth:`BatchPlan.cached` those the cache already answers), e.g. for a cost estimate before running.

Budget: with ``max_cost`` and a ``cost_of(item, row_or_none)`` function (``None`` → an upper-bound
estimate before the call), a call starts only when what was spent plus the upper bounds of the calls in
flight plus its own upper bound stays within the cap; the first call that would not fit stops the run
(``BatchResult.budget_stopped``), and every call made so far is kept.

Progress: ``on_result(row, progress)`` is called on the runner's thread for every row written; see
:class:`ProgressPrinter` for the terminal bar / plain lines used by the CLI.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import queue
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Literal

from advisor.errors import AdvisorError, InputError, location_for

__all__ = ["BatchItem", "BatchOptions", "BatchResult", "BatchStats", "BatchProgress", "BatchAborted", "LedgerBusy",
           "RetryPolicy", "BatchPlan", "plan_batch", "run_batch", "read_ledger", "backoff_delay", "call_with_retries",
           "ProgressPrinter",
           "LedgerLock", "open_ledger_dir"]

Mode = Literal["resume", "retry_errors", "rerun_all"]


class BatchAborted(AdvisorError):
    """A provider failed in a way every other call would too (e.g. missing credentials); exit 2."""


class LedgerBusy(AdvisorError):
    """Another process is running on the same ledger (the lock is held); exit 2."""


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off for throttling and 5xx: base·2^(attempt−1) capped at max_delay, with jitter."""

    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0


@dataclass(frozen=True)
class BatchItem:
    """One call: a ledger key, the provider's name, the request, and extra fields for its row."""

    key: str
    provider: str
    request: Any  # advisor.providers.ChatRequest
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    epoch: int = 0  # bump to get a fresh sample of the same request (a different cache address)


@dataclass
class BatchOptions:
    """How to run: resume mode, cache, retries, budget, progress and test hooks."""

    mode: Mode = "resume"
    cache_dir: str | Path | None = None  # None: no cache
    retry: Any = field(default_factory=RetryPolicy)  # anything with max_attempts/base_delay/max_delay
    max_cost: float | None = None
    cost_of: Callable[[BatchItem, dict | None], float | None] | None = None
    on_result: Callable[[dict, "BatchProgress"], None] | None = None
    wait_for_lock: bool = False
    rng: random.Random = field(default_factory=random.Random)
    wait: Callable[[threading.Event, float], bool] | None = None  # (stop, seconds) -> stopped; tests
    fsync: bool = True


@dataclass
class BatchStats:
    """Counts of one invocation (not of the whole ledger)."""

    planned: int = 0
    skipped: int = 0
    called: int = 0
    cached: int = 0
    errors: int = 0
    retries: int = 0
    not_run: int = 0  # left out by the budget cap or a stop
    spent: float = 0.0
    seconds: float = 0.0


@dataclass
class BatchProgress:
    """What progress callbacks see."""

    total: int
    done: int = 0
    cached: int = 0
    errors: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


@dataclass
class BatchResult:
    """The latest ledger row per key, this invocation's counts, and whether the budget stopped it."""

    rows: dict[str, dict[str, Any]]
    stats: BatchStats
    ledger_path: Path
    budget_stopped: bool = False


def backoff_delay(attempt: int, retry, retry_after: float | None, rng: random.Random) -> float:
    """Seconds to wait before attempt ``attempt + 1``: base·2^(attempt−1) capped at max_delay, with
    "equal jitter" (half fixed, half random) so throttled workers spread out; never less than the
    server's ``retry-after`` (itself capped at ten minutes)."""
    exp = min(retry.max_delay, retry.base_delay * (2 ** (attempt - 1)))
    delay = exp / 2 + rng.uniform(0, exp / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, 600.0))
    return delay


def call_with_retries(provider, request, retry, rng: random.Random, stop: threading.Event, wait=None):
    """Call ``provider`` until it answers, a non-retryable error occurs or attempts run out.

    Returns (completion, attempts); raises the last ``ProviderError`` with ``.attempts`` set."""
    from advisor.providers import ProviderError

    wait = wait or (lambda event, seconds: event.wait(seconds))
    attempt = 0
    while True:
        attempt += 1
        try:
            return provider.complete(request), attempt
        except ProviderError as exc:
            exc.attempts = attempt  # type: ignore[attr-defined]  # read back by the batch runner
            if exc.fatal or not exc.retryable or attempt >= retry.max_attempts or stop.is_set():
                raise
            if wait(stop, backoff_delay(attempt, retry, exc.retry_after, rng)):
                raise


# -- the ledger ---------------------------------------------------------------------------------------

def _iter_rows(path: Path) -> Iterator[dict[str, Any]]:
    try:
        fh = open(path, encoding="utf-8")
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"cannot read the ledger: {exc.strerror or exc}", location_for(path)) from None
    with fh:
        for line in fh:
            if not line.endswith("\n"):
                break  # torn write from a killed run
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict) and isinstance(row.get("key"), str):
                yield row


def read_ledger(path: str | Path) -> dict[str, dict[str, Any]]:
    """The latest row per key of a ledger file ({} when it does not exist); a torn last line is ignored."""
    latest: dict[str, dict[str, Any]] = {}
    for row in _iter_rows(Path(path)):
        latest[row["key"]] = row
    return latest


class _LedgerWriter:
    def __init__(self, path: Path, fsync: bool = True):
        self.path = path
        self.fsync = fsync
        self._fh: Any = None

    def open(self, fresh: bool) -> None:
        if fresh and self.path.exists():
            os.replace(self.path, self.path.with_name(self.path.name + ".prev"))
        self._repair_tail()
        self._fh = open(self.path, "a", encoding="utf-8")

    def _repair_tail(self) -> None:
        try:
            with open(self.path, "rb+") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                if size == 0:
                    return
                fh.seek(size - 1)
                if fh.read(1) == b"\n":
                    return
                fh.seek(0)
                data = fh.read()
                fh.truncate(data.rfind(b"\n") + 1)
        except FileNotFoundError:
            pass

    def append_many(self, rows: list[dict[str, Any]]) -> None:
        assert self._fh is not None
        self._fh.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def open_ledger_dir(folder: str | Path, what: str = "output folder") -> Path:
    """Create ``folder`` (and parents) and check it is a writable folder; errors are :class:`InputError`
    naming it (a file in the way, read-only, ``/proc``…), raised before any model call."""
    folder = Path(folder)
    where = location_for(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"the {what} is a file, not a folder", where)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".advisor-write-test-{os.getpid()}"
        with open(probe, "w") as fh:
            fh.write("ok")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            reason = "not writable (" + reason + ")"
        raise InputError(f"cannot write to the {what}: {reason}", where) from None
    return folder


class LedgerLock:
    """An exclusive ``flock`` on ``<ledger>.lock``; released when the process ends, even by ``kill -9``."""

    def __init__(self, ledger_path: Path):
        self.path = ledger_path.with_name(ledger_path.name + ".lock")
        self._fh: Any = None

    def acquire(self, wait: bool = False, announce: Callable[[str], None] | None = None) -> "LedgerLock":
        fh = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            if not wait:
                fh.close()
                raise LedgerBusy(f"another run ({holder}) is writing to this folder; wait for it to finish, "
                                 "use another output folder, or pass --wait to queue behind it",
                                 location_for(self.path.parent)) from None
            if announce:
                announce(f"waiting for another run ({holder}) to finish with {self.path.parent}")
            fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> "LedgerLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


# -- the run ------------------------------------------------------------------------------------------

def _completion_fields(hit: dict[str, Any]) -> dict[str, Any]:
    fields = {k: hit.get(k) for k in ("text", "input_tokens", "output_tokens", "stop_reason", "latency_ms")}
    fields.update({k: hit[k] for k in ("cache_read_tokens", "cache_write_tokens") if hit.get(k) is not None})
    return fields


class _Budget:
    def __init__(self, cap: float | None, cost_of):
        self.cap, self.cost_of = cap, cost_of
        self.spent = 0.0
        self.reserved = 0.0
        self.stopped = False
        self.lock = threading.Lock()

    def reserve(self, item: BatchItem) -> float | None:
        """The reservation, or None when the call would not fit (and the budget is then closed)."""
        if self.cap is None or self.cost_of is None:
            return 0.0
        bound = float(self.cost_of(item, None) or 0.0)
        with self.lock:
            if self.stopped or self.spent + self.reserved + bound > self.cap + 1e-12:
                self.stopped = True
                return None
            self.reserved += bound
            return bound

    def settle(self, item: BatchItem, reserved: float, row: dict | None) -> None:
        actual = 0.0
        if self.cost_of is not None and row is not None and row.get("status") == "ok" and not row.get("cached"):
            actual = float(self.cost_of(item, row) or 0.0)
        with self.lock:
            self.reserved -= reserved
            self.spent += actual


@dataclass
class BatchPlan:
    """What :func:`run_batch` would do now: each item's content address, and the items still to run
    (not answered in the ledger for their current request, per the mode). Cheap: no calls, no lock."""

    items: list[BatchItem]
    hashes: dict[str, str]
    pending: list[BatchItem]

    def cached(self, cache_dir: str | Path | None) -> set[str]:
        """Keys of pending items whose answer is already in the response cache (they cost nothing)."""
        if cache_dir is None:
            return set()
        from advisor.response_cache import ResponseCache

        cache = ResponseCache(cache_dir)
        try:
            return {i.key for i in self.pending if cache.get(self.hashes[i.key]) is not None}
        finally:
            cache.close()


def plan_batch(items: Iterable[BatchItem], providers: dict[str, Any], ledger_path: str | Path,
               mode: Mode = "resume") -> BatchPlan:
    """Check the items (unique keys, known providers), address them, and find what is pending."""
    from advisor.response_cache import cache_key
    from advisor.providers import ProviderError

    items = list(items)
    keys = [i.key for i in items]
    if len(set(keys)) != len(keys):
        seen: set[str] = set()
        dup = next(k for k in keys if k in seen or seen.add(k))  # type: ignore[func-returns-value]  # add() returns None: the first repeated key
        raise ValueError(f"batch keys must be unique: {dup!r} repeats")
    for item in items:
        if item.provider not in providers:
            raise ValueError(f"item {item.key!r} names unknown provider {item.provider!r}")
    identities: dict[str, dict] = {}
    for name in sorted({i.provider for i in items}):
        try:
            identities[name] = providers[name].identity()
        except ProviderError as exc:
            raise BatchAborted(exc.message) from None
    hashes = {i.key: cache_key(identities[i.provider], i.request.as_key(), i.epoch) for i in items}
    previous = {} if mode == "rerun_all" else read_ledger(ledger_path)

    def finished(item: BatchItem) -> bool:
        row = previous.get(item.key)
        if row is None or row.get("request_hash") != hashes[item.key]:
            return False
        return row.get("status") == "ok" or (row.get("status") == "error" and mode != "retry_errors")

    return BatchPlan(items, hashes, [i for i in items if not finished(i)])


def run_batch(items: Iterable[BatchItem], providers: dict[str, Any], ledger_path: str | Path,
              options: BatchOptions | None = None) -> BatchResult:
    """Run every item not already answered in ``ledger_path``; see the module docstring."""
    from advisor.response_cache import NoCache, ResponseCache
    from advisor.providers import ProviderError

    options = options or BatchOptions()
    ledger_path = Path(ledger_path)
    open_ledger_dir(ledger_path.parent)
    items = list(items)
    plan_batch(items, providers, ledger_path, options.mode)  # fail fast on bad items before taking the lock
    lock = LedgerLock(ledger_path).acquire(options.wait_for_lock,
                                           announce=lambda m: print(f"advisor: {m}", file=sys.stderr))
    try:
        plan = plan_batch(items, providers, ledger_path, options.mode)  # under the lock: the ledger is final
        return _run_locked(plan, providers, ledger_path, options, ProviderError,
                           ResponseCache if options.cache_dir is not None else None, NoCache)
    finally:
        lock.release()


def _run_locked(plan: BatchPlan, providers, ledger_path, options, ProviderError, cache_cls, NoCache) -> BatchResult:
    fresh = options.mode == "rerun_all"
    items, hashes, pending = plan.items, plan.hashes, plan.pending
    stats = BatchStats(planned=len(items), skipped=len(items) - len(pending))
    cache = cache_cls(options.cache_dir) if cache_cls is not None else NoCache()
    read_cache = not fresh
    budget = _Budget(options.max_cost, options.cost_of)
    progress = BatchProgress(total=len(pending))
    stop = threading.Event()
    pools = {name: ThreadPoolExecutor(max_workers=max(1, int(getattr(providers[name], "concurrency", 4))),
                                      thread_name_prefix=f"batch-{name}")
             for name in sorted({i.provider for i in pending})}
    writer = _LedgerWriter(ledger_path, options.fsync)
    results: queue.SimpleQueue = queue.SimpleQueue()
    fatal_message = None
    interrupted = False
    started = time.monotonic()

    def row_for(item: BatchItem, status: str, **extra) -> dict[str, Any]:
        return {"key": item.key, "request_hash": hashes[item.key], "status": status,
                "provider": item.provider, "model": item.request.model, "finished_at": time.time(),
                **item.meta, **extra}

    def work(item: BatchItem, rng: random.Random) -> dict[str, Any]:
        if stop.is_set():
            return row_for(item, "cancelled")
        if read_cache:
            hit = cache.get(hashes[item.key])
            if hit is not None:
                return row_for(item, "ok", cached=True, attempts=0, **_completion_fields(hit))
        reserved = budget.reserve(item)
        if reserved is None:
            return row_for(item, "over_budget")
        row = None
        try:
            try:
                completion, attempts = call_with_retries(providers[item.provider], item.request, options.retry,
                                                         rng, stop, options.wait)
            except ProviderError as exc:
                if exc.fatal:
                    stop.set()
                row = row_for(item, "error", cached=False, attempts=getattr(exc, "attempts", 1), error=exc.message,
                              fatal=exc.fatal, retryable=exc.retryable)
                return row
            except Exception as exc:  # an SDK surprise must not kill the run or print a traceback
                row = row_for(item, "error", cached=False, attempts=1, error=f"{exc.__class__.__name__}: {exc}")
                return row
            fields = {"text": completion.text, "input_tokens": completion.input_tokens,
                      "output_tokens": completion.output_tokens, "stop_reason": completion.stop_reason,
                      "latency_ms": round(completion.latency_ms, 1) if completion.latency_ms is not None else None}
            for name in ("cache_read_tokens", "cache_write_tokens"):  # prompt-cache usage, when reported
                if getattr(completion, name, None) is not None:
                    fields[name] = getattr(completion, name)
            try:
                cache.put(hashes[item.key], fields)
            except OSError:
                pass  # a full or read-only cache disk costs a re-call on resume, never the answer in hand
            row = row_for(item, "ok", cached=False, attempts=attempts, **fields)
            return row
        finally:
            budget.settle(item, reserved, row)

    def post(item: BatchItem, rng: random.Random) -> None:
        row = None
        try:
            row = work(item, rng)
        finally:
            results.put(row if row is not None else row_for(item, "cancelled"))

    try:
        writer.open(fresh)
        for item in pending:
            pools[item.provider].submit(post, item, random.Random(options.rng.random()))
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
                if row["status"] in ("cancelled", "over_budget"):
                    stats.not_run += 1
                    continue
                if row.get("fatal"):
                    fatal_message = fatal_message or row["error"]
                    stats.not_run += 1
                    continue  # not recorded: the call never really ran
                keep.append(row)
            if keep:
                writer.append_many(keep)
            for row in keep:
                stats.called += not row.get("cached")
                stats.cached += bool(row.get("cached"))
                stats.errors += row["status"] != "ok"
                stats.retries += max(0, int(row.get("attempts") or 1) - 1)
                progress.done += 1
                progress.cached += bool(row.get("cached"))
                progress.errors += row["status"] != "ok"
                if options.on_result is not None:
                    options.on_result(row, progress)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        stop.set()  # ends back-off waits early; queued items come back "cancelled"
        for pool in pools.values():
            pool.shutdown(wait=not interrupted, cancel_futures=True)
        writer.close()
        cache.close()
        stats.seconds = time.monotonic() - started
        stats.spent = budget.spent
    if fatal_message:
        raise BatchAborted(f"{fatal_message}; finished rows are saved, fix this and re-run to resume")
    latest = read_ledger(ledger_path)
    current = {i.key: latest[i.key] for i in items
               if i.key in latest and latest[i.key].get("request_hash") == hashes[i.key]}
    return BatchResult(current, stats, ledger_path, budget_stopped=budget.stopped)


class ProgressPrinter:
    """Progress for people and for CI logs: a redrawn bar on a terminal, else a plain line every
    ``every`` seconds (and at 25/50/75/100 %), so a CI log shows the run is alive."""

    def __init__(self, label: str = "calls", *, enabled: bool = True, tty: bool | None = None, stream=None,
                 every: float = 10.0):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = self.stream.isatty() if tty is None else tty
        self.label = label
        self.every = every
        self._last = 0.0
        self._quarter = 0
        self._drew = False

    def __call__(self, row: dict, p: BatchProgress) -> None:
        if not self.enabled or not p.total:
            return
        now = time.monotonic()
        eta = p.elapsed / p.done * (p.total - p.done) if p.done else 0
        if self.tty:
            if now - self._last > 0.1 or p.done == p.total:
                self._last = now
                width = 30
                filled = int(width * p.done / p.total)
                self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {p.done}/{p.total}"
                                  f"  cached {p.cached}  errors {p.errors}  eta {eta:4.0f}s ")
                self.stream.flush()
                self._drew = True
            return
        quarter = 4 * p.done // p.total
        if quarter > self._quarter or now - self._last >= self.every:
            self._quarter = max(self._quarter, quarter)
            self._last = now
            self.stream.write(f"advisor: {self.label} {p.done}/{p.total} ({100 * p.done // p.total}%), "
                              f"cached {p.cached}, errors {p.errors}, {p.elapsed:.0f} s elapsed, "
                              f"eta {eta:.0f} s\n")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty and self._drew:
            self.stream.write("\n")
            self.stream.flush()
