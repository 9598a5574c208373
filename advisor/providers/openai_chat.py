"""OpenAI-compatible chat endpoints (vLLM, Ollama, llama.cpp ``llama-server``, OpenAI) via the ``openai`` SDK."""

from __future__ import annotations

import os
import time
from typing import Any

from advisor.providers import ChatRequest, Completion, ProviderError, parse_retry_after


class OpenAIChat:
    """Calls ``POST {base_url}/chat/completions``.

    The API key is read from the environment variable named by ``api_key_env`` (never from the
    config file); local servers that need none get a placeholder. The SDK's retries are off
    (``max_retries=0``) so the harness owns back-off.
    """

    kind = "openai"

    def __init__(self, name: str, *, base_url: str | None = None, api_key_env: str | None = "OPENAI_API_KEY",
                 concurrency: int = 4, timeout: float = 120.0):
        self.name = name
        self.base_url = base_url or None
        self.api_key_env = api_key_env
        self.concurrency = int(concurrency)
        self.timeout = float(timeout)
        self._client = None

    def identity(self) -> dict[str, Any]:
        """Kind and the base URL actually used (``OPENAI_BASE_URL`` may set it)."""
        return {"kind": self.kind, "base_url": str(self.client().base_url)}

    def client(self):
        """The SDK client, built on first use (``openai`` is imported only here)."""
        if self._client is None:
            import openai

            key = os.environ.get(self.api_key_env or "") if self.api_key_env else None
            if not key and self.base_url is None:
                raise ProviderError(f"{self.name}: set {self.api_key_env} to call the OpenAI API", fatal=True)
            # the SDK's default connection pool (hundreds of connections) is larger than any concurrency here
            self._client = openai.OpenAI(base_url=self.base_url, api_key=key or "not-needed", max_retries=0,
                                         timeout=self.timeout)
        return self._client

    def build_request(self, request: ChatRequest) -> dict[str, Any]:
        """The ``chat.completions.create`` keyword arguments for a :class:`ChatRequest`."""
        messages = [{"role": "system", "content": request.system}] if request.system else []
        messages += [{"role": role, "content": text} for role, text in request.messages]
        kwargs: dict[str, Any] = {"model": request.model, "messages": messages, "max_tokens": int(request.max_tokens)}
        if request.temperature is not None:
            kwargs["temperature"] = float(request.temperature)
        if request.top_p is not None:
            kwargs["top_p"] = float(request.top_p)
        if request.stop:
            kwargs["stop"] = list(request.stop)
        if request.response_schema is not None:
            import json

            kwargs["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "answer", "schema": json.loads(request.response_schema), "strict": True}}
        return kwargs

    def complete(self, request: ChatRequest) -> Completion:
        import openai

        client = self.client()
        started = time.perf_counter()
        try:
            # The SDK's generic ``post`` (its documented route for any endpoint) with ``cast_to=object``
            # returns the JSON as is: it skips the typed request transform and response models, over
            # half of the SDK's per-call CPU (which matters with many threads on one GIL), and it
            # tolerates local servers whose JSON is not quite OpenAI's. Errors are the same SDK errors.
            doc = client.post("/chat/completions", body=self.build_request(request), cast_to=object)
        except openai.APIStatusError as exc:
            status = exc.status_code
            retryable = status in (408, 409, 429) or status >= 500
            headers = exc.response.headers if exc.response is not None else {}
            raise ProviderError(f"{self.name}: HTTP {status}: {_message(exc)}", retryable=retryable,
                                retry_after=parse_retry_after(headers.get("retry-after")), status=status,
                                fatal=status == 401) from None
        except (openai.APITimeoutError, openai.APIConnectionError) as exc:
            raise ProviderError(f"{self.name}: {exc.__class__.__name__}: {exc}", retryable=True) from None
        except openai.OpenAIError as exc:
            raise ProviderError(f"{self.name}: {exc}") from None
        except ValueError as exc:  # the body was not JSON
            raise ProviderError(f"{self.name}: unreadable response: {exc}", retryable=True) from None
        latency = (time.perf_counter() - started) * 1000
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


def _message(exc) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
    return str(exc.message if hasattr(exc, "message") else exc)
