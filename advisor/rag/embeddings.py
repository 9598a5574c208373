"""Embeddings providers for dense and hybrid retrieval.

* :class:`TitanEmbedder` — Amazon Titan Text Embeddings v2 (``amazon.titan-embed-text-v2:0``) through
  bedrock-runtime ``InvokeModel`` (boto3; settings from the standard chain, including
  ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``). One text a request (the model takes one ``inputText``);
  requests run on a few threads.
* :class:`OpenAIEmbedder` — any OpenAI-compatible ``POST /v1/embeddings`` (the ``openai`` SDK; base
  URL from ``--embeddings-url`` or ``OPENAI_BASE_URL``, key from ``OPENAI_API_KEY``; a local server
  without keys works with none set). Batches of 64 texts.

The index records :meth:`describe` (provider, model, URL, dimensions — never a key) so queries
are embedded by the same model as the chunks.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

TITAN_V2 = "amazon.titan-embed-text-v2:0"
TITAN_MAX_CHARS = 50_000  # the model takes up to 8,192 tokens / 50,000 characters


class EmbeddingsError(Exception):
    """The provider could not be configured or refused a request."""


class TitanEmbedder:
    batch_size = 16

    def __init__(self, model_id: str = TITAN_V2, dimensions: int | None = None, region: str | None = None,
                 threads: int = 4):
        if dimensions is not None and dimensions not in (256, 512, 1024):
            raise EmbeddingsError("Titan Text Embeddings v2 takes dimensions 256, 512 or 1024")
        self.model_id = model_id
        self.dimensions = dimensions or 1024
        self.region = region
        self.threads = threads
        self._client: Any = None  # created on first use (lazy import)

    def describe(self) -> dict[str, Any]:
        return {"provider": "titan", "model": self.model_id, "dimensions": self.dimensions}

    def client(self):
        if self._client is None:
            import boto3
            from botocore.config import Config

            kwargs = {"config": Config(retries={"mode": "standard", "max_attempts": 6})}
            if self.region:
                kwargs["region_name"] = self.region
            try:
                self._client = boto3.client("bedrock-runtime", **kwargs)
            except Exception as exc:  # NoRegionError and friends
                raise EmbeddingsError(f"cannot make a bedrock-runtime client: {exc}") from None
        return self._client

    def _one(self, text: str) -> list[float]:
        from botocore.exceptions import BotoCoreError, ClientError

        body = {"inputText": text[:TITAN_MAX_CHARS] or " ", "dimensions": self.dimensions, "normalize": True}
        try:
            response = self.client().invoke_model(modelId=self.model_id, body=json.dumps(body),
                                                  contentType="application/json", accept="application/json")
            payload = json.loads(response["body"].read())
        except ClientError as exc:
            err = exc.response.get("Error", {})
            raise EmbeddingsError(f"{self.model_id}: {err.get('Code', 'error')}: {err.get('Message', exc)}") from None
        except (BotoCoreError, ValueError) as exc:
            raise EmbeddingsError(f"{self.model_id}: {exc}") from None
        vector = payload.get("embedding")
        if not isinstance(vector, list) or not vector:
            raise EmbeddingsError(f"{self.model_id}: the response has no embedding")
        return vector

    def embed(self, texts: list[str], query: bool = False) -> list[list[float]]:
        if len(texts) == 1:
            return [self._one(texts[0])]
        self.client()
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            return list(pool.map(self._one, texts))


class OpenAIEmbedder:
    batch_size = 64

    def __init__(self, model: str, url: str | None = None, dimensions: int | None = None):
        if not model:
            raise EmbeddingsError("openai embeddings need a model: --embeddings openai:MODEL")
        self.model = model
        self.url = url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        self.dimensions = dimensions
        self._client: Any = None  # created on first use (lazy import)

    def describe(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"provider": "openai", "model": self.model, "url": self.url}
        if self.dimensions:
            spec["dimensions"] = self.dimensions
        return spec

    def client(self):
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(base_url=self.url, api_key=os.environ.get("OPENAI_API_KEY") or "not-needed",
                                  max_retries=5, timeout=120)
        return self._client

    def embed(self, texts: list[str], query: bool = False) -> list[list[float]]:
        import openai

        kwargs = {"dimensions": self.dimensions} if self.dimensions else {}
        try:
            response = self.client().embeddings.create(model=self.model, input=[t or " " for t in texts],
                                                       encoding_format="float", **kwargs)
        except openai.APIStatusError as exc:
            raise EmbeddingsError(f"{self.url}: HTTP {exc.status_code}: {_message(exc)}") from None
        except openai.APIError as exc:
            raise EmbeddingsError(f"{self.url}: {exc}") from None
        data = sorted(response.data, key=lambda d: d.index)
        if len(data) != len(texts):
            raise EmbeddingsError(f"{self.url}: asked for {len(texts)} embeddings, got {len(data)}")
        return [list(d.embedding) for d in data]


def _message(exc) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
    return str(exc)


def make_embedder(spec: str, url: str | None = None, dimensions: int | None = None, region: str | None = None):
    """``titan``, ``titan:MODEL_ID`` or ``openai:MODEL`` → an embedder."""
    provider, _, model = spec.partition(":")
    provider = provider.strip().lower()
    if provider in ("titan", "bedrock"):
        return TitanEmbedder(model or TITAN_V2, dimensions=dimensions, region=region)
    if provider == "openai":
        return OpenAIEmbedder(model, url=url, dimensions=dimensions)
    raise EmbeddingsError(f"unknown embeddings provider {spec!r} (use titan, titan:MODEL_ID or openai:MODEL)")


def from_spec(spec: dict[str, Any]):
    """The embedder an index recorded (see :meth:`describe`)."""
    if spec.get("provider") == "titan":
        return TitanEmbedder(spec.get("model", TITAN_V2), dimensions=spec.get("dimensions"))
    if spec.get("provider") == "openai":
        return OpenAIEmbedder(spec["model"], url=spec.get("url"), dimensions=spec.get("dimensions"))
    raise EmbeddingsError(f"the index records an unknown embeddings provider: {spec}")
