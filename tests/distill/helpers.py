"""Helpers and fixtures for the distill tests: a loopback OpenAI-compatible teacher with faults and a loopback student."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.llm_server import FakeCall
from tests.fakes.teacher_server import FakeTeacher, teacher_reply

REPO = Path(__file__).resolve().parents[2]


def student_reply(call: FakeCall) -> str:
    """The trained student matches the teacher on even items, the base student never does."""
    if call.model == "student-base":
        return "I do not know"
    words = call.prompt.split()
    number = next((int(w) for w in words if w.isdigit()), 0)
    return teacher_reply(call) if number % 2 == 0 else "Answer: something else entirely"


@pytest.fixture
def teacher():
    with FakeTeacher(latency=0.0) as server:
        yield server


@pytest.fixture
def student():
    with FakeTeacher(responder=student_reply) as server:
        yield server


def prompt_lines(n: int, start: int = 0) -> list[dict]:
    return [{"prompt": f"What is item {i} of the catalogue called", "system": "Be brief."} for i in range(start, start + n)]


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_config(folder: Path, teacher_url: str, student_url: str | None = None, extra: str = "") -> Path:
    student = ""
    if student_url:
        student = (f"  endpoint: {{type: openai, base_url: {student_url}/v1, api_key_env: null, model: student-lora}}\n"
                   f"  base_endpoint: {{type: openai, base_url: {student_url}/v1, api_key_env: null, "
                   f"model: student-base}}\n")
    text = (f"teacher:\n  type: openai\n  base_url: {teacher_url}/v1\n  api_key_env: null\n  model: big-teacher\n"
            f"  concurrency: 4\n  max_tokens: 100\n  terms: 'Example terms, section 3'\n"
            f"  price_input_per_million: 3\n  price_output_per_million: 15\n"
            f"student:\n  model: Qwen/Qwen2.5-0.5B-Instruct\n  licence: Apache-2.0\n  gpu_hourly_usd: 1.0\n{student}"
            f"retry_base_delay: 0.01\nretry_max_delay: 0.05\nholdout: {{fraction: 0.1, min_count: 6}}\n{extra}")
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def workdir(tmp_path):
    text = (REPO / "examples" / "support-classifier.yaml").read_text(encoding="utf-8")
    (tmp_path / "answers.yaml").write_text(text.rstrip("\n") + "\n  monthly_requests: 100000\n", encoding="utf-8")
    write_jsonl(tmp_path / "prompts.jsonl", prompt_lines(60))
    return tmp_path


@pytest.fixture
def cli(capsys):
    from advisor.cli import main

    def run(*args):
        rc = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return rc, out, err

    return run
