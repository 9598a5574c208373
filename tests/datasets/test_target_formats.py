"""The dataset tools follow the target model: record format, unknown limits, validation-set rules."""

from __future__ import annotations

import json

import pytest

from advisor.datasets.records import RecordLimits, check_record, digests, quick_facts
from advisor.datasets.validate import validate_dataset, validate_files
from tests.datasets.conftest import clean_records, clean_records_2024, record, record_2024, write_jsonl


def codes(report) -> list[str]:
    return [p.code for p in report.log.kept]


# --- bedrock-conversation-2024 records --------------------------------------------------------------

def test_clean_2024_file_is_valid_for_nova_and_says_which_limits_were_not_checked(tmp_path, nova):
    path = write_jsonl(tmp_path / "train.jsonl", clean_records_2024(120))
    report = validate_dataset(path, None, nova)
    assert report.valid and report.log.errors == 0 and report.log.warnings == 0
    assert report.record_format == "bedrock-conversation-2024"
    infos = [p for p in report.log.kept if p.severity == "info"]
    assert [p.code for p in infos] == ["unknown_limits"]  # said once
    assert "tokens per record" in infos[0].message and "nova-micro" in infos[0].message
    assert report.to_dict()["info"][0]["code"] == "unknown_limits"


def test_unknown_token_limit_is_skipped_not_invented(tmp_path, nova, model):
    long = record_2024("x " * 60_000)  # ~40,000 tokens: over Haiku's 32,000, unknown for Nova Micro
    path = write_jsonl(tmp_path / "train.jsonl", [long, *clean_records_2024(120)])
    assert "too_many_tokens" not in codes(validate_dataset(path, None, nova))
    haiku = write_jsonl(tmp_path / "haiku.jsonl", [record("x " * 60_000), *clean_records(40)])
    assert "too_many_tokens" in codes(validate_dataset(haiku, None, model))


@pytest.mark.parametrize("mutate, code", [
    (lambda r: r.pop("schemaVersion"), "missing_schema_version"),
    (lambda r: r.update(schemaVersion="bedrock-conversation-2023"), "bad_schema_version"),
    (lambda r: r.update(system="Be brief."), "not_a_block_list"),
    (lambda r: r["messages"][0].update(content="plain string"), "not_a_block_list"),
    (lambda r: r["messages"][0].update(content=[]), "empty_text"),
    (lambda r: r["messages"][0]["content"].append({"text": "a", "image": {}}), "bad_block"),
    (lambda r: r["messages"][0]["content"].append({"sound": {}}), "bad_block"),
    (lambda r: r["messages"][0].update(content=[{"text": "Answer as User: please"}]), "reserved_string"),
    (lambda r: r["messages"][1].update(content=[{"text": "see <image> here"}]), "reserved_string"),
    (lambda r: r["messages"][1]["content"].append({"toolUse": {"toolUseId": "1", "name": "f", "input": {}}}),
     "tool_use_in_sft"),
    (lambda r: r.update(toolConfig={"tools": []}), "tool_use_in_sft"),
    (lambda r: r["messages"].reverse(), "first_not_user"),
])
def test_2024_record_errors(mutate, code, nova):
    rec = record_2024()
    mutate(rec)
    limits = RecordLimits.from_model(nova)
    findings, facts = check_record(rec, limits)
    assert code in [f.code for f in findings if f.severity == "error"], findings
    assert facts is None
    assert quick_facts(rec, limits, json.dumps(rec).encode()) is None


def test_media_blocks_pass_unchecked_with_a_warning(nova):
    rec = record_2024()
    rec["messages"][0]["content"].append({"image": {"format": "png", "source": {"s3Location": {"uri": "s3://b/k"}}}})
    findings, facts = check_record(rec, RecordLimits.from_model(nova))
    assert [(f.code, f.severity) for f in findings] == [("unchecked_block", "warning")]
    assert facts is not None


def test_quick_path_agrees_with_full_check_on_2024_records(nova):
    limits = RecordLimits.from_model(nova)
    variants = [record_2024(), record_2024(system=None), record_2024("naïve café", "déjà vu")]
    multi = record_2024()
    multi["messages"] += [{"role": "user", "content": [{"text": "and?"}]},
                          {"role": "assistant", "content": [{"text": "done."}]}]
    variants.append(multi)
    for rec in variants:
        raw = json.dumps(rec).encode()
        quick = quick_facts(rec, limits, raw)
        findings, full = check_record(rec, limits)
        assert quick is not None and full is not None and not findings
        assert quick[:5] == tuple(full) and quick[5:] == digests(rec)


def test_claude_records_given_to_a_nova_model_get_one_conversion_hint(tmp_path, run_cli):
    path = write_jsonl(tmp_path / "haiku.jsonl", clean_records(5))
    result = run_cli("data", "validate", path, "--model", "nova-micro")
    assert result.code == 1
    assert "info [other_record_format] most records look like bedrock-claude-conversation records" in result.out
    assert f"advisor data convert {path} --from bedrock --to bedrock-2024" in result.out


def test_nova_records_given_to_haiku_get_the_reverse_hint(tmp_path, run_cli):
    path = write_jsonl(tmp_path / "nova.jsonl", clean_records_2024(40))
    result = run_cli("data", "validate", path)
    assert result.code == 1 and "--from bedrock-2024 --to bedrock" in result.out


def test_fewer_than_100_samples_is_a_warning_for_nova(tmp_path, nova):
    report = validate_dataset(write_jsonl(tmp_path / "t.jsonl", clean_records_2024(40)), None, nova)
    assert report.valid
    few = [p for p in report.log.kept if p.code == "few_records"]
    assert few and few[0].severity == "warning" and "at least 100" in few[0].message


def test_s3_key_characters_are_checked_for_nova_file_names(tmp_path, nova, model):
    bad = write_jsonl(tmp_path / "train data (v2).jsonl", clean_records_2024(120))
    report = validate_dataset(bad, None, nova)
    assert [p for p in report.log.kept if p.code == "file_name"][0].severity == "warning"
    haiku = write_jsonl(tmp_path / "train data (v3).jsonl", clean_records(40))
    assert "file_name" not in codes(validate_dataset(haiku, None, model))


def test_a_validation_file_for_a_model_without_validation_sets_is_an_error(tmp_path, nova2):
    train = write_jsonl(tmp_path / "t.jsonl", clean_records_2024(120, "t"))
    val = write_jsonl(tmp_path / "v.jsonl", clean_records_2024(20, "v"))
    report = validate_files(train, val, nova2)
    assert not report.valid and "validation_not_used" in codes(report)
    assert validate_files(train, None, nova2).valid


def test_haiku_validation_below_the_combined_minimum_says_to_fold_it(tmp_path, model):
    train = write_jsonl(tmp_path / "t.jsonl", clean_records(32, "t"))
    val = write_jsonl(tmp_path / "v.jsonl", clean_records(8, "v"))
    report = validate_dataset(train, val, model)
    problem = [p for p in report.log.kept if p.code == "too_few_records"][0]
    assert problem.file.endswith("v.jsonl") and "merge these records into the training file" in problem.fix


# --- split ------------------------------------------------------------------------------------------

def test_a_40_record_haiku_set_splits_without_a_validation_file_and_then_validates(tmp_path, run_cli):
    path = write_jsonl(tmp_path / "all.jsonl", clean_records(40))
    result = run_cli("data", "split", path, "--out-dir", tmp_path / "out")
    assert result.code == 0, result.out
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"train.jsonl", "test.jsonl"}
    assert "validation share is folded into training" in result.out and "no early stopping" in result.out
    assert run_cli("data", "validate", tmp_path / "out" / "train.jsonl").code == 0


def test_a_100_record_haiku_set_gets_a_validation_file_at_the_minimum(tmp_path, run_cli):
    path = write_jsonl(tmp_path / "all.jsonl", clean_records(100))
    result = run_cli("data", "split", path, "--out-dir", tmp_path / "out", "--format", "json")
    data = json.loads(result.out)
    assert result.code == 0 and data["counts"]["validation"] == 32 and not data["validation_folded_into_training"]
    val = tmp_path / "out" / "validation.jsonl"
    assert run_cli("data", "validate", tmp_path / "out" / "train.jsonl", "--validation", val).code == 0


def test_no_validation_file_for_a_model_that_uses_none(tmp_path, run_cli):
    path = write_jsonl(tmp_path / "all.jsonl", clean_records_2024(300))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "validation.jsonl").write_text("stale\n")
    result = run_cli("data", "split", path, "--out-dir", tmp_path / "out", "--model", "nova-2-lite")
    assert result.code == 0
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"train.jsonl", "test.jsonl"}
    assert "nova-2-lite fine-tuning uses no validation set" in result.out


# --- stats ------------------------------------------------------------------------------------------

def test_stats_gives_billed_tokens_and_says_the_price_is_unknown(tmp_path, run_cli):
    path = write_jsonl(tmp_path / "t.jsonl", clean_records_2024(200))
    result = run_cli("data", "stats", path, "--model", "nova-micro", "--format", "json")
    data = json.loads(result.out)
    assert data["epochs"] == 2 and data["epochs_from"] == "nova-micro's API default"
    assert data["billed_training_tokens"] == data["tokens_total"] * 2
    assert data["training_cost"] is None and "no sourced training price for nova-micro" in data["training_cost_note"]
    text = run_cli("data", "stats", path, "--model", "nova-micro", "--epochs", "3").out
    assert f"billed training tokens        {data['tokens_total'] * 3:,}" in text
    assert "training cost                 unknown" in text


def test_stats_prices_training_where_a_sourced_price_exists(tmp_path, rulebase, nova):
    from advisor.datasets.stats import dataset_stats

    class Price:
        training_per_1k_tokens = {"usd": 0.001, "source": "aws_pricing", "as_of": "2026-11-30"}

    class Prices:
        def for_model(self, model_id):
            return Price() if model_id == "nova-micro" else None

    class FakeRuleBase:
        extras = {"prices.yaml": Prices()}
        sources: dict = {}
        fine_tune_model = None

    path = write_jsonl(tmp_path / "t.jsonl", clean_records_2024(200))
    stats = dataset_stats(path, nova, FakeRuleBase(), epochs=2)
    assert stats.training_cost == {"usd": round(stats.tokens_total * 2 / 1000 * 0.001, 2), "per_1k_tokens": 0.001,
                                   "source": "aws_pricing", "as_of": "2026-11-30"}
    assert "seen 2026-11-30" in stats.render_text()


def test_stats_advice_follows_the_target(tmp_path, run_cli):
    haiku = write_jsonl(tmp_path / "h.jsonl", clean_records(40))
    data = json.loads(run_cli("data", "stats", haiku, "--format", "json").out)
    assert any("no validation set is possible" in a and "early stopping" in a for a in data["advice"])
    nova = write_jsonl(tmp_path / "n.jsonl", clean_records_2024(200))
    data = json.loads(run_cli("data", "stats", nova, "--model", "nova-micro", "--format", "json").out)
    assert any("duplicating the data" in a and "5 copies" in a for a in data["advice"])
    assert data["hyperparameters"] == []  # the rule base's plan is for another model
    data = json.loads(run_cli("data", "stats", nova, "--model", "nova-2-lite", "--format", "json").out)
    assert any("uses no validation set" in a for a in data["advice"])
