"""``data convert`` and friends as a user meets them: weight-0 turns, the two Bedrock formats, standard
input, ``--format json``, whole-or-nothing output files, long CSV fields and malformed TAT-QA files."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

from advisor.datasets.convert import convert_file
from tests.datasets.conftest import FIXTURES, clean_records, clean_records_2024, write_jsonl

WEIGHTED = [
    {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "hi"},
                  {"role": "assistant", "content": "bad", "weight": 0}, {"role": "user", "content": "again"},
                  {"role": "assistant", "content": "good", "weight": 1}]},
    {"messages": [{"role": "user", "content": "only"}, {"role": "assistant", "content": "untrained", "weight": 0}]},
    {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]},
]


def advisor(*args: str, stdin: bytes | None = None, limit_bytes: int | None = None, cwd=None):
    """Run the real command in a fresh process (stdin, file-size limits)."""
    def limit():
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return subprocess.run([sys.executable, "-m", "advisor", *map(str, args)], input=stdin, capture_output=True,
                          preexec_fn=limit, cwd=cwd, env=dict(os.environ), timeout=120)


def test_weight_zero_turns_are_dropped_with_their_prompt_and_counted(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "w.jsonl", WEIGHTED)
    result = run_cli("data", "convert", src, "--from", "openai")
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert rows[0] == {"system": "S", "messages": [{"role": "user", "content": "again"},
                                                   {"role": "assistant", "content": "good"}]}
    assert len(rows) == 2 and "bad" not in result.out and "untrained" not in result.out
    assert result.code == 1  # the record with nothing left to train on was skipped
    assert "w.jsonl:2: skipped: every assistant turn has weight 0" in result.err
    assert "2 weight-0 assistant turns dropped with the user turns before them: 1 record shortened" in result.err


def test_weight_zero_turns_can_be_kept_and_the_summary_says_they_are_trained(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "w.jsonl", WEIGHTED)
    out = tmp_path / "o.jsonl"
    result = run_cli("data", "convert", src, "--from", "openai", "--weight-zero", "keep", "-o", out,
                     "--format", "json")
    data = json.loads(result.out)
    assert result.code == 0 and data["written"] == 3
    assert data["weight_zero"] == {"mode": "keep", "turns": 2, "turns_dropped": 0, "records_cut": 0,
                                   "records_skipped": 0}
    assert "bad" in out.read_text()


def test_format_json_needs_an_output_file(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "b.jsonl", clean_records(3))
    result = run_cli("data", "convert", src, "--from", "bedrock", "--to", "openai", "--format", "json")
    assert result.code == 2 and "add -o FILE" in result.err and result.out == ""


def test_the_two_bedrock_formats_convert_both_ways_losslessly(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "haiku.jsonl", clean_records(40))
    assert run_cli("data", "convert", src, "--from", "bedrock", "--to", "bedrock-2024", "-o",
                   tmp_path / "nova.jsonl").code == 0
    first = json.loads((tmp_path / "nova.jsonl").read_text().splitlines()[0])
    assert first["schemaVersion"] == "bedrock-conversation-2024" and first["system"] == [{"text": "Be brief."}]
    assert run_cli("data", "validate", tmp_path / "nova.jsonl", "--model", "nova-micro").code == 0
    assert run_cli("data", "convert", tmp_path / "nova.jsonl", "--from", "bedrock-2024", "--to", "bedrock", "-o",
                   tmp_path / "back.jsonl").code == 0
    assert (tmp_path / "back.jsonl").read_bytes() == src.read_bytes()


def test_model_picks_the_output_format_and_a_mismatch_is_a_usage_error(tmp_path, run_cli):
    result = run_cli("data", "convert", FIXTURES / "pairs.csv", "--from", "csv", "--model", "nova-micro")
    assert result.code == 0 and json.loads(result.out.splitlines()[0])["schemaVersion"] == "bedrock-conversation-2024"
    assert "checked for nova-micro" in result.err
    bad = run_cli("data", "convert", FIXTURES / "pairs.csv", "--from", "csv", "--model", "nova-micro",
                  "--to", "bedrock")
    assert bad.code == 2 and "use --to bedrock-2024" in bad.err


def test_dash_reads_standard_input_everywhere(tmp_path):
    data = b"".join(json.dumps(r).encode() + b"\n" for r in clean_records(80))
    validated = advisor("data", "validate", "-", stdin=data)
    assert validated.returncode == 0 and b"<stdin>: training, 80 records" in validated.stdout
    stats = advisor("data", "stats", "-", "--format", "json", stdin=data)
    assert json.loads(stats.stdout)["usable_records"] == 80
    converted = advisor("data", "convert", "-", "--from", "bedrock", "--to", "bedrock-2024", stdin=data)
    assert converted.returncode == 0 and len(converted.stdout.splitlines()) == 80
    split = advisor("data", "split", "-", "--out-dir", tmp_path / "out", stdin=data)
    assert split.returncode == 0, split.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["test.jsonl", "train.jsonl", "validation.jsonl"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # the stdin copy is gone
    bad = advisor("data", "validate", "-", stdin=b"{nope\n")
    assert bad.returncode == 1 and b"<stdin>:1:2: error [invalid_json]" in bad.stdout


def test_a_full_disk_leaves_no_partial_file_and_keeps_the_old_one(tmp_path):
    src = write_jsonl(tmp_path / "big.jsonl", clean_records(2000))
    out = tmp_path / "out.jsonl"
    out.write_text("previous output\n")
    result = advisor("data", "convert", src, "--from", "bedrock", "--to", "openai", "-o", out,
                     limit_bytes=src.stat().st_size // 2)
    assert result.returncode == 2
    assert b"out.jsonl: cannot write: File too large; nothing was written" in result.stderr
    assert b"Traceback" not in result.stderr
    assert out.read_text() == "previous output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.jsonl", "out.jsonl"]


def test_unwritable_output_is_a_clear_error(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "b.jsonl", clean_records(3))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_cli("data", "convert", src, "--from", "bedrock", "--to", "openai", "-o", blocker / "o.jsonl")
    assert result.code == 2 and "cannot write here: Not a directory" in result.err
    result = run_cli("data", "convert", src, "--from", "bedrock", "--to", "openai", "-o", tmp_path)
    assert result.code == 2 and "is a directory" in result.err


def test_device_outputs_are_written_in_place_never_replaced(tmp_path):
    src = write_jsonl(tmp_path / "b.jsonl", clean_records(3))
    result = convert_file(src, "bedrock", "openai", os.devnull)
    assert result.written == 3 and os.path.exists(os.devnull) and not os.path.isfile(os.devnull)


def test_a_csv_field_over_131072_characters_converts_and_line_numbers_stay_right(tmp_path, run_cli):
    big = "y" * 200_000
    src = tmp_path / "big.csv"
    src.write_text(f'prompt,completion\n"multi\nline",ok\nq2,"{big}"\nq3,\n', encoding="utf-8")
    result = run_cli("data", "convert", src, "--from", "csv", "--to", "openai", "-o", tmp_path / "o.jsonl")
    rows = (tmp_path / "o.jsonl").read_text().splitlines()
    assert len(rows) == 3 and big in rows[1]
    # the Bedrock target rejects the long record, naming the line it starts on (4, after a 2-line record)
    result = run_cli("data", "convert", src, "--from", "csv", "-o", tmp_path / "b.jsonl")
    assert result.code == 1 and "big.csv:4: skipped: Bedrock would reject it" in result.err


def test_a_csv_field_beyond_any_record_is_reported_with_its_line_and_no_output(tmp_path, run_cli):
    src = tmp_path / "huge.csv"
    src.write_text('prompt,completion\n"a\nb",ok\nq2,"' + "z" * (17 * 1024 * 1024) + '"\n', encoding="utf-8")
    out = tmp_path / "o.jsonl"
    result = run_cli("data", "convert", src, "--from", "csv", "--to", "openai", "-o", out)
    assert result.code == 2 and "huge.csv:4: malformed CSV: a field is longer than" in result.err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["huge.csv"]


def test_tatqa_files_of_the_wrong_shape_exit_2_saying_what_was_expected(tmp_path, run_cli):
    cases = {
        '{"a": 1}': "the file holds an object, not a list",
        "[1]": "context 0 is a number, not an object",
        '[{"table": 5, "questions": []}]': "context 0: 'table' must be an object",
        '[{"table": {"table": [1]}, "questions": []}]': "context 0: 'table' must be an object",
        '[{"paragraphs": "x", "questions": []}]': "context 0: 'paragraphs' must be a list of objects",
        '[{"paragraphs": []}]': "context 0 has no 'questions' list",
    }
    for text, message in cases.items():
        path = tmp_path / "t.json"
        path.write_text(text, encoding="utf-8")
        result = run_cli("data", "convert", path, "--from", "tatqa", "-o", tmp_path / "o.jsonl")
        assert result.code == 2, text
        assert f"t.json: {message}" in result.err and "expected a TAT-QA file" in result.err, result.err
        assert "Traceback" not in result.err and not (tmp_path / "o.jsonl").exists()
    jsonl = write_jsonl(tmp_path / "lines.jsonl", clean_records(2))
    result = run_cli("data", "convert", jsonl, "--from", "tatqa")
    assert result.code == 2 and "lines.jsonl:2:1: not valid JSON: Extra data (a JSON Lines file?" in result.err


def test_catalogue_cache_is_rebuilt_when_damaged_or_when_the_rules_change(tmp_path, monkeypatch, run_cli):
    import shutil

    from tests.conftest import RULES

    cache = tmp_path / "cache"
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(cache))
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    data = write_jsonl(tmp_path / "t.jsonl", clean_records_2024(120))
    assert run_cli("data", "validate", data, "--model", "nova-micro", "--rules", rules).code == 0
    (entry,) = cache.glob("catalogue-*.json")
    entry.write_text("{not json")
    assert run_cli("data", "validate", data, "--model", "nova-micro", "--rules", rules).code == 0
    assert json.loads(entry.read_text())["version"] == 1  # rebuilt
    models = rules / "models.yaml"
    models.write_text(models.read_text().replace("      recommended_min_records: 100\n",
                                                 "      recommended_min_records: 100\n      max_tokens_per_record: 5\n", 1))
    result = run_cli("data", "validate", data, "--model", "nova-micro", "--rules", rules)
    assert result.code == 1 and "the limit is 5" in result.out
    models.write_text("models: [")
    broken = run_cli("data", "validate", data, "--model", "nova-micro", "--rules", rules)
    assert broken.code == 2 and "models.yaml" in broken.err
