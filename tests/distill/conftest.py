"""Fixtures for the distill tests (defined in tests/distill/helpers.py, shared with tests/launchers)."""

from tests.distill.helpers import cli, student, teacher, workdir  # noqa: F401
