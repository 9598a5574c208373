"""Launch from the interview's result, against moto and the fake Bedrock server on 127.0.0.1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("moto")

from advisor.interview import prepare  # noqa: E402
from tests.launchers.conftest import (  # noqa: E402,F401  (fixtures)
    BUCKET,
    ROLE,
    aws_env,
    count_jobs,
    data,
    fake,
    fake_server,
    moto_server,
    rules_dir,
    s3,
)
from tests.tui.helpers import SIZE, screen_text  # noqa: E402
from tui.app import AdvisorApp  # noqa: E402
from tui.launch import LaunchScreen  # noqa: E402
from tui.screens import ConfirmScreen, ResultScreen  # noqa: E402


def start(rules_dir) -> AdvisorApp:
    app = AdvisorApp(prepare("answers.yaml", str(rules_dir)), cursor_blink=False)
    app.animation_level = "none"
    return app


async def settle(pilot, app) -> None:
    """Until the launch worker (if one started) has finished and its outcome is on the screen."""
    await pilot.pause()
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)
        screen = app.screen
        if not isinstance(screen, LaunchScreen) or not screen.running:
            return


async def test_launch_from_the_result_plans_asks_runs_and_resumes(s3, data, rules_dir, moto_server, monkeypatch):
    monkeypatch.setattr(LaunchScreen, "poll_interval", 0.01)
    shutil.copy(data / "answers.yaml", "answers.yaml")
    app = start(rules_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f4")  # the path is settled: the result now
        await pilot.pause()
        assert isinstance(app.screen, ResultScreen)
        assert "l Launch" in screen_text(app) and app.screen.query("#result-launch")
        await pilot.press("l")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LaunchScreen)
        for dest, value in (("train", data / "train.jsonl"), ("bucket", BUCKET), ("role_arn", ROLE),
                            ("model", "test-nova")):
            screen.query_one(f"#launch-{dest}").value = str(value)
        screen.query_one("#launch-plan").press()
        await pilot.pause()
        plan = str(screen.query_one("#launch-plan-text").render())
        # The same plan as --dry-run: steps, the exact requests, the billed step.
        assert "create_job" in plan and "create_model_customization_job" in plan and "[BILLED" in plan
        assert count_jobs(moto_server) == 0
        screen.query_one("#launch-run").press()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "billed" in screen_text(app)
        await pilot.press("n")  # no: nothing starts
        await settle(pilot, app)
        assert "Not started" in str(screen.query_one("#launch-status").render())
        assert count_jobs(moto_server) == 0
        screen.query_one("#launch-run").press()
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot, app)
        status = str(screen.query_one("#launch-status").render())
        assert "Still running, check later" in status, status
        assert count_jobs(moto_server) == 1
        assert "create_job: done" in "\n".join(screen.query_one("#launch-log").lines)
    # The next interview finds the launch in the state folder and offers to resume it.
    again = start(rules_dir)
    async with again.run_test(size=(120, 40)) as pilot:
        for _ in range(40):
            await pilot.pause(0.05)
            if isinstance(again.screen, ConfirmScreen) and "not finished" in screen_text(again):
                break
        text = screen_text(again)
        assert isinstance(again.screen, ConfirmScreen) and "bedrock-fine-tune" in text and "not finished" in text
        await pilot.press("y")
        await pilot.pause()
        screen = again.screen
        assert isinstance(screen, LaunchScreen) and screen.resume == "bedrock-fine-tune"
        screen.query_one("#launch-run").press()  # billed steps are done: no question, and no second job
        await settle(pilot, again)
        assert "Still running" in str(screen.query_one("#launch-status").render())
        assert count_jobs(moto_server) == 1
    assert Path(".advisor/launches/bedrock-fine-tune/state.json").exists()
