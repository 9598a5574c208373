"""Kill the launcher (a real subprocess, SIGKILL) during teacher generation and re-run it: every training
prompt is answered exactly once, nothing is duplicated, and at most the calls in flight are paid twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

from tests.distill.helpers import REPO, prompt_lines, teacher, workdir, write_config, write_jsonl  # noqa: F401


def lines(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def ok_rows(ledger):
    if not ledger.exists():
        return 0
    return sum(1 for x in ledger.read_text(encoding="utf-8").splitlines() if '"status": "ok"' in x)


def test_sigkill_during_generation_then_rerun(workdir, teacher):
    teacher.latency = 0.03
    teacher.fail_every = 9  # 429s keep coming during the run
    write_jsonl(workdir / "prompts.jsonl", prompt_lines(200))
    write_config(workdir, teacher.base_url)
    args = [sys.executable, "-m", "advisor", "launch", "distill", "--answers", workdir / "answers.yaml",
            "--prompts", workdir / "prompts.jsonl", "--config", workdir / "config.yaml", "--out", workdir / "out",
            "--state-dir", workdir / "state", "--yes"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    ledger = workdir / "out" / "teacher.jsonl"
    proc = subprocess.Popen([str(a) for a in args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while ok_rows(ledger) < 40 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, proc.stderr.read().decode()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    answered_before = ok_rows(ledger)
    train = {r["id"] for r in lines(workdir / "out" / "train_prompts.jsonl")}
    assert 40 <= answered_before < len(train)

    done = subprocess.run([str(a) for a in args], env=env, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    rows = lines(ledger)
    ok = Counter(r["key"] for r in rows if r["status"] == "ok")
    assert set(ok) == train and max(ok.values()) == 1  # every prompt answered once, none twice
    generated = Counter(r["id"] for r in lines(workdir / "out" / "generated.jsonl"))
    assert set(generated) == train and max(generated.values()) == 1
    assert len(lines(workdir / "out" / "student" / "trl" / "train.jsonl")) == len(train)
    test_prompts = {r["messages"][0]["content"] for r in lines(workdir / "out" / "test.jsonl")}
    assert not test_prompts & set(teacher.prompts)  # no held-out prompt was sent to the teacher
    paid_twice = [p for p, n in teacher.prompts.items() if n > 1]
    assert len(paid_twice) <= 4  # at most the calls in flight at the kill (concurrency 4)
