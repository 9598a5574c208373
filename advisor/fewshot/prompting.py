"""What the few-shot and stay-on-prompts launchers share: their config, prompts, calls, scores and costs.

The config (YAML, ``--config FILE``)::

    providers:                      # the same shape as `advisor eval run` providers
      local: {type: openai, base_url: "http://127.0.0.1:8000/v1", api_key_env: null}
    model: {provider: local, id: my-model}          # few_shot: the model to sweep
    small: {provider: local, id: small-model}       # stay_on_prompts: the cascade's two models
    large: {provider: local, id: large-model}
    instruction: "Classify the support ticket ..."  # the static part of the prompt
    prompt: "{{ input }}"                           # the per-input part (Jinja, fields of the test line)
    metric: accuracy                                # accuracy | exact | f1 | json
    schema: answer.schema.json                      # JSON Schema of the answer (optional)
    answer_field: label                             # compare this field of a JSON answer with the gold
    labels: [billing, login, shipping]              # allowed labels (optional)
    max_tokens: 200
    prices: my-prices.yaml                          # extra prices, same shape as rules/prices.yaml

Each model entry may say ``structured_output: true`` (the model takes a JSON Schema: Converse
``outputConfig`` / OpenAI ``response_format``; otherwise the answer is prefilled with ``{``),
``prompt_caching: auto|true|false`` (auto: the model caches when the catalogue, ``rules/models.yaml``,
or the price table, ``rules/prices.yaml`` plus the config's ``prices:``, says it does) and
``min_cache_tokens`` (the smallest prefix the provider caches; by default the price table's
``min_cacheable_tokens`` for the model; where no source gives a figure, the cache point is placed and
the measured cache hit share shows whether the provider used it). The prefix is estimated as
characters / 3.

Prompts are built static-first: the instruction and, when present, the static example block form the
system prompt, with a cache point after it where the model caches; the per-input examples and the
input follow in the user turn. Costs count cached input tokens at the cache rate from the providers'
usage fields (Converse ``cacheReadInputTokens``/``cacheWriteInputTokens``; OpenAI
``prompt_tokens_details.cached_tokens``, which is part of ``prompt_tokens``).
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from pydantic import BaseModel, ConfigDict, Field, model_validator

from advisor.errors import InputError, UsageError, location_for
from advisor.evals.config import ProviderConfig, interpolate_providers, validate_located

if TYPE_CHECKING:
    from advisor.evals.harness import _TemplateCache
    from advisor.knowledge.prices import PricesFile

_GEO_PREFIXES = {"us", "eu", "apac", "global", "us-gov", "jp", "au", "ca"}

__all__ = ["ModelRef", "PromptConfig", "load_prompt_config", "Prompting", "example_block", "VariantResult"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelRef(_Strict):
    provider: str
    id: str = Field(min_length=1)
    structured_output: bool = False
    prompt_caching: Literal["auto", True, False] = "auto"
    min_cache_tokens: int | None = Field(None, ge=0)  # None: the price table's min_cacheable_tokens


class JudgeRef(ModelRef):
    rubric: str = "The answer is correct for the input."


class EscalateConfig(_Strict):
    schema_fail: bool = True  # escalate when the answer is not valid JSON / does not fit the schema
    min_confidence: float | None = Field(0.7, ge=0, le=1)  # escalate below this confidence
    confidence_field: str = "confidence"
    unknown_label: bool = True  # escalate a label outside ``labels``
    judge: JudgeRef | None = None


class PromptConfig(_Strict):
    providers: dict[str, ProviderConfig]
    model: ModelRef | None = None
    small: ModelRef | None = None
    large: ModelRef | None = None
    instruction: str = Field(min_length=1)
    prompt: str = "{{ input }}"
    metric: Literal["accuracy", "exact", "f1", "json"] = "accuracy"
    schema_path: str | None = Field(None, alias="schema")
    answer_field: str | None = None
    labels: list[str] = []
    max_tokens: int = Field(256, ge=1)
    temperature: float | None = 0.0
    prices: str | None = None
    escalate: EscalateConfig = EscalateConfig()
    offline_share: float | None = Field(None, ge=0, le=1)
    concurrency: int | None = Field(None, ge=1)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _refs(self) -> "PromptConfig":
        for name in ("model", "small", "large"):
            ref = getattr(self, name)
            if ref is not None and ref.provider not in self.providers:
                raise ValueError(f"{name} names unknown provider {ref.provider!r}")
        if self.escalate.judge is not None and self.escalate.judge.provider not in self.providers:
            raise ValueError(f"escalate.judge names unknown provider {self.escalate.judge.provider!r}")
        return self


@dataclass
class LoadedPromptConfig:
    config: PromptConfig
    path: Path
    schema: Any = None

    @overload
    def resolve(self, value: str) -> Path: ...

    @overload
    def resolve(self, value: str | None) -> Path | None: ...

    def resolve(self, value: str | None) -> Path | None:
        if value is None:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.path.parent / p


def load_prompt_config(path: str | Path) -> LoadedPromptConfig:
    """Read and check a launcher config; errors name the file and the line of the offending key."""
    from advisor.knowledge.yamlio import read_yaml

    path = Path(path)
    if not path.is_file():
        raise InputError("config file not found", location_for(path))
    parsed = read_yaml(path)
    doc = parsed.data
    if not isinstance(doc, dict):
        raise InputError("the config is a YAML mapping", location_for(path, 1))
    config = validate_located(PromptConfig, interpolate_providers(doc, parsed), parsed)
    loaded = LoadedPromptConfig(config, path.resolve())
    if config.schema_path:
        from advisor.evals.schema import load_schema

        loaded.schema = load_schema(loaded.resolve(config.schema_path))
    if config.prices:
        p = loaded.resolve(config.prices)
        if not p.is_file():
            raise InputError("prices file not found", location_for(p))
    return loaded


# --- prompts ---------------------------------------------------------------------------------------------

def example_block(examples) -> str:
    """Worked examples as an XML block (tags mark the parts, as the seeds advise); text is escaped."""
    if not examples:
        return ""
    parts = ["<examples>"]
    for e in examples:
        parts.append(f"<example><input>{html.escape(e.input, quote=False)}</input>"
                     f"<output>{html.escape(e.output, quote=False)}</output></example>")
    parts.append("</examples>")
    return "\n".join(parts)


def estimate_tokens(text: str) -> int:
    return len(text) // 3


@dataclass
class VariantResult:
    """One variant's measured figures over the test set."""

    name: str
    model: str
    k: int
    mode: str  # "none", "static", "select", "small", "large", "cascade"
    quality: float  # 0-100
    count: int
    errors: int
    cost_per_1000: float | None
    input_tokens: float
    cached_share: float  # share of input tokens served from the prompt cache
    latency_ms: float | None
    extra: dict[str, Any] = field(default_factory=dict)
    output_tokens: float = 0.0  # mean output tokens of an answered call

    def as_row(self) -> dict[str, Any]:
        return {"variant": self.name, "model": self.model, "k": self.k, "mode": self.mode,
                "quality": round(self.quality, 2), "count": self.count, "errors": self.errors,
                "cost_per_1000_usd": None if self.cost_per_1000 is None else round(self.cost_per_1000, 6),
                "mean_input_tokens": round(self.input_tokens, 1), "mean_output_tokens": round(self.output_tokens, 1),
                "cache_hit_share": round(self.cached_share, 3),
                "mean_latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1), **self.extra}


class Prompting:
    """Builds requests for one config and turns answers into scores and costs."""

    def __init__(self, loaded: LoadedPromptConfig, rulebase=None):
        self.loaded = loaded
        self.cfg = loaded.config
        self.rulebase = rulebase
        self._prices: PricesFile | None = None
        self._templates: _TemplateCache | None = None

    # prices and catalogue -------------------------------------------------------------------------------
    @property
    def prices(self) -> PricesFile:
        if self._prices is None:
            from advisor.knowledge.prices import PricesFile, load_user_prices, prices_of

            table = prices_of(self.rulebase) if self.rulebase is not None else PricesFile()
            if self.cfg.prices:
                table = table.merged(load_user_prices(self.loaded.resolve(self.cfg.prices)))
            self._prices = table
        return self._prices

    def catalogue_entry(self, ref: ModelRef):
        """The catalogue model (rules/models.yaml) this id names, also as a cross-region inference profile
        (``us.amazon.nova-micro-v1:0``); None when the catalogue does not list it."""
        if self.rulebase is None:
            return None
        wanted = {ref.id}
        head, _, rest = ref.id.partition(".")
        if head in _GEO_PREFIXES and rest:
            wanted.add(rest)
        for entry in self.rulebase.models.values():
            if wanted & {entry.id, entry.base_model_id, entry.inference_model_id}:
                return entry
        return None

    def price_for(self, ref: ModelRef):
        """The sourced price for this id (cross-region profiles resolve to the model's price)."""
        price = self.prices.for_model(ref.id)
        head, _, rest = ref.id.partition(".")
        if price is None and head in _GEO_PREFIXES and rest:
            price = self.prices.for_model(rest)
        return price

    def caches(self, ref: ModelRef) -> tuple[bool, str]:
        """Whether to place a cache point for this model, and why (the config's word, else the catalogue's
        or the price table's: either saying the model caches is enough; both are sourced)."""
        if ref.prompt_caching is True or ref.prompt_caching is False:
            return bool(ref.prompt_caching), f"config: prompt_caching={ref.prompt_caching}" + self._minimum_text(ref)
        entry = self.catalogue_entry(ref)
        price = self.price_for(ref)
        if entry is not None and entry.prompt_caching:
            cited = ", ".join(getattr(entry, "prompt_caching_sources", None) or entry.sources)
            return True, f"catalogue: {entry.name} caches prompts (sources: {cited})" + self._minimum_text(ref)
        if price is not None and price.prompt_caching:
            return True, f"price table: {price.name} caches prompts" + self._minimum_text(ref)
        if entry is not None:
            return False, f"catalogue: {entry.name} does not cache prompts"
        if price is not None:
            return False, f"price table: {price.name} has no prompt caching"
        return False, "the catalogue does not list this model; set prompt_caching: true in the config if it caches"

    def min_cache_tokens(self, ref: ModelRef) -> tuple[int | None, str]:
        """The smallest prefix the model caches and where the figure comes from (None: no source gives one)."""
        if ref.min_cache_tokens is not None:
            return ref.min_cache_tokens, "config"
        price = self.price_for(ref)
        if price is not None and price.min_cacheable_tokens is not None:
            return price.min_cacheable_tokens, f"price table, {price.name}"
        return None, "not documented in the sources"

    def _minimum_text(self, ref: ModelRef) -> str:
        minimum, where = self.min_cache_tokens(ref)
        if minimum is None:
            return "; minimum cacheable prefix not documented in the sources (the measured hit share shows it)"
        return f"; minimum cacheable prefix {minimum:,} tokens ({where})"

    def cache_rate_note(self, ref: ModelRef) -> str | None:
        """Why cached tokens are billed at the full input price, when they are."""
        price = self.price_for(ref)
        if price is None or (price.prompt_caching and self.prices.prompt_caching is not None):
            return None
        return (f"no sourced cache rate for {price.name}: cached input tokens are counted at the full input price "
                "(an upper bound)")

    def provider_kind(self, ref: ModelRef) -> str:
        return self.cfg.providers[ref.provider].type

    def make_providers(self) -> dict[str, Any]:
        from advisor.providers import make_provider

        out = {}
        for name, p in self.cfg.providers.items():
            settings = p.settings()
            if self.cfg.concurrency:
                settings["concurrency"] = self.cfg.concurrency
            out[name] = make_provider(name, settings)
        return out

    # requests ---------------------------------------------------------------------------------------------
    def render(self, fields: dict[str, Any]) -> str:
        if self._templates is None:
            from advisor.evals.harness import _TemplateCache

            self._templates = _TemplateCache()
        return self._templates.render(self.cfg.prompt, fields, f"{self.loaded.path}: prompt")

    def system_prompt(self, static_examples=()) -> str:
        block = example_block(static_examples)
        return self.cfg.instruction.strip() + ("\n\n" + block if block else "")

    def request(self, ref: ModelRef, fields: dict[str, Any], static_examples=(), selected=(), cache: bool = False):
        """(ChatRequest, prefilled) for one input: static block in the system prompt, selected examples
        and the input in the user turn; a JSON Schema as structured output, or a prefilled ``{``."""
        from advisor.providers import ChatRequest

        system = self.system_prompt(static_examples)
        user = self.render(fields)
        block = example_block(selected)
        if block:
            user = f"{block}\n\n<input>{user}</input>"
        messages: list[tuple[str, str]] = [("user", user)]
        schema_text = None
        prefilled = False
        wants_json = self.loaded.schema is not None or self.cfg.answer_field is not None or self.cfg.metric == "json"
        if wants_json and ref.structured_output and self.loaded.schema is not None:
            schema_text = json.dumps(self.loaded.schema, sort_keys=True)
        elif wants_json:
            messages.append(("assistant", "{"))
            prefilled = True
        minimum, _ = self.min_cache_tokens(ref)
        use_cache = cache and (minimum is None or estimate_tokens(system) >= minimum)
        return ChatRequest(model=ref.id, messages=tuple(messages), system=system, max_tokens=self.cfg.max_tokens,
                           temperature=self.cfg.temperature, cache_system=use_cache,
                           response_schema=schema_text), prefilled

    # answers ------------------------------------------------------------------------------------------------
    def parse(self, text: str | None, prefilled: bool) -> tuple[Any, Any]:
        """(prediction for the metric, the parsed JSON or None)."""
        text = text or ""
        if prefilled and not text.lstrip().startswith("{"):
            text = "{" + text
        doc = None
        if self.loaded.schema is not None or self.cfg.answer_field or self.cfg.metric == "json":
            try:
                doc = json.loads(text)
            except (ValueError, RecursionError):
                doc = None
        if self.cfg.metric == "json":
            return text, doc
        if self.cfg.answer_field:
            value = doc.get(self.cfg.answer_field) if isinstance(doc, dict) else None
            return ("" if value is None else str(value)), doc
        return text.strip(), doc

    def schema_ok(self, doc: Any) -> bool:
        if doc is None:
            return False
        if self.loaded.schema is None:
            return True
        from advisor.evals.metrics import _matches

        return _matches(self.loaded.schema, doc)

    def score(self, gold: Any, prediction: Any) -> float:
        from advisor.evals.metrics import score_example

        scores = score_example(self.cfg.metric, gold, prediction, self.loaded.schema)
        key = {"accuracy": "accuracy", "exact": "exact_match", "f1": "f1", "json": "matches_schema"}[self.cfg.metric]
        return scores[key]

    # costs ----------------------------------------------------------------------------------------------------
    def row_cost(self, ref: ModelRef, row: dict[str, Any], batch: bool = False) -> float | None:
        """US dollars for one answered call, cached input at the cache rates; None without a price."""
        price = self.price_for(ref)
        if price is None:
            return None
        inp = int(row.get("input_tokens") or 0)
        out = int(row.get("output_tokens") or 0)
        read = int(row.get("cache_read_tokens") or 0)
        write = int(row.get("cache_write_tokens") or 0)
        if self.provider_kind(ref) == "openai":
            fresh = max(0, inp - read)  # OpenAI's prompt_tokens include the cached ones
        else:
            fresh = inp  # Converse's inputTokens leave out cache reads and writes
        rates = self.prices.prompt_caching
        r_mult = rates.cache_read_multiplier if rates and price.prompt_caching else 1.0
        w_mult = rates.cache_write_multiplier if rates and price.prompt_caching else 1.0
        cost = ((fresh + read * r_mult + write * w_mult) * price.input_per_million
                + out * price.output_per_million) / 1_000_000
        if batch:
            cost *= self.batch_multiplier()
        return cost

    def upper_bound(self, ref: ModelRef, request, calls: int) -> float | None:
        """An upper bound in US dollars for ``calls`` requests like ``request`` (input = characters / 3,
        output = max_tokens, no cache discount); None without a sourced price."""
        price = self.price_for(ref)
        if price is None:
            return None
        chars = len(request.system or "") + sum(len(t) for _, t in request.messages)
        return calls * price.cost(chars // 3 + 8 * (len(request.messages) + 1), int(request.max_tokens))

    def batch_multiplier(self) -> float:
        d = self.prices.batch_discount
        return d.multiplier if d else 0.5

    def input_tokens_total(self, ref: ModelRef, row: dict[str, Any]) -> tuple[int, int]:
        """(all input tokens, of which read from the cache)."""
        inp = int(row.get("input_tokens") or 0)
        read = int(row.get("cache_read_tokens") or 0)
        write = int(row.get("cache_write_tokens") or 0)
        if self.provider_kind(ref) == "openai":
            return inp, read
        return inp + read + write, read


def parse_bar(text: str | None) -> tuple[str, float] | None:
    """``METRIC=VALUE`` (VALUE in percent, or a 0-1 share) → (metric, percent)."""
    if not text:
        return None
    if "=" not in text:
        raise UsageError(f"--bar {text!r}: write METRIC=VALUE, e.g. accuracy=90")
    metric, value = text.split("=", 1)
    try:
        v = float(value.rstrip("%"))
    except ValueError:
        raise UsageError(f"--bar {text!r}: {value!r} is not a number") from None
    if not math.isfinite(v) or v < 0:
        raise UsageError(f"--bar {text!r}: the value must be a positive number")
    return metric.strip(), v * 100 if v <= 1 else v
