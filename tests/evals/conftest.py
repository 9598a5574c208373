"""Shared fixtures for eval tests: paths to the TAT-QA data and a running fake model server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes import FakeLLMServer

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = REPO / "examples" / "eval-tatqa.yaml"
EXAMPLE_SLICE = REPO / "examples" / "eval-tatqa" / "tatqa_dev_slice.json"
# CI clones main with shared/ beside it; developers may not have it (tests needing it skip).
SHARED_TATQA = REPO.parent / "shared" / "data" / "tatqa"


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
