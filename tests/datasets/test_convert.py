"""``advisor data convert``: every format in and out, TAT-QA round trips, and skipped records named."""

from __future__ import annotations

import io
import json

import pytest

from advisor.datasets.convert import (INPUT_FORMATS, OUTPUT_FORMATS, Conversation, convert, iter_conversations,
                                      parse_tatqa_answer, read_records)
from advisor.datasets.validate import validate_dataset
from tests.datasets.conftest import FIXTURES, TATQA_DIR, clean_records, write_jsonl

TATQA_FILES = [FIXTURES / "tatqa_sample.json"] + [
    TATQA_DIR / name for name in ("tatqa_dataset_dev.json", "tatqa_dataset_test_gold.json")
    if (TATQA_DIR / name).exists()]


def _convert(path, source, target, model=None, **kw):
    out = io.StringIO()
    result = convert(path, source, target, out, model=model, **kw)
    return result, [json.loads(line) for line in out.getvalue().splitlines()]


def _answer_text(answer) -> list[str]:
    return [a if isinstance(a, str) else json.dumps(a) for a in (answer if isinstance(answer, list) else [answer])]


def test_cli_formats_match_the_module():
    from advisor.cli import data

    assert data.INPUT_FORMATS == INPUT_FORMATS and data.OUTPUT_FORMATS == OUTPUT_FORMATS


@pytest.mark.parametrize("path", TATQA_FILES, ids=lambda p: p.name)
def test_tatqa_round_trip(tmp_path, model, path):
    """TAT-QA -> Bedrock passes validate; every answer and scale comes back; every format returns unchanged."""
    contexts = json.loads(path.read_text(encoding="utf-8"))
    questions = [(c, q) for c in contexts for q in c["questions"]]
    bedrock = tmp_path / "bedrock.jsonl"
    with open(bedrock, "w", encoding="utf-8") as out:
        result = convert(path, "tatqa", "bedrock", out, model=model)
    assert (result.read, result.written, result.skipped) == (len(questions), len(questions), 0)

    records = [json.loads(line) for line in bedrock.read_text(encoding="utf-8").splitlines()]
    for (context, question), rec in zip(questions, records):
        user, assistant = rec["messages"][0]["content"], rec["messages"][1]["content"]
        assert user.startswith("<table>\n") and f"<question>{question['question']}</question>" in user
        for paragraph in context["paragraphs"]:
            assert paragraph["text"] in user
        assert parse_tatqa_answer(assistant) == (_answer_text(question["answer"]), question["scale"])

    if len(records) >= 32:
        report = validate_dataset(bedrock, None, model, min_answer_chars=0)
        assert report.log.errors == 0, report.render_text()

    original = bedrock.read_text(encoding="utf-8")
    for fmt in ("openai", "sharegpt", "distillation"):
        there = tmp_path / f"{fmt}.jsonl"
        with open(there, "w", encoding="utf-8") as out:
            assert convert(bedrock, "bedrock", fmt, out).skipped == 0
        back = io.StringIO()
        assert convert(there, fmt, "bedrock", back, model=model).skipped == 0
        assert back.getvalue() == original, fmt


def test_output_shapes():
    c = Conversation("Be brief.", (("user", "Hi"), ("assistant", "Hello")))
    from advisor.datasets.convert import to_format

    assert to_format(c, "openai") == {"messages": [{"role": "system", "content": "Be brief."},
                                                   {"role": "user", "content": "Hi"},
                                                   {"role": "assistant", "content": "Hello"}]}
    assert to_format(c, "sharegpt") == {"conversations": [{"from": "system", "value": "Be brief."},
                                                          {"from": "human", "value": "Hi"},
                                                          {"from": "gpt", "value": "Hello"}]}
    assert to_format(c, "distillation") == {
        "schemaVersion": "bedrock-conversation-2024", "system": [{"text": "Be brief."}],
        "messages": [{"role": "user", "content": [{"text": "Hi"}]},
                     {"role": "assistant", "content": [{"text": "Hello"}]}]}
    assert to_format(c, "distillation", prompts_only=True)["messages"] == [
        {"role": "user", "content": [{"text": "Hi"}]}]
    assert to_format(Conversation(None, c.turns), "bedrock") == {
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}


def test_csv_prompt_completion(model):
    result, rows = _convert(FIXTURES / "pairs.csv", "csv", "bedrock", model, system="Answer briefly.")
    assert (result.written, result.skipped) == (3, 0)
    assert rows[1] == {"system": "Answer briefly.", "messages": [
        {"role": "user", "content": 'Summarise: "The cat sat on the mat."\nKeep it short.'},
        {"role": "assistant", "content": "A cat sat on a mat."}]}


def test_csv_rejected_record_is_named_by_its_line(tmp_path, model):
    path = tmp_path / "p.csv"
    path.write_text('prompt,completion\n"Hi",Hello\n"Say\nHuman: x",fine\n"Q",\n', encoding="utf-8")
    result, rows = _convert(path, "csv", "bedrock", model)
    assert result.written == 1
    assert [(p.line, "reserved" in p.message or "empty" in p.message) for p in result.problems] == [
        (3, True), (5, True)]


def test_csv_missing_column_is_a_usage_error(tmp_path):
    from advisor.errors import InputError

    path = tmp_path / "p.csv"
    path.write_text("question,answer\nq,a\n", encoding="utf-8")
    with pytest.raises(InputError, match="--prompt-field"):
        _convert(path, "csv", "openai")
    result, rows = _convert(path, "csv", "openai", prompt_field="question", completion_field="answer")
    assert rows == [{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}]


def test_prompt_completion_jsonl(tmp_path, model):
    path = write_jsonl(tmp_path / "pc.jsonl", [{"prompt": "2+2?", "completion": "Four.", "meta": 1},
                                               {"prompt": "no completion"}])
    result, rows = _convert(path, "prompt-completion", "bedrock", model)
    assert rows == [{"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "Four."}]}]
    assert [(p.line, p.message) for p in result.problems] == [(2, "missing 'completion'")]


def test_openai_chat_in(model):
    result, rows = _convert(FIXTURES / "openai_chat.jsonl", "openai", "bedrock", model)
    assert rows[0] == {"system": "You are terse.", "messages": [
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there."}]}
    assert rows[1]["system"] == "Answer in French." and rows[1]["messages"][0]["content"] == "Thanks"
    assert len(rows[2]["messages"]) == 4
    assert [p.line for p in result.problems] == [3]  # the tool-call conversation
    assert "tool" in result.problems[0].message


def test_distillation_skips_multi_turn_records():
    result, rows = _convert(FIXTURES / "openai_chat.jsonl", "openai", "distillation")
    assert [p.line for p in result.problems] == [3, 4]
    assert all(r["schemaVersion"] == "bedrock-conversation-2024" for r in rows)


def test_sharegpt_in(tmp_path):
    rows = [{"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hey"}],
             "system": "S"},
            {"conversations": [{"from": "function_call", "value": "{}"}]}]
    items = [item for _, _, item in read_records(write_jsonl(tmp_path / "sg.jsonl", rows), "sharegpt")]
    assert items[0] == Conversation("S", (("user", "Hi"), ("assistant", "Hey")))
    assert items[1].line == 2 and "function_call" in items[1].message


def test_bedrock_out_only_writes_records_validate_accepts(tmp_path, model):
    rows = [*({"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a fine answer"}]}
              for i in range(40)),
            {"messages": [{"role": "user", "content": "q"}, {"role": "user", "content": "again"}]}]
    source = write_jsonl(tmp_path / "o.jsonl", rows)
    target = tmp_path / "b.jsonl"
    with open(target, "w", encoding="utf-8") as out:
        result = convert(source, "openai", "bedrock", out, model=model)
    assert [p.line for p in result.problems] == [41]
    assert validate_dataset(target, None, model).valid


def test_unparseable_input_lines_are_named(tmp_path):
    path = write_jsonl(tmp_path / "o.jsonl", [*clean_records(2), "{nope", b"\xff\xfe"])
    result, rows = _convert(path, "bedrock", "openai")
    assert len(rows) == 2 and [p.line for p in result.problems] == [3, 4]


def test_tatqa_reader_rejects_a_non_tatqa_file(tmp_path):
    from advisor.errors import InputError

    path = write_jsonl(tmp_path / "x.json", [{"a": 1}])
    with pytest.raises(InputError, match="TAT-QA"):
        list(read_records(path, "tatqa"))
    path.write_text('[{"questions": [{"question": "q"}]}, 5]', encoding="utf-8")
    with pytest.raises(InputError, match="context 1 is a number, not an object; expected a TAT-QA file"):
        list(read_records(path, "tatqa"))
    path.write_text('[{"questions": [{"question": "q"}]}]', encoding="utf-8")
    errors = [item for _, _, item in read_records(path, "tatqa")]
    assert [e.where for e in errors] == ["context 0 question 0"]


def test_iter_conversations_keeps_only_records():
    items = list(iter_conversations(read_records(FIXTURES / "openai_chat.jsonl", "openai")))
    assert len(items) == 3
