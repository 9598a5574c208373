"""``advisor data stats``: distributions, system-prompt share, class labels and the hyperparameter plan."""

from __future__ import annotations

from advisor.datasets.stats import Distribution, dataset_stats
from tests.datasets.conftest import clean_records, record, write_jsonl


def test_distribution_uses_nearest_rank_p90():
    d = Distribution.of(list(range(1, 11)))
    assert (d.min, d.mean, d.median, d.p90, d.max) == (1, 5.5, 5.5, 9, 10)
    assert Distribution.of([]).max == 0


def test_token_turn_and_answer_distributions(tmp_path, model, rulebase):
    rows = [record(question="q" * 30, answer="a" * 9, system=None),        # 39 chars -> 13 tokens
            record(question="q" * 60, answer="a" * 30, system="s" * 30),   # 120 chars -> 40 tokens
            {"messages": [{"role": "user", "content": "u" * 3}, {"role": "assistant", "content": "b" * 6},
                          {"role": "user", "content": "v" * 3}, {"role": "assistant", "content": "c" * 3}]},
            "{broken"]
    stats = dataset_stats(write_jsonl(tmp_path / "t.jsonl", rows), model, rulebase)
    assert (stats.records, stats.usable_records, stats.skipped_lines) == (4, 3, 1)
    assert stats.tokens.to_dict() == {"min": 5, "mean": 19.3, "median": 13, "p90": 40, "max": 40}
    assert (stats.turns.min, stats.turns.max) == (2, 4)
    assert stats.answer_chars.to_dict() == {"min": 3, "mean": 14.0, "median": 9, "p90": 30, "max": 30}
    assert stats.with_system_prompt == 1
    assert stats.tokens_total == 58


def test_hyperparameters_follow_the_rule_base(tmp_path, model, rulebase):
    stats = dataset_stats(write_jsonl(tmp_path / "t.jsonl", clean_records(40)), model, rulebase)
    plan = {h.name: h for h in stats.hyperparameters}
    assert plan["epochCount"].rule == "epochs_tiny_dataset" and plan["epochCount"].value == 6
    assert plan["batchSize"].rule == "batch_small_dataset"
    text = stats.render_text()
    assert "recommended hyperparameters for 40 training records" in text
    assert "rule epochs_tiny_dataset:" in text and "seed_003" in text


def test_class_labels_are_detected(tmp_path, model, rulebase):
    labels = ["positive", "negative", "neutral"]
    rows = [record(question=f"Review {i}: fine", answer=labels[i % 3]) for i in range(30)]
    stats = dataset_stats(write_jsonl(tmp_path / "t.jsonl", rows), model, rulebase)
    assert stats.labels == {"positive": 10, "negative": 10, "neutral": 10}
    assert "answers look like class labels (3 distinct)" in stats.render_text()


def test_free_text_answers_have_no_labels(tmp_path, model, rulebase):
    stats = dataset_stats(write_jsonl(tmp_path / "t.jsonl", clean_records(40)), model, rulebase)
    assert stats.labels is None and "class labels" not in stats.render_text()


def test_json_keys(tmp_path, model, rulebase):
    data = dataset_stats(write_jsonl(tmp_path / "t.jsonl", clean_records(5)), model, rulebase).to_dict()
    assert {"records", "usable_records", "tokens", "turns", "answer_chars", "answer_tokens", "with_system_prompt",
            "labels", "hyperparameters", "tokens_total"} <= set(data)
    assert {"name", "value", "range", "default", "rule", "because", "sources"} == set(data["hyperparameters"][0])


def test_record_count_outside_the_model_limits_is_noted(tmp_path, model, rulebase):
    stats = dataset_stats(write_jsonl(tmp_path / "t.jsonl", clean_records(5)), model, rulebase)
    assert stats.notes == ["5 usable records: claude-3-haiku needs at least 32 training records"]
    assert "note: 5 usable records" in stats.render_text()
