"""The launch report: Markdown and self-contained HTML (inline SVG loss curves, no scripts, no fetches)."""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path

from advisor.values import markdown_inline as _md

STEP_ORDER = ("preflight", "data", "upload", "create_job", "watch", "metrics", "deploy", "evaluate", "report")


def loss_svg(series: dict[str, list[tuple[float, float]]], width: int = 560, height: int = 240) -> str:
    """A line chart of loss against step, one polyline per series (inline SVG)."""
    points = [p for pts in series.values() for p in pts]
    if not points:
        return ""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1 = min(xs), max(xs) or 1.0
    y0, y1 = min(ys), max(ys)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y1 = y0 + 1
    pad = 40

    def sx(x):
        return pad + (x - x0) / (x1 - x0) * (width - 2 * pad)

    def sy(y):
        return height - pad - (y - y0) / (y1 - y0) * (height - 2 * pad)

    colours = {"training": "#1f77b4", "validation": "#d62728"}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="loss curves">',
             f'<rect width="{width}" height="{height}" fill="#fff"/>',
             f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#444"/>',
             f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#444"/>',
             f'<text x="{width / 2}" y="{height - 8}" font-size="12" text-anchor="middle">step</text>',
             f'<text x="{pad - 4}" y="{pad - 6}" font-size="11" text-anchor="start">loss {y1:.3g}</text>',
             f'<text x="{pad - 4}" y="{height - pad + 14}" font-size="11">{y0:.3g}</text>']
    for i, (name, pts) in enumerate(series.items()):
        if not pts:
            continue
        colour = colours.get(name, "#2ca02c")
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in sorted(pts))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>')
        parts.append(f'<text x="{width - pad}" y="{pad + 14 * i}" font-size="12" fill="{colour}" '
                     f'text-anchor="end">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def parse_metrics(path: Path, column: str) -> list[tuple[float, float]]:
    """(step, loss) points of a Bedrock metrics CSV; rows without numbers are skipped."""
    if not path.exists():
        return []
    points = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(io.StringIO(fh.read())):
            try:
                points.append((float(row["step_number"]), float(row[column])))
            except (KeyError, TypeError, ValueError):
                continue
    return points


def _series(folder: Path) -> dict[str, list[tuple[float, float]]]:
    return {"training": parse_metrics(folder / "metrics" / "training.csv", "training_loss"),
            "validation": parse_metrics(folder / "metrics" / "validation.csv", "validation_loss")}


def _cost_lines(plan) -> list[str]:
    lines = []
    for s in plan.billed:
        amount = s.cost_unit or (f"${s.cost_usd:,.2f}" if s.cost_usd is not None else "unknown")
        lines.append(f"{s.name}: {amount} ({s.cost_note})")
    return lines


def remeasure_line(plan, results: Path) -> str:
    """``advisor recommend --answers … --evidence …/results.json`` for this launch (every report ends with it)."""
    from advisor.engine.evidence import remeasure_command

    return remeasure_command((plan.inputs.get("answers") or {}).get("path"), str(results))


def write_reports(plan, ledger, folder: Path) -> dict[str, Path]:
    folder = Path(folder)
    series = _series(folder)
    steps = dict(ledger.state.get("steps", {}))
    steps["report"] = {**steps.get("report", {}), "status": "done"}  # this file is that step's result
    evaluate = steps.get("evaluate", {}).get("resources", {})
    table = evaluate.get("table") or []
    cleanup = f"advisor launch cleanup {plan.name} --yes"
    remeasure = remeasure_line(plan, folder / "eval" / "run" / "results.json")
    # Markdown
    md = [f"# Launch report: {_md(plan.name)} ({_md(plan.path)})", "",
          f"Model: {_md(plan.context.get('model_name'))} (`{_md(plan.context.get('base_model_id'))}`) in "
          f"{_md(plan.context.get('region'))}", "", "## Steps", "", "| step | status | detail | resources |",
          "| --- | --- | --- | --- |"]
    for s in plan.steps:
        entry = steps.get(s.name, {})
        res = "; ".join(f"{_md(k)}: {_md(v)}" for k, v in entry.get("resources", {}).items()
                        if not isinstance(v, (list, dict)))
        md.append(f"| {_md(s.name)} | {_md(entry.get('status', 'pending'))} | {_md(entry.get('detail', ''))} | {res} |")
    md += ["", "## Loss curves", ""]
    for name, pts in series.items():
        if pts:
            md.append(f"- {name}: {len(pts)} points, first {pts[0][1]:.4g}, last {pts[-1][1]:.4g}")
    if not any(series.values()):
        md.append("No metrics yet.")
    md += ["", "## Evaluation", ""]
    if table:
        cols = list(table[0])
        md.append("| " + " | ".join(cols) + " |")
        md.append("| " + " | ".join("---" for _ in cols) + " |")
        for row in table:
            md.append("| " + " | ".join(_md(row.get(c, "")) for c in cols) + " |")
    else:
        md.append("Not run.")
    md += ["", "## Cost", ""] + [f"- {_md(line)}" for line in _cost_lines(plan)]
    md += ["", "## Cleanup", "", f"`{cleanup}` deletes what this launch deployed (add `--delete-model` to delete the "
           "custom model too). Your data in S3 is never deleted.", "",
           "## Re-measure", "", "Feed the evaluation's results back into the advice:", "", f"`{remeasure}`", ""]
    md_path = folder / "report.md"
    md_path.write_text("\n".join(md), encoding="utf-8")
    # HTML
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(s.name)}</td><td>{e(str(steps.get(s.name, {}).get('status', 'pending')))}</td>"
        f"<td>{e(str(steps.get(s.name, {}).get('detail', '')))}</td>"
        f"<td>{e('; '.join(f'{k}: {v}' for k, v in steps.get(s.name, {}).get('resources', {}).items() if not isinstance(v, (list, dict))))}</td></tr>"
        for s in plan.steps)
    eval_html = "<p>Not run.</p>"
    if table:
        cols = list(table[0])
        eval_html = ("<table><tr>" + "".join(f"<th>{e(c)}</th>" for c in cols) + "</tr>"
                     + "".join("<tr>" + "".join(f"<td>{e(str(r.get(c, '')))}</td>" for c in cols) + "</tr>"
                               for r in table) + "</table>")
    svg = loss_svg(series) or "<p>No metrics yet.</p>"
    costs = "".join(f"<li>{e(line)}</li>" for line in _cost_lines(plan))
    doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Launch report: {e(plan.name)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;overflow-wrap:anywhere}}
pre{{white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}}
table{{border-collapse:collapse;display:block;overflow-x:auto;max-width:100%}}
td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top;overflow-wrap:break-word}}
svg{{display:block;max-width:100%;height:auto}}
@media (max-width:40em){{body{{margin:1em auto;padding:0 .6em}} td,th{{padding:.2em .4em;font-size:.9em}}}}
@media print{{body{{margin:0;max-width:none;padding:0;font-size:10pt}} table{{display:table}}
tr,svg{{break-inside:avoid}} h2{{break-after:avoid}}}}</style></head><body>
<h1>Launch report: {e(plan.name)} ({e(plan.path)})</h1>
<p>Model: {e(str(plan.context.get('model_name')))} (<code>{e(str(plan.context.get('base_model_id')))}</code>) in {e(str(plan.context.get('region')))}</p>
<h2>Steps</h2><table><tr><th>step</th><th>status</th><th>detail</th><th>resources</th></tr>{rows}</table>
<h2>Loss curves</h2>{svg}
<h2>Evaluation</h2>{eval_html}
<h2>Cost</h2><ul>{costs}</ul>
<h2>Cleanup</h2><p><code>{e(cleanup)}</code> deletes what this launch deployed; your S3 data is never deleted.</p>
<h2>Re-measure</h2><p>Feed the evaluation's results back into the advice:</p><pre>{e(remeasure)}</pre>
</body></html>
"""
    html_path = folder / "report.html"
    html_path.write_text(doc, encoding="utf-8")
    return {"markdown": md_path, "html": html_path}
