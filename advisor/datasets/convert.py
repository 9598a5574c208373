"""``advisor data convert``: move datasets between Bedrock JSONL and the formats people have.

Every reader yields :class:`Conversation` values (a system prompt and alternating turns) and every
writer serialises them, so any input format converts to any output format:

===================== ====== ====== ==============================================================
format                 in     out    one line (or file) looks like
===================== ====== ====== ==============================================================
``bedrock``            yes    yes    ``{"system": s, "messages": [{"role", "content": str}]}``
``openai``             yes    yes    ``{"messages": [{"role": "system"|"user"|"assistant", "content"}]}``
``sharegpt``           yes    yes    ``{"conversations": [{"from": "system"|"human"|"gpt", "value"}]}``
``distillation``       yes    yes    ``bedrock-conversation-2024``: content as ``[{"text": ...}]``
``prompt-completion``  yes    no     ``{"prompt": ..., "completion": ...}`` (JSONL)
``csv``                yes    no     a header row with prompt and completion columns
``tatqa``              yes    no     a TAT-QA JSON file: one record per question
===================== ====== ====== ==============================================================

A record that can't be expressed in the target format (a tool turn, a multi-turn conversation for
distillation, a record Bedrock would reject) is skipped and reported with its line; the rest are
written. Records written as ``bedrock`` pass the per-record checks of ``advisor data validate``.

TAT-QA layout (seed 003: the table inside ``<table>`` tags, then the text, then the question)::

    user:      <table>\\n| cell | cell |\\n...</table>\\n<paragraphs>\\n[1] text\\n...</paragraphs>\\n
               <question>text</question>
    assistant: <answer>span</answer> (one per span, newline-separated)[\\n<scale>million</scale>]

:func:`parse_tatqa_answer` turns such an answer back into TAT-QA's ``(answer, scale)``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from advisor.datasets.jsonl import LineError, decode_line, open_input, read_lines
from advisor.datasets.records import RecordLimits, check_record
from advisor.errors import InputError, Location, UsageError

__all__ = ["Conversation", "ConvertError", "ConvertResult", "INPUT_FORMATS", "OUTPUT_FORMATS",
           "TATQA_SYSTEM_PROMPT", "convert", "read_records", "to_format", "parse_tatqa_answer",
           "format_tatqa_answer"]

TATQA_SYSTEM_PROMPT = (
    "You are a financial analyst. Answer the question using the table and the paragraphs. "
    "Give each part of the answer inside <answer></answer> tags, and the unit inside <scale></scale> "
    "tags when the answer has one (thousand, million, billion or percent).")


@dataclass(frozen=True)
class Conversation:
    """A format-neutral record: an optional system prompt and (role, text) turns, roles user/assistant."""

    system: str | None
    turns: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ConvertError:
    """A record that was skipped: where it was (``line`` or ``where``), why, and how to fix it."""

    line: int | None
    message: str
    where: str = ""

    def location(self, file: str) -> str:
        if self.line is not None:
            return f"{file}:{self.line}"
        return f"{file}: {self.where}" if self.where else file


@dataclass
class ConvertResult:
    """Counts and the (capped) list of skipped records of one conversion."""

    read: int = 0
    written: int = 0
    skipped: int = 0
    problems: list[ConvertError] = field(default_factory=list)


class _Skip(Exception):
    """A record can't be converted; the message says why."""


def _text_of(value, what: str) -> str:
    """A string, or the text blocks of a content list joined, else :class:`_Skip`."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = []
        for block in value:
            if isinstance(block, dict) and isinstance(block.get("text"), str) and block.get("type", "text") == "text":
                texts.append(block["text"])
            else:
                raise _Skip(f"{what} holds a non-text block (images and tool blocks can't be converted)")
        return "\n\n".join(texts)
    raise _Skip(f"{what} must be text, not {type(value).__name__}")


def _conversation(system, turns: list[tuple[str, str]]) -> Conversation:
    if system is not None and not isinstance(system, str):
        raise _Skip("the system prompt must be text")
    return Conversation(system if system else None, tuple(turns))


# --- readers of one decoded JSON line ------------------------------------------------------------

def _from_bedrock(obj) -> Conversation:
    if not isinstance(obj, dict) or not isinstance(obj.get("messages"), list):
        raise _Skip("expected an object with a 'messages' list")
    turns = []
    for i, m in enumerate(obj["messages"]):
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant"):
            raise _Skip(f"messages[{i}] must be an object with role 'user' or 'assistant'")
        turns.append((m["role"], _text_of(m.get("content"), f"messages[{i}].content")))
    return _conversation(obj.get("system"), turns)


_OPENAI_ROLES = {"user": "user", "assistant": "assistant"}


def _from_openai(obj) -> Conversation:
    if not isinstance(obj, dict) or not isinstance(obj.get("messages"), list):
        raise _Skip("expected an object with a 'messages' list")
    systems, turns = [], []
    for i, m in enumerate(obj["messages"]):
        if not isinstance(m, dict):
            raise _Skip(f"messages[{i}] is not an object")
        role = m.get("role")
        if role in ("system", "developer"):
            if turns:
                raise _Skip(f"messages[{i}] is a {role} message after the conversation started; "
                            "Bedrock has one system prompt before the first turn")
            systems.append(_text_of(m.get("content"), f"messages[{i}].content"))
        elif role in _OPENAI_ROLES:
            if m.get("content") is None:
                raise _Skip(f"messages[{i}] has no text content (tool calls can't be converted)")
            turns.append((_OPENAI_ROLES[role], _text_of(m["content"], f"messages[{i}].content")))
        else:
            raise _Skip(f"messages[{i}] has role {role!r}; only system, user and assistant turns convert")
    return _conversation("\n\n".join(systems) if systems else None, turns)


_SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant"}


def _from_sharegpt(obj) -> Conversation:
    if not isinstance(obj, dict) or not isinstance(obj.get("conversations"), list):
        raise _Skip("expected an object with a 'conversations' list")
    system = obj.get("system")
    turns = []
    for i, m in enumerate(obj["conversations"]):
        if not isinstance(m, dict):
            raise _Skip(f"conversations[{i}] is not an object")
        who = m.get("from")
        if who == "system" and not turns and system is None:
            system = _text_of(m.get("value"), f"conversations[{i}].value")
        elif who in _SHAREGPT_ROLES:
            turns.append((_SHAREGPT_ROLES[who], _text_of(m.get("value"), f"conversations[{i}].value")))
        else:
            raise _Skip(f"conversations[{i}] is from {who!r}; only system, human and gpt turns convert")
    return _conversation(system, turns)


def _from_distillation(obj) -> Conversation:
    if not isinstance(obj, dict) or not isinstance(obj.get("messages"), list):
        raise _Skip("expected an object with a 'messages' list")
    system = obj.get("system")
    if system is not None:
        system = _text_of(system, "system")
    return _from_bedrock({"system": system, "messages": obj["messages"]})


def _prompt_completion(prompt_field: str, completion_field: str) -> Callable:
    def read(obj) -> Conversation:
        if not isinstance(obj, dict):
            raise _Skip("expected a JSON object")
        missing = [f for f in (prompt_field, completion_field) if f not in obj]
        if missing:
            raise _Skip(f"missing {', '.join(repr(f) for f in missing)}")
        return _conversation(None, [("user", _text_of(obj[prompt_field], prompt_field)),
                                    ("assistant", _text_of(obj[completion_field], completion_field))])
    return read


# --- TAT-QA ----------------------------------------------------------------------------------------

def _number_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def format_tatqa_answer(answer, scale: str) -> str:
    """The assistant text for a TAT-QA answer (a span list, a string or a number) and its scale."""
    spans = answer if isinstance(answer, list) else [answer]
    text = "\n".join(f"<answer>{_number_text(s)}</answer>" for s in spans)
    if scale:
        text += f"\n<scale>{scale}</scale>"
    return text


_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.S)
_SCALE = re.compile(r"<scale>(.*?)</scale>", re.S)


def parse_tatqa_answer(text: str) -> tuple[list[str], str]:
    """(answer spans, scale) from an assistant text written by :func:`format_tatqa_answer`."""
    spans = _ANSWER.findall(text)
    scale = _SCALE.search(text)
    return spans, scale.group(1).strip() if scale else ""


def _table_text(rows) -> str:
    lines = []
    for row in rows:
        cells = [str(c).replace("\n", " ").replace("|", "/").strip() for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tatqa_prompt(context: dict, question: dict) -> str:
    """The user turn for one TAT-QA question: table, paragraphs (in order), question."""
    table = context.get("table") or {}
    rows = table.get("table") if isinstance(table, dict) else None
    paragraphs = sorted((p for p in context.get("paragraphs") or [] if isinstance(p, dict)),
                        key=lambda p: p.get("order", 0) if isinstance(p.get("order"), int) else 0)
    parts = []
    if rows:
        parts.append(f"<table>\n{_table_text(rows)}\n</table>")
    if paragraphs:
        body = "\n".join(f"[{p.get('order', i + 1)}] {p.get('text', '')}" for i, p in enumerate(paragraphs))
        parts.append(f"<paragraphs>\n{body}\n</paragraphs>")
    parts.append(f"<question>{question.get('question', '')}</question>")
    return "\n".join(parts)


def read_tatqa(path: str | Path, system: str | None = TATQA_SYSTEM_PROMPT) -> Iterator[tuple[int | None, str, object]]:
    """Yield (None, "context i question uid", Conversation or ConvertError) for each TAT-QA question.

    A TAT-QA file is one JSON array, so it is read whole (the published splits are a few megabytes).
    """
    with open_input(path) as stream:
        try:
            data = json.loads(stream.read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"not a TAT-QA JSON file: {exc}", Location(str(path))) from None
    if not isinstance(data, list):
        raise InputError("not a TAT-QA JSON file: expected a list of contexts", Location(str(path)))
    for i, context in enumerate(data):
        if not isinstance(context, dict) or not isinstance(context.get("questions"), list):
            yield None, f"context {i}", ConvertError(None, "expected an object with a 'questions' list",
                                                     f"context {i}")
            continue
        for j, question in enumerate(context["questions"]):
            where = f"context {i} question {question.get('uid', j) if isinstance(question, dict) else j}"
            if not isinstance(question, dict) or "question" not in question or "answer" not in question:
                yield None, where, ConvertError(None, "a question needs 'question' and 'answer'", where)
                continue
            turns = (("user", tatqa_prompt(context, question)),
                     ("assistant", format_tatqa_answer(question["answer"], question.get("scale") or "")))
            yield None, where, Conversation(system, turns)


# --- writers ---------------------------------------------------------------------------------------

def _to_bedrock(c: Conversation) -> dict:
    record = {"system": c.system} if c.system else {}
    record["messages"] = [{"role": r, "content": t} for r, t in c.turns]
    return record


def _to_openai(c: Conversation) -> dict:
    messages = [{"role": "system", "content": c.system}] if c.system else []
    messages += [{"role": r, "content": t} for r, t in c.turns]
    return {"messages": messages}


def _to_sharegpt(c: Conversation) -> dict:
    turns = [{"from": "system", "value": c.system}] if c.system else []
    turns += [{"from": "human" if r == "user" else "gpt", "value": t} for r, t in c.turns]
    return {"conversations": turns}


def _to_distillation(c: Conversation, prompts_only: bool = False) -> dict:
    turns = list(c.turns)
    if prompts_only and turns and turns[-1][0] == "assistant":
        turns = turns[:-1]
    if not turns or turns[0][0] != "user" or len(turns) > 2 or (len(turns) == 2 and turns[1][0] != "assistant"):
        raise _Skip("distillation records hold one user turn and at most one assistant turn")
    record = {"schemaVersion": "bedrock-conversation-2024"}
    if c.system:
        record["system"] = [{"text": c.system}]
    record["messages"] = [{"role": r, "content": [{"text": t}]} for r, t in turns]
    return record


READERS: dict[str, Callable] = {
    "bedrock": _from_bedrock,
    "openai": _from_openai,
    "sharegpt": _from_sharegpt,
    "distillation": _from_distillation,
}
INPUT_FORMATS = ("bedrock", "openai", "sharegpt", "distillation", "prompt-completion", "csv", "tatqa")
OUTPUT_FORMATS = ("bedrock", "openai", "sharegpt", "distillation")


def read_records(path: str | Path, fmt: str, *, prompt_field: str = "prompt", completion_field: str = "completion",
                 system: str | None = None) -> Iterator[tuple[int | None, str, object]]:
    """Yield ``(line, where, Conversation | ConvertError)`` for each record of ``path`` in format ``fmt``.

    ``system`` fills in a system prompt for records without one (for TAT-QA it replaces the default).
    """
    if fmt == "tatqa":
        yield from read_tatqa(path, system if system is not None else TATQA_SYSTEM_PROMPT)
        return
    if fmt == "csv":
        yield from _read_csv(path, prompt_field, completion_field, system)
        return
    if fmt == "prompt-completion":
        reader = _prompt_completion(prompt_field, completion_field)
    elif fmt in READERS:
        reader = READERS[fmt]
    else:
        raise UsageError(f"unknown input format {fmt!r}; choose from {', '.join(INPUT_FORMATS)}")
    with open_input(path) as stream:
        for line in read_lines(stream, path):
            if line.too_long:
                yield line.number, "", ConvertError(line.number, "the line is too long to be a record")
                continue
            if not line.data.strip():
                continue  # blank lines carry no record; the output has none
            value = decode_line(line.data, line.number == 1)
            if isinstance(value, LineError):
                yield line.number, "", ConvertError(line.number, value.message)
                continue
            try:
                conversation = reader(value)
            except _Skip as exc:
                yield line.number, "", ConvertError(line.number, str(exc))
                continue
            if system and conversation.system is None:
                conversation = Conversation(system, conversation.turns)
            yield line.number, "", conversation


def _read_csv(path, prompt_field: str, completion_field: str, system: str | None):
    with open_input(path) as raw:
        try:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            reader = csv.DictReader(text)
            header = reader.fieldnames or []
            missing = [f for f in (prompt_field, completion_field) if f not in header]
            if missing:
                raise InputError(f"the CSV header has no column {', '.join(repr(f) for f in missing)} "
                                 f"(columns: {', '.join(header) or 'none'}); use --prompt-field/--completion-field",
                                 Location(str(path), 1))
            start = reader.line_num + 1
            for row in reader:
                line = start
                start = reader.line_num + 1
                prompt, completion = row.get(prompt_field), row.get(completion_field)
                if prompt is None or completion is None:
                    yield line, "", ConvertError(line, "the row has fewer columns than the header")
                    continue
                yield line, "", Conversation(system or None, (("user", prompt), ("assistant", completion)))
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8: {exc.reason}", Location(str(path))) from None
        except csv.Error as exc:
            raise InputError(f"malformed CSV: {exc}", Location(str(path), reader.line_num)) from None


def to_format(conversation: Conversation, fmt: str, *, prompts_only: bool = False) -> dict:
    """The JSON object for ``conversation`` in output format ``fmt``; raises ValueError if it can't be expressed."""
    try:
        if fmt == "bedrock":
            return _to_bedrock(conversation)
        if fmt == "openai":
            return _to_openai(conversation)
        if fmt == "sharegpt":
            return _to_sharegpt(conversation)
        if fmt == "distillation":
            return _to_distillation(conversation, prompts_only)
    except _Skip as exc:
        raise ValueError(str(exc)) from None
    raise UsageError(f"unknown output format {fmt!r}; choose from {', '.join(OUTPUT_FORMATS)}")


def convert(source: str | Path, source_format: str, target_format: str, out, *, model=None,
            prompt_field: str = "prompt", completion_field: str = "completion", system: str | None = None,
            prompts_only: bool = False, max_problems: int = 20) -> ConvertResult:
    """Convert ``source`` into ``out`` (a text stream), one JSON line per record.

    When the target is ``bedrock``, each record is checked against ``model``'s per-record limits and
    skipped (and reported) if Bedrock would reject it.
    """
    if target_format not in OUTPUT_FORMATS:
        raise UsageError(f"unknown output format {target_format!r}; choose from {', '.join(OUTPUT_FORMATS)}")
    limits = RecordLimits.from_model(model) if (model is not None and target_format == "bedrock") else None
    result = ConvertResult()
    write = out.write
    for line, where, item in read_records(source, source_format, prompt_field=prompt_field,
                                          completion_field=completion_field, system=system):
        result.read += 1
        if isinstance(item, Conversation):
            try:
                obj = to_format(item, target_format, prompts_only=prompts_only)
            except ValueError as exc:
                item = ConvertError(line, str(exc), where)
            else:
                if limits is not None:
                    findings, _ = check_record(obj, limits)
                    errors = [f for f in findings if f.severity == "error"]
                    if errors:
                        first = errors[0]
                        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
                        item = ConvertError(line, f"Bedrock would reject it: "
                                                  f"{first.field + ': ' if first.field else ''}{first.message}{more}",
                                            where)
                if isinstance(item, Conversation):
                    text = json.dumps(obj, ensure_ascii=False)
                    try:
                        text.encode("utf-8")
                    except UnicodeEncodeError:
                        item = ConvertError(line, "the text holds an unpaired surrogate escape, "
                                                  "which is not valid Unicode", where)
                    else:
                        write(text)
                        write("\n")
                        result.written += 1
                        continue
        result.skipped += 1
        if len(result.problems) < max_problems:
            result.problems.append(item)
    return result


def iter_conversations(items: Iterable) -> Iterator[Conversation]:
    """Only the converted records of a ``read_records`` stream (tests and round trips)."""
    for _, _, item in items:
        if isinstance(item, Conversation):
            yield item
