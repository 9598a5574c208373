"""Test doubles shared across the test suite (see :mod:`tests.fakes.llm_server`)."""

from tests.fakes.llm_server import FakeCall, FakeLLMServer, FakeReply

__all__ = ["FakeCall", "FakeLLMServer", "FakeReply"]
