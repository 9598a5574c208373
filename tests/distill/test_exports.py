"""Every export loaded back and checked against its documented format; LoRA settings and their sources."""

from __future__ import annotations

import json

import pytest
import yaml

from advisor.distill.exports import export_all, lora_settings, percentile


def records(n: int):
    for i in range(n):
        turns = [{"role": "user", "content": f"Ticket {i}: my invoice is wrong"}]
        if i % 10 == 9:  # a multi-turn record
            turns = [{"role": "user", "content": f"Hi {i}"}, {"role": "assistant", "content": "Hello"},
                     {"role": "user", "content": f"Ticket {i}: refund?"}]
        yield {"id": f"r{i}", "system": "You route tickets." if i % 2 else None, "messages": turns, "gold": None,
               "source": "x", "answer": f"billing-{i % 3} <b>&</b>"}


@pytest.fixture
def exported(tmp_path):
    kept = tmp_path / "final.jsonl"
    kept.write_text("".join(json.dumps(r) + "\n" for r in records(40)))
    info = export_all(kept, tmp_path / "student", "Qwen/Qwen2.5-0.5B-Instruct")
    return tmp_path / "student", info


def lines(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_trl_messages(exported):
    folder, info = exported
    rows = lines(folder / "trl" / "train.jsonl")
    assert len(rows) == 40 == info["records"]
    for row in rows:
        assert set(row) == {"messages"}
        roles = [m["role"] for m in row["messages"]]
        body = [r for r in roles if r != "system"]
        assert roles.count("system") <= 1 and (roles[0] == "system" or roles[0] == "user")
        assert body[-1] == "assistant" and all(a != b for a, b in zip(body, body[1:]))
        assert all(isinstance(m["content"], str) for m in row["messages"])
    assert rows[1]["messages"][0] == {"role": "system", "content": "You route tickets."}
    settings = json.loads((folder / "trl" / "settings.json").read_text())
    assert settings["model"] == "Qwen/Qwen2.5-0.5B-Instruct" and settings["lora_r"] == 16
    compile((folder / "trl" / "train_lora.py").read_text(), "train_lora.py", "exec")


def test_llamafactory_sharegpt_and_dataset_info(exported):
    folder, _ = exported
    info = json.loads((folder / "llamafactory" / "dataset_info.json").read_text())
    entry = info["distill"]
    assert entry["formatting"] == "sharegpt" and entry["columns"]["messages"] == "conversations"
    tags = entry["tags"]
    rows = lines(folder / "llamafactory" / entry["file_name"])
    assert len(rows) == 40
    for row in rows:
        conv = row[entry["columns"]["messages"]]
        # LLaMA-Factory's converter: human at odd positions, gpt at even (1-based), an even number of turns
        assert len(conv) % 2 == 0
        for k, turn in enumerate(conv):
            assert turn[tags["role_tag"]] == (tags["user_tag"] if k % 2 == 0 else tags["assistant_tag"])
            assert isinstance(turn[tags["content_tag"]], str)
    assert rows[1]["system"] == "You route tickets." and "system" not in rows[0]
    config = yaml.safe_load((folder / "llamafactory" / "train_lora.yaml").read_text())
    assert config["dataset"] == "distill" and config["finetuning_type"] == "lora"
    assert (folder / "llamafactory" / "dataset_info.json").parent == folder / "llamafactory"
    assert config["dataset_dir"].endswith("llamafactory") and config["cutoff_len"] >= 1024


def test_axolotl_chat_template_and_config(exported):
    folder, _ = exported
    config = yaml.safe_load((folder / "axolotl" / "config.yaml").read_text())
    ds = config["datasets"][0]
    assert ds["type"] == "chat_template" and ds["field_messages"] == "messages"
    assert config["adapter"] == "lora" and config["lora_r"] == 16 and config["lora_alpha"] == 32
    # Axolotl's validator wants at least two of micro_batch_size / gradient_accumulation_steps / batch_size
    assert config["micro_batch_size"] and config["gradient_accumulation_steps"]
    rows = lines(folder / "axolotl" / "train.jsonl")
    assert len(rows) == 40 and all(m.keys() == {"role", "content"} for r in rows for m in r["messages"])


def test_bedrock_records_pass_the_dataset_tooling(exported, rulebase):
    from advisor.datasets import dataset_model, validate_files

    folder, info = exported
    rows = lines(folder / "bedrock" / "train.jsonl")
    assert rows[0]["schemaVersion"] == "bedrock-conversation-2024"
    assert rows[0]["messages"][0]["content"] == [{"text": "Ticket 0: my invoice is wrong"}]
    report = validate_files(folder / "bedrock" / "train.jsonl", None, dataset_model(rulebase, "nova-micro"))
    assert report.valid, report.to_dict()["errors"][:3]
    prompts = lines(folder / "bedrock" / "distillation_prompts.jsonl")
    assert len(prompts) == info["bedrock_prompts"] == 36  # the 4 multi-turn records are left out
    assert all([m["role"] for m in p["messages"]] == ["user"] for p in prompts)


def test_lora_settings_follow_the_data():
    small = lora_settings(500, 300)
    assert small["values"]["epochs"] == 3 and small["values"]["max_length"] == 1024
    assert "evals.md" in small["sources"]["lora_r"]
    big = lora_settings(20000, 1900)
    assert big["values"]["epochs"] == 1 and big["values"]["max_length"] == 2048
    assert lora_settings(5000, 10)["values"]["epochs"] == 2
    assert percentile(list(range(1, 101)), 0.95) == 95

    class Rules:
        lora = {"lora_r": 8}

    class Override:
        learning_rate = 1e-4

    chosen = lora_settings(100, 10, Rules(), Override())
    assert chosen["values"]["lora_r"] == 8 and chosen["sources"]["lora_r"] == "rule base"
    assert chosen["values"]["learning_rate"] == 1e-4 and chosen["sources"]["learning_rate"].startswith("config")


def test_report_escapes_user_text(tmp_path):
    from advisor.distill.report import write_reports
    from advisor.launchers.ledger import Ledger
    from advisor.launchers.plan import Plan, Step

    plan = Plan("distill", "x", {}, [Step("prompts", "read"), Step("report", "write")], [],
                {"route": "local", "terms": ["<script>alert(1)</script> | *terms*"]})
    ledger = Ledger(tmp_path / "state", "x")
    ledger.update("prompts", "done", detail="<img src=x onerror=alert(1)>", prompts=3,
                  skipped_examples=["a.json:1: [link](http://evil) `code`"])
    paths = write_reports(plan, ledger, tmp_path)
    page = paths["html"].read_text()
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page
    md = paths["markdown"].read_text()
    assert "<script>" not in md and "<img" not in md and "\\[link\\]" in md and "\\`code\\`" in md
