"""Progress reporters and the report's escaping."""

from __future__ import annotations

import io
import re

from advisor.launchers.ledger import Ledger
from advisor.launchers.plan import Plan, Step
from advisor.launchers.progress import CallbackProgress, PlainProgress, make_progress
from advisor.launchers.report import loss_svg, write_reports


def test_plain_lines_are_timestamped_without_a_terminal():
    stream = io.StringIO()
    progress = make_progress(stream)
    assert isinstance(progress, PlainProgress)
    progress.step("upload", "upload the data")
    progress.done("upload", "done", "2 files")
    lines = stream.getvalue().splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ upload: upload the data \.\.\.", lines[0])
    assert lines[1].endswith("upload: done (2 files)")


def test_callback_hook_gets_every_event_in_order():
    events = []
    progress = make_progress(callback=events.append)
    assert isinstance(progress, CallbackProgress)
    progress.step("watch", "watch")
    progress.poll("watch", "InProgress", 30)
    progress.done("watch", "waiting", "later")
    assert [e["event"] for e in events] == ["step", "poll", "done"]
    assert events[1]["status"] == "InProgress"


def test_report_escapes_user_text_and_draws_curves(tmp_path):
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "training.csv").write_text(
        "step_number,epoch_number,training_loss,perplexity\n0,0,2.0,7\n1,0,1.0,3\n")
    plan = Plan("bedrock_fine_tune", "x1", {}, [Step("data", "d"), Step("report", "r")],
                context={"model_name": "<script>alert(1)</script>", "base_model_id": "m|x", "region": "r"})
    ledger = Ledger(tmp_path, "x1")
    ledger.update("data", "done", detail="<img src=x onerror=alert(1)>")
    paths = write_reports(plan, ledger, tmp_path)
    html = paths["html"].read_text()
    assert "<script>" not in html and "<img" not in html and "&lt;img" in html
    assert html.count("<polyline") == 1
    md = paths["markdown"].read_text()
    assert "<img" not in md and "m\\|x" in md
    assert "| report | done |" in md


def test_svg_handles_no_points():
    assert loss_svg({"training": []}) == ""
