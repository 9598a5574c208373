"""OpenAI-compatible chat endpoints (vLLM, Ollama, llama.cpp ``llama-server``, OpenAI) over plain HTTP.

One ``POST {base_url}/chat/completions`` per call with ``httpx``: the wire format is small and stable,
so no SDK is needed. Failures become :class:`ProviderError`; the harness owns retries and back-off.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

from advisor.providers.base import ChatRequest, Completion, ProviderError, parse_retry_after

DEFAULT_BASE_URL = "https://api.openai.com/v1"
BASE_URL_ENV = "OPENAI_BASE_URL"


class OpenAIChat:
    """Calls ``POST {base_url}/chat/completions``.

    The API key is read from the environment variable named by ``api_key_env`` (never from the
    config file) and sent as a bearer token; local servers that need none get a placeholder.
    ``base_url`` defaults to ``$OPENAI_BASE_URL``, else the OpenAI API. Nothing is retried here.
    """

    kind = "openai"

    def __init__(self, name: str, *, base_url: str | None = None, api_key_env: str | None = "OPENAI_API_KEY",
                 concurrency: int = 4, timeout: float = 120.0):
        self.name = name
        self.base_url = base_url or None
        self.api_key_env = api_key_env
        self.concurrency = int(concurrency)
        self.timeout = float(timeout)
        self._client: Any = None  # an httpx.Client, made on first use
        self._lock = threading.Lock()

    def endpoint(self) -> str:
        """The base URL calls go to, ending in ``/``."""
        url = self.base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
        return url if url.endswith("/") else url + "/"

    def identity(self) -> dict[str, Any]:
        """Kind and the base URL actually used (``OPENAI_BASE_URL`` may set it)."""
        return {"kind": self.kind, "base_url": self.endpoint()}

    def client(self):
        """The HTTP client, built on first use (``httpx`` is imported only here); shared by all threads."""
        with self._lock:
            if self._client is None:
                import httpx

                key = os.environ.get(self.api_key_env or "") if self.api_key_env else None
                if not key and self.base_url is None:
                    raise ProviderError(f"{self.name}: set {self.api_key_env} to call the OpenAI API", fatal=True)
                pool = max(1, self.concurrency)
                self._client = httpx.Client(
                    base_url=self.endpoint(), timeout=self.timeout,
                    limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
                    headers={"Authorization": f"Bearer {key or 'not-needed'}", "Accept": "application/json"},
                )
            return self._client

    def build_request(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body of ``/chat/completions`` for a :class:`ChatRequest`."""
        messages = [{"role": "system", "content": request.system}] if request.system else []
        messages += [{"role": role, "content": text} for role, text in request.messages]
        body: dict[str, Any] = {"model": request.model, "messages": messages, "max_tokens": int(request.max_tokens)}
        if request.temperature is not None:
            body["temperature"] = float(request.temperature)
        if request.top_p is not None:
            body["top_p"] = float(request.top_p)
        if request.stop:
            body["stop"] = list(request.stop)
        if request.response_schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "answer", "schema": json.loads(request.response_schema), "strict": True}}
        return body

    def complete(self, request: ChatRequest) -> Completion:
        import httpx

        client = self.client()
        payload = json.dumps(self.build_request(request), ensure_ascii=False).encode("utf-8")
        started = time.perf_counter()
        try:
            response = client.post("chat/completions", content=payload,
                                   headers={"Content-Type": "application/json"})
        except httpx.TimeoutException as exc:
            raise ProviderError(f"{self.name}: timed out after {self.timeout:g} s ({exc.__class__.__name__})",
                                retryable=True) from None
        except httpx.TransportError as exc:
            raise ProviderError(f"{self.name}: connection failed ({exc.__class__.__name__}: {exc})",
                                retryable=True) from None
        except httpx.HTTPError as exc:
            raise ProviderError(f"{self.name}: {exc.__class__.__name__}: {exc}") from None
        latency = (time.perf_counter() - started) * 1000
        status = response.status_code
        if status >= 400:
            raise ProviderError(f"{self.name}: HTTP {status}: {_message(response)}",
                                retryable=status in (408, 409, 429) or status >= 500,
                                retry_after=parse_retry_after(response.headers.get("retry-after")), status=status,
                                fatal=status == 401)
        try:
            doc = json.loads(response.content)
        except ValueError as exc:  # the body was not JSON
            raise ProviderError(f"{self.name}: unreadable response: {exc}", retryable=True) from None
        if not isinstance(doc, dict):
            raise ProviderError(f"{self.name}: unexpected response body (not a JSON object)", retryable=True)
        choices = doc.get("choices") or [{}]
        choice = choices[0] if isinstance(choices[0], dict) else {}
        message = choice.get("message") or {}
        content = message.get("content")
        if isinstance(content, list):  # some servers return content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        usage = doc.get("usage") or {}
        details = usage.get("prompt_tokens_details") or {}
        return Completion(text=content or "", input_tokens=usage.get("prompt_tokens"),
                          output_tokens=usage.get("completion_tokens"), stop_reason=choice.get("finish_reason"),
                          latency_ms=latency,
                          cache_read_tokens=details.get("cached_tokens") if isinstance(details, dict) else None)

    def close(self) -> None:
        """Close the connection pool (the provider builds a new one if used again)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def _message(response) -> str:
    """The server's error message: ``error.message`` of a JSON body, else the start of the body."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str) and err:
            return err
    text = response.text.strip()
    return text[:300] if text else (response.reason_phrase or "no message")
