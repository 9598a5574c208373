"""Answers files (contract.md): read, validate and write them.

An answers file is YAML or JSON: a flat mapping of question id -> value, or a mapping with an
``answers:`` key holding that mapping (what the interview saves; other top-level keys are metadata).
A value of ``unsure`` is allowed where the question allows it; ``null`` means "not answered".
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Mapping

from advisor.errors import AnswerError, InputError, Location
from advisor.files import MAX_ANSWERS_BYTES, STDIN, read_text
from advisor.knowledge.models import Question

__all__ = ["UNSURE", "AnswersFile", "load_answers", "validate_answer", "validate_answers", "save_answers"]

UNSURE = "unsure"
_TRUE = {"yes", "y", "true", "on"}
_FALSE = {"no", "n", "false", "off"}


class AnswersFile:
    """A parsed answers file: the raw mapping, metadata, and a way to find each answer's line."""

    def __init__(self, path: str, answers: dict[str, Any], metadata: dict[str, Any], locate):
        self.path = path
        self.answers = answers
        self.metadata = metadata
        self._locate = locate

    def location(self, question_id: str | None = None) -> Location:
        return self._locate(question_id)


def load_answers(path: Path | str) -> AnswersFile:
    """Read an answers file; malformed or non-mapping content raises :class:`InputError` (exit 2)."""
    from_stdin = str(path) == STDIN
    text = read_text(path, "answers file", max_bytes=MAX_ANSWERS_BYTES, allow_stdin=True)
    path = Path("<stdin>") if from_stdin else Path(path)
    # Standard input has no suffix: JSON when it starts like a JSON object.
    is_json = path.suffix.lower() == ".json" or (from_stdin and text.lstrip().startswith(("{", "[")))

    if is_json:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg}", Location(str(path), exc.lineno, exc.colno)) from None
        except RecursionError:
            raise InputError("JSON nested too deeply", Location(str(path))) from None
        except ValueError as exc:  # an integer of more than 4,300 digits
            import re

            long_run = re.search(r"\d{4300,}", text)
            line = text.count("\n", 0, long_run.start()) + 1 if long_run else None
            message = ("a number with more than 4,300 digits; quote it if it is text" if long_run
                       else f"unusable JSON: {_short(str(exc), 120)}")
            raise InputError(message, Location(str(path), line)) from None
        lines = _json_key_lines(text)

        def locate(qid, _prefix=None):
            return Location(str(path), lines.get(qid)) if qid else Location(str(path))
    else:
        from advisor.knowledge.yamlio import parse_yaml_text

        doc = parse_yaml_text(text, str(path))
        data = doc.data
        nested = isinstance(data, dict) and isinstance(data.get("answers"), dict)

        def locate(qid):  # type: ignore[misc]
            if qid is None:
                return Location(str(path))
            return doc.locate(("answers", qid) if nested else (qid,))

    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(
            f"expected a mapping of question id to answer, found {_kind(data)}", Location(str(path), 1)
        )
    if "answers" in data:
        answers = data["answers"]
        if answers is None:
            answers = {}
        if not isinstance(answers, dict):
            raise InputError(f"`answers:` must be a mapping, found {_kind(answers)}", locate(None))
        metadata = {k: v for k, v in data.items() if k != "answers"}
    else:
        answers, metadata = data, {}
    for key in answers:
        if not isinstance(key, str):
            raise AnswerError(f"question ids are strings; found {_show(key)}", Location(str(path)))
    return AnswersFile(str(path), dict(answers), metadata, locate)


def _json_key_lines(text: str) -> dict[str, int]:
    """Best-effort line of each `"key":` in a JSON text (for error messages)."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith('"') and '":' in stripped:
            key = stripped[1:stripped.index('":')]
            lines.setdefault(key, number)
    return lines


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def validate_answer(question: Question, value: Any, choices: list[str] | None = None) -> Any:
    """Return the canonical value for ``question`` or raise ``ValueError`` with a user-facing reason.

    Canonical values: bool for yes/no, int for int, float for number, the choice id for choices,
    a string for text, and the string ``"unsure"`` where "not sure" is allowed.
    """
    if isinstance(value, str) and value.strip().lower() in (UNSURE, "not sure", "not_sure"):
        if question.allows_unsure:
            return UNSURE
        raise ValueError("this question needs a definite answer; 'unsure' is not allowed here")
    kind = question.type
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ValueError(f"expected yes/no (true or false), got {_show(value)}")
    if kind in ("int", "number"):
        number = _to_number(value, integer=kind == "int")
        dom = question.domain
        if dom.min is not None and number < dom.min:
            raise ValueError(f"must be at least {_fmt(dom.min)}, got {_fmt(number)}")
        if dom.max is not None and number > dom.max:
            raise ValueError(f"must be at most {_fmt(dom.max)}, got {_fmt(number)}")
        return number
    if kind == "choice":
        allowed = choices or question.domain.choices or []
        if isinstance(value, str) and value in allowed:
            return value
        raise ValueError(f"expected one of {', '.join(allowed)}; got {_show(value)}")
    # text
    if isinstance(value, (dict, list)):
        raise ValueError(f"expected text, got {_kind(value)}")
    text = str(value)
    if question.domain.max_length is not None and len(text) > question.domain.max_length:
        raise ValueError(f"must be at most {question.domain.max_length} characters")
    return text


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def _to_number(value: Any, integer: bool) -> int | float:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {_show(value)}")
    if isinstance(value, str):
        cleaned = value.strip()
        # "20,500" is twenty thousand five hundred; "20,5" is not silently read as 205.
        if "," in cleaned and not _THOUSANDS.fullmatch(cleaned):
            raise ValueError(f"{value.strip()!r}: use commas only between groups of three digits (20,500), and a "
                             "point for decimals (20.5)")
        cleaned = cleaned.replace(",", "").replace("_", "")
        try:
            value = float(cleaned) if not integer or "." in cleaned or "e" in cleaned.lower() else int(cleaned)
        except ValueError:
            raise ValueError(f"expected a {'whole ' if integer else ''}number, got {_show(value)}") from None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("expected a finite number")
        if integer:
            if not value.is_integer():
                raise ValueError(f"expected a whole number, got {_fmt(value)}")
            return int(value)
        return value
    if isinstance(value, int):
        if integer:
            return value
        try:
            return float(value)
        except OverflowError:
            raise ValueError(f"expected a number in range, got {_fmt(value)}") from None
    raise ValueError(f"expected a number, got {_kind(value)}")


def _fmt(number: float) -> str:
    """A number for a message; very long integers are summarised (no float overflow, no 4,300-digit limit)."""
    if isinstance(number, int) and not isinstance(number, bool):
        if number.bit_length() > 200:
            return f"a number of about {int(number.bit_length() * 0.30103)} digits"
        return str(number)
    try:
        return str(int(number)) if float(number).is_integer() else str(number)
    except (OverflowError, ValueError):
        return "a number out of range"


def _show(value: Any) -> str:
    """``value`` for a message: repr (control characters escaped), summarised when long."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return _fmt(value)
    if isinstance(value, (dict, list)):
        return _kind(value)
    try:
        return _short(repr(value), 80)
    except (ValueError, RecursionError):
        return type(value).__name__


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def validate_answers(rulebase, answers_file: AnswersFile) -> dict[str, Any]:
    """Check every answer against the rule base; the first problem raises :class:`AnswerError` with its line."""
    result: dict[str, Any] = {}
    for qid, value in answers_file.answers.items():
        question = rulebase.questions.get(qid)
        if question is None:
            known = ", ".join(sorted(rulebase.questions))
            raise AnswerError(f"unknown question id {_show(qid)} (known ids: {known})", answers_file.location(qid))
        if value is None:
            continue
        try:
            result[qid] = validate_answer(question, value, rulebase.choices(question))
        except ValueError as exc:
            raise AnswerError(f"{qid}: {exc}", answers_file.location(qid)) from None
    return result


def save_answers(path: Path | str, answers: Mapping[str, Any], metadata: Mapping[str, Any] | None = None) -> None:
    """Write answers atomically (write a temporary file, then rename) in the interview's format."""
    import yaml

    path = Path(path)
    doc = dict(metadata or {})
    doc["answers"] = dict(answers)
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
