"""Every TUI test runs in its own directory with a fixed date."""

import asyncio
import inspect

import pytest

pytest.importorskip("textual")


@pytest.fixture(autouse=True)
def _stable(monkeypatch, tmp_path):
    """Fixed 'today' (warnings depend on dates) and a private working directory for answers files."""
    monkeypatch.setenv("ADVISOR_TODAY", "2026-01-15")
    monkeypatch.chdir(tmp_path)


def pytest_collection_modifyitems(items):
    """One xdist group for the TUI tests: one worker runs them in turn while the others run the rest."""
    for item in items:
        if "tests/tui/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.xdist_group("tui"))


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run ``async def`` tests in a fresh event loop (no asyncio plugin needed for pilot tests)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    asyncio.run(pyfuncitem.obj(**kwargs))
    return True
