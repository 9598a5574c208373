"""Deterministic filters over teacher answers, cheapest first; every dropped record is kept with its reason.

Order (the first failing filter drops the record): ``teacher_error`` (no answer), ``length``
(``min_chars`` / ``max_chars``), ``truncated`` (stopped at max tokens, or over ``max_output_tokens``),
``refusal``, ``regex`` (must match), ``json_schema`` (the answer parses as JSON and validates; only
references inside the schema are resolved, nothing is fetched), ``gold`` (exact match or F1 against the
prompt's gold answer, when it has one), ``duplicate`` (the same prompt and answer seen before),
``command`` (a user command that exits 0 for a good answer; run without a shell, with a timeout, in the
config file's folder; ``{answer_file}``, ``{prompt_file}`` and ``{gold_file}`` in its arguments become
files holding the answer, the user text and the gold answer, and the answer is also on its stdin).

Streaming: records are read and written one at a time. The duplicate check keeps its digests in an
SQLite file beside the output rather than in memory, so memory stays flat in the number of records
(``bench/bench_distill.py`` prints it).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from advisor.distill.prompts import normalise
from advisor.errors import InputError, location_for

DEFAULT_REFUSALS = (
    r"^\s*(i'?m|i am) sorry,? but i (can(no|')t|am unable|won'?t)",
    r"^\s*i (can(no|')t|won'?t|am unable to|am not able to) (help|assist|comply|provide|do that)",
    r"\bas an ai (language )?model\b",
    r"^\s*(sorry|unfortunately),? i (can(no|')t|am unable)",
)
FILTER_ORDER = ("teacher_error", "length", "truncated", "refusal", "regex", "json_schema", "gold", "duplicate",
                "command")


@dataclass
class FilterResult:
    read: int = 0
    kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"read": self.read, "kept": self.kept, "dropped": dict(self.dropped)}


def _strip_fences(text: str) -> str:
    t = text.strip()
    if t.startswith("```"):
        t = t.split("\n", 1)[1] if "\n" in t else ""
        if t.rstrip().endswith("```"):
            t = t.rstrip()[:-3]
    return t.strip()


class _Dedupe:
    """Seen digests in an on-disk SQLite table (memory flat in the number of records)."""

    def __init__(self, folder: Path):
        fd, self.path = tempfile.mkstemp(prefix=".dedupe-", suffix=".sqlite", dir=folder)
        os.close(fd)
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE seen (d BLOB PRIMARY KEY) WITHOUT ROWID")

    def first_time(self, digest: bytes) -> bool:
        cur = self.db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (digest,))
        return cur.rowcount == 1

    def close(self) -> None:
        self.db.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


class FilterChain:
    """The configured filters; :meth:`check` returns ``(filter, reason)`` for a bad record, else None."""

    def __init__(self, cfg, base: Path | None = None, work_dir: Path | None = None):
        self.cfg = cfg
        self.base = Path(base) if base is not None else None
        self.work_dir = Path(work_dir or tempfile.gettempdir())
        self.refusals = [re.compile(p, re.I) for p in (list(DEFAULT_REFUSALS) + list(cfg.refusal_patterns))] \
            if cfg.refusals else []
        self.regex = re.compile(cfg.regex, re.S) if cfg.regex else None
        self.validator = None
        if cfg.json_schema:
            from advisor.evals.schema import load_schema, make_validator

            path = Path(cfg.json_schema)
            if base is not None and not path.is_absolute():
                path = base / path
            self.validator = make_validator(load_schema(path), location_for(path))
        self.command = cfg.command
        if self.command is not None and shutil.which(self.command.argv[0]) is None:
            raise InputError(f"filters.command: {self.command.argv[0]!r} is not an executable on PATH",
                             location_for(str(base or "config")))
        self._dedupe: _Dedupe | None = None

    # each check: record -> reason or None
    def _length(self, r):
        n = len(r["answer"])
        if n < self.cfg.min_chars:
            return f"answer has {n} characters, under min_chars {self.cfg.min_chars}"
        if self.cfg.max_chars is not None and n > self.cfg.max_chars:
            return f"answer has {n} characters, over max_chars {self.cfg.max_chars}"
        return None

    def _truncated(self, r):
        if r.get("stop_reason") in ("max_tokens", "length"):
            return "the teacher's answer was cut off at max_tokens"
        tokens = r.get("output_tokens")
        if self.cfg.max_output_tokens is not None and tokens is not None and tokens > self.cfg.max_output_tokens:
            return f"{tokens} output tokens, over max_output_tokens {self.cfg.max_output_tokens}"
        return None

    def _refusal(self, r):
        head = r["answer"][:400]
        for pattern in self.refusals:
            if pattern.search(head):
                return f"looks like a refusal (matches {pattern.pattern!r})"
        return None

    def _regex(self, r):
        if self.regex is not None and not self.regex.search(r["answer"]):
            return f"does not match the regex {self.regex.pattern!r}"
        return None

    def _json_schema(self, r):
        if self.validator is None:
            return None
        try:
            doc = json.loads(_strip_fences(r["answer"]))
        except ValueError as exc:
            return f"not JSON: {exc}"
        errors = sorted(self.validator.iter_errors(doc), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            where = "/".join(str(p) for p in e.path) or "(root)"
            return f"fails the JSON schema at {where}: {e.message[:200]}"
        return None

    def _gold(self, r):
        g = self.cfg.gold
        if g is None or r.get("gold") in (None, ""):
            return None
        from advisor.evals.metrics import squad_scores

        em, f1 = squad_scores(r["answer"], [r["gold"]])
        score = em if g.metric == "exact" else f1
        if score + 1e-12 < g.min:
            return f"{g.metric} {score:.2f} against the gold answer, under {g.min:g}"
        return None

    def _duplicate(self, r):
        if not self.cfg.dedupe:
            return None
        if self._dedupe is None:
            self._dedupe = _Dedupe(self.work_dir)
        digest = hashlib.sha256(("\0".join(m["content"] for m in r["messages"]) + "\0\0"
                                 + normalise(r["answer"])).encode()).digest()[:16]
        if not self._dedupe.first_time(digest):
            return "the same prompt and answer appeared earlier"
        return None

    def _command(self, r):
        if self.command is None:
            return None
        with tempfile.TemporaryDirectory(prefix="advisor-filter-") as tmp:
            files = {"answer_file": r["answer"], "prompt_file": "\n".join(m["content"] for m in r["messages"]
                                                                         if m["role"] == "user"),
                     "gold_file": r.get("gold") or ""}
            paths = {}
            for key, text in files.items():
                p = Path(tmp) / f"{key}.txt"
                p.write_text(text, encoding="utf-8")
                paths[key] = str(p)
            argv = [a.format(**paths) if "{" in a else a for a in self.command.argv]
            env = {**os.environ, "ADVISOR_ANSWER_FILE": paths["answer_file"],
                   "ADVISOR_PROMPT_FILE": paths["prompt_file"], "ADVISOR_GOLD_FILE": paths["gold_file"]}
            try:
                proc = subprocess.run(argv, input=r["answer"], capture_output=True, text=True,
                                      timeout=self.command.timeout, env=env, cwd=self.base or tmp, shell=False)
            except subprocess.TimeoutExpired:
                return f"the command did not finish within {self.command.timeout:g} s"
            except OSError as exc:
                return f"the command could not start: {exc.strerror or exc}"
        if proc.returncode != 0:
            said = (proc.stderr or proc.stdout or "").strip().splitlines()
            return f"the command exited {proc.returncode}" + (f": {said[0][:200]}" if said else "")
        return None

    def check(self, r: dict[str, Any]) -> tuple[str, str] | None:
        if r.get("answer") is None:
            return "teacher_error", r.get("error") or "the teacher gave no answer"
        for name in FILTER_ORDER[1:]:
            reason = getattr(self, "_" + name)(r)
            if reason:
                return name, reason
        return None

    def close(self) -> None:
        if self._dedupe is not None:
            self._dedupe.close()
            self._dedupe = None


def run_filters(records: Iterable[dict[str, Any]], chain: FilterChain, kept_path: Path, dropped_path: Path,
                on_record: Callable[[int], None] | None = None) -> FilterResult:
    """Stream ``records`` through ``chain`` into ``kept_path`` and ``dropped_path`` (each written atomically)."""
    result = FilterResult()
    kept_tmp = kept_path.with_name(f".{kept_path.name}.tmp")
    dropped_tmp = dropped_path.with_name(f".{dropped_path.name}.tmp")
    try:
        with open(kept_tmp, "w", encoding="utf-8") as kept, open(dropped_tmp, "w", encoding="utf-8") as dropped:
            for r in records:
                result.read += 1
                verdict = chain.check(r)
                if verdict is None:
                    kept.write(json.dumps(r, ensure_ascii=False) + "\n")
                    result.kept += 1
                else:
                    name, reason = verdict
                    result.dropped[name] = result.dropped.get(name, 0) + 1
                    dropped.write(json.dumps({**r, "dropped_by": name, "reason": reason}, ensure_ascii=False) + "\n")
                if on_record is not None:
                    on_record(result.read)
            for fh in (kept, dropped):
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(kept_tmp, kept_path)
        os.replace(dropped_tmp, dropped_path)
    finally:
        chain.close()
        for tmp in (kept_tmp, dropped_tmp):
            if tmp.exists():
                tmp.unlink()
    return result


def iter_lines(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
