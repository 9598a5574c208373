"""``--store bedrock-kb``: Amazon Bedrock Knowledge Bases behind the same index / query / eval interface.

``rag index SOURCES --store bedrock-kb --index LEDGER.json --bucket B --role-arn ARN
--embedding-model-arn ARN --vector-store JSON`` does, in order, and records each step in the ledger
file (so a re-run — also after a crash — resumes and never creates anything twice):

1. upload each document to ``s3://B/PREFIX…`` (files as they are; JSONL records as ``.txt``), each with
   a ``.metadata.json`` sidecar holding its ``doc_id`` so retrieved chunks map back to documents;
   unchanged documents (same content hash) are not uploaded again;
2. ``CreateKnowledgeBase`` (vector type, the embedding model and vector store given) and
   ``CreateDataSource`` (the S3 prefix), each with a client token kept in the ledger;
3. ``StartIngestionJob``, then ``GetIngestionJob`` until it completes (or ``--wait`` runs out: exit 4,
   re-run to keep waiting).

Creating a knowledge base and ingesting bill (embeddings, the vector store): without ``--yes`` the
plan (the exact requests) is printed and nothing is called (exit 2); ``--dry-run`` prints it and
exits 0. ``rag query`` / ``rag eval --store bedrock-kb --index LEDGER.json`` call ``Retrieve``
(bedrock-agent-runtime). AWS settings come from the standard chain (``AWS_ENDPOINT_URL_S3``,
``AWS_ENDPOINT_URL_BEDROCK_AGENT``, ``AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME`` for other endpoints).

Not done here: deleting the knowledge base (use the console or ``aws bedrock-agent
delete-knowledge-base`` with the id in the ledger), creating the vector store or the role.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

from advisor.rag.store import Hit

LEDGER_VERSION = 1


class KBError(Exception):
    pass


def _load_ledger(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"store": "bedrock-kb", "version": LEDGER_VERSION, "objects": {}, "steps": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KBError(f"{path}: not a knowledge-base ledger ({exc})") from None
    if not isinstance(data, dict) or data.get("store") != "bedrock-kb":
        raise KBError(f"{path}: not a knowledge-base ledger (made with --store bedrock-kb)")
    return data


def _save_ledger(path: Path, ledger: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(ledger, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _token(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:48]


def _object_key(prefix: str, doc) -> str:
    fmt = doc.metadata.get("format")
    if fmt in ("markdown", "html", "pdf", "text") and doc.source:
        return prefix + doc.id
    return prefix + "records/" + urllib.parse.quote(doc.id, safe="") + ".txt"


def _client(service: str, region: str | None):
    import boto3

    return boto3.client(service, **({"region_name": region} if region else {}))


def _aws_error(exc) -> str:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return f"{exc.operation_name}: {err.get('Code')}: {err.get('Message')}"
    return str(exc)


def run_index_kb(args) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from advisor.errors import AdvisorError, CheckFailed, UsageError
    from advisor.rag.ingest import Skipped, load_documents

    ledger_path = Path(args.index)
    try:
        ledger = _load_ledger(ledger_path)
    except KBError as exc:
        raise AdvisorError(str(exc)) from None
    docs, skipped = [], []
    for item in load_documents(args.sources):
        if isinstance(item, Skipped):
            skipped.append(item)
            print(f"advisor: skipped {item}", file=sys.stderr)
        else:
            docs.append(item)
    if not docs:
        raise CheckFailed(f"nothing to index: no readable documents in {', '.join(args.sources)}")
    bucket = ledger.get("bucket") or args.bucket
    prefix = ledger.get("prefix") or args.prefix
    region = args.region or ledger.get("region")
    name = ledger.get("name") or args.name or "advisor-rag-" + _token(str(ledger_path.resolve()))[:8]
    need_kb = not ledger.get("knowledge_base_id")
    missing = [flag for flag, value in (("--bucket", bucket),) if not value]
    if need_kb:
        missing += [flag for flag, value in (("--role-arn", args.role_arn),
                                             ("--embedding-model-arn", args.embedding_model_arn),
                                             ("--vector-store", args.vector_store)) if not value]
    if missing:
        raise UsageError(f"--store bedrock-kb needs {', '.join(missing)} to create the knowledge base")
    storage = None
    if need_kb:
        try:
            storage = json.loads(args.vector_store)
            if not isinstance(storage, dict) or "type" not in storage:
                raise ValueError('an object with a "type" (e.g. OPENSEARCH_SERVERLESS, S3_VECTORS)')
        except ValueError as exc:
            raise UsageError(f"--vector-store must be the storageConfiguration JSON: {exc}") from None

    uploads = [(d, _object_key(prefix, d)) for d in docs
               if ledger["objects"].get(d.id, {}).get("hash") != d.content_hash]
    kb_request: dict[str, Any] | None = None
    if need_kb:
        kb_request = {"name": name, "roleArn": args.role_arn,
                      "knowledgeBaseConfiguration": {"type": "VECTOR", "vectorKnowledgeBaseConfiguration": {
                          "embeddingModelArn": args.embedding_model_arn}},
                      "storageConfiguration": storage,
                      "clientToken": ledger.get("kb_token") or _token("kb", str(ledger_path.resolve()), name)}
    ds_request = {"name": name + "-s3", "dataSourceConfiguration": {
        "type": "S3", "s3Configuration": {"bucketArn": f"arn:aws:s3:::{bucket}", "inclusionPrefixes": [prefix]}}}
    plan = {"bucket": bucket, "prefix": prefix, "uploads": [k for _, k in uploads],
            "unchanged": len(docs) - len(uploads),
            "requests": ([{"CreateKnowledgeBase": kb_request}] if kb_request else [])
            + ([] if ledger.get("data_source_id") else [{"CreateDataSource": ds_request}])
            + ([{"StartIngestionJob": {"knowledgeBaseId": ledger.get("knowledge_base_id", "<new>")}}]
               if uploads or ledger.get("ingestion_status") not in ("COMPLETE",) else [])}
    nothing_to_do = not uploads and not need_kb and ledger.get("ingestion_status") == "COMPLETE"
    if args.dry_run or (not args.yes and not nothing_to_do):
        print(json.dumps({"plan": plan}, indent=2))
        if args.dry_run:
            return 0
        print("advisor: creating a knowledge base and ingesting documents are billed; re-run with --yes",
              file=sys.stderr)
        return 2
    if nothing_to_do:
        print(f"{ledger_path}: knowledge base {ledger['knowledge_base_id']} is up to date "
              f"({len(docs)} documents unchanged)")
        return 0

    ledger.update({"bucket": bucket, "prefix": prefix, "region": region, "name": name})
    try:
        s3 = _client("s3", region)
        agent = _client("bedrock-agent", region)
        for doc, key in uploads:
            if doc.metadata.get("format") in ("markdown", "html", "pdf", "text") and doc.source:
                body = Path(doc.source).read_bytes()
            else:
                body = doc.text.encode("utf-8")
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            sidecar = {"metadataAttributes": {"doc_id": doc.id, "title": doc.title[:200]}}
            s3.put_object(Bucket=bucket, Key=key + ".metadata.json", Body=json.dumps(sidecar).encode())
            ledger["objects"][doc.id] = {"key": key, "hash": doc.content_hash}
            ledger["ingestion_status"] = "STALE"
            _save_ledger(ledger_path, ledger)
        if kb_request is not None:
            ledger["kb_token"] = kb_request["clientToken"]
            _save_ledger(ledger_path, ledger)  # before the call: a crash after it re-sends the same token
            kb = agent.create_knowledge_base(**kb_request)["knowledgeBase"]
            ledger["knowledge_base_id"] = kb["knowledgeBaseId"]
            ledger["knowledge_base_arn"] = kb.get("knowledgeBaseArn")
            _save_ledger(ledger_path, ledger)
        kb_id = ledger["knowledge_base_id"]
        if not ledger.get("data_source_id"):
            token = ledger.setdefault("ds_token", _token("ds", kb_id))
            _save_ledger(ledger_path, ledger)
            ds = agent.create_data_source(knowledgeBaseId=kb_id, clientToken=token, **ds_request)["dataSource"]
            ledger["data_source_id"] = ds["dataSourceId"]
            _save_ledger(ledger_path, ledger)
        ds_id = ledger["data_source_id"]
        if ledger.get("ingestion_status") != "RUNNING" or not ledger.get("ingestion_job_id"):
            state = _token("job", kb_id, ds_id, json.dumps(sorted((k, v["hash"]) for k, v in ledger["objects"].items())))
            job = agent.start_ingestion_job(knowledgeBaseId=kb_id, dataSourceId=ds_id, clientToken=state)
            ledger["ingestion_job_id"] = job["ingestionJob"]["ingestionJobId"]
            ledger["ingestion_status"] = "RUNNING"
            _save_ledger(ledger_path, ledger)
        deadline = time.monotonic() + max(getattr(args, "wait", 600) or 0, 0)
        while True:
            job = agent.get_ingestion_job(knowledgeBaseId=kb_id, dataSourceId=ds_id,
                                          ingestionJobId=ledger["ingestion_job_id"])["ingestionJob"]
            status = job.get("status")
            if status == "COMPLETE":
                ledger["ingestion_status"] = "COMPLETE"
                ledger["ingestion_statistics"] = job.get("statistics", {})
                _save_ledger(ledger_path, ledger)
                break
            if status in ("FAILED", "STOPPED"):
                ledger["ingestion_status"] = "STALE"
                _save_ledger(ledger_path, ledger)
                reasons = "; ".join(job.get("failureReasons") or []) or status
                raise AdvisorError(f"ingestion job {ledger['ingestion_job_id']} {status.lower()}: {reasons}")
            if time.monotonic() >= deadline:
                print(f"advisor: ingestion job {ledger['ingestion_job_id']} is {status}; re-run the same "
                      f"command to keep waiting", file=sys.stderr)
                return 4
            time.sleep(5)
    except (ClientError, BotoCoreError) as exc:
        _save_ledger(ledger_path, ledger)
        raise AdvisorError(f"bedrock-kb: {_aws_error(exc)} (progress kept in {ledger_path}; re-run to resume)") from None
    stats = ledger.get("ingestion_statistics", {})
    print(f"{ledger_path}: knowledge base {kb_id}: {len(uploads)} uploaded, {len(docs) - len(uploads)} unchanged, "
          f"{len(skipped)} skipped; ingestion complete ({stats.get('numberOfNewDocumentsIndexed', '?')} new, "
          f"{stats.get('numberOfModifiedDocumentsIndexed', '?')} modified)")
    return 0


class KBSearcher:
    """``search(text, k)`` through ``Retrieve``; hits carry the ``doc_id`` the sidecar metadata gave."""

    def __init__(self, ledger: dict[str, Any], region: str | None = None):
        self.ledger = ledger
        self.kb_id = ledger["knowledge_base_id"]
        self.region = region or ledger.get("region")
        self._client = None
        self._by_key = {v["key"]: doc_id for doc_id, v in ledger.get("objects", {}).items()}

    def doc_ids(self) -> set[str]:
        return set(self.ledger.get("objects", {}))

    def client(self):
        if self._client is None:
            self._client = _client("bedrock-agent-runtime", self.region)
        return self._client

    def search(self, text: str, k: int = 5, mode: str | None = None) -> list[Hit]:
        from botocore.exceptions import BotoCoreError, ClientError

        if mode not in (None, "dense"):
            raise ValueError(f"--store bedrock-kb ranks by the knowledge base's own search; --mode {mode} "
                             f"applies to the sqlite store")
        try:
            response = self.client().retrieve(
                knowledgeBaseId=self.kb_id, retrievalQuery={"text": text},
                retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": k}})
        except (ClientError, BotoCoreError) as exc:
            raise ValueError(f"bedrock-kb: {_aws_error(exc)}") from None
        hits = []
        for rank, result in enumerate(response.get("retrievalResults", [])[:k], start=1):
            meta = result.get("metadata") or {}
            uri = ((result.get("location") or {}).get("s3Location") or {}).get("uri", "")
            key = uri.split("/", 3)[3] if uri.startswith("s3://") and uri.count("/") >= 3 else ""
            doc_id = str(meta.get("doc_id") or self._by_key.get(key) or uri or "?")
            cid = meta.get("x-amz-bedrock-kb-chunk-id") or f"{doc_id}#kb{rank}"
            hits.append(Hit(doc_id=doc_id, chunk_id=str(cid), score=float(result.get("score") or 0.0),
                            text=(result.get("content") or {}).get("text", ""), title=str(meta.get("title", "")),
                            position=rank, metadata={"uri": uri}))
        return hits


def open_kb_searcher(path: str, region: str | None = None) -> KBSearcher:
    from advisor.errors import InputError, location_for

    p = Path(path)
    if not p.exists():
        raise InputError("no such ledger (build it with `advisor rag index --store bedrock-kb`)", location_for(path))
    try:
        ledger = _load_ledger(p)
    except KBError as exc:
        raise InputError(str(exc)) from None
    if not ledger.get("knowledge_base_id") or ledger.get("ingestion_status") != "COMPLETE":
        raise InputError("the knowledge base is not ready yet (re-run `advisor rag index --store bedrock-kb`)",
                         location_for(path))
    return KBSearcher(ledger, region)
