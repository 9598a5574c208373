"""``advisor data …`` from the command line: output, exit codes (0 / 1 / 2) and no tracebacks."""

from __future__ import annotations

import json

from tests.conftest import RULES
from tests.datasets.conftest import FIXTURES, clean_records, write_jsonl


def test_validate_clean_file_exits_0(tmp_path, run_cli):
    path = write_jsonl(tmp_path / "t.jsonl", clean_records(40))
    result = run_cli("data", "validate", path)
    assert result.code == 0
    assert "valid for claude-3-haiku: 0 errors, 0 warnings" in result.out


def test_validate_damaged_file_names_every_damaged_line_and_exits_1(run_cli):
    result = run_cli("data", "validate", FIXTURES / "damaged.jsonl")
    assert result.code == 1
    for line in (2, 3, 4, 5, 6, 7):
        assert f"damaged.jsonl:{line}:" in result.out
    assert "damaged.jsonl:1:" not in result.out
    assert "damaged.jsonl:2:108: error [invalid_json]" in result.out
    assert "fix: remove 'id'" in result.out
    assert "INVALID for claude-3-haiku: 11 errors" in result.out
    assert "Traceback" not in result.out + result.err


def test_validate_json_format(tmp_path, run_cli):
    train = write_jsonl(tmp_path / "t.jsonl", clean_records(40, "t"))
    validation = write_jsonl(tmp_path / "v.jsonl", [*clean_records(39, "v"), clean_records(1, "t")[0]])
    result = run_cli("data", "validate", train, "--validation", validation, "--format", "json")
    assert result.code == 0
    data = json.loads(result.out)
    assert data["valid"] is True
    assert [w["code"] for w in data["warnings"]] == ["leakage"]
    assert data["warnings"][0]["line"] == 40


def test_validate_strict_fails_on_warnings(tmp_path, run_cli):
    path = write_jsonl(tmp_path / "t.jsonl", [*clean_records(40), clean_records(1)[0]])
    assert run_cli("data", "validate", path).code == 0
    assert run_cli("data", "validate", path, "--strict").code == 1


def test_missing_file_exits_2_naming_it(tmp_path, run_cli):
    result = run_cli("data", "validate", tmp_path / "nope.jsonl")
    assert result.code == 2
    assert result.err.strip() == f"advisor: {tmp_path / 'nope.jsonl'}: no such file"


def test_directory_exits_2(tmp_path, run_cli):
    result = run_cli("data", "validate", tmp_path)
    assert result.code == 2 and "is a directory" in result.err


def test_unknown_model_exits_2(tmp_path, run_cli):
    path = write_jsonl(tmp_path / "t.jsonl", clean_records(3))
    result = run_cli("data", "validate", path, "--model", "gpt-9")
    assert result.code == 2 and "unknown model 'gpt-9'" in result.err and "claude-3-haiku" in result.err


def test_rules_dir_and_model_are_accepted(tmp_path, run_cli):
    path = write_jsonl(tmp_path / "t.jsonl", clean_records(40))
    assert run_cli("data", "validate", path, "--rules", RULES, "--model", "claude-3-haiku").code == 0


def test_bad_option_is_a_usage_error(tmp_path, run_cli):
    path = write_jsonl(tmp_path / "t.jsonl", clean_records(3))
    assert run_cli("data", "validate", path, "--max-per-code", "-1").code == 2
    assert run_cli("data", "split", path, "--out-dir", tmp_path, "--test", "1.5").code == 2
    assert run_cli("data").code == 2


def test_stats_prints_distributions_and_hyperparameters(tmp_path, run_cli):
    path = write_jsonl(tmp_path / "t.jsonl", clean_records(40))
    result = run_cli("data", "stats", path)
    assert result.code == 0
    assert "40 records, 40 usable" in result.out and "epochCount = 6" in result.out
    data = json.loads(run_cli("data", "stats", path, "--format", "json").out)
    assert data["usable_records"] == 40 and data["hyperparameters_model"] == "claude-3-haiku"


def test_convert_tatqa_then_validate(tmp_path, run_cli):
    out = tmp_path / "b.jsonl"
    result = run_cli("data", "convert", FIXTURES / "tatqa_sample.json", "--from", "tatqa", "-o", out)
    assert result.code == 0 and "7 records read, 7 written, 0 skipped" in result.err
    checked = run_cli("data", "validate", out, "--format", "json")
    assert json.loads(checked.out)["counts"]["by_code"] == {"too_few_records": 1}  # 7 < 32: the sample is small


def test_convert_reports_skipped_lines_and_exits_1(tmp_path, run_cli):
    result = run_cli("data", "convert", FIXTURES / "openai_chat.jsonl", "--from", "openai", "--to", "sharegpt")
    assert result.code == 1
    assert "openai_chat.jsonl:3: skipped:" in result.err
    assert len(result.out.splitlines()) == 3


def test_split_writes_files(tmp_path, run_cli):
    path = write_jsonl(tmp_path / "all.jsonl", clean_records(100))
    result = run_cli("data", "split", path, "--out-dir", tmp_path / "out", "--seed", "4")
    assert result.code == 0
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"train.jsonl", "validation.jsonl", "test.jsonl"}
    too_small = write_jsonl(tmp_path / "few.jsonl", clean_records(20))
    failed = run_cli("data", "split", too_small, "--out-dir", tmp_path / "o2")
    assert failed.code == 1 and "needs at least 32" in failed.out


def test_outputs_never_overwrite_the_input(tmp_path, run_cli):
    path = write_jsonl(tmp_path / "train.jsonl", clean_records(40))
    before = path.read_bytes()
    assert run_cli("data", "convert", path, "--from", "bedrock", "--to", "openai", "-o", path).code == 2
    assert run_cli("data", "split", path, "--out-dir", tmp_path).code == 2
    assert path.read_bytes() == before
