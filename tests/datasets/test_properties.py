"""Property tests: random bytes, random JSON and random nesting never reach the user as a traceback,
and the validator's fast path agrees with the explaining path on every record."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.datasets.records import RecordLimits, check_record, digests, quick_facts
from advisor.datasets.validate import validate_dataset

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(json_scalars, lambda children: st.lists(children, max_size=4)
                           | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=20)

texts = st.sampled_from(["", " ", "hello", "x\nHuman: y", "\nAssistant:", "ok then", "\ud800", "a" * 40]) | st.text()
roles = st.sampled_from(["user", "assistant", "system", "bot", None, 3])
messages = st.lists(
    st.fixed_dictionaries({}, optional={"role": roles, "content": texts | json_scalars,
                                        "name": st.text(max_size=3)}) | json_scalars,
    max_size=5)
# records that are often nearly right, so both paths see clean and broken records
near_records = st.fixed_dictionaries({"messages": messages | json_values},
                                     optional={"system": texts | json_scalars, "extra": json_scalars}) | json_values
alternating = st.integers(1, 3).flatmap(lambda n: st.tuples(
    st.lists(st.text(min_size=1, max_size=30).filter(str.strip), min_size=2 * n, max_size=2 * n),
    st.none() | st.text(min_size=1, max_size=30).filter(str.strip)))


def _limits(model) -> RecordLimits:
    return RecordLimits(40, 3.0, tuple(model.limits.reserved_strings))


def _validate_bytes(model, data: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.jsonl"
        path.write_bytes(data)
        return validate_dataset(path, None, model)


@SETTINGS
@given(st.binary(max_size=400))
def test_random_bytes_never_raise(model, data):
    report = _validate_bytes(model, data)
    lines = data.split(b"\n")
    nonblank = sum(1 for line in (lines[:-1] if data.endswith(b"\n") else lines) if line.strip())
    assert report.files[0].records == nonblank
    assert not report.valid  # fewer than 32 records


@SETTINGS
@given(st.lists(json_values, max_size=8))
def test_random_json_lines_never_raise_and_every_bad_line_is_named(model, values):
    data = "".join(json.dumps(v) + "\n" for v in values).encode()
    report = _validate_bytes(model, data)
    named = {p.line for p in report.log.kept if p.severity == "error" and p.line is not None}
    for number, value in enumerate(values, 1):
        if not isinstance(value, dict) or set(value) - {"system", "messages"}:
            assert number in named


@SETTINGS
@given(st.integers(1, 50_000), st.sampled_from(["[", "{\"a\":", "[{\"messages\":"]))
def test_random_nesting_never_raises(model, depth, opener):
    line = (opener * depth).encode()
    report = _validate_bytes(model, line + b"\n")
    assert report.log.errors >= 1


@SETTINGS
@given(near_records)
def test_fast_path_agrees_with_full_check(model, value):
    limits = _limits(model)
    findings, facts = check_record(value, limits)
    quick = quick_facts(value, limits)
    assert (quick is None) == (facts is None), (findings, quick)
    if facts is not None:
        assert not findings
        assert quick[:5] == (facts.tokens, facts.turns, facts.has_system, facts.answer, facts.answer_tokens)
        assert quick[5:] == digests(value)


@SETTINGS
@given(alternating)
def test_alternating_conversations_are_clean(model, sample):
    contents, system = sample
    record = {"messages": [{"role": "user" if i % 2 == 0 else "assistant", "content": c}
                           for i, c in enumerate(contents)]}
    if system is not None:
        record["system"] = system
    findings, facts = check_record(record, RecordLimits(10**6, 3.0, ("\nHuman:", "\nAssistant:")))
    assert (facts is not None) == (not any("\nHuman:" in t or "\nAssistant:" in t
                                           for t in [*contents, system or ""]))


@SETTINGS
@given(near_records, st.booleans())
def test_raw_line_prefilter_never_hides_a_problem(model, value, ascii_only):
    """With the raw line, the fast path may skip exact searches; it must still reach the same verdict."""
    limits = _limits(model)
    text = json.dumps(value, ensure_ascii=ascii_only)
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate can't be written as raw UTF-8, only escaped
        raw = json.dumps(value).encode("ascii")
    assert quick_facts(value, limits, raw) == quick_facts(value, limits)


def test_escaped_spellings_of_reserved_strings_are_found(tmp_path, model):
    from tests.datasets.conftest import clean_records

    spellings = [r'Hi\u000aHuman: x', r'Hi\n\u0048uman: x', r'Hi\nAssistant\u003a x', r'Hi\u000AAssistant: x']
    rows = [json.dumps(r) for r in clean_records(35)]
    rows += ['{"messages": [{"role": "user", "content": "%s"}, {"role": "assistant", "content": "ok then"}]}' % s
             for s in spellings]
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = validate_dataset(path, None, model)
    assert [(p.code, p.line) for p in report.log.kept] == [("reserved_string", n) for n in (36, 37, 38, 39)]


# --- bedrock-conversation-2024 -----------------------------------------------------------------------

def _blocks(value, how: int):
    """A content value written as 2024 blocks (how=0: one text block, 1: two blocks, 2: as is)."""
    if how == 0:
        return [{"text": value}]
    if how == 1 and isinstance(value, str):
        return [{"text": value[: len(value) // 2]}, {"text": value[len(value) // 2:]}]
    return value


@st.composite
def near_records_2024(draw):
    value = draw(near_records)
    if not isinstance(value, dict):
        return value
    record = dict(value)
    if isinstance(record.get("messages"), list):
        record["messages"] = [dict(m, content=_blocks(m["content"], draw(st.integers(0, 2))))
                              if isinstance(m, dict) and "content" in m else m for m in record["messages"]]
    if "system" in record:
        record["system"] = _blocks(record["system"], draw(st.integers(0, 2)))
    version = draw(st.sampled_from(["bedrock-conversation-2024", "bedrock-conversation-2024", None, 2024]))
    if version is not None:
        record["schemaVersion"] = version
    return record


NOVA_RESERVED = ("User:", "Bot:", "Assistant:", "System:", "<image>", "<video>", "[EOS]")


@SETTINGS
@given(near_records_2024(), st.booleans())
def test_fast_path_agrees_with_full_check_for_2024_records(value, ascii_only):
    limits = RecordLimits(40, 3.0, NOVA_RESERVED, "bedrock-conversation-2024")
    findings, facts = check_record(value, limits)
    quick = quick_facts(value, limits)
    text = json.dumps(value, ensure_ascii=ascii_only)
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        raw = json.dumps(value).encode("ascii")
    assert quick_facts(value, limits, raw) == quick
    if quick is not None:  # the fast path only ever accepts what the full check accepts, with the same facts
        assert facts is not None and not findings, findings
        assert quick[:5] == (facts.tokens, facts.turns, facts.has_system, facts.answer, facts.answer_tokens)
        assert quick[5:] == digests(value)
    elif facts is not None and not findings:  # accepted only by the full check: must be multi-block content
        contents = [m["content"] for m in value["messages"]] + ([value["system"]] if "system" in value else [])
        assert any(len(c) != 1 for c in contents)


@SETTINGS
@given(alternating, st.booleans())
def test_clean_2024_conversations_take_the_fast_path_with_the_full_facts(sample, ascii_only):
    contents, system = sample
    record = {"schemaVersion": "bedrock-conversation-2024",
              "messages": [{"role": "user" if i % 2 == 0 else "assistant", "content": [{"text": c}]}
                           for i, c in enumerate(contents)]}
    if system is not None:
        record["system"] = [{"text": system}]
    limits = RecordLimits(10**6, 3.0, NOVA_RESERVED, "bedrock-conversation-2024")
    findings, facts = check_record(record, limits)
    try:
        raw = json.dumps(record, ensure_ascii=ascii_only).encode("utf-8")
    except UnicodeEncodeError:
        raw = json.dumps(record).encode("ascii")
    quick = quick_facts(record, limits, raw)
    assert (quick is None) == (facts is None), findings
    reserved = any(m in t for m in NOVA_RESERVED for t in [*contents, system or ""])
    assert (facts is None) == (reserved or bool(findings))
    if facts is not None:
        assert quick[:5] == tuple(facts) and quick[5:] == digests(record)
