"""Files and a loopback model server for the few-shot and stay-on-prompts tests."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakes.fewshot_model import LABELS, LearningModel, make_data

SCHEMA = {"type": "object", "properties": {"label": {"type": "string", "enum": LABELS},
                                           "confidence": {"type": "number"}}, "required": ["label"]}
PRICES = """token_prices:
  - id: m-large
    name: Fake large
    model_ids: [m-large]
    input_per_million: 3.0
    output_per_million: 15.0
    prompt_caching: true
    sources: [test]
  - id: m-small
    name: Fake small
    model_ids: [m-small]
    input_per_million: 0.25
    output_per_million: 1.25
    prompt_caching: true
    sources: [test]
  - id: m-judge
    name: Fake judge
    model_ids: [m-judge]
    input_per_million: 1.0
    output_per_million: 5.0
    prompt_caching: false
    sources: [test]
"""
INSTRUCTION = ("Classify the support ticket into billing, login or shipping. Answer with JSON: the label and your "
               "confidence from 0 to 1. Billing is about invoices, refunds, charges, payments and cards; login about "
               "passwords, locked accounts, sign-in, tokens and usernames; shipping about parcels, couriers, "
               "tracking, delivery and the warehouse.")


def write_data(folder: Path, pool_size: int = 150, test_size: int = 40) -> dict[str, Path]:
    pool, test = make_data(pool_size, test_size)
    files = {"pool": folder / "pool.jsonl", "test": folder / "test.jsonl", "schema": folder / "schema.json",
             "prices": folder / "prices.yaml", "answers": folder / "answers.yaml"}
    files["pool"].write_text("".join(json.dumps(p) + "\n" for p in pool), encoding="utf-8")
    files["test"].write_text("".join(json.dumps(t) + "\n" for t in test), encoding="utf-8")
    files["schema"].write_text(json.dumps(SCHEMA), encoding="utf-8")
    files["prices"].write_text(PRICES, encoding="utf-8")
    files["answers"].write_text("gap_is_factual_recall: false\nfew_shot_examples_tried: 3\n", encoding="utf-8")
    return files


def write_config(folder: Path, server, *, kind: str = "openai", structured: bool = True, caching: str = "true",
                 extra: str = "", name: str = "config.yaml") -> Path:
    if kind == "openai":
        provider = f'{{type: openai, base_url: "{server.openai_base_url}", api_key_env: null}}'
    else:
        provider = f'{{type: bedrock, region: us-east-1, endpoint_url: "{server.base_url}"}}'
    models = "\n".join(
        f"{role}: {{provider: local, id: {model}, structured_output: {str(structured).lower()}, "
        f"prompt_caching: {caching}, min_cache_tokens: 50}}"
        for role, model in (("model", "m-large"), ("small", "m-small"), ("large", "m-large")))
    text = f"""providers:
  local: {provider}
{models}
instruction: "{INSTRUCTION}"
prompt: "{{{{ input }}}}"
metric: accuracy
schema: schema.json
answer_field: label
labels: [billing, login, shipping]
prices: prices.yaml
{extra}"""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


__all__ = ["LearningModel", "write_config", "write_data", "SCHEMA"]
