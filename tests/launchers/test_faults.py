"""Kill the launcher (a real subprocess, SIGKILL) at every step boundary, between an AWS create call and the
ledger write, and during the upload; re-run the same command until it finishes. Nothing is created twice and
nothing is lost."""

from __future__ import annotations

import json
import signal

import pytest

from tests.launchers.conftest import complete_job, count_jobs, count_objects, job_backend

POINTS = ["after:preflight", "after:data", "during:upload", "after:upload", "created:create_job",
          "after:create_job", "after:watch", "after:metrics", "created:deploy", "after:deploy", "after:evaluate",
          "after:report"]


@pytest.mark.parametrize("point", POINTS)
def test_kill_and_resume(point, subprocess_cli, base_args, data, s3, fake, moto_server, tmp_path):
    args = [*base_args, "--model", "test-nova", "--validation", data / "validation.jsonl",
            "--test", data / "test.jsonl", "--deploy", "on-demand", "--yes"]
    state = tmp_path / "state"
    killed = False
    codes = []
    for _ in range(8):
        rc, out, err = subprocess_cli(*args, fault=None if killed else point)
        codes.append(rc)
        if rc == -signal.SIGKILL:
            killed = True
            continue
        if rc == 4:
            name = json.loads((state / "bedrock-fine-tune" / "state.json").read_text())["steps"]["create_job"][
                "resources"]["job_name"]
            if job_backend(name).status == "InProgress":
                complete_job(s3, state)
            continue
        assert rc == 0, err
        if killed:
            break
    assert killed, f"never reached {point}: exit codes {codes}"
    assert codes[-1] == 0
    assert count_jobs(moto_server) == 1
    assert fake.created["customization_job"] == 1
    assert fake.created["deployment"] == 1
    assert count_objects(s3, "advisor/bedrock-fine-tune/data/") == 2
    steps = json.loads((state / "bedrock-fine-tune" / "state.json").read_text())["steps"]
    assert {s: v["status"] for s, v in steps.items()} == {s: "done" for s in steps}
    assert len(steps) == 9
    assert (state / "bedrock-fine-tune" / "report.html").exists()
    rows = (state / "bedrock-fine-tune" / "eval" / "run" / "results.jsonl").read_text().splitlines()
    assert len({(json.loads(r)["variant"], json.loads(r)["id"]) for r in rows}) == 10  # 5 tests x 2 variants
