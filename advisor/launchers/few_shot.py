"""Launcher for ``few_shot``: sweep k, static example block vs per-input selection, on the user's test set.

Steps: ``check`` (read and check the config, pool and test set; choose every example block, so a bad
line stops the launch before a single call), ``sweep`` (every variant x every test input through the
batch runner: billed per token, resumable, cached), ``report`` (quality against cost per 1,000
requests, the cheapest variant that meets the bar, the production artefacts, and the seeds' "30
examples move 75% to 95%" as a measured line).

Variants for each k in ``--k`` (default 0,5,10,20,30): ``k0`` (no examples), ``static-kN`` (the same
N examples for every input, in the system prompt behind a cache point where the model caches) and
``select-kN`` (N examples chosen for each input by :class:`advisor.fewshot.Selector`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from advisor.errors import CheckFailed, InputError, UsageError, location_for
from advisor.fewshot.steps import StepRunner, add_option, file_input, rerun_command
from advisor.launchers.bedrock_fine_tune import StillRunning  # noqa: F401  (the CLI catches it)
from advisor.launchers.plan import Field, Plan, Request, Step

PATH = "few_shot"
DEFAULT_KS = (0, 5, 10, 20, 30)
SEED_CLAIM = (75.0, 95.0, 30)  # seed 002: 30 examples often move accuracy from about 75% to 95%


def add_arguments(p) -> None:
    g = p.add_argument_group("few_shot and stay_on_prompts")
    add_option(g, "--pool", metavar="FILE", help="few_shot: pool of worked examples (JSONL)")
    add_option(g, "--test", metavar="FILE", help="test JSONL")
    add_option(g, "--config", metavar="FILE", help="few_shot / stay_on_prompts: models, prompt, metric (YAML)")
    add_option(g, "--k", metavar="LIST", help="few_shot: example counts to sweep (default 0,5,10,20,30)")
    add_option(g, "--bar", metavar="METRIC=VALUE", help="the quality bar to meet, e.g. accuracy=90")


def parse_ks(text: str | None) -> list[int]:
    if not text:
        return list(DEFAULT_KS)
    try:
        ks = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise UsageError(f"--k {text!r}: write whole numbers separated by commas, e.g. 0,5,10") from None
    if not ks or ks[0] < 0 or ks[-1] > 200:
        raise UsageError(f"--k {text!r}: each k must be between 0 and 200")
    return ks


# What the interview's Launch form asks for (the same options as the command line).
FIELDS = (
    Field("pool", "Pool of worked examples (JSONL)", "file", required=True),
    Field("test", "Test data (JSONL)", "file", required=True),
    Field("config", "Config (YAML: model, prompt, metric)", "file", required=True),
    Field("k", "Example counts to sweep (e.g. 0,5,10; empty: the default)"),
    Field("bar", "Quality bar, METRIC=VALUE (empty: the answers')"),
)


def inputs_from_args(args, answers: dict[str, Any] | None = None) -> dict[str, Any]:
    from advisor.fewshot.prompting import parse_bar

    answers = answers or {}
    bar = getattr(args, "bar", None) or answers.get("quality_bar")
    parse_bar(bar)
    return {
        "pool": file_input(getattr(args, "pool", None), "pool file", "--pool"),
        "test": file_input(getattr(args, "test", None), "test file", "--test"),
        "config": file_input(getattr(args, "config", None), "config file", "--config"),
        "ks": parse_ks(getattr(args, "k", None)),
        "bar": bar,
    }


def _setup(inputs: dict[str, Any], rulebase):
    from advisor.fewshot.prompting import Prompting, load_prompt_config

    loaded = load_prompt_config(inputs["config"]["path"])
    if loaded.config.model is None:
        raise InputError("few_shot needs a `model:` (provider and id) in the config",
                         location_for(inputs["config"]["path"]))
    return Prompting(loaded, rulebase)


def _query_text(prompting, example) -> str:
    value = example.fields.get("input")
    return value if isinstance(value, str) else prompting.render(example.fields)


def plan(rec, inputs: dict[str, Any], rulebase=None, name: str = "few-shot") -> Plan:
    """Pure apart from reading the user's files: the variants, the call count, one sample request each."""
    from advisor.fewshot import Selector, load_pool
    from advisor.fewshot.prompting import parse_bar
    from advisor.fewshot.runner import load_test

    prompting = _setup(inputs, rulebase)
    cfg = prompting.cfg
    pool = load_pool(inputs["pool"]["path"])
    examples = load_test(Path(inputs["test"]["path"]))
    bar = parse_bar(inputs.get("bar"))
    if bar is not None and bar[0] != cfg.metric:
        raise UsageError(f"--bar measures {bar[0]!r} but the config's metric is {cfg.metric!r}")
    ref = cfg.model
    caches, why = prompting.caches(ref)
    ks = inputs["ks"]
    variants = ["k0"] if 0 in ks else []
    for k in ks:
        if k > 0:
            variants += [f"static-k{k}", f"select-k{k}"]
    calls = len(variants) * len(examples)
    requests = []
    first = examples[0]
    selector = Selector(pool)
    kmax = max(ks)
    static = selector.static(kmax, exclude=[_query_text(prompting, e) for e in examples]) if kmax else []
    provider = _provider_object(prompting, ref)
    request, _ = prompting.request(ref, first.fields, [s.example for s in static], (), cache=caches)
    if kmax:
        requests.append(Request(_service(prompting, ref), _operation(prompting, ref),
                                {"variant": f"static-k{kmax}", "example": first.id, **provider.build_request(request)}))
    price = prompting.price_for(ref)
    estimate = 0.0 if price is not None else None
    for k in ks:
        block = [s.example for s in static[:k]]
        sized, _ = prompting.request(ref, first.fields, block, (), cache=caches)
        per = prompting.upper_bound(ref, sized, len(examples))
        if estimate is not None and per is not None:
            estimate += per * (1 if k == 0 else 2)  # the per-input block is about the static block's size
    notes = []
    if rec is not None and getattr(rec, "path", None) not in (None, PATH):
        notes.append(f"the recommendation for these answers is {rec.path!r}, not few_shot; measuring anyway")
    notes.append(f"prompt caching: {'a cache point after the static block' if caches else 'none'} ({why})")
    rate_note = prompting.cache_rate_note(ref) if caches else None
    if rate_note:
        notes.append(rate_note)
    notes.append("answers as " + ("structured output (JSON Schema)" if ref.structured_output and prompting.loaded.schema
                                  is not None else "a prefilled '{'" if prompting.loaded.schema is not None
                                  or cfg.answer_field else "plain text"))
    if price is None:
        notes.append(f"no sourced price for {ref.id}: costs show '-' (add it with `prices:` in the config)")
    steps = [
        Step("check", "Check the config, pool and test set; choose the example blocks",
             detail=f"pool {len(pool.examples)} examples, test {len(examples)} inputs, k in {ks}"),
        Step("sweep", f"Run {len(variants)} variants x {len(examples)} inputs = {calls} calls to {ref.id}",
             requests=requests, bills=True, cost_usd=None if estimate is None else round(estimate, 4),
             cost_note=(f"at most about ${estimate:,.4f}: {calls} calls at ${price.input_per_million:g}/M input and "
                        f"${price.output_per_million:g}/M output tokens (input ~ characters/3, output = max_tokens, "
                        "no cache discount); answers already in the cache are free") if price else
             f"no sourced price for {ref.id}: add it with `prices:` in the config"),
        Step("report", "Write the table, the winner and the production artefacts"),
    ]
    context = {"model": ref.id, "variants": variants, "calls": calls, "caching": caches, "caching_why": why,
               "pool_sha256": pool.sha256, "region": None}
    return Plan(PATH, name, inputs, steps, notes, context)


def _provider_object(prompting, ref):
    from advisor.providers import make_provider

    return make_provider(ref.provider, prompting.cfg.providers[ref.provider].settings())


def _service(prompting, ref) -> str:
    return "bedrock-runtime" if prompting.provider_kind(ref) == "bedrock" else "openai"


def _operation(prompting, ref) -> str:
    return "converse" if prompting.provider_kind(ref) == "bedrock" else "chat.completions.create"


class Runner(StepRunner):
    def __init__(self, plan, ledger, progress, rulebase=None, **options):
        super().__init__(plan, ledger, progress, rulebase, **options)
        self.prompting = _setup(self.inputs, self.rulebase)

    def _load(self):
        from advisor.fewshot import Selector, load_pool
        from advisor.fewshot.runner import load_test

        pool = load_pool(self.inputs["pool"]["path"])
        if pool.sha256 != self.ctx["pool_sha256"]:
            raise CheckFailed("the pool changed since the plan was made; start a new launch (--name)")
        return pool, Selector(pool), load_test(Path(self.inputs["test"]["path"]))

    def selections(self):
        """{k: static block}, {(k, example id): selected} — deterministic, recomputed on every run."""
        pool, selector, examples = self._load()
        ks = [k for k in self.inputs["ks"] if k > 0]
        exclude = [_query_text(self.prompting, e) for e in examples]
        static = {k: [s.example for s in selector.static(k, exclude=exclude)] for k in ks}
        chosen = {}
        kmax = max(ks, default=0)
        for e in examples:
            best = selector.select(_query_text(self.prompting, e), kmax) if kmax else []
            for k in ks:
                chosen[(k, e.id)] = [s.example for s in best[:k]]
        selector.close()
        return pool, examples, static, chosen

    def step_check(self, step):
        pool, examples, static, chosen = self.selections()
        out = self.dir / "selection.json"
        from advisor.launchers.ledger import write_json_atomic

        write_json_atomic(out, {"static": {str(k): [e.id for e in v] for k, v in static.items()},
                                "selected": {f"k{k}/{i}": [e.id for e in v] for (k, i), v in chosen.items()}})
        return f"{len(pool.examples)} pool examples, {len(examples)} test inputs; blocks in {out.name}"

    def variants(self, static, chosen):
        from advisor.fewshot.runner import Variant

        ref = self.prompting.cfg.model
        caches = bool(self.ctx.get("caching"))
        p = self.prompting

        def no_examples(e: Any) -> tuple[Any, bool]:
            return p.request(ref, e.fields, (), (), cache=caches)

        def with_static(block: Any) -> Callable[[Any], tuple[Any, bool]]:
            def build(e: Any) -> tuple[Any, bool]:
                return p.request(ref, e.fields, block, (), cache=caches)
            return build

        def with_selected(k: int) -> Callable[[Any], tuple[Any, bool]]:
            def build(e: Any) -> tuple[Any, bool]:
                return p.request(ref, e.fields, (), chosen[(k, e.id)], cache=caches)
            return build

        out = []
        for k in self.inputs["ks"]:
            if k == 0:
                out.append(Variant("k0", ref, 0, "none", no_examples))
                continue
            out.append(Variant(f"static-k{k}", ref, k, "static", with_static(static[k])))
            out.append(Variant(f"select-k{k}", ref, k, "select", with_selected(k)))
        return out

    def step_sweep(self, step):
        from advisor.evals.cache import default_cache_dir
        from advisor.fewshot.runner import measure, run_variants
        from advisor.launchers.ledger import write_json_atomic

        pool, examples, static, chosen = self.selections()
        variants = self.variants(static, chosen)
        rows, prefilled = run_variants(self.prompting, variants, examples, self.dir / "calls.jsonl",
                                       default_cache_dir(), "few-shot calls")
        table = [measure(self.prompting, v, examples, rows, prefilled)[0].as_row() for v in variants]
        errors = sum(r["errors"] for r in table)
        write_json_atomic(self.dir / "results.json", {"variants": table})
        if errors == sum(r["count"] for r in table):
            raise CheckFailed("every call failed; see calls.jsonl (fix the provider settings and re-run)")
        return f"{len(variants)} variants measured" + (f"; {errors} calls failed" if errors else "")

    def step_report(self, step):
        table = json.loads((self.dir / "results.json").read_text(encoding="utf-8"))["variants"]
        pool, examples, static, chosen = self.selections()
        summary = summarise(table, self.inputs.get("bar"), self.prompting.cfg.metric)
        artefacts = write_artefacts(self, summary, static)
        sections = report_sections(self, table, summary, artefacts)
        from advisor.fewshot.report import write_report

        paths = write_report(self.dir, f"Few-shot sweep: {self.plan.name}", sections)
        from advisor.launchers.ledger import write_json_atomic

        write_json_atomic(self.dir / "summary.json", {**summary, "artefacts": {k: str(v) for k, v in artefacts.items()
                                                                                if k != "command"},
                                                      "command": artefacts["command"]})
        self.ledger.update("report", **{k: str(v) for k, v in paths.items()})
        return ", ".join(str(p) for p in paths.values())


def summarise(table: list[dict], bar_text: str | None, metric: str) -> dict[str, Any]:
    """The winner under the bar, the best quality, and the measured k=0 → k=30 line."""
    from advisor.fewshot.prompting import parse_bar

    bar = parse_bar(bar_text)
    priced = [r for r in table if r["cost_per_1000_usd"] is not None]
    out: dict[str, Any] = {"metric": metric, "bar": None if bar is None else bar[1]}
    best = max(table, key=lambda r: (r["quality"], -(r["cost_per_1000_usd"] or 0)))
    out["best"] = best["variant"]
    if bar is not None:
        meeting = [r for r in table if r["quality"] >= bar[1]]
        if meeting:
            meeting_priced = [r for r in meeting if r["cost_per_1000_usd"] is not None]
            pick = (min(meeting_priced, key=lambda r: (r["cost_per_1000_usd"], -r["quality"], r["k"]))
                    if meeting_priced else min(meeting, key=lambda r: (r["k"], -r["quality"])))
            out["winner"] = pick["variant"]
            out["winner_reason"] = (f"cheapest variant with {metric} >= {bar[1]:g}" if meeting_priced
                                    else f"smallest k with {metric} >= {bar[1]:g} (no prices to compare)")
        else:
            out["winner"] = None
            out["winner_reason"] = f"no variant reaches {metric} {bar[1]:g}; the best is {best['variant']} " \
                                   f"at {best['quality']:.2f}"
    else:
        out["winner"] = best["variant"]
        out["winner_reason"] = "no bar given (--bar METRIC=VALUE): the variant with the best quality"
    zero = next((r for r in table if r["k"] == 0), None)
    k30 = [r for r in table if r["k"] == SEED_CLAIM[2]] or [r for r in table if r["k"] == max(x["k"] for x in table)]
    top = max(k30, key=lambda r: r["quality"]) if k30 else None
    if zero is not None and top is not None and top["k"] > 0:
        out["claim"] = (f"Measured: {metric} {zero['quality']:.1f}% with no examples -> {top['quality']:.1f}% with "
                        f"{top['k']} examples ({top['variant']}); the seeds' rule of thumb is about "
                        f"{SEED_CLAIM[0]:.0f}% -> {SEED_CLAIM[1]:.0f}% with {SEED_CLAIM[2]}.")
        out["claim_from"], out["claim_to"], out["claim_k"] = zero["quality"], top["quality"], top["k"]
    else:
        out["claim"] = "Not measured: the sweep needs k=0 and a k above 0 (e.g. --k 0,30)."
    out["priced"] = bool(priced)
    return out


def write_artefacts(runner: Runner, summary: dict, static: dict) -> dict[str, Any]:
    """The prompt template, the examples (or the selection settings) and the re-run command."""
    from advisor.fewshot import SelectionSettings
    from advisor.launchers.ledger import write_json_atomic

    folder = runner.dir / "production"
    folder.mkdir(parents=True, exist_ok=True)
    winner = summary.get("winner") or summary["best"]
    p = runner.prompting
    out: dict[str, Any] = {}
    k = int(winner.rsplit("k", 1)[1]) if "k" in winner else 0
    if winner.startswith("static-"):
        system = p.system_prompt(static[k])
        (folder / "examples.jsonl").write_text("".join(
            json.dumps({"line": e.id, "input": e.input, "output": e.output, "label": e.label}, ensure_ascii=False)
            + "\n" for e in static[k]), encoding="utf-8")
        out["examples"] = folder / "examples.jsonl"
        user = p.cfg.prompt
    else:
        system = p.system_prompt(())
        user = p.cfg.prompt if winner == "k0" else "{{ selected_examples }}\n\n<input>" + p.cfg.prompt + "</input>"
        if winner.startswith("select-"):
            settings = SelectionSettings(k=k).as_dict()
            write_json_atomic(folder / "selection.json", {
                "pool": runner.inputs["pool"]["path"], "pool_sha256": runner.inputs["pool"]["sha256"], **settings,
                "how": "advisor fewshot select --pool POOL --query INPUT -k K --format json, per input"})
            out["selection"] = folder / "selection.json"
    (folder / "prompt.txt").write_text(
        f"# system (static; cache point after it: {bool(runner.ctx.get('caching'))})\n{system}\n\n# user\n{user}\n",
        encoding="utf-8")
    out["prompt"] = folder / "prompt.txt"
    out["command"] = rerun_command(PATH, runner.plan.name, runner.inputs,
                                   [("--pool", "pool"), ("--test", "test"), ("--config", "config"),
                                    ("--bar", "bar")]) + " --k " + ",".join(str(k) for k in runner.inputs["ks"])
    return out


def report_sections(runner: Runner, table: list[dict], summary: dict, artefacts: dict):
    from advisor.fewshot.report import Section

    cols = ("variant", "k", "mode", "quality", "cost_per_1000_usd", "mean_input_tokens", "cache_hit_share",
            "errors")
    rows = [{c: r.get(c) for c in cols} for r in table]
    ctx = runner.ctx
    winner = summary.get("winner")
    result = Section("Result", paragraphs=[
        f"Model {ctx['model']}, metric {summary['metric']}"
        + (f", bar {summary['bar']:g}" if summary.get("bar") is not None else "") + ".",
        ("Winner: " + winner if winner else "No winner") + f" ({summary['winner_reason']}).",
        summary["claim"]])
    table_s = Section("Quality against cost per 1,000 requests", table=rows, paragraphs=[
        "static-kN: the same N examples for every input (cacheable); select-kN: N examples chosen for each input "
        "(BM25 similarity, MMR diversity, label balance). Cost counts cached input tokens at the cache rate."
        + ("" if summary["priced"] else " No sourced price for this model: costs are unknown.")])
    caching = Section("Prompt caching", paragraphs=[
        f"Cache point after the static system prompt: {'yes' if ctx.get('caching') else 'no'} "
        f"({ctx.get('caching_why')}).",
        "cache_hit_share is the share of input tokens the provider reported as read from its cache."]
        + [n for n in [runner.prompting.cache_rate_note(runner.prompting.cfg.model)] if n and ctx.get("caching")])
    prod = Section("Production artefacts", bullets=[f"{k}: {v}" for k, v in artefacts.items() if k != "command"],
                   paragraphs=["Re-run the sweep (answers already cached are free):"], code=artefacts["command"])
    return [result, table_s, caching, prod]


def run(plan: Plan, ledger, progress, **options) -> None:
    Runner(plan, ledger, progress, **options).run()
