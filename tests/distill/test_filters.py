"""Each filter drops a record built to fail it (and only that one), with its reason; order is cheapest first."""

from __future__ import annotations

import json
import sys

import pytest

from advisor.distill.config import Filters
from advisor.distill.filters import FilterChain, run_filters
from advisor.errors import InputError


def rec(answer, i=0, gold=None, stop="stop", out_tokens=5, prompt=None):
    return {"id": f"r{i}", "system": None, "messages": [{"role": "user", "content": prompt or f"question {i}"}],
            "gold": gold, "source": f"p:{i}", "answer": answer, "stop_reason": stop, "output_tokens": out_tokens}


@pytest.fixture
def schema(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps({"type": "object", "required": ["label"],
                                "properties": {"label": {"$ref": "#/$defs/label"}},
                                "$defs": {"label": {"enum": ["billing", "tech"]}}}))
    return path


@pytest.fixture
def checker(tmp_path):
    script = tmp_path / "check.py"
    script.write_text("import sys, time\ntext = open(sys.argv[1]).read()\n"
                      "if 'SLOW' in text: time.sleep(5)\n"
                      "sys.exit(0 if 'billing' in text else 3)\n")
    return script


def test_each_filter_drops_the_record_built_to_fail_it(tmp_path, schema, checker):
    cfg = Filters(min_chars=5, max_chars=200, max_output_tokens=50, regex=r'"label"', json_schema=str(schema),
                  gold={"metric": "exact", "min": 1.0},
                  command={"argv": [sys.executable, checker.name, "{answer_file}"], "timeout": 1.0})  # relative to base
    good = '{"label": "billing"}'
    records = [
        rec(good, 0),                                             # kept
        {**rec(None, 1), "error": "HTTP 500 after 6 attempts"},   # teacher_error
        rec("ok", 2),                                             # length (under min_chars)
        rec("x" * 300, 3),                                        # length (over max_chars)
        rec(good, 4, stop="length"),                              # truncated
        rec(good, 5, out_tokens=80),                              # truncated (max_output_tokens)
        rec("I'm sorry, but I can't help with that request.", 6),  # refusal
        rec('{"kind": "billing"}', 7),                            # regex
        rec('{"label": "sales"}', 8),                             # json_schema
        rec(good, 9, gold='{"label": "tech"}'),                   # gold
        rec(good, 0),                                             # duplicate of the first
        rec('{"label": "tech"}', 11),                             # command exits 3
        rec('{"label": "tech", "x": "SLOW"}', 12),                # command times out
        rec(good, 13, gold=good),                                 # kept (gold agrees)
    ]
    chain = FilterChain(cfg, tmp_path, tmp_path)
    result = run_filters(iter(records), chain, tmp_path / "kept.jsonl", tmp_path / "dropped.jsonl")
    kept = [json.loads(x)["id"] for x in (tmp_path / "kept.jsonl").read_text().splitlines()]
    dropped = [json.loads(x) for x in (tmp_path / "dropped.jsonl").read_text().splitlines()]
    assert kept == ["r0", "r13"]
    assert [(d["id"], d["dropped_by"]) for d in dropped] == [
        ("r1", "teacher_error"), ("r2", "length"), ("r3", "length"), ("r4", "truncated"), ("r5", "truncated"),
        ("r6", "refusal"), ("r7", "regex"), ("r8", "json_schema"), ("r9", "gold"), ("r0", "duplicate"),
        ("r11", "command"), ("r12", "command")]
    reasons = {d["id"]: d["reason"] for d in dropped}
    assert "HTTP 500" in reasons["r1"] and "min_chars 5" in reasons["r2"] and "cut off" in reasons["r4"]
    assert "label" in reasons["r8"] and "exact 0.00" in reasons["r9"]
    assert "exited 3" in reasons["r11"] and "within 1 s" in reasons["r12"]
    assert all(d["answer"] is not None or d["id"] == "r1" for d in dropped)  # the record is kept with its reason
    assert result.read == 14 and result.kept == 2 and result.dropped["command"] == 2
    assert not list(tmp_path.glob(".dedupe-*"))  # the on-disk de-dupe table is removed


def test_f1_gold_threshold(tmp_path):
    chain = FilterChain(Filters(gold={"metric": "f1", "min": 0.5}, refusals=False), tmp_path, tmp_path)
    assert chain.check(rec("the cat sat on the mat", gold="a cat sat on a mat")) is None
    name, reason = chain.check(rec("dogs run", 2, gold="a cat sat on a mat"))
    assert name == "gold" and "f1 0.00" in reason
    chain.close()


def test_schema_with_remote_ref_is_refused_before_anything_runs(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps({"$ref": "http://127.0.0.1:9/evil.json"}))
    with pytest.raises(InputError) as err:
        FilterChain(Filters(json_schema=str(path)), tmp_path, tmp_path)
    assert "nothing is fetched" in err.value.message


def test_command_runs_without_a_shell(tmp_path):
    marker = tmp_path / "pwned"
    cfg = Filters(refusals=False, command={"argv": [sys.executable, "-c", "import sys; sys.exit(0)",
                                                    f"; touch {marker}"]})
    chain = FilterChain(cfg, tmp_path, tmp_path)
    assert chain.check(rec("$(touch " + str(marker) + ")")) is None
    chain.close()
    assert not marker.exists()


def test_missing_command_is_an_input_error(tmp_path):
    with pytest.raises(InputError):
        FilterChain(Filters(command={"argv": ["no-such-checker-xyz"]}), tmp_path, tmp_path)
