"""The bad-input corpus (issue 16): every command, fed every kind of broken file, must answer with a
documented exit code, a message naming the file, and never a traceback or an internal error (70).

Cases are a table: the kinds of broken content below times the file slots of every command, plus
special paths (missing, a folder, a device). Each runs in-process through ``advisor.cli.main`` with
captured output, so the whole corpus takes seconds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from advisor.knowledge import default_rules_dir

ROOT = Path(__file__).resolve().parents[2]
TATQA_GOLD = ROOT / "examples" / "eval-tatqa" / "tatqa_dev_slice.json"


def _alias_bomb(levels: int = 12) -> bytes:
    lines = ['l0: &l0 ["ha", "ha"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]")
    return ("\n".join(lines) + "\n").encode()


# kind of broken content -> bytes (the same bytes are written under each command's suffix)
BAD_CONTENTS: dict[str, bytes] = {
    "empty": b"",
    "whitespace only": b"   \n\n\t\n",
    "NUL bytes": b"\x00\x01\x02binary\x00",
    "latin-1 text": "projet: caf\u00e9 \u00e9t\u00e9".encode("latin-1"),
    "UTF-16 text": "project_name: x".encode("utf-16"),
    "YAML tab indent": b"a:\n\t- b\n",
    "YAML unclosed flow": b"a: [1, 2\n",
    "YAML unknown alias": b"a: *nope\n",
    "YAML python tag": b"x: !!python/object/apply:os.system ['echo hi']\n",
    "YAML alias bomb": _alias_bomb(),
    "JSON trailing comma": b'{"a": 1,}',
    "JSON unclosed": b'{"a": ',
    "top-level list": b"- 1\n- 2\n",
    "top-level string": b"just some text\n",
    "top-level number": b"42\n",
    "deep JSON": b"[" * 20_000 + b"]" * 20_000,
    "deep JSON object": b'{"a": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
    "deep YAML": b"a: " + b"[" * 5_000 + b"]" * 5_000 + b"\n",
    "400-digit number": b"x: " + b"9" * 400 + b"\n",
    "5000-digit number (YAML)": b"x: " + b"9" * 5_000 + b"\n",
    "5000-digit number (JSON)": b'{"x": ' + b"9" * 5_000 + b"}",
    "invalid date": b"x: 2026-13-45\n",
    "terminal controls": b'x: "\\e[2J\\e]0;owned\\a"\n',
    "NaN and infinity": b"x: .nan\ny: .inf\n",
    "very long line": b"x: " + b"a" * 300_000 + b"\n",
    "byte-order mark": b"\xef\xbb\xbfx: 1\n",
    "JSONL garbage": b"{}\n[]\nnot json\n{\"messages\": 5}\n",
    "CRLF broken": b"x: [\r\ny: 2\r\n",
    "null document": b"null\n",
    "mapping of lists": b"x: [1, 2]\ny: {z: 1}\n",
}

# special paths instead of content
SPECIAL = ("missing file", "a folder")


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """Valid files for the slots not under test."""
    base = tmp_path_factory.mktemp("good")
    answers = base / "answers.yaml"
    answers.write_text("project_name: demo\ngap_is_factual_recall: true\n", encoding="utf-8")
    gold = json.loads(TATQA_GOLD.read_text(encoding="utf-8"))[:2]
    gold_path = base / "gold.json"
    gold_path.write_text(json.dumps(gold), encoding="utf-8")
    preds = {q["uid"]: ["1", ""] for ctx in gold for q in ctx["questions"]}
    preds_path = base / "preds.json"
    preds_path.write_text(json.dumps(preds), encoding="utf-8")
    doc = base / "guide.md"
    doc.write_text("# Refunds\n\nRefunds are paid within 14 days of the request.\n", encoding="utf-8")
    index = base / "good.sqlite"
    from advisor.cli import main

    assert main(["rag", "index", str(doc), "--index", str(index), "--format", "json"]) == 0
    questions = base / "questions.jsonl"
    questions.write_text(json.dumps({"question": "when are refunds paid", "relevant": ["guide.md"]}) + "\n",
                         encoding="utf-8")
    pool = base / "pool.jsonl"
    pool.write_text("".join(json.dumps({"input": f"question {i}", "output": f"answer {i}"}) + "\n"
                            for i in range(4)), encoding="utf-8")
    return {"answers": answers, "gold": gold_path, "preds": preds_path, "doc": doc, "index": index,
            "questions": questions, "pool": pool}


def _rules_with(tmp: Path, name: str, bad: Path) -> Path:
    rules = tmp / "rules"
    shutil.copytree(default_rules_dir(), rules, ignore=shutil.ignore_patterns("scenarios"))
    target = rules / name
    target.unlink()
    if bad.is_dir():
        target.mkdir()
    elif bad.exists():
        shutil.copyfile(bad, target)
    return rules


# slot -> (suffix, argv builder, allowed exit codes, where the file name must appear)
# The argv builder gets (bad file, tmp dir, good files) and returns the command line.
SLOTS = {
    "recommend --answers (yaml)": (".yaml", lambda f, t, g: ["recommend", "--answers", f], {2}),
    "recommend --answers (json)": (".json", lambda f, t, g: ["recommend", "--answers", f], {2}),
    "recommend --prices": (".yaml", lambda f, t, g: ["recommend", "--answers", g["answers"], "--prices", f], {2}),
    "recommend --rules (questions.yaml)": (
        ".yaml", lambda f, t, g: ["recommend", "--answers", g["answers"], "--rules", _rules_with(t, "questions.yaml", f)],
        {2}),
    "rules check (decision.yaml)": (
        ".yaml", lambda f, t, g: ["rules", "check", "--rules", _rules_with(t, "decision.yaml", f)], {1, 2}),
    "interview --answers (no terminal)": (".yaml", lambda f, t, g: ["interview", "--answers", f], {2}),
    "launch --dry-run --answers": (
        ".yaml", lambda f, t, g: ["launch", "bedrock_fine_tune", "--answers", f, "--dry-run",
                                  "--state-dir", t / "state"], {2}),
    "eval score --gold": (
        ".json", lambda f, t, g: ["eval", "score", "--metric", "tatqa", "--gold", f, "--predictions", g["preds"]], {2}),
    "eval score --predictions": (
        ".json", lambda f, t, g: ["eval", "score", "--metric", "tatqa", "--gold", g["gold"], "--predictions", f], {2}),
    "eval run --config --dry-run": (
        ".yaml", lambda f, t, g: ["eval", "run", "--config", f, "--dry-run", "--output", t / "runs"], {2}),
    "data validate": (".jsonl", lambda f, t, g: ["data", "validate", f], {1, 2}),
    "data stats": (".jsonl", lambda f, t, g: ["data", "stats", f], {0, 1, 2}),
    "data convert": (".jsonl", lambda f, t, g: ["data", "convert", "--from", "openai", f, "-o", t / "out.jsonl"],
                     {0, 1, 2}),
    "data split": (".jsonl", lambda f, t, g: ["data", "split", f, "--out-dir", t / "split"], {0, 1, 2}),
    # a broken source is skipped with its name (0 when another source was indexed, 1 when none was)
    "rag index (source)": (".md", lambda f, t, g: ["rag", "index", f, "--index", t / "new.sqlite"], {0, 1, 2}),
    "rag index --index": (".sqlite", lambda f, t, g: ["rag", "index", g["doc"], "--index", f], {0, 2}),
    "rag query --index": (".sqlite", lambda f, t, g: ["rag", "query", "refunds", "--index", f], {2}),
    "rag eval --questions": (
        ".jsonl", lambda f, t, g: ["rag", "eval", "--index", g["index"], "--questions", f], {2}),
    "fewshot select --pool": (
        ".jsonl", lambda f, t, g: ["fewshot", "select", "--pool", f, "--query", "question 1",
                                   "--cache-dir", t / "fs-cache"], {0, 1, 2}),
}

# The file names the message must contain: the bad file, or the rule file it was copied to.
_NAMED_AS = {"recommend --rules (questions.yaml)": "questions.yaml", "rules check (decision.yaml)": "decision.yaml"}

# An empty answers file is "nothing answered yet": the undetermined exit (3) listing what to answer is right.
_EMPTYISH = {"empty", "whitespace only", "null document"}
_ANSWER_SLOTS = {"recommend --answers (yaml)", "recommend --answers (json)", "launch --dry-run --answers"}

CASES = [(slot, kind) for slot in SLOTS for kind in [*BAD_CONTENTS, *SPECIAL]]


def test_the_corpus_has_at_least_400_cases():
    assert len(CASES) >= 400


@pytest.mark.parametrize(("slot", "kind"), CASES, ids=[f"{s} | {k}" for s, k in CASES])
def test_bad_input_gets_a_documented_exit_and_names_the_file(tmp_path, run_cli, good, monkeypatch, slot, kind):
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("ADVISOR_TODAY", "2026-12-01")
    suffix, build, allowed = SLOTS[slot]
    bad = tmp_path / f"broken-input{suffix}"
    if kind == "a folder":
        bad.mkdir()
    elif kind != "missing file":
        bad.write_bytes(BAD_CONTENTS[kind])
    if kind in _EMPTYISH and slot in _ANSWER_SLOTS:
        allowed = allowed | {3}
    argv = [str(a) for a in build(bad, tmp_path, good)]
    result = run_cli(*argv)
    both = result.out + result.err
    assert "Traceback" not in both, both[-2000:]
    assert "internal error" not in result.err, result.err
    assert result.code in allowed, f"exit {result.code}, expected {sorted(allowed)}:\n{result.err[-1500:]}"
    name = _NAMED_AS.get(slot, bad.name)
    if result.code in (1, 2) and not (kind in _EMPTYISH and slot in _ANSWER_SLOTS):
        assert name in both, f"the message does not name {name}:\n{both[-1500:]}"
