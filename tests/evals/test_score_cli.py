"""``advisor eval score``: contract keys, exit codes, error messages, and a fast import path."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from advisor.cli import main

from .conftest import EXAMPLE_SLICE, REPO, SHARED_TATQA


def slice_predictions(tmp_path, wrong_every=0):
    gold = json.loads(EXAMPLE_SLICE.read_text())
    preds = {}
    for index, q in enumerate(qq for ctx in gold for qq in ctx["questions"]):
        preds[q["uid"]] = ["zzz", ""] if wrong_every and index % wrong_every == 0 else [q["answer"], q["scale"]]
    path = tmp_path / "pred.json"
    path.write_text(json.dumps(preds))
    return path


def test_json_format_has_contract_keys(tmp_path, capsys):
    pred = slice_predictions(tmp_path, wrong_every=4)
    assert main(["eval", "score", "--metric", "tatqa", "--gold", str(EXAMPLE_SLICE), "--predictions", str(pred),
                 "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["exact_match"], doc["f1"], doc["count"]) == (75.0, 75.0, 48)


@pytest.mark.skipif(not (SHARED_TATQA / "sample_prediction.json").exists(), reason="shared/data/tatqa not present")
def test_cli_matches_official_figures(capsys):
    assert main(["eval", "score", "--metric", "tatqa", "--gold", str(SHARED_TATQA / "tatqa_dataset_dev.json"),
                 "--predictions", str(SHARED_TATQA / "sample_prediction.json"), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["exact_match"], doc["f1"], doc["count"]) == (45.92, 58.88, 1668)


def test_text_format_and_fail_under(tmp_path, capsys):
    pred = slice_predictions(tmp_path, wrong_every=2)
    code = main(["eval", "score", "--metric", "tatqa", "--gold", str(EXAMPLE_SLICE), "--predictions", str(pred),
                 "--fail-under", "f1=60"])
    out, err = capsys.readouterr()
    assert code == 1 and "F1:  50.00" in out and "threshold missed: f1 50.0 < 60" in err


def test_malformed_predictions_name_file_and_line(tmp_path, capsys):
    bad = tmp_path / "pred.json"
    bad.write_text('{\n  "a": [1,\n}')
    assert main(["eval", "score", "--metric", "tatqa", "--gold", str(EXAMPLE_SLICE), "--predictions", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3:" in err and "Traceback" not in err


def test_missing_gold_file_exits_2(tmp_path, capsys):
    assert main(["eval", "score", "--metric", "f1", "--gold", str(tmp_path / "none.json"),
                 "--predictions", str(tmp_path / "none.json")]) == 2
    assert "file not found" in capsys.readouterr().err


# squad: "the" is dropped, so q1 matches exactly; q2 "apple" vs "red apple" has F1 2/3 → (1 + 2/3) / 2.
# f1 keeps articles: q1 P=1, R=2/3 → 0.8; q2 2/3 → (0.8 + 2/3) / 2.
@pytest.mark.parametrize("metric, expected", [("squad", {"exact_match": 50.0, "f1": 83.33}),
                                              ("exact", {"exact_match": 0.0}), ("f1", {"f1": 73.33})])
def test_generic_metrics_from_jsonl(tmp_path, capsys, metric, expected):
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "1", "answer": "The Eiffel Tower"}\n{"id": "2", "answers": ["red apple", "x"]}\n')
    pred = tmp_path / "pred.json"
    pred.write_text(json.dumps({"1": "eiffel tower", "2": "apple"}))
    assert main(["eval", "score", "--metric", metric, "--gold", str(gold), "--predictions", str(pred),
                 "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {k: doc[k] for k in expected} == expected and doc["count"] == 2


def test_json_metric_with_schema_file(tmp_path, capsys):
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"type": "object", "required": ["label"]}))
    pred = tmp_path / "pred.jsonl"
    pred.write_text('{"id": 1, "prediction": "{\\"label\\": 1}"}\n{"id": 2, "prediction": "{}"}\n'
                    '{"id": 3, "prediction": "nope"}\n{"id": 4, "prediction": "{\\"label\\": 2}"}\n')
    assert main(["eval", "score", "--metric", "json", "--gold", str(schema), "--predictions", str(pred),
                 "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["valid_json"], doc["matches_schema"], doc["count"]) == (75.0, 50.0, 4)


def test_score_path_does_not_import_sdks(tmp_path):
    pred = slice_predictions(tmp_path)
    code = ("import sys; from advisor.cli import main; "
            f"rc = main(['eval','score','--metric','tatqa','--gold',{str(EXAMPLE_SLICE)!r},'--predictions',{str(pred)!r}]);"
            "print(sorted(m for m in ('boto3','botocore','openai','jinja2','pydantic') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_output_token_statistics_from_prediction_records(tmp_path, capsys):
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({"id": i, "answer": "x"}) + "\n" for i in range(4)))
    pred = tmp_path / "pred.jsonl"
    pred.write_text("".join(json.dumps({"id": i, "prediction": "x", "output_tokens": n}) + "\n"
                            for i, n in enumerate([10, 20, 30, 100])))
    assert main(["eval", "score", "--metric", "exact", "--gold", str(gold), "--predictions", str(pred),
                 "--format", "json"]) == 0
    tokens = json.loads(capsys.readouterr().out)["output_tokens"]
    assert tokens == {"count": 4, "mean": 40.0, "median": 25.0, "stdev": 40.82, "min": 10, "max": 100}


def test_invalid_json_schema_is_a_usage_error(tmp_path, capsys):
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"type": "no-such-type"}))
    pred = tmp_path / "pred.json"
    pred.write_text(json.dumps({"1": "{}"}))
    assert main(["eval", "score", "--metric", "json", "--gold", str(schema), "--predictions", str(pred)]) == 2
    err = capsys.readouterr().err
    assert f"{schema}: not a valid JSON Schema" in err
