"""The ``advisor launch distill --config FILE`` file (YAML, read with ``yaml.safe_load``).

Every model block (``teacher``, ``judge``, ``relabel``, ``student.endpoint``, ``student.base_endpoint``) is
a provider in the same shape as ``eval run``'s providers (``type: openai | bedrock``, ``base_url`` or
``region``, ``concurrency``, ``timeout``, ``api_key_env`` …) plus the ``model`` to call. ``${VAR}`` and
``${VAR:-default}`` read the environment, as in eval configs. Relative paths are resolved against the
config file's folder. A minimal file::

    teacher: {type: openai, base_url: "http://127.0.0.1:8000/v1", api_key_env: null, model: big-model,
              terms: "https://example.com/terms (outputs may train other models?)"}
    student: {model: Qwen/Qwen2.5-1.5B-Instruct, licence: Apache-2.0}
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from advisor.errors import InputError, location_for
from advisor.evals.config import ProviderConfig

TRAINERS = ("trl", "llamafactory", "axolotl")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelEndpoint(ProviderConfig):
    """A provider (eval run's shape) plus the model to call and its sampling settings."""

    model: str = Field(min_length=1)
    max_tokens: int = Field(1024, ge=1)
    temperature: float | None = 0.0
    system: str | None = None  # replaces the prompt's own system prompt when set

    @model_validator(mode="after")
    def _where(self) -> "ModelEndpoint":
        if self.type == "openai" and not self.base_url and self.api_key_env is None:
            raise ValueError("an openai provider needs base_url (a local server) or api_key_env (the OpenAI API)")
        return self


class BatchRoute(_Strict):
    """Bedrock batch inference for the teacher when the prompts reach the job minimum."""

    role_arn: str
    s3_uri: str
    min_records: int = Field(100, ge=1)  # the per-job minimum is a quota (batch-inference-data.html)
    poll_seconds: float = Field(30.0, gt=0)

    @field_validator("s3_uri")
    @classmethod
    def _s3(cls, v: str) -> str:
        if not v.startswith("s3://") or len(v) <= 5:
            raise ValueError("use s3://bucket/prefix")
        return v.rstrip("/")


class Teacher(ModelEndpoint):
    terms: str | None = None  # the teacher's terms of service (URL or name): listed for the user to confirm
    batch: BatchRoute | None = None
    price_input_per_million: float | None = Field(None, ge=0)
    price_output_per_million: float | None = Field(None, ge=0)


class Student(_Strict):
    model: str = Field(min_length=1)  # the base model the trainers load (e.g. a Hugging Face id)
    licence: str | None = None  # listed for the user to confirm
    endpoint: ModelEndpoint | None = None  # the trained student behind an OpenAI-compatible server
    base_endpoint: ModelEndpoint | None = None  # the untrained student, for comparison
    gpu_hourly_usd: float | None = Field(None, ge=0)  # serving cost; else the answers file's gpu_hourly_usd


class Holdout(_Strict):
    fraction: float = Field(0.1, gt=0, lt=1)
    min_count: int = Field(30, ge=1)
    max_count: int = Field(1000, ge=1)
    seed: int = 0


class CommandFilter(_Strict):
    argv: list[str] = Field(min_length=1)  # run without a shell; {answer_file} {prompt_file} {gold_file}
    timeout: float = Field(10.0, gt=0)


class GoldFilter(_Strict):
    metric: Literal["exact", "f1"] = "exact"
    min: float = Field(1.0, ge=0, le=1)


class Filters(_Strict):
    min_chars: int = Field(1, ge=0)
    max_chars: int | None = Field(None, ge=1)
    max_output_tokens: int | None = Field(None, ge=1)  # drops answers cut at max_tokens too
    refusals: bool = True
    refusal_patterns: list[str] = []
    regex: str | None = None
    json_schema: str | None = None  # a file; only internal $refs are resolved, nothing is fetched
    gold: GoldFilter | None = None
    command: CommandFilter | None = None
    dedupe: bool = True

    @field_validator("regex")
    @classmethod
    def _regex(cls, v):
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return v


class Judge(ModelEndpoint):
    labelled: str | None = None  # JSONL with prompt, answer, label (correct|incorrect): agreement check
    min_agreement: float | None = Field(None, ge=0, le=1)  # stop the launch below this (optional)
    max_tokens: int = Field(400, ge=1)


class Managed(_Strict):
    """A Bedrock distillation job (customizationType DISTILLATION)."""

    teacher: str
    student: str
    region: str | None = None
    bucket: str
    prefix: str = "advisor"
    role_arn: str
    max_response_length: int = Field(1000, ge=1, le=32000)


class Train(_Strict):
    trainer: Literal["trl", "llamafactory", "axolotl"] = "trl"
    lora_r: int | None = Field(None, ge=1)
    lora_alpha: int | None = Field(None, ge=1)
    lora_dropout: float | None = Field(None, ge=0, lt=1)
    learning_rate: float | None = Field(None, gt=0)
    epochs: int | None = Field(None, ge=1)
    max_length: int | None = Field(None, ge=64)


class Evaluate(_Strict):
    metric: Literal["f1", "exact", "squad", "accuracy"] = "f1"
    quality_bar: float = Field(0.8, ge=0, le=1)  # a per-example score the student must reach


class DistillConfig(_Strict):
    teacher: Teacher | None = None  # needed unless managed: (Bedrock's teacher answers there)
    student: Student
    holdout: Holdout = Holdout()
    filters: Filters = Filters()
    judge: Judge | None = None
    relabel: ModelEndpoint | None = None
    train: Train = Train()
    managed: Managed | None = None
    evaluate: Evaluate = Evaluate()
    retry_attempts: int = Field(6, ge=1, le=50)
    retry_base_delay: float = Field(1.0, ge=0)
    retry_max_delay: float = Field(60.0, ge=0)

    @model_validator(mode="after")
    def _checks(self) -> "DistillConfig":
        if self.teacher is None and self.managed is None:
            raise ValueError("teacher: is required (a provider plus model), unless managed: runs a Bedrock "
                             "distillation job")
        if self.teacher is None:
            return self
        if self.teacher.batch is not None and self.teacher.type != "bedrock":
            raise ValueError("teacher.batch (Bedrock batch inference) needs teacher.type: bedrock")
        for name in ("price_input_per_million", "price_output_per_million"):
            value = getattr(self.teacher, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"teacher.{name} is not a finite number")
        return self


@dataclass
class LoadedDistillConfig:
    config: DistillConfig
    path: Path
    base: Path = field(init=False)

    def __post_init__(self) -> None:
        self.base = self.path.parent

    def resolve(self, value: str | None) -> Path | None:
        if value is None:
            return None

        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else self.base / p


def _interpolate_tree(node: Any, where: tuple, parsed) -> Any:
    from advisor.evals.config import _interpolate, _UnsetVariable

    if isinstance(node, dict):
        return {k: _interpolate_tree(v, where + (k,), parsed) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate_tree(v, where + (i,), parsed) for i, v in enumerate(node)]
    if isinstance(node, str) and "${" in node:
        try:
            return _interpolate(node)
        except _UnsetVariable as exc:
            raise InputError(f"{'.'.join(map(str, where))}: the environment variable {exc.name} is not set "
                             f"(set it, or write ${{{exc.name}:-default}})", parsed.locate(where)) from None
    return node


def load_distill_config(path: str | Path) -> LoadedDistillConfig:
    """Read and validate; errors name the file and the line of the offending key (exit 2)."""
    from advisor.knowledge.yamlio import read_yaml

    path = Path(path)
    parsed = read_yaml(path)
    doc = parsed.data
    if not isinstance(doc, dict):
        raise InputError("a distill config is a YAML mapping with teacher: and student:", location_for(path, 1))
    doc = _interpolate_tree(doc, (), parsed)
    from advisor.evals.config import validate_located

    config = validate_located(DistillConfig, doc, parsed)
    return LoadedDistillConfig(config, path.resolve())
