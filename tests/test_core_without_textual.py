"""The core (advisor/) works where Textual is not installed, and headless commands never import it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "support-classifier.yaml"

BLOCK_TEXTUAL = textwrap.dedent("""
    import sys

    class BlockTextual:
        # Behave as if Textual were not installed: any import of it fails.
        def find_spec(self, name, path=None, target=None):
            if name == "textual" or name.startswith("textual."):
                raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")
            return None

    sys.meta_path.insert(0, BlockTextual())
""")


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_core_imports_and_recommends_without_textual():
    code = BLOCK_TEXTUAL + textwrap.dedent(f"""
        import json
        import advisor, advisor.knowledge, advisor.engine, advisor.session, advisor.answers
        import advisor.cli, advisor.cli.recommend, advisor.cli.interview, advisor.interview, advisor.reports
        from advisor.answers import load_answers, validate_answers
        from advisor.engine import Engine
        from advisor.knowledge import load_rulebase
        from advisor.session import InterviewSession

        rb = load_rulebase(None)
        answers = validate_answers(rb, load_answers({str(EXAMPLE)!r}))
        session = InterviewSession.start(Engine(rb), answers)
        rec = session.recommendation()
        print(json.dumps({{"path": rec.path, "textual": any(m.split(".")[0] == "textual" for m in sys.modules)}}))
    """)
    result = _run(code)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out == {"path": "bedrock_fine_tune", "textual": False}


def test_the_blocker_really_blocks():
    # Guards the test above: if the finder did nothing, that test could not fail.
    result = _run(BLOCK_TEXTUAL + "import textual")
    assert result.returncode != 0 and "blocked by the test" in result.stderr


def test_headless_recommend_never_imports_textual():
    code = textwrap.dedent(f"""
        import sys, io, contextlib
        from advisor.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["recommend", "--answers", {str(EXAMPLE)!r}, "--format", "json"])
        print(code, sorted({{m.split(".")[0] for m in sys.modules}} & {{"textual", "tui"}}))
    """)
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0 []"


def test_interview_reports_a_bad_answers_file_without_a_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("answers:\n  few_shot_examples_tried: lots\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "advisor", "interview", "--answers", str(bad)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "bad.yaml:2" in result.stderr and "Traceback" not in result.stderr


def test_interview_without_a_terminal_says_what_to_run_instead(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "advisor"], cwd=tmp_path, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2
    assert "needs a terminal" in proc.stderr and "advisor recommend --answers" in proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
