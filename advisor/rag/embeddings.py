"""Embeddings providers for dense and hybrid retrieval.

* :class:`TitanEmbedder` — Amazon Titan Text Embeddings v2 (``amazon.titan-embed-text-v2:0``) through
  bedrock-runtime ``InvokeModel`` (boto3; settings from the standard chain, including
  ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``). One text a request (the model takes one ``inputText``);
  requests run on a few threads.
* :class:`OpenAIEmbedder` — any OpenAI-compatible ``POST /v1/embeddings`` (over ``httpx``; base
  URL from ``--embeddings-url`` or ``OPENAI_BASE_URL``, key from ``OPENAI_API_KEY``; a local server
  without keys works with none set). Batches of 64 texts.

The index records :meth:`describe` (provider, model, URL, dimensions — never a key) so queries
are embedded by the same model as the chunks.
"""

from __future__ import annotations

import json
import os
import time
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
        """An HTTP client for the endpoint (``httpx``, imported on first use); the key is never stored."""
        if self._client is None:
            import httpx

            key = os.environ.get("OPENAI_API_KEY") or "not-needed"
            self._client = httpx.Client(base_url=self.url.rstrip("/") + "/", timeout=120,
                                        headers={"Authorization": f"Bearer {key}", "Accept": "application/json"})
        return self._client

    def embed(self, texts: list[str], query: bool = False) -> list[list[float]]:
        import httpx

        body: dict[str, Any] = {"model": self.model, "input": [t or " " for t in texts], "encoding_format": "float"}
        if self.dimensions:
            body["dimensions"] = self.dimensions
        doc = None
        for attempt in range(5):  # throttling and server errors are retried with back-off
            try:
                response = self.client().post("embeddings", json=body)
            except httpx.HTTPError as exc:
                if attempt == 4:
                    raise EmbeddingsError(f"{self.url}: {exc.__class__.__name__}: {exc}") from None
                time.sleep(min(8.0, 0.5 * 2 ** attempt))
                continue
            if response.status_code in (429, 500, 502, 503, 504) and attempt < 4:
                time.sleep(min(8.0, 0.5 * 2 ** attempt))
                continue
            if response.status_code >= 400:
                raise EmbeddingsError(f"{self.url}: HTTP {response.status_code}: {_message(response)}")
            try:
                doc = response.json()
            except ValueError:
                raise EmbeddingsError(f"{self.url}: the answer is not JSON") from None
            break
        data = doc.get("data") if isinstance(doc, dict) else None
        if not isinstance(data, list) or len(data) != len(texts):
            got = len(data) if isinstance(data, list) else 0
            raise EmbeddingsError(f"{self.url}: asked for {len(texts)} embeddings, got {got}")
        data = sorted(data, key=lambda d: d.get("index", 0))
        return [[float(x) for x in d["embedding"]] for d in data]


def _message(response) -> str:
    """The server's error message: ``error.message`` of a JSON body, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
    return str(body)[:200]


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
