"""The OpenAI-compatible provider on the wire: headers, error bodies, timeouts, refused connections."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from advisor.providers import ChatRequest, ProviderError, make_provider

REQUEST = ChatRequest(model="m", messages=(("user", "hi"),), max_tokens=8)


class _Server:
    """A loopback server answering every POST with a scripted (status, headers, body, delay)."""

    def __init__(self):
        self.reply = (200, {}, b"{}", 0.0)
        self.seen: list[tuple[str, dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.seen.append((self.path, dict(self.headers), body))
                status, headers, payload, delay = outer.reply
                time.sleep(delay)
                try:
                    self.send_response(status)
                    for key, value in {"Content-Length": str(len(payload)), **headers}.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


def _ok(text="4", prompt=3, completion=1):
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": prompt, "completion_tokens": completion}}).encode()


def test_the_key_named_by_api_key_env_goes_as_a_bearer_token(server, monkeypatch):
    monkeypatch.setenv("MY_LLM_KEY", "sk-test-123")
    server.reply = (200, {"Content-Type": "application/json"}, _ok(), 0.0)
    provider = make_provider("p", {"type": "openai", "base_url": server.url, "api_key_env": "MY_LLM_KEY"})
    completion = provider.complete(REQUEST)
    assert (completion.text, completion.input_tokens, completion.output_tokens, completion.stop_reason) == \
        ("4", 3, 1, "stop")
    path, headers, body = server.seen[0]
    assert path == "/v1/chat/completions"
    assert headers["Authorization"] == "Bearer sk-test-123"
    assert json.loads(body)["messages"] == [{"role": "user", "content": "hi"}]
    assert "sk-test-123" not in json.dumps(provider.identity())


def test_base_url_comes_from_the_environment_when_not_configured(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert make_provider("p", {"type": "openai"}).identity() == {"kind": "openai", "base_url": "http://127.0.0.1:9/v1/"}


def test_unauthorised_is_fatal_and_names_the_server_message(server):
    server.reply = (401, {}, json.dumps({"error": {"message": "bad key"}}).encode(), 0.0)
    provider = make_provider("p", {"type": "openai", "base_url": server.url})
    with pytest.raises(ProviderError) as info:
        provider.complete(REQUEST)
    assert info.value.fatal and not info.value.retryable and "HTTP 401: bad key" in info.value.message


def test_a_503_with_an_http_date_retry_after_is_retryable(server):
    server.reply = (503, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, b"overloaded", 0.0)
    provider = make_provider("p", {"type": "openai", "base_url": server.url})
    with pytest.raises(ProviderError) as info:
        provider.complete(REQUEST)
    assert (info.value.retryable, info.value.status, info.value.retry_after) == (True, 503, 0.0)
    assert "overloaded" in info.value.message


def test_a_body_that_is_not_json_is_retryable(server):
    server.reply = (200, {}, b"<html>gateway</html>", 0.0)
    provider = make_provider("p", {"type": "openai", "base_url": server.url})
    with pytest.raises(ProviderError) as info:
        provider.complete(REQUEST)
    assert info.value.retryable and "unreadable response" in info.value.message


def test_a_timeout_is_retryable(server):
    server.reply = (200, {}, _ok(), 1.0)
    provider = make_provider("p", {"type": "openai", "base_url": server.url, "timeout": 0.2})
    with pytest.raises(ProviderError) as info:
        provider.complete(REQUEST)
    assert info.value.retryable and "timed out" in info.value.message


def test_a_refused_connection_is_retryable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    provider = make_provider("p", {"type": "openai", "base_url": f"http://127.0.0.1:{port}/v1"})
    with pytest.raises(ProviderError) as info:
        provider.complete(REQUEST)
    assert info.value.retryable and "connection failed" in info.value.message
