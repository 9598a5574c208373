"""Bedrock Converse (boto3) and OpenAI chat (httpx) providers against the loopback server."""

from __future__ import annotations

import json

import pytest

from advisor.providers import ChatRequest, ProviderError, make_provider, parse_retry_after
from tests.fakes import FakeReply

REQUEST = ChatRequest(model="anthropic.claude-3-haiku-20240307-v1:0",
                      messages=(("user", "Q1"), ("assistant", "A1"), ("user", "What is 2+2?")),
                      system="Be brief.", max_tokens=64, temperature=0.0, stop=("\n\n",))


@pytest.fixture
def bedrock(fake_server, aws_env):
    return make_provider("bedrock", {"type": "bedrock", "region": "us-west-2", "endpoint_url": fake_server.base_url,
                                     "concurrency": 2})


@pytest.fixture
def openai_chat(fake_server):
    return make_provider("local", {"type": "openai", "base_url": fake_server.openai_base_url,
                                   "api_key_env": "ADVISOR_TEST_NO_KEY"})


def test_bedrock_sends_converse_shapes_and_reads_usage(bedrock, fake_server):
    fake_server.responder = lambda call: FakeReply("4", input_tokens=17, output_tokens=1)
    completion = bedrock.complete(REQUEST)
    assert (completion.text, completion.input_tokens, completion.output_tokens) == ("4", 17, 1)
    assert completion.stop_reason == "end_turn"
    body = fake_server.calls[0].body
    assert body["system"] == [{"text": "Be brief."}]
    assert body["messages"][1] == {"role": "assistant", "content": [{"text": "A1"}]}
    assert body["inferenceConfig"] == {"maxTokens": 64, "temperature": 0.0, "stopSequences": ["\n\n"]}
    assert fake_server.calls[0].model == REQUEST.model


def test_bedrock_model_arn_reaches_the_converse_path(bedrock, fake_server):
    arn = "arn:aws:bedrock:us-west-2:123456789012:provisioned-model/abcdefghijkl"
    bedrock.complete(ChatRequest(model=arn, messages=(("user", "hi"),)))
    assert fake_server.calls[0].model == arn


@pytest.mark.parametrize("status, code", [(429, "ThrottlingException"), (503, "ServiceUnavailableException"),
                                          (500, "InternalServerException")])
def test_bedrock_throttling_and_5xx_are_retryable_and_botocore_does_not_retry(bedrock, fake_server, status, code):
    fake_server.inject(status, retry_after=3)
    with pytest.raises(ProviderError) as info:
        bedrock.complete(REQUEST)
    assert (info.value.retryable, info.value.code, info.value.retry_after) == (True, code, 3.0)
    assert fake_server.hits == 1  # the harness owns retries, not botocore


def test_bedrock_validation_error_is_final(bedrock, fake_server):
    fake_server.inject(400)
    with pytest.raises(ProviderError) as info:
        bedrock.complete(REQUEST)
    assert not info.value.retryable and info.value.code == "ValidationException"


def test_bedrock_connection_refused_is_retryable(aws_env):
    provider = make_provider("b", {"type": "bedrock", "region": "us-west-2", "endpoint_url": "http://127.0.0.1:9",
                                   "timeout": 1})
    with pytest.raises(ProviderError) as info:
        provider.complete(REQUEST)
    assert info.value.retryable


def test_bedrock_without_credentials_is_fatal(monkeypatch, fake_server, aws_env):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    provider = make_provider("b", {"type": "bedrock", "region": "us-west-2", "endpoint_url": fake_server.base_url})
    with pytest.raises(ProviderError) as info:
        provider.complete(REQUEST)
    assert info.value.fatal and "credentials" in info.value.message.lower()
    assert fake_server.hits == 0


def test_openai_sends_chat_messages_and_reads_usage(openai_chat, fake_server):
    fake_server.responder = lambda call: FakeReply("4", input_tokens=11, output_tokens=2)
    completion = openai_chat.complete(REQUEST)
    assert (completion.text, completion.input_tokens, completion.output_tokens) == ("4", 11, 2)
    body = fake_server.calls[0].body
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
    assert (body["max_tokens"], body["stop"]) == (64, ["\n\n"])


def test_openai_rate_limit_is_retryable_with_retry_after(openai_chat, fake_server):
    fake_server.inject(429, retry_after=2.5)
    with pytest.raises(ProviderError) as info:
        openai_chat.complete(REQUEST)
    assert (info.value.retryable, info.value.status, info.value.retry_after) == (True, 429, 2.5)
    assert fake_server.hits == 1  # SDK retries are off


def test_openai_500_retryable_404_not(openai_chat, fake_server):
    fake_server.inject(500)
    with pytest.raises(ProviderError) as info:
        openai_chat.complete(REQUEST)
    assert info.value.retryable
    fake_server.inject(404)
    with pytest.raises(ProviderError) as info:
        openai_chat.complete(REQUEST)
    assert not info.value.retryable


def test_openai_api_without_key_is_fatal(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    provider = make_provider("oa", {"type": "openai"})
    with pytest.raises(ProviderError) as info:
        provider.complete(REQUEST)
    assert info.value.fatal and "OPENAI_API_KEY" in info.value.message


def test_retry_after_parsing():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: go now


def test_fake_server_stats_endpoint(fake_server):
    import urllib.request

    with urllib.request.urlopen(fake_server.base_url + "/_fake/stats") as resp:
        assert json.load(resp) == {"hits": 0, "calls": 0}
