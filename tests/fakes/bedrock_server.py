"""A loopback server speaking Amazon Bedrock's REST-JSON wire format, for what moto lacks.

It is the endpoint for ``bedrock``, ``bedrock-runtime`` and (optionally) ``s3`` clients at once; it
reads the service name from each request's SigV4 credential scope. It serves itself:

* ``ListFoundationModels`` / ``GetFoundationModel`` from :attr:`FakeBedrock.foundation_models`;
* custom model deployments and Provisioned Throughput (create / get / delete, ``Creating`` for
  :attr:`creating_polls` gets, then ``Active`` / ``InService``); ``clientRequestToken`` honoured;
* batch inference (``CreateModelInvocationJob`` / ``GetModelInvocationJob``): on completion it reads
  the input JSONL from S3 (moto), answers every record with :attr:`responder`, and writes the
  ``.jsonl.out`` in **reversed** order, so callers that join on order fail;
* ``Converse`` (``POST /model/{id}/converse``) answered by :attr:`responder`.

Everything else — customisation jobs, custom models, all of S3 — is proxied to moto's
``ThreadedMotoServer``, byte for byte. On ``CreateModelCustomizationJob`` the fake gives moto the
client-request-token behaviour real Bedrock has (a repeated token returns the first job's ARN).

:meth:`inject` scripts failures per ``(service, operation)`` (e.g. 403 AccessDeniedException, 429
throttling); :attr:`calls` counts every request by ``"service:Operation"``.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import urllib.parse
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

ACCOUNT = "123456789012"
NOVA_BASE = "amazon.nova-micro-v1:0:128k"
CLAUDE_BASE = "test.claude-active-v1:0:200k"


def write_test_rules(source, target, region: str = "us-west-2"):
    """Copy the rule base at ``source`` to ``target`` and add two test models: ``test-claude`` (active,
    Claude conversation records, Provisioned Throughput) and ``test-nova`` (Nova records, on-demand).
    They are built from the catalogue's Claude 3 Haiku entry, so they follow its schema."""
    import copy
    import shutil
    from pathlib import Path

    import yaml

    target = Path(target)
    shutil.copytree(source, target)
    doc = yaml.safe_load((target / "models.yaml").read_text())
    haiku = next(m for m in doc["models"] if m["base_model_id"].startswith("anthropic.claude-3-haiku"))
    claude = copy.deepcopy(haiku)
    claude.update(id="test-claude", name="Test Claude", base_model_id=CLAUDE_BASE,
                  inference_model_id="test.claude-active-v1:0", regions=[region])
    claude["lifecycle"] = {"status": "active", "note": "test model", "sources": haiku["lifecycle"].get("sources", [])}
    claude["limits"].update(min_training_records=8, min_validation_records=4)
    nova = copy.deepcopy(claude)
    nova.update(id="test-nova", name="Test Nova Micro", base_model_id=NOVA_BASE,
                inference_model_id="amazon.nova-micro-v1:0", record_format="bedrock-conversation-2024")
    nova["hyperparameters"] = {
        "epochCount": {"type": "int", "default": 2, "min": 1, "max": 5},
        "learningRate": {"type": "float", "default": 1e-5, "min": 1e-6, "max": 1e-4},
        "learningRateWarmupSteps": {"type": "int", "default": 10, "min": 0, "max": 100}}
    nova["limits"]["reserved_strings"] = ["User:", "Bot:", "Assistant:", "System:", "[EOS]"]
    doc["models"] = [m for m in doc["models"] if m["id"] not in ("test-claude", "test-nova")] + [claude, nova]
    (target / "models.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return target

_BEDROCK_ROUTES = [
    ("GET", r"/foundation-models", "ListFoundationModels"),
    ("GET", r"/foundation-models/(?P<id>[^/]+)", "GetFoundationModel"),
    ("POST", r"/model-customization-jobs", "CreateModelCustomizationJob"),
    ("GET", r"/model-customization-jobs", "ListModelCustomizationJobs"),
    ("GET", r"/model-customization-jobs/(?P<id>[^/]+)", "GetModelCustomizationJob"),
    ("POST", r"/model-customization-jobs/(?P<id>[^/]+)/stop", "StopModelCustomizationJob"),
    ("GET", r"/custom-models/(?P<id>[^/]+)", "GetCustomModel"),
    ("DELETE", r"/custom-models/(?P<id>[^/]+)", "DeleteCustomModel"),
    ("POST", r"/model-customization/custom-model-deployments", "CreateCustomModelDeployment"),
    ("GET", r"/model-customization/custom-model-deployments/(?P<id>[^/]+)", "GetCustomModelDeployment"),
    ("DELETE", r"/model-customization/custom-model-deployments/(?P<id>[^/]+)", "DeleteCustomModelDeployment"),
    ("POST", r"/provisioned-model-throughput", "CreateProvisionedModelThroughput"),
    ("GET", r"/provisioned-model-throughput/(?P<id>[^/]+)", "GetProvisionedModelThroughput"),
    ("DELETE", r"/provisioned-model-throughput/(?P<id>[^/]+)", "DeleteProvisionedModelThroughput"),
    ("POST", r"/model-invocation-job", "CreateModelInvocationJob"),
    ("GET", r"/model-invocation-job/(?P<id>[^/]+)", "GetModelInvocationJob"),
    ("POST", r"/model/(?P<id>[^/]+)/converse", "Converse"),
]
_PROXIED = {"CreateModelCustomizationJob", "ListModelCustomizationJobs", "GetModelCustomizationJob",
            "StopModelCustomizationJob", "GetCustomModel", "DeleteCustomModel"}


def foundation_model(model_id: str, *, status: str = "ACTIVE", region: str = "us-west-2",
                     customizations: tuple[str, ...] = ("FINE_TUNING",)) -> dict[str, Any]:
    return {"modelArn": f"arn:aws:bedrock:{region}::foundation-model/{model_id}", "modelId": model_id,
            "modelName": model_id, "providerName": model_id.split(".")[0], "inputModalities": ["TEXT"],
            "outputModalities": ["TEXT"], "customizationsSupported": list(customizations),
            "inferenceTypesSupported": ["PROVISIONED"], "modelLifecycle": {"status": status}}


def s3_operation(method: str, path: str, query: dict[str, list[str]]) -> str:
    key = path.strip("/").partition("/")[2]
    if method == "GET" and "location" in query:
        return "GetBucketLocation"
    if method == "GET" and not key:
        return "ListObjectsV2"
    if method == "HEAD":
        return "HeadObject" if key else "HeadBucket"
    if method == "POST" and "uploads" in query:
        return "CreateMultipartUpload"
    if method == "POST" and "uploadId" in query:
        return "CompleteMultipartUpload"
    if method == "PUT" and "partNumber" in query:
        return "UploadPart"
    if method == "PUT":
        return "PutObject" if key else "CreateBucket"
    if method == "GET":
        return "GetObject"
    if method == "DELETE":
        return "DeleteObject"
    return method


class FakeBedrock:
    def __init__(self, moto_url: str, region: str = "us-west-2",
                 responder: Callable[[str, dict[str, Any]], str] | None = None):
        self.moto_url = moto_url
        self.region = region
        self.responder = responder or (lambda model, body: "ok")
        self.foundation_models: list[dict[str, Any]] = []
        self.creating_polls = 1  # gets that still say Creating / InProgress
        self.deployments: dict[str, dict[str, Any]] = {}
        self.provisioned: dict[str, dict[str, Any]] = {}
        self.batch_jobs: dict[str, dict[str, Any]] = {}
        self.job_tokens: dict[str, str] = {}
        self.calls: Counter = Counter()
        self.created: Counter = Counter()  # resources really created (after token de-duplication)
        self._faults: dict[tuple[str, str], list[tuple[int, str]]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- lifecycle ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeBedrock":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def inject(self, service: str, operation: str, status: int, code: str, count: int = 1) -> None:
        """The next ``count`` requests for ``service:operation`` fail with ``status`` / ``code``."""
        with self._lock:
            self._faults.setdefault((service, operation), []).extend([(status, code)] * count)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        with self._lock:
            self.deployments.clear()
            self.provisioned.clear()
            self.batch_jobs.clear()
            self.job_tokens.clear()
            self.calls.clear()
            self.created.clear()
            self._faults.clear()
            self.creating_polls = 1

    # --- request handling -------------------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _service(self) -> str:
                auth = self.headers.get("Authorization", "")
                m = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", auth)
                return m.group(1) if m else "s3"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parsed = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
                if parsed.path.startswith("/_fake/"):
                    return fake._control(self, parsed.path, query)
                service = self._service()
                if service == "s3":
                    op = s3_operation(self.command, parsed.path, query)
                    fake.calls[f"s3:{op}"] += 1
                    if fake._fault(self, "s3", op):
                        return
                    return fake._proxy(self, body)
                path = parsed.path  # ids (ARNs) arrive percent-encoded; decode after matching
                for method, pattern, op in _BEDROCK_ROUTES:
                    m = re.fullmatch(pattern, path)
                    if m and method == self.command:
                        break
                else:
                    return fake._send(self, 404, {"message": f"no route {self.command} {path}"},
                                      "ResourceNotFoundException")
                svc = "bedrock-runtime" if op == "Converse" else "bedrock"
                fake.calls[f"{svc}:{op}"] += 1
                if fake._fault(self, svc, op):
                    return
                if op in _PROXIED:
                    if op == "CreateModelCustomizationJob":
                        return fake._create_job(self, body)
                    return fake._proxy(self, body)
                data = json.loads(body) if body else {}
                ident = urllib.parse.unquote(m.groupdict().get("id") or "") or None
                status, reply, code = getattr(fake, f"_op_{op}")(data, ident, query)
                return fake._send(self, status, reply, code)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        return Handler

    def _fault(self, handler, service: str, op: str) -> bool:
        with self._lock:
            queue = self._faults.get((service, op))
            if not queue:
                return False
            status, code = queue.pop(0)
        if service == "s3":
            body = (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
                    f"<Message>injected {code}</Message></Error>").encode()
            handler.send_response(status)
            handler.send_header("Content-Type", "application/xml")
            handler.send_header("Content-Length", "0" if handler.command == "HEAD" else str(len(body)))
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(body)
            return True
        self._send(handler, status, {"message": f"injected {code}"}, code)
        return True

    def _send(self, handler, status: int, payload: dict[str, Any] | None, code: str | None = None) -> None:
        body = json.dumps(payload or {}).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        if code:
            handler.send_header("x-amzn-ErrorType", code)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _proxy(self, handler, body: bytes):
        target = urllib.parse.urlsplit(self.moto_url)
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "connection")}
        headers["Host"] = f"{target.hostname}:{target.port}"
        conn.request(handler.command, handler.path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        handler.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                handler.send_header(k, v)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(data)
        conn.close()
        return resp.status, data

    def _create_job(self, handler, body: bytes):
        data = json.loads(body or b"{}")
        token = data.get("clientRequestToken")
        with self._lock:
            if token and token in self.job_tokens:  # real Bedrock: same token, same job
                return self._send(handler, 201, {"jobArn": self.job_tokens[token]})
        status, reply = self._proxy(handler, body)
        if status in (200, 201):  # moto answers 200 where Bedrock documents 201
            with self._lock:
                self.created["customization_job"] += 1
                if token:
                    self.job_tokens[token] = json.loads(reply)["jobArn"]

    def _control(self, handler, path: str, query):
        """Out-of-process knobs: ``/_fake/stats`` (call counts), ``/_fake/complete-job?name=`` (moto in-process)."""
        if path == "/_fake/stats":
            return self._send(handler, 200, {"calls": dict(self.calls), "created": dict(self.created)})
        if path == "/_fake/complete-job":
            from moto.bedrock.models import bedrock_backends

            name = query["name"][0]
            job = bedrock_backends[ACCOUNT][self.region].model_customization_jobs[name]
            job.status = (query.get("status") or ["Completed"])[0]
            return self._send(handler, 200, {"job": name, "status": job.status})
        return self._send(handler, 404, {"message": "unknown control path"})

    # --- served operations -------------------------------------------------------------------------
    def _op_ListFoundationModels(self, data, ident, query):
        wanted = (query.get("byCustomizationType") or [None])[0]
        models = [m for m in self.foundation_models if not wanted or wanted in m.get("customizationsSupported", [])]
        return 200, {"modelSummaries": models}, None

    def _op_GetFoundationModel(self, data, ident, query):
        found = next((m for m in self.foundation_models if ident in (m["modelId"], m["modelArn"])), None)
        if found is None:
            return 404, {"message": f"model {ident} not found"}, "ResourceNotFoundException"
        return 200, {"modelDetails": found}, None

    def _create(self, table: dict, kind: str, name: str, token: str | None, arn_prefix: str, extra: dict):
        with self._lock:
            for item in table.values():
                if token and item.get("token") == token:
                    return item
            if name in table:
                return None
            item = {"name": name, "token": token, "arn": f"arn:aws:bedrock:{self.region}:{ACCOUNT}:{arn_prefix}/"
                    f"{uuid.uuid4().hex[:12]}", "gets": 0, **extra}
            table[name] = item
            self.created[kind] += 1
            return item

    def _find(self, table: dict, ident: str):
        return table.get(ident) or next((i for i in table.values() if i["arn"] == ident), None)

    def _op_CreateCustomModelDeployment(self, data, ident, query):
        item = self._create(self.deployments, "deployment", data["modelDeploymentName"],
                            data.get("clientRequestToken"), "custom-model-deployment", {"modelArn": data["modelArn"]})
        if item is None:
            return 409, {"message": "a deployment with this name exists"}, "ConflictException"
        return 202, {"customModelDeploymentArn": item["arn"]}, None

    def _op_GetCustomModelDeployment(self, data, ident, query):
        item = self._find(self.deployments, ident)
        if item is None:
            return 404, {"message": f"deployment {ident} not found"}, "ResourceNotFoundException"
        item["gets"] += 1
        status = "Creating" if item["gets"] <= self.creating_polls else "Active"
        return 200, {"customModelDeploymentArn": item["arn"], "modelDeploymentName": item["name"],
                     "modelArn": item["modelArn"], "createdAt": "2026-12-01T00:00:00Z", "status": status}, None

    def _op_DeleteCustomModelDeployment(self, data, ident, query):
        item = self._find(self.deployments, ident)
        if item is None:
            return 404, {"message": "not found"}, "ResourceNotFoundException"
        del self.deployments[item["name"]]
        self.created["deployment_deleted"] += 1
        return 200, {}, None

    def _op_CreateProvisionedModelThroughput(self, data, ident, query):
        item = self._create(self.provisioned, "provisioned", data["provisionedModelName"],
                            data.get("clientRequestToken"), "provisioned-model",
                            {"modelId": data["modelId"], "units": data["modelUnits"]})
        if item is None:
            return 409, {"message": "a provisioned model with this name exists"}, "ConflictException"
        return 201, {"provisionedModelArn": item["arn"]}, None

    def _op_GetProvisionedModelThroughput(self, data, ident, query):
        item = self._find(self.provisioned, ident)
        if item is None:
            return 404, {"message": f"{ident} not found"}, "ResourceNotFoundException"
        item["gets"] += 1
        status = "Creating" if item["gets"] <= self.creating_polls else "InService"
        return 200, {"modelUnits": item["units"], "desiredModelUnits": item["units"],
                     "provisionedModelName": item["name"], "provisionedModelArn": item["arn"],
                     "modelArn": item["modelId"], "desiredModelArn": item["modelId"],
                     "foundationModelArn": "arn:aws:bedrock:us-west-2::foundation-model/x", "status": status,
                     "creationTime": "2026-12-01T00:00:00Z", "lastModifiedTime": "2026-12-01T00:00:00Z"}, None

    def _op_DeleteProvisionedModelThroughput(self, data, ident, query):
        item = self._find(self.provisioned, ident)
        if item is None:
            return 404, {"message": "not found"}, "ResourceNotFoundException"
        del self.provisioned[item["name"]]
        self.created["provisioned_deleted"] += 1
        return 200, {}, None

    def _op_CreateModelInvocationJob(self, data, ident, query):
        item = self._create(self.batch_jobs, "batch_job", data["jobName"], data.get("clientRequestToken"),
                            "model-invocation-job", {"request": data, "done": False})
        if item is None:
            return 409, {"message": "a job with this name exists"}, "ConflictException"
        return 200, {"jobArn": item["arn"]}, None

    def _op_GetModelInvocationJob(self, data, ident, query):
        item = self._find(self.batch_jobs, ident)
        if item is None:
            return 404, {"message": f"{ident} not found"}, "ResourceNotFoundException"
        item["gets"] += 1
        status = "InProgress" if item["gets"] <= self.creating_polls else "Completed"
        if status == "Completed" and not item["done"]:
            self._complete_batch(item)
        req = item["request"]
        return 200, {"jobArn": item["arn"], "jobName": item["name"], "modelId": req["modelId"],
                     "roleArn": req["roleArn"], "status": status, "submitTime": "2026-12-01T00:00:00Z",
                     "inputDataConfig": req["inputDataConfig"], "outputDataConfig": req["outputDataConfig"]}, None

    def _s3(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.moto_url, region_name=self.region,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def _complete_batch(self, item) -> None:
        req = item["request"]
        src = req["inputDataConfig"]["s3InputDataConfig"]["s3Uri"][len("s3://"):]
        bucket, _, key = src.partition("/")
        s3 = self._s3()
        lines = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
        out = []
        for line in lines:
            if not line.strip():
                continue
            rec = json.loads(line)
            text = self.responder(req["modelId"], rec["modelInput"])
            out.append({"recordId": rec["recordId"], "modelInput": rec["modelInput"],
                        "modelOutput": {"output": {"message": {"role": "assistant", "content": [{"text": text}]}},
                                        "stopReason": "end_turn",
                                        "usage": {"inputTokens": 10, "outputTokens": 2, "totalTokens": 12}}})
        out.reverse()  # order is not guaranteed; callers must join on recordId
        dest = req["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"][len("s3://"):]
        obucket, _, prefix = dest.partition("/")
        job_id = item["arn"].rsplit("/", 1)[-1]
        name = key.rsplit("/", 1)[-1]
        s3.put_object(Bucket=obucket, Key=f"{prefix.rstrip('/')}/{job_id}/{name}.out",
                      Body="".join(json.dumps(r) + "\n" for r in out).encode())
        item["done"] = True

    def _op_Converse(self, data, ident, query):
        text = self.responder(ident, data)
        return 200, {"output": {"message": {"role": "assistant", "content": [{"text": text}]}},
                     "stopReason": "end_turn", "usage": {"inputTokens": 10, "outputTokens": 2, "totalTokens": 12},
                     "metrics": {"latencyMs": 5}}, None


def main(argv=None) -> None:
    """Serve moto + the fake until killed; print the endpoint and a bucket on the first line (JSON)."""
    import argparse
    import time

    import boto3
    from moto.server import ThreadedMotoServer

    p = argparse.ArgumentParser(description="moto + fake Bedrock on 127.0.0.1, for manual runs and benchmarks")
    p.add_argument("--region", default="us-west-2")
    p.add_argument("--bucket", default="ft-data")
    p.add_argument("--creating-polls", type=int, default=1)
    p.add_argument("--model", action="append", default=[], help="foundation model id to list (repeatable)")
    args = p.parse_args(argv)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    fake = FakeBedrock(moto_url, args.region).start()
    fake.creating_polls = args.creating_polls
    fake.foundation_models = [foundation_model(m, region=args.region) for m in args.model or
                              ["amazon.nova-micro-v1:0:128k", "amazon.nova-lite-v1:0:300k"]]
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name=args.region, aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    s3.create_bucket(Bucket=args.bucket, CreateBucketConfiguration={"LocationConstraint": args.region})
    print(json.dumps({"url": fake.url, "moto_url": moto_url, "bucket": args.bucket}), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
