"""Score a run's rows and render the comparison: terminal table, CSV, JSON and a self-contained HTML page.

Scores are computed from the stored raw text every time a report is made, so changing the metric or the
post-processing never needs new model calls. Calls that ended in an error score 0 (and are counted).
Costs use the rule base's sourced prices (``rules/prices.yaml``, overridable with ``prices:``); a model
without a sourced price shows no cost rather than a guess.

Every metric carries a seeded bootstrap interval, and every pair of variants a paired difference with
its interval (:mod:`advisor.evals.stats`); with a judge, a ``judge`` metric (share of PASS verdicts).

``results.json`` (``schema_version`` 2) — the shape other parts of the advisor read (e.g. the
recommendation's ``--evidence``)::

    {
      "schema_version": 2,
      "name": "tatqa-dev-slice", "metric": "tatqa", "primary_metric": "f1",
      "run": {"started_at": "2026-12-01T07:00:00+00:00",
              "settings": {"config", "output_dir", "repeat", "subset", "examples", "cache", "mode",
                           "max_cost", "epoch", "temperature", "max_tokens", "bootstrap_samples",
                           "confidence", "seed"},
              "stats": {"planned", "skipped", "called", "cached", "errors", "retries", "not_run",
                        "spent_usd", "judge_called", "judge_cached", "judge_errors", "budget_stopped",
                        "estimate_usd", "seconds"},
              "prompts": {"<variant>": {"model", "provider", "system", "prompt", "few_shot", "context_file",
                                        "postprocess"}},
              "thresholds": {"<variant>": {"f1": 40}},
              "judge": {"provider", "model", "rubric"} | null},
      "variants": [{"name", "model", "provider", "examples", "done", "errors",
                    "metrics": {"f1": 61.2, ...},                       # 0-100, mean over examples
                    "intervals": {"f1": {"value", "ci_low", "ci_high", "confidence", "n"}, ...},
                    "spread": {"f1": {"mean", "std", "min", "max", "runs"}, ...},   # with --repeat N > 1
                    "judge_invalid": 0, "input_tokens", "output_tokens", "output_token_stats",
                    "cost_usd", "latency_p50_ms", "latency_p95_ms", "threshold_misses": [...]}],
      "comparisons": [{"a": "haiku-base", "b": "haiku-few-shot", "metric": "f1",
                       "difference": 4.1,                                # b − a, points on the 0-100 scale
                       "ci_low": -3.0, "ci_high": 11.5, "confidence": 0.95, "n": 48,
                       "significant": false}],                           # true when the interval excludes 0
      "threshold_misses": ["haiku-base: f1 38.00 is below the threshold 40"],
      "rows": [{"variant", "id", "repeat"?, "question", "gold", "output", "prediction", <metric scores>,
                "judge_verdict"?, "judge_reason"?, "input_tokens", "output_tokens", "latency_ms", "cached",
                "status", "error"}]
    }
"""

from __future__ import annotations

import csv
import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.evals.common import NoPrices
from advisor.evals.dataset import dumps_gold
from advisor.evals.metrics import token_stats

PRIMARY = {"tatqa": "f1", "f1": "f1", "squad": "f1", "exact": "exact_match", "accuracy": "accuracy",
           "json": "matches_schema"}
SCHEMA_VERSION = 2


@dataclass
class VariantSummary:
    """Per-variant figures (metric values 0–100)."""

    name: str
    model: str
    provider: str
    examples: int
    done: int = 0
    errors: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    intervals: dict[str, dict[str, Any]] = field(default_factory=dict)
    spread: dict[str, dict[str, Any]] = field(default_factory=dict)
    judge_invalid: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    output_token_stats: dict[str, Any] | None = None
    cost_usd: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    threshold_misses: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class Report:
    """Scored rows and summaries for every variant, paired comparisons and the run's details."""

    name: str
    metric: str
    variants: list[VariantSummary]
    rows: list[dict[str, Any]]
    comparisons: list[dict[str, Any]] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)
    primary: str = ""

    @property
    def threshold_misses(self) -> list[str]:
        return [m for v in self.variants for m in v.threshold_misses]

    @property
    def errors(self) -> int:
        """Planned calls without an answer (final errors, or rows missing after an aborted run)."""
        return sum(v.examples - v.done for v in self.variants)

    def as_dict(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, "name": self.name, "metric": self.metric,
                "primary_metric": self.primary, "run": self.run,
                "variants": [v.as_dict() for v in self.variants], "comparisons": self.comparisons,
                "threshold_misses": self.threshold_misses, "rows": self.rows}


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    data = sorted(values)
    pos = (len(data) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return round(data[lo] + (data[hi] - data[lo]) * (pos - lo), 1)


def _prices(loaded):
    try:
        from advisor.knowledge import load_rulebase
        from advisor.knowledge.prices import load_user_prices, prices_of

        table = prices_of(load_rulebase(None))
        if loaded.config.prices:
            table = table.merged(load_user_prices(loaded.resolve(loaded.config.prices)))
        return table
    except Exception as exc:  # a missing price table must not lose a finished run's report
        if loaded.config.prices:
            raise
        return NoPrices(str(exc))


def _prompts(cfg) -> dict[str, Any]:
    out = {}
    for v in cfg.variants:
        out[v.name] = {"model": v.model, "provider": v.provider,
                       "system": v.system if v.system is not None else cfg.system,
                       "prompt": v.prompt or cfg.prompt, "few_shot": v.few_shot.model_dump() if v.few_shot else None,
                       "context_file": v.context_file, "postprocess": v.postprocess or cfg.postprocess}
    return out


def build_report(result) -> Report:
    """Score every row of a :class:`~advisor.evals.harness.RunResult` and summarise per variant."""
    from advisor.evals import postprocess
    from advisor.evals.common import row_key
    from advisor.evals.judge import parse_verdict
    from advisor.evals.metrics import score_example
    from advisor.evals.stats import bootstrap_ci, paired_difference, spread
    from advisor.evals.tatqa import score_question

    plan = result.plan
    loaded = plan.loaded
    cfg = loaded.config
    schema = plan.schema if cfg.metric == "json" else None
    prices = plan.prices if plan.prices is not None else _prices(loaded)
    repeats = max(1, getattr(plan, "repeat", 1))
    judge_rows = getattr(result, "judge_rows", {}) or {}
    st = cfg.stats
    rows_out: list[dict[str, Any]] = []
    summaries: list[VariantSummary] = []
    per_example: dict[str, dict[str, list[float]]] = {}  # variant -> metric -> per-example (repeat mean)
    n = len(plan.examples)
    for v in cfg.variants:
        summary = VariantSummary(v.name, v.model, v.provider, n * repeats)
        post = v.postprocess or cfg.postprocess
        scores_by_repeat: dict[str, list[list[float]]] = {}  # metric -> repeat -> per-example
        outs: list[int] = []
        latencies: list[float] = []
        price = prices.for_model(v.model)
        for repeat in range(repeats):
            for example in plan.examples:
                row = result.rows.get(row_key(v.name, example.id, repeat))
                status = row["status"] if row else "missing"
                text = row.get("text") if row and status == "ok" else None
                prediction = postprocess.apply(post, text) if text is not None else None
                if cfg.metric == "tatqa":
                    answer, scale = prediction if isinstance(prediction, tuple) else (prediction, "")
                    q = score_question(example.gold, answer, scale)
                    scores = {"exact_match": q.exact_match, "f1": q.f1}
                    shown = {"prediction": answer, "scale": scale}
                else:
                    scores = score_example(cfg.metric, example.gold,
                                           prediction if prediction is not None else "", schema)
                    shown = {"prediction": prediction}
                judged: dict[str, Any] = {}
                if cfg.judge is not None:
                    jrow = judge_rows.get(row_key(v.name, example.id, repeat))
                    if jrow is None or status != "ok":
                        verdict_label, reason = ("not judged", "no answer to judge" if status != "ok"
                                                 else "the judge was not run for this answer")
                        scores["judge"] = 0.0
                    elif jrow.get("status") != "ok":
                        verdict_label, reason = "invalid", f"judge call failed: {jrow.get('error')}"
                        scores["judge"] = 0.0
                        summary.judge_invalid += 1
                    else:
                        verdict = parse_verdict(jrow.get("text"), jrow.get("stop_reason"))
                        verdict_label, reason = verdict.label, verdict.reason
                        scores["judge"] = verdict.score
                        summary.judge_invalid += verdict.passed is None
                    judged = {"judge_verdict": verdict_label, "judge_reason": reason}
                if row is not None and status == "ok":
                    summary.done += 1
                    summary.input_tokens += int(row.get("input_tokens") or 0)
                    summary.output_tokens += int(row.get("output_tokens") or 0)
                    if row.get("output_tokens") is not None:
                        outs.append(int(row["output_tokens"]))
                    if row.get("latency_ms") is not None and not row.get("cached"):
                        latencies.append(float(row["latency_ms"]))
                elif row is not None:
                    summary.errors += 1
                for key, value in scores.items():
                    scores_by_repeat.setdefault(key, [[] for _ in range(repeats)])[repeat].append(value)
                out_row = {"variant": v.name, "id": example.id}
                if repeats > 1:
                    out_row["repeat"] = repeat
                out_row.update({
                    "question": str(example.fields.get("question", "")), "gold": dumps_gold(example.gold),
                    "output": row.get("text") if row else None, **shown,
                    **{k: round(val * 100, 2) for k, val in scores.items()}, **judged,
                    "input_tokens": row.get("input_tokens") if row else None,
                    "output_tokens": row.get("output_tokens") if row else None,
                    "latency_ms": row.get("latency_ms") if row else None,
                    "cached": bool(row.get("cached")) if row else False,
                    "status": status, "error": row.get("error") if row else None,
                })
                rows_out.append(out_row)
        per_example[v.name] = {}
        for key, by_repeat in scores_by_repeat.items():
            means = [math.fsum(by_repeat[r][i] for r in range(repeats)) / repeats for i in range(n)]
            per_example[v.name][key] = means
            interval = bootstrap_ci(means, st.bootstrap_samples, st.confidence, st.seed)
            summary.metrics[key] = interval.value
            summary.intervals[key] = interval.as_dict()
            if repeats > 1:
                summary.spread[key] = spread([100 * math.fsum(r) / max(1, len(r)) for r in by_repeat])
        stats = token_stats(outs)
        summary.output_token_stats = stats.as_dict() if stats else None
        if price is not None:
            summary.cost_usd = round(price.cost(summary.input_tokens, summary.output_tokens), 6)
        summary.latency_p50_ms = _percentile(latencies, 0.5)
        summary.latency_p95_ms = _percentile(latencies, 0.95)
        for key, minimum in v.thresholds.items():
            value = summary.metrics.get(key)  # type: ignore[assignment]
            if value is None:
                summary.threshold_misses.append(f"{v.name}: no metric {key!r} to compare with {minimum}")
            elif value < minimum:
                summary.threshold_misses.append(f"{v.name}: {key} {value:.2f} is below the threshold {minimum:g}")
        summaries.append(summary)
    comparisons = []
    names = [v.name for v in cfg.variants]
    metric_keys = list(per_example[names[0]]) if names else []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            for key in metric_keys:
                d = paired_difference(per_example[a][key], per_example[b][key], st.bootstrap_samples,
                                      st.confidence, st.seed)
                comparisons.append({"a": a, "b": b, "metric": key, "difference": d.value, "ci_low": d.low,
                                    "ci_high": d.high, "confidence": d.confidence, "n": d.n,
                                    "significant": d.excludes_zero})
    settings = dict(getattr(result, "settings", {}) or {})
    settings.update({"bootstrap_samples": st.bootstrap_samples, "confidence": st.confidence, "seed": st.seed})
    stats_obj = getattr(result, "stats", None)
    run = {"started_at": getattr(result, "started_at", ""), "settings": settings,
           "stats": dict(stats_obj.__dict__) if stats_obj is not None else {},
           "prompts": _prompts(cfg), "thresholds": {v.name: dict(v.thresholds) for v in cfg.variants},
           "judge": ({"provider": cfg.judge.provider, "model": cfg.judge.model, "rubric": cfg.judge.rubric}
                     if cfg.judge else None)}
    return Report(cfg.name, cfg.metric, summaries, rows_out, comparisons, run, PRIMARY.get(cfg.metric, ""))


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ci(v: VariantSummary, key: str) -> str:
    iv = v.intervals.get(key)
    if not iv:
        return "-"
    return f"{iv['ci_low']:.1f}–{iv['ci_high']:.1f}"


def comparison_sentence(c: dict[str, Any]) -> str:
    """``b vs a: f1 +4.10 [-3.00, +11.50] — not significant (could be noise)``."""
    verdict = "a real difference" if c["significant"] else "not significant (within the noise)"
    return (f"{c['b']} vs {c['a']}: {c['metric']} {c['difference']:+.2f} points, "
            f"{round(100 * c['confidence'])}% interval [{c['ci_low']:+.2f}, {c['ci_high']:+.2f}] "
            f"over {c['n']} examples: {verdict}")


def render_terminal(report: Report) -> str:
    """A side-by-side table (metrics with their intervals, tokens, cost, latency) and the comparisons."""
    metric_keys = list(report.variants[0].metrics) if report.variants else []
    confidence = round(100 * report.variants[0].intervals[metric_keys[0]]["confidence"]) if (
        report.variants and metric_keys and report.variants[0].intervals) else 95
    head = ["variant", "model", "done", "err"]
    for k in metric_keys:
        head += [k, f"{confidence}% CI"]
    head += ["out mean", "median", "std", "min", "max", "cost $", "p50 ms"]
    lines = [head]
    for v in report.variants:
        st = v.output_token_stats or {}
        cells = [v.name, v.model if len(v.model) <= 40 else "…" + v.model[-39:], f"{v.done}/{v.examples}",
                 str(v.errors)]
        for k in metric_keys:
            cells += [_fmt(v.metrics.get(k)), _ci(v, k)]
        cells += [_fmt(st.get("mean"), 1), _fmt(st.get("median"), 1), _fmt(st.get("stdev"), 1),
                  _fmt(st.get("min")), _fmt(st.get("max")), _fmt(v.cost_usd, 4), _fmt(v.latency_p50_ms, 0)]
        lines.append(cells)
    widths = [max(len(str(r[i])) for r in lines) for i in range(len(head))]
    out = []
    for index, r in enumerate(lines):
        out.append("  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w)
                             for i, (c, w) in enumerate(zip(r, widths))))
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    spreads = [(v.name, k, s) for v in report.variants for k, s in v.spread.items()]
    if spreads:
        out.append("")
        out.append(f"spread over {spreads[0][2]['runs']} repeats (per-repeat score):")
        for name, k, s in spreads:
            out.append(f"  {name} {k}: mean {s['mean']:.2f}, std {s['std']:.2f}, min {s['min']:.2f}, "
                       f"max {s['max']:.2f}")
    shown = [c for c in report.comparisons if c["metric"] == (report.primary or c["metric"])]
    if shown:
        out.append("")
        out.append("paired comparisons (b − a, bootstrap over the same examples):")
        out += ["  " + comparison_sentence(c) for c in shown]
    return "\n".join(out)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV-safe cell: model output and user text that a spreadsheet would run as a formula (starting
    with = + - @, a tab or a carriage return) get a leading apostrophe; plain numbers stay numbers."""
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
            if value.strip() == value:
                return value  # "-5.2" is a number to a spreadsheet, not a formula
        except ValueError:
            pass
        return "'" + value
    return value


def write_outputs(report: Report, out_dir: Path, formats: tuple[str, ...] = ("csv", "json", "html")) -> list[Path]:
    """Write ``results.csv``, ``results.json`` and ``report.html`` to ``out_dir``; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    if "csv" in formats:
        path = out_dir / "results.csv"
        keys: list[str] = []
        for row in report.rows:
            keys += [k for k in row if k not in keys]
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=keys)
            writer.writeheader()
            for row in report.rows:
                writer.writerow({k: csv_cell(v) for k, v in row.items()})
        tmp.replace(path)
        written.append(path)
    if "json" in formats:
        path = out_dir / "results.json"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(report.as_dict(), indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    if "html" in formats:
        path = out_dir / "report.html"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(render_html(report), encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written


def _bar_chart(report: Report) -> str:
    """An inline SVG bar chart of every metric per variant (no scripts, no external files)."""
    from advisor.reports.charts import bar_chart_svg

    keys = list(report.variants[0].metrics) if report.variants else []
    groups = [(v.name, [(key, v.metrics.get(key, 0.0) or 0.0) for key in keys]) for v in report.variants]
    chart = bar_chart_svg(groups, maximum=100.0, label="metrics per variant")
    return f'<figure class="chart">{chart}</figure>'



def _threshold_rows(report: Report, cfg_thresholds: dict[str, dict[str, float]]) -> list[str]:
    e = html.escape
    out = []
    for v in report.variants:
        for key, minimum in cfg_thresholds.get(v.name, {}).items():
            value = v.metrics.get(key)
            missed = value is None or value < minimum
            iv = v.intervals.get(key)
            note = ""
            if iv and not missed and iv["ci_low"] < minimum:
                note = "passes, but the interval reaches below the threshold"
            elif iv and missed and iv["ci_high"] >= minimum:
                note = "missed, but the interval reaches the threshold"
            out.append(f'<tr class="{"missed" if missed else "met"}"><td>{e(v.name)}</td><td>{e(key)}</td>'
                       f'<td>{minimum:g}</td><td>{_fmt(value)}</td><td class="nw">{_ci(v, key)}</td>'
                       f'<td><b>{"MISSED" if missed else "met"}</b> {e(note)}</td></tr>')
    return out


def render_html(report: Report) -> str:
    """A self-contained HTML page: thresholds, summary with intervals, comparisons, chart, run details and
    every example side by side (with the judge's verdict and reason when there is a judge)."""
    e = html.escape
    keys = list(report.variants[0].metrics) if report.variants else []
    summary_rows = []
    for v in report.variants:
        st = v.output_token_stats or {}
        cells = [e(v.name), e(v.model), f"{v.done}/{v.examples}", str(v.errors)]
        for k in keys:
            cells += [_fmt(v.metrics.get(k)), f'<span class="nw">{_ci(v, k)}</span>']
        cells += [_fmt(st.get("mean"), 1), _fmt(st.get("median"), 1), _fmt(st.get("stdev"), 1), _fmt(st.get("min")),
                  _fmt(st.get("max")), _fmt(v.cost_usd, 4), _fmt(v.latency_p50_ms, 0), _fmt(v.latency_p95_ms, 0)]
        summary_rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = ["variant", "model", "done", "errors"]
    for k in keys:
        head += [k, "interval"]
    head += ["out tokens mean", "median", "std", "min", "max", "cost USD", "p50 ms", "p95 ms"]
    names = [v.name for v in report.variants]
    run = report.run or {}
    prompts = run.get("prompts") or {}
    cfg_thresholds = run.get("thresholds") or {}
    threshold_html = _threshold_rows(report, cfg_thresholds)
    misses = report.threshold_misses
    if misses:
        banner = (f'<p class="banner missed"><b>{len(misses)} threshold(s) missed</b>: '
                  + "; ".join(e(m) for m in misses) + "</p>")
    elif threshold_html:
        banner = '<p class="banner met">Every threshold is met.</p>'
    else:
        banner = ""
    by_example: dict[str, dict[str, dict]] = {}
    order: list[str] = []
    for row in report.rows:
        ex_key = f"{row['id']}#{row.get('repeat', 0)}"
        if ex_key not in by_example:
            order.append(ex_key)
        by_example.setdefault(ex_key, {})[row["variant"]] = row
    primary = report.primary or PRIMARY.get(report.metric, keys[0] if keys else "")
    detail = []
    for ex_key in order:
        row_of = by_example[ex_key]
        first = next(iter(row_of.values()))
        tds = []
        for name in names:
            r = row_of.get(name, {})
            pred = r.get("prediction")
            pred_text = json.dumps(pred, ensure_ascii=False) if isinstance(pred, list) else str(pred or "")
            if r.get("scale"):
                pred_text += f" ({r['scale']})"
            score = r.get(primary)
            cls = "err" if r.get("status") not in ("ok", None) else ("good" if score and score >= 50 else "bad")
            judge = ""
            if r.get("judge_verdict"):
                judge = (f'<div class="judge j-{e(r["judge_verdict"].replace(" ", "-"))}">judge: '
                         f'<b>{e(r["judge_verdict"])}</b> — {e(str(r.get("judge_reason") or ""))}</div>')
            tds.append(f'<td class="{cls}"><div>{e(pred_text)}</div><small>{e(primary)} {_fmt(score)}'
                       f'{" · " + e(str(r.get("error"))) if r.get("error") else ""}</small>{judge}</td>')
        label = e(str(first["id"])) + (f" · repeat {first['repeat']}" if "repeat" in first else "")
        detail.append(f"<tr><td><div>{e(first['question'])}</div><small>{label}</small></td>"
                      f"<td>{e(first['gold'])}</td>{''.join(tds)}</tr>")
    comparison_rows = []
    for c in report.comparisons:
        comparison_rows.append(
            f'<tr class="{"sig" if c["significant"] else "noise"}"><td>{e(c["b"])} vs {e(c["a"])}</td>'
            f'<td>{e(c["metric"])}</td><td>{c["difference"]:+.2f}</td>'
            f'<td class="nw">[{c["ci_low"]:+.2f}, {c["ci_high"]:+.2f}]</td><td>{c["n"]}</td>'
            f'<td>{"a real difference" if c["significant"] else "not significant: within the noise"}</td></tr>')
    spread_rows = [f"<tr><td>{e(v.name)}</td><td>{e(k)}</td><td>{s['mean']:.2f}</td><td>{s['std']:.2f}</td>"
                   f"<td>{s['min']:.2f}</td><td>{s['max']:.2f}</td><td>{s['runs']}</td></tr>"
                   for v in report.variants for k, s in v.spread.items()]
    settings = run.get("settings") or {}
    stats = run.get("stats") or {}
    details = f"<tr><th>date (UTC)</th><td>{e(str(run.get('started_at') or '-'))}</td></tr>"
    details += "".join(f"<tr><th>{e(str(k))}</th><td>{e(str(val))}</td></tr>" for k, val in settings.items())
    details += "".join(f"<tr><th>{e(str(k))}</th><td>{e(str(val))}</td></tr>" for k, val in stats.items())
    prompt_html = []
    for name, p in prompts.items():
        prompt_html.append(f"<h3>{e(name)} <small>{e(str(p.get('model')))} on {e(str(p.get('provider')))}"
                           f"</small></h3>")
        for label in ("system", "prompt"):
            if p.get(label):
                prompt_html.append(f"<p><b>{label}</b></p><pre>{e(str(p[label]))}</pre>")
        extras = [f"{k}: {json.dumps(p[k], ensure_ascii=False)}" for k in ("few_shot", "context_file", "postprocess")
                  if p.get(k)]
        if extras:
            prompt_html.append(f"<p><small>{e('; '.join(extras))}</small></p>")
    if run.get("judge"):
        j = run["judge"]
        prompt_html.append(f"<h3>judge <small>{e(str(j['model']))} on {e(str(j['provider']))}</small></h3>"
                           f"<p><b>rubric</b></p><pre>{e(str(j['rubric']))}</pre>")
    confidence = round(100 * float(settings.get("confidence", 0.95)))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(report.name)} — advisor eval</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}} table{{border-collapse:collapse;margin:1rem 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}} th{{background:#f3f3f3;text-align:left}}
td.good{{background:#eef8ee}} td.bad{{background:#fbeeee}} td.err{{background:#fff4d6}} small{{color:#666}}
tr.missed td{{background:#fbeeee}} tr.met td{{background:#eef8ee}} tr.noise td{{color:#555}} tr.sig td{{font-weight:600}}
.banner{{padding:8px 12px;border-radius:4px}} .banner.missed{{background:#fbeeee;border:1px solid #d99}}
.banner.met{{background:#eef8ee;border:1px solid #9c9}} .judge{{font-size:12px;color:#444;margin-top:4px}}
.j-invalid{{color:#a33}} .nw{{white-space:nowrap}}
thead{{display:table-header-group}} tr{{break-inside:avoid}}
figure.chart{{margin:1rem 0;overflow-x:auto}} figure.chart svg{{display:block;width:100%;height:auto}}
@media print{{figure.chart{{overflow:visible;break-inside:avoid}}}}
@media (max-width:700px){{body{{margin:.5rem}} table{{display:block;overflow-x:auto;max-width:100%}}}}
@media print{{body{{margin:0}} td,th{{font-size:10px}} h2{{break-after:avoid}}}} pre{{white-space:pre-wrap;background:#f7f7f7;padding:6px;font-size:12px;max-width:70rem}}
</style></head><body>
<h1>{e(report.name)}</h1>
<p>metric: <b>{e(report.metric)}</b> (0–100); errors score 0. Intervals are {confidence}% bootstrap intervals
over the examples: a difference smaller than their width may be noise.</p>
{banner}
{('<h2>Thresholds</h2><table><tr><th>variant</th><th>metric</th><th>threshold</th><th>value</th>'
  '<th>interval</th><th>result</th></tr>' + ''.join(threshold_html) + '</table>') if threshold_html else ''}
<h2>Summary</h2>
<table><thead><tr>{''.join(f'<th>{e(h)}</th>' for h in head)}</tr></thead>{''.join(summary_rows)}</table>
{('<h2>Paired comparisons</h2><p>b − a on the same examples; "real" when the interval excludes 0.</p>'
  '<table><tr><th>pair</th><th>metric</th><th>difference</th><th>interval</th><th>n</th><th>reading</th></tr>'
  + ''.join(comparison_rows) + '</table>') if comparison_rows else ''}
{('<h2>Spread over repeats</h2><table><tr><th>variant</th><th>metric</th><th>mean</th><th>std</th><th>min</th>'
  '<th>max</th><th>runs</th></tr>' + ''.join(spread_rows) + '</table>') if spread_rows else ''}
{_bar_chart(report)}
<h2>Examples</h2>
<table><thead><tr><th>question</th><th>gold</th>{''.join(f'<th>{e(n)}</th>' for n in names)}</tr></thead>
{''.join(detail)}</table>
<h2>Run details</h2>
<table>{details}</table>
<h2>Prompts</h2>
{''.join(prompt_html)}
</body></html>
"""
