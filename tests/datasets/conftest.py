"""Fixtures for the dataset tooling: the catalogue model, clean records and JSONL writers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TATQA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "tatqa"


def record(question: str = "What is 2 + 2?", answer: str = "The answer is four.", system: str | None = "Be brief."):
    rec = {"system": system} if system is not None else {}
    rec["messages"] = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return rec


def clean_records(n: int, prefix: str = "q") -> list[dict]:
    """``n`` distinct, valid records."""
    return [record(f"Question {prefix}{i}: what is {i} + {i}?", f"It is {2 * i}, of course.") for i in range(n)]


def write_jsonl(path: Path, rows) -> Path:
    """Write rows (dicts are JSON-encoded, str and bytes written as the raw line) one per line."""
    with open(path, "wb") as out:
        for row in rows:
            if isinstance(row, bytes):
                out.write(row + b"\n")
            elif isinstance(row, str):
                out.write(row.encode("utf-8") + b"\n")
            else:
                out.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
    return path


@pytest.fixture(scope="session")
def model(rulebase):
    from advisor.datasets.catalogue import dataset_model

    return dataset_model(rulebase)


@pytest.fixture
def small_model(model):
    """The catalogue model with tiny limits, so count and size rules can be hit with a few records."""
    limits = model.limits.model_copy(update={
        "min_training_records": 3, "max_training_records": 6, "min_validation_records": 2,
        "max_validation_records": 3, "max_total_records": 8, "max_tokens_per_record": 50,
        "max_training_file_bytes": 10_000, "max_validation_file_bytes": 10_000})
    return model.model_copy(update={"limits": limits})


@pytest.fixture(autouse=True)
def _catalogue_cache(tmp_path_factory, monkeypatch):
    """Keep ``data validate``'s catalogue cache out of the user's cache folder."""
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "advisor-cache"))


def record_2024(question: str = "What is 2 + 2?", answer: str = "The answer is four.",
                system: str | None = "Be brief.") -> dict:
    rec: dict = {"schemaVersion": "bedrock-conversation-2024"}
    if system is not None:
        rec["system"] = [{"text": system}]
    rec["messages"] = [{"role": "user", "content": [{"text": question}]},
                       {"role": "assistant", "content": [{"text": answer}]}]
    return rec


def clean_records_2024(n: int, prefix: str = "q") -> list[dict]:
    """``n`` distinct, valid ``bedrock-conversation-2024`` records."""
    return [record_2024(f"Question {prefix}{i}: what is {i} + {i}?", f"It is {2 * i}, of course.") for i in range(n)]


@pytest.fixture(scope="session")
def nova(rulebase):
    from advisor.datasets.catalogue import dataset_model

    return dataset_model(rulebase, "nova-micro")


@pytest.fixture(scope="session")
def nova2(rulebase):
    from advisor.datasets.catalogue import dataset_model

    return dataset_model(rulebase, "nova-2-lite")
