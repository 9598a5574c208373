"""Chat-model providers behind one small interface, used by the eval harness.

* :class:`BedrockConverse` — Amazon Bedrock through boto3's ``Converse`` API (foundation models,
  inference profiles and ``provisioned-model`` ARNs of custom models alike).
* :class:`OpenAIChat` — any OpenAI-compatible ``/v1/chat/completions`` endpoint (vLLM, Ollama,
  llama.cpp's ``llama-server``, OpenAI itself) through the ``openai`` SDK.

Both turn every failure into :class:`ProviderError`, flagged ``retryable`` for throttling, timeouts,
connection failures and 5xx answers (with the server's ``retry-after`` when it sent one). The SDKs'
own retries are switched off so the harness alone decides when and how long to wait.
Heavy SDK imports happen only when a provider is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["ChatRequest", "Completion", "ProviderError", "Provider", "make_provider",
           "BedrockConverse", "OpenAIChat"]


@dataclass(frozen=True)
class ChatRequest:
    """One chat call: a system prompt, alternating user/assistant messages (plain text) and sampling."""

    model: str
    messages: tuple[tuple[str, str], ...]  # (role, text)
    system: str | None = None
    max_tokens: int = 512
    temperature: float | None = 0.0
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    # A prompt-cache point after the system prompt (Bedrock ``cachePoint``; OpenAI caches on its own).
    cache_system: bool = False
    # Structured output: a JSON Schema as JSON text (Converse ``outputConfig``, OpenAI ``response_format``).
    response_schema: str | None = None

    def as_key(self) -> dict[str, Any]:
        """Everything that changes the response, for the content-addressed cache."""
        key = {"model": self.model, "system": self.system, "messages": [list(m) for m in self.messages],
               "max_tokens": self.max_tokens, "temperature": self.temperature, "top_p": self.top_p,
               "stop": list(self.stop)}
        if self.cache_system:  # only when set, so existing cache addresses stay valid
            key["cache_system"] = True
        if self.response_schema is not None:
            key["response_schema"] = self.response_schema
        return key


@dataclass(frozen=True)
class Completion:
    """A model's answer with its token usage as the provider reported it."""

    text: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    stop_reason: str | None = None
    latency_ms: float | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)
    cache_read_tokens: int | None = None  # input tokens read from the provider's prompt cache
    cache_write_tokens: int | None = None  # input tokens written to it (Bedrock reports these)


class ProviderError(Exception):
    """A failed call. ``retryable`` marks throttling/5xx/timeouts; ``fatal`` ends the whole run
    (e.g. missing credentials), since every other call would fail the same way."""

    def __init__(self, message: str, *, retryable: bool = False, retry_after: float | None = None,
                 status: int | None = None, code: str | None = None, fatal: bool = False):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status
        self.code = code
        self.fatal = fatal


class Provider(Protocol):
    """What the harness needs from a provider."""

    name: str
    concurrency: int

    def complete(self, request: ChatRequest) -> Completion: ...

    def identity(self) -> dict[str, Any]:
        """Where calls go (kind, endpoint, region), part of the cache key; never credentials."""
        ...


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``retry-after`` header (delta seconds or an HTTP date); None when absent/invalid."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime
    import datetime as _dt

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return max(0.0, (when - _dt.datetime.now(_dt.timezone.utc)).total_seconds())


def make_provider(name: str, settings: dict[str, Any]) -> Provider:
    """Build a provider from its config mapping (``type: bedrock`` or ``type: openai``)."""
    kind = settings.get("type")
    if kind == "bedrock":
        from advisor.providers.bedrock import BedrockConverse

        return BedrockConverse(name, **{k: v for k, v in settings.items() if k != "type"})
    if kind == "openai":
        from advisor.providers.openai_chat import OpenAIChat

        return OpenAIChat(name, **{k: v for k, v in settings.items() if k != "type"})
    raise ValueError(f"unknown provider type {kind!r} (expected bedrock or openai)")


def __getattr__(name: str):  # lazy re-exports keep `import advisor.providers` cheap
    if name == "BedrockConverse":
        from advisor.providers.bedrock import BedrockConverse

        return BedrockConverse
    if name == "OpenAIChat":
        from advisor.providers.openai_chat import OpenAIChat

        return OpenAIChat
    raise AttributeError(name)
