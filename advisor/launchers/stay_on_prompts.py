"""Launcher for ``stay_on_prompts``: a caching plan, a small→large cascade, the offline share at batch
rates, and the volume at which to ask the fine-tuning question again.

Steps: ``check`` (config and test set), ``calls`` (the small and the large model on every test
input, static-first prompts with a cache point where the model caches; billed per token, resumable
and cached), ``cascade`` (the escalation checks on each small answer — JSON Schema, a label outside
the list or below the confidence floor, and a judge when configured, whose calls go through the same
runner), ``report`` (small-only / large-only / cascade: quality, share escalated, cost per 1,000
requests, latency; the measured cache hit rate; the offline share priced at batch rates; when to
look again, from :mod:`advisor.economics`).

The cascade is evaluated from the same answers as the two single-model variants: an escalated input
costs the small call plus the large call, and takes the latency of both.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any, Callable

from advisor.errors import CheckFailed, InputError, location_for
from advisor.fewshot.steps import StepRunner, file_input, rerun_command
from advisor.launchers.bedrock_fine_tune import StillRunning  # noqa: F401  (the CLI catches it)
from advisor.launchers.few_shot import _operation, _provider_object, _service
from advisor.launchers.plan import Field, Plan, Request, Step

PATH = "stay_on_prompts"


def add_arguments(p) -> None:
    from advisor.launchers.few_shot import add_arguments as shared

    shared(p)  # --test, --config (and few_shot's options) are one set on `advisor launch`


# What the interview's Launch form asks for (the same options as the command line).
FIELDS = (
    Field("test", "Test data (JSONL)", "file", required=True),
    Field("config", "Config (YAML: small and large models, prompt, metric)", "file", required=True),
)


def inputs_from_args(args, answers: dict[str, Any] | None = None) -> dict[str, Any]:
    answers = answers or {}
    return {
        "test": file_input(getattr(args, "test", None), "test file", "--test"),
        "config": file_input(getattr(args, "config", None), "config file", "--config"),
        "monthly_requests": answers.get("monthly_requests"),
        "economics_answers": {k: answers.get(k) for k in ECONOMICS_KEYS if answers.get(k) is not None},
    }


# The answers the cost model reads (advisor.economics), and the two that rule custom options out.
ECONOMICS_KEYS = ("monthly_requests", "input_tokens_per_request", "output_tokens_per_request",
                  "cacheable_prefix_tokens", "few_shot_extra_tokens", "offline_share_percent",
                  "output_token_saving_percent", "peak_requests_per_minute", "model_unit_tokens_per_minute",
                  "provisioned_throughput_hourly_usd", "fine_tuning_training_cost_usd", "gpu_hourly_usd",
                  "setup_cost_usd", "payback_months", "training_examples", "must_stay_on_claude",
                  "open_weights_viable")


def economics_target(rec, rulebase) -> str | None:
    """The catalogue id of the fine-tuning target the advice priced: the recommendation's model, else the
    model its economics priced as the custom option, else the catalogue's choice for these answers."""
    model = getattr(rec, "model", None)
    if model is not None:
        return model.id
    econ = getattr(rec, "economics", None)
    for option in getattr(econ, "options", None) or []:
        if option.kind == "custom" and option.model:
            return option.model
    if rulebase is None:
        return None
    from advisor.engine.engine import today_from_env
    from advisor.engine.target import choose_target

    chosen = choose_target(rulebase.models, getattr(rec, "answers", None) or {}, today_from_env()).model
    return chosen.id if chosen is not None else None


def _setup(inputs, rulebase):
    from advisor.fewshot.prompting import Prompting, load_prompt_config

    loaded = load_prompt_config(inputs["config"]["path"])
    missing = [n for n in ("small", "large") if getattr(loaded.config, n) is None]
    if missing:
        raise InputError(f"stay_on_prompts needs {' and '.join(f'`{m}:`' for m in missing)} (provider and id) in "
                         "the config", location_for(inputs["config"]["path"]))
    return Prompting(loaded, rulebase)


def plan(rec, inputs: dict[str, Any], rulebase=None, name: str = "stay-on-prompts") -> Plan:
    from advisor.fewshot.runner import load_test

    prompting = _setup(inputs, rulebase)
    cfg = prompting.cfg
    examples = load_test(Path(inputs["test"]["path"]))
    requests, notes, caching = [], [], {}
    estimate: float | None = 0.0
    for role in ("small", "large"):
        ref = getattr(cfg, role)
        caches, why = prompting.caches(ref)
        caching[role] = {"model": ref.id, "caches": caches, "why": why}
        request, _ = prompting.request(ref, examples[0].fields, cache=caches)
        bound = prompting.upper_bound(ref, request, len(examples))
        estimate = None if estimate is None or bound is None else estimate + bound
        requests.append(Request(_service(prompting, ref), _operation(prompting, ref),
                                {"role": role, "example": examples[0].id,
                                 **_provider_object(prompting, ref).build_request(request)}))
        if prompting.price_for(ref) is None:
            notes.append(f"no sourced price for {ref.id}: its costs show '-' (add it with `prices:` in the config)")
        notes.append(f"{role} model {ref.id}: cache point {'after the static system prompt' if caches else 'none'} "
                     f"({why})")
        rate_note = prompting.cache_rate_note(ref) if caches else None
        if rate_note:
            notes.append(f"{role} model: {rate_note}")
    if rec is not None and getattr(rec, "path", None) not in (None, PATH):
        notes.append(f"the recommendation for these answers is {rec.path!r}, not stay_on_prompts; measuring anyway")
    judge = cfg.escalate.judge
    calls = 2 * len(examples)
    steps = [
        Step("check", "Check the config and the test set", detail=f"{len(examples)} test inputs"),
        Step("calls", f"Small ({cfg.small.id}) and large ({cfg.large.id}) model on every input: {calls} calls",
             requests=requests, bills=True, cost_usd=None if estimate is None else round(estimate, 4),
             cost_note=(f"at most about ${estimate:,.4f} (input ~ characters/3, output = max_tokens, no cache discount); "
                        "answers already in the cache are free") if estimate is not None else
             "a model has no sourced price: add it with `prices:` in the config"),
        Step("cascade", "Apply the escalation checks" + (f" (judge {judge.id}: up to {len(examples)} calls)"
                                                          if judge else ""),
             bills=judge is not None, cost_unit="per token" if judge else ""),
        Step("report", "Write the comparison, the caching plan, the offline share and when to look again"),
    ]
    context = {"caching": caching, "region": None, "economics_target": economics_target(rec, rulebase)}
    return Plan(PATH, name, inputs, steps, notes, context)


class Runner(StepRunner):
    def __init__(self, plan, ledger, progress, rulebase=None, **options):
        super().__init__(plan, ledger, progress, rulebase, **options)
        self.prompting = _setup(self.inputs, self.rulebase)

    def examples(self):
        from advisor.fewshot.runner import load_test

        return load_test(Path(self.inputs["test"]["path"]))

    def variants(self):
        from advisor.fewshot.runner import Variant

        p = self.prompting

        def builder(ref: Any, caches: bool) -> Callable[[Any], tuple[Any, bool]]:
            def build(e: Any) -> tuple[Any, bool]:
                return p.request(ref, e.fields, cache=caches)
            return build

        out = []
        for role in ("small", "large"):
            ref = getattr(p.cfg, role)
            caches = bool(self.ctx["caching"][role]["caches"])
            out.append(Variant(f"{role}-only", ref, 0, role, builder(ref, caches)))
        return out

    def _answers(self):
        from advisor.evals.cache import default_cache_dir
        from advisor.fewshot.runner import run_variants

        examples = self.examples()
        rows, prefilled = run_variants(self.prompting, self.variants(), examples, self.dir / "calls.jsonl",
                                       default_cache_dir(), "model calls")
        return examples, rows, prefilled

    def step_check(self, step):
        return f"{len(self.examples())} test inputs"

    def step_calls(self, step):
        examples, rows, _ = self._answers()
        failed = sum(1 for r in rows.values() if r.get("status") != "ok")
        if failed == len(rows):
            raise CheckFailed("every call failed; see calls.jsonl (fix the provider settings and re-run)")
        return f"{len(rows)} answers" + (f"; {failed} failed" if failed else "")

    # escalation ------------------------------------------------------------------------------------------
    def reasons(self, detail: dict[str, dict], judged: dict[str, bool]) -> dict[str, list[str]]:
        cfg = self.prompting.cfg
        esc = cfg.escalate
        out: dict[str, list[str]] = {}
        for eid, d in detail.items():
            why = []
            if not d["ok"]:
                why.append("error")
            else:
                doc = d["doc"]
                needs_json = self.prompting.loaded.schema is not None or cfg.answer_field is not None
                if esc.schema_fail and needs_json and not self.prompting.schema_ok(doc):
                    why.append("schema")
                if esc.unknown_label and cfg.labels and isinstance(doc, dict) and cfg.answer_field \
                        and str(doc.get(cfg.answer_field)) not in cfg.labels:
                    why.append("label")
                if esc.min_confidence is not None and isinstance(doc, dict):
                    c = doc.get(esc.confidence_field)
                    if isinstance(c, (int, float)) and not isinstance(c, bool) and c < esc.min_confidence:
                        why.append("unsure")
                if eid in judged and not judged[eid]:
                    why.append("judge")
            out[eid] = why
        return out

    def _judge(self, examples, detail) -> tuple[dict[str, bool], list[float]]:
        """Judge verdicts on the small model's answers (through the batch runner), and their costs."""
        judge = self.prompting.cfg.escalate.judge
        if judge is None:
            return {}, []
        from advisor.batch import BatchItem, BatchOptions, run_batch
        from advisor.evals.cache import default_cache_dir
        from advisor.providers import ChatRequest

        items = []
        for e in examples:
            d = detail[e.id]
            if not d["ok"]:
                continue
            question = self.prompting.render(e.fields)
            text = (f"{judge.rubric}\n\n<input>{question}</input>\n<answer>{d['row'].get('text') or ''}</answer>\n\n"
                    "Reason in at most 4 sentences inside <reason></reason>, then give the verdict "
                    "<judgement>PASS</judgement> or <judgement>FAIL</judgement>.")
            items.append(BatchItem(f"judge/{e.id}", judge.provider,
                                   ChatRequest(model=judge.id, messages=(("user", text),), max_tokens=300),
                                   {"id": e.id}))
        result = run_batch(items, self.prompting.make_providers(), self.dir / "judge.jsonl",
                           BatchOptions(cache_dir=default_cache_dir()))
        verdicts, costs = {}, []
        for key, row in result.rows.items():
            eid = key.split("/", 1)[1]
            verdicts[eid] = row.get("status") == "ok" and "<judgement>PASS</judgement>" in (row.get("text") or "")
            c = self.prompting.row_cost(judge, row) if row.get("status") == "ok" else None
            if c is not None:
                costs.append(c)
        return verdicts, costs

    def evaluate(self):
        from advisor.fewshot.prompting import VariantResult
        from advisor.fewshot.runner import measure

        examples, rows, prefilled = self._answers()
        small_v, large_v = self.variants()
        small, sd = measure(self.prompting, small_v, examples, rows, prefilled)
        large, ld = measure(self.prompting, large_v, examples, rows, prefilled)
        judged, judge_costs = self._judge(examples, sd)
        reasons = self.reasons(sd, judged)
        scores, costs, latencies = [], [], []
        unpriced = small.cost_per_1000 is None or large.cost_per_1000 is None
        escalated = 0
        counts: dict[str, int] = {}
        judge_mean = statistics.fmean(judge_costs) if judge_costs else 0.0
        for e in examples:
            s, l_ = sd[e.id], ld[e.id]
            lat_s = (s["row"] or {}).get("latency_ms") or 0.0
            cost = (s.get("cost") or 0.0) + (judge_mean if judged else 0.0)
            if reasons[e.id]:
                escalated += 1
                for r in reasons[e.id]:
                    counts[r] = counts.get(r, 0) + 1
                scores.append(l_["score"])
                cost += l_.get("cost") or 0.0
                latencies.append(lat_s + ((l_["row"] or {}).get("latency_ms") or 0.0))
            else:
                scores.append(s["score"])
                latencies.append(lat_s)
            costs.append(cost)
        n = len(examples)
        cascade = VariantResult(
            "cascade", f"{small.model} -> {large.model}", 0, "cascade", 100.0 * sum(scores) / n, n, 0,
            None if unpriced else 1000.0 * sum(costs) / n, small.input_tokens, small.cached_share,
            statistics.median(latencies) if latencies else None,
            {"escalated_share": round(escalated / n, 3), "escalated_because": counts}, small.output_tokens)
        small.extra["escalated_share"] = 0.0
        large.extra["escalated_share"] = 1.0
        return [small, large, cascade]

    def step_cascade(self, step):
        from advisor.launchers.ledger import write_json_atomic

        results = self.evaluate()
        write_json_atomic(self.dir / "results.json", {"variants": [r.as_row() for r in results]})
        c = results[-1]
        return f"cascade escalated {c.extra['escalated_share']:.0%}, quality {c.quality:.1f}"

    def step_report(self, step):
        from advisor.fewshot.report import write_report
        from advisor.launchers.ledger import write_json_atomic

        table = json.loads((self.dir / "results.json").read_text(encoding="utf-8"))["variants"]
        summary = summarise(self, table)
        write_json_atomic(self.dir / "summary.json", summary)
        paths = write_report(self.dir, f"Stay on prompts: {self.plan.name}", sections(self, table, summary))
        self.ledger.update("report", **{k: str(v) for k, v in paths.items()})
        return ", ".join(str(p) for p in paths.values())


def summarise(runner: Runner, table: list[dict]) -> dict[str, Any]:
    """Offline share at batch rates and the volume at which to ask the fine-tuning question again."""
    p = runner.prompting
    cascade = table[-1]
    large = table[1]
    out: dict[str, Any] = {"cache_hit_share": {r["variant"]: r["cache_hit_share"] for r in table[:2]}}
    per_1000 = cascade["cost_per_1000_usd"]
    d = p.prices.batch_discount
    mult = p.batch_multiplier()
    out["batch_multiplier"] = mult
    out["batch_uncertain"] = bool(d.uncertain) if d else True
    shares = [p.cfg.offline_share] if p.cfg.offline_share is not None else [0.25, 0.5]
    out["offline"] = []
    if per_1000 is not None:
        for share in shares:
            blended = per_1000 * (1 - share) + per_1000 * share * mult
            out["offline"].append({"offline_share": share, "cost_per_1000_usd": round(blended, 6),
                                   "saving_per_1000_usd": round(per_1000 - blended, 6)})
    cheapest = min((r for r in table if r["cost_per_1000_usd"] is not None and r["quality"] >= large["quality"] - 2),
                   key=lambda r: r["cost_per_1000_usd"], default=None)
    out["serving"] = cheapest["variant"] if cheapest else None
    out.update(look_again(runner, cheapest))
    return out


# The custom options a decision would still consider (the same rule as the economics' verdict).
def _candidates(values: dict[str, Any]) -> list[str]:
    if values.get("must_stay_on_claude") is True:
        return []
    viable = values.get("open_weights_viable")
    if viable is True:
        return ["distilled_self_hosted"]
    if viable is False:
        return ["custom_on_demand", "custom_provisioned"]
    return ["custom_on_demand", "custom_provisioned", "distilled_self_hosted"]


def look_again(runner: Runner, serving: dict | None) -> dict[str, Any]:
    """When to ask the fine-tuning question again: for each custom option the economics prices
    (:func:`advisor.economics.cost_model`, with the fine-tuning target from the catalogue and the tokens
    per request measured here unless the answers give them), the monthly volume at which it costs less
    than serving on prompts at the measured cost; the smallest of them is the answer."""
    import math

    from advisor.economics import HOURS_PER_MONTH, Target, cost_model
    from advisor.engine.engine import today_from_env

    p = runner.prompting
    answers = dict(runner.inputs.get("economics_answers") or {})
    out: dict[str, Any] = {"monthly_requests": answers.get("monthly_requests"), "look_again": None,
                           "look_again_options": []}
    if serving is None:
        out["look_again_text"] = "Not computed: no priced variant (add prices for the models in the config)."
        return out
    values = dict(answers)
    measured = {"input_tokens_per_request": round(serving.get("mean_input_tokens") or 0),
                "output_tokens_per_request": round(serving.get("mean_output_tokens") or 0)}
    for key, value in measured.items():
        if values.get(key) is None and value > 0:
            values[key] = value
    out["economics_inputs"] = {k: values.get(k) for k in ("monthly_requests", "input_tokens_per_request",
                                                           "output_tokens_per_request")}
    if values.get("monthly_requests") is None:
        values["monthly_requests"] = 1  # a break-even does not depend on today's volume; the model needs one
    spec = runner.rulebase.models.get(runner.ctx.get("economics_target") or "")
    target = None if spec is None else Target(
        id=spec.id, name=spec.name, on_demand_deployment="on_demand_deployment" in spec.serving,
        provisioned_throughput="provisioned_throughput" in spec.serving)
    econ = cost_model(p.prices, values, target, today_from_env())
    out["target"] = spec.id if spec is not None else None
    per_request = serving["cost_per_1000_usd"] / 1000
    one_off = sum(x for x in (values.get("fine_tuning_training_cost_usd"), values.get("setup_cost_usd"))
                  if isinstance(x, (int, float)) and not isinstance(x, bool))
    missing: list[tuple[str, str]] = []  # (what to answer, for which option)
    for option in (econ.option(c) for c in _candidates(values)):
        if option is None:
            continue
        row: dict[str, Any] = {"option": option.id, "title": option.title, "monthly_requests": None}
        if option.computed:
            fixed = (option.fixed_monthly_usd or 0.0) + (option.one_off_usd or 0.0) / econ.payback_months
            custom = option.per_request_usd or 0.0
            row["basis"] = (f"${custom * 1000:.4f} per 1,000 requests, ${option.fixed_monthly_usd or 0:,.2f} a month "
                            f"fixed, ${option.one_off_usd or 0:,.2f} one-off over {econ.payback_months} months")
        elif option.id == "custom_provisioned" and values.get("provisioned_throughput_hourly_usd") is not None \
                and set(option.missing_inputs) <= {"peak_requests_per_minute", "model_unit_tokens_per_minute"}:
            # Without the peak traffic and a unit's throughput the unit count is unknown; one unit is the
            # least Provisioned Throughput bills, so this volume is the earliest it could pay off.
            hourly = float(values["provisioned_throughput_hourly_usd"])
            fixed, custom = hourly * HOURS_PER_MONTH + one_off / econ.payback_months, 0.0
            row["basis"] = (f"at least one model unit: ${hourly:g}/hour x {HOURS_PER_MONTH} hours + "
                            f"(${one_off:,.2f} one-off / {econ.payback_months} months); answer "
                            "peak_requests_per_minute and model_unit_tokens_per_minute for the unit count")
        else:
            needs = [m for m in option.missing_inputs if not (option.id == "custom_provisioned" and m in (
                "peak_requests_per_minute", "model_unit_tokens_per_minute"))]
            missing.append((", ".join(needs), option.title))
            continue
        saving = per_request - custom
        if fixed <= 0:
            missing.append(("fine_tuning_training_cost_usd or setup_cost_usd", option.title))
            continue
        row["fixed_monthly_usd"] = round(fixed, 2)
        row["per_request_usd"] = round(custom, 8)
        row["monthly_requests"] = math.ceil(fixed / saving) if saving > 0 else None
        out["look_again_options"].append(row)
    out["payback_months"], out["payback_assumed"] = econ.payback_months, econ.payback_assumed
    reachable = [r for r in out["look_again_options"] if r["monthly_requests"] is not None]
    now = out["monthly_requests"]
    if reachable:
        best = min(reachable, key=lambda r: r["monthly_requests"])
        volume = best["monthly_requests"]
        out["look_again"] = volume
        out["look_again_option"] = best["option"]
        out["look_again_text"] = (
            f"Ask the fine-tuning question again at about {volume:,} requests a month: there the "
            f"{serving['variant']} bill (${per_request * 1000:.4f} per 1,000 requests, measured) reaches the cost of "
            f"{best['title']} (${best['fixed_monthly_usd']:,.2f} a month of fixed and spread one-off costs; "
            f"{best['basis']}" + (f"; payback over {econ.payback_months} months, assumed" if econ.payback_assumed
                                  else "") + ")."
            + (f" Today: {now:,} a month ({now / volume:.2%} of that)." if isinstance(now, int) and volume else ""))
    elif out["look_again_options"]:
        out["look_again_text"] = ("Fine-tuning never pays off here: no custom option saves anything per request "
                                  "against the measured prompting bill.")
    elif not _candidates(values):
        out["look_again_text"] = "Not computed: the answers rule out every custom option (must stay on Claude)."
    else:
        # Provisioned Throughput first: its hourly rate is the figure no source publishes.
        missing.sort(key=lambda m: "provisioned_throughput_hourly_usd" not in m[0])
        needed = "; ".join(f"{what} ({title})" for what, title in missing) or \
            "provisioned_throughput_hourly_usd, fine_tuning_training_cost_usd or setup_cost_usd"
        out["look_again_text"] = ("Not computed: answer " + needed + " in the answers file to get the monthly volume "
                                  "at which a fine-tuned model would cost less than prompting.")
    return out


def sections(runner: Runner, table: list[dict], summary: dict):
    from advisor.fewshot.report import Section
    from advisor.launchers.batch import BatchSpec

    cols = ("variant", "model", "quality", "escalated_share", "cost_per_1000_usd", "mean_latency_ms",
            "cache_hit_share", "errors")
    rows = [{c: r.get(c) for c in cols} for r in table]
    cascade = table[-1]
    esc = runner.prompting.cfg.escalate
    checks = [("schema" if esc.schema_fail else None),
              (f"confidence below {esc.min_confidence:g}" if esc.min_confidence is not None else None),
              ("a label outside the list" if esc.unknown_label and runner.prompting.cfg.labels else None),
              (f"judge {esc.judge.id} fails it" if esc.judge else None)]
    out = [Section("Cascade: small model first, large model when a check fails", table=rows, paragraphs=[
        "Escalate when: " + "; ".join(c for c in checks if c) + ".",
        f"Escalated because: {json.dumps(cascade.get('escalated_because', {}), sort_keys=True)}.",
        f"Serve with: {summary['serving'] or 'unknown (no prices)'} (the cheapest variant within 2 points of the "
        "large model's quality)."])]
    caching = runner.ctx["caching"]
    out.append(Section("Caching plan", bullets=[
        f"{role}: {c['model']}: cache point after the static system prompt: {'yes' if c['caches'] else 'no'} "
        f"({c['why']}); measured cache hit share "
        f"{summary['cache_hit_share'].get(role + '-only', 0):.0%} of input tokens"
        for role, c in caching.items()], paragraphs=[
        "The prompt is static first: the instruction (and any examples) in the system prompt, the input last, so "
        "every request shares the cached prefix. The hit share is read from the providers' usage fields "
        "(cacheReadInputTokens / prompt_tokens_details.cached_tokens)."]
        + [f"{role}: {note}" for role, c in caching.items() if c["caches"]
           for note in [runner.prompting.cache_rate_note(getattr(runner.prompting.cfg, role))] if note]))
    spec = BatchSpec(key=f"{runner.plan.name}-offline", model_id=runner.prompting.cfg.small.id,
                     role_arn="arn:aws:iam::ACCOUNT:role/ROLE", s3_uri="s3://BUCKET/PREFIX", records=[])
    offline_rows = summary["offline"]
    out.append(Section("Offline share at batch rates", table=offline_rows, paragraphs=[
        f"Requests that can wait go to Bedrock batch inference at {summary['batch_multiplier']:g}x the on-demand "
        "price" + (" (AWS pages disagree on the discount; check your region's pricing)" if summary["batch_uncertain"]
                   else "") + ". Set offline_share in the config to price your share.",
        f"The batch step (advisor.launchers.batch) sends CreateModelInvocationJob with jobName {spec.job_name}-like "
        "names, records as {recordId, modelInput} JSONL in S3."] if offline_rows else [
        "Not priced: the cascade has no price."]))
    options = [{"option": r["title"], "break_even_requests_a_month": r["monthly_requests"],
                "fixed_and_one_off_a_month_usd": r["fixed_monthly_usd"],
                "per_1000_usd": round(r["per_request_usd"] * 1000, 6),
                "basis": r["basis"]} for r in summary.get("look_again_options") or []]
    target = summary.get("target")
    out.append(Section("When to look again", table=options, paragraphs=[summary["look_again_text"]] + (
        [f"Custom options priced by the economics for the catalogue's fine-tuning target {target}, at the tokens per "
         "request measured here (unless the answers give them), against the measured prompting bill."]
        if options else [])))
    command = rerun_command(PATH, runner.plan.name, runner.inputs, [("--test", "test"), ("--config", "config")])
    out.append(Section("Re-run", code=command))
    return out


def run(plan: Plan, ledger, progress, **options) -> None:
    Runner(plan, ledger, progress, **options).run()
