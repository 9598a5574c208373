"""What a headless recommendation loads: only its own command, no heavy library, a warm rule base cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from advisor.cli import main
code = main(["recommend", "--answers", "examples/support-classifier.yaml", "--format", "json", "--output", sys.argv[1]])
from advisor.knowledge.models import QuestionsFile
# defer_build: a schema is built only when something is validated with it
print(json.dumps({"code": code, "modules": sorted(sys.modules), "validated": QuestionsFile.__pydantic_complete__}))
"""


def _probe(tmp_path, cache: Path) -> tuple[int, set[str], bool]:
    env = dict(os.environ, ADVISOR_CACHE_DIR=str(cache), ADVISOR_TODAY="2026-11-21")
    out = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "rec.json")], cwd=REPO, env=env,
                         capture_output=True, text=True, check=True).stdout
    result = json.loads(out.splitlines()[-1])
    return result["code"], set(result["modules"]), result["validated"]


def test_recommend_loads_only_what_it_needs(tmp_path):
    code, modules, _ = _probe(tmp_path, tmp_path / "cache")
    assert code == 0 and json.loads((tmp_path / "rec.json").read_text(encoding="utf-8"))["path"]
    other_commands = {"advisor.cli.interview", "advisor.cli.data", "advisor.cli.evalcmd", "advisor.cli.rules"}
    heavy = {"textual", "tui", "boto3", "botocore", "httpx", "jinja2", "matplotlib", "openai", "jsonschema"}
    assert not modules & (other_commands | heavy)


def test_a_second_run_reads_the_rule_base_from_the_cache(tmp_path):
    cache = tmp_path / "cache"
    assert _probe(tmp_path, cache)[2]  # the first run validates the rule files
    assert len(list(cache.glob("rulebase-*.json"))) == 1
    first = (tmp_path / "rec.json").read_text(encoding="utf-8")
    assert not _probe(tmp_path, cache)[2]  # the second one does not
    assert (tmp_path / "rec.json").read_text(encoding="utf-8") == first
