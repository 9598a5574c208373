"""One Bedrock conversation record: the checks Bedrock applies, the token estimate, and digests.

The Claude 3 Haiku fine-tuning format (``bedrock.md`` §2.1, ``knowledge.md`` §5) is one JSON object
per line::

    {"system": "optional", "messages": [{"role": "user", "content": "..."},
                                        {"role": "assistant", "content": "..."}]}

:func:`check_record` returns every problem of a decoded record, never raising on any JSON value.
Limits come from the model catalogue (``rules/models.yaml``), never from code.

Token estimate
    Bedrock offers no offline tokenizer for Claude 3 Haiku, so we estimate tokens the way the AWS
    sample validator does: characters divided by the catalogue's ``chars_per_token_estimate`` (3 for
    Claude 3 Haiku), summed over the system prompt and every message and rounded up once per record.
    Three characters per token over-counts English prose (closer to 4), so the estimate errs towards
    rejecting a record rather than letting Bedrock fail it.

Digests
    Duplicate and leakage detection keep 64-bit digests, never records. The *record* digest covers
    the system prompt and every turn's text (roles are implied: a clean record alternates user and
    assistant from the start); the *prompt* digest covers everything but the final answer, so the
    same question with two answers, or the same question in training and validation, is found even
    when the answers differ. Both are Python's own ``hash`` of tuples of the decoded texts, so key
    order and JSON whitespace don't matter. It runs in C and is cached on the strings: a fraction of
    the cost of BLAKE2b over a canonical JSON form, which mattered for the speed target (1.5x a bare
    ``json.loads`` loop). Digests live for one run only, so Python's per-process salt is harmless.
    Two different records collide with probability about n^2 / 2^65 (3e-12 at 10,000 records); a
    collision could only cause a spurious duplicate or leakage warning, or drop a record from a split.
"""

from __future__ import annotations

import json
import math
import re
from functools import cached_property
from typing import NamedTuple

__all__ = ["ALLOWED_KEYS", "CLAUDE_FORMAT", "CONVERSE_FORMAT", "RECORD_FORMATS", "MESSAGE_KEYS", "Finding",
           "RecordLimits", "RecordFacts", "check_record", "digests",
           "quick_facts"]

CLAUDE_FORMAT = "bedrock-claude-conversation"
CONVERSE_FORMAT = "bedrock-conversation-2024"
RECORD_FORMATS = (CLAUDE_FORMAT, CONVERSE_FORMAT)
ALLOWED_KEYS = frozenset({"system", "messages"})
ALLOWED_KEYS_2024 = frozenset({"schemaVersion", "system", "messages", "toolConfig"})
TOOL_BLOCKS = ("toolUse", "toolResult")
# content blocks Bedrock's Converse format knows but this tool does not check (media, reasoning)
UNCHECKED_BLOCKS = ("image", "video", "document", "reasoningContent")
MESSAGE_KEYS = frozenset({"role", "content"})
ROLES = ("user", "assistant")


class RecordLimits:
    """The per-record rules of one model, taken from the catalogue.

    ``max_tokens_per_record`` is None where AWS documents no limit: the token check is then skipped.
    ``record_format`` is the catalogue's ``record_format``; ``tool_use_allowed`` its ``tool_use_in_sft``.
    (A plain class rather than a dataclass: building dataclasses costs start-up time on every run.)
    """

    def __init__(self, max_tokens_per_record: int | None, chars_per_token: float, reserved_strings: tuple[str, ...],
                 record_format: str = CLAUDE_FORMAT, tool_use_allowed: bool = False):
        self.max_tokens_per_record = max_tokens_per_record
        self.chars_per_token = chars_per_token
        self.reserved_strings = tuple(reserved_strings)
        self.record_format = record_format
        self.tool_use_allowed = tool_use_allowed

    def __repr__(self) -> str:
        return (f"RecordLimits({self.max_tokens_per_record!r}, {self.chars_per_token!r}, {self.reserved_strings!r}, "
                f"{self.record_format!r}, {self.tool_use_allowed!r})")

    @cached_property
    def raw_prefilter(self):
        """``search(line_bytes)``: None proves no decoded text holds a reserved string or a lone surrogate.

        A reserved string can only reach a decoded text through the JSON line as its canonical escaped
        form (``\\nHuman:``) or with some character written as a ``\\u`` escape, and a lone surrogate
        only as a ``\\uD800``-``\\uDFFF`` escape. One regular-expression pass over the raw line is
        cheaper than searching every text for every marker; a match only means "check exactly".
        """
        parts = [re.escape(json.dumps(m, ensure_ascii=False)[1:-1].encode("utf-8")) for m in self.reserved_strings]
        if all(m.isascii() for m in self.reserved_strings):
            parts.append(rb"\\u00[0-7][0-9a-fA-F]")  # an ASCII character written as an escape
        else:
            parts.append(rb"\\u")  # any escape might spell a non-ASCII marker character
        if any("/" in m for m in self.reserved_strings):
            parts.append(rb"\\/")
        parts.append(rb"\\u[dD][89a-fA-F]")  # a UTF-16 surrogate
        return re.compile(b"|".join(parts)).search

    @classmethod
    def from_model(cls, model) -> "RecordLimits":
        limits = model.limits
        return cls(limits.max_tokens_per_record, float(limits.chars_per_token_estimate or 3),
                   tuple(limits.reserved_strings), model.record_format,
                   bool(getattr(model, "tool_use_in_sft", False)))


class Finding(NamedTuple):
    """One problem in one record: a stable ``code``, the JSON ``field`` path, and how to fix it."""

    code: str
    field: str
    message: str
    fix: str
    severity: str = "error"  # "error": Bedrock rejects it; "warning": accepted but hurts quality


class RecordFacts(NamedTuple):
    """What the validator and ``stats`` need from a well-formed record."""

    tokens: int
    turns: int
    has_system: bool
    answer: str
    answer_tokens: int


def _describe(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _tokens(text: str, chars_per_token: float) -> int:
    return math.ceil(len(text) / chars_per_token) if text else 0


def _reserved(text: str, field: str, limits: RecordLimits, out: list[Finding]) -> None:
    for marker in limits.reserved_strings:
        if marker in text:
            shown = marker.replace("\n", "\\n")
            out.append(Finding(
                "reserved_string", field,
                f"contains the reserved marker {shown!r}",
                f"rewrite the text so no line starts with {marker.strip()!r} "
                f"(drop the colon, or the line break before it)"))


def _text(value, field: str, limits: RecordLimits, out: list[Finding], what: str) -> bool:
    """Check one string field; True when it is a usable string."""
    if not isinstance(value, str):
        fix = ("join the text blocks into one string (advisor data convert --from bedrock-2024 --to bedrock "
               "converts a whole file)" if isinstance(value, list)
               else f"make {what} a JSON string")
        out.append(Finding("not_a_string", field, f"{what} must be a string, not {_describe(value)}", fix))
        return False
    if not value.strip():
        out.append(Finding("empty_text", field,
                           f"{what} is {'empty' if not value else 'only whitespace'}",
                           f"write the {what}, or remove it" if what == "system prompt"
                           else f"write the {what}, or drop the record"))
        return False
    _reserved(value, field, limits, out)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            out.append(Finding("lone_surrogate", field,
                               "holds an unpaired \\ud800-\\udfff escape, which is not valid Unicode",
                               "replace the escape with the character it was meant to be, or remove it"))
            return False
    return True


def _blocks(value, field: str, limits: RecordLimits, out: list[Finding], what: str, system: bool = False):
    """Check a ``bedrock-conversation-2024`` content list; its joined text ('' when it has none), or None."""
    if not isinstance(value, list):
        fix = ('write it as a list of blocks: [{"text": "..."}] (advisor data convert --from bedrock '
               '--to bedrock-2024 converts a whole file)') if isinstance(value, str) else \
            'write it as a list of blocks: [{"text": "..."}]'
        out.append(Finding("not_a_block_list", field, f"{what} must be a list of content blocks, "
                           f"not {_describe(value)}", fix))
        return None
    if not value and not system:
        out.append(Finding("empty_text", field, f"{what} has no content blocks",
                           'add a text block: [{"text": "..."}], or drop the record'))
        return None
    texts: list[str] = []
    other = False
    ok = True
    for j, block in enumerate(value):
        where = f"{field}[{j}]"
        if not isinstance(block, dict) or len(block) != 1:
            shown = _describe(block) if not isinstance(block, dict) else f"an object with {len(block)} keys"
            out.append(Finding("bad_block", where, f"a content block must be an object with one key, not {shown}",
                               'write the block as {"text": "..."}'))
            ok = False
            continue
        (kind, body), = block.items()
        if kind == "text":
            if _text(body, f"{where}.text", limits, out, f"{what} text"):
                texts.append(body)
            else:
                ok = False
        elif system:
            out.append(Finding("bad_block", where, f"a system block holds text only, not {kind!r}",
                               'write the system prompt as [{"text": "..."}]'))
            ok = False
        elif kind in TOOL_BLOCKS:
            if not limits.tool_use_allowed:
                out.append(Finding("tool_use_in_sft", where,
                                   f"a {kind} block; this model takes no tool-use blocks in fine-tuning data",
                                   "drop tool turns from the training data, or choose a model that supports them"))
                ok = False
            other = True
        elif kind in UNCHECKED_BLOCKS:
            out.append(Finding("unchecked_block", where,
                               f"a {kind} block; advisor checks text blocks only and passes this one unchecked",
                               "check media and reasoning blocks against the model's documentation",
                               "warning"))
            other = True
        else:
            out.append(Finding("bad_block", where, f"unknown content block {kind!r}",
                               'use {"text": "..."} blocks'))
            ok = False
    if not ok:
        return None
    if not texts and not other and not system:
        out.append(Finding("empty_text", field, f"{what} holds no text", "write the text, or drop the record"))
        return None
    return "\n".join(texts)


def check_record(record, limits: RecordLimits) -> tuple[list[Finding], RecordFacts | None]:
    """Every problem Bedrock would reject in one decoded record, and the record's facts when usable.

    The record format (``limits.record_format``) decides the shape: plain strings for
    ``bedrock-claude-conversation``, ``schemaVersion`` and content-block lists for
    ``bedrock-conversation-2024``. Never raises, whatever JSON value it is given.
    """
    out: list[Finding] = []
    converse = limits.record_format == CONVERSE_FORMAT
    if not isinstance(record, dict):
        example = ('{"schemaVersion": "bedrock-conversation-2024", "messages": [...]}' if converse
                   else '{"system": ..., "messages": [...]}')
        out.append(Finding("not_an_object", "", f"the line holds {_describe(record)}, not a JSON object",
                           f"write one object per line: {example}"))
        return out, None
    allowed = ALLOWED_KEYS_2024 if converse else ALLOWED_KEYS
    for key in record:
        if key not in allowed:
            if key == "schemaVersion":
                fix = ("this looks like a bedrock-conversation-2024 record; convert the file with "
                       "advisor data convert --from bedrock-2024 --to bedrock")
            else:
                fix = f"remove {key!r}; Bedrock rejects extraneous keys"
            out.append(Finding("unknown_key", key, f"key {key!r} is not allowed (only "
                               f"{', '.join(repr(k) for k in sorted(allowed))})", fix))
        elif key == "toolConfig" and not limits.tool_use_allowed:
            out.append(Finding("tool_use_in_sft", key, "a toolConfig; this model takes no tool-use data in "
                               "fine-tuning records", "remove the tool configuration and tool turns"))
    if converse:
        version = record.get("schemaVersion")
        if "schemaVersion" not in record:
            out.append(Finding("missing_schema_version", "schemaVersion", "the record has no 'schemaVersion'",
                               f'add "schemaVersion": "{CONVERSE_FORMAT}"'))
        elif version != CONVERSE_FORMAT:
            shown = repr(version) if isinstance(version, str) else _describe(version)
            out.append(Finding("bad_schema_version", "schemaVersion",
                               f"schemaVersion is {shown}, not {CONVERSE_FORMAT!r}",
                               f'write "schemaVersion": "{CONVERSE_FORMAT}"'))
    has_system = "system" in record
    system_text = ""
    chars = 0
    if has_system:
        if converse:
            text = _blocks(record["system"], "system", limits, out, "system prompt", system=True)
            if text:
                system_text = text
        elif _text(record["system"], "system", limits, out, "system prompt"):
            system_text = record["system"]
        chars = len(system_text)
        has_system = bool(system_text)
    if "messages" not in record:
        out.append(Finding("missing_messages", "messages", "the record has no 'messages' list",
                           'add "messages": [{"role": "user", ...}, {"role": "assistant", ...}]'))
        return out, None
    messages = record["messages"]
    if not isinstance(messages, list):
        out.append(Finding("messages_not_a_list", "messages", f"'messages' must be a list, not {_describe(messages)}",
                           "make 'messages' a list of {role, content} objects"))
        return out, None
    if len(messages) < 2:
        out.append(Finding("too_few_messages", "messages",
                           f"'messages' has {len(messages)} turn{'s' if len(messages) != 1 else ''}; "
                           "at least 2 are needed",
                           "give at least one user turn followed by one assistant turn"))
    previous = None
    answer = ""
    answer_tokens = 0
    usable = True
    content_hint = '[{"text": "..."}]' if converse else '"..."'
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            out.append(Finding("message_not_an_object", where, f"the turn is {_describe(message)}, not an object",
                               f'write each turn as {{"role": "user"|"assistant", "content": {content_hint}}}'))
            usable = False
            previous = None
            continue
        for key in message:
            if key not in MESSAGE_KEYS:
                out.append(Finding("unknown_key", f"{where}.{key}",
                                   f"key {key!r} is not allowed in a turn (only 'role' and 'content')",
                                   f"remove {key!r}"))
        role = message.get("role")
        if "role" not in message:
            out.append(Finding("missing_role", f"{where}.role", "the turn has no 'role'",
                               'add "role": "user" or "role": "assistant"'))
            usable = False
        elif role not in ROLES:
            fix = ("move the system text to the top-level 'system' key" if role == "system"
                   else "use 'user' or 'assistant'")
            shown = repr(role) if isinstance(role, str) else _describe(role)
            out.append(Finding("bad_role", f"{where}.role", f"role {shown} is not 'user' or 'assistant'", fix))
            usable = False
            role = None
        if "content" not in message:
            out.append(Finding("missing_content", f"{where}.content", "the turn has no 'content'",
                               f"add the turn's content: {content_hint}"))
            usable = False
        else:
            content = message["content"]
            what = f"{role or 'turn'} content"
            if converse:
                text = _blocks(content, f"{where}.content", limits, out, what)
            else:
                text = content if _text(content, f"{where}.content", limits, out, what) else None
            if text is not None:
                chars += len(text)
                if i == len(messages) - 1:
                    answer, answer_tokens = text, _tokens(text, limits.chars_per_token)
            else:
                usable = False
        if role is not None:
            if i == 0 and role != "user":
                out.append(Finding("first_not_user", f"{where}.role", "the first turn must be 'user'",
                                   "start the conversation with the user's turn"))
            elif previous is not None and role == previous:
                out.append(Finding("not_alternating", f"{where}.role",
                                   f"two {role} turns in a row (turns {i - 1} and {i})",
                                   "merge the two turns into one, or insert the missing turn between them"))
        previous = role
    if messages and isinstance(messages[-1], dict):
        last_role = messages[-1].get("role")
        if last_role == "user":
            out.append(Finding("last_not_assistant", f"messages[{len(messages) - 1}].role",
                               "the last turn must be 'assistant'",
                               "end the conversation with the assistant's answer, or drop the trailing turn"))
    tokens = math.ceil(chars / limits.chars_per_token)
    if limits.max_tokens_per_record is not None and tokens > limits.max_tokens_per_record:
        out.append(Finding("too_many_tokens", "messages",
                           f"about {tokens:,} tokens (estimate: characters / {limits.chars_per_token:g}); "
                           f"the limit is {limits.max_tokens_per_record:,}",
                           "shorten the record or split it into several"))
    if any(f.severity == "error" for f in out) or not usable or len(messages) < 2:
        return out, None
    return out, RecordFacts(tokens, len(messages), has_system, answer, answer_tokens)


_ALTERNATING: dict[int, list[str]] = {}


def _alternating(n: int) -> list[str]:
    pattern = _ALTERNATING.get(n)
    if pattern is None:
        pattern = ["user", "assistant"] * (n // 2) + ["user"] * (n % 2)
        if n <= 64:  # cache the usual sizes only, so odd files can't grow the cache without bound
            _ALTERNATING[n] = pattern
    return pattern


def quick_facts(record, limits: RecordLimits, raw: bytes | None = None):
    """The fast path for a clean record, else None.

    A clean record gives ``(tokens, turns, has_system, answer, answer_tokens, record_digest, prompt_digest)``.
    ``raw`` is the record's JSON line, when known: the reserved-string and Unicode checks then run
    only when :attr:`RecordLimits.raw_prefilter` finds something suspicious in it.

    Returns None as soon as anything looks wrong; the caller then runs :func:`check_record` for the
    full explanation. Agrees with ``check_record`` on which records are clean (a property test holds
    it to that), but works in a few C-level operations, since nearly every line of a real dataset is
    clean and this is the validator's hot path.
    """
    if type(record) is not dict:
        return None
    messages = record.get("messages")
    if type(messages) is not list:
        return None
    n = len(messages)
    if n < 2 or n % 2:  # user first, assistant last, alternating: an even number of turns
        return None
    system = record.get("system")
    converse = limits.record_format == CONVERSE_FORMAT
    extra = 0
    if converse:  # schemaVersion present and right; system one text block
        if record.get("schemaVersion") != CONVERSE_FORMAT:
            return None
        extra = 1
        if system is not None:
            if type(system) is not list or len(system) != 1:
                return None
            block = system[0]
            if type(block) is not dict or len(block) != 1:
                return None
            system = block.get("text")
            if system is None:
                return None
    if system is None:
        if len(record) != 1 + extra:
            return None
    elif len(record) != 2 + extra or type(system) is not str or not system.strip():
        return None
    try:
        if n == 2:  # the usual single-turn record, unrolled
            user, assistant = messages
            if (len(user) != 2 or len(assistant) != 2 or user["role"] != "user"
                    or assistant["role"] != "assistant"):
                return None
            contents = [user["content"], assistant["content"]]
        else:
            if [m["role"] for m in messages] != _alternating(n):
                return None
            contents = [m["content"] for m in messages]
            if sum(map(len, messages)) != 2 * n:  # every turn has exactly role and content
                return None
        if converse:  # each content exactly one text block
            texts_ = []
            for c in contents:
                if type(c) is not list or len(c) != 1 or type(c[0]) is not dict or len(c[0]) != 1:
                    return None
                texts_.append(c[0]["text"])
            contents = texts_
        # every content is non-blank text (str.strip raises TypeError on anything but a str)
        if not all(map(str.strip, contents)):
            return None
    except (TypeError, KeyError):
        return None
    texts = contents if system is None else [system, *contents]
    if raw is None or limits.raw_prefilter(raw):
        for marker in limits.reserved_strings:
            for text in texts:
                if marker in text:
                    return None
        for text in texts:
            if not text.isascii():
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:  # a lone surrogate
                    return None
    tokens = math.ceil(sum(map(len, texts)) / limits.chars_per_token)
    if limits.max_tokens_per_record is not None and tokens > limits.max_tokens_per_record:
        return None
    answer = contents[-1]
    # str hashes are cached on the strings, so hashing the texts twice costs almost nothing
    prompt_digest = hash((system, *contents[:-1]))
    return (tokens, n, system is not None, answer, math.ceil(len(answer) / limits.chars_per_token),
            hash((prompt_digest, answer)), prompt_digest)


def _plain(value) -> str:
    """A content value as text: a string as is, a block list as its text blocks joined by a line break."""
    if isinstance(value, list):
        return "\n".join(b["text"] for b in value if isinstance(b, dict) and isinstance(b.get("text"), str))
    return value


def digests(record: dict) -> tuple[int, int]:
    """(record digest, prompt digest) of a clean record, equal to those :func:`quick_facts` returns.

    Works for both record formats: content blocks count by their joined text.
    """
    contents = [_plain(m["content"]) for m in record["messages"]]
    system = record.get("system")
    if isinstance(system, list):
        system = _plain(system) or None
    prompt_digest = hash((system, *contents[:-1]))
    return hash((prompt_digest, contents[-1])), prompt_digest
