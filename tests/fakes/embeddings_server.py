"""A loopback embeddings server speaking two wire formats, for tests.

* OpenAI-compatible ``POST /v1/embeddings`` (``{"model", "input": str | [str], "dimensions"?}`` →
  ``{"object": "list", "data": [{"object": "embedding", "index", "embedding"}], "model", "usage"}``);
  point the ``openai`` SDK at :attr:`FakeEmbeddingsServer.openai_base_url`.
* Amazon Bedrock ``InvokeModel`` for Titan Text Embeddings v2 (``POST /model/{modelId}/invoke`` with
  ``{"inputText", "dimensions", "normalize"}`` → ``{"embedding", "inputTextTokenCount"}``); point
  boto3's ``bedrock-runtime`` client at :attr:`FakeEmbeddingsServer.base_url` (e.g. with
  ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``); the signature is not checked.

Vectors are a hashed bag of words (each word, after mapping through ``synonyms``, adds 1 to a
bucket), so texts sharing words are close — and, through ``synonyms``, texts sharing meaning but
not words, which BM25 cannot see. ``fail_next(status, count)`` makes the next requests fail.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_SYNONYMS = {"automobile": "car", "vehicle": "car", "cars": "car", "repair": "fix", "mend": "fix",
                    "fixing": "fix", "broken": "fix"}


def embed(text: str, dims: int = 64, synonyms: dict[str, str] | None = None) -> list[float]:
    synonyms = DEFAULT_SYNONYMS if synonyms is None else synonyms
    vec = [0.0] * dims
    for word in re.findall(r"\w+", text.lower()):
        word = synonyms.get(word, word)
        bucket = int(hashlib.md5(word.encode()).hexdigest(), 16) % dims
        vec[bucket] += 1.0
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


class FakeEmbeddingsServer:
    def __init__(self, dims: int = 64, synonyms: dict[str, str] | None = None):
        self.dims = dims
        self.synonyms = synonyms
        self.requests: list[dict] = []  # {"api", "path", "body", "headers"}
        self._fail: list[int] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, payload: dict, headers: dict | None = None):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    return self._send(400, {"message": "body is not JSON"})
                api = "openai" if self.path.rstrip("/").endswith("/embeddings") else "bedrock"
                with server._lock:
                    server.requests.append({"api": api, "path": self.path, "body": body,
                                            "headers": {k.lower(): v for k, v in self.headers.items()}})
                    failing = server._fail.pop(0) if server._fail else None
                if failing:
                    if api == "bedrock":
                        return self._send(failing, {"message": "injected failure"},
                                          {"x-amzn-ErrorType": "ValidationException" if failing == 400
                                           else "ThrottlingException" if failing == 429
                                           else "InternalServerException"})
                    return self._send(failing, {"error": {"message": "injected failure", "type": "server_error"}})
                if api == "openai":
                    inputs = body.get("input")
                    if isinstance(inputs, str):
                        inputs = [inputs]
                    if not isinstance(inputs, list) or not body.get("model"):
                        return self._send(400, {"error": {"message": "model and input are required"}})
                    dims = int(body.get("dimensions") or server.dims)
                    data = [{"object": "embedding", "index": i, "embedding": embed(t, dims, server.synonyms)}
                            for i, t in enumerate(inputs)]
                    tokens = sum(len(t.split()) for t in inputs)
                    return self._send(200, {"object": "list", "data": data, "model": body["model"],
                                            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
                match = re.fullmatch(r"/model/([^/]+)/invoke", self.path)
                text = body.get("inputText")
                if not match or not isinstance(text, str):
                    return self._send(400, {"message": "expected /model/{id}/invoke with inputText"},
                                      {"x-amzn-ErrorType": "ValidationException"})
                dims = int(body.get("dimensions") or 1024)
                return self._send(200, {"embedding": embed(text, dims, server.synonyms),
                                        "inputTextTokenCount": len(text.split())})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def openai_base_url(self) -> str:
        return self.base_url + "/v1"

    def fail_next(self, status: int, count: int = 1) -> None:
        with self._lock:
            self._fail.extend([status] * count)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
