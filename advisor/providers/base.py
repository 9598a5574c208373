"""What every provider shares: the request, the completion, the error and the interface.

Provider modules import these from here (not from the package), so :mod:`advisor.providers` can
import the providers without an import circle.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

__all__ = ["ChatRequest", "Completion", "ProviderError", "Provider", "parse_retry_after"]


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

    def build_request(self, request: ChatRequest) -> dict[str, Any]:
        """The request body as the provider's API receives it (for plans and dry runs)."""
        ...

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
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
