"""``advisor data validate``: one test per rule, each asserting the line (and field) a user is pointed to."""

from __future__ import annotations

import json

import pytest

from advisor.datasets.validate import validate_dataset
from tests.datasets.conftest import FIXTURES, clean_records, record, write_jsonl

LONG = "x" * 100_000  # ~33,334 tokens at 3 characters a token: over the 32,000 limit


def _turns(*pairs):
    return [{"role": r, "content": c} for r, c in pairs]


# (id, the damaged line, code, field)
CASES = [
    ("invalid_json", '{"messages": [', "invalid_json", ""),
    ("nan", '{"messages": NaN}', "invalid_json", ""),
    ("invalid_utf8", b'{"messages": "caf\xe9"}', "invalid_utf8", ""),
    ("deep_nesting", "[" * 100_000 + "]" * 100_000, "invalid_json", ""),
    ("not_an_object", "[1, 2]", "not_an_object", ""),
    ("string_line", '"just text"', "not_an_object", ""),
    ("unknown_key", dict(record(), id=7), "unknown_key", "id"),
    ("unknown_message_key", {"messages": [{"role": "user", "content": "q", "name": "bob"},
                                          {"role": "assistant", "content": "answer"}]},
     "unknown_key", "messages[0].name"),
    ("system_empty", record(system=""), "empty_text", "system"),
    ("system_whitespace", record(system="  \n"), "empty_text", "system"),
    ("system_not_string", record(system=["Be brief."]), "not_a_string", "system"),
    ("system_null", {"system": None, "messages": record()["messages"]}, "not_a_string", "system"),
    ("missing_messages", {"system": "s"}, "missing_messages", "messages"),
    ("messages_not_list", {"messages": {"role": "user"}}, "messages_not_a_list", "messages"),
    ("one_turn", {"messages": _turns(("user", "q"))}, "too_few_messages", "messages"),
    ("no_turns", {"messages": []}, "too_few_messages", "messages"),
    ("first_not_user", {"messages": _turns(("assistant", "a"), ("user", "q"), ("assistant", "b"))},
     "first_not_user", "messages[0].role"),
    ("last_not_assistant", {"messages": _turns(("user", "q"), ("assistant", "a"), ("user", "q2"))},
     "last_not_assistant", "messages[2].role"),
    ("not_alternating", {"messages": _turns(("user", "q"), ("user", "q2"), ("assistant", "a"))},
     "not_alternating", "messages[1].role"),
    ("system_role", {"messages": _turns(("system", "s"), ("user", "q"), ("assistant", "a"))},
     "bad_role", "messages[0].role"),
    ("unknown_role", {"messages": _turns(("user", "q"), ("bot", "a"))}, "bad_role", "messages[1].role"),
    ("missing_role", {"messages": [{"content": "q"}, {"role": "assistant", "content": "a"}]},
     "missing_role", "messages[0].role"),
    ("missing_content", {"messages": [{"role": "user"}, {"role": "assistant", "content": "a"}]},
     "missing_content", "messages[0].content"),
    ("message_not_object", {"messages": ["q", {"role": "assistant", "content": "a"}]},
     "message_not_an_object", "messages[0]"),
    ("content_blocks", {"messages": [{"role": "user", "content": [{"type": "text", "text": "q"}]},
                                     {"role": "assistant", "content": "a"}]}, "not_a_string", "messages[0].content"),
    ("content_number", {"messages": _turns(("user", "q"), ("assistant", 4))}, "not_a_string", "messages[1].content"),
    ("content_empty", record(answer=""), "empty_text", "messages[1].content"),
    ("content_whitespace", record(question=" \t "), "empty_text", "messages[0].content"),
    ("reserved_in_content", record(question="Hi\nHuman: pretend"), "reserved_string", "messages[0].content"),
    ("reserved_in_system", record(system="Rules\nAssistant: obey"), "reserved_string", "system"),
    ("too_many_tokens", record(question=LONG), "too_many_tokens", "messages"),
    ("lone_surrogate", '{"messages": [{"role": "user", "content": "bad \\ud800 escape"}, '
                       '{"role": "assistant", "content": "answer"}]}', "lone_surrogate", "messages[0].content"),
]


@pytest.mark.parametrize("row,code,field", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_names_line_field_and_fix(tmp_path, model, row, code, field):
    path = write_jsonl(tmp_path / "train.jsonl", [*clean_records(2, "a"), row, *clean_records(40, "b")])
    report = validate_dataset(path, None, model, max_per_code=0)
    hits = [p for p in report.log.kept if p.code == code]
    assert [(p.line, p.field, p.severity) for p in hits] == [(3, field, "error")]
    assert hits[0].fix and hits[0].message
    assert not report.valid
    # nothing else in the file is blamed
    assert {p.line for p in report.log.kept} == {3}


def test_reserved_marker_without_colon_is_allowed(tmp_path, model):
    rows = [record(question=f"Human: {i}\nAssistant notes {i}") for i in range(40)]
    report = validate_dataset(write_jsonl(tmp_path / "t.jsonl", rows), None, model)
    assert report.valid, report.render_text()


def test_clean_file_is_valid(tmp_path, model):
    report = validate_dataset(write_jsonl(tmp_path / "t.jsonl", clean_records(40)), None, model)
    assert report.valid
    assert report.log.errors == report.log.warnings == 0
    assert report.files[0].records == report.files[0].usable_records == 40


def test_multi_turn_record_without_system_is_valid(tmp_path, model):
    rows = [{"messages": _turns(("user", f"q{i}"), ("assistant", "first answer"), ("user", "and?"),
                                ("assistant", "second answer"))} for i in range(40)]
    assert validate_dataset(write_jsonl(tmp_path / "t.jsonl", rows), None, model).valid


def test_blank_lines_are_named_and_not_counted_as_records(tmp_path, model):
    path = write_jsonl(tmp_path / "t.jsonl", [*clean_records(20, "a"), "", "   ", *clean_records(20, "b")])
    report = validate_dataset(path, None, model)
    assert [(p.code, p.line) for p in report.log.kept] == [("blank_line", 21), ("blank_line", 22)]
    assert report.files[0].records == 40 and report.files[0].blank_lines == 2


def test_byte_order_mark_is_named(tmp_path, model):
    path = tmp_path / "t.jsonl"
    write_jsonl(path, clean_records(40))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    report = validate_dataset(path, None, model)
    assert [(p.code, p.line) for p in report.log.kept] == [("byte_order_mark", 1)]


def test_over_long_line_is_skipped_without_loading_it(tmp_path, model, monkeypatch):
    monkeypatch.setattr("advisor.datasets.validate.MAX_LINE_BYTES", 1000)
    rows = [*clean_records(2, "a"), json.dumps(record(question="y" * 5000)), *clean_records(40, "b")]
    report = validate_dataset(write_jsonl(tmp_path / "t.jsonl", rows), None, model)
    assert [(p.code, p.line) for p in report.log.kept] == [("line_too_long", 3)]
    assert report.files[0].records == 43  # the lines after it are still read and numbered


def test_windows_line_endings_are_accepted(tmp_path, model):
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\r\n" for r in clean_records(40)))
    assert validate_dataset(path, None, model).valid


# --- whole-file limits --------------------------------------------------------------------------------

def test_too_few_training_records(tmp_path, model):
    report = validate_dataset(write_jsonl(tmp_path / "t.jsonl", clean_records(31)), None, model)
    assert [(p.code, p.line) for p in report.log.kept] == [("too_few_records", None)]
    assert "at least 32" in report.log.kept[0].message


def test_too_many_training_records(tmp_path, small_model):
    report = validate_dataset(write_jsonl(tmp_path / "t.jsonl", clean_records(7)), None, small_model)
    assert [p.code for p in report.log.kept] == ["too_many_records"]


def test_validation_limits_are_applied(tmp_path, small_model):
    # the AWS sample validator never applies these (bedrock.md section 8)
    train = write_jsonl(tmp_path / "t.jsonl", clean_records(4, "t"))
    validation = write_jsonl(tmp_path / "v.jsonl", clean_records(4, "v"))
    report = validate_dataset(train, validation, small_model)
    assert [(p.file, p.code) for p in report.log.kept] == [(str(validation), "too_many_records")]
    few = write_jsonl(tmp_path / "v1.jsonl", clean_records(1, "v"))
    report = validate_dataset(train, few, small_model)
    assert [(p.file, p.code) for p in report.log.kept] == [(str(few), "too_few_records")]


def test_total_records_limit(tmp_path, small_model):
    train = write_jsonl(tmp_path / "t.jsonl", clean_records(6, "t"))
    validation = write_jsonl(tmp_path / "v.jsonl", clean_records(3, "v"))
    report = validate_dataset(train, validation, small_model)
    assert [p.code for p in report.log.kept] == ["too_many_total_records"]
    assert report.to_dict()["counts"]["total_records"] == 9


def test_file_size_limit(tmp_path, small_model):
    rows = [record(question="z" * 2500 + str(i)) for i in range(5)]  # 5 x ~2.6 KB > 10,000 bytes
    small = small_model.model_copy(update={"limits": small_model.limits.model_copy(
        update={"max_tokens_per_record": 32000})})
    report = validate_dataset(write_jsonl(tmp_path / "t.jsonl", rows), None, small)
    assert [p.code for p in report.log.kept] == ["file_too_large"]


def test_token_limit_comes_from_the_catalogue(tmp_path, small_model):
    rows = [record(question="q" * 120 + str(i), answer="ok, fine") for i in range(4)]  # ~45 tokens each
    rows.append(record(question="q" * 200, answer="ok, fine"))  # ~70 tokens > 50
    report = validate_dataset(write_jsonl(tmp_path / "t.jsonl", rows), None, small_model)
    assert [(p.code, p.line) for p in report.log.kept] == [("too_many_tokens", 5)]


# --- quality warnings -----------------------------------------------------------------------------------

def test_duplicate_is_a_warning_naming_the_first_copy(tmp_path, model):
    rows = clean_records(40)
    rows.insert(10, rows[3])
    report = validate_dataset(write_jsonl(tmp_path / "t.jsonl", rows), None, model)
    assert report.valid
    [p] = report.log.kept
    assert (p.code, p.line, p.severity) == ("duplicate", 11, "warning")
    assert "line 4" in p.message


def test_duplicate_ignores_key_order_and_whitespace(tmp_path, model):
    first = record()
    second = '{ "messages" : [{"content": "What is 2 + 2?", "role": "user"}, ' \
             '{"content": "The answer is four.", "role": "assistant"}], "system": "Be brief." }'
    rows = [first, *clean_records(40), second]
    report = validate_dataset(write_jsonl(tmp_path / "t.jsonl", rows), None, model)
    assert [(p.code, p.line) for p in report.log.kept] == [("duplicate", 42)]


def test_same_prompt_with_two_answers(tmp_path, model):
    rows = [*clean_records(40), record(answer="It is five.")]
    rows.insert(0, record())
    report = validate_dataset(write_jsonl(tmp_path / "t.jsonl", rows), None, model)
    assert [(p.code, p.line, p.field) for p in report.log.kept] == [
        ("conflicting_answer", 42, "messages[1].content")]


def test_leakage_between_training_and_validation(tmp_path, model):
    train = clean_records(40, "t")
    validation = [*clean_records(35, "v"), train[5], record(train[7]["messages"][0]["content"], "Other answer.")]
    report = validate_dataset(write_jsonl(tmp_path / "t.jsonl", train),
                              write_jsonl(tmp_path / "v.jsonl", validation), model)
    assert report.valid
    leaks = [(p.file.endswith("v.jsonl"), p.line, p.message) for p in report.log.kept if p.code == "leakage"]
    assert leaks == [(True, 36, "this prompt is also in the training file (line 6)"),
                     (True, 37, "this prompt is also in the training file (line 8)")]


def test_short_answers_warn_and_threshold_is_adjustable(tmp_path, model):
    rows = [*clean_records(40), record(question="Capital of Italy?", answer="Ro")]
    path = write_jsonl(tmp_path / "t.jsonl", rows)
    report = validate_dataset(path, None, model)
    assert [(p.code, p.line, p.severity) for p in report.log.kept] == [("short_answer", 41, "warning")]
    assert validate_dataset(path, None, model, min_answer_chars=0).log.warnings == 0


def test_strict_turns_warnings_into_failure(tmp_path, model):
    rows = [*clean_records(40), clean_records(1)[0]]
    path = write_jsonl(tmp_path / "t.jsonl", rows)
    assert validate_dataset(path, None, model).valid
    assert not validate_dataset(path, None, model, strict=True).valid


# --- output -------------------------------------------------------------------------------------------

def test_output_caps_repeats_but_counts_them_all(tmp_path, model):
    rows = [*clean_records(40), *(["{broken"] * 25)]
    report = validate_dataset(write_jsonl(tmp_path / "t.jsonl", rows), None, model, max_per_code=10)
    shown = [p.line for p in report.log.kept if p.code == "invalid_json"]
    assert shown == list(range(41, 51))
    assert report.log.by_code["invalid_json"] == 25
    assert report.log.omitted == {"invalid_json": 15}
    assert "... and 15 more [invalid_json] not shown" in report.render_text()


def test_json_report_shape(tmp_path, model):
    train = write_jsonl(tmp_path / "t.jsonl", [*clean_records(40, "t"), "{oops"])
    validation = write_jsonl(tmp_path / "v.jsonl", clean_records(40, "v"))
    data = validate_dataset(train, validation, model).to_dict()
    assert set(data) == {"valid", "model", "record_format", "files", "counts", "errors", "warnings", "info",
                         "omitted"}
    assert data["valid"] is False and data["model"] == "claude-3-haiku"
    assert data["counts"]["training_records"] == 41 and data["counts"]["validation_records"] == 40
    assert data["counts"]["total_records"] == 81 and data["counts"]["by_code"] == {"invalid_json": 1}
    [error] = data["errors"]
    assert error == {"file": str(train), "line": 41, "column": 2, "field": "", "code": "invalid_json",
                     "severity": "error", "message": error["message"], "fix": error["fix"]}
    assert [f["role"] for f in data["files"]] == ["training", "validation"]
    json.dumps(data)  # serialisable


def test_damaged_fixture_names_every_damaged_line(tmp_path, model):
    report = validate_dataset(FIXTURES / "damaged.jsonl", None, model)
    assert sorted({p.line for p in report.log.kept if p.line is not None}) == [2, 3, 4, 5, 6, 7]
