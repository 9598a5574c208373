"""`advisor recommend` as users and scripts see it: paths, JSON contract, exit codes, errors."""

import json

import pytest

BASE = {"gap_is_factual_recall": False, "few_shot_examples_tried": 25, "gap_measured_with_evals": True,
        "volume_justifies_setup": True}

PATHS = {
    "rag": {"gap_is_factual_recall": True},
    "few_shot": {"gap_is_factual_recall": False, "few_shot_examples_tried": 3},
    "build_evals": {"gap_is_factual_recall": False, "few_shot_examples_tried": 25, "gap_measured_with_evals": False},
    "stay_on_prompts": {**BASE, "volume_justifies_setup": False},
    "distill": {**BASE, "open_weights_viable": True},
    "bedrock_fine_tune": {**BASE, "open_weights_viable": False, "must_stay_on_claude": False, "training_examples": 750},
}


def write(tmp_path, data, name="answers.yaml"):
    import yaml

    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    elif name.endswith(".json"):
        path.write_text(json.dumps(data), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("path_id", sorted(PATHS))
def test_every_exit_is_reachable_and_follows_the_json_contract(tmp_path, run_cli, path_id):
    answers = write(tmp_path, PATHS[path_id])
    result = run_cli("recommend", "--answers", answers, "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["schema_version"] == 1
    assert data["path"] == path_id
    assert data["title"] and data["summary"]
    assert data["trace"] and all({"rule", "because", "sources"} <= set(t) for t in data["trace"])
    assert data["trace"][0]["sources"]
    assert isinstance(data["warnings"], list) and isinstance(data["missing"], list)
    assert set(data["ruleset"]) >= {"version", "hash"}
    if path_id == "bedrock_fine_tune":
        # Today's target is Amazon Nova Micro, with Nova's own hyperparameters inside its API ranges.
        assert data["model"] == {**data["model"], "id": "nova-micro", "base_model_id": "amazon.nova-micro-v1:0:128k",
                                 "region": "us-east-1"}
        assert data["model"]["lifecycle"]["status"] == "active"
        hp = data["hyperparameters"]
        assert hp == {"epochCount": 5, "learningRate": 1e-05, "learningRateWarmupSteps": 1}
        assert data["title"] == "Fine-tune Amazon Nova Micro on Amazon Bedrock"
    else:
        assert "hyperparameters" not in data


def test_fine_tune_without_dataset_size_lists_it_as_missing(tmp_path, run_cli):
    answers = write(tmp_path, {**BASE, "open_weights_viable": False, "must_stay_on_claude": False})
    data = json.loads(run_cli("recommend", "--answers", answers, "--format", "json").out)
    assert data["path"] == "bedrock_fine_tune"
    assert "hyperparameters" not in data
    assert "training_examples" in data["missing"]


def test_undetermined_answers_exit_3_and_list_the_missing_ids(tmp_path, run_cli):
    answers = write(tmp_path, {"gap_is_factual_recall": False, "few_shot_examples_tried": 40})
    result = run_cli("recommend", "--answers", answers, "--format", "json")
    assert result.code == 3
    data = json.loads(result.out)
    assert "path" not in data
    assert data["missing"][0] == "gap_measured_with_evals"
    assert "open_weights_viable" in data["missing"]
    text = run_cli("recommend", "--answers", answers)
    assert text.code == 3 and "gap_measured_with_evals" in text.out


def test_nested_answers_key_and_json_files_are_accepted(tmp_path, run_cli):
    nested = write(tmp_path, {"advisor_answers_version": 1, "answers": PATHS["rag"]})
    assert run_cli("recommend", "--answers", nested).code == 0
    as_json = write(tmp_path, PATHS["few_shot"], name="a.json")
    assert "few_shot" in run_cli("recommend", "--answers", as_json, "--format", "json").out


def test_text_output_explains_reasons_alternatives_and_flips(tmp_path, run_cli):
    answers = write(tmp_path, PATHS["stay_on_prompts"])
    out = run_cli("recommend", "--answers", answers).out
    assert "Stay on prompts" in out
    assert "Why not the others" in out
    flat = " ".join(out.split())
    assert ("If your traffic justifies weeks of setup and operations, more questions would decide between "
            "distilling into a small open model, staying on Claude with prompt-side levers, managed fine-tuning on "
            "Amazon Bedrock") in flat
    assert "volume_justifies_setup" not in flat.split("Would complete the plan")[0]


def test_output_file_is_written(tmp_path, run_cli):
    answers = write(tmp_path, PATHS["rag"])
    target = tmp_path / "out" / "rec.json"
    result = run_cli("recommend", "--answers", answers, "--format", "json", "--output", target)
    assert result.code == 0 and result.out == ""
    assert json.loads(target.read_text())["path"] == "rag"


BAD = [
    ("unknown id", {"gap_is_factual_recall": True, "favourite_colour": "blue"}, "favourite_colour", 2),
    ("wrong type", {"gap_is_factual_recall": "maybe"}, "gap_is_factual_recall", 1),
    ("out of range", {"gap_is_factual_recall": False, "few_shot_examples_tried": -4}, "at least 0", 2),
    ("not a whole number", {"gap_is_factual_recall": False, "few_shot_examples_tried": 2.5}, "whole number", 2),
    ("unsure not allowed", {"training_examples": "unsure"}, "not allowed", 1),
]


@pytest.mark.parametrize("label,data,needle,line", BAD, ids=[b[0] for b in BAD])
def test_bad_answers_exit_2_with_file_and_line(tmp_path, run_cli, label, data, needle, line):
    import yaml

    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = run_cli("recommend", "--answers", path)
    assert result.code == 2
    assert needle in result.err
    assert f"answers.yaml:{line}" in result.err
    assert "Traceback" not in result.err and result.out == ""


@pytest.mark.parametrize("content,name,needle", [
    ("gap_is_factual_recall: [true\n", "broken.yaml", "malformed YAML"),
    ('{"gap_is_factual_recall": tru}', "broken.json", "malformed JSON"),
    ("- gap_is_factual_recall\n- true\n", "list.yaml", "expected a mapping"),
    ("just words", "words.yaml", "expected a mapping"),
    ("answers: [1, 2]\n", "nested.yaml", "`answers:` must be a mapping"),
])
def test_malformed_files_exit_2_without_traceback(tmp_path, run_cli, content, name, needle):
    path = write(tmp_path, content, name=name)
    result = run_cli("recommend", "--answers", path)
    assert result.code == 2
    assert needle in result.err and name in result.err
    assert "Traceback" not in result.err


def test_malformed_json_names_line_and_column(tmp_path, run_cli):
    path = write(tmp_path, '{\n  "gap_is_factual_recall": true,\n  "x": tru\n}', name="bad.json")
    assert "bad.json:3:" in run_cli("recommend", "--answers", path).err


def test_missing_and_non_utf8_files_exit_2(tmp_path, run_cli):
    assert run_cli("recommend", "--answers", tmp_path / "nope.yaml").code == 2
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    result = run_cli("recommend", "--answers", binary)
    assert result.code == 2 and "UTF-8" in result.err


def test_usage_errors_exit_2(run_cli):
    assert run_cli("recommend").code == 2
    assert run_cli("recommend", "--answers", "x", "--format", "pdf").code == 2


def test_console_script_runs_as_a_real_process(tmp_path):
    import subprocess
    import sys

    answers = write(tmp_path, PATHS["distill"])
    proc = subprocess.run([sys.executable, "-m", "advisor", "recommend", "--answers", str(answers), "--format", "json"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["path"] == "distill"


def test_numbers_answer_the_volume_question_and_a_price_file_changes_them(tmp_path, run_cli):
    import yaml

    example = yaml.safe_load((__import__("pathlib").Path(__file__).parents[2] / "examples" /
                              "economics-stay-on-prompts.yaml").read_text())["answers"]
    answers = write(tmp_path, {**example, "volume_justifies_setup": "unsure"})
    data = json.loads(run_cli("recommend", "--answers", answers, "--format", "json").out)
    assert data["path"] == "stay_on_prompts"  # derived from the numbers, not from the 'unsure' default
    assert data["assumptions"] == []
    assert data["economics"]["volume_justifies_setup"]["source"] == "derived"
    # A price file where the small models' input tokens cost far more: the fine-tune, which drops the worked
    # examples from every prompt, now beats the cheapest prompt-only option.
    prices = tmp_path / "prices.yaml"
    prices.write_text(yaml.safe_dump({"token_prices": [
        {"id": "nova-micro", "name": "Nova Micro (negotiated)", "model_ids": ["amazon.nova-micro-v1:0"],
         "input_per_million": 2.0, "output_per_million": 0.14, "sources": ["our contract, 2026-11"]},
        {"id": "claude-haiku-4-5", "name": "Claude Haiku 4.5 (list)", "model_ids": ["x"],
         "input_per_million": 10.0, "output_per_million": 50.0, "sources": ["our contract, 2026-11"]}]}))
    dear = json.loads(run_cli("recommend", "--answers", answers, "--format", "json", "--prices", prices).out)
    assert dear["path"] == "bedrock_fine_tune"
    assert dear["economics"]["volume_justifies_setup"]["compared_option"] == "custom_on_demand"
    assert dear["economics"]["price_file"] == "prices.yaml"


def test_bad_price_file_exits_2_with_its_line(tmp_path, run_cli):
    answers = write(tmp_path, PATHS["rag"])
    prices = tmp_path / "prices.yaml"
    prices.write_text("token_prices:\n  - id: x\n    colour: red\n")
    result = run_cli("recommend", "--answers", answers, "--prices", prices)
    assert result.code == 2 and "prices.yaml:" in result.err and "Traceback" not in result.err
