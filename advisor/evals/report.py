"""Score a run's rows and render the comparison: terminal table, CSV, JSON and a self-contained HTML page.

Scores are computed from the stored raw text every time a report is made, so changing the metric or the
post-processing never needs new model calls. Calls that ended in an error score 0 (and are counted).
Costs use the rule base's sourced prices (``rules/prices.yaml``, overridable with ``prices:``); a model
without a sourced price shows no cost rather than a guess.
"""

from __future__ import annotations

import csv
import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.evals.dataset import dumps_gold
from advisor.evals.metrics import token_stats

PRIMARY = {"tatqa": "f1", "f1": "f1", "squad": "f1", "exact": "exact_match", "accuracy": "accuracy",
           "json": "matches_schema"}


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
    """Scored rows and summaries for every variant."""

    name: str
    metric: str
    variants: list[VariantSummary]
    rows: list[dict[str, Any]]

    @property
    def threshold_misses(self) -> list[str]:
        return [m for v in self.variants for m in v.threshold_misses]

    @property
    def errors(self) -> int:
        """Planned calls without an answer (final errors, or rows missing after an aborted run)."""
        return sum(v.examples - v.done for v in self.variants)


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
        return _NoPrices(str(exc))


class _NoPrices:
    def __init__(self, why: str):
        self.why = why

    def for_model(self, model_id: str):
        return None


def build_report(result) -> Report:
    """Score every row of a :class:`~advisor.evals.harness.RunResult` and summarise per variant."""
    from advisor.evals import postprocess
    from advisor.evals.metrics import score_example
    from advisor.evals.tatqa import score_question

    loaded = result.plan.loaded
    cfg = loaded.config
    schema = None
    if cfg.metric == "json" and cfg.json_schema:
        from advisor.evals.scoring import read_json

        schema = read_json(loaded.resolve(cfg.json_schema))
    prices = _prices(loaded)
    rows_out: list[dict[str, Any]] = []
    summaries: list[VariantSummary] = []
    for v in cfg.variants:
        summary = VariantSummary(v.name, v.model, v.provider, len(result.plan.examples))
        post = v.postprocess or cfg.postprocess
        per_metric: dict[str, list[float]] = {}
        outs: list[int] = []
        latencies: list[float] = []
        price = prices.for_model(v.model)
        for example in result.plan.examples:
            row = result.rows.get((v.name, example.id))
            status = row["status"] if row else "missing"
            text = row.get("text") if row and status == "ok" else None
            prediction = postprocess.apply(post, text) if text is not None else None
            if cfg.metric == "tatqa":
                answer, scale = prediction if isinstance(prediction, tuple) else (prediction, "")
                q = score_question(example.gold, answer, scale)
                scores = {"exact_match": q.exact_match, "f1": q.f1}
                shown = {"prediction": answer, "scale": scale}
            else:
                scores = score_example(cfg.metric, example.gold, prediction if prediction is not None else "",
                                       schema)
                shown = {"prediction": prediction}
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
                per_metric.setdefault(key, []).append(value)
            rows_out.append({
                "variant": v.name, "id": example.id, "question": str(example.fields.get("question", "")),
                "gold": dumps_gold(example.gold), "output": row.get("text") if row else None, **shown,
                **{k: round(val * 100, 2) for k, val in scores.items()},
                "input_tokens": row.get("input_tokens") if row else None,
                "output_tokens": row.get("output_tokens") if row else None,
                "latency_ms": row.get("latency_ms") if row else None,
                "cached": bool(row.get("cached")) if row else False,
                "status": status, "error": row.get("error") if row else None,
            })
        n = len(result.plan.examples) or 1
        summary.metrics = {k: round(100 * math.fsum(vals) / n, 2) for k, vals in per_metric.items()}
        stats = token_stats(outs)
        summary.output_token_stats = stats.as_dict() if stats else None
        if price is not None:
            summary.cost_usd = round(price.cost(summary.input_tokens, summary.output_tokens), 6)
        summary.latency_p50_ms = _percentile(latencies, 0.5)
        summary.latency_p95_ms = _percentile(latencies, 0.95)
        for key, minimum in v.thresholds.items():
            value = summary.metrics.get(key)
            if value is None:
                summary.threshold_misses.append(f"{v.name}: no metric {key!r} to compare with {minimum}")
            elif value < minimum:
                summary.threshold_misses.append(f"{v.name}: {key} {value:.2f} is below the threshold {minimum:g}")
        summaries.append(summary)
    return Report(cfg.name, cfg.metric, summaries, rows_out)


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def render_terminal(report: Report) -> str:
    """A side-by-side table: one line per variant with metrics, token statistics, cost and latency."""
    metric_keys = list(report.variants[0].metrics) if report.variants else []
    head = ["variant", "model", "done", "err", *metric_keys, "out mean", "median", "std", "min", "max",
            "cost $", "p50 ms"]
    lines = [head]
    for v in report.variants:
        st = v.output_token_stats or {}
        lines.append([v.name, v.model if len(v.model) <= 40 else "…" + v.model[-39:], f"{v.done}/{v.examples}",
                      str(v.errors), *[_fmt(v.metrics.get(k)) for k in metric_keys],
                      _fmt(st.get("mean"), 1), _fmt(st.get("median"), 1), _fmt(st.get("stdev"), 1),
                      _fmt(st.get("min")), _fmt(st.get("max")),
                      _fmt(v.cost_usd, 4), _fmt(v.latency_p50_ms, 0)])
    widths = [max(len(str(r[i])) for r in lines) for i in range(len(head))]
    out = []
    for index, r in enumerate(lines):
        out.append("  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def write_outputs(report: Report, out_dir: Path, formats: tuple[str, ...] = ("csv", "json", "html")) -> list[Path]:
    """Write ``results.csv``, ``results.json`` and ``report.html`` to ``out_dir``; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    if "csv" in formats:
        path = out_dir / "results.csv"
        keys: list[str] = []
        for row in report.rows:
            keys += [k for k in row if k not in keys]
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=keys)
            writer.writeheader()
            for row in report.rows:
                writer.writerow({k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v)
                                 for k, v in row.items()})
        written.append(path)
    if "json" in formats:
        path = out_dir / "results.json"
        path.write_text(json.dumps({"name": report.name, "metric": report.metric,
                                    "variants": [v.as_dict() for v in report.variants],
                                    "rows": report.rows}, indent=2, ensure_ascii=False), encoding="utf-8")
        written.append(path)
    if "html" in formats:
        path = out_dir / "report.html"
        path.write_text(render_html(report), encoding="utf-8")
        written.append(path)
    return written


def _bar_chart(report: Report) -> str:
    """An inline SVG bar chart of every metric per variant (no scripts, no external files)."""
    from advisor.reports.charts import bar_chart_svg

    keys = list(report.variants[0].metrics) if report.variants else []
    groups = [(v.name, [(key, v.metrics.get(key, 0.0) or 0.0) for key in keys]) for v in report.variants]
    return bar_chart_svg(groups, maximum=100.0, label="metrics per variant")


def render_html(report: Report) -> str:
    """A self-contained HTML page: summary table, bar chart, and every example side by side."""
    e = html.escape
    keys = list(report.variants[0].metrics) if report.variants else []
    summary_rows = []
    for v in report.variants:
        st = v.output_token_stats or {}
        cells = [e(v.name), e(v.model), f"{v.done}/{v.examples}", str(v.errors),
                 *[_fmt(v.metrics.get(k)) for k in keys], _fmt(st.get("mean"), 1), _fmt(st.get("median"), 1),
                 _fmt(st.get("stdev"), 1), _fmt(st.get("min")), _fmt(st.get("max")), _fmt(v.cost_usd, 4),
                 _fmt(v.latency_p50_ms, 0), _fmt(v.latency_p95_ms, 0)]
        summary_rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = ["variant", "model", "done", "errors", *keys, "out tokens mean", "median", "std", "min", "max",
            "cost USD", "p50 ms", "p95 ms"]
    names = [v.name for v in report.variants]
    by_example: dict[str, dict[str, dict]] = {}
    order: list[str] = []
    for row in report.rows:
        if row["id"] not in by_example:
            order.append(row["id"])
        by_example.setdefault(row["id"], {})[row["variant"]] = row
    primary = PRIMARY.get(report.metric, keys[0] if keys else "")
    detail = []
    for ex_id in order:
        cells = by_example[ex_id]
        first = next(iter(cells.values()))
        tds = []
        for name in names:
            r = cells.get(name, {})
            pred = r.get("prediction")
            pred_text = json.dumps(pred, ensure_ascii=False) if isinstance(pred, list) else str(pred or "")
            if r.get("scale"):
                pred_text += f" ({r['scale']})"
            score = r.get(primary)
            cls = "err" if r.get("status") not in ("ok", None) else ("good" if score and score >= 50 else "bad")
            tds.append(f'<td class="{cls}"><div>{e(pred_text)}</div><small>{e(primary)} {_fmt(score)}'
                       f'{" · " + e(str(r.get("error"))) if r.get("error") else ""}</small></td>')
        detail.append(f"<tr><td><div>{e(first['question'])}</div><small>{e(ex_id)}</small></td>"
                      f"<td>{e(first['gold'])}</td>{''.join(tds)}</tr>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(report.name)} — advisor eval</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}} table{{border-collapse:collapse;margin:1rem 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}} th{{background:#f3f3f3}}
td.good{{background:#eef8ee}} td.bad{{background:#fbeeee}} td.err{{background:#fff4d6}} small{{color:#666}}
</style></head><body>
<h1>{e(report.name)}</h1><p>metric: <b>{e(report.metric)}</b> (0–100); errors score 0.</p>
<table><tr>{''.join(f'<th>{e(h)}</th>' for h in head)}</tr>{''.join(summary_rows)}</table>
{_bar_chart(report)}
<h2>Examples</h2>
<table><tr><th>question</th><th>gold</th>{''.join(f'<th>{e(n)}</th>' for n in names)}</tr>{''.join(detail)}</table>
</body></html>
"""
