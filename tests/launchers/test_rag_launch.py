"""`advisor launch rag` on a small corpus against the loopback OpenAI-compatible model: the retrieval
table, answers without and with context, citations, resume without new calls, dry-run, bad input."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.fakes.llm_server import FakeLLMServer

DOCS = {
    "keys.md": "# Rotating keys\n\nTo rotate an API key open Settings, choose Keys and press Rotate. "
               "The old key stops working after 24 hours.\n",
    "billing.md": "# Billing\n\nInvoices are issued on the first day of each month. Refunds take five business "
                  "days.\n",
    "shipping.md": "# Shipping\n\nParcels to Norway ship from the Oslo warehouse within two days.\n",
    "login.md": "# Login\n\nReset a forgotten password with the link on the sign-in page; the link expires after "
                "30 minutes.\n",
}
QUESTIONS = [
    {"question": "How do I rotate an API key?", "relevant": ["keys.md"]},
    {"question": "When are invoices issued?", "relevant": ["billing.md"]},
    {"question": "How long does the password reset link last?", "relevant": ["login.md"]},
    # no word of the relevant document: only shipping.md matches, so this is the miss
    {"question": "Does the Oslo warehouse ship to Norway quickly?", "relevant": ["billing.md"]},
]
# question -> (gold answer, document the answer is in)
FACTS = {
    "When does the old API key stop working after a rotation?": ("after 24 hours", "keys.md"),
    "How long do refunds take?": ("five business days", "billing.md"),
    "Where do parcels to Norway ship from?": ("the Oslo warehouse", "shipping.md"),
    "When does the password reset link expire?": ("after 30 minutes", "login.md"),
}
PRICES = """token_prices:
  - id: m-rag
    name: Fake RAG model
    model_ids: [m-rag]
    input_per_million: 1.0
    output_per_million: 4.0
    prompt_caching: true
    sources: [test]
"""


def reader(call) -> str:
    """Knows nothing by itself; answers from a passage of the right document when the context has one.
    For the refunds question it also cites an id that was not in the context."""
    prompt = call.prompt
    question = prompt.rsplit("Question: ", 1)[-1].strip()
    answer, doc = FACTS.get(question, ("", ""))
    passages = dict(re.findall(r"^\[([^\]]+)\] (.*)$", prompt, re.MULTILINE))
    used = [cid for cid in passages if cid.startswith(doc + "#")]
    if not used:
        return "I do not know.\nSources: none"
    cited = " ".join(f"[{c}]" for c in used)
    if doc == "billing.md":
        cited += " [made-up.md#0]"
    return f"{answer}\nSources: {cited}"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    (tmp_path / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    (tmp_path / "test.jsonl").write_text("".join(
        json.dumps({"id": f"t{i}", "question": q, "answer": a, "relevant": [d]}) + "\n"
        for i, (q, (a, d)) in enumerate(FACTS.items())), encoding="utf-8")
    (tmp_path / "prices.yaml").write_text(PRICES, encoding="utf-8")
    (tmp_path / "answers.yaml").write_text("gap_is_factual_recall: true\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def server():
    with FakeLLMServer(responder=reader) as s:
        yield s


def write_config(folder: Path, server, kind: str = "openai") -> Path:
    provider = (f'{{type: openai, base_url: "{server.openai_base_url}", api_key_env: null}}' if kind == "openai"
                else f'{{type: bedrock, region: us-east-1, endpoint_url: "{server.base_url}"}}')
    path = folder / "rag.yaml"
    path.write_text(f"""providers:
  local: {provider}
model: {{provider: local, id: m-rag, prompt_caching: true, min_cache_tokens: 10}}
instruction: "You answer questions about the product."
metric: f1
max_tokens: 100
prices: prices.yaml
""", encoding="utf-8")
    return path


def launch(run_cli, *extra, docs="docs", questions="questions.jsonl"):
    return run_cli("launch", "rag", "--answers", "answers.yaml", "--docs", docs, "--questions", questions,
                   "--state-dir", "state", "--top-k", "2", *extra)


def test_retrieval_table_and_misses_without_a_model(run_cli, env):
    r = launch(run_cli)
    assert r.code == 0, r.err
    folder = env / "state" / "rag"
    table = {row["k"]: row for row in json.loads((folder / "retrieval.json").read_text())["table"]}
    assert set(table) == {1, 2}
    for k in (1, 2):  # three questions find their document first, one never does
        assert (table[k]["hit_rate"], table[k]["recall"], table[k]["mrr"], table[k]["misses"]) == (0.75, 0.75, 0.75, 1)
    md = (folder / "report.md").read_text()
    assert "Oslo warehouse ship to Norway" in md and "retrieved shipping.md#" in md  # the miss, with what came instead
    assert "Sources:" in (folder / "production" / "prompt.txt").read_text()
    assert json.loads((folder / "production" / "retrieval.json").read_text())["k"] == 2
    assert "| k | hit\\_rate | recall | mrr |" in md
    assert md.rstrip().splitlines()[-2].startswith("advisor launch rag --answers")  # ends with the re-measure command


def test_context_beats_no_context_and_citations_are_scored(run_cli, env, server):
    config = write_config(env, server)
    r = launch(run_cli, "--test", "test.jsonl", "--config", config)
    assert r.code == 0, r.err
    assert len(server.calls) == 8  # 4 questions x (without, with)
    folder = env / "state" / "rag"
    rows = {v["variant"]: v for v in json.loads((folder / "answers.json").read_text())["variants"]}
    assert rows["no-context"]["quality"] == 0.0
    assert rows["with-context"]["quality"] == 100.0
    assert rows["with-context"]["citations_valid"] == 75.0  # the refunds answer cites an id never retrieved
    assert rows["with-context"]["citations_relevant"] == 100.0
    assert rows["with-context"]["cost_per_1000_usd"] > rows["no-context"]["cost_per_1000_usd"] > 0
    # static instructions first, behind a cache point; chunks carry their ids
    with_ctx = [c for c in server.calls if "<context>" in c.prompt]
    assert len(with_ctx) == 4 and all(c.system.startswith("You answer questions") for c in server.calls)
    assert "[keys.md#" in next(c.prompt for c in with_ctx if "old API key" in c.prompt)
    html = (folder / "report.html").read_text()
    assert "with-context" in html and "<script" not in html
    md = (folder / "report.md").read_text()
    assert "citations\\_valid" in md and "metric (f1)" in md and "Production prompt template" in md and "--test" in md


def test_rerun_and_resume_make_no_new_calls(run_cli, env, server):
    config = write_config(env, server)
    assert launch(run_cli, "--test", "test.jsonl", "--config", config).code == 0
    assert len(server.calls) == 8
    assert launch(run_cli, "--test", "test.jsonl", "--config", config).code == 0
    assert len(server.calls) == 8
    # a launch stopped inside the answers step: the call ledger answers, even without the response cache
    state = env / "state" / "rag" / "state.json"
    data = json.loads(state.read_text())
    for step in ("answers", "report"):
        data["steps"][step]["status"] = "running"
    state.write_text(json.dumps(data))
    shutil.rmtree(env / "xdg", ignore_errors=True)
    r = launch(run_cli, "--test", "test.jsonl", "--config", config)
    assert r.code == 0, r.err
    assert len(server.calls) == 8
    assert json.loads((env / "state" / "rag" / "answers.json").read_text())["variants"][1]["quality"] == 100.0


def test_rerun_after_a_document_changed_refreshes_the_index(run_cli, env):
    assert launch(run_cli).code == 0
    state = env / "state" / "rag" / "state.json"
    assert launch(run_cli).code == 0  # nothing changed: nothing redone
    assert "4 added" in json.loads(state.read_text())["steps"]["index"]["detail"]
    # billing.md now answers the Oslo question too: the miss is gone after the refresh
    (env / "docs" / "billing.md").write_text(DOCS["billing.md"] + "The Oslo warehouse ships to Norway quickly.\n",
                                            encoding="utf-8")
    r = launch(run_cli)
    assert r.code == 0, r.err
    steps = json.loads(state.read_text())["steps"]
    assert steps["index"]["detail"].startswith("0 added, 1 updated, 3 unchanged")
    table = json.loads((env / "state" / "rag" / "retrieval.json").read_text())["table"]
    assert table[-1]["k"] == 2 and table[-1]["hit_rate"] == 1.0


def test_changed_documents_with_billed_answers_need_a_new_name(run_cli, env, server, aws_env):
    config = write_config(env, server, kind="bedrock")
    assert launch(run_cli, "--test", "test.jsonl", "--config", config, "--yes").code == 0
    calls = len(server.calls)
    (env / "docs" / "keys.md").write_text("# Keys\n\nKeys never expire.\n", encoding="utf-8")
    r = launch(run_cli, "--test", "test.jsonl", "--config", config, "--yes")
    assert r.code == 2 and "--name" in r.err and len(server.calls) == calls


def test_dry_run_shows_the_plan_and_calls_nothing(run_cli, env, server):
    config = write_config(env, server)
    r = launch(run_cli, "--test", "test.jsonl", "--config", config, "--dry-run")
    assert r.code == 0, r.err
    for text in ("index", "retrieval", "answers", "8 calls", "chat.completions.create", "You answer questions"):
        assert text in r.out
    assert not server.calls and not (env / "state" / "rag" / "index.sqlite").exists()


def test_bedrock_calls_are_billed_and_need_yes(run_cli, env, server, aws_env):
    config = write_config(env, server, kind="bedrock")
    r = launch(run_cli, "--test", "test.jsonl", "--config", config)
    assert r.code == 2 and "--yes" in r.err
    assert not server.calls
    r = launch(run_cli, "--test", "test.jsonl", "--config", config, "--yes")
    assert r.code == 0, r.err
    assert len(server.calls) == 8 and all(c.api == "bedrock" for c in server.calls)
    # the static instructions come first, with a cache point after them
    assert all(c.body["system"][-1] == {"cachePoint": {"type": "default"}} for c in server.calls)


def test_empty_corpus_exit_1(run_cli, env):
    (env / "empty").mkdir()
    r = launch(run_cli, docs="empty")
    assert r.code == 1 and "no documents" in r.err


def test_missing_questions_file_exit_2(run_cli, env):
    r = launch(run_cli, questions="nope.jsonl")
    assert r.code == 2 and "nope.jsonl" in r.err and "Traceback" not in r.err


def test_bad_questions_line_names_file_and_line(run_cli, env):
    (env / "bad.jsonl").write_text(json.dumps(QUESTIONS[0]) + "\n{not json\n", encoding="utf-8")
    r = launch(run_cli, questions="bad.jsonl")
    assert r.code == 2 and "bad.jsonl:2" in r.err
