"""Amazon Bedrock through boto3's ``bedrock-runtime`` ``Converse`` API."""

from __future__ import annotations

import platform
import time
from typing import Any

from advisor.providers.base import ChatRequest, Completion, ProviderError, parse_retry_after

# Error codes Bedrock documents for Converse that are worth another attempt later.
_RETRYABLE_CODES = {"ThrottlingException", "ServiceUnavailableException", "InternalServerException",
                    "ModelTimeoutException", "ModelNotReadyException", "TooManyRequestsException",
                    "ServiceUnavailable", "RequestTimeout", "RequestTimeoutException"}
# Credential problems: every further call would fail the same way, so the run stops.
_FATAL_CODES = {"UnrecognizedClientException", "ExpiredTokenException", "InvalidSignatureException",
                "ExpiredToken", "InvalidClientTokenId"}


class BedrockConverse:
    """Calls ``Converse`` on one region (or an ``endpoint_url``, e.g. a local fake in tests).

    botocore's own retries are off (``total_max_attempts: 1``) so the harness's back-off, which
    honours ``retry-after`` and per-provider concurrency, is the only retry loop. The connection
    pool is sized to the concurrency so threads never queue for a socket. The endpoint can also be
    set with botocore's standard ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` environment variable.
    """

    kind = "bedrock"

    def __init__(self, name: str, *, region: str | None = None, endpoint_url: str | None = None,
                 profile: str | None = None, concurrency: int = 4, timeout: float = 120.0,
                 connect_timeout: float = 10.0):
        self.name = name
        self.region = region
        self.endpoint_url = endpoint_url or None
        self.profile = profile
        self.concurrency = int(concurrency)
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)
        self._client = None

    def identity(self) -> dict[str, Any]:
        """Kind, region and the endpoint actually used (so answers from a test endpoint never stand in
        for real Bedrock answers in the cache)."""
        client = self.client()
        return {"kind": self.kind, "region": client.meta.region_name, "endpoint_url": client.meta.endpoint_url}

    def client(self):
        """The boto3 client, built on first use (boto3 is imported only here)."""
        if self._client is None:
            import boto3
            from botocore.config import Config
            from botocore.exceptions import BotoCoreError

            import botocore

            from advisor import __version__

            # A fixed User-Agent: botocore otherwise rebuilds it from a dozen components on every
            # request, about a quarter of its per-call CPU, which matters with many threads on one GIL.
            agent = f"advisor/{__version__} Botocore/{botocore.__version__} Python/{platform.python_version()}"
            config = Config(retries={"total_max_attempts": 1, "mode": "standard"},
                            max_pool_connections=max(10, self.concurrency),
                            read_timeout=self.timeout, connect_timeout=self.connect_timeout,
                            user_agent=agent,
                            # requests are built here from a validated config and Bedrock validates
                            # them again; client-side validation only costs CPU on every call
                            parameter_validation=False)
            try:
                session = boto3.session.Session(profile_name=self.profile, region_name=self.region)
                self._client = session.client("bedrock-runtime", endpoint_url=self.endpoint_url, config=config)
            except BotoCoreError as exc:  # unknown profile, no region …
                raise ProviderError(f"{self.name}: cannot set up Bedrock: {exc}", fatal=True) from None
        return self._client

    def build_request(self, request: ChatRequest) -> dict[str, Any]:
        """The Converse keyword arguments for a :class:`ChatRequest`."""
        kwargs: dict[str, Any] = {
            "modelId": request.model,
            "messages": [{"role": role, "content": [{"text": text}]} for role, text in request.messages],
        }
        if request.system:
            kwargs["system"] = [{"text": request.system}]
            if request.cache_system:
                kwargs["system"].append({"cachePoint": {"type": "default"}})
        if request.response_schema is not None:
            kwargs["outputConfig"] = {"textFormat": {"type": "json_schema", "structure": {
                "jsonSchema": {"schema": request.response_schema, "name": "answer"}}}}
        inference: dict[str, Any] = {"maxTokens": int(request.max_tokens)}
        if request.temperature is not None:
            inference["temperature"] = float(request.temperature)
        if request.top_p is not None:
            inference["topP"] = float(request.top_p)
        if request.stop:
            inference["stopSequences"] = list(request.stop)
        kwargs["inferenceConfig"] = inference
        return kwargs

    def complete(self, request: ChatRequest) -> Completion:
        from botocore import exceptions as bx

        client = self.client()
        started = time.perf_counter()
        try:
            response = client.converse(**self.build_request(request))
        except bx.ClientError as exc:
            raise _client_error(self.name, exc) from None
        except (bx.NoCredentialsError, bx.PartialCredentialsError, bx.NoRegionError) as exc:
            raise ProviderError(f"{self.name}: {exc} (configure AWS credentials and region, e.g. AWS_PROFILE "
                                "and AWS_REGION)", fatal=True) from None
        except (bx.EndpointConnectionError, bx.ConnectionClosedError, bx.ReadTimeoutError,
                bx.ConnectTimeoutError) as exc:
            raise ProviderError(f"{self.name}: {exc}", retryable=True) from None
        except bx.ParamValidationError as exc:
            raise ProviderError(f"{self.name}: invalid request: {exc}") from None
        except bx.BotoCoreError as exc:
            raise ProviderError(f"{self.name}: {exc}", retryable=True) from None
        latency = (time.perf_counter() - started) * 1000
        blocks = ((response.get("output") or {}).get("message") or {}).get("content") or []
        text = "".join(b.get("text", "") for b in blocks if isinstance(b, dict))
        usage = response.get("usage") or {}
        metrics = response.get("metrics") or {}
        return Completion(text=text, input_tokens=usage.get("inputTokens"), output_tokens=usage.get("outputTokens"),
                          stop_reason=response.get("stopReason"),
                          latency_ms=float(metrics.get("latencyMs", latency)),
                          raw={"usage": usage, "stopReason": response.get("stopReason")},
                          cache_read_tokens=usage.get("cacheReadInputTokens"),
                          cache_write_tokens=usage.get("cacheWriteInputTokens"))


def _client_error(name: str, exc) -> ProviderError:
    error = exc.response.get("Error", {}) or {}
    meta = exc.response.get("ResponseMetadata", {}) or {}
    code = error.get("Code") or ""
    status = meta.get("HTTPStatusCode")
    headers = {k.lower(): v for k, v in (meta.get("HTTPHeaders") or {}).items()}
    message = error.get("Message") or str(exc)
    retryable = code in _RETRYABLE_CODES or status == 429 or (status is not None and status >= 500)
    return ProviderError(f"{name}: {code or status}: {message}", retryable=retryable,
                         retry_after=parse_retry_after(headers.get("retry-after")), status=status, code=code,
                         fatal=code in _FATAL_CODES)
