"""Issue 16 gaps: -q/-v obeyed by every command, devices refused by the data tools, `-` on eval score."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TATQA_GOLD = ROOT / "examples" / "eval-tatqa" / "tatqa_dev_slice.json"


def _openai_file(tmp_path: Path) -> Path:
    path = tmp_path / "chat.jsonl"
    path.write_text("".join(json.dumps({"messages": [{"role": "user", "content": f"question {i}"},
                                                      {"role": "assistant", "content": f"answer number {i}"}]}) + "\n"
                            for i in range(3)), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("ADVISOR_TODAY", "2026-12-01")


def test_data_convert_summary_is_silenced_by_q_and_shown_otherwise(tmp_path, run_cli):
    src = _openai_file(tmp_path)
    loud = run_cli("data", "convert", "--from", "openai", src, "-o", tmp_path / "a.jsonl")
    assert loud.code == 0 and "3 records read" in loud.err
    quiet = run_cli("-q", "data", "convert", "--from", "openai", src, "-o", tmp_path / "b.jsonl")
    assert quiet.code == 0 and quiet.err == ""
    assert (tmp_path / "b.jsonl").read_text() == (tmp_path / "a.jsonl").read_text()


def test_data_verbose_says_what_was_read(tmp_path, run_cli):
    src = tmp_path / "train.jsonl"
    assert run_cli("data", "convert", "--from", "openai", _openai_file(tmp_path), "-o", src).code == 0
    plain = run_cli("data", "stats", src)
    verbose = run_cli("-v", "data", "stats", src)
    assert "rule base" not in plain.err
    assert verbose.code == 0 and f"reading {src}" in verbose.err and "rule base shipped with advisor" in verbose.err


def test_rag_and_fewshot_q_leave_stderr_empty_and_v_names_inputs(tmp_path, run_cli):
    doc = tmp_path / "guide.md"
    doc.write_text("# Refunds\n\nRefunds are paid within 14 days.\n", encoding="utf-8")
    index = tmp_path / "i.sqlite"
    bad = tmp_path / "junk.bin"
    bad.write_bytes(b"\x00\x01binary")
    quiet = run_cli("-q", "rag", "index", doc, "--index", index)
    assert quiet.code == 0 and quiet.err == ""
    verbose = run_cli("-v", "rag", "query", "refunds", "--index", index)
    assert verbose.code == 0 and f"the index {index}" in verbose.err
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"input": f"q {i}", "output": f"a {i}"}) + "\n" for i in range(3)))
    fs = run_cli("-q", "fewshot", "select", "--pool", pool, "--query", "q 1", "-k", "1", "--cache-dir", tmp_path / "c")
    assert fs.code == 0 and fs.err == "" and "line" in fs.out
    fsv = run_cli("-v", "fewshot", "select", "--pool", pool, "--query", "q 1", "-k", "1", "--cache-dir", tmp_path / "c")
    assert f"reading the pool {pool}" in fsv.err
    # errors are never silenced
    missing = run_cli("-q", "rag", "query", "x", "--index", tmp_path / "none.sqlite")
    assert missing.code == 2 and "none.sqlite" in missing.err


def test_eval_run_q_prints_no_progress_or_wrote_line(tmp_path, run_cli, fake_server):
    from tests.evals.test_harness import write_config

    config = write_config(tmp_path, fake_server, n=3, provider="local")
    loud = run_cli("eval", "run", "--config", config, "--output", tmp_path / "r1", "--no-cache")
    assert "wrote " in loud.out
    quiet = run_cli("-q", "eval", "run", "--config", config, "--output", tmp_path / "r2", "--no-cache")
    assert loud.code == 0, loud.err
    assert quiet.code == 0 and quiet.err == "" and "wrote " not in quiet.out


@pytest.mark.parametrize("command", [["split", "--out-dir", "OUT"], ["stats"], ["validate"],
                                     ["convert", "--from", "openai"], ["convert", "--from", "csv"]])
def test_data_tools_refuse_a_device_instead_of_reading_forever(tmp_path, command):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    argv = [sys.executable, "-m", "advisor", "data", command[0], "/dev/zero",
            *[str(tmp_path / "out") if a == "OUT" else a for a in command[1:]]]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    assert done.returncode == 2, done.stderr
    assert "/dev/zero" in done.stderr and "device" in done.stderr and "Traceback" not in done.stderr


def _predictions() -> tuple[list, dict]:
    gold = json.loads(TATQA_GOLD.read_text(encoding="utf-8"))[:2]
    preds = {q["uid"]: [q["answer"], q["scale"]] for ctx in gold for q in ctx["questions"]}
    return gold, preds


def test_eval_score_reads_predictions_from_standard_input(tmp_path, run_cli, monkeypatch):
    gold, preds = _predictions()
    gold_path = tmp_path / "gold.json"
    gold_path.write_text(json.dumps(gold))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(preds).encode())))
    result = run_cli("eval", "score", "--metric", "tatqa", "--gold", gold_path, "--predictions", "-",
                     "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["exact_match"] == 100.0


def test_eval_score_reads_gold_from_standard_input(tmp_path, run_cli, monkeypatch):
    gold, preds = _predictions()
    pred_path = tmp_path / "pred.json"
    pred_path.write_text(json.dumps(preds))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(gold).encode())))
    result = run_cli("eval", "score", "--metric", "tatqa", "--gold", "-", "--predictions", pred_path,
                     "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["count"] == len(preds)


def test_eval_score_malformed_stdin_is_named_and_both_dashes_refused(tmp_path, run_cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"a": [1,\n}')))
    bad = run_cli("eval", "score", "--metric", "tatqa", "--gold", TATQA_GOLD, "--predictions", "-")
    assert bad.code == 2 and "<stdin>:2" in bad.err and "Traceback" not in bad.err
    both = run_cli("eval", "score", "--metric", "f1", "--gold", "-", "--predictions", "-")
    assert both.code == 2 and "only one of --gold and --predictions" in both.err


def test_launch_progress_under_q_reports_only_failed_steps():
    from advisor.launchers.progress import make_progress

    stream = io.StringIO()
    progress = make_progress(stream, quiet=True)
    progress.step("upload", "uploading the dataset")
    progress.done("upload", "done", "2 files")
    progress.info("polling the job")
    progress.done("train", "failed", "quota exceeded")
    progress.close()
    assert stream.getvalue() == "train: failed (quota exceeded)\n"
