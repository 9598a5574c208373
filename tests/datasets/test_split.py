"""``advisor data split``: seeded, de-duplicated, leak-free and within the model's record limits."""

from __future__ import annotations

import json

import pytest

from advisor.datasets.split import split_dataset
from advisor.datasets.validate import validate_dataset
from tests.datasets.conftest import clean_records, record, write_jsonl


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines()


def _prompts(path):
    return {json.dumps([m["content"] for m in json.loads(line)["messages"][:-1]]) for line in _lines(path)}


def test_split_is_seeded_and_complete(tmp_path, model):
    rows = clean_records(200)
    source = write_jsonl(tmp_path / "all.jsonl", rows)
    a = split_dataset(source, tmp_path / "a", model, seed=7)
    b = split_dataset(source, tmp_path / "b", model, seed=7)
    split_dataset(source, tmp_path / "c", model, seed=8)
    assert a.counts == b.counts and sum(a.counts.values()) == 200
    for name in ("train.jsonl", "validation.jsonl", "test.jsonl"):
        assert _lines(tmp_path / "a" / name) == _lines(tmp_path / "b" / name)
    assert _lines(tmp_path / "a" / "test.jsonl") != _lines(tmp_path / "c" / "test.jsonl")
    every = sorted(line for n in ("train", "validation", "test") for line in _lines(tmp_path / "a" / f"{n}.jsonl"))
    assert every == sorted(_lines(source))


def test_counts_follow_fractions_and_minimum_validation(tmp_path, model):
    source = write_jsonl(tmp_path / "all.jsonl", clean_records(200))
    result = split_dataset(source, tmp_path / "out", model, validation=0.1, test=0.1, seed=1)
    # 10 % would be 20 validation records; the model needs 32, and there is room to give them
    assert result.counts == {"train": 148, "validation": 32, "test": 20, "unused": 0}
    assert any("raised to 32" in note for note in result.notes)


def test_duplicates_removed_and_no_prompt_in_two_splits(tmp_path, model):
    rows = clean_records(150)
    rows += rows[:20]  # exact duplicates
    rows += [record(r["messages"][0]["content"], "A different answer.") for r in rows[20:60]]  # same prompts
    source = write_jsonl(tmp_path / "all.jsonl", rows)
    result = split_dataset(source, tmp_path / "out", model, seed=3)
    assert result.duplicates == 20
    assert sum(result.counts.values()) == 190
    splits = {n: _prompts(tmp_path / "out" / f"{n}.jsonl") for n in ("train", "validation", "test")}
    assert not (splits["train"] & splits["validation"] or splits["train"] & splits["test"]
                or splits["validation"] & splits["test"])
    report = validate_dataset(tmp_path / "out" / "train.jsonl", tmp_path / "out" / "validation.jsonl", model)
    assert not [p for p in report.log.kept if p.code in ("leakage", "duplicate")]


def test_model_limits_cap_the_splits(tmp_path, small_model):
    source = write_jsonl(tmp_path / "all.jsonl", clean_records(30))
    result = split_dataset(source, tmp_path / "out", small_model, validation=0.5, test=0.1, seed=0)
    limits = small_model.limits
    assert result.counts["validation"] == limits.max_validation_records
    assert result.counts["train"] == min(limits.max_training_records,
                                         limits.max_total_records - result.counts["validation"])
    assert result.counts["unused"] == 30 - 3 - result.counts["validation"] - result.counts["train"]
    assert len(_lines(tmp_path / "out" / "unused.jsonl")) == result.counts["unused"]
    report = validate_dataset(tmp_path / "out" / "train.jsonl", tmp_path / "out" / "validation.jsonl", small_model)
    assert not [p for p in report.log.kept if p.severity == "error"], report.render_text()


def test_invalid_lines_are_reported_and_left_out(tmp_path, model):
    rows = [*clean_records(50), "{nope", record(answer="")]
    result = split_dataset(write_jsonl(tmp_path / "all.jsonl", rows), tmp_path / "out", model, seed=0)
    assert result.rejected == 2
    assert [p.split(": skipped")[0].rsplit(":", 1)[1] for p in result.problems] == ["51", "52"]
    assert sum(result.counts.values()) == 50


def test_bad_fractions_are_a_usage_error(tmp_path, model):
    from advisor.errors import UsageError

    with pytest.raises(UsageError):
        split_dataset(write_jsonl(tmp_path / "a.jsonl", clean_records(3)), tmp_path / "o", model,
                      validation=0.6, test=0.5)
