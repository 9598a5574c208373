"""Prompts from files and production logs: parsing, filters, sampling, cap, de-duplication, S3."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest

from advisor.distill.prompts import LogFilters, collect, read_logs, read_prompts_file, select
from advisor.errors import InputError


def bedrock_log(i: int, model="amazon.nova-pro-v1:0", day="2026-11-20", tags=None, text=None, converse=True):
    text = text or f"Where is order {i}?"
    body = ({"messages": [{"role": "user", "content": [{"text": text}]}], "system": [{"text": "You track orders."}]}
            if converse else {"prompt": text})
    return {"schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": f"{day}T10:00:00Z",
            "accountId": "123456789012", "region": "us-east-1", "requestId": f"r{i}", "operation": "Converse",
            "modelId": model, "requestMetadata": tags or {"app": "orders"},
            "input": {"inputContentType": "application/json", "inputBodyJson": body, "inputTokenCount": 9},
            "output": {"outputContentType": "application/json", "outputBodyJson": {
                "output": {"message": {"role": "assistant", "content": [{"text": f"In transit {i}"}]}}},
                "outputTokenCount": 3}}


def openai_log(i: int, model="gpt-big", tags=None):
    return {"input": {"model": model, "messages": [{"role": "system", "content": "Be kind."},
                                                   {"role": "user", "content": f"Refund ticket {i}?"}]},
            "output": {"choices": [{"message": {"role": "assistant", "content": "Yes"}}]},
            "metadata": tags or {"team": "support"}, "timestamp": "2026-11-02T08:00:00Z"}


def test_prompts_file_shapes_and_gold(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in [
        {"prompt": "What is 2+2?", "gold": "4"},
        {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Hi"},
                      {"role": "assistant", "content": "Hello"}]},
        {"question": "Capital of France?", "id": "q3"},
    ]) + "\n", encoding="utf-8")
    recs = list(read_prompts_file(path))
    assert [r["gold"] for r in recs] == ["4", "Hello", None]
    assert recs[1]["system"] == "S" and recs[1]["messages"] == [{"role": "user", "content": "Hi"}]
    assert recs[2]["id"] == "q3"


def test_bad_prompt_line_names_file_and_line(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"prompt": "ok"}\n{"nothing": 1}\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        list(read_prompts_file(path))
    assert "p.jsonl:2" in str(err.value) and "prompt" in err.value.message


def test_bedrock_logs_filters_by_model_date_tag_keyword(tmp_path):
    folder = tmp_path / "AWSLogs" / "2026" / "11"
    folder.mkdir(parents=True)
    rows = [bedrock_log(1), bedrock_log(2, model="meta.llama3-1-70b-instruct-v1:0", converse=False),
            bedrock_log(3, day="2026-10-01"), bedrock_log(4, tags={"app": "billing"}),
            bedrock_log(5, text="Where is my parcel 5?"), {"schemaType": "ModelInvocationLog", "modelId": "x"},
            {"schemaType": "ModelInvocationLog", "modelId": "x", "input": {"inputBodyS3Path": "s3://b/big.json"}}]
    (folder / "a.json.gz").write_bytes(gzip.compress("\n".join(json.dumps(r) for r in rows).encode()))
    skipped: list[str] = []
    entries = list(read_logs(str(tmp_path / "AWSLogs"), "auto", skipped=skipped))
    assert len(entries) == 5 and len(skipped) == 2 and "a.json.gz:6" in skipped[0]
    assert "a.json.gz:7" in skipped[1] and "not fetched" in skipped[1]
    everything = list(select(entries, LogFilters()))
    assert everything[0]["system"] == "You track orders." and everything[0]["meta"]["logged_answer"] == "In transit 1"
    assert everything[1]["messages"][0]["content"] == "Where is order 2?"  # Llama's prompt body
    only_nova = list(select(entries, LogFilters(models=["amazon.nova-*"])))
    assert len(only_nova) == 4
    recent = list(select(entries, LogFilters(since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 30))))
    assert "Where is order 3?" not in [r["messages"][0]["content"] for r in recent] and len(recent) == 4
    tagged = list(select(entries, LogFilters(tags={"app": "billing"})))
    assert [r["messages"][0]["content"] for r in tagged] == ["Where is order 4?"]
    words = list(select(entries, LogFilters(keywords=["PARCEL"])))
    assert [r["messages"][0]["content"] for r in words] == ["Where is my parcel 5?"]


def test_openai_logs_and_dedupe_and_cap(tmp_path):
    path = tmp_path / "requests.jsonl"
    rows = [openai_log(i % 10) for i in range(30)] + [openai_log(99, tags={"team": "sales"})]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    records, stats = collect(None, [str(path)], "openai", LogFilters(tags={"team": "support"}))
    got = list(records)
    assert len(got) == 10 and stats["duplicates"] == 20
    assert got[0]["system"] == "Be kind." and got[0]["meta"]["model"] == "gpt-big"
    capped, stats = collect(None, [str(path)], "openai", LogFilters(max_rows=4))
    assert len(list(capped)) == 4 and stats["over_cap"] > 0


def test_sample_rate_is_stable_and_roughly_right(tmp_path):
    path = tmp_path / "requests.jsonl"
    path.write_text("\n".join(json.dumps(openai_log(i)) for i in range(1000)) + "\n", encoding="utf-8")
    first = [r["id"] for r in collect(None, [str(path)], "openai", LogFilters(sample_rate=0.2))[0]]
    second = [r["id"] for r in collect(None, [str(path)], "openai", LogFilters(sample_rate=0.2))[0]]
    assert first == second and 150 < len(first) < 250


def test_logs_from_s3(tmp_path, monkeypatch):
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                     "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL_S3": f"http://{host}:{port}",
                     "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
                     "AWS_EC2_METADATA_DISABLED": "true"}.items():
            monkeypatch.setenv(k, v)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        s3 = boto3.client("s3", endpoint_url=f"http://{host}:{port}", region_name="us-east-1")
        s3.create_bucket(Bucket="logs")
        key = "AWSLogs/123456789012/BedrockModelInvocationLogs/us-east-1/2026/11/20/10/part.json.gz"
        s3.put_object(Bucket="logs", Key=key,
                      Body=gzip.compress("\n".join(json.dumps(bedrock_log(i)) for i in range(7)).encode()))
        s3.put_object(Bucket="logs", Key="AWSLogs/readme.txt", Body=b"not a log")
        records, _ = collect(None, ["s3://logs/AWSLogs/"], "bedrock", LogFilters())
        got = list(records)
        assert len(got) == 7 and got[0]["source"].startswith("s3://logs/AWSLogs/")
    finally:
        server.stop()


def test_s3_logs_without_credentials_is_one_clear_error(tmp_path, monkeypatch):
    from advisor.aws import AwsError

    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")
    records, _ = collect(None, ["s3://logs/AWSLogs/"], "bedrock", LogFilters())
    with pytest.raises(AwsError) as err:
        list(records)
    assert "credentials" in err.value.message and "ListObjectsV2" in str(err.value)
