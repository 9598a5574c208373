"""Issue 16, eval rows: security items and bad input that used to crash, each with exit 2 and no traceback."""

from __future__ import annotations

import csv
import json
import os

import pytest
import yaml

from advisor.cli import main

from .conftest import EXAMPLE_SLICE
from .test_harness import answer_number, write_config


@pytest.fixture
def server(fake_server, aws_env):
    fake_server.responder = answer_number
    return fake_server


def _run(config, capsys, *extra):
    code = main(["eval", "run", "--config", str(config), "--no-progress", *extra])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


# -- JSON Schema references are never fetched ----------------------------------------------------------

def _schema(tmp_path, ref):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps({"type": "object", "properties": {"a": {"$ref": ref}}}))
    return path


@pytest.mark.parametrize("kind", ["http", "file"])
def test_eval_score_never_fetches_or_reads_a_schema_ref(tmp_path, fake_server, capsys, kind):
    secret = tmp_path / "secret.json"
    secret.write_text('{"type": "string"}')
    ref = f"{fake_server.base_url}/schema.json" if kind == "http" else secret.as_uri()
    preds = tmp_path / "pred.jsonl"
    preds.write_text(json.dumps({"id": "1", "prediction": '{"a": 1}'}) + "\n")
    code = main(["eval", "score", "--metric", "json", "--gold", str(_schema(tmp_path, ref)),
                 "--predictions", str(preds)])
    err = capsys.readouterr().err
    assert code == 2 and "does not point inside the schema" in err and "Traceback" not in err
    assert fake_server.hits == 0 and not fake_server.calls


def test_local_schema_refs_still_work(tmp_path, capsys):
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"$defs": {"n": {"type": "integer"}}, "type": "object",
                                  "properties": {"a": {"$ref": "#/$defs/n"}}, "required": ["a"]}))
    preds = tmp_path / "pred.jsonl"
    preds.write_text("".join(json.dumps({"id": str(i), "prediction": p}) + "\n"
                             for i, p in enumerate(['{"a": 1}', '{"a": "x"}'])))
    assert main(["eval", "score", "--metric", "json", "--gold", str(schema), "--predictions", str(preds),
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["matches_schema"] == 50.0


def test_eval_run_checks_schema_refs_before_the_first_call(tmp_path, server, capsys):
    schema = _schema(tmp_path, f"{server.base_url}/remote.json")
    config = write_config(tmp_path, server, extra={"metric": "json", "json_schema": schema.name})
    code, err = _run(config, capsys)
    assert code == 2 and "does not point inside the schema" in err and "schema.json" in err
    assert server.hits == 0


# -- environment variables ------------------------------------------------------------------------------

def test_unset_base_url_variable_is_an_error_not_the_public_endpoint(tmp_path, server, capsys, monkeypatch):
    monkeypatch.delenv("LOCAL_LLM_URL", raising=False)
    config = write_config(tmp_path, server, provider="local")
    doc = yaml.safe_load(config.read_text())
    doc["providers"]["local"]["base_url"] = "${LOCAL_LLM_URL}"
    config.write_text(yaml.safe_dump(doc))
    code, err = _run(config, capsys)
    assert code == 2 and "LOCAL_LLM_URL is not set" in err and f"{config}:" in err
    monkeypatch.setenv("LOCAL_LLM_URL", server.openai_base_url)
    assert _run(config, capsys)[0] == 0
    doc["providers"]["local"]["base_url"] = "${LOCAL_LLM_URL_UNSET_X:-" + server.openai_base_url + "}"
    config.write_text(yaml.safe_dump(doc))
    assert _run(config, capsys)[0] == 0  # a default is fine


# -- CSV formulas, names, thresholds, regexes, output folders --------------------------------------------

def test_csv_cells_never_start_a_spreadsheet_formula(tmp_path, server, capsys):
    bad = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]
    server.responder = lambda call: bad[int(answer_number(call))] if int(answer_number(call)) < len(bad) else "-5.2"
    config = write_config(tmp_path, server, n=7, extra={"postprocess": "none"})
    _run(config, capsys)
    with open(tmp_path / "out" / "results.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    outputs = [r["output"] for r in rows]
    assert outputs[:6] == ["'" + b for b in bad]
    assert outputs[6] == "-5.2"  # a plain number is not a formula
    for row in rows:
        assert not any(v.startswith(("=", "+", "@", "\t", "\r")) for v in row.values() if v)


@pytest.mark.parametrize("name", ["../../x", "..", "a/b", "/etc"])
def test_eval_names_cannot_leave_the_runs_folder(tmp_path, server, capsys, name):
    config = write_config(tmp_path, server, extra={"name": name, "output_dir": None})
    code, err = _run(config, capsys)
    assert code == 2 and "name" in err
    assert server.hits == 0 and not (tmp_path.parent / "x").exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_fail_under_needs_a_finite_number(tmp_path, capsys, value):
    preds = tmp_path / "p.json"
    preds.write_text("{}")
    code = main(["eval", "score", "--metric", "tatqa", "--gold", str(EXAMPLE_SLICE), "--predictions", str(preds),
                 "--fail-under", f"f1={value}"])
    assert code == 2 and "finite" in capsys.readouterr().err


def test_config_thresholds_must_be_finite(tmp_path, server, capsys):
    config = write_config(tmp_path, server, variants=[{"name": "v", "provider": "bedrock", "model": "m",
                                                       "thresholds": {"exact_match": float("nan")}}])
    code, err = _run(config, capsys)
    assert code == 2 and "not a finite number" in err and server.hits == 0


def test_a_bad_regex_is_found_before_any_call(tmp_path, server, capsys):
    config = write_config(tmp_path, server, variants=[{"name": "v", "provider": "bedrock", "model": "m",
                                                       "postprocess": "regex:(unclosed"}])
    code, err = _run(config, capsys)
    assert code == 2 and "not a valid regular expression" in err and f"{config}:" in err
    assert server.hits == 0


def test_a_bad_price_file_is_found_before_any_call(tmp_path, server, capsys):
    (tmp_path / "prices.yaml").write_text("models: [unclosed\n")
    config = write_config(tmp_path, server, extra={"prices": "prices.yaml"})
    code, err = _run(config, capsys)
    assert code == 2 and "prices.yaml" in err and server.hits == 0


@pytest.mark.parametrize("where", ["file", "readonly", "proc"])
def test_unusable_output_folders_are_clear_errors_before_any_call(tmp_path, server, capsys, where):
    if where == "file":
        target = tmp_path / "afile"
        target.write_text("x")
    elif where == "readonly":
        if os.geteuid() == 0:
            pytest.skip("root can write to read-only folders")
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        target = ro / "out"
    else:
        target = "/proc/advisor-eval-out"
    config = write_config(tmp_path, server)
    code, err = _run(config, capsys, "--output", str(target))
    assert code == 2 and str(target) in err
    assert ("is a file" in err) if where == "file" else ("cannot write to the output folder" in err)
    assert server.hits == 0


# -- bad gold / prediction files for eval score ----------------------------------------------------------

def _deep(n):
    return "[" * n + "]" * n


GOLD_CASES = {
    "deep-json": ("tatqa", _deep(100_000), "{}", "nested too deeply"),
    "huge-int-pred": ("f1", '{"1": "a"}', '{"1": ' + "9" * 5000 + "}", "unreadable JSON value"),
    "tatqa-not-list": ("tatqa", '{"questions": []}', "{}", "a TAT-QA file is a list"),
    "tatqa-context-not-mapping": ("tatqa", "[1, 2]", "{}", "context 1: expected a mapping"),
    "tatqa-questions-not-list": ("tatqa", '[{"questions": 5}]', "{}", "\"questions\" list"),
    "tatqa-no-uid": ("tatqa", '[{"questions": [{"answer": "a"}]}]', "{}", "needs a string \"uid\""),
    "tatqa-answer-dict": ("tatqa", '[{"questions": [{"uid": "u", "answer": {"x": 1}, "answer_type": "span"}]}]',
                          "{}", "\"answer\" must be"),
    "tatqa-bad-type": ("tatqa", '[{"questions": [{"uid": "u", "answer": "a", "answer_type": "essay"}]}]', "{}",
                       "answer_type"),
    "tatqa-scale-number": ("tatqa", '[{"questions": [{"uid": "u", "answer": "a", "answer_type": "span", '
                                    '"scale": 3}]}]', "{}", "\"scale\" must be a string"),
    "tatqa-pred-scale-number": ("tatqa", '[{"questions": [{"uid": "u", "answer": ["a"], "answer_type": "span", '
                                         '"scale": ""}]}]', '{"u": ["a", 7]}', "scale must be a string"),
    "preds-not-object": ("tatqa", "[]", "[1, 2]", "predictions are a JSON object"),
    "gold-answer-dict": ("f1", '{"1": {"x": 1}}', '{"1": "a"}', "must be a string, a number or a list"),
    "gold-record-without-id": ("f1", '[{"answer": "a"}]', '{"1": "a"}', "needs an \"id\""),
    "pred-deep-jsonl": ("exact", '{"1": "a"}', _deep(50_000) + "\n", "nested too deeply"),
}


@pytest.mark.parametrize("case", sorted(GOLD_CASES))
def test_bad_gold_and_predictions_are_clear_errors(tmp_path, capsys, case):
    metric, gold, preds, message = GOLD_CASES[case]
    gold_path, pred_path = tmp_path / "gold.json", tmp_path / "pred.json"
    gold_path.write_text(gold)
    pred_path.write_text(preds)
    code = main(["eval", "score", "--metric", metric, "--gold", str(gold_path), "--predictions", str(pred_path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and "Traceback" not in err
    assert str(gold_path) in err or str(pred_path) in err


def test_a_400_digit_answer_scores_without_crashing(tmp_path, capsys):
    big = "9" * 400
    gold = [{"questions": [{"uid": "u", "answer": big, "answer_type": "arithmetic", "scale": ""}]}]
    (tmp_path / "g.json").write_text(json.dumps(gold))
    (tmp_path / "p.json").write_text(json.dumps({"u": [big, ""]}))
    code = main(["eval", "score", "--metric", "tatqa", "--gold", str(tmp_path / "g.json"),
                 "--predictions", str(tmp_path / "p.json")])
    assert code in (0, 2) and "Traceback" not in capsys.readouterr().err


def test_eval_run_rejects_a_tatqa_file_of_the_wrong_shape_before_any_call(tmp_path, server, capsys):
    (tmp_path / "bad.json").write_text('[{"questions": [{"uid": "u", "answer": "a"}], "table": {"table": "x"}}]')
    config = write_config(tmp_path, server, extra={"dataset": {"path": "bad.json", "format": "tatqa"}})
    code, err = _run(config, capsys)
    assert code == 2 and "bad.json" in err and server.hits == 0
