"""A loopback HTTP server that speaks two model APIs, for tests and benchmarks.

* Amazon Bedrock ``Converse``: ``POST /model/{modelId}/converse`` (point boto3's ``bedrock-runtime``
  client at :attr:`FakeLLMServer.base_url` with ``endpoint_url``; any dummy credentials work, the
  signature is not checked).
* OpenAI chat: ``POST /v1/chat/completions`` (point the ``openai`` SDK at
  :attr:`FakeLLMServer.openai_base_url`).

Knobs: fixed ``latency`` (seconds, per request), scripted failures (:meth:`inject`: throttling as
HTTP 429 — ``x-amzn-ErrorType: ThrottlingException`` for Bedrock, ``rate_limit_error`` for OpenAI —
with an optional ``retry-after`` header, any 5xx, or :data:`DROP`: the connection is closed without an
answer, as a crashed server or a proxy timeout does), and a ``responder`` callable that turns a
:class:`FakeCall` into the reply text or a :class:`FakeReply`. Successful calls are recorded in
:attr:`FakeLLMServer.calls`; :attr:`~FakeLLMServer.hits` counts every model request (failures too) and
:attr:`~FakeLLMServer.max_in_flight` the most served at once (to check concurrency limits);
``GET /_fake/stats`` returns ``{"hits": n, "calls": n}`` for out-of-process use.

Usage::

    with FakeLLMServer(latency=0.05, responder=lambda call: "42") as server:
        server.inject(429, count=2, retry_after=0)
        client = boto3.client("bedrock-runtime", endpoint_url=server.base_url, region_name="us-west-2")

Run standalone (used by ``bench/bench_eval.py``): ``python -m tests.fakes.llm_server --latency 0.1``
prints the base URL on its first line and serves until killed.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

_BEDROCK_ERRORS = {429: "ThrottlingException", 500: "InternalServerException", 502: "ServiceUnavailableException",
                   503: "ServiceUnavailableException", 504: "ModelTimeoutException", 400: "ValidationException",
                   403: "AccessDeniedException", 404: "ResourceNotFoundException"}


@dataclass(frozen=True)
class FakeCall:
    """One request the server received: which API, model, system prompt and (role, text) messages."""

    api: str  # "bedrock" or "openai"
    model: str
    system: str | None
    messages: tuple[tuple[str, str], ...]
    body: dict[str, Any] = field(compare=False, repr=False)

    @property
    def prompt(self) -> str:
        """The text of the last user message."""
        for role, text in reversed(self.messages):
            if role == "user":
                return text
        return ""


@dataclass(frozen=True)
class FakeReply:
    """A scripted answer; token counts default to whitespace word counts."""

    text: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    stop_reason: str = "end_turn"
    # prompt-cache usage to report (Converse cacheRead/WriteInputTokens; OpenAI prompt_tokens_details)
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None


DROP = 0  # inject(DROP): close the connection without sending a response


@dataclass(frozen=True)
class _Failure:
    status: int
    retry_after: float | None
    api: str | None


Responder = Callable[[FakeCall], "str | FakeReply"]


class FakeLLMServer:
    """A threaded loopback server; start/stop it or use it as a context manager."""

    def __init__(self, *, latency: float = 0.0, responder: Responder | None = None, host: str = "127.0.0.1",
                 port: int = 0):
        self.latency = latency
        self.responder: Responder = responder or (lambda call: "ok")
        self._host, self._port = host, port
        self._lock = threading.Lock()
        self._failures: deque[_Failure] = deque()
        self.calls: list[FakeCall] = []
        self.hits = 0  # every request to a model API, including injected failures
        self.failures_served = 0
        self.in_flight = 0
        self.max_in_flight = 0  # the most model requests served at the same moment
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> "FakeLLMServer":
        """Bind (port 0 picks a free port) and serve on a background thread."""
        handler = _make_handler(self)
        server = _Server((self._host, self._port), handler)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeLLMServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` — the Bedrock ``endpoint_url``."""
        return f"http://{self._host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` — the OpenAI SDK ``base_url``."""
        return self.base_url + "/v1"

    # -- knobs ----------------------------------------------------------------------------------
    def inject(self, status: int = 429, *, count: int = 1, retry_after: float | None = None,
               api: str | None = None) -> None:
        """Make the next ``count`` requests (of ``api`` only, when given) fail with ``status``.

        429 is throttling; 5xx are server failures; ``retry_after`` adds a ``retry-after`` header;
        :data:`DROP` (0) closes the connection without an answer."""
        with self._lock:
            self._failures.extend(_Failure(status, retry_after, api) for _ in range(count))

    def reset(self) -> None:
        """Forget recorded calls, counters and pending failures."""
        with self._lock:
            self._failures.clear()
            self.calls.clear()
            self.hits = 0
            self.failures_served = 0
            self.max_in_flight = 0

    def calls_for(self, model: str | None = None, api: str | None = None) -> list[FakeCall]:
        """Recorded successful calls, filtered by model and API."""
        with self._lock:
            return [c for c in self.calls if (model is None or c.model == model) and (api is None or c.api == api)]

    # -- internals -------------------------------------------------------------------------------
    def _take_failure(self, api: str) -> _Failure | None:
        with self._lock:
            self.hits += 1
            for index, failure in enumerate(self._failures):
                if failure.api is None or failure.api == api:
                    del self._failures[index]
                    self.failures_served += 1
                    return failure
        return None

    def _answer(self, call: FakeCall) -> FakeReply:
        reply = self.responder(call)
        if isinstance(reply, str):
            reply = FakeReply(reply)
        with self._lock:
            self.calls.append(call)
        return reply


def _words(text: str) -> int:
    return max(1, len(text.split()))


def _make_handler(fake: FakeLLMServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real endpoints do
        # headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every response
        disable_nagle_algorithm = True

        def log_message(self, *args) -> None:  # quiet in tests
            pass

        def _send(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            try:
                return json.loads(raw or b"{}")
            except ValueError:
                return {}

        def do_GET(self) -> None:
            if self.path == "/_fake/stats":
                with fake._lock:
                    self._send(200, {"hits": fake.hits, "calls": len(fake.calls)})
            else:
                self._send(404, {"message": "not found"})

        def do_POST(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            body = self._body()
            with fake._lock:
                fake.in_flight += 1
                fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
            try:
                if path.startswith("/model/") and path.endswith("/converse"):
                    self._bedrock(urllib.parse.unquote(path[len("/model/"):-len("/converse")]), body)
                elif path.rstrip("/").endswith("/chat/completions"):
                    self._openai(body)
                else:
                    self._send(404, {"message": f"no route for {path}"})
            finally:
                with fake._lock:
                    fake.in_flight -= 1

        def _drop(self) -> None:
            self.close_connection = True
            try:
                import socket

                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def _delay(self) -> None:
            if fake.latency:
                time.sleep(fake.latency)

        def _bedrock(self, model: str, body: dict) -> None:
            failure = fake._take_failure("bedrock")
            self._delay()
            if failure is not None and failure.status == DROP:
                self._drop()
                return
            if failure is not None:
                code = _BEDROCK_ERRORS.get(failure.status, "InternalServerException")
                headers = {"x-amzn-ErrorType": code, "x-amzn-RequestId": "fake"}
                if failure.retry_after is not None:
                    headers["retry-after"] = f"{failure.retry_after:g}"
                self._send(failure.status, {"message": f"injected {code}"}, headers)
                return
            messages = tuple((m.get("role", ""), "".join(b.get("text", "") for b in m.get("content", [])))
                             for m in body.get("messages", []))
            system = "".join(b.get("text", "") for b in body.get("system", [])) or None
            call = FakeCall("bedrock", model, system, messages, body)
            reply = fake._answer(call)
            inp = reply.input_tokens if reply.input_tokens is not None else sum(_words(t) for _, t in messages)
            out = reply.output_tokens if reply.output_tokens is not None else _words(reply.text)
            usage = {"inputTokens": inp, "outputTokens": out, "totalTokens": inp + out}
            if reply.cache_read_tokens is not None:
                usage["cacheReadInputTokens"] = reply.cache_read_tokens
            if reply.cache_write_tokens is not None:
                usage["cacheWriteInputTokens"] = reply.cache_write_tokens
            self._send(200, {
                "output": {"message": {"role": "assistant", "content": [{"text": reply.text}]}},
                "stopReason": reply.stop_reason,
                "usage": usage,
                "metrics": {"latencyMs": int(fake.latency * 1000)},
            }, {"x-amzn-RequestId": "fake"})

        def _openai(self, body: dict) -> None:
            failure = fake._take_failure("openai")
            self._delay()
            if failure is not None and failure.status == DROP:
                self._drop()
                return
            if failure is not None:
                kind = "rate_limit_error" if failure.status == 429 else "server_error"
                headers = {} if failure.retry_after is None else {"retry-after": f"{failure.retry_after:g}"}
                self._send(failure.status, {"error": {"message": f"injected {kind}", "type": kind}}, headers)
                return
            system = None
            messages = []
            for m in body.get("messages", []):
                content = m.get("content")
                if isinstance(content, list):
                    content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
                if m.get("role") == "system":
                    system = content
                else:
                    messages.append((m.get("role", ""), content or ""))
            call = FakeCall("openai", body.get("model", ""), system, tuple(messages), body)
            reply = fake._answer(call)
            inp = reply.input_tokens if reply.input_tokens is not None else sum(_words(t) for _, t in messages)
            out = reply.output_tokens if reply.output_tokens is not None else _words(reply.text)
            finish = "stop" if reply.stop_reason == "end_turn" else reply.stop_reason
            usage = {"prompt_tokens": inp, "completion_tokens": out, "total_tokens": inp + out}
            if reply.cache_read_tokens is not None:
                usage["prompt_tokens_details"] = {"cached_tokens": reply.cache_read_tokens}
            self._send(200, {
                "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                "model": body.get("model", ""),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text},
                             "finish_reason": finish}],
                "usage": usage,
            })

    return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default backlog of 5 refuses bursts of concurrent connections
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        import sys

        # a client killed mid-request (the kill -9 tests) is expected: no traceback for a dropped connection
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def main(argv: list[str] | None = None) -> int:
    """Serve until killed; prints the base URL first (for out-of-process benchmarks)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="fake Bedrock Converse / OpenAI chat server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--reply", default="ok")
    args = parser.parse_args(argv)
    server = FakeLLMServer(latency=args.latency, responder=lambda call: args.reply, port=args.port).start()
    print(server.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
