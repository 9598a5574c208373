"""Fixtures for provider tests: a running loopback model server and dummy AWS credentials."""

from __future__ import annotations

import pytest

from tests.fakes import FakeLLMServer


@pytest.fixture
def fake_server():
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def aws_env(monkeypatch):
    """Dummy AWS credentials so boto3 signs requests to the loopback server (never real ones)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
