"""A loopback server for the Bedrock Knowledge Bases calls moto does not serve.

moto (``ThreadedMotoServer``) serves S3 and the knowledge base itself (``CreateKnowledgeBase``,
``GetKnowledgeBase``…); this server sits in front of it for ``bedrock-agent`` (point
``AWS_ENDPOINT_URL_BEDROCK_AGENT`` here) and forwards those requests to moto, while answering
``CreateDataSource``, ``StartIngestionJob`` and ``GetIngestionJob`` itself in the REST-JSON wire
format. It also answers bedrock-agent-runtime ``Retrieve`` (``AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME``):
an ingestion job reads the data source's objects from moto's S3 (with their ``.metadata.json``
sidecars) and Retrieve ranks their paragraphs by shared words.

``ingestion_polls`` makes a job report ``IN_PROGRESS`` that many times before ``COMPLETE``;
``calls`` lists (method, path) of every request seen.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeKnowledgeBases:
    def __init__(self, moto_url: str, region: str = "us-east-1", ingestion_polls: int = 0):
        self.moto_url = moto_url.rstrip("/")
        self.region = region
        self.ingestion_polls = ingestion_polls
        self.calls: list[tuple[str, str]] = []
        self.data_sources: dict[str, dict] = {}  # id -> {"kb", "bucket", "prefix", "token"}
        self.jobs: dict[str, dict] = {}
        self.chunks: dict[str, list[dict]] = {}  # kb id -> [{"text", "uri", "metadata"}]
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _forward(self, raw):
                req = urllib.request.Request(fake.moto_url + self.path, data=raw or None, method=self.command,
                                             headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
                try:
                    with urllib.request.urlopen(req) as resp:
                        status, data, ctype = resp.status, resp.read(), resp.headers.get("Content-Type")
                except urllib.error.HTTPError as exc:
                    status, data, ctype = exc.code, exc.read(), exc.headers.get("Content-Type")
                self.send_response(status)
                self.send_header("Content-Type", ctype or "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self):
                raw = self._body()
                with fake._lock:
                    fake.calls.append((self.command, self.path))
                path = self.path.split("?")[0]
                m = re.fullmatch(r"/knowledgebases/([^/]+)/retrieve", path)
                if m and self.command == "POST":
                    return self._json(200, fake.retrieve(m.group(1), json.loads(raw)))
                m = re.fullmatch(r"/knowledgebases/([^/]+)/datasources/?", path)
                if m and self.command == "PUT":
                    return self._json(200, fake.create_data_source(m.group(1), json.loads(raw)))
                m = re.fullmatch(r"/knowledgebases/([^/]+)/datasources/([^/]+)/ingestionjobs/?", path)
                if m and self.command == "PUT":
                    return self._json(202, fake.start_job(m.group(1), m.group(2), json.loads(raw or b"{}")))
                m = re.fullmatch(r"/knowledgebases/([^/]+)/datasources/([^/]+)/ingestionjobs/([^/]+)", path)
                if m and self.command == "GET":
                    return self._json(200, fake.get_job(m.group(3)))
                return self._forward(raw)

            do_GET = do_PUT = do_POST = do_DELETE = _route

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def create_data_source(self, kb_id, body):
        s3c = body["dataSourceConfiguration"]["s3Configuration"]
        with self._lock:
            for ds_id, ds in self.data_sources.items():
                if body.get("clientToken") and ds["token"] == body.get("clientToken"):
                    break
            else:
                ds_id = uuid.uuid4().hex[:10].upper()
                self.data_sources[ds_id] = {"kb": kb_id, "bucket": s3c["bucketArn"].split(":::")[1],
                                            "prefix": (s3c.get("inclusionPrefixes") or [""])[0],
                                            "token": body.get("clientToken"), "name": body["name"]}
        return {"dataSource": {"knowledgeBaseId": kb_id, "dataSourceId": ds_id, "name": body["name"],
                               "status": "AVAILABLE", "dataSourceConfiguration": body["dataSourceConfiguration"],
                               "createdAt": "2026-12-01T00:00:00Z", "updatedAt": "2026-12-01T00:00:00Z"}}

    def _ingest(self, ds):
        import boto3

        s3 = boto3.client("s3", endpoint_url=self.moto_url, region_name=self.region,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        listed = s3.list_objects_v2(Bucket=ds["bucket"], Prefix=ds["prefix"]).get("Contents", [])
        keys = {o["Key"] for o in listed}
        chunks = []
        for key in sorted(keys):
            if key.endswith(".metadata.json"):
                continue
            text = s3.get_object(Bucket=ds["bucket"], Key=key)["Body"].read().decode("utf-8", "replace")
            meta = {}
            if key + ".metadata.json" in keys:
                meta = json.loads(s3.get_object(Bucket=ds["bucket"], Key=key + ".metadata.json")["Body"].read())
                meta = meta.get("metadataAttributes", {})
            for n, para in enumerate(p for p in re.split(r"\n\s*\n", text) if p.strip()):
                chunks.append({"text": para.strip(), "uri": f"s3://{ds['bucket']}/{key}",
                               "metadata": {**meta, "x-amz-bedrock-kb-source-uri": f"s3://{ds['bucket']}/{key}",
                                            "x-amz-bedrock-kb-chunk-id": f"{key}:{n}"}})
        self.chunks[ds["kb"]] = chunks
        return len([k for k in keys if not k.endswith(".metadata.json")])

    def start_job(self, kb_id, ds_id, body):
        ds = self.data_sources[ds_id]
        with self._lock:
            for job in self.jobs.values():
                if body.get("clientToken") and job["token"] == body.get("clientToken"):
                    return {"ingestionJob": job["view"]}
        count = self._ingest(ds)
        job_id = uuid.uuid4().hex[:10].upper()
        view = {"knowledgeBaseId": kb_id, "dataSourceId": ds_id, "ingestionJobId": job_id, "status": "STARTING",
                "startedAt": "2026-12-01T00:00:00Z", "updatedAt": "2026-12-01T00:00:00Z",
                "statistics": {"numberOfDocumentsScanned": count, "numberOfNewDocumentsIndexed": count,
                               "numberOfModifiedDocumentsIndexed": 0, "numberOfDocumentsFailed": 0}}
        with self._lock:
            self.jobs[job_id] = {"token": body.get("clientToken"), "view": view, "polls": self.ingestion_polls}
        return {"ingestionJob": view}

    def get_job(self, job_id):
        with self._lock:
            job = self.jobs[job_id]
            status = "IN_PROGRESS" if job["polls"] > 0 else "COMPLETE"
            job["polls"] -= 1
            return {"ingestionJob": {**job["view"], "status": status}}

    def retrieve(self, kb_id, body):
        words = set(re.findall(r"\w+", body["retrievalQuery"]["text"].lower()))
        n = body.get("retrievalConfiguration", {}).get("vectorSearchConfiguration", {}).get("numberOfResults", 5)
        scored = []
        for chunk in self.chunks.get(kb_id, []):
            overlap = len(words & set(re.findall(r"\w+", chunk["text"].lower())))
            if overlap:
                scored.append((overlap / (len(words) or 1), chunk))
        scored.sort(key=lambda x: -x[0])
        return {"retrievalResults": [{"content": {"text": c["text"], "type": "TEXT"}, "score": s,
                                      "location": {"type": "S3", "s3Location": {"uri": c["uri"]}},
                                      "metadata": c["metadata"]} for s, c in scored[:n]]}

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
