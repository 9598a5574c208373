"""``advisor data convert``: move datasets between Bedrock JSONL and the formats people have.

Every reader yields :class:`Conversation` values (a system prompt and alternating turns) and every
writer serialises them, so any input format converts to any output format:

===================== ====== ====== ==============================================================
format                 in     out    one line (or file) looks like
===================== ====== ====== ==============================================================
``bedrock``            yes    yes    ``{"system": s, "messages": [{"role", "content": str}]}`` (Claude 3 Haiku)
``bedrock-2024``       yes    yes    ``bedrock-conversation-2024`` (Nova, Llama): ``schemaVersion``,
                                     ``system: [{"text"}]``, content as ``[{"text": ...}]``, multi-turn
``openai``             yes    yes    ``{"messages": [{"role": "system"|"user"|"assistant", "content"}]}``
``sharegpt``           yes    yes    ``{"conversations": [{"from": "system"|"human"|"gpt", "value"}]}``
``distillation``       yes    yes    ``bedrock-conversation-2024``, single turn (distillation prompts)
``prompt-completion``  yes    no     ``{"prompt": ..., "completion": ...}`` (JSONL)
``csv``                yes    no     a header row with prompt and completion columns
``tatqa``              yes    no     a TAT-QA JSON file: one record per question
===================== ====== ====== ==============================================================

OpenAI records may mark assistant turns ``"weight": 0`` (shown as context, not trained). Bedrock has
no per-turn weights: it trains on every assistant turn. ``weight_zero="drop"`` (the default) removes
each weight-0 turn with the user turn that prompted it (so turns still alternate) and skips a record
left with no trained turn; ``weight_zero="keep"`` keeps them as ordinary turns, which Bedrock then trains
on. Either way the counts are in :class:`ConvertResult`.

Python entry point (the launcher's)::

    convert_file(source, source_format, target_format, output, model=None, ...) -> ConvertResult

``source`` may be ``"-"`` (standard input), ``output`` None (standard output) or a path, written
to a temporary file in the same folder and renamed when complete: a failure (full disk, unwritable
folder, an unreadable input) leaves no partial file and raises :class:`InputError` (exit 2).

A record that can't be expressed in the target format (a tool turn, a multi-turn conversation for
distillation, a record Bedrock would reject) is skipped and reported with its line; the rest are
written. Records written as ``bedrock`` or ``bedrock-2024`` pass the per-record checks of ``advisor
data validate`` for the model given (whose record format must match the target format).

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
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from advisor.datasets.jsonl import MAX_LINE_BYTES, STDIN, LineError, decode_line, display_name, open_input, read_lines
from advisor.datasets.records import RecordLimits, check_record
from advisor.errors import InputError, Location, UsageError

__all__ = ["Conversation", "ConvertError", "ConvertResult", "INPUT_FORMATS", "OUTPUT_FORMATS", "FORMAT_OF_RECORD",
           "TATQA_SYSTEM_PROMPT", "convert", "convert_file", "read_records", "to_format", "parse_tatqa_answer",
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
    weight_zero: str = "drop"          # what happened to OpenAI weight-0 turns: "drop" or "keep"
    weight_zero_turns: int = 0         # weight-0 assistant turns seen
    weight_zero_dropped_turns: int = 0  # turns removed by cutting records (both roles)
    weight_zero_records_cut: int = 0   # records shortened
    weight_zero_records_skipped: int = 0  # records with no trained turn left

    def to_dict(self, source: str = "", source_format: str = "", target_format: str = "",
                output: str | None = None) -> dict:
        return {"source": source, "from": source_format, "to": target_format, "output": output,
                "read": self.read, "written": self.written, "skipped": self.skipped,
                "problems": [{"line": p.line, "where": p.where, "message": p.message} for p in self.problems],
                "weight_zero": {"mode": self.weight_zero, "turns": self.weight_zero_turns,
                                "turns_dropped": self.weight_zero_dropped_turns,
                                "records_cut": self.weight_zero_records_cut,
                                "records_skipped": self.weight_zero_records_skipped}}

    def weight_zero_summary(self) -> str:
        """One sentence on weight-0 turns, or '' when there were none."""
        n = self.weight_zero_turns
        if not n:
            return ""
        if self.weight_zero == "keep":
            return (f"{n:,} weight-0 assistant turn{'s' if n != 1 else ''} kept as ordinary turns: Bedrock has no "
                    "per-turn weights and will train on them (use --weight-zero drop to cut them)")
        return (f"{n:,} weight-0 assistant turn{'s' if n != 1 else ''} dropped with the user turns before them: "
                f"{self.weight_zero_records_cut:,} record{'s' if self.weight_zero_records_cut != 1 else ''} "
                f"shortened ({self.weight_zero_dropped_turns:,} turns removed), "
                f"{self.weight_zero_records_skipped:,} skipped with nothing left to train on "
                "(use --weight-zero keep to train on them)")


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


def _openai_reader(result: "ConvertResult"):
    keep = result.weight_zero == "keep"

    def read(obj) -> Conversation:
        if not isinstance(obj, dict) or not isinstance(obj.get("messages"), list):
            raise _Skip("expected an object with a 'messages' list")
        systems: list[Any] = []
        turns: list[Any] = []
        zero_at: list[int] = []  # indexes in turns of weight-0 assistant turns
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
                if role == "assistant" and "weight" in m:
                    weight = m["weight"]
                    if isinstance(weight, bool) or weight not in (0, 1):
                        raise _Skip(f"messages[{i}].weight is {weight!r}; OpenAI allows 0 or 1")
                    if weight == 0:
                        zero_at.append(len(turns))
                turns.append((_OPENAI_ROLES[role], _text_of(m["content"], f"messages[{i}].content")))
            else:
                raise _Skip(f"messages[{i}] has role {role!r}; only system, user and assistant turns convert")
        result.weight_zero_turns += len(zero_at)
        if zero_at and not keep:
            # drop each weight-0 answer with the user turn that asked for it, so turns still alternate
            gone = set()
            for k in zero_at:
                gone.add(k)
                if k > 0 and turns[k - 1][0] == "user":
                    gone.add(k - 1)
            kept = [t for k, t in enumerate(turns) if k not in gone]
            if not any(r == "assistant" for r, _ in kept):
                result.weight_zero_records_skipped += 1
                raise _Skip("every assistant turn has weight 0; nothing is left to train on "
                            "(use --weight-zero keep to train on weight-0 turns)")
            result.weight_zero_records_cut += 1
            result.weight_zero_dropped_turns += len(gone)
            turns = kept
        return _conversation("\n\n".join(systems) if systems else None, turns)
    return read


_SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant"}


def _from_sharegpt(obj) -> Conversation:
    if not isinstance(obj, dict) or not isinstance(obj.get("conversations"), list):
        raise _Skip("expected an object with a 'conversations' list")
    system = obj.get("system")
    turns: list[Any] = []
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


TATQA_EXPECTED = ("a TAT-QA file: a JSON list of contexts, each an object with 'table' ({'uid', 'table': "
                  "list of rows}), 'paragraphs' (list of {'uid', 'order', 'text'}) and 'questions' (list of "
                  "{'uid', 'question', 'answer', 'scale', ...})")
MAX_TATQA_BYTES = 1 << 30  # the published splits are a few megabytes; never read an endless stream whole


def _tatqa_shape(context, i: int) -> str | None:
    """Why context ``i`` is not shaped like TAT-QA, or None."""
    if not isinstance(context, dict):
        kind = {"list": "a list", "str": "a string", "int": "a number", "float": "a number", "bool": "a boolean",
                "NoneType": "null"}.get(type(context).__name__, type(context).__name__)
        return f"context {i} is {kind}, not an object"
    if not isinstance(context.get("questions"), list):
        return f"context {i} has no 'questions' list"
    table = context.get("table")
    if table is not None:
        rows = table.get("table") if isinstance(table, dict) else None
        if not isinstance(table, dict) or not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            return f"context {i}: 'table' must be an object whose 'table' is a list of rows (lists of cells)"
    paragraphs = context.get("paragraphs")
    if paragraphs is not None and (not isinstance(paragraphs, list)
                                   or not all(isinstance(p, dict) for p in paragraphs)):
        return f"context {i}: 'paragraphs' must be a list of objects"
    return None


def read_tatqa(path: str | Path, system: str | None = TATQA_SYSTEM_PROMPT) -> Iterator[tuple[int | None, str, object]]:
    """Yield (None, "context i question uid", Conversation or ConvertError) for each TAT-QA question.

    A TAT-QA file is one JSON array, so it is read whole (the published splits are a few megabytes).
    A file that is not shaped like TAT-QA raises :class:`InputError` naming the file and what was
    expected (exit 2); a question without 'question' or 'answer' is skipped and reported.
    """
    name = display_name(path)
    with open_input(path) as stream:
        try:
            raw = stream.read(MAX_TATQA_BYTES + 1)
        except OSError as exc:
            raise InputError(f"read error: {exc.strerror or exc}", Location(name)) from None
    if len(raw) > MAX_TATQA_BYTES:
        raise InputError(f"larger than {MAX_TATQA_BYTES >> 20:,} MB; expected {TATQA_EXPECTED}", Location(name))
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 (byte {exc.start + 1}); expected {TATQA_EXPECTED}", Location(name)) from None
    except json.JSONDecodeError as exc:
        hint = " (a JSON Lines file? use --from bedrock, openai, ... instead)" if exc.msg == "Extra data" else ""
        raise InputError(f"not valid JSON: {exc.msg}{hint}; expected {TATQA_EXPECTED}",
                         Location(name, exc.lineno, exc.colno)) from None
    except RecursionError:
        raise InputError(f"nested too deeply; expected {TATQA_EXPECTED}", Location(name)) from None
    except ValueError as exc:
        raise InputError(f"not valid JSON: {exc}; expected {TATQA_EXPECTED}", Location(name)) from None
    if not isinstance(data, list):
        kind = {"dict": "an object", "str": "a string", "int": "a number", "float": "a number",
                "bool": "a boolean", "NoneType": "null"}.get(type(data).__name__, type(data).__name__)
        raise InputError(f"the file holds {kind}, not a list; expected {TATQA_EXPECTED}",
                         Location(name))
    for i, context in enumerate(data):
        why = _tatqa_shape(context, i)
        if why is not None:
            raise InputError(f"{why}; expected {TATQA_EXPECTED}", Location(name))
    for i, context in enumerate(data):
        for j, question in enumerate(context["questions"]):
            uid = question.get("uid", j) if isinstance(question, dict) else j
            where = f"context {i} question {uid}"
            if not isinstance(question, dict) or "question" not in question or "answer" not in question:
                yield None, where, ConvertError(None, "a question needs 'question' and 'answer'", where)
                continue
            turns = (("user", tatqa_prompt(context, question)),
                     ("assistant", format_tatqa_answer(question["answer"], question.get("scale") or "")))
            yield None, where, Conversation(system, turns)


# --- writers ---------------------------------------------------------------------------------------

def _to_bedrock(c: Conversation) -> dict:
    record: dict[str, Any] = {"system": c.system} if c.system else {}
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
    record: dict[str, Any] = {"schemaVersion": "bedrock-conversation-2024"}
    if c.system:
        record["system"] = [{"text": c.system}]
    record["messages"] = [{"role": r, "content": [{"text": t}]} for r, t in turns]
    return record


def _to_bedrock_2024(c: Conversation) -> dict:
    record: dict = {"schemaVersion": "bedrock-conversation-2024"}
    if c.system:
        record["system"] = [{"text": c.system}]
    record["messages"] = [{"role": r, "content": [{"text": t}]} for r, t in c.turns]
    return record


READERS: dict[str, Callable] = {
    "bedrock": _from_bedrock,
    "bedrock-2024": _from_distillation,
    "sharegpt": _from_sharegpt,
    "distillation": _from_distillation,
}
INPUT_FORMATS = ("bedrock", "bedrock-2024", "openai", "sharegpt", "distillation", "prompt-completion", "csv",
                 "tatqa")
OUTPUT_FORMATS = ("bedrock", "bedrock-2024", "openai", "sharegpt", "distillation")
# the catalogue's record_format each Bedrock output format writes
FORMAT_OF_RECORD = {"bedrock-claude-conversation": "bedrock", "bedrock-conversation-2024": "bedrock-2024"}


def read_records(path: str | Path, fmt: str, *, prompt_field: str = "prompt", completion_field: str = "completion",
                 system: str | None = None, weight_zero: str = "drop",
                 result: "ConvertResult | None" = None) -> Iterator[tuple[int | None, str, object]]:
    """Yield ``(line, where, Conversation | ConvertError)`` for each record of ``path`` in format ``fmt``.

    ``system`` fills in a system prompt for records without one (for TAT-QA it replaces the default).
    ``weight_zero`` says what happens to OpenAI weight-0 turns; their counts go to ``result``.
    """
    if weight_zero not in ("drop", "keep"):
        raise UsageError(f"--weight-zero must be drop or keep, not {weight_zero!r}")
    if fmt == "tatqa":
        yield from read_tatqa(path, system if system is not None else TATQA_SYSTEM_PROMPT)
        return
    if fmt == "csv":
        yield from _read_csv(path, prompt_field, completion_field, system)
        return
    if fmt == "prompt-completion":
        reader = _prompt_completion(prompt_field, completion_field)
    elif fmt == "openai":
        if result is None:
            result = ConvertResult()
        result.weight_zero = weight_zero
        reader = _openai_reader(result)
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


# Python's csv module refuses fields over 131,072 characters by default; allow as much as a JSONL
# line may hold (no Bedrock record comes near it), and report a longer field with its line.
CSV_FIELD_LIMIT = MAX_LINE_BYTES


def _read_csv(path, prompt_field: str, completion_field: str, system: str | None):
    name = display_name(path)
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    with open_input(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text)
        start = 1  # the physical line where the record being read begins
        try:
            header = reader.fieldnames or []
            missing = [f for f in (prompt_field, completion_field) if f not in header]
            if missing:
                raise InputError(f"the CSV header has no column {', '.join(repr(f) for f in missing)} "
                                 f"(columns: {', '.join(header) or 'none'}); use --prompt-field/--completion-field",
                                 Location(name, 1))
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
            raise InputError(f"not UTF-8: {exc.reason}", Location(name, start)) from None
        except csv.Error as exc:
            message = str(exc)
            if "field larger than field limit" in message:
                message = (f"a field is longer than {CSV_FIELD_LIMIT:,} characters (no record can be this long; "
                           "is a closing quote missing?)")
            raise InputError(f"malformed CSV: {message}", Location(name, start)) from None


def to_format(conversation: Conversation, fmt: str, *, prompts_only: bool = False) -> dict:
    """The JSON object for ``conversation`` in output format ``fmt``; raises ValueError if it can't be expressed."""
    try:
        if fmt == "bedrock":
            return _to_bedrock(conversation)
        if fmt == "bedrock-2024":
            return _to_bedrock_2024(conversation)
        if fmt == "openai":
            return _to_openai(conversation)
        if fmt == "sharegpt":
            return _to_sharegpt(conversation)
        if fmt == "distillation":
            return _to_distillation(conversation, prompts_only)
    except _Skip as exc:
        raise ValueError(str(exc)) from None
    raise UsageError(f"unknown output format {fmt!r}; choose from {', '.join(OUTPUT_FORMATS)}")


def _limits_for(model, target_format: str) -> RecordLimits | None:
    """The per-record limits to check written records against: ``model``'s, when it reads this format."""
    if model is None or target_format not in ("bedrock", "bedrock-2024"):
        return None
    written = FORMAT_OF_RECORD.get(model.record_format)
    if written != target_format:
        raise UsageError(f"model {model.id!r} reads {model.record_format} records, which --to {written or '?'} "
                         f"writes, not --to {target_format}")
    return RecordLimits.from_model(model)


def convert(source: str | Path, source_format: str, target_format: str, out, *, model=None,
            prompt_field: str = "prompt", completion_field: str = "completion", system: str | None = None,
            prompts_only: bool = False, max_problems: int = 20, weight_zero: str = "drop") -> ConvertResult:
    """Convert ``source`` into ``out`` (a text stream), one JSON line per record.

    When the target is ``bedrock`` or ``bedrock-2024`` and ``model`` is given, each record is checked
    against that model's per-record rules and skipped (and reported) if Bedrock would reject it.
    """
    if target_format not in OUTPUT_FORMATS:
        raise UsageError(f"unknown output format {target_format!r}; choose from {', '.join(OUTPUT_FORMATS)}")
    limits = _limits_for(model, target_format)
    result = ConvertResult(weight_zero=weight_zero)
    write = out.write
    for line, where, item in read_records(source, source_format, prompt_field=prompt_field,
                                          completion_field=completion_field, system=system,
                                          weight_zero=weight_zero, result=result):
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
            result.problems.append(item)  # type: ignore[arg-type]
    return result


def convert_file(source: str | Path, source_format: str, target_format: str, output: str | Path | None, *,
                 model=None, **options) -> ConvertResult:
    """Convert ``source`` (``"-"``: standard input) to ``output`` (None: standard output), atomically.

    The records go to a temporary file beside ``output`` that is renamed over it once complete, so a
    full disk, an unwritable folder or a bad input leaves no partial file (and an earlier file of that
    name untouched). Raises :class:`InputError` (exit 2) naming the file; ``options`` are those of
    :func:`convert`.
    """
    if output is None or str(output) == STDIN:
        return convert(source, source_format, target_format, sys.stdout, model=model, **options)
    target = Path(output)
    if str(source) != STDIN and target.exists() and target.resolve() == Path(source).resolve():
        raise UsageError(f"--output {output} is the input file; write to another file")
    if target.is_dir():
        raise InputError("is a directory; give a file name for the output", Location(str(target)))
    if target.exists() and not target.is_file():
        # a device or a pipe (/dev/stdout, a FIFO): written in place, never replaced
        try:
            out = open(target, "w", encoding="utf-8", newline="\n")
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", Location(str(output))) from None
        try:
            with out:
                return convert(source, source_format, target_format, out, model=model, **options)
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", Location(str(output))) from None
    if target.is_symlink():
        target = target.resolve()  # replace the file the link points to, not the link
    folder = target.parent
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write here: {exc.strerror or exc}", Location(str(target))) from None
    tmp = Path(tmp_name)
    done = False
    try:  # mkstemp makes the file private; give it the mode a plainly created file would have
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(tmp, 0o666 & ~mask)
    except OSError:
        pass
    try:
        with open(fd, "w", encoding="utf-8", newline="\n") as out:
            result = convert(source, source_format, target_format, out, model=model, **options)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
        done = True
        return result
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}; nothing was written (no partial file left)",
                         Location(str(target))) from None
    finally:
        if not done:
            try:
                tmp.unlink()
            except OSError:
                pass


def iter_conversations(items: Iterable) -> Iterator[Conversation]:
    """Only the converted records of a ``read_records`` stream (tests and round trips)."""
    for _, _, item in items:
        if isinstance(item, Conversation):
            yield item
