"""Student training data and trainer configs, from the kept records.

Written under ``<out>/student/``:

* ``trl/train.jsonl`` — TRL's conversational format, ``{"messages": [{"role", "content"}, ...]}``
  (system, user, assistant), and ``trl/train_lora.py``, a short script (TRL ``SFTTrainer`` + PEFT
  ``LoraConfig``) with the LoRA settings below, run as ``python trl/train_lora.py``;
* ``llamafactory/distill.jsonl`` — ShareGPT records ``{"conversations": [{"from": "human"|"gpt", "value"}],
  "system"}``, ``llamafactory/dataset_info.json`` declaring it (``formatting: sharegpt``, the
  ``from``/``value``/``human``/``gpt`` tags) and ``llamafactory/train_lora.yaml``
  (``llamafactory-cli train llamafactory/train_lora.yaml``);
* ``axolotl/train.jsonl`` — ``{"messages": [...]}`` for ``type: chat_template`` and ``axolotl/config.yaml``
  (``axolotl train axolotl/config.yaml``);
* ``bedrock/train.jsonl`` — ``bedrock-conversation-2024`` records (Nova fine-tuning) and
  ``bedrock/distillation_prompts.jsonl`` — single-turn prompts in the same format (Bedrock distillation
  input), both checked with the dataset tooling's record rules.

LoRA settings come from the rule base when it has them (a ``lora`` block); otherwise from the heuristic
table of ``evals.md`` §3.8 with its sources: rank 16 / alpha 32 / dropout 0.05 on all linear layers
(Axolotl's lora-1b example, AutoTrain's defaults), learning rate 2e-4 (Axolotl; LoRA range 1e-4–2e-4),
epochs 3 up to ~2,000 examples, 2 up to 10,000, then 1 (LLaMA-Factory 3, Axolotl 1), and a max length
of the 95th percentile of token counts rounded up to 256, at least 1,024 (TRL's default). Tokens are
estimated as characters / 3 (Bedrock's conservative rule; no tokenizer is downloaded).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Iterable

from advisor.distill.prompts import iter_jsonl, write_jsonl

CHARS_PER_TOKEN = 3.0
LORA_SOURCES = {
    "lora_r": "evals.md §3.8 (Axolotl examples/llama-3/lora-1b.yml r 16; AutoTrain lora_r 16)",
    "lora_alpha": "evals.md §3.8 (alpha = 2r: Axolotl lora-1b alpha 32; AutoTrain lora_alpha 32)",
    "lora_dropout": "evals.md §3.8 (Axolotl lora-1b and AutoTrain: 0.05)",
    "learning_rate": "evals.md §3.8 (LoRA 1e-4–2e-4; Axolotl lora-1b 2e-4)",
    "epochs": "evals.md §3.8 (3 for ≤ ~2k examples, 1–2 for ≥ 10k; LLaMA-Factory 3, Axolotl 1)",
    "max_length": "evals.md §3.8 (p95 of token lengths, at least 1,024 = TRL's default max_length)",
}
TRAINER_COMMANDS = {
    "trl": "python trl/train_lora.py",
    "llamafactory": "llamafactory-cli train llamafactory/train_lora.yaml",
    "axolotl": "axolotl train axolotl/config.yaml",
}


def conversation(record: dict[str, Any]):
    from advisor.datasets.convert import Conversation

    turns = tuple((m["role"], m["content"]) for m in record["messages"]) + (("assistant", record["answer"]),)
    return Conversation(record.get("system") or None, turns)


def tokens_of(record: dict[str, Any]) -> int:
    chars = len(record.get("system") or "") + sum(len(m["content"]) for m in record["messages"]) \
        + len(record.get("answer") or "")
    return int(math.ceil(chars / CHARS_PER_TOKEN)) + 4 * (len(record["messages"]) + 2)


def percentile(values: list[int], q: float) -> int:
    if not values:
        return 0
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(math.ceil(q * len(s))) - 1))
    return s[k]


def lora_settings(n_examples: int, p95_tokens: int, rulebase=None, overrides=None) -> dict[str, Any]:
    """The LoRA settings and where each came from (rule base, config override, or evals.md §3.8)."""
    rules = getattr(rulebase, "lora", None) if rulebase is not None else None
    rules = rules if isinstance(rules, dict) else {}
    epochs = 3 if n_examples <= 2000 else 2 if n_examples <= 10000 else 1
    max_len = max(1024, int(math.ceil(p95_tokens / 256.0)) * 256)
    values = {"lora_r": 16, "lora_alpha": 32, "lora_dropout": 0.05, "learning_rate": 2e-4, "epochs": epochs,
              "max_length": max_len}
    sources = dict(LORA_SOURCES)
    for key in values:
        if key in rules:
            values[key] = rules[key]
            sources[key] = "rule base"
        if overrides is not None and getattr(overrides, key, None) is not None:
            values[key] = getattr(overrides, key)
            sources[key] = "config train." + key
    return {"values": values, "sources": sources, "p95_tokens": p95_tokens, "examples": n_examples,
            "token_estimate": f"characters / {CHARS_PER_TOKEN:g}"}


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _yaml(data: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


TRL_SCRIPT = '''"""Train a LoRA adapter on train.jsonl with TRL's SFTTrainer (written by advisor launch distill)."""
import json
from pathlib import Path

from datasets import load_dataset
from peft import LoraConfig
from trl import SFTConfig, SFTTrainer

HERE = Path(__file__).resolve().parent
SETTINGS = json.loads((HERE / "settings.json").read_text())

dataset = load_dataset("json", data_files=str(HERE / "train.jsonl"), split="train")
peft_config = LoraConfig(r=SETTINGS["lora_r"], lora_alpha=SETTINGS["lora_alpha"],
                         lora_dropout=SETTINGS["lora_dropout"], target_modules="all-linear", task_type="CAUSAL_LM")
args = SFTConfig(output_dir=str(HERE / "output"), num_train_epochs=SETTINGS["epochs"],
                 learning_rate=SETTINGS["learning_rate"], max_length=SETTINGS["max_length"],
                 per_device_train_batch_size=2, gradient_accumulation_steps=4, lr_scheduler_type="cosine",
                 warmup_ratio=0.1, logging_steps=10, assistant_only_loss=False)
trainer = SFTTrainer(model=SETTINGS["model"], train_dataset=dataset, args=args, peft_config=peft_config)
trainer.train()
trainer.save_model(str(HERE / "output" / "adapter"))
'''


def export_all(kept: Path, folder: Path, student_model: str, rulebase=None, overrides=None) -> dict[str, Any]:
    """Write every trainer's data and config from ``kept`` (JSONL records with answers)."""
    from advisor.datasets.convert import to_format

    folder.mkdir(parents=True, exist_ok=True)
    token_counts: list[int] = []

    def records() -> Iterable[dict[str, Any]]:
        return iter_jsonl(kept)

    def openai_lines():
        for r in records():
            token_counts.append(tokens_of(r))
            yield to_format(conversation(r), "openai")

    n = write_jsonl(folder / "trl" / "train.jsonl", openai_lines())
    if n == 0:
        from advisor.errors import CheckFailed

        raise CheckFailed("no record survived the filters and the judge; nothing to train on "
                          "(see dropped.jsonl for the reasons)")
    p95 = percentile(token_counts, 0.95)
    lora = lora_settings(n, p95, rulebase, overrides)
    v = lora["values"]
    _write_text(folder / "trl" / "settings.json", json.dumps({**v, "model": student_model}, indent=2) + "\n")
    _write_text(folder / "trl" / "train_lora.py", TRL_SCRIPT)

    write_jsonl(folder / "axolotl" / "train.jsonl", (to_format(conversation(r), "openai") for r in records()))

    def sharegpt(r):
        c = conversation(r)
        rec = {"conversations": [{"from": "human" if role == "user" else "gpt", "value": text}
                                 for role, text in c.turns]}
        if c.system:
            rec["system"] = c.system
        return rec

    write_jsonl(folder / "llamafactory" / "distill.jsonl", (sharegpt(r) for r in records()))
    info = {"distill": {"file_name": "distill.jsonl", "formatting": "sharegpt",
                        "columns": {"messages": "conversations", "system": "system"},
                        "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human",
                                 "assistant_tag": "gpt"}}}
    _write_text(folder / "llamafactory" / "dataset_info.json", json.dumps(info, indent=2) + "\n")
    _write_text(folder / "llamafactory" / "train_lora.yaml", _yaml({
        "model_name_or_path": student_model, "stage": "sft", "do_train": True, "finetuning_type": "lora",
        "lora_rank": v["lora_r"], "lora_alpha": v["lora_alpha"], "lora_dropout": v["lora_dropout"],
        "lora_target": "all", "dataset": "distill", "dataset_dir": str((folder / "llamafactory").resolve()),
        "template": "default", "cutoff_len": v["max_length"],
        "output_dir": str((folder / "llamafactory" / "output").resolve()), "per_device_train_batch_size": 1,
        "gradient_accumulation_steps": 8, "learning_rate": v["learning_rate"], "num_train_epochs": float(v["epochs"]),
        "lr_scheduler_type": "cosine", "warmup_ratio": 0.1, "logging_steps": 10, "save_steps": 500,
        "bf16": True, "overwrite_output_dir": True}))
    _write_text(folder / "axolotl" / "config.yaml", _yaml({
        "base_model": student_model,
        "datasets": [{"path": str((folder / "axolotl" / "train.jsonl").resolve()), "ds_type": "json", "type": "chat_template",
                                                    "field_messages": "messages",
                                                    "message_property_mappings": {"role": "role",
                                                                                  "content": "content"},
                                                    "roles_to_train": ["assistant"]}],
        "chat_template": "tokenizer_default", "val_set_size": 0.1,
        "output_dir": str((folder / "axolotl" / "output").resolve()),
        "adapter": "lora", "lora_r": v["lora_r"], "lora_alpha": v["lora_alpha"], "lora_dropout": v["lora_dropout"],
        "lora_target_linear": True, "sequence_len": v["max_length"], "sample_packing": False,
        "micro_batch_size": 2, "gradient_accumulation_steps": 4, "num_epochs": v["epochs"],
        "optimizer": "adamw_torch", "lr_scheduler": "cosine", "learning_rate": v["learning_rate"],
        "warmup_ratio": 0.1, "bf16": "auto", "logging_steps": 10}))

    bedrock_train = write_jsonl(folder / "bedrock" / "train.jsonl",
                                (to_format(conversation(r), "bedrock-2024") for r in records()))

    def prompts_only():
        for r in records():
            try:
                yield to_format(conversation(r), "distillation", prompts_only=True)
            except ValueError:
                continue  # multi-turn: Bedrock distillation takes single-turn prompts

    bedrock_prompts = write_jsonl(folder / "bedrock" / "distillation_prompts.jsonl", prompts_only())
    files = {"trl": ["trl/train.jsonl", "trl/train_lora.py", "trl/settings.json"],
             "llamafactory": ["llamafactory/distill.jsonl", "llamafactory/dataset_info.json",
                              "llamafactory/train_lora.yaml"],
             "axolotl": ["axolotl/train.jsonl", "axolotl/config.yaml"],
             "bedrock": ["bedrock/train.jsonl", "bedrock/distillation_prompts.jsonl"]}
    return {"records": n, "bedrock_records": bedrock_train, "bedrock_prompts": bedrock_prompts, "lora": lora,
            "files": files, "commands": TRAINER_COMMANDS, "folder": str(folder)}


def training_files(folder: Path) -> list[Path]:
    return [folder / "trl" / "train.jsonl", folder / "axolotl" / "train.jsonl",
            folder / "llamafactory" / "distill.jsonl", folder / "bedrock" / "train.jsonl",
            folder / "bedrock" / "distillation_prompts.jsonl"]


def trainer_available(trainer: str) -> str | None:
    """How to run ``trainer`` here, or None when it is not installed."""
    if trainer == "trl":
        return "python" if importlib.util.find_spec("trl") is not None else None
    exe = {"llamafactory": "llamafactory-cli", "axolotl": "axolotl"}[trainer]
    return shutil.which(exe)


def train_argv(trainer: str, folder: Path) -> list[str] | None:
    found = trainer_available(trainer)
    if found is None:
        return None
    if trainer == "trl":
        return [sys.executable, str(folder / "trl" / "train_lora.py")]
    if trainer == "llamafactory":
        return [found, "train", str(folder / "llamafactory" / "train_lora.yaml")]
    return [found, "train", str(folder / "axolotl" / "config.yaml")]
