"""``advisor data validate``: check a Bedrock fine-tuning dataset the way Bedrock would, line by line.

Errors are what Bedrock rejects (exit 1); warnings are quality problems it accepts (duplicates,
train/validation leakage, one prompt with two answers, very short answers). Every problem names its
file, line (``None`` for whole-file limits), JSON field, a stable code and a fix.

Memory: files are streamed one line at a time (a line over 16 MiB is reported and skipped unread),
and records are never held. The duplicate, conflicting-answer and leakage checks keep two 64-bit
digests and a line number per usable record in two dictionaries: memory grows by about 250 bytes a
record (``bench/bench_data.py`` measures it; ~2.5 MB at 10,000 records, ~120 MB at 500,000).
``check_duplicates=False`` (``--no-duplicate-check``) skips those checks and keeps memory flat. Only
the first ``max_per_code`` problems of each code are kept for display; all are counted.

Record formats: the model's ``record_format`` decides the shape checked (see
:mod:`advisor.datasets.records`). Limits the catalogue leaves unknown (None) are not checked; one
``info`` problem (code ``unknown_limits``) lists them.

JSON output (``--format json``), a stable object::

    {
      "valid": bool,                  # no errors (and no warnings under --strict)
      "model": str,                   # catalogue id whose limits were applied
      "record_format": str,           # bedrock-claude-conversation | bedrock-conversation-2024
      "files": [{"file", "role", "bytes", "records", "usable_records", "blank_lines",
                 "tokens_total", "tokens_max"}],
      "counts": {"training_records", "validation_records", "total_records",
                 "errors", "warnings", "by_code": {code: n}},
      "errors":   [problem, ...],     # capped per code, in file and line order
      "warnings": [problem, ...],
      "info":     [problem, ...],     # notes, e.g. which limits are unknown and were not checked
      "omitted":  {code: n}           # problems counted but not listed
    }

each problem being ``{"file", "line", "column", "field", "code", "severity", "message", "fix"}``.
"""

from __future__ import annotations

import gc
import re
from collections import Counter
from functools import partial
from pathlib import Path
from typing import NamedTuple

from advisor.datasets.jsonl import (MAX_LINE_BYTES, STDIN, LineError, decode_line, display_name, file_size,
                                    open_input, scan_value, skip_rest_of_line)
from advisor.datasets.records import CONVERSE_FORMAT, RecordLimits, check_record, digests, quick_facts
from advisor.errors import InputError, Location, UsageError

__all__ = ["Problem", "ProblemLog", "FileSummary", "ValidationReport", "validate_dataset", "validate_files"]

DEFAULT_MAX_PER_CODE = 10
DEFAULT_MIN_ANSWER_CHARS = 3
_BAD = object()


class Problem(NamedTuple):
    """One finding with everything a user needs to act on it."""

    file: str
    line: int | None
    field: str
    code: str
    severity: str
    message: str
    fix: str
    column: int | None = None

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "field": self.field,
                "code": self.code, "severity": self.severity, "message": self.message, "fix": self.fix}

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.line is not None and self.column is not None:
            where += f":{self.column}"
        field_ = f" {self.field}:" if self.field else ""
        return f"{where}: {self.severity} [{self.code}]{field_} {self.message}"


class ProblemLog:
    """Counts every problem; keeps only the first ``max_per_code`` of each code (0 keeps all)."""

    def __init__(self, max_per_code: int = DEFAULT_MAX_PER_CODE):
        self.max_per_code = max_per_code
        self.kept: list[Problem] = []
        self.by_code: Counter[str] = Counter()
        self.errors = 0
        self.warnings = 0
        self.infos = 0

    def add(self, problem: Problem) -> None:
        self.by_code[problem.code] += 1
        if problem.severity == "error":
            self.errors += 1
        elif problem.severity == "info":
            self.infos += 1
        else:
            self.warnings += 1
        if not self.max_per_code or self.by_code[problem.code] <= self.max_per_code:
            self.kept.append(problem)

    @property
    def omitted(self) -> dict[str, int]:
        if not self.max_per_code:
            return {}
        return {code: n - self.max_per_code for code, n in sorted(self.by_code.items()) if n > self.max_per_code}


class FileSummary:
    """What was read from one file."""

    def __init__(self, file: str, role: str, bytes: int = 0, records: int = 0, usable_records: int = 0,
                 blank_lines: int = 0, tokens_total: int = 0, tokens_max: int = 0):
        self.file, self.role, self.bytes, self.records = file, role, bytes, records
        self.usable_records, self.blank_lines = usable_records, blank_lines
        self.tokens_total, self.tokens_max = tokens_total, tokens_max

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    def __repr__(self) -> str:
        return f"FileSummary({self.__dict__!r})"


class ValidationReport:
    """The outcome of :func:`validate_dataset` (and :func:`validate_files`)."""

    def __init__(self, model: str, files: list[FileSummary], log: ProblemLog, strict: bool = False,
                 extra: dict | None = None, record_format: str = ""):
        self.model, self.files, self.log, self.strict = model, files, log, strict
        self.extra = extra if extra is not None else {}
        self.record_format = record_format

    @property
    def valid(self) -> bool:
        return self.log.errors == 0 and not (self.strict and self.log.warnings)

    def records(self, role: str) -> int:
        return sum(f.records for f in self.files if f.role == role)

    def to_dict(self) -> dict:
        return {
            "valid": self.valid,
            "model": self.model,
            "record_format": self.record_format,
            "files": [f.to_dict() for f in self.files],
            "counts": {
                "training_records": self.records("training"),
                "validation_records": self.records("validation"),
                "total_records": self.records("training") + self.records("validation"),
                "errors": self.log.errors,
                "warnings": self.log.warnings,
                "by_code": dict(sorted(self.log.by_code.items())),
            },
            "errors": [p.to_dict() for p in self.log.kept if p.severity == "error"],
            "warnings": [p.to_dict() for p in self.log.kept if p.severity == "warning"],
            "info": [p.to_dict() for p in self.log.kept if p.severity == "info"],
            "omitted": self.log.omitted,
        }

    def render_text(self) -> str:
        lines: list[str] = []
        for p in self.log.kept:
            if p.severity != "info":
                lines.append(str(p))
                lines.append(f"    fix: {p.fix}")
        for code, n in self.log.omitted.items():
            lines.append(f"... and {n:,} more [{code}] not shown (use --max-per-code 0 to list all)")
        for p in self.log.kept:
            if p.severity == "info":
                lines.append(str(p))
                lines.append(f"    {'fix' if p.code == 'other_record_format' else 'note'}: {p.fix}")
        if lines:
            lines.append("")
        for f in self.files:
            lines.append(f"{f.file}: {f.role}, {f.records:,} records ({f.usable_records:,} usable), "
                         f"{_size(f.bytes)}, largest record ~{f.tokens_max:,} tokens")
        verdict = "valid" if self.valid else "INVALID"
        lines.append(f"{verdict} for {self.model}: {self.log.errors:,} error{'s' if self.log.errors != 1 else ''}, "
                     f"{self.log.warnings:,} warning{'s' if self.log.warnings != 1 else ''}")
        return "\n".join(lines)


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return str(n)


class _Seen:
    """Digests of records already read: record digest -> line, prompt digest -> line."""

    def __init__(self):
        self.records: dict[int, int] = {}
        self.prompts: dict[int, int] = {}


def _check_file(path: str, role: str, limits: RecordLimits, log: ProblemLog, seen: _Seen | None,
                training: _Seen | None, min_answer_chars: int) -> FileSummary:
    name = display_name(path)
    summary = FileSummary(name, role, file_size(path))
    add = log.add
    track = seen is not None
    seen_records, seen_prompts = (seen.records, seen.prompts) if track else ({}, {})  # type: ignore[union-attr]  # track is seen is not None
    scan = scan_value
    # The loop is the hot path (the benchmark holds it to 1.5x a bare json.loads loop): reading,
    # decoding and the clean-record checks are inlined; anything unusual takes the slow, explaining path.
    number = blank = usable = tokens_total = tokens_max = 0
    with open_input(path) as stream:
        try:
            for number, data in enumerate(iter(partial(stream.readline, MAX_LINE_BYTES), b""), 1):
                if len(data) == MAX_LINE_BYTES and data[-1:] != b"\n":
                    skip_rest_of_line(stream)
                    add(Problem(name, number, "", "line_too_long", "error",
                                f"the line is longer than {len(data):,} bytes; no record can be this long",
                                "check for a missing line break, or split the record"))
                    continue
                try:
                    text = data.decode("utf-8")
                    value, end = scan(text, 0)
                    if end != len(text) and text[end:].strip():  # something after the value
                        value = _BAD
                except (ValueError, StopIteration, RecursionError):  # incl. UnicodeDecodeError, JSONDecodeError
                    value = _BAD
                if value is _BAD:
                    if not data.strip():
                        blank += 1
                        add(Problem(name, number, "", "blank_line", "error",
                                    "blank line; JSON Lines has one JSON value on every line", "delete the blank line"))
                        continue
                    value = decode_line(data, number == 1)
                    if type(value) is LineError:
                        add(Problem(name, number, "", value.code, "error", value.message, value.fix, value.column))
                        continue
                facts = quick_facts(value, limits, data)
                if facts is None:
                    findings, full = check_record(value, limits)
                    for f in findings:
                        add(Problem(name, number, f.field, f.code, f.severity, f.message, f.fix))
                    if full is None:
                        continue
                    facts = (full.tokens, full.turns, full.has_system, full.answer, full.answer_tokens,
                             *digests(value))
                tokens, turns, _, answer, _, record_digest, prompt_digest = facts
                usable += 1
                tokens_total += tokens
                if tokens > tokens_max:
                    tokens_max = tokens
                if not track:
                    pass
                elif (first := seen_records.get(record_digest)) is not None:
                    add(Problem(name, number, "", "duplicate", "warning", f"same record as line {first}",
                                "remove the repeat; duplicates over-weight one example"))
                    continue
                else:
                    seen_records[record_digest] = number
                    earlier = seen_prompts.get(prompt_digest)
                    if earlier is not None:
                        add(Problem(name, number, f"messages[{turns - 1}].content", "conflicting_answer", "warning",
                                    f"same prompt as line {earlier} with a different answer",
                                    "keep the correct answer only; contradictory labels confuse training"))
                    else:
                        seen_prompts[prompt_digest] = number
                if training is not None:
                    leaked = training.records.get(record_digest) or training.prompts.get(prompt_digest)
                    if leaked is not None:
                        add(Problem(name, number, "", "leakage", "warning",
                                    f"this prompt is also in the training file (line {leaked})",
                                    "remove it from one of the files; validation loss should measure unseen data"))
                if len(answer) < min_answer_chars or len(answer.strip()) < min_answer_chars:
                    add(Problem(name, number, f"messages[{turns - 1}].content", "short_answer", "warning",
                                f"the answer has only {len(answer.strip())} character(s)",
                                "check the label is complete; very short answers teach little"
                                " (set --min-answer-chars 0 for class labels)"))
        except OSError as exc:
            raise InputError(f"read error: {exc.strerror or exc}", Location(name, number + 1)) from None
        if str(path) == STDIN:
            summary.bytes = stream.bytes_read  # type: ignore[attr-defined]  # the stdin reader counts bytes
    summary.records = number - blank
    summary.blank_lines, summary.usable_records = blank, usable
    summary.tokens_total, summary.tokens_max = tokens_total, tokens_max
    return summary


# Which catalogue limits each check reads, and how to name them when AWS documents none.
_LIMIT_NAMES = {
    "max_tokens_per_record": "tokens per record",
    "min_training_records": "minimum training records",
    "max_training_records": "maximum training records",
    "min_validation_records": "minimum validation records",
    "max_validation_records": "maximum validation records",
    "max_total_records": "maximum training + validation records",
    "max_training_file_bytes": "training file size",
    "max_validation_file_bytes": "validation file size",
}
# S3 object keys Bedrock reads for Nova customisation: letters, digits, '_', '-', '/', '.' only
# (catalogue-2026.md §2, Nova data-preparation page).
_S3_KEY_CHARS = re.compile(r"[^A-Za-z0-9_\-/.]")


def _count_limits(summary: FileSummary, low: int | None, high: int | None, max_bytes: int | None, log: ProblemLog,
                  model_id: str, validation_possible: bool = True) -> None:
    role = summary.role
    if low is not None and summary.records < low:
        fix = f"add {role} records ({model_id} needs {low:,} or more)"
        if role == "validation" and not validation_possible:
            fix = ("merge these records into the training file and train without a validation set: there are "
                   "too few records for both minimums (advisor data split does this)")
        log.add(Problem(summary.file, None, "", "too_few_records", "error",
                        f"{summary.records:,} {role} records; at least {low:,} are needed", fix))
    elif high is not None and summary.records > high:
        log.add(Problem(summary.file, None, "", "too_many_records", "error",
                        f"{summary.records:,} {role} records; at most {high:,} are allowed",
                        f"remove {summary.records - high:,} records (advisor data split can cap them)"))
    if max_bytes is not None and summary.bytes > max_bytes:
        log.add(Problem(summary.file, None, "", "file_too_large", "error",
                        f"the file has {summary.bytes:,} bytes; at most {max_bytes:,} are allowed",
                        "remove or shorten records"))


# codes that mean "this record is in the other Bedrock format"
_OTHER_FORMAT_CODES = {
    "bedrock-conversation-2024": ("missing_schema_version", "not_a_block_list"),
    "bedrock-claude-conversation": ("unknown_key",),
}


def _format_hint(summary: FileSummary, log: ProblemLog, record_format: str, before: Counter) -> None:
    """One info line when most records of a file look like the other Bedrock record format."""
    codes = _OTHER_FORMAT_CODES.get(record_format, ())
    hits = max((log.by_code[c] - before[c] for c in codes), default=0)
    if not summary.records or hits * 2 < summary.records or summary.usable_records * 2 > summary.records:
        return
    if record_format == "bedrock-conversation-2024":
        other, source, target = "bedrock-claude-conversation", "bedrock", "bedrock-2024"
    else:
        other, source, target = "bedrock-conversation-2024", "bedrock-2024", "bedrock"
    name = summary.file if summary.file != "<stdin>" else "-"
    log.add(Problem(summary.file, None, "", "other_record_format", "info",
                    f"most records look like {other} records, but the model reads {record_format}",
                    f"convert the file: advisor data convert {name} --from {source} --to {target} -o OUT.jsonl"))


def validate_files(train: str | Path, validation: str | Path | None, model, *,
                   max_per_code: int = DEFAULT_MAX_PER_CODE, min_answer_chars: int = DEFAULT_MIN_ANSWER_CHARS,
                   strict: bool = False, check_duplicates: bool = True) -> "ValidationReport":
    """The launcher's entry point: validate ``train`` (and ``validation``) for ``model`` (a ``ModelSpec``).

    ``train`` may be ``"-"`` for standard input. Returns a :class:`ValidationReport` (``.valid``,
    ``.to_dict()``, ``.render_text()``); raises :class:`advisor.errors.InputError` when a file can't be read.
    """
    return validate_dataset(train, validation, model, max_per_code=max_per_code,
                            min_answer_chars=min_answer_chars, strict=strict, check_duplicates=check_duplicates)


def validate_dataset(training: str | Path, validation: str | Path | None, model, *,
                     max_per_code: int = DEFAULT_MAX_PER_CODE,
                     min_answer_chars: int = DEFAULT_MIN_ANSWER_CHARS,
                     strict: bool = False, check_duplicates: bool = True) -> ValidationReport:
    """Validate a training file (and optionally a validation file) against ``model``'s catalogue limits.

    Raises :class:`advisor.errors.InputError` when a file cannot be opened or read.
    """
    # Decoded records form no reference cycles, so the cyclic collector only costs time here (about a
    # tenth of the run, as it rescans the young containers every record allocates); pause it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _validate(training, validation, model, max_per_code, min_answer_chars, strict, check_duplicates)
    finally:
        if collecting:
            gc.enable()


def _validate(training, validation, model, max_per_code, min_answer_chars, strict,
              check_duplicates=True) -> ValidationReport:
    limits = model.limits
    record_limits = RecordLimits.from_model(model)
    log = ProblemLog(max_per_code)
    uses_validation = getattr(model, "uses_validation_set", True)
    if validation is not None and str(validation) == str(training) == STDIN:
        raise UsageError("only one of the files can be standard input (-)")
    train_seen = _Seen() if check_duplicates else None
    files = [_check_file(training, "training", record_limits, log, train_seen, None, min_answer_chars)]
    _format_hint(files[0], log, model.record_format, Counter())
    min_train, min_val = limits.min_training_records, limits.min_validation_records
    # a validation set needs min_train + min_val records in all; below that, all of them go to training
    validation_possible = True
    _count_limits(files[0], min_train, limits.max_training_records, limits.max_training_file_bytes, log, model.id)
    recommended = getattr(limits, "recommended_min_records", None)
    if recommended is not None and 0 < files[0].records < recommended:
        log.add(Problem(files[0].file, None, "", "few_records", "warning",
                        f"{files[0].records:,} training records; AWS recommends at least {recommended:,} "
                        f"for {model.id}", "add examples if you can; quality may suffer below that"))
    if validation is not None:
        if not uses_validation:
            log.add(Problem(display_name(validation), None, "", "validation_not_used", "error",
                            f"{model.id} fine-tuning uses no validation set",
                            "drop --validation (merge the records into training, or keep them as a test set "
                            "for evaluation)"))
        before = Counter(log.by_code)
        summary = _check_file(validation, "validation", record_limits, log,
                              _Seen() if check_duplicates else None, train_seen, min_answer_chars)
        files.append(summary)
        _format_hint(summary, log, model.record_format, before)
        total = files[0].records + summary.records
        if min_train is not None and min_val is not None:
            validation_possible = total >= min_train + min_val
        if uses_validation:
            _count_limits(summary, min_val, limits.max_validation_records, limits.max_validation_file_bytes, log,
                          model.id, validation_possible)
            if limits.max_total_records is not None and total > limits.max_total_records:
                log.add(Problem(summary.file, None, "", "too_many_total_records", "error",
                                f"training and validation hold {total:,} records together; at most "
                                f"{limits.max_total_records:,} are allowed",
                                f"remove {total - limits.max_total_records:,} records from either file"))
    if record_limits.record_format == CONVERSE_FORMAT:
        for f in files:
            base = Path(f.file).name if f.file != "<stdin>" else ""
            bad = sorted(set(_S3_KEY_CHARS.findall(base)))
            if bad:
                log.add(Problem(f.file, None, "", "file_name", "warning",
                                f"the file name has characters Bedrock does not accept in its S3 key: "
                                f"{' '.join(repr(c) for c in bad)}",
                                "rename it using only letters, digits, '_', '-', '/' and '.' before uploading"))
    unknown = [label for name, label in _LIMIT_NAMES.items()
               if getattr(limits, name, None) is None
               and (validation is not None and uses_validation
                    or ("validation" not in name and "total" not in name))]
    if unknown:
        log.add(Problem(files[0].file, None, "", "unknown_limits", "info",
                        f"not checked: AWS documents no {', '.join(unknown)} for {model.id} in the catalogue",
                        "check the Bedrock quotas page for your account before launching"))
    if not check_duplicates:
        log.add(Problem(files[0].file, None, "", "duplicates_not_checked", "info",
                        "duplicate, conflicting-answer and leakage checks were off (--no-duplicate-check)",
                        "run without --no-duplicate-check to find them"))
    return ValidationReport(model.id, files, log, strict, record_format=model.record_format)
