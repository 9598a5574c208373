"""Launcher for ``rag``: index the user's documents, measure retrieval, then answers without and with context.

Steps: ``index`` (build or refresh ``index.sqlite`` in the launch folder with :mod:`advisor.rag`;
unchanged documents are skipped, removed ones dropped), ``retrieval`` (hit rate, recall and MRR at
k over ``--questions``, and the misses), ``answers`` (only with ``--test`` and ``--config``: the
config's model answers every test question without and with the top-k retrieved chunks, through
the batch runner: resumable, cached; billed only when the provider is Bedrock) and ``report``
(Markdown and HTML, the production prompt template and retrieval settings, the re-measure command).

The prompt puts the static part first (the config's ``instruction`` and the citation rules), with a
cache point after it where the model caches; each retrieved chunk is shown with its chunk id and the
answer must end with ``Sources: [chunk id] ...``. Citations are scored next to the answer metric:
*valid* when every cited id was among the retrieved chunks, *relevant* when at least one cited chunk
comes from a document the test line names in ``relevant``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.errors import CheckFailed, InputError, UsageError, location_for
from advisor.fewshot.steps import StepRunner, add_option, file_input, rerun_command
from advisor.launchers.bedrock_fine_tune import StillRunning  # noqa: F401  (the CLI catches it)
from advisor.launchers.plan import Field, Plan, Request, Step

PATH = "rag"
DEFAULT_K = 5
TABLE_KS = (1, 3, 5, 10)
VARIANTS = ("no-context", "with-context")

CITATION_RULES = (
    "Context passages, when given, come inside <context>; each starts with its id in square brackets, "
    "e.g. [guide.md#0]. Answer the question briefly. When you use a passage, end your answer with one line "
    "'Sources: ' followed by the ids of the passages you used, each in square brackets. "
    "Cite only ids shown in the context. Without a context, answer from what you know and write 'Sources: none'.")
USER_TEMPLATE = "<context>\n{{ context }}\n</context>\n\nQuestion: {{ question }}"
USER_TEMPLATE_NONE = "Question: {{ question }}"
_SOURCES = re.compile(r"^\s*sources\s*:.*$", re.IGNORECASE | re.MULTILINE)
_CITED = re.compile(r"\[([^\[\]\n]+#\d+)\]")


def add_arguments(p) -> None:
    g = p.add_argument_group("rag")
    add_option(g, "--docs", nargs="+", metavar="PATH", help="rag: documents to index (files or folders)")
    add_option(g, "--questions", metavar="FILE", help="rag: retrieval questions JSONL (question, relevant)")
    add_option(g, "--top-k", type=int, metavar="N", help=f"rag: chunks to retrieve (default {DEFAULT_K})")
    add_option(g, "--test", metavar="FILE", help="test JSONL")
    add_option(g, "--config", metavar="FILE", help="few_shot / stay_on_prompts / rag: models, prompt, metric (YAML)")


# What the interview's Launch form asks for (the same options as the command line).
FIELDS = (
    Field("docs", "Documents to index (files or folders, separated by spaces)", "file", required=True),
    Field("questions", "Retrieval questions (JSONL: question, relevant)", "file", required=True),
    Field("top_k", "Chunks to retrieve (empty: the default)", "int"),
    Field("test", "Test data for the answer eval (JSONL, optional; needs the config)", "file"),
    Field("config", "Config for the answer eval (YAML: models, prompt, metric; optional)", "file"),
)


def inputs_from_args(args, answers: dict[str, Any] | None = None) -> dict[str, Any]:
    docs = getattr(args, "docs", None)
    if not docs:
        raise UsageError("--docs PATH... is needed (the documents to index)")
    k = getattr(args, "top_k", None) or DEFAULT_K
    if not 1 <= k <= 100:
        raise UsageError(f"--top-k {k}: choose between 1 and 100")
    test, config = getattr(args, "test", None), getattr(args, "config", None)
    if bool(test) != bool(config):
        raise UsageError("the answer eval needs both --test FILE and --config FILE (or neither)")
    resolved = [str(Path(d).resolve()) for d in docs]
    return {
        "docs": resolved,
        "questions": file_input(getattr(args, "questions", None), "questions file", "--questions"),
        "test": file_input(test, "test file", "--test") if test else None,
        "config": file_input(config, "config file", "--config") if config else None,
        "k": k,
    }


def docs_fingerprint(docs: list[str]) -> str:
    """One hash over every indexable file's id and bytes: a re-run after a change refreshes the index."""
    import hashlib

    from advisor.rag.ingest import discover

    files, _ = discover(docs)
    h = hashlib.sha256()
    for path, doc_id in files:
        h.update(doc_id.encode() + b"\0")
        try:
            h.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            h.update(b"unreadable")
    return h.hexdigest()


# --- inputs ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TestItem:
    id: str
    question: str
    gold: str
    relevant: tuple[str, ...] = ()


def load_test(path: str | Path) -> list[TestItem]:
    """Test JSONL: ``question`` (or ``input``), ``answer``, optional ``id`` and ``relevant`` doc ids."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the test set: {getattr(exc, 'strerror', None) or exc}",
                         location_for(path)) from None
    items, seen = [], set()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as exc:
            raise InputError(f"not a JSON line ({exc})", location_for(path, n)) from None
        question = rec.get("question", rec.get("input")) if isinstance(rec, dict) else None
        if not isinstance(question, str) or not question.strip():
            raise InputError('expected an object with a non-empty string "question"', location_for(path, n))
        gold = rec.get("answer")
        if not isinstance(gold, (str, int, float)) or isinstance(gold, bool) or not str(gold).strip():
            raise InputError('"answer" (the gold answer) is needed', location_for(path, n))
        relevant = rec.get("relevant", [])
        if isinstance(relevant, (str, int)):
            relevant = [relevant]
        if not isinstance(relevant, list) or not all(isinstance(r, (str, int)) for r in relevant):
            raise InputError('"relevant" must be a list of document ids', location_for(path, n))
        item_id = str(rec.get("id", f"line{n}"))
        if item_id in seen:
            raise InputError(f"duplicate id {item_id!r}", location_for(path, n))
        seen.add(item_id)
        items.append(TestItem(item_id, question, str(gold), tuple(str(r) for r in relevant)))
    if not items:
        raise InputError("the test set is empty", location_for(path))
    return items


def _questions(path: str):
    from advisor.rag import load_questions
    from advisor.rag.evaluate import QuestionsError

    try:
        return load_questions(path)
    except QuestionsError as exc:
        where, _, line = exc.where.rpartition(":")
        loc = location_for(where, int(line)) if line.isdigit() else location_for(exc.where)
        raise InputError(exc.message, loc) from None


def _prompting(inputs: dict[str, Any], rulebase):
    from advisor.fewshot.prompting import Prompting, load_prompt_config

    loaded = load_prompt_config(inputs["config"]["path"])
    if loaded.config.model is None:
        raise InputError("rag needs a `model:` (provider and id) in the config", location_for(inputs["config"]["path"]))
    if loaded.config.metric not in ("exact", "f1", "accuracy"):
        raise InputError(f"metric {loaded.config.metric!r}: rag scores plain answers (f1, exact or accuracy)",
                         location_for(inputs["config"]["path"]))
    return Prompting(loaded, rulebase)


def system_prompt(prompting) -> str:
    return prompting.cfg.instruction.strip() + "\n\n" + CITATION_RULES


def context_block(hits) -> str:
    return "\n\n".join(f"[{h.chunk_id}] {h.text.strip()}" for h in hits)


def build_request(prompting, question: str, hits, caches: bool):
    """The ChatRequest for one question; ``hits`` None means no context."""
    from advisor.fewshot.prompting import estimate_tokens
    from advisor.providers import ChatRequest

    ref = prompting.cfg.model
    system = system_prompt(prompting)
    if hits is None:
        user = f"Question: {question}"
    else:
        user = f"<context>\n{context_block(hits)}\n</context>\n\nQuestion: {question}"
    return ChatRequest(model=ref.id, messages=(("user", user),), system=system, max_tokens=prompting.cfg.max_tokens,
                       temperature=prompting.cfg.temperature,
                       cache_system=caches and estimate_tokens(system) >= ref.min_cache_tokens)


def split_answer(text: str | None) -> tuple[str, list[str]]:
    """(the answer without its Sources line, the cited chunk ids in order)."""
    text = text or ""
    cited: list[str] = []
    for line in _SOURCES.findall(text):
        cited += [c.strip() for c in _CITED.findall(line)]
    answer = _SOURCES.sub("", text).strip()
    return answer, list(dict.fromkeys(cited))


# --- plan --------------------------------------------------------------------------------------------------

def plan(rec, inputs: dict[str, Any], rulebase=None, name: str = "rag") -> Plan:
    from advisor.rag.ingest import discover

    files, skipped = discover(inputs["docs"])
    if not files:
        why = "; ".join(f"{s.where}: {s.reason}" for s in skipped) or "no .txt, .md, .html, .pdf or .jsonl files"
        raise CheckFailed(f"no documents to index under --docs ({why})")
    questions = _questions(inputs["questions"]["path"])
    k = inputs["k"]
    notes = [f"skipped {s.where}: {s.reason}" for s in skipped]
    if rec is not None and getattr(rec, "path", None) not in (None, PATH):
        notes.append(f"the recommendation for these answers is {rec.path!r}, not rag; measuring anyway")
    steps = [
        Step("index", "Build or refresh the SQLite index in the launch folder (BM25; unchanged documents skipped)",
             detail=f"{len(files)} files under {len(inputs['docs'])} --docs path(s)"),
        Step("retrieval", f"Measure retrieval: hit rate, recall and MRR at k over {len(questions)} questions",
             detail=f"k in {sorted({x for x in TABLE_KS if x < k} | {k})}; misses listed at k={k}"),
    ]
    context: dict[str, Any] = {"k": k, "mode": "bm25", "files": len(files), "model": None, "caching": False}
    if inputs.get("test"):
        prompting = _prompting(inputs, rulebase)
        items = load_test(inputs["test"]["path"])
        ref = prompting.cfg.model
        caches, why = prompting.caches(ref)
        kind = prompting.provider_kind(ref)
        from advisor.providers import make_provider

        provider = make_provider(ref.provider, prompting.cfg.providers[ref.provider].settings())
        sample = build_request(prompting, items[0].question, None, caches)
        service, operation = ("bedrock-runtime", "converse") if kind == "bedrock" else ("openai",
                                                                                       "chat.completions.create")
        requests = [Request(service, operation, {"variant": "no-context", "example": items[0].id,
                                                 **provider.build_request(sample)})]
        calls = 2 * len(items)
        price = prompting.prices.for_model(ref.id)
        estimate = None
        if price is not None:
            # the with-context call carries up to k chunks; a chunk is at most about 1,000 characters
            wide = build_request(prompting, items[0].question + " " + "x" * 1000 * k, None, False)
            estimate = (prompting.upper_bound(ref, sample, len(items)) or 0) + \
                (prompting.upper_bound(ref, wide, len(items)) or 0)
        billed = kind == "bedrock"
        steps.append(Step(
            "answers", f"Answer {len(items)} test questions without and with the top {k} chunks = {calls} calls "
                       f"to {ref.id}", requests=requests, bills=billed,
            cost_usd=None if estimate is None or not billed else round(estimate, 4),
            cost_note=(f"at most about ${estimate:,.4f} ({calls} calls; input ~ characters/3, output = max_tokens)"
                       if estimate is not None else f"no sourced price for {ref.id}: add it with `prices:` in the "
                                                    "config") if billed else "",
            detail=f"metric {prompting.cfg.metric}; citations scored next to it"
                   + ("" if billed else f"; provider type {kind}: not billed through AWS")))
        notes.append(f"prompt caching: {'a cache point after the static instructions' if caches else 'none'} ({why})")
        if price is None:
            notes.append(f"no sourced price for {ref.id}: costs show '-' (add it with `prices:` in the config)")
        context.update(model=ref.id, metric=prompting.cfg.metric, caching=caches, caching_why=why, tests=len(items))
    steps.append(Step("report", "Write the retrieval and answer tables, the misses and the production settings"))
    return Plan(PATH, name, inputs, steps, notes, context)


# --- run ---------------------------------------------------------------------------------------------------

@dataclass
class _Example:
    id: str
    item: TestItem
    hits: list = field(default_factory=list)


class Runner(StepRunner):
    REFRESHED = ("index", "retrieval", "answers", "report")

    def run(self) -> None:
        """A re-run after the documents changed refreshes the index and measures again (unchanged
        documents are not re-read into the index; answers to unchanged prompts are not asked again)."""
        self.fingerprint = docs_fingerprint(self.inputs["docs"])
        before = self.ledger.resource("index", "docs_sha256")
        if before is not None and before != self.fingerprint and self.ledger.status("index") == "done":
            if self.plan.billed:
                raise UsageError("the documents under --docs changed since this launch ran, and its answers step "
                                 "is billed: start a new launch with --name to measure them again")
            for name in self.REFRESHED:
                if any(s.name == name for s in self.plan.steps):
                    self.ledger.update(name, "pending", detail="documents changed: measuring again")
        super().run()

    @property
    def index_path(self) -> Path:
        return self.dir / "index.sqlite"

    def _open(self):
        from advisor.rag import Index

        return Index.open(self.index_path)

    def step_index(self, step):
        from advisor.rag import Document, Skipped, load_documents

        docs: list[Document] = []
        skipped: list[Skipped] = []
        for d in load_documents(self.inputs["docs"]):
            if isinstance(d, Document):
                docs.append(d)
            else:
                skipped.append(d)
        with self._open() as index:
            gone = index.doc_ids() - {d.id for d in docs}
            removed = index.remove_documents(gone) if gone else 0
            result = index.add_documents(docs)
            stats = index.stats()
        chunks = int(stats.get("chunks", result.chunks) or 0)
        self.ledger.update("index", path=str(self.index_path), docs_sha256=self.fingerprint)
        if not chunks:
            raise CheckFailed("the documents under --docs hold no text to index"
                              + (f" (skipped: {'; '.join(f'{s.where}: {s.reason}' for s in skipped)})"
                                 if skipped else ""))
        return (f"{result.added} added, {result.updated} updated, {result.unchanged} unchanged, {removed} removed; "
                f"{chunks} chunks" + (f"; {len(skipped)} files skipped" if skipped else ""))

    def step_retrieval(self, step):
        from advisor.launchers.ledger import write_json_atomic
        from advisor.rag import evaluate

        questions = _questions(self.inputs["questions"]["path"])
        k = self.inputs["k"]
        rows, misses, unknown = [], [], []
        with self._open() as index:
            for kk in sorted({x for x in TABLE_KS if x < k} | {k}):
                res = evaluate(index, questions, k=kk)
                rows.append({"k": kk, "hit_rate": round(res.hit_rate, 4), "recall": round(res.recall, 4),
                             "mrr": round(res.mrr, 4), "questions": res.count, "misses": len(res.misses)})
                if kk == k:
                    misses, unknown = res.misses, res.unknown_relevant
        write_json_atomic(self.dir / "retrieval.json", {"table": rows, "misses": misses,
                                                        "unknown_relevant": unknown})
        top = rows[-1]
        return (f"hit rate@{k} {top['hit_rate']:.2f}, recall {top['recall']:.2f}, MRR {top['mrr']:.2f}; "
                f"{top['misses']} misses")

    def _examples(self) -> list[_Example]:
        items = load_test(self.inputs["test"]["path"])
        out = []
        with self._open() as index:
            for it in items:
                out.append(_Example(it.id, it, index.search(it.question, k=self.inputs["k"])))
        return out

    def step_answers(self, step):
        from advisor.evals.cache import default_cache_dir
        from advisor.fewshot.runner import Variant, run_variants
        from advisor.launchers.ledger import write_json_atomic

        prompting = _prompting(self.inputs, self.rulebase)
        caches = bool(self.ctx.get("caching"))
        examples = self._examples()
        ref = prompting.cfg.model
        variants = [
            Variant("no-context", ref, 0, "none", lambda e: (build_request(prompting, e.item.question, None, caches),
                                                             False)),
            Variant("with-context", ref, self.inputs["k"], "context",
                    lambda e: (build_request(prompting, e.item.question, e.hits, caches), False)),
        ]
        rows, _ = run_variants(prompting, variants, examples, self.dir / "calls.jsonl", default_cache_dir(),
                               "rag calls")
        table, detail = [], []
        for v in variants:
            summary, per = score_variant(prompting, v.name, examples, rows)
            table.append(summary)
            detail += per
        write_json_atomic(self.dir / "answers.json", {"variants": table, "detail": detail})
        if all(r["errors"] == r["count"] for r in table):
            raise CheckFailed("every call failed; see calls.jsonl (fix the provider settings and re-run)")
        w = {r["variant"]: r for r in table}
        return (f"{prompting.cfg.metric}: no-context {w['no-context']['quality']:.1f}, "
                f"with-context {w['with-context']['quality']:.1f}")

    def step_report(self, step):
        from advisor.fewshot.report import write_report
        from advisor.launchers.ledger import write_json_atomic

        retrieval = json.loads((self.dir / "retrieval.json").read_text(encoding="utf-8"))
        answers = None
        if (self.dir / "answers.json").is_file() and self.inputs.get("test"):
            answers = json.loads((self.dir / "answers.json").read_text(encoding="utf-8"))
        artefacts = write_artefacts(self)
        sections = report_sections(self, retrieval, answers, artefacts)
        paths = write_report(self.dir, f"RAG launch: {self.plan.name}", sections)
        write_json_atomic(self.dir / "summary.json", {
            "retrieval": retrieval["table"], "answers": answers["variants"] if answers else None,
            "artefacts": {k: str(v) for k, v in artefacts.items() if k != "command"},
            "command": artefacts["command"]})
        self.ledger.update("report", **{k: str(v) for k, v in paths.items()})
        return ", ".join(str(p) for p in paths.values())


def score_variant(prompting, name: str, examples: list[_Example], rows: dict[str, dict]):
    """Quality (0-100), citation shares, cost per 1,000 requests; and one detail row per question."""
    scores, costs = [], []
    valid = relevant_hits = relevant_named = cited_any = 0
    errors = 0
    unpriced = False
    ref = prompting.cfg.model
    detail = []
    for e in examples:
        row = rows.get(f"{name}/{e.id}")
        if row is None or row.get("status") != "ok":
            errors += 1
            scores.append(0.0)
            detail.append({"variant": name, "id": e.id, "ok": False, "score": 0.0})
            continue
        answer, cited = split_answer(row.get("text"))
        s = prompting.score(e.item.gold, answer)
        scores.append(s)
        cost = prompting.row_cost(ref, row)
        if cost is None:
            unpriced = True
        else:
            costs.append(cost)
        d: dict[str, Any] = {"variant": name, "id": e.id, "ok": True, "score": s, "answer": answer, "cited": cited}
        if name == "with-context":
            retrieved = {h.chunk_id for h in e.hits}
            is_valid = set(cited) <= retrieved
            valid += is_valid
            cited_any += bool(cited)
            d["cited_valid"] = is_valid
            if e.item.relevant:
                relevant_named += 1
                ok = any(c.rpartition("#")[0] in e.item.relevant for c in cited if c in retrieved)
                relevant_hits += ok
                d["cited_relevant"] = ok
            d["retrieved"] = sorted(retrieved)
        detail.append(d)
    n = len(examples)
    answered = n - errors
    summary: dict[str, Any] = {
        "variant": name, "count": n, "errors": errors,
        "quality": round(100.0 * sum(scores) / n, 2) if n else 0.0,
        "cost_per_1000_usd": None if unpriced or not costs else round(1000.0 * sum(costs) / len(costs), 6),
        "citations_valid": None, "citations_relevant": None, "cites_something": None}
    if name == "with-context" and answered:
        summary["citations_valid"] = round(100.0 * valid / answered, 2)
        summary["cites_something"] = round(100.0 * cited_any / answered, 2)
        if relevant_named:
            summary["citations_relevant"] = round(100.0 * relevant_hits / relevant_named, 2)
    return summary, detail


def remeasure_command(runner: Runner) -> str:
    import shlex

    inputs = runner.inputs
    base = rerun_command(PATH, runner.plan.name, inputs, [("--questions", "questions"), ("--test", "test"),
                                                           ("--config", "config")])
    extra = ["--docs", *inputs["docs"], "--top-k", str(inputs["k"])]
    return base + " " + " ".join(shlex.quote(x) for x in extra)


def write_artefacts(runner: Runner) -> dict[str, Any]:
    """production/prompt.txt (the exact template) and production/retrieval.json (the settings)."""
    from dataclasses import asdict

    from advisor.launchers.ledger import write_json_atomic
    from advisor.rag import Settings

    folder = runner.dir / "production"
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {}
    if runner.inputs.get("test"):
        prompting = _prompting(runner.inputs, runner.rulebase)
        system = system_prompt(prompting)
    else:
        system = "<your instruction>\n\n" + CITATION_RULES
    caching = bool(runner.ctx.get("caching"))
    (folder / "prompt.txt").write_text(
        f"# system (static; cache point after it: {caching})\n{system}\n\n# user\n{USER_TEMPLATE}\n\n"
        "# context: each retrieved chunk as '[chunk_id] text', chunks separated by a blank line\n"
        "# the answer ends with 'Sources: [chunk_id] ...'\n", encoding="utf-8")
    out["prompt"] = folder / "prompt.txt"
    write_json_atomic(folder / "retrieval.json", {
        "index": str(runner.index_path), "k": runner.inputs["k"], "mode": runner.ctx.get("mode", "bm25"),
        "settings": asdict(Settings()),
        "how": "advisor.rag.Index.open(index).search(question, k=k, mode=mode); or `advisor rag search`"})
    out["retrieval"] = folder / "retrieval.json"
    out["command"] = remeasure_command(runner)
    return out


def report_sections(runner: Runner, retrieval: dict, answers: dict | None, artefacts: dict):
    from advisor.fewshot.report import Section

    k = runner.inputs["k"]
    rcols = ("k", "hit_rate", "recall", "mrr", "misses", "questions")
    rtable = [{c: r.get(c) for c in rcols} for r in retrieval["table"]]
    sections = [Section(f"Retrieval (BM25, top {k})", table=rtable, paragraphs=[(
        "hit_rate: share of questions with a relevant document in the top k; recall: mean share of each "
        "question's relevant documents found there; mrr: mean of 1/rank of the first relevant chunk.")])]
    if answers:
        ctx = runner.ctx
        cols = ("variant", "quality", "citations_valid", "citations_relevant", "cites_something",
                "cost_per_1000_usd", "errors", "count")
        rows = [{c: r.get(c) for c in cols} for r in answers["variants"]]
        w = {r["variant"]: r for r in answers["variants"]}
        gain = w["with-context"]["quality"] - w["no-context"]["quality"]
        sections.append(Section(f"Answers: {ctx.get('model')} without and with retrieved context", table=rows,
                                paragraphs=[(
            f"quality: the config's metric ({ctx.get('metric')}) as a percentage; with context it is "
            f"{gain:+.1f} points. citations_valid: answers whose cited ids were all retrieved; citations_relevant: "
            "answers citing a chunk of a document the test line names as relevant; cost per 1,000 requests from "
            "the price table (cached input at the cache rate).")]))
    misses = retrieval.get("misses") or []
    bullets = [f"{m['where']}: {m['question']} (relevant {', '.join(m['relevant'])}; retrieved "
               f"{', '.join(r['chunk_id'] for r in m['retrieved']) or 'nothing'})" for m in misses[:50]]
    if len(misses) > 50:
        bullets.append(f"... and {len(misses) - 50} more in retrieval.json")
    if retrieval.get("unknown_relevant"):
        bullets.append("relevant ids not in the index: " + ", ".join(retrieval["unknown_relevant"]))
    sections.append(Section(f"Retrieval misses at k={k}", bullets=bullets or ["none"]))
    prompt_text = Path(artefacts["prompt"]).read_text(encoding="utf-8")
    sections.append(Section("Production prompt template", code=prompt_text, paragraphs=[
        "Put the static part first; the cache point after it lets models that cache reuse it across requests."]))
    settings = Path(artefacts["retrieval"]).read_text(encoding="utf-8")
    sections.append(Section("Production retrieval settings", code=settings))
    sections.append(Section("Re-measure", paragraphs=[(
        "Re-run this after changing the documents: the index is refreshed (unchanged documents are skipped) and "
        "answers to unchanged prompts are not asked again. With other questions, test set or config, use a new "
        "--name:")], code=artefacts["command"]))
    return sections


def run(plan: Plan, ledger, progress, **options) -> None:
    Runner(plan, ledger, progress, **options).run()
