"""A run killed with SIGKILL resumes without lost or duplicated rows or repeated calls; and the shipped
example config runs end to end against the loopback server unchanged."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import yaml

from .conftest import EXAMPLE_CONFIG, EXAMPLE_SLICE, REPO


def _env(server, **extra):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-west-2",
               AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent", **extra)
    env.pop("AWS_PROFILE", None)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _ledger_ids(path):
    ids = []
    if path.exists():
        for line in path.read_text().splitlines(keepends=True):
            if line.endswith("\n"):
                ids.append(json.loads(line)["id"])
    return ids


def test_sigkilled_run_resumes_without_lost_duplicated_or_repeated_calls(tmp_path, fake_server):
    n = 60
    fake_server.latency = 0.05
    fake_server.responder = lambda call: call.prompt.split()[-1]
    (tmp_path / "data.jsonl").write_text("".join(json.dumps({"id": f"q{i}", "answer": f"a{i}"}) + "\n"
                                                 for i in range(n)))
    config = tmp_path / "eval.yaml"
    config.write_text(yaml.safe_dump({
        "name": "kill", "metric": "exact", "dataset": {"path": "data.jsonl"}, "prompt": "say a{{ id }}",
        "providers": {"b": {"type": "bedrock", "region": "us-west-2", "endpoint_url": fake_server.base_url,
                            "concurrency": 2}},
        "variants": [{"name": "v", "provider": "b", "model": "m"}], "cache_dir": "cache", "output_dir": "out"}))
    # ids are q0..; the prompt is "say aq0" and the answer "aq0" — gold is "a0", so scores are 0, which
    # does not matter here: this test is about rows and calls.
    ledger = tmp_path / "out" / "results.jsonl"
    cmd = [sys.executable, "-m", "advisor", "eval", "run", "--config", str(config), "--no-progress"]
    proc = subprocess.Popen(cmd, env=_env(fake_server), cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while len(_ledger_ids(ledger)) < 10 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done_before = set(_ledger_ids(ledger))
    hits_before = fake_server.hits
    assert 10 <= len(done_before) < n

    second = subprocess.run(cmd, env=_env(fake_server), cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert second.returncode in (0, 1), second.stderr  # 1: the exact-match scores are 0, no threshold set
    assert "Traceback" not in second.stderr
    ids = _ledger_ids(ledger)
    assert sorted(ids) == sorted(f"q{i}" for i in range(n))  # nothing lost, nothing duplicated
    new_calls = fake_server.calls[hits_before:]
    assert not {c.prompt.split()[-1][1:] for c in new_calls} & done_before  # finished rows were not re-called
    assert fake_server.hits - hits_before <= n - len(done_before)


def _gold_responder():
    gold = {q["question"]: q for ctx in json.loads(EXAMPLE_SLICE.read_text()) for q in ctx["questions"]}

    def respond(call):
        q = gold[call.prompt.rsplit("Question: ", 1)[1].strip()]
        answer = q["answer"][0] if q["answer_type"] == "span" else q["answer"]
        return json.dumps({"answer": answer if isinstance(answer, (str, list)) else str(answer),
                           "scale": q["scale"]})
    return respond


def test_example_config_runs_end_to_end_against_the_loopback_server(tmp_path, fake_server):
    fake_server.responder = _gold_responder()
    fake_server.inject(429, count=2, retry_after=0)
    cmd = [sys.executable, "-m", "advisor", "eval", "run", "--config", str(EXAMPLE_CONFIG), "--no-progress",
           "--output", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"), "--format", "json"]
    env = _env(fake_server, AWS_ENDPOINT_URL_BEDROCK_RUNTIME=fake_server.base_url)
    result = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [v["name"] for v in doc["variants"]] == ["haiku-base", "haiku-few-shot", "sonnet-3-5-base"]
    assert all(v["metrics"] == {"exact_match": 100.0, "f1": 100.0} and v["done"] == 48 for v in doc["variants"])
    assert all(v["cost_usd"] > 0 for v in doc["variants"])
    prompts = [c.prompt for c in fake_server.calls]
    assert all(p.startswith("<table>\n") and "</table>" in p for p in prompts)
    few_shot = [c for c in fake_server.calls if len(c.messages) == 7]  # 3 worked examples + the question
    assert len(few_shot) == 48
    assert fake_server.hits == 3 * 48 + 2


def test_example_config_threshold_fails_ci_when_answers_are_wrong(tmp_path, fake_server):
    fake_server.responder = lambda call: '{"answer": "I do not know", "scale": ""}'
    cmd = [sys.executable, "-m", "advisor", "eval", "run", "--config", str(EXAMPLE_CONFIG), "--no-progress",
           "--output", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache")]
    env = _env(fake_server, AWS_ENDPOINT_URL_BEDROCK_RUNTIME=fake_server.base_url)
    result = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "haiku-base: f1 0.00 is below the threshold 40" in result.stderr
