"""Few-shot selection: similar, diverse, label-balanced, never the query, deterministic, cached by content."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advisor.errors import InputError
from advisor.fewshot import SelectionSettings, Selector, load_pool


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def tickets(tmp_path) -> Path:
    rows = []
    topics = {"billing": ["invoice", "refund", "charge"], "login": ["password", "locked", "username"],
              "shipping": ["parcel", "courier", "tracking"]}
    n = 0
    for label, words in topics.items():
        for w in words:
            for extra in ("late", "wrong", "missing", "twice"):
                n += 1
                rows.append({"input": f"my {w} is {extra} case {n}", "output": label, "label": label})
    return write(tmp_path / "pool.jsonl", rows)


def test_selects_similar_examples_by_line_number(tickets, tmp_path):
    with Selector(tickets, tmp_path / "cache") as s:
        chosen = s.select("a refund that never came", 3)
    lines = tickets.read_text().splitlines()
    assert len(chosen) == 3
    first = chosen[0]
    assert "refund" in first.example.input
    assert json.loads(lines[first.example.id - 1])["input"] == first.example.input  # id is the line number
    assert first.score > 0


def test_never_returns_the_query_or_a_duplicate_of_it(tmp_path):
    pool = write(tmp_path / "pool.jsonl", [
        {"input": "Parcel lost in transit", "output": "a"},
        {"input": "parcel  LOST in transit ", "output": "b"},   # the same input, spaced and cased differently
        {"input": "Parcel arrived damaged", "output": "c"},
        {"input": "Parcel arrived damaged", "output": "d"},      # a duplicate within the pool
        {"input": "Parcel tracking number missing", "output": "e"}])
    with Selector(pool, tmp_path / "cache") as s:
        chosen = s.select("parcel lost in transit", 5)
    ids = [c.example.id for c in chosen]
    assert 1 not in ids and 2 not in ids
    assert 4 not in ids and 3 in ids  # of two identical inputs only the first line is offered
    assert sorted(ids) == [3, 5]


def test_label_balance_and_diversity(tmp_path):
    rows = [{"input": f"refund refund invoice {i}", "output": "x", "label": "billing"} for i in range(10)]
    rows += [{"input": f"refund for a parcel {i}", "output": "y", "label": "shipping"} for i in range(3)]
    pool = write(tmp_path / "pool.jsonl", rows)
    with Selector(pool, tmp_path / "c", SelectionSettings(mmr_lambda=1.0, balance_labels=False)) as s:
        plain = [c.example.label for c in s.select("refund refund invoice", 4)]
    with Selector(pool, tmp_path / "c") as s:
        balanced = [c.example.label for c in s.select("refund refund invoice", 4)]
    assert plain == ["billing"] * 4
    assert balanced.count("billing") == 2 and balanced.count("shipping") == 2


def test_mmr_prefers_different_examples(tmp_path):
    rows = [{"input": "reset my password please", "output": "1"}] * 1
    rows += [{"input": f"reset my password please now {i}", "output": str(i)} for i in range(5)]
    rows += [{"input": "password expired after travel abroad", "output": "z"}]
    pool = write(tmp_path / "pool.jsonl", rows)
    with Selector(pool, tmp_path / "c", SelectionSettings(mmr_lambda=1.0)) as s:
        top = [c.example.id for c in s.select("password reset", 3)]
    with Selector(pool, tmp_path / "c", SelectionSettings(mmr_lambda=0.3)) as s:
        diverse = [c.example.id for c in s.select("password reset", 3)]
    assert 7 not in top and 7 in diverse


def test_words_a_document_question_would_drop_still_match(tmp_path):
    # "order", "number" and "change" are how questions about documents ask; in a ticket they are the topic.
    pool = write(tmp_path / "pool.jsonl", [
        {"input": "password locked after update", "output": "a"},
        {"input": "order number missing from email", "output": "b"},
        {"input": "printer jammed again", "output": "c"},
        {"input": "change delivery address", "output": "d"}])
    with Selector(pool, tmp_path / "c", SelectionSettings(mmr_lambda=1.0)) as s:
        assert [c.example.id for c in s.select("which order number", 1)] == [2]
        assert [c.example.id for c in s.select("change the address", 1)] == [4]
        assert all(c.score > 0 for c in s.select("which order number", 1))  # a BM25 match, not a fill-in


def test_deterministic_and_cached_by_content(tickets, tmp_path):
    cache = tmp_path / "cache"
    with Selector(tickets, cache) as s:
        first = [c.to_json() for c in s.select("courier is late", 5)]
        assert not s.cache_hit
    with Selector(tickets, cache) as s:
        again = [c.to_json() for c in s.select("courier is late", 5)]
        assert s.cache_hit  # the pool's index was opened, not rebuilt
    assert first == again
    assert len(list(cache.glob("*.sqlite"))) == 1
    tickets.write_text(tickets.read_text() + json.dumps({"input": "courier is late again", "output": "n",
                                                          "label": "shipping"}) + "\n")
    with Selector(tickets, cache) as s:
        assert not s.cache_hit
        assert s.select("courier is late", 1)[0].example.input == "courier is late again"
    assert len(list(cache.glob("*.sqlite"))) == 2


def test_fills_from_the_pool_when_few_examples_match(tickets, tmp_path):
    with Selector(tickets, tmp_path / "c") as s:
        chosen = s.select("zebra", 6)
    labels = [c.example.label for c in chosen]
    assert len(chosen) == 6 and all(c.score == 0 for c in chosen)
    assert sorted(labels) == ["billing"] * 2 + ["login"] * 2 + ["shipping"] * 2


def test_static_block_is_balanced_and_excludes_test_inputs(tickets, tmp_path):
    with Selector(tickets, tmp_path / "c") as s:
        block = s.static(6, exclude=["my invoice is late case 1"])
    assert len(block) == 6
    assert sorted(b.example.label for b in block) == ["billing"] * 2 + ["login"] * 2 + ["shipping"] * 2
    assert all(b.example.input != "my invoice is late case 1" for b in block)


def test_bedrock_record_formats(tmp_path):
    pool = write(tmp_path / "pool.jsonl", [
        {"system": "s", "messages": [{"role": "user", "content": "where is my parcel"},
                                     {"role": "assistant", "content": "shipping"}]},
        {"schemaVersion": "bedrock-conversation-2024", "system": [{"text": "s"}],
         "messages": [{"role": "user", "content": [{"text": "refund please"}]},
                      {"role": "assistant", "content": [{"text": "billing"}]}]}])
    loaded = load_pool(pool)
    assert [(e.id, e.input, e.output, e.label) for e in loaded.examples] == [
        (1, "where is my parcel", "shipping", None), (2, "refund please", "billing", None)]


def test_bad_line_names_file_and_line(tmp_path):
    pool = tmp_path / "pool.jsonl"
    pool.write_text('{"input": "a", "output": "b"}\n\n{"question": "x"}\n')
    with pytest.raises(InputError) as err:
        load_pool(pool)
    assert str(err.value).endswith("pool.jsonl:3: expected a Bedrock conversation record (\"messages\") or "
                                   "{\"input\", \"output\"[, \"label\"]}")


def test_test_set_in_bedrock_format(tmp_path):
    from advisor.fewshot.runner import load_test

    test = write(tmp_path / "test.jsonl", [
        {"system": "s", "messages": [{"role": "user", "content": "where is my parcel"},
                                     {"role": "assistant", "content": "shipping"}]}])
    [example] = load_test(test)
    assert (example.id, example.fields["input"], example.gold) == ("line1", "where is my parcel", "shipping")
    bad = write(tmp_path / "bad.jsonl", [{"id": "a", "input": "x"}])
    with pytest.raises(InputError, match="bad.jsonl:1: test example 'a' has no"):
        load_test(bad)
