"""`advisor fewshot select` as a user runs it."""

from __future__ import annotations

import json


def test_json_contract(run_cli, tmp_path):
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps(r) + "\n" for r in [
        {"input": "card charged twice", "output": "billing", "label": "billing"},
        {"input": "cannot sign in", "output": "login", "label": "login"},
        {"input": "card declined at checkout", "output": "billing", "label": "billing"},
        {"input": "Card charged twice", "output": "dup", "label": "billing"}]))
    r = run_cli("fewshot", "select", "--pool", pool, "--query", "card charged twice", "-k", "2", "--format", "json",
                "--cache-dir", tmp_path / "c")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert [e["id"] for e in doc["examples"]] == [3, 2]
    assert set(doc["examples"][0]) == {"id", "score", "input", "output", "label"}
    assert doc["examples"][0]["label"] == "billing"


def test_text_output_is_escaped(run_cli, tmp_path):
    pool = tmp_path / "pool.jsonl"
    pool.write_text(json.dumps({"input": "refund \x1b[31mnow", "output": "ok"}) + "\n")
    r = run_cli("fewshot", "select", "--pool", pool, "--query", "refund", "--cache-dir", tmp_path / "c")
    assert r.code == 0 and "line 1" in r.out and "\x1b" not in r.out


def test_bad_pool_is_a_clear_error(run_cli, tmp_path):
    pool = tmp_path / "pool.jsonl"
    pool.write_text('{"input": "a", "output": "b"}\nnot json\n')
    r = run_cli("fewshot", "select", "--pool", pool, "--query", "x", "--cache-dir", tmp_path / "c")
    assert r.code == 2
    assert "pool.jsonl:2: not a JSON line" in r.err and "Traceback" not in r.err
    r = run_cli("fewshot", "select", "--pool", tmp_path / "missing.jsonl", "--query", "x")
    assert r.code == 2 and "missing.jsonl" in r.err
    r = run_cli("fewshot", "select", "--pool", pool, "--query", "x", "-k", "-1")
    assert r.code == 2 and "-k" in r.err
