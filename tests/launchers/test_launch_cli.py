"""``advisor launch --answers FILE`` without PATH follows the recommendation; ``launch status`` without NAME
lists every launch in the state folder."""

from __future__ import annotations

import json

import yaml

from tests.launchers.test_build_evals import write_tickets

BASE = {"project_name": "Tickets", "gap_is_factual_recall": False, "few_shot_examples_tried": 30}


def answers(tmp_path, **values):
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump({"answers": {**BASE, **values}}))
    return path


def test_without_a_path_the_recommended_launcher_runs_and_asks_for_its_inputs(cli, tmp_path):
    a = answers(tmp_path, gap_measured_with_evals=True, volume_justifies_setup=False)
    rc, out, err = cli("launch", "--answers", a, "--state-dir", tmp_path / "state")
    assert rc == 2 and out == ""
    assert "the answers lead to 'stay_on_prompts'" in err and "--test FILE is needed" in err
    assert not (tmp_path / "state").exists()  # nothing was planned or written before the inputs are complete


def test_undetermined_answers_say_which_questions_are_open(cli, tmp_path):
    a = answers(tmp_path)
    rc, _, err = cli("launch", "--answers", a, "--state-dir", tmp_path / "state")
    assert rc == 2 and "do not yet determine a path" in err and "gap_measured_with_evals" in err


def test_no_path_and_no_answers_is_a_usage_error(cli, tmp_path):
    rc, _, err = cli("launch", "--state-dir", tmp_path / "state")
    assert rc == 2 and "--answers FILE" in err


def test_status_lists_every_launch_in_text_and_json(cli, tmp_path):
    state = tmp_path / "state"
    rc, out, _ = cli("launch", "status", "--state-dir", state)
    assert rc == 0 and "no launches yet" in out
    a = answers(tmp_path, gap_measured_with_evals=False)
    data = write_tickets(tmp_path / "t.jsonl", n=40)
    for name in ("first", "second"):
        rc, _, err = cli("launch", "--answers", a, "--data", data, "--out", tmp_path / name, "--state-dir", state,
                         "--name", name, "--cases", "10")
        assert rc == 0, err
    rc, _, _ = cli("launch", "build_evals", "--answers", a, "--data", data, "--out", tmp_path / "p",
                   "--state-dir", state, "--name", "planned", "--dry-run")
    rc, out, _ = cli("launch", "status", "--state-dir", state)
    lines = out.strip().splitlines()
    assert rc == 0 and [line.split()[0] for line in lines] == ["first", "planned", "second"]
    assert "finished" in lines[0] and "read pending" in lines[1]
    rc, out, _ = cli("launch", "status", "--state-dir", state, "--format", "json")
    doc = json.loads(out)
    assert [x["name"] for x in doc["launches"]] == ["first", "planned", "second"]
    assert all(x["path"] == "build_evals" for x in doc["launches"])
    assert {s["status"] for s in doc["launches"][0]["steps"]} <= {"done", "skipped"}
