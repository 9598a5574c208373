"""``advisor data split``: a seeded train / validation / test split of a Bedrock dataset.

Two passes over the file, so memory holds digests, not records:

1. read every line; skip lines Bedrock would reject (reported) and exact duplicates (counted);
   group the remaining records by *prompt* digest, so every record sharing a prompt lands in the
   same split: no prompt appears in two splits (no leakage).
2. shuffle the groups with ``random.Random(seed)``, fill test, then validation, then training;
   then apply the model's limits: validation at most ``max_validation_records`` (and at least
   ``min_validation_records`` when enough data exists), training within ``max_training_records`` and
   training + validation within ``max_total_records``. Groups that fit nowhere go to ``unused.jsonl``.
   Finally write each kept line, byte for byte, to ``train.jsonl``, ``validation.jsonl``, ``test.jsonl``.

The same input, fractions and seed always give the same files.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.datasets.jsonl import STDIN, LineError, decode_line, open_input, read_lines
from advisor.datasets.records import RecordLimits, check_record, digests, quick_facts
from advisor.errors import InputError, Location, UsageError

__all__ = ["SplitResult", "split_dataset", "SPLITS"]

SPLITS = ("train", "validation", "test", "unused")


@dataclass
class SplitResult:
    """Counts per split, what was dropped and why, and the files written."""

    counts: dict[str, int] = field(default_factory=lambda: {s: 0 for s in SPLITS})
    read: int = 0
    duplicates: int = 0
    rejected: int = 0
    problems: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seed: int = 0
    folded_validation: bool = False

    def to_dict(self) -> dict:
        return {"seed": self.seed, "read": self.read, "duplicates_removed": self.duplicates,
                "rejected": self.rejected, "counts": self.counts, "files": self.files,
                "notes": self.notes, "problems": self.problems,
                "validation_folded_into_training": self.folded_validation}


def _targets(total: int, validation: float, test: float) -> tuple[int, int]:
    return round(total * test), round(total * validation)


def split_dataset(path: str | Path, out_dir: str | Path, model, *, validation: float = 0.1, test: float = 0.1,
                  seed: int = 0, max_problems: int = 20) -> SplitResult:
    """Split ``path`` into ``out_dir``; see the module docstring for the rules."""
    if not (0 <= validation < 1 and 0 <= test < 1 and validation + test < 1):
        raise UsageError("--validation and --test are fractions whose sum must stay below 1")
    if str(path) == STDIN:
        with _spooled_stdin(out_dir) as spooled:
            result = split_dataset(spooled, out_dir, model, validation=validation, test=test, seed=seed,
                                   max_problems=max_problems)
        result.problems = [p.replace(str(spooled), "<stdin>", 1) for p in result.problems]
        return result
    limits = model.limits
    record_limits = RecordLimits.from_model(model)
    result = SplitResult(seed=seed)

    # pass 1: which line belongs to which prompt group
    seen: set[int] = set()
    group_of_line: dict[int, int] = {}
    group_index: dict[int, int] = {}
    group_sizes: list[int] = []
    with open_input(path) as stream:
        for line in read_lines(stream, path):
            if not line.data.strip():
                continue
            result.read += 1
            value = None if line.too_long else decode_line(line.data, line.number == 1)
            reason = None
            if value is None:
                reason = "the line is too long to be a record"
            elif isinstance(value, LineError):
                reason = value.message
            else:
                facts = quick_facts(value, record_limits, line.data)
                if facts is not None:
                    record_digest, prompt_digest = facts[5:]
                else:
                    findings, full = check_record(value, record_limits)
                    if full is None:
                        first = findings[0]
                        reason = f"{first.field + ': ' if first.field else ''}{first.message}"
                    else:
                        record_digest, prompt_digest = digests(value)
            if reason is not None:
                result.rejected += 1
                if len(result.problems) < max_problems:
                    result.problems.append(f"{path}:{line.number}: skipped: {reason}")
                continue
            if record_digest in seen:
                result.duplicates += 1
                continue
            seen.add(record_digest)
            index = group_index.setdefault(prompt_digest, len(group_sizes))
            if index == len(group_sizes):
                group_sizes.append(0)
            group_sizes[index] += 1
            group_of_line[line.number] = index
    del seen, group_index

    # assign groups to splits
    order = list(range(len(group_sizes)))
    random.Random(seed).shuffle(order)
    unique = sum(group_sizes)
    want_test, want_validation = _targets(unique, validation, test)
    min_train, min_val = limits.min_training_records, limits.min_validation_records
    max_val = limits.max_validation_records
    if validation > 0 and not getattr(model, "uses_validation_set", True):
        result.notes.append(f"no validation file: {model.id} fine-tuning uses no validation set; its share "
                            "stays in training")
        want_validation = 0
        validation = 0
    elif validation > 0:
        if max_val is not None and want_validation > max_val:
            result.notes.append(f"validation capped at {max_val:,} records (model limit)")
            want_validation = max_val
        if min_val is not None and want_validation < min_val:
            if unique - want_test >= min_val + (min_train or 0):
                result.notes.append(f"validation raised to {min_val:,} records (model minimum)")
                want_validation = min_val
            else:
                result.notes.append(
                    f"no validation file: {unique - want_test:,} records can't fill {model.id}'s minimums of "
                    f"{min_train or 0:,} training + {min_val:,} validation records, so the validation share "
                    "is folded into training (there will be no validation loss and no early stopping)")
                want_validation = 0
                result.folded_validation = True
    assignment = [0] * len(group_sizes)  # index into SPLITS
    filled = {"test": 0, "validation": 0, "train": 0}
    big = 1 << 62
    max_total = limits.max_total_records if limits.max_total_records is not None else big
    max_train = min(limits.max_training_records if limits.max_training_records is not None else big, max_total)
    for g in order:
        size = group_sizes[g]
        if filled["test"] < want_test:
            split = "test"
        elif filled["validation"] < want_validation:
            split = "validation"
        else:
            room = min(max_train, max_total - filled["validation"]) - filled["train"]
            split = "train" if size <= room else "unused"
        if split != "unused":
            filled[split] += size
        assignment[g] = SPLITS.index(split)
    if SPLITS.index("unused") in assignment:
        caps = []
        if limits.max_training_records is not None:
            caps.append(f"{limits.max_training_records:,} training")
        if limits.max_total_records is not None:
            caps.append(f"{limits.max_total_records:,} training + validation")
        result.notes.append(f"training capped at {filled['train']:,} records: the model allows "
                            f"{' and '.join(caps)} records; the rest is in unused.jsonl")
    if (validation > 0 and min_val is not None and 0 < filled["validation"] < min_val):
        # prompt groups can leave validation short of the minimum: never write such a file
        for g, a in enumerate(assignment):
            if SPLITS[a] == "validation":
                assignment[g] = SPLITS.index("train")
        result.notes.append(f"no validation file: only {filled['validation']:,} records could go to validation "
                            f"(minimum {min_val:,}); they are in training")
        filled["train"] += filled["validation"]
        filled["validation"] = 0
        result.folded_validation = True
    if result.folded_validation:
        validation = 0
    labels = {"min_training_records": "minimum training", "max_training_records": "maximum training",
              "min_validation_records": "minimum validation", "max_validation_records": "maximum validation",
              "max_total_records": "maximum training + validation"}
    unknown = [label for name, label in labels.items() if getattr(limits, name, None) is None
               and (validation > 0 or "validation" not in label)]
    if unknown:
        result.notes.append(f"not applied: AWS documents no {', '.join(unknown)} record counts for {model.id} "
                            "(unknown in the catalogue)")

    # pass 2: copy lines
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output directory: {exc.strerror or exc}", Location(str(out))) from None
    names = {"train": "train.jsonl", "validation": "validation.jsonl", "test": "test.jsonl", "unused": "unused.jsonl"}
    if Path(path).resolve() in {(out / name).resolve() for name in names.values()}:
        raise UsageError(f"{path} would be overwritten by the split; choose another --out-dir")
    handles: dict[str, tuple[Path, Any]] = {}
    try:
        for split in SPLITS:
            if split == "unused" and SPLITS.index("unused") not in assignment:
                continue
            if split in ("validation", "test") and not (validation if split == "validation" else test):
                continue
            target = out / names[split]
            fd, tmp = tempfile.mkstemp(prefix=f".{names[split]}.", suffix=".tmp", dir=out)
            handles[split] = (Path(tmp), os.fdopen(fd, "wb"))
            os.chmod(tmp, 0o666 & ~_umask())
            result.files[split] = str(target)
        with open_input(path) as stream:
            for line in read_lines(stream, path):
                group = group_of_line.get(line.number)
                if group is None:
                    continue
                split = SPLITS[assignment[group]]
                data = line.data if line.data.endswith(b"\n") else line.data + b"\n"
                handles[split][1].write(data)
                result.counts[split] += 1
        for _split, (_tmp, handle) in handles.items():
            handle.close()
        for split, (part, _handle) in handles.items():
            os.replace(part, out / names[split])
        if "validation" not in handles:
            stale = out / names["validation"]
            if stale.exists():  # an earlier run's validation file must not be mistaken for this one's
                stale.unlink()
                result.notes.append(f"removed the earlier {stale} (this split has no validation file)")
    except OSError as exc:
        raise InputError(f"cannot write the split: {exc.strerror or exc}; no split files were written",
                         Location(str(out))) from None
    finally:
        for part, handle in handles.values():
            handle.close()
            if part.exists():
                part.unlink()
    return result


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def _spooled_stdin(out_dir):
    """Standard input copied to a temporary file (in the output folder's parent when it exists)."""
    folder = Path(out_dir).parent if Path(out_dir).parent.is_dir() else None
    try:
        handle = tempfile.NamedTemporaryFile(prefix=".advisor-stdin-", suffix=".jsonl", dir=folder, delete=False)
    except OSError as exc:
        raise InputError(f"cannot buffer standard input: {exc.strerror or exc}", Location("<stdin>")) from None
    try:
        with handle:
            shutil.copyfileobj(sys.stdin.buffer, handle, 1 << 20)
        yield handle.name
    except OSError as exc:
        raise InputError(f"cannot buffer standard input: {exc.strerror or exc}", Location("<stdin>")) from None
    finally:
        try:
            os.unlink(handle.name)
        except OSError:
            pass
