"""Issue 16's security items and crashes in recommend, rules check, the answers loader and the CLI entry.

Each test here failed on the code before the hardening (a traceback, a wrong exit, an overwritten
file, a raw escape sequence reaching the terminal, an unbounded read).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from advisor.knowledge import default_rules_dir

RAG = "project_name: demo\ngap_is_factual_recall: true\n"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("ADVISOR_TODAY", "2026-12-01")
    monkeypatch.chdir(tmp_path)


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def no_traceback(result):
    assert "Traceback" not in result.out + result.err
    assert "internal error" not in result.err


# --- files are never overwritten by surprise ---------------------------------------------------------

def test_output_equal_to_answers_is_refused_and_the_answers_survive(tmp_path, run_cli):
    answers = write(tmp_path, "answers.yaml", RAG)
    for extra in ([], ["--force"]):
        result = run_cli("recommend", "--answers", answers, "--output", answers, *extra)
        assert result.code == 2 and "answers file" in result.err and "answers.yaml" in result.err
        assert answers.read_text(encoding="utf-8") == RAG
    # the same file under another name (a relative path) is still the answers file
    result = run_cli("recommend", "--answers", answers, "--output", "./answers.yaml", "--force")
    assert result.code == 2 and answers.read_text(encoding="utf-8") == RAG


def test_an_existing_output_needs_force(tmp_path, run_cli):
    answers = write(tmp_path, "answers.yaml", RAG)
    report = write(tmp_path, "report.md", "keep me")
    result = run_cli("recommend", "--answers", answers, "--output", report, "--format", "markdown")
    assert result.code == 2 and "--force" in result.err and "report.md" in result.err
    assert report.read_text() == "keep me"
    result = run_cli("recommend", "--answers", answers, "--output", report, "--format", "markdown", "--force")
    assert result.code == 0 and report.read_text() != "keep me"


@pytest.mark.parametrize("target", ["file/inside.md", "/proc/advisor-test/report.md"])
def test_an_output_folder_that_cannot_hold_the_file_is_a_clear_error(tmp_path, run_cli, target):
    answers = write(tmp_path, "answers.yaml", RAG)
    write(tmp_path, "file", "a file, not a folder")
    result = run_cli("recommend", "--answers", answers, "--output", target)
    no_traceback(result)
    assert result.code == 2 and target in result.err and "cannot write output" in result.err
    assert not list(tmp_path.glob(".inside.md*"))  # no temporary file left behind


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_a_clear_error(tmp_path, run_cli):
    answers = write(tmp_path, "answers.yaml", RAG)
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    result = run_cli("recommend", "--answers", answers, "--output", folder / "r.md")
    assert result.code == 2 and "r.md" in result.err


# --- terminal control sequences ------------------------------------------------------------------------

def test_terminal_control_sequences_in_answers_are_escaped_in_text_output(tmp_path, run_cli):
    answers = write(tmp_path, "answers.yaml",
                    'project_name: "\\e]0;pwned\\a\\e[2Jdemo\\u202e"\ngap_is_factual_recall: true\n')
    result = run_cli("recommend", "--answers", answers)
    assert result.code == 0
    assert "\x1b" not in result.out and "\x07" not in result.out and "\u202e" not in result.out
    assert "\\x1b]0;pwned" in result.out  # shown, not acted on


def test_control_characters_in_error_messages_are_escaped(tmp_path, run_cli):
    answers = write(tmp_path, "answers.yaml", '"\\e[2Jbad\\e[0m": 1\n')
    result = run_cli("recommend", "--answers", answers)
    assert result.code == 2 and "\x1b" not in result.err


# --- unbounded reads and parser crashes -----------------------------------------------------------------

@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_answers_from_dev_zero_are_refused_after_a_bounded_read(run_cli):
    result = run_cli("recommend", "--answers", "/dev/zero")
    assert result.code == 2 and "/dev/zero" in result.err and "larger than" in result.err


def test_an_oversized_answers_file_is_refused(tmp_path, run_cli):
    answers = write(tmp_path, "answers.yaml", RAG + "#" * (5 * 1024 * 1024) + "\n")
    result = run_cli("recommend", "--answers", answers)
    assert result.code == 2 and "answers.yaml" in result.err and "larger than" in result.err


@pytest.mark.parametrize(("name", "text", "expect"), [
    ("deep.json", "[" * 50_000 + "]" * 50_000, "nested too deeply"),
    ("deep-value.json", '{"project_name": ' + "[" * 50_000 + "]" * 50_000 + "}", "nested too deeply"),
    ("digits.json", '{"training_examples": ' + "9" * 5000 + "}", "4,300 digits"),
    ("digits.yaml", "training_examples: " + "9" * 5000 + "\n", "4,300 digits"),
    ("date.yaml", "project_name: demo\nproject_started: 2026-13-45\n", "not a valid one"),
    ("overflow.yaml", "training_examples: " + "9" * 400 + "\n", "must be at most"),
    ("overflow.json", '{"training_examples": ' + "9" * 400 + "}", "must be at most"),
])
def test_parser_crashes_are_clear_errors(tmp_path, run_cli, name, text, expect):
    path = write(tmp_path, name, text)
    result = run_cli("recommend", "--answers", path)
    no_traceback(result)
    assert result.code == 2 and name in result.err and expect in result.err, result.err
    assert len(result.err) < 400  # a 400-digit number is summarised, not echoed


def test_an_invalid_date_names_its_line_and_column(tmp_path, run_cli):
    path = write(tmp_path, "answers.yaml", "project_name: demo\ngap_is_factual_recall: 2026-13-45\n")
    result = run_cli("recommend", "--answers", path)
    assert result.code == 2 and "answers.yaml:2:24" in result.err


def test_answers_from_standard_input(tmp_path, run_cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(
        {"gap_is_factual_recall": True}).encode())))
    result = run_cli("recommend", "--answers", "-", "--format", "json")
    assert result.code == 0 and json.loads(result.out)["path"] == "rag"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"gap_is_factual_recall: [")))
    result = run_cli("recommend", "--answers", "-")
    assert result.code == 2 and "<stdin>:" in result.err


# --- prices ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expect"), [(".inf", "not a finite number"), ("-3", "greater than or equal to 0"),
                                               (".nan", "")])
def test_infinite_or_negative_prices_are_refused_with_file_and_line(tmp_path, run_cli, value, expect):
    text = (default_rules_dir() / "prices.yaml").read_text(encoding="utf-8")
    prices = write(tmp_path, "prices.yaml", text.replace("input_per_million: 3.0", f"input_per_million: {value}", 1))
    line = next(i for i, row in enumerate(prices.read_text().splitlines(), 1) if f"input_per_million: {value}" in row)
    answers = write(tmp_path, "answers.yaml", RAG)
    result = run_cli("recommend", "--answers", answers, "--prices", prices)
    assert result.code == 2 and f"prices.yaml:{line}:" in result.err and expect in result.err, result.err
    assert "breaks even" not in result.out


# --- a damaged rule base -----------------------------------------------------------------------------

def _rules(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    return rules


def _drop_item(path: Path, ident: str) -> None:
    text = path.read_text(encoding="utf-8")
    start = text.index(f"  - id: {ident}\n")
    end = text.index("\n  - id:", start + 5)
    path.write_text(text[:start] + text[end + 1:], encoding="utf-8")


def test_a_rule_base_missing_a_question_is_blamed_not_the_answers(tmp_path, run_cli):
    rules = _rules(tmp_path)
    _drop_item(rules / "questions.yaml", "gap_is_factual_recall")
    answers = write(tmp_path, "answers.yaml", "gap_is_factual_recall: true\n")
    for path in (answers, write(tmp_path, "empty.yaml", "project_name: x\n")):
        result = run_cli("recommend", "--answers", path, "--rules", rules)
        assert result.code == 2, result.err
        assert "rule base is invalid" in result.err and "advisor rules check --rules" in result.err
        assert "unknown question id" not in result.err


def test_a_rule_base_with_a_hole_does_not_exit_3_with_nothing_to_ask(tmp_path, run_cli):
    rules = _rules(tmp_path)
    _drop_item(rules / "decision.yaml", "factual_gap_needs_rag")
    answers = write(tmp_path, "answers.yaml", "gap_is_factual_recall: true\n")
    result = run_cli("recommend", "--answers", answers, "--rules", rules, "--format", "json")
    assert result.code == 2 and "rules check" in result.err and result.out == ""


@pytest.mark.parametrize("condition", ["not " * 20_000 + "true", "(" * 20_000 + "true" + ")" * 20_000,
                                       "-" * 20_000 + "1 == few_shot_examples_tried",
                                       "not " * 60 + "true", "(" * 60 + "true" + ")" * 60])
def test_a_condition_nested_deep_is_a_rule_base_error(tmp_path, run_cli, condition):
    rules = _rules(tmp_path)
    decision = rules / "decision.yaml"
    text = decision.read_text(encoding="utf-8")
    decision.write_text(text.replace('- gap_is_factual_recall == "unsure"', f'- "{condition}"', 1), encoding="utf-8")
    result = run_cli("rules", "check", "--rules", rules)
    no_traceback(result)
    assert result.code == 1 and "decision.yaml:" in result.out and "limit" in result.out
    result = run_cli("recommend", "--answers", write(tmp_path, "a.yaml", RAG), "--rules", rules)
    assert result.code == 2 and "rules check" in result.err and len(result.err) < 2000


# --- the catch-all -----------------------------------------------------------------------------------

def _explode(args):
    raise RuntimeError("boom from a bug")


def test_an_unexpected_exception_exits_70_with_one_line_and_a_crash_log(tmp_path, run_cli, monkeypatch):
    import advisor.cli.recommend as recommend

    monkeypatch.setattr(recommend, "run", _explode)
    answers = write(tmp_path, "answers.yaml", RAG)
    result = run_cli("recommend", "--answers", answers)
    assert result.code == 70
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "bug" in lines[0] and "Traceback" not in result.err
    log = Path(lines[0].split("details in ")[1].split(" (")[0])
    assert log.is_file() and "boom from a bug" in log.read_text() and "RuntimeError" in log.read_text()
    # --debug (before or after the command) adds the traceback
    for argv in (["--debug", "recommend", "--answers", answers], ["recommend", "--answers", answers, "--debug"]):
        result = run_cli(*argv)
        assert result.code == 70 and "Traceback" in result.err and "boom from a bug" in result.err


def test_the_exit_code_70_is_documented():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "| 70 |" in readme


# --- command-line conventions ---------------------------------------------------------------------------

def test_version_quiet_verbose_and_examples_in_every_help(run_cli):
    from advisor.cli import build_parser

    result = run_cli("--version")
    assert result.code == 0 and "advisor" in result.out
    parser = build_parser()
    pending = [("advisor", parser)]
    seen = 0
    while pending:
        name, p = pending.pop()
        assert "examples:" in p.format_help(), f"{name} --help has no examples"
        seen += 1
        for action in p._actions:
            if hasattr(action, "choices") and isinstance(action.choices, dict):
                pending.extend((f"{name} {k}", v) for k, v in action.choices.items())
    assert seen >= 12


@pytest.mark.parametrize("flags", [["-q"], ["-v"], ["-vv"], ["--quiet"], ["--verbose"]])
def test_quiet_and_verbose_are_accepted_before_and_after_the_command(tmp_path, run_cli, flags):
    answers = write(tmp_path, "answers.yaml", RAG)
    for argv in ([*flags, "recommend", "--answers", answers, "--format", "json"],
                 ["recommend", "--answers", answers, "--format", "json", *flags]):
        result = run_cli(*argv)
        assert result.code == 0 and json.loads(result.out)["path"] == "rag"


def test_quiet_and_verbose_together_is_a_usage_error(tmp_path, run_cli):
    result = run_cli("recommend", "--answers", write(tmp_path, "a.yaml", RAG), "-q", "-v")
    assert result.code == 2


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_shell_completion_scripts(run_cli, shell):
    result = run_cli("completion", shell)
    assert result.code == 0 and "advisor" in result.out and "recommend" in result.out
    if shell == "bash" and shutil.which("bash"):
        check = subprocess.run(["bash", "-n"], input=result.out, text=True, capture_output=True)
        assert check.returncode == 0, check.stderr


def test_verbose_says_what_was_read_and_quiet_prints_only_the_result(tmp_path, run_cli):
    answers = write(tmp_path, "answers.yaml", RAG)
    result = run_cli("-v", "recommend", "--answers", answers, "--format", "json")
    assert result.code == 0 and "rule base" in result.err and "2 answers read from" in result.err and "answers.yaml" in result.err
    result = run_cli("-q", "recommend", "--answers", answers, "--format", "json")
    assert result.code == 0 and result.err == ""
