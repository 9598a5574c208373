"""Dense and hybrid retrieval against loopback embeddings servers (OpenAI-compatible and Bedrock)."""

from __future__ import annotations

import json

import pytest

from tests.fakes.embeddings_server import FakeEmbeddingsServer

DOCS = [
    {"id": "garage", "text": "How to fix a broken car: check the battery, then the starter."},
    {"id": "kitchen", "text": "How to bake bread: flour, water, salt and a hot oven."},
    {"id": "garden", "text": "Prune roses in late winter and water them in the morning."},
]
QUESTIONS = [
    {"question": "automobile repair", "relevant": ["garage"]},  # no shared word: only vectors find it
    {"question": "bread oven", "relevant": ["kitchen"]},
    {"question": "roses pruning", "relevant": ["garden"]},
]


@pytest.fixture
def server():
    with FakeEmbeddingsServer() as s:
        yield s


@pytest.fixture
def files(tmp_path):
    docs = tmp_path / "docs.jsonl"
    docs.write_text("\n".join(json.dumps(d) for d in DOCS) + "\n", encoding="utf-8")
    qs = tmp_path / "q.jsonl"
    qs.write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\n", encoding="utf-8")
    return docs, qs


def test_openai_compatible_dense_and_hybrid(run_cli, server, files, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-never-stored")
    docs, qs = files
    index = tmp_path / "i.sqlite"
    r = run_cli("rag", "index", docs, "--index", index, "--embeddings", "openai:embed-small",
                "--embeddings-url", server.openai_base_url, "--format", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["vectors_written"] == 3
    assert server.requests[0]["body"]["model"] == "embed-small"
    assert server.requests[0]["headers"]["authorization"] == "Bearer sk-test-never-stored"
    assert b"sk-test" not in index.read_bytes()  # the key is never stored

    bm25 = run_cli("rag", "query", "--index", index, "automobile repair", "--format", "json")
    assert json.loads(bm25.out)["hits"] == []  # BM25 sees no shared word
    dense = run_cli("rag", "query", "--index", index, "automobile repair", "--mode", "dense", "--format", "json")
    assert json.loads(dense.out)["hits"][0]["doc_id"] == "garage"

    e = run_cli("rag", "eval", "--index", index, "--questions", qs, "-k", "1", "--format", "json")
    assert e.code == 0, e.err
    result = json.loads(e.out)
    assert result["modes"]["bm25"]["hit_rate"] == round(2 / 3, 4)
    assert result["modes"]["dense"]["hit_rate"] == 1.0
    assert result["default_mode"] in ("dense", "hybrid") and result["hit_rate"] == 1.0
    # the eval's winner is now what `rag query` uses by default
    default = run_cli("rag", "query", "--index", index, "automobile repair", "--format", "json")
    assert json.loads(default.out)["hits"][0]["doc_id"] == "garage"


def test_bm25_stays_the_default_when_vectors_do_not_win(run_cli, server, files, tmp_path):
    docs, _ = files
    index = tmp_path / "i.sqlite"
    assert run_cli("rag", "index", docs, "--index", index, "--embeddings", "openai:m",
                   "--embeddings-url", server.openai_base_url).code == 0
    qs = tmp_path / "easy.jsonl"
    qs.write_text(json.dumps({"question": "bread oven", "relevant": ["kitchen"]}) + "\n", encoding="utf-8")
    e = run_cli("rag", "eval", "--index", index, "--questions", qs, "-k", "1", "--format", "json")
    assert json.loads(e.out)["default_mode"] == "bm25"


def test_titan_through_bedrock_invoke_model(run_cli, server, files, tmp_path, aws_env, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.base_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    docs, _ = files
    index = tmp_path / "i.sqlite"
    r = run_cli("rag", "index", docs, "--index", index, "--embeddings", "titan", "--dimensions", "256")
    assert r.code == 0, r.err
    bedrock = [q for q in server.requests if q["api"] == "bedrock"]
    assert len(bedrock) == 3
    assert bedrock[0]["path"] == "/model/amazon.titan-embed-text-v2%3A0/invoke"
    assert bedrock[0]["body"]["dimensions"] == 256 and bedrock[0]["body"]["normalize"] is True
    assert bedrock[0]["headers"]["authorization"].startswith("AWS4-HMAC-SHA256")
    q = run_cli("rag", "query", "--index", index, "automobile repair", "--mode", "hybrid", "--format", "json")
    assert json.loads(q.out)["hits"][0]["doc_id"] == "garage"


def test_provider_errors_are_reported_without_a_traceback(run_cli, server, files, tmp_path, aws_env, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.base_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    docs, _ = files
    server.fail_next(400)
    r = run_cli("rag", "index", docs, "--index", tmp_path / "i.sqlite", "--embeddings", "titan")
    assert r.code == 2 and "ValidationException" in r.err and "Traceback" not in r.err
    r = run_cli("rag", "index", docs, "--index", tmp_path / "j.sqlite", "--embeddings", "nope:x")
    assert r.code == 2 and "unknown embeddings provider" in r.err
    r = run_cli("rag", "index", docs, "--index", tmp_path / "k.sqlite", "--embeddings", "titan", "--dimensions", "7")
    assert r.code == 2 and "256, 512 or 1024" in r.err


def test_dense_mode_without_vectors_is_a_clear_error(run_cli, files, tmp_path):
    docs, _ = files
    index = tmp_path / "i.sqlite"
    assert run_cli("rag", "index", docs, "--index", index).code == 0
    r = run_cli("rag", "query", "--index", index, "bread", "--mode", "dense")
    assert r.code == 2 and "no vectors" in r.err
