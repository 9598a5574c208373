"""The held-out test set: split off before any teacher call, and checked for leaks afterwards.

The split is by a seeded hash of each prompt's normalised user text, so it is the same on every re-run
and two prompts that differ only in case, spacing or system prompt land on the same side.
:func:`check_no_leak` reads the training files written later and fails (exit 1) if any test prompt's
user text appears in them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable

from advisor.distill.prompts import iter_jsonl, leak_key, normalise, write_jsonl
from advisor.errors import CheckFailed


def _rank(key: str, seed: int) -> str:
    return hashlib.sha256(f"holdout\0{seed}\0{key}".encode()).hexdigest()


def test_size(n_groups: int, fraction: float, min_count: int, max_count: int) -> int:
    want = max(min_count, round(n_groups * fraction))
    want = min(want, max_count, n_groups - 1)
    return max(0, want)


def split(prompts: Path, train_out: Path, test_out: Path, *, fraction: float, min_count: int, max_count: int,
          seed: int) -> dict[str, Any]:
    """Write ``train_out`` and ``test_out`` from ``prompts``; returns counts. Memory: one key per group."""
    groups: dict[str, str] = {}
    for record in iter_jsonl(prompts):
        key = leak_key(record)
        groups.setdefault(key, _rank(key, seed))
    n_test = test_size(len(groups), fraction, min_count, max_count)
    if len(groups) - n_test < 1:
        raise CheckFailed(f"{len(groups)} distinct prompts: too few to hold out a test set and still train")
    test_keys = set(sorted(groups, key=groups.__getitem__)[:n_test])
    del groups
    train_n = write_jsonl(train_out, (r for r in iter_jsonl(prompts) if leak_key(r) not in test_keys))
    test_n = write_jsonl(test_out, (r for r in iter_jsonl(prompts) if leak_key(r) in test_keys))
    return {"train_prompts": train_n, "test_prompts": test_n, "test_groups": n_test}


def _user_texts_of_training_record(obj: Any) -> Iterable[str]:
    """User texts in any export record shape (messages, conversations, bedrock-2024)."""
    if not isinstance(obj, dict):
        return []
    turns = obj.get("messages") or obj.get("conversations") or []
    out = []
    for t in turns if isinstance(turns, list) else []:
        if not isinstance(t, dict):
            continue
        role = t.get("role", t.get("from"))
        content = t.get("content", t.get("value"))
        if isinstance(content, list):
            content = "".join(b.get("text", "") for b in content if isinstance(b, dict))
        if role in ("user", "human") and isinstance(content, str):
            out.append(content)
    return out


def check_no_leak(test_file: Path, training_files: Iterable[Path]) -> dict[str, Any]:
    """Fail if any held-out prompt's user text is in a training file; returns what was checked."""
    test_texts = {hashlib.sha256(normalise("\n".join(m["content"] for m in r["messages"]
                                                     if m["role"] == "user")).encode()).hexdigest()
                  for r in iter_jsonl(test_file)}
    checked = []
    for path in training_files:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        stripped = text.lstrip()
        objs = json.loads(text) if stripped.startswith("[") else [json.loads(x) for x in text.splitlines() if x.strip()]
        for n, obj in enumerate(objs, 1):
            joined = normalise("\n".join(_user_texts_of_training_record(obj)))
            if hashlib.sha256(joined.encode()).hexdigest() in test_texts:
                raise CheckFailed(f"{path}:{n}: a held-out test prompt reached the training data; nothing was "
                                  "trained. This is a bug: please report it")
        checked.append(str(path))
    return {"test_prompts": len(test_texts), "files_checked": checked}
