"""The plan, --dry-run, --yes and the refusals that happen before anything is uploaded."""

from __future__ import annotations

import json
import re

import pytest

from tests.launchers.conftest import count_jobs, count_objects


def test_dry_run_prints_exact_requests_and_calls_nothing(cli, base_args, s3, fake, moto_server, tmp_path):
    rc, out, err = cli(*base_args, "--model", "test-claude", "--dry-run")
    assert rc == 0, err
    assert "create_model_customization_job" in out and "[BILLED" in out
    assert '"epochCount": "2"' in out  # hyperparameters as strings, the API's type
    assert (tmp_path / "state" / "bedrock-fine-tune" / "plan.json").exists()
    assert not (tmp_path / "state" / "bedrock-fine-tune" / "state.json").exists()
    assert sum(fake.calls.values()) == 0
    assert count_objects(s3) == 0 and count_jobs(moto_server) == 0


def test_dry_run_json_is_the_plan_object(cli, base_args, data):
    rc, out, _ = cli(*base_args, "--model", "test-nova", "--dry-run", "--format", "json",
                     "--deploy", "on-demand", "--test", data / "test.jsonl")
    assert rc == 0
    plan = json.loads(out)
    steps = [s["name"] for s in plan["steps"]]
    assert steps == ["preflight", "data", "upload", "create_job", "watch", "metrics", "deploy", "evaluate", "report"]
    job = plan["steps"][3]["requests"][0]["params"]
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9\+\-\.])*", job["jobName"]) and len(job["jobName"]) <= 63
    assert re.fullmatch(r"([0-9a-zA-Z][_-]?){1,63}", job["customModelName"])
    assert job["baseModelIdentifier"] == "amazon.nova-micro-v1:0:128k"
    assert set(job["hyperParameters"]) == {"epochCount", "learningRate", "learningRateWarmupSteps"}
    assert all(isinstance(v, str) for v in job["hyperParameters"].values())
    assert job["jobTags"] == [{"key": "advisor-launch", "value": "bedrock-fine-tune"}]
    assert set(plan["billed_steps"]) == {"create_job", "deploy", "evaluate"}


def test_tokens_are_stable_per_launch_name_and_differ_between_names(cli, base_args):
    def token(*extra):
        rc, out, _ = cli(*base_args, "--model", "test-claude", "--dry-run", "--format", "json", *extra)
        return json.loads(out)["steps"][3]["requests"][0]["params"]["clientRequestToken"]

    assert token() == token()
    assert token() != token("--name", "other")


def test_recommendation_hyperparameters_are_used(cli, base_args):
    rc, out, _ = cli(*base_args, "--model", "test-claude", "--dry-run", "--format", "json")
    hp = json.loads(out)["steps"][3]["requests"][0]["params"]["hyperParameters"]
    assert hp["batchSize"] == "32" and hp["learningRateMultiplier"] == "1"


def test_billed_steps_without_yes_exit_2_with_costs(cli, base_args, s3, fake, moto_server):
    rc, out, err = cli(*base_args, "--model", "test-claude", "--training-price", "8")
    assert rc == 2
    assert "create_job" in out and "Estimated cost of billed steps: $" in out
    assert "--yes" in err
    assert count_objects(s3) == 0 and sum(fake.calls.values()) == 0


def test_end_of_life_model_is_refused_before_upload(cli, base_args, s3, fake, monkeypatch):
    monkeypatch.setenv("ADVISOR_TODAY", "2026-12-01")
    rc, out, err = cli(*base_args, "--model", "claude-3-haiku", "--yes")
    assert rc == 1
    assert "end of life" in err and "Nothing was uploaded" in err
    assert count_objects(s3) == 0 and sum(fake.calls.values()) == 0


def test_unknown_model_is_refused(cli, base_args, s3):
    rc, _, err = cli(*base_args, "--model", "gpt-nine", "--yes")
    assert rc == 1 and "unknown model 'gpt-nine'" in err
    assert count_objects(s3) == 0


def test_live_catalogue_legacy_model_is_refused_before_upload(cli, base_args, s3, fake):
    fake.foundation_models[1]["modelLifecycle"]["status"] = "LEGACY"  # test-claude's base model
    rc, _, err = cli(*base_args, "--model", "test-claude", "--yes")
    assert rc == 1 and "LEGACY" in err
    assert count_objects(s3) == 0


def test_unknown_path(cli, data):
    rc, _, err = cli("launch", "teleport", "--answers", data / "answers.yaml")
    assert rc == 2 and "unknown path" in err


@pytest.mark.parametrize("extra, message", [
    (["--deploy", "provisioned"], "--hourly-price"),
    (["--deploy", "on-demand"], "Amazon Nova"),
    (["--role-arn", "my-role"], "not an IAM role ARN"),
    (["--region", "eu-west-1"], "not eu-west-1"),
    (["--name", "bad_name"], "launch name"),
])
def test_usage_errors(cli, base_args, extra, message):
    rc, _, err = cli(*base_args, "--model", "test-claude", "--dry-run", *extra)
    assert rc in (1, 2) and message in err
    assert "Traceback" not in err


def test_reused_name_with_different_inputs_is_refused_naming_the_difference(cli, base_args, data, s3):
    assert cli(*base_args, "--model", "test-claude", "--yes")[0] == 4
    (data / "train.jsonl").write_text((data / "train.jsonl").read_text() + (data / "train.jsonl").read_text()[:0])
    rc, _, err = cli(*base_args, "--model", "test-nova", "--yes")
    assert rc == 2
    assert "already exists with different inputs" in err and "model: was 'test-claude', now 'test-nova'" in err
    with open(data / "train.jsonl", "a") as fh:
        fh.write((data / "validation.jsonl").read_text())
    rc, _, err = cli(*base_args, "--model", "test-claude", "--yes")
    assert rc == 2 and "train:" in err


def test_status_lists_launches_and_names_unknown_ones(cli, base_args, s3, tmp_path):
    state = tmp_path / "state"
    rc, out, _ = cli("launch", "status", "--state-dir", state)
    assert rc == 0 and "no launches yet" in out
    assert cli(*base_args, "--model", "test-claude", "--yes")[0] == 4
    rc, out, _ = cli("launch", "status", "--state-dir", state)
    assert rc == 0 and "bedrock-fine-tune" in out and "watch waiting" in out
    rc, _, err = cli("launch", "status", "nope", "--state-dir", state)
    assert rc == 2 and "no launch named 'nope'" in err


def test_unknown_prices_are_said_to_be_unknown(cli, base_args):
    rc, out, _ = cli(*base_args, "--model", "test-claude")
    assert rc == 2
    assert "Estimated cost of billed steps: unknown (no reliable price for create_job" in out
    assert "--training-price" in out


def test_without_model_the_recommendations_model_is_used(cli, base_args, data, rules_dir, monkeypatch):
    monkeypatch.setenv("ADVISOR_TODAY", "2026-06-01")  # a date when the recommended model is alive
    rc, out, _ = cli("recommend", "--answers", data / "answers.yaml", "--rules", rules_dir, "--format", "json")
    rec = json.loads(out)
    if not rec.get("model"):
        pytest.skip("these answers name no fine-tuning model in this rule base")
    rc, out, err = cli(*base_args, "--dry-run", "--format", "json", "--region", rec["model"]["region"])
    assert rc == 0, err
    plan = json.loads(out)
    job = plan["steps"][3]["requests"][0]["params"]
    assert job["baseModelIdentifier"] == rec["model"]["base_model_id"]
    assert plan["context"]["model_id"] == rec["model"]["id"]
    if rec.get("hyperparameters"):
        for name, value in rec["hyperparameters"].items():
            if name in job["hyperParameters"]:
                assert float(job["hyperParameters"][name]) == pytest.approx(float(value))


def test_prices_in_the_answers_are_used_when_no_flag_gives_them(cli, base_args, data):
    text = (data / "answers.yaml").read_text()
    (data / "answers.yaml").write_text(text + "  provisioned_throughput_hourly_usd: 30\n"
                                              "  fine_tuning_training_cost_usd: 150\n")
    rc, out, err = cli(*base_args, "--model", "test-claude", "--deploy", "provisioned", "--dry-run")
    assert rc == 0, err
    assert "$30.00 per hour" in out and "$150.00 from your answers" in out
    rc, out, _ = cli(*base_args, "--model", "test-claude", "--deploy", "provisioned", "--hourly-price", "12",
                     "--dry-run", "--name", "flagged")
    assert "$12.00 per hour" in out
