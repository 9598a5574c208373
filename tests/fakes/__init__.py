"""Test doubles shared across the test suite (see :mod:`tests.fakes.llm_server`)."""

from tests.fakes.llm_server import DROP, FakeCall, FakeLLMServer, FakeReply

__all__ = ["DROP", "FakeCall", "FakeLLMServer", "FakeReply"]
