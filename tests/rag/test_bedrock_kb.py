"""`--store bedrock-kb`: moto for S3 and the knowledge base, a loopback server for the rest."""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest

from tests.fakes.rag_bedrock_kb import FakeKnowledgeBases

REGION = "us-east-1"
BUCKET = "kb-docs"
ROLE = "arn:aws:iam::123456789012:role/KnowledgeBaseRole"
MODEL = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-embed-text-v2:0"
STORE = json.dumps({"type": "OPENSEARCH_SERVERLESS", "opensearchServerlessConfiguration": {
    "collectionArn": f"arn:aws:aoss:{REGION}:123456789012:collection/abc", "vectorIndexName": "idx",
    "fieldMapping": {"vectorField": "v", "textField": "t", "metadataField": "m"}}})


@pytest.fixture
def kb(aws_env, monkeypatch):
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    # moto's state is per process, not per server: start each test from nothing
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")).read()
    with FakeKnowledgeBases(moto_url, REGION) as fake:
        monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENT", fake.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME", fake.url)
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        yield fake
    moto.stop()


def _index(run_cli, corpus, ledger, *extra):
    return run_cli("rag", "index", corpus, "--index", ledger, "--store", "bedrock-kb", "--bucket", BUCKET,
                   "--role-arn", ROLE, "--embedding-model-arn", MODEL, "--vector-store", STORE, *extra)


def test_plan_first_then_create_ingest_query_and_eval(run_cli, kb, corpus, questions, tmp_path):
    ledger = tmp_path / "kb.json"
    plan = _index(run_cli, corpus, ledger)
    assert plan.code == 2 and "--yes" in plan.err
    requests = json.loads(plan.out)["plan"]["requests"]
    assert requests[0]["CreateKnowledgeBase"]["roleArn"] == ROLE
    assert kb.calls == [] and not ledger.exists()  # nothing was called or created
    assert _index(run_cli, corpus, ledger, "--dry-run").code == 0

    done = _index(run_cli, corpus, ledger, "--yes")
    assert done.code == 0, done.err
    state = json.loads(ledger.read_text())
    assert state["ingestion_status"] == "COMPLETE" and state["knowledge_base_id"]
    s3 = boto3.client("s3", region_name=REGION)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert "advisor-rag/policies/travel.md" in keys and "advisor-rag/records/faq-1.txt" in keys
    assert json.loads(s3.get_object(Bucket=BUCKET, Key="advisor-rag/records/faq-1.txt.metadata.json")["Body"]
                      .read())["metadataAttributes"]["doc_id"] == "faq-1"
    agent = boto3.client("bedrock-agent", region_name=REGION)
    assert agent.get_knowledge_base(knowledgeBaseId=state["knowledge_base_id"])["knowledgeBase"]["roleArn"] == ROLE

    q = run_cli("rag", "query", "--store", "bedrock-kb", "--index", ledger, "refunds issued return", "--format", "json")
    assert q.code == 0, q.err
    assert json.loads(q.out)["hits"][0]["doc_id"] == "faq-1"

    e = run_cli("rag", "eval", "--store", "bedrock-kb", "--index", ledger, "--questions", questions, "--format", "json")
    assert e.code == 0, e.err
    result = json.loads(e.out)
    assert result["count"] == 5 and 0 < result["hit_rate"] <= 0.8
    assert "plants.md" in e.err

    # a re-run creates nothing and uploads nothing
    creates = [c for c in kb.calls if c[0] == "PUT"]
    again = _index(run_cli, corpus, ledger, "--yes")
    assert again.code == 0 and "up to date" in again.out
    assert [c for c in kb.calls if c[0] == "PUT"] == creates


def test_a_changed_document_is_uploaded_and_ingested_again(run_cli, kb, corpus, tmp_path):
    ledger = tmp_path / "kb.json"
    assert _index(run_cli, corpus, ledger, "--yes").code == 0
    (corpus / "notes.txt").write_text("The aquarium is cleaned on Tuesdays.", encoding="utf-8")
    plan = _index(run_cli, corpus, ledger)
    assert plan.code == 2
    assert json.loads(plan.out)["plan"]["uploads"] == ["advisor-rag/notes.txt"]
    assert "CreateKnowledgeBase" not in plan.out
    assert _index(run_cli, corpus, ledger, "--yes").code == 0
    kbs = boto3.client("bedrock-agent", region_name=REGION).list_knowledge_bases()["knowledgeBaseSummaries"]
    assert len(kbs) == 1
    q = run_cli("rag", "query", "--store", "bedrock-kb", "--index", ledger, "aquarium Tuesdays", "--format", "json")
    assert json.loads(q.out)["hits"][0]["doc_id"] == "notes.txt"


def test_a_slow_ingestion_exits_4_and_resumes(run_cli, kb, corpus, tmp_path):
    ledger = tmp_path / "kb.json"
    kb.ingestion_polls = 5
    r = _index(run_cli, corpus, ledger, "--yes", "--wait", "0")
    assert r.code == 4 and "re-run" in r.err
    q = run_cli("rag", "query", "--store", "bedrock-kb", "--index", ledger, "refunds")
    assert q.code == 2 and "not ready" in q.err
    kb.ingestion_polls = 0
    for job in kb.jobs.values():
        job["polls"] = 0
    r = _index(run_cli, corpus, ledger, "--yes")
    assert r.code == 0, r.err
    assert len(kb.jobs) == 1  # the running job was awaited, not started again


def test_missing_settings_are_a_usage_error(run_cli, kb, corpus, tmp_path):
    r = run_cli("rag", "index", corpus, "--index", tmp_path / "kb.json", "--store", "bedrock-kb")
    assert r.code == 2 and "--bucket" in r.err and "--role-arn" in r.err
