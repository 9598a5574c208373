"""`advisor rag index | query | eval` as a user runs them."""

from __future__ import annotations

import json


def test_index_query_eval_round_trip(run_cli, corpus, questions, tmp_path):
    index = tmp_path / "docs.sqlite"
    first = run_cli("rag", "index", corpus, "--index", index, "--format", "json")
    assert first.code == 0, first.err
    summary = json.loads(first.out)
    assert (summary["added"], summary["unchanged"], summary["skipped"]) == (6, 0, 0)

    again = run_cli("rag", "index", corpus, "--index", index)
    assert again.code == 0 and "0 added, 0 updated, 6 unchanged" in again.out

    q = run_cli("rag", "query", "--index", index, "How much is the hotel cap in Berlin?", "-k", "2",
                "--format", "json")
    assert q.code == 0, q.err
    hits = json.loads(q.out)["hits"]
    assert len(hits) == 2 and {"doc_id", "chunk_id", "score", "text"} <= set(hits[0])
    assert hits[0]["doc_id"] == "policies/travel.md" and hits[0]["score"] >= hits[1]["score"]

    text = run_cli("rag", "query", "--index", index, "forklift battery")
    assert text.code == 0 and text.out.startswith("1. manual.pdf#1")

    e = run_cli("rag", "eval", "--index", index, "--questions", questions, "-k", "3", "--format", "json")
    assert e.code == 0, e.err
    result = json.loads(e.out)
    assert (result["count"], result["k"]) == (5, 3)
    assert result["hit_rate"] == 0.8 and result["recall"] == 0.8
    assert result["misses"][0]["question"] == "Who waters the office plants?"
    assert "plants.md" in e.err and "not in the index" in e.err

    fail = run_cli("rag", "eval", "--index", index, "--questions", questions, "--fail-under", "0.9")
    assert fail.code == 1 and "4/5" not in fail.out and "1 missed" in fail.out


def test_unreadable_files_are_named_skipped_and_counted(run_cli, corpus, tmp_path):
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7 garbage")
    r = run_cli("rag", "index", corpus, "--index", tmp_path / "i.sqlite")
    assert r.code == 0
    assert "broken.pdf" in r.err and "skipped" in r.err
    assert "1 skipped" in r.out and "Traceback" not in r.err


def test_an_empty_corpus_exits_1(run_cli, tmp_path):
    (tmp_path / "empty").mkdir()
    r = run_cli("rag", "index", tmp_path / "empty", "--index", tmp_path / "i.sqlite")
    assert r.code == 1 and "nothing to index" in r.err
    r = run_cli("rag", "index", tmp_path / "missing", "--index", tmp_path / "i.sqlite")
    assert r.code == 1 and "no such file or folder" in r.err


def test_bad_input_exits_2_naming_the_file(run_cli, corpus, tmp_path):
    missing = run_cli("rag", "query", "--index", tmp_path / "none.sqlite", "x")
    assert missing.code == 2 and "none.sqlite" in missing.err and "rag index" in missing.err

    not_index = tmp_path / "notes.sqlite"
    not_index.write_text("hello", encoding="utf-8")
    r = run_cli("rag", "query", "--index", not_index, "x")
    assert r.code == 2 and "notes.sqlite" in r.err and "Traceback" not in r.err

    index = tmp_path / "i.sqlite"
    assert run_cli("rag", "index", corpus, "--index", index).code == 0
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"question": "ok?", "relevant": ["a"]}\n{"question": "no ids"}\n', encoding="utf-8")
    r = run_cli("rag", "eval", "--index", index, "--questions", bad)
    assert r.code == 2 and "q.jsonl:2" in r.err and "relevant" in r.err

    r = run_cli("rag", "query", "--index", index, "x", "-k", "0")
    assert r.code == 2


def test_prune_removes_documents_gone_from_the_sources(run_cli, corpus, tmp_path):
    index = tmp_path / "i.sqlite"
    assert run_cli("rag", "index", corpus, "--index", index).code == 0
    (corpus / "notes.txt").unlink()
    r = run_cli("rag", "index", corpus, "--index", index, "--prune", "--format", "json")
    assert json.loads(r.out)["removed"] == 1
    q = run_cli("rag", "query", "--index", index, "coffee machine descaled", "--format", "json")
    assert all(h["doc_id"] != "notes.txt" for h in json.loads(q.out)["hits"])
