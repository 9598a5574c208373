"""Shared fixtures: the shipped rule base, a copy of it to damage, and an in-process CLI runner."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "rules"


@pytest.fixture(scope="session", autouse=True)
def _own_cache_folder(tmp_path_factory):
    # The rule-base cache and the eval response cache live in the user's cache folder. Give each test session (each
    # pytest-xdist worker) its own, so tests never read answers another test cached or write into the real ~/.cache.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        mp.delenv("ADVISOR_CACHE_DIR", raising=False)
        yield


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch):
    # Reports and warnings depend on the date; pin it so results are reproducible.
    monkeypatch.setenv("ADVISOR_TODAY", "2026-11-21")


@pytest.fixture(scope="session")
def rulebase():
    from advisor.knowledge import load_rulebase

    return load_rulebase(RULES)


@pytest.fixture
def engine(rulebase):
    from advisor.engine import Engine

    return Engine(rulebase)


@pytest.fixture
def rules_copy(tmp_path) -> Path:
    """A writable copy of the shipped rule base."""
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys):
    """Run ``advisor ARGS…`` in-process; returns exit code, stdout and stderr."""
    from advisor.cli import main

    def run(*args: str) -> Result:
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 2
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def fake_server():
    """A loopback server speaking the Bedrock Converse and OpenAI chat wire formats."""
    from tests.fakes import FakeLLMServer

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
