"""The ``advisor eval run`` config file (YAML): providers, a test set, variants, metric, thresholds.

Relative paths in the file are resolved against the file's own folder, so a config and its data
travel together. String values of ``providers`` may use ``${VAR}`` or ``${VAR:-default}`` to read the
environment (e.g. an endpoint URL); secrets are never written in the file (``api_key_env`` names the
variable that holds an API key).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from advisor.errors import InputError, location_for

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.+-]+")
POSTPROCESSORS = ("none", "strip", "first_line", "tatqa")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProviderConfig(_Strict):
    """One endpoint and its concurrency limit."""

    type: Literal["bedrock", "openai"]
    concurrency: int = Field(4, ge=1, le=512)
    timeout: float = Field(120.0, gt=0)
    # bedrock
    region: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    # bedrock batch inference (variants with ``batch: true``): the role Bedrock assumes and an S3 folder
    batch_role_arn: str | None = None
    batch_s3_uri: str | None = None
    batch_poll_seconds: float = Field(30.0, gt=0)
    # openai-compatible
    base_url: str | None = None
    api_key_env: str | None = "OPENAI_API_KEY"

    def settings(self) -> dict[str, Any]:
        """Keyword settings for :func:`advisor.providers.make_provider` (only the ones for this type)."""
        keys = {"bedrock": ("type", "concurrency", "timeout", "region", "endpoint_url", "profile"),
                "openai": ("type", "concurrency", "timeout", "base_url", "api_key_env")}[self.type]
        return {k: getattr(self, k) for k in keys}


class DatasetConfig(_Strict):
    """The test set: a TAT-QA JSON file or JSON Lines with ``id``, ``answer`` and template fields."""

    path: str
    format: Literal["tatqa", "jsonl"] | None = None
    limit: int | None = Field(None, ge=1)


class FewShotConfig(_Strict):
    """Worked examples inserted as earlier user/assistant turns: JSON Lines of ``{"user", "assistant"}``."""

    path: str
    count: int | None = Field(None, ge=0)


class RetryConfig(_Strict):
    """Back-off for throttling and 5xx: delay base·2^(attempt−1), capped, with jitter; retry-after wins."""

    max_attempts: int = Field(6, ge=1, le=50)
    base_delay: float = Field(1.0, ge=0)
    max_delay: float = Field(60.0, ge=0)


class VariantConfig(_Strict):
    """One column of the comparison: a model on a provider with a prompt."""

    name: str = Field(min_length=1)
    provider: str
    model: str
    prompt: str | None = None
    system: str | None = None
    few_shot: FewShotConfig | None = None
    context_file: str | None = None
    max_tokens: int | None = Field(None, ge=1)
    temperature: float | None = None
    postprocess: str | None = None
    thresholds: dict[str, float] = {}
    batch: bool = False  # send this variant's calls as one Bedrock batch inference job

    @field_validator("name")
    @classmethod
    def _name_ok(cls, v: str) -> str:
        return _safe_name(v)

    @field_validator("thresholds")
    @classmethod
    def _thresholds_finite(cls, v: dict[str, float]) -> dict[str, float]:
        for key, value in v.items():
            if not math.isfinite(value):
                raise ValueError(f"threshold {key}: {value} is not a finite number")
        return v


class JudgeConfig(_Strict):
    """A model that grades each answer against a rubric (model-graded scoring).

    The judge replies with a short reason in ``<reason>…</reason>`` and a verdict in
    ``<judgement>PASS</judgement>`` or ``<judgement>FAIL</judgement>``; its replies are cached and
    shown next to the score. A reply without a readable verdict counts as a failure with its reason."""

    provider: str
    model: str
    rubric: str = Field(min_length=1)
    prompt: str | None = None  # the whole judge prompt template; default: rubric + question + gold + answer
    max_tokens: int = Field(400, ge=1)
    temperature: float | None = 0.0


class StatsConfig(_Strict):
    """Uncertainty: bootstrap resamples, confidence level and seed (results are deterministic)."""

    bootstrap_samples: int = Field(1000, ge=100, le=100_000)
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    seed: int = 0


def _safe_name(v: str) -> str:
    # names become folder and file names: no separators, no "." or ".." (issue 16: name: ../../x)
    if not _SAFE_NAME.fullmatch(v) or set(v) == {"."}:
        raise ValueError("use letters, digits and - _ . + only (it names a folder)")
    return v


class EvalConfig(_Strict):
    """The whole config file."""

    name: str = "eval"
    dataset: DatasetConfig
    metric: Literal["tatqa", "f1", "squad", "exact", "accuracy", "json"]
    providers: dict[str, ProviderConfig]
    variants: list[VariantConfig] = Field(min_length=1)
    prompt: str | None = None
    system: str | None = None
    max_tokens: int = Field(512, ge=1)
    temperature: float | None = 0.0
    postprocess: str = "strip"
    json_schema: str | None = None
    retry: RetryConfig = RetryConfig()
    epoch: int = 0
    cache_dir: str | None = None
    output_dir: str | None = None
    prices: str | None = None
    judge: JudgeConfig | None = None
    stats: StatsConfig = StatsConfig()

    @field_validator("name")
    @classmethod
    def _name_ok(cls, v: str) -> str:
        return _safe_name(v)

    @model_validator(mode="after")
    def _cross_checks(self) -> "EvalConfig":
        names = [v.name for v in self.variants]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"variant names must be unique: {', '.join(dupes)}")
        for v in self.variants:
            if v.provider not in self.providers:
                raise ValueError(f"variant {v.name!r} names unknown provider {v.provider!r}")
            provider = self.providers[v.provider]
            if v.batch and (provider.type != "bedrock" or not provider.batch_role_arn or not provider.batch_s3_uri
                            or not provider.batch_s3_uri.startswith("s3://")):
                raise ValueError(f"variant {v.name!r} sets batch: true; its provider must be bedrock with "
                                 "batch_role_arn and batch_s3_uri (s3://bucket/prefix)")
            if not (v.prompt or self.prompt):
                raise ValueError(f"variant {v.name!r} has no prompt (set prompt: on it or at the top level)")
            post = v.postprocess or self.postprocess
            if post not in POSTPROCESSORS and not post.startswith("regex:"):
                raise ValueError(f"variant {v.name!r}: unknown postprocess {post!r}")
            if post.startswith("regex:"):
                try:
                    re.compile(post[len("regex:"):])
                except re.error as exc:
                    raise ValueError(f"variant {v.name!r}: postprocess {post!r} is not a valid regular "
                                     f"expression: {exc}") from None
        if self.postprocess.startswith("regex:"):
            try:
                re.compile(self.postprocess[len("regex:"):])
            except re.error as exc:
                raise ValueError(f"postprocess {self.postprocess!r} is not a valid regular expression: {exc}") \
                    from None
        if self.judge is not None and self.judge.provider not in self.providers:
            raise ValueError(f"judge names unknown provider {self.judge.provider!r}")
        return self


@dataclass
class LoadedConfig:
    """A validated config with its folder (for relative paths)."""

    config: EvalConfig
    path: Path
    base: Path = field(init=False)

    def __post_init__(self) -> None:
        self.base = self.path.parent

    def resolve(self, value: str | None) -> Path | None:
        """``value`` as a path relative to the config file's folder (``~`` expanded)."""
        if value is None:
            return None
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else self.base / p


class _UnsetVariable(Exception):
    def __init__(self, name: str):
        self.name = name


def _interpolate(value: Any) -> Any:
    """``${VAR}`` → the variable's value; ``${VAR:-default}`` → the default when unset or empty.

    An unset ``${VAR}`` without a default is an error (issue 16: an unset ``base_url`` variable must
    never fall back to the public OpenAI endpoint and send the test set there)."""
    if isinstance(value, str):
        def sub(m: re.Match) -> str:
            current = os.environ.get(m.group(1))
            if m.group(2) is not None:
                return current if current else m.group(2)
            if current is None:
                raise _UnsetVariable(m.group(1))
            return current

        return _ENV.sub(sub, value) or None
    return value


def load_config(path: str | Path) -> LoadedConfig:
    """Read and validate a config file; errors name the file and the line of the offending key."""
    from advisor.knowledge.yamlio import read_yaml

    path = Path(path)
    parsed = read_yaml(path)
    doc = parsed.data
    if not isinstance(doc, dict):
        raise InputError("an eval config is a YAML mapping", location_for(path, 1))
    config = validate_located(EvalConfig, interpolate_providers(doc, parsed), parsed)
    return LoadedConfig(config, path.resolve())


def interpolate_providers(doc: dict[str, Any], parsed) -> dict[str, Any]:
    """``doc`` with ``${VAR}`` read from the environment in every provider's settings; an unset variable
    is an :class:`InputError` at the setting's line (a missing ``base_url`` must never become a default)."""
    providers = doc.get("providers")
    if not isinstance(providers, dict):
        return doc
    out: dict[Any, Any] = {}
    for name, p in providers.items():
        if not isinstance(p, dict):
            out[name] = p
            continue
        out[name] = {}
        for k, v in p.items():
            try:
                out[name][k] = _interpolate(v)
            except _UnsetVariable as exc:
                raise InputError(f"providers.{name}.{k}: the environment variable {exc.name} is not set "
                                 f"(set it, or write ${{{exc.name}:-default}} to give a default)",
                                 parsed.locate(("providers", name, k))) from None
    return {**doc, "providers": out}


def validate_located(schema: type[BaseModel], doc: Any, parsed) -> Any:
    """``schema`` validated from ``doc``; the first error names its dotted key and the line it is on."""
    try:
        return schema.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err.get("loc", ()))
        where = ".".join(str(p) for p in loc)
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        raise InputError(f"{where + ': ' if where else ''}{msg}", parsed.locate(loc)) from None
