"""Prompts from a file or from production logs, filtered, sampled, capped and de-duplicated.

Sources (each yields prompt records, see :mod:`advisor.distill`):

* a prompts file, JSON Lines: ``{"messages": [...]}`` (OpenAI chat; a trailing assistant turn is taken
  as the gold answer) or ``{"prompt" | "question" | "input": str}``, with optional ``system``, ``id``
  and ``gold`` / ``answer``;
* Bedrock model invocation logs: the JSON records Bedrock writes (``schemaType: ModelInvocationLog``,
  ``modelId``, ``timestamp``, ``input.inputBodyJson``, ``requestMetadata``), one per line or a JSON
  array, ``.json`` or ``.json.gz``, in a local folder or under ``s3://bucket/prefix`` (read with boto3);
  Converse, Anthropic Messages, Nova, Llama (``prompt``) and Titan (``inputText``) bodies are understood;
* OpenAI-format request logs: ``{"input": {"model", "messages"}, "output": {...}, "metadata": {...},
  "timestamp": ...}`` lines (OpenPipe's request-log export shape).

Filters: ``models`` (shell-style patterns on the model id), ``since`` / ``until`` (dates, inclusive),
``tags`` (``key=value``, all must match the record's ``requestMetadata`` / ``metadata`` / ``tags``),
``keywords`` (any, case-insensitive, in the user text), ``sample_rate`` (kept by a hash of the prompt,
so re-runs keep the same sample) and ``max_rows``. De-duplication is by the prompt's id, a digest of
its whitespace- and case-normalised system prompt and turns, so the same question asked twice is one
prompt. Nothing is held but the ids seen so far.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import gzip
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from advisor.errors import CheckFailed, InputError, location_for
from advisor.files import write_jsonl_atomic

LOG_FORMATS = ("auto", "bedrock", "openai")


def normalise(text: str) -> str:
    return " ".join((text or "").lower().split())


def prompt_id(system: str | None, messages: list[dict[str, str]]) -> str:
    h = hashlib.sha256(normalise(system or "").encode())
    for m in messages:
        h.update(b"\0" + m["role"].encode() + b"\0" + normalise(m["content"]).encode())
    return h.hexdigest()[:20]


def user_text(record: dict[str, Any]) -> str:
    return "\n".join(m["content"] for m in record["messages"] if m["role"] == "user")


def leak_key(record: dict[str, Any]) -> str:
    """What must not appear on both sides of the split: the normalised user text."""
    return hashlib.sha256(normalise(user_text(record)).encode()).hexdigest()[:20]


def make_record(system: str | None, messages: list[dict[str, str]], gold: str | None, source: str,
                rid: str | None = None, meta: dict | None = None) -> dict[str, Any]:
    return {"id": rid or prompt_id(system, messages), "system": system or None, "messages": messages,
            "gold": gold, "source": source, **({"meta": meta} if meta else {})}


class _Bad(Exception):
    pass


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and isinstance(block.get("text"), str):
                parts.append(block["text"])
            elif isinstance(block, dict) and block.get("type") in ("image", "image_url", "document") \
                    or isinstance(block, dict) and ("image" in block or "document" in block):
                raise _Bad("multimodal content is not supported (text prompts only)")
        return "".join(parts)
    if content is None:
        return ""
    raise _Bad("message content is neither text nor a list of text blocks")


def _chat(messages: Any) -> tuple[str | None, list[dict[str, str]], str | None]:
    """(system, turns ending with a user turn, trailing assistant answer or None)."""
    if not isinstance(messages, list) or not messages:
        raise _Bad("messages must be a non-empty list")
    system = None
    turns: list[dict[str, str]] = []
    for m in messages:
        if not isinstance(m, dict):
            raise _Bad("each message must be an object with role and content")
        role = m.get("role")
        text = _text(m.get("content"))
        if role in ("system", "developer"):
            system = (system + "\n" if system else "") + text
        elif role in ("user", "assistant"):
            turns.append({"role": role, "content": text})
        else:
            raise _Bad(f"unsupported role {role!r} (system, user, assistant)")
    gold = None
    if turns and turns[-1]["role"] == "assistant":
        gold = turns.pop()["content"]
    if not turns or turns[-1]["role"] != "user" or not turns[-1]["content"].strip():
        raise _Bad("no user message to answer")
    return system, turns, gold


def read_prompts_file(path: str | Path) -> Iterator[dict[str, Any]]:
    """Records of a prompts JSONL file; a bad line is an :class:`InputError` naming file and line."""
    path = Path(path)
    try:
        fh = open(path, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the prompts file: {exc.strerror or exc}", location_for(path)) from None
    with fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise InputError(f"not JSON: {getattr(exc, 'msg', exc)}", location_for(path, n)) from None
            if not isinstance(obj, dict):
                raise InputError("each line must be a JSON object", location_for(path, n))
            try:
                if "messages" in obj:
                    system, turns, trailing = _chat(obj["messages"])
                    system = obj.get("system") if isinstance(obj.get("system"), str) else system
                else:
                    text = next((obj[k] for k in ("prompt", "question", "input") if isinstance(obj.get(k), str)),
                                None)
                    if not text or not text.strip():
                        raise _Bad("needs messages, or a prompt / question / input string")
                    system, turns, trailing = obj.get("system"), [{"role": "user", "content": text}], None
                    if system is not None and not isinstance(system, str):
                        raise _Bad("system must be a string")
                gold = obj.get("gold", obj.get("answer", trailing))
                if gold is not None and not isinstance(gold, str):
                    gold = json.dumps(gold, ensure_ascii=False)
            except _Bad as exc:
                raise InputError(str(exc), location_for(path, n)) from None
            rid = obj.get("id")
            yield make_record(system, turns, gold, f"{path.name}:{n}", str(rid) if rid is not None else None)


# --- logs -------------------------------------------------------------------------------------------------

@dataclass
class LogFilters:
    models: list[str] = field(default_factory=list)
    since: dt.date | None = None
    until: dt.date | None = None
    tags: dict[str, str] = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)
    sample_rate: float = 1.0
    max_rows: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"models": self.models, "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None, "tags": self.tags,
                "keywords": self.keywords, "sample_rate": self.sample_rate, "max_rows": self.max_rows}


@dataclass
class LogEntry:
    model: str | None
    when: dt.datetime | None
    tags: dict[str, str]
    system: str | None
    turns: list[dict[str, str]]
    answer: str | None


def _when(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    try:
        if isinstance(value, (int, float)):
            return dt.datetime.fromtimestamp(float(value), dt.timezone.utc)
        text = str(value).replace("Z", "+00:00")
        when = dt.datetime.fromisoformat(text)
        return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise _Bad(f"timestamp {value!r} is not ISO 8601 or epoch seconds") from None


def _str_tags(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, list):  # ["k=v", ...] or ["tag", ...]
        out = {}
        for item in value:
            k, _, v = str(item).partition("=")
            out[k] = v
        return out
    return {}


def _bedrock_body(body: Any) -> tuple[str | None, list[dict[str, str]]]:
    if not isinstance(body, dict):
        raise _Bad("input.inputBodyJson is not an object")
    if "messages" in body:
        system = body.get("system")
        if isinstance(system, list):
            system = "".join(b.get("text", "") for b in system if isinstance(b, dict)) or None
        elif system is not None and not isinstance(system, str):
            system = None
        s2, turns, _ = _chat(body["messages"])
        return system or s2, turns
    for key in ("inputText", "prompt"):
        if isinstance(body.get(key), str):
            return None, [{"role": "user", "content": body[key]}]
    raise _Bad("input body has no messages, prompt or inputText")


def _bedrock_answer(out: Any) -> str | None:
    if not isinstance(out, dict):
        return None
    body = out.get("outputBodyJson")
    if not isinstance(body, dict):
        return None
    msg = (body.get("output") or {}).get("message") if isinstance(body.get("output"), dict) else None
    if isinstance(msg, dict):
        return _text(msg.get("content"))
    if "content" in body:
        return _text(body["content"])
    for key in ("generation", "outputText", "completion"):
        if isinstance(body.get(key), str):
            return body[key]
    if isinstance(body.get("results"), list) and body["results"]:
        return body["results"][0].get("outputText")
    return None


def parse_bedrock_log(obj: dict[str, Any]) -> LogEntry:
    if not isinstance(obj.get("input"), dict):
        raise _Bad("not a Bedrock invocation log record (no input)")
    if obj["input"].get("inputBodyJson") is None and obj["input"].get("inputBodyS3Path"):
        raise _Bad("the request body was logged separately (inputBodyS3Path, a large body); it is not fetched")
    system, turns = _bedrock_body(obj["input"].get("inputBodyJson"))
    try:
        answer = _bedrock_answer(obj.get("output"))
    except _Bad:
        answer = None
    return LogEntry(obj.get("modelId"), _when(obj.get("timestamp")), _str_tags(obj.get("requestMetadata")),
                    system, turns, answer)


def parse_openai_log(obj: dict[str, Any]) -> LogEntry:
    inp = obj.get("input") if isinstance(obj.get("input"), dict) else obj.get("request")
    if not isinstance(inp, dict):
        raise _Bad("not an OpenAI-format request log line (no input object)")
    system, turns, _ = _chat(inp.get("messages"))
    out = obj.get("output") if isinstance(obj.get("output"), dict) else obj.get("response")
    answer = None
    if isinstance(out, dict):
        choice = (out.get("choices") or [None])[0]
        msg = choice.get("message") if isinstance(choice, dict) else out.get("message", out)
        if isinstance(msg, dict):
            try:
                answer = _text(msg.get("content")) or None
            except _Bad:
                answer = None
    tags = {}
    for key in ("metadata", "tags"):
        tags.update(_str_tags(obj.get(key)))
    model = inp.get("model") or obj.get("model") or (out.get("model") if isinstance(out, dict) else None)
    when = _when(obj.get("timestamp", obj.get("created_at", obj.get("requested_at"))))
    return LogEntry(model, when, tags, system, turns, answer)


def _log_objects(text: str, where: str) -> Iterator[tuple[int, Any]]:
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            yield from enumerate(json.loads(text), 1)
        except ValueError as exc:
            raise InputError(f"not JSON: {exc}", location_for(where)) from None
        return
    for n, line in enumerate(io.StringIO(text), 1):
        if line.strip():
            try:
                yield n, json.loads(line)
            except ValueError as exc:
                raise InputError(f"not JSON: {getattr(exc, 'msg', exc)}", location_for(where, n)) from None


def _decode(data: bytes, name: str) -> str:
    if name.endswith(".gz") or data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8")


def log_files(source: str, profile: str | None = None) -> Iterator[tuple[str, str]]:
    """(display name, text) of each log file under ``source`` (a file, a folder, or ``s3://bucket/prefix``)."""
    if source.startswith("s3://"):
        from advisor.aws import AwsContext, call

        bucket, _, prefix = source[5:].partition("/")
        s3 = AwsContext(profile=profile).client("s3")
        token = None
        while True:
            page = call(s3, "list_objects_v2", f"s3://{bucket}/{prefix}", Bucket=bucket, Prefix=prefix,
                        **({"ContinuationToken": token} if token else {}))
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if not (key.endswith(".json") or key.endswith(".json.gz") or key.endswith(".jsonl")
                        or key.endswith(".jsonl.gz")):
                    continue
                body = call(s3, "get_object", f"s3://{bucket}/{key}", Bucket=bucket, Key=key)["Body"].read()
                yield f"s3://{bucket}/{key}", _decode(body, key)
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and (p.name.endswith((".json", ".json.gz",
                                                                                         ".jsonl", ".jsonl.gz"))))
    elif path.is_file():
        files = [path]
    else:
        raise InputError("log file or folder not found", location_for(source))
    for p in files:
        try:
            yield str(p), _decode(p.read_bytes(), p.name)
        except (OSError, UnicodeDecodeError, EOFError) as exc:
            raise InputError(f"cannot read the log file: {exc}", location_for(p)) from None


def read_logs(source: str, fmt: str = "auto", profile: str | None = None,
              skipped: list[str] | None = None) -> Iterator[tuple[LogEntry, str]]:
    """Every log entry under ``source`` with its location; unusable entries are noted in ``skipped``."""
    for name, text in log_files(source, profile):
        for n, obj in _log_objects(text, name):
            where = f"{name}:{n}"
            if not isinstance(obj, dict):
                if skipped is not None:
                    skipped.append(f"{where}: not a JSON object")
                continue
            kind = fmt
            if kind == "auto":
                kind = "bedrock" if obj.get("schemaType") == "ModelInvocationLog" or "modelId" in obj else "openai"
            try:
                entry = parse_bedrock_log(obj) if kind == "bedrock" else parse_openai_log(obj)
            except _Bad as exc:
                if skipped is not None:
                    skipped.append(f"{where}: {exc}")
                continue
            yield entry, where


def _sampled(rid: str, rate: float) -> bool:
    if rate >= 1.0:
        return True
    return int(hashlib.sha256(b"sample\0" + rid.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < rate


def select(entries: Iterable[tuple[LogEntry, str]], filters: LogFilters) -> Iterator[dict[str, Any]]:
    """Log entries that pass the filters, as prompt records (the logged answer kept in ``meta``)."""
    words = [w.lower() for w in filters.keywords]
    for entry, where in entries:
        if filters.models and not any(fnmatch.fnmatch(entry.model or "", pat) for pat in filters.models):
            continue
        if (filters.since or filters.until) and entry.when is None:
            continue
        if filters.since and entry.when.date() < filters.since:  # type: ignore[union-attr]  # when is set: checked above
            continue
        if filters.until and entry.when.date() > filters.until:  # type: ignore[union-attr]  # when is set: checked above
            continue
        if any(entry.tags.get(k) != v for k, v in filters.tags.items()):
            continue
        record = make_record(entry.system, entry.turns, None, where,
                             meta={"model": entry.model, "logged_answer": entry.answer} if entry.answer else
                             {"model": entry.model})
        if words and not any(w in user_text(record).lower() for w in words):
            continue
        if not _sampled(record["id"], filters.sample_rate):
            continue
        yield record


def dedupe(records: Iterable[dict[str, Any]], max_rows: int | None = None,
           counts: dict[str, int] | None = None) -> Iterator[dict[str, Any]]:
    seen: set[str] = set()
    kept = 0
    for record in records:
        if record["id"] in seen:
            if counts is not None:
                counts["duplicates"] = counts.get("duplicates", 0) + 1
            continue
        if max_rows is not None and kept >= max_rows:
            if counts is not None:
                counts["over_cap"] = counts.get("over_cap", 0) + 1
            continue
        seen.add(record["id"])
        kept += 1
        yield record


def parse_tags(values: list[str] | None) -> dict[str, str]:
    out = {}
    for value in values or []:
        key, sep, val = value.partition("=")
        if not sep or not key:
            from advisor.errors import UsageError

            raise UsageError(f"--log-tag {value!r}: use KEY=VALUE")
        out[key] = val
    return out


def parse_date(value: str | None, flag: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        from advisor.errors import UsageError

        raise UsageError(f"{flag} {value!r}: use YYYY-MM-DD") from None


def collect(prompts: str | None, logs: list[str], log_format: str, filters: LogFilters, profile: str | None = None
            ) -> tuple[Iterator[dict[str, Any]], dict[str, Any]]:
    """All prompt records (prompts file first, then logs), de-duplicated and capped; plus a stats dict
    filled as the iterator is consumed."""
    stats: dict[str, Any] = {"skipped": []}

    def chain() -> Iterator[dict[str, Any]]:
        if prompts:
            yield from read_prompts_file(prompts)
        for source in logs:
            yield from select(read_logs(source, log_format, profile, stats["skipped"]), filters)

    return dedupe(chain(), filters.max_rows, stats), stats


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> int:
    """Write records atomically (temporary file, fsync, rename); returns the count."""
    return write_jsonl_atomic(path, records)


def iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def require_some(n: int, what: str) -> None:
    if n == 0:
        raise CheckFailed(f"no prompts left {what}; check the prompts file, the log folder and the filters")

