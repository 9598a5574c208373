"""Launch is offered for every path, and a path without cloud or billing (build_evals) runs from the result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from advisor.interview import prepare
from advisor.launchers import REGISTRY, launcher
from tests.tui.helpers import screen_text
from tui.app import AdvisorApp
from tui.launch import LaunchScreen
from tui.screens import ResultScreen


@pytest.mark.parametrize("path", sorted(REGISTRY))
def test_every_launcher_declares_its_inputs_form(path):
    import argparse

    module = launcher(path)
    parser = argparse.ArgumentParser(add_help=False)
    module.add_arguments(parser)
    dests = {a.dest for a in parser._actions}
    assert module.FIELDS and all(f.dest in dests for f in module.FIELDS), path


def write_cases(path: Path, n: int = 12) -> None:
    labels = ["billing", "technical", "other"]
    rows = [{"input": f"ticket {i}: help with my {labels[i % 3]} issue", "output": labels[i % 3],
             "label": labels[i % 3]} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


async def settle(pilot, app) -> None:
    await pilot.pause()
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)
        if not isinstance(app.screen, LaunchScreen) or not app.screen.running:
            return


async def test_build_evals_launches_from_the_result_and_writes_its_report():
    Path("answers.yaml").write_text(yaml.safe_dump({"answers": {
        "project_name": "Tickets", "gap_is_factual_recall": False, "few_shot_examples_tried": 30,
        "gap_measured_with_evals": "unsure", "volume_justifies_setup": False}}))
    write_cases(Path("cases.jsonl"))
    app = AdvisorApp(prepare("answers.yaml"), cursor_blink=False)
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        if not isinstance(app.screen, ResultScreen):
            await pilot.press("f4")
            await pilot.pause()
        assert isinstance(app.screen, ResultScreen)
        assert app.session.recommendation().path == "build_evals"
        assert "l Launch" in screen_text(app)
        await pilot.press("l")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LaunchScreen) and screen.path == "build_evals"
        screen.query_one("#launch-data").value = "cases.jsonl"
        screen.query_one("#launch-out").value = "evals"
        screen.query_one("#launch-cases").value = "8"
        screen.query_one("#launch-plan").press()
        await pilot.pause()
        assert "BILLED" not in str(screen.query_one("#launch-plan-text").render())
        screen.query_one("#launch-run").press()  # nothing billed: no question, it runs
        await settle(pilot, app)
        status = str(screen.query_one("#launch-status").render())
        assert status.startswith("Done.") and "Report:" in status, status
    report = Path("evals/report.md")
    assert report.exists() and "advisor recommend --answers" in report.read_text()
    assert Path("evals/eval.yaml").exists()


def test_a_form_field_with_several_values_reaches_the_launcher_as_a_list(tmp_path):
    from tui.launch import launch_inputs

    for name in ("a.md", "b c.md"):
        (tmp_path / name).write_text("# doc\n")
    (tmp_path / "q.jsonl").write_text('{"question": "q", "relevant": ["a.md"]}\n')
    Path("answers.yaml").write_text("answers: {}\n")
    inputs = launch_inputs(launcher("rag"), {"docs": f"{tmp_path / 'a.md'} '{tmp_path / 'b c.md'}'",
                                             "questions": str(tmp_path / "q.jsonl")}, {}, Path("answers.yaml"))
    assert inputs["docs"] == [str(tmp_path / "a.md"), str(tmp_path / "b c.md")]


async def test_the_result_loads_evidence_and_a_bad_file_is_shown_not_fatal():
    from tests.reports.test_adr_evidence import write_results
    from tui.screens import EvidenceScreen

    Path("answers.yaml").write_text(yaml.safe_dump({"answers": {
        "project_name": "Tickets", "gap_is_factual_recall": False, "few_shot_examples_tried": 30,
        "gap_measured_with_evals": "unsure", "volume_justifies_setup": False}}))
    write_results(Path("results.json"))
    Path("broken.json").write_text("{not json")
    app = AdvisorApp(prepare("answers.yaml"), cursor_blink=False)
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        if not isinstance(app.screen, ResultScreen):
            await pilot.press("f4")
            await pilot.pause()
        result = app.screen
        assert isinstance(result, ResultScreen) and app.session.recommendation().path == "build_evals"
        assert not result.query("#section-evidence")
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, EvidenceScreen)
        await pilot.click("#evidence-path")
        await pilot.press(*"broken.json", "enter")
        await pilot.pause()
        assert isinstance(app.screen, EvidenceScreen)  # still open, the error on it
        error = str(app.screen.query_one("#evidence-error").render())
        assert "broken.json" in error and "malformed JSON" in error
        app.screen.query_one("#evidence-path").value = "results.json"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert app.screen is result
        # The evidence answers gap_measured_with_evals: the advice moves on from build_evals, with the gap shown.
        assert app.session.recommendation().path != "build_evals"
        section = str(result.query_one("#section-evidence").render())
        assert "results.json" in section and "+3.5" in section and "not significant" in section
        assert "Measured gap is not significant" in str(result.query_one("#section-warnings").render())
    # The keys screen lists the key with what it does.
    app = AdvisorApp(prepare("answers.yaml"), cursor_blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        if not isinstance(app.screen, ResultScreen):
            await pilot.press("f4")
            await pilot.pause()
        await pilot.press("f10")
        await pilot.pause()
        assert "Load evidence" in screen_text(app)
