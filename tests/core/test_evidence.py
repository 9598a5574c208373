"""``advisor recommend --evidence RESULTS``: an eval run's results.json answers the eval question and shows
the measured gap with its interval; gaps inside the noise are flagged; bad files stop with exit 2."""

from __future__ import annotations

import json

import pytest
import yaml

from advisor.cli import main
from tests.evals.test_harness import answer_number, write_config

# Beyond evals, these answers lead to a path; without evals they lead to build_evals.
ANSWERS = {"project_name": "Invoice fields", "gap_is_factual_recall": False, "few_shot_examples_tried": 30,
           "volume_justifies_setup": False}


def _answers(tmp_path, **extra):
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump({"answers": {**ANSWERS, **extra}}))
    return path


@pytest.fixture
def results(tmp_path, fake_server, aws_env):
    """A real eval run on the loopback fake: ``good`` answers all 48, ``almost`` misses 2 (noise)."""
    fake_server.responder = lambda call: (answer_number(call) if call.model in ("good", "almost")
                                          and not (call.model == "almost" and answer_number(call) in ("5", "9"))
                                          else "x")
    variants = [{"name": "baseline", "provider": "bedrock", "model": "good"},
                {"name": "candidate", "provider": "bedrock", "model": "almost"}]
    config = write_config(tmp_path, fake_server, n=48, variants=variants)
    assert main(["eval", "run", "--config", str(config), "--no-progress"]) == 0
    return tmp_path / "out" / "results.json"


def _recommend(capsys, *args):
    code = main(["recommend", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_without_evidence_the_eval_question_is_open(tmp_path, capsys):
    code, out, _ = _recommend(capsys, "--answers", str(_answers(tmp_path)), "--format", "json")
    assert code == 3 and "gap_measured_with_evals" in json.loads(out)["missing"]


def test_evidence_answers_the_eval_question_and_shows_the_gap(tmp_path, results, capsys):
    capsys.readouterr()
    code, out, _ = _recommend(capsys, "--answers", str(_answers(tmp_path)), "--evidence", str(results),
                              "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert doc["answers"]["gap_measured_with_evals"] is True
    assert doc["path"] != "build_evals"
    ev = doc["evidence"]
    assert ev["gap_answer"] == "answered" and ev["primary_metric"] == "exact_match"
    (gap,) = ev["comparisons"]
    assert (gap["a"], gap["b"]) == ("baseline", "candidate")
    assert gap["difference"] == pytest.approx(-4.17, abs=0.01) and not gap["significant"]
    assert gap["ci_low"] < 0 <= gap["ci_high"]
    codes = [w["code"] for w in doc["warnings"]]
    assert "evidence_gap_not_significant" in codes


def test_text_markdown_and_html_show_the_gap_with_its_interval(tmp_path, results, capsys):
    capsys.readouterr()
    answers = str(_answers(tmp_path))
    _, text, _ = _recommend(capsys, "--answers", answers, "--evidence", str(results))
    assert "Evidence from evals" in text and "candidate vs baseline: -4.2 exact_match points" in text
    assert "not significant" in text and "Measured gap is not significant" in text
    _, md, _ = _recommend(capsys, "--answers", answers, "--evidence", str(results), "--format", "markdown")
    assert "## Evidence from evals" in md and "-4.2 exact\\_match points" in md
    _, page, _ = _recommend(capsys, "--answers", answers, "--evidence", str(results), "--format", "html")
    assert "<h2>Evidence from evals</h2>" in page and "interval" in page


def test_a_significant_gap_gets_no_noise_warning(tmp_path, fake_server, aws_env, capsys):
    fake_server.responder = lambda call: answer_number(call) if call.model == "good" else "x"
    variants = [{"name": "base", "provider": "bedrock", "model": "bad"},
                {"name": "tuned", "provider": "bedrock", "model": "good"}]
    config = write_config(tmp_path, fake_server, n=30, variants=variants)
    assert main(["eval", "run", "--config", str(config), "--no-progress"]) == 0
    capsys.readouterr()
    _, out, _ = _recommend(capsys, "--answers", str(_answers(tmp_path)), "--evidence",
                           str(tmp_path / "out" / "results.json"), "--format", "json")
    doc = json.loads(out)
    assert doc["evidence"]["comparisons"][0]["significant"] is True
    assert doc["evidence"]["comparisons"][0]["difference"] == 100.0
    assert not [w for w in doc["warnings"] if w["code"].startswith("evidence_")]
    assert "significant." in doc["evidence"]["summary"] and "not significant" not in doc["evidence"]["summary"]


def test_an_explicit_answer_wins_and_the_advice_says_so(tmp_path, results, capsys):
    capsys.readouterr()
    answers = _answers(tmp_path, gap_measured_with_evals=False)
    code, out, _ = _recommend(capsys, "--answers", str(answers), "--evidence", str(results), "--format", "json")
    doc = json.loads(out)
    assert doc["answers"]["gap_measured_with_evals"] is False and doc["path"] == "build_evals"
    assert doc["evidence"]["gap_answer"] == "kept_user_answer"
    assert any(w["code"] == "evidence_answer_kept" for w in doc["warnings"])


def test_unsure_is_replaced_by_the_evidence(tmp_path, results, capsys):
    capsys.readouterr()
    answers = _answers(tmp_path, gap_measured_with_evals="unsure")
    _, out, _ = _recommend(capsys, "--answers", str(answers), "--evidence", str(results), "--format", "json")
    assert json.loads(out)["answers"]["gap_measured_with_evals"] is True


@pytest.mark.parametrize("content, says", [
    ("{not json", "evidence.json:1"),
    ('{"schema_version": 1, "variants": []}', "schema_version is 1"),
    ('[1, 2]', "not a JSON object"),
    ('{"schema_version": 2, "primary_metric": "f1", "variants": []}', "non-empty list"),
    ('{"schema_version": 2, "primary_metric": "f1", "variants": [{"name": "a", "metrics": {}}]}',
     "no variant has a score"),
])
def test_bad_evidence_files_exit_2_naming_the_file(tmp_path, capsys, content, says):
    bad = tmp_path / "evidence.json"
    bad.write_text(content)
    code, out, err = _recommend(capsys, "--answers", str(_answers(tmp_path)), "--evidence", str(bad))
    assert code == 2 and out == ""
    assert "evidence.json" in err and says in err and "Traceback" not in err


def test_missing_evidence_file_exits_2(tmp_path, capsys):
    code, _, err = _recommend(capsys, "--answers", str(_answers(tmp_path)), "--evidence",
                              str(tmp_path / "nope.json"))
    assert code == 2 and "nope.json" in err


def test_the_json_matches_the_published_schema_and_html_escapes_the_file_name(tmp_path, results, capsys):
    import shutil
    from pathlib import Path

    import jsonschema

    odd = tmp_path / "x<b>y"
    odd.mkdir()
    shutil.copy(results, odd / "results.json")
    capsys.readouterr()
    answers = str(_answers(tmp_path))
    _, out, _ = _recommend(capsys, "--answers", answers, "--evidence", str(odd / "results.json"), "--format", "json")
    schema = json.loads((Path(__file__).parents[2] / "advisor" / "reports" / "recommendation.schema.json").read_text())
    jsonschema.validate(json.loads(out), schema)
    _, page, _ = _recommend(capsys, "--answers", answers, "--evidence", str(odd / "results.json"), "--format", "html")
    assert "x<b>y" not in page and "x&lt;b&gt;y" in page


def test_evidence_is_shown_while_other_answers_are_still_open(tmp_path, results, capsys):
    capsys.readouterr()
    answers = _answers(tmp_path, volume_justifies_setup=True)
    code, out, _ = _recommend(capsys, "--answers", str(answers), "--evidence", str(results))
    assert code == 3 and "No recommendation yet" in out
    assert "Evidence from evals" in out and "Measured gap is not significant" in out
