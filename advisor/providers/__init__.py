"""Chat-model providers behind one small interface, used by the eval harness.

* :class:`BedrockConverse` — Amazon Bedrock through boto3's ``Converse`` API (foundation models,
  inference profiles and ``provisioned-model`` ARNs of custom models alike).
* :class:`OpenAIChat` — any OpenAI-compatible ``/v1/chat/completions`` endpoint (vLLM, Ollama,
  llama.cpp's ``llama-server``, OpenAI itself) over HTTP with ``httpx``.

Both turn every failure into :class:`ProviderError`, flagged ``retryable`` for throttling, timeouts,
connection failures and 5xx answers (with the server's ``retry-after`` when it sent one). The SDKs'
own retries are switched off so the harness alone decides when and how long to wait.
Heavy SDK imports happen only when a provider is built.
"""

from __future__ import annotations

from typing import Any

from advisor.providers.base import ChatRequest, Completion, Provider, ProviderError, parse_retry_after

__all__ = ["ChatRequest", "Completion", "ProviderError", "Provider", "make_provider", "parse_retry_after",
           "BedrockConverse", "OpenAIChat"]


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


def __getattr__(name: str) -> Any:  # lazy re-exports keep `import advisor.providers` cheap
    if name == "BedrockConverse":
        from advisor.providers.bedrock import BedrockConverse

        return BedrockConverse
    if name == "OpenAIChat":
        from advisor.providers.openai_chat import OpenAIChat

        return OpenAIChat
    raise AttributeError(name)
