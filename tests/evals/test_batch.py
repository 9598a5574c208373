"""The batch runner (advisor.batch): exactly-once after kill -9, resume modes, lock, budget and progress."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter

import pytest

from advisor.batch import (BatchItem, BatchOptions, LedgerBusy, LedgerLock, ProgressPrinter, RetryPolicy,
                           read_ledger, run_batch)
from advisor.providers import ChatRequest
from advisor.providers.openai_chat import OpenAIChat

from .conftest import REPO

FAST = RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0)


def _items(n, model="m"):
    return [BatchItem(f"p{i}", "local", ChatRequest(model=model, messages=(("user", f"echo p{i}"),)), {"n": i})
            for i in range(n)]


def _provider(server, concurrency=4):
    return {"local": OpenAIChat("local", base_url=server.openai_base_url, api_key_env="ADVISOR_TEST_NO_KEY",
                                concurrency=concurrency)}


@pytest.fixture
def echo(fake_server):
    fake_server.responder = lambda call: "answer " + call.prompt.split()[-1]
    return fake_server


def _ledger_lines(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines(keepends=True) if line.endswith("\n")]


SCRIPT = textwrap.dedent("""
    import sys
    from advisor.batch import BatchItem, BatchOptions, RetryPolicy, run_batch
    from advisor.providers import ChatRequest
    from advisor.providers.openai_chat import OpenAIChat

    base_url, ledger, cache, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    provider = OpenAIChat("local", base_url=base_url, api_key_env="ADVISOR_TEST_NO_KEY", concurrency=3)
    items = [BatchItem(f"p{i}", "local", ChatRequest(model="m", messages=(("user", f"echo p{i}"),)))
             for i in range(n)]
    result = run_batch(items, {"local": provider}, ledger,
                       BatchOptions(cache_dir=cache, retry=RetryPolicy(6, 0.01, 0.05)))
    print(result.stats.called, result.stats.cached, result.stats.skipped)
""")


def test_kill_9_three_times_then_resume_answers_every_key_exactly_once(tmp_path, echo):
    n = 80
    echo.latency = 0.03
    echo.inject(429, count=3, retry_after=0)  # throttling on the way, too
    script = tmp_path / "gen.py"
    script.write_text(SCRIPT)
    ledger = tmp_path / "out" / "teacher.jsonl"
    cmd = [sys.executable, str(script), echo.openai_base_url, str(ledger), str(tmp_path / "cache"), str(n)]
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for target in (10, 30, 50):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while len(_ledger_lines(ledger)) < target and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL  # killed mid-run, not finished
        assert len(_ledger_lines(ledger)) < n
    final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert final.returncode == 0, final.stderr
    lines = _ledger_lines(ledger)
    counts = Counter(row["key"] for row in lines)
    assert set(counts) == {f"p{i}" for i in range(n)}
    assert set(counts.values()) == {1}  # every key answered exactly once, nothing duplicated
    assert all(row["status"] == "ok" and row["text"] == f"answer {row['key']}" for row in lines)
    # answers of calls that finished before a kill came from the cache: at most the calls in flight at
    # each kill (concurrency 3) were paid twice
    assert len(echo.calls) <= n + 3 * 3


def test_resume_keeps_errors_and_retry_errors_reruns_only_them(tmp_path, echo):
    ledger = tmp_path / "l.jsonl"
    echo.inject(500, count=1)
    first = run_batch(_items(4), _provider(echo, 1), ledger, BatchOptions(retry=RetryPolicy(1, 0, 0)))
    assert Counter(r["status"] for r in first.rows.values()) == {"ok": 3, "error": 1}
    again = run_batch(_items(4), _provider(echo, 1), ledger, BatchOptions(retry=FAST))
    assert again.stats.called == 0 and echo.hits == 4
    retried = run_batch(_items(4), _provider(echo, 1), ledger, BatchOptions(mode="retry_errors", retry=FAST))
    assert retried.stats.called == 1 and echo.hits == 5
    assert all(r["status"] == "ok" for r in read_ledger(ledger).values())
    assert read_ledger(ledger)["p0"]["n"] == 0  # meta is carried into the row


def test_a_changed_request_is_called_again_and_rerun_all_starts_fresh(tmp_path, echo):
    ledger = tmp_path / "l.jsonl"
    run_batch(_items(3), _provider(echo), ledger, BatchOptions(cache_dir=tmp_path / "c", retry=FAST))
    changed = run_batch(_items(3, model="other"), _provider(echo), ledger,
                        BatchOptions(cache_dir=tmp_path / "c", retry=FAST))
    assert changed.stats.called == 3 and echo.hits == 6
    fresh = run_batch(_items(3, model="other"), _provider(echo), ledger,
                      BatchOptions(mode="rerun_all", cache_dir=tmp_path / "c", retry=FAST))
    assert fresh.stats.called == 3 and echo.hits == 9  # neither the ledger nor the cache answers
    assert len(_ledger_lines(ledger)) == 3 and (tmp_path / "l.jsonl.prev").exists()


def test_a_second_process_on_the_same_ledger_is_refused_or_waits(tmp_path, echo):
    ledger = tmp_path / "l.jsonl"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import fcntl, sys, time
        fh = open({str(ledger) + '.lock'!r}, "a+")
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write("pid 4242"); fh.flush()
        print("locked", flush=True)
        time.sleep(1.0)
    """)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(LedgerBusy, match="another run"):
        run_batch(_items(2), _provider(echo), ledger, BatchOptions(retry=FAST))
    assert echo.hits == 0
    result = run_batch(_items(2), _provider(echo), ledger, BatchOptions(retry=FAST, wait_for_lock=True))
    holder.wait()
    assert result.stats.called == 2


def test_budget_cap_stops_before_exceeding_and_keeps_what_was_done(tmp_path, echo):
    ledger = tmp_path / "l.jsonl"
    # each call is bounded at $1 and costs $1: a cap of $3.5 allows three calls, never a fourth
    options = BatchOptions(retry=FAST, max_cost=3.5, cost_of=lambda item, row: 1.0)
    result = run_batch(_items(10), _provider(echo, 1), ledger, options)
    assert result.budget_stopped and result.stats.spent <= 3.5
    assert len(result.rows) == 3 == echo.hits and result.stats.not_run == 7
    more = run_batch(_items(10), _provider(echo, 1), ledger, BatchOptions(retry=FAST))
    assert more.stats.skipped == 3 and more.stats.called == 7


def test_progress_callback_and_plain_lines_when_not_a_terminal(tmp_path, echo):
    seen = []
    stream = io.StringIO()
    printer = ProgressPrinter("calls", tty=False, stream=stream, every=3600)

    def on_result(row, progress):
        seen.append((row["key"], progress.done, progress.total))
        printer(row, progress)

    run_batch(_items(8), _provider(echo), tmp_path / "l.jsonl", BatchOptions(retry=FAST, on_result=on_result))
    assert [d for _, d, _ in seen] == list(range(1, 9)) and {t for _, _, t in seen} == {8}
    lines = stream.getvalue().splitlines()
    assert lines and all(line.startswith("advisor: calls ") for line in lines)
    assert lines[-1].startswith("advisor: calls 8/8 (100%)") and "\r" not in stream.getvalue()


def test_duplicate_keys_are_refused(tmp_path, echo):
    items = _items(2) + _items(1)
    with pytest.raises(ValueError, match="unique"):
        run_batch(items, _provider(echo), tmp_path / "l.jsonl")


def test_lock_is_released_when_the_holder_is_killed(tmp_path):
    ledger = tmp_path / "l.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from pathlib import Path
        from advisor.batch import LedgerLock
        lock = LedgerLock(Path({str(ledger)!r})).acquire()
        print("locked", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    with pytest.raises(LedgerBusy):
        LedgerLock(ledger).acquire()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    LedgerLock(ledger).acquire().release()
