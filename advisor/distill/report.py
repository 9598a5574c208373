"""The distill launch report: ``report.md`` and a self-contained ``report.html`` (no scripts, no fetches).

Every piece of user or model text is escaped for the format it lands in (Markdown: HTML-escaped and
markup characters backslash-escaped; HTML: ``html.escape``).
"""

from __future__ import annotations

import html
import json

from pathlib import Path
from typing import Any

from advisor.files import write_json_atomic


def _md(text: Any) -> str:
    out = html.escape(str(text), quote=False)
    for ch in "\\`*_[]|<>#":
        out = out.replace(ch, "\\" + ch)
    return out.replace("\r", " ").replace("\n", " ")


def _drop_examples(path: Path, per_filter: int = 2) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if not path.exists():
        return out
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            got = out.setdefault(r.get("dropped_by", "?"), [])
            if len(got) < per_filter:
                got.append(f"{r.get('source', r.get('id'))}: {r.get('reason')}")
    return out


def sections(plan, ledger, out: Path) -> list[tuple[str, list[list[Any]] | list[str], list[str] | None]]:
    """(title, rows or lines, header or None) — shared by both formats."""
    res = ledger.resources
    secs: list = []
    steps = [[s.name, "done" if s.name == "report" else ledger.status(s.name),
              "this report" if s.name == "report" else ledger.state["steps"].get(s.name, {}).get("detail", "")]
             for s in plan.steps]
    secs.append(("Steps", steps, ["step", "status", "detail"]))
    secs.append(("Terms you confirmed", list(plan.context.get("terms") or []), None))
    p, h = res("prompts"), res("holdout")
    lines = [f"{p.get('prompts', '?')} prompts after filters and de-duplication "
             f"({p.get('duplicates', 0)} duplicates, {p.get('over_cap', 0)} over the row cap, "
             f"{p.get('log_records_skipped', 0)} unusable log records)"]
    lines += [f"skipped: {s}" for s in p.get("skipped_examples") or []]
    if h:
        lines.append(f"held out before any teacher call: {h.get('test_prompts')} test prompts; "
                     f"{h.get('train_prompts')} for training")
    lc = res("leak_check")
    if lc:
        lines.append(f"leak check: none of {lc.get('test_prompts')} test prompts in "
                     f"{len(lc.get('files_checked') or [])} training files")
    secs.append(("Prompts and held-out set", lines, None))
    if plan.context.get("route") == "managed":
        cj, w = res("create_job"), res("watch")
        secs.append(("Bedrock distillation job", [["job", cj.get("job_name", "-")], ["ARN", cj.get("job_arn", "-")],
                                                  ["status", w.get("job_status", ledger.status("watch"))],
                                                  ["custom model", w.get("output_model_arn", "-")],
                                                  ["prompts uploaded", res("upload").get("s3_uri", "-")]],
                     ["", ""]))
        return secs
    g = res("generate")
    secs.append(("Teacher generation", [f"{g.get('answered', '?')} answers; {g.get('input_tokens', 0):,} input and "
                                        f"{g.get('output_tokens', 0):,} output tokens"
                                        + (f"; Bedrock batch job {g['batch'].get('job_name')}" if g.get("batch") else "")],
                 None))
    f = res("filter")
    drops = f.get("dropped") or {}
    examples = _drop_examples(out / "dropped.jsonl")
    rows = [[name, n, "; ".join(examples.get(name, []))] for name, n in sorted(drops.items())]
    secs.append((f"Filters: {f.get('kept', '?')} of {f.get('read', '?')} kept (dropped records in dropped.jsonl)",
                 rows or [["(none dropped)", 0, ""]], ["filter", "dropped", "examples"]))
    j = res("judge")
    if j:
        lines = [f"{j.get('kept')} accepted, {j.get('rejected')} rejected (judge_rejected.jsonl, with reasons)"]
        a = j.get("agreement")
        if a:
            lines.append(f"agreement with human labels: {a['agreement']:.0%} on {a['rows']} rows, Cohen's kappa "
                         f"{a['kappa']:.2f} (judge accepted a human-rejected answer {a['fp']} times, rejected a "
                         f"human-accepted one {a['fn']} times)")
        else:
            lines.append("agreement with people not measured (add judge.labelled: a sample of 30+ labelled rows)")
        secs.append(("LLM judge", lines, None))
    r = res("relabel")
    if r:
        secs.append(("Relabel", [f"{r.get('relabelled')} judge-rejected answers re-answered and kept, "
                                 f"{r.get('dropped')} still dropped"], None))
    e = res("export")
    if e:
        lora = e.get("lora") or {}
        vals, srcs = lora.get("values") or {}, lora.get("sources") or {}
        secs.append((f"Student data: {e.get('records')} records; LoRA settings (p95 tokens {lora.get('p95_tokens')}, "
                     f"{lora.get('token_estimate')})", [[k, v, srcs.get(k, "")] for k, v in vals.items()],
                     ["setting", "value", "source"]))
        cmds = e.get("commands") or {}
        files = e.get("files") or {}
        secs.append(("Trainers (run from " + str(e.get("folder")) + ")",
                     [[t, ", ".join(files.get(t, [])), cmds.get(t, "Bedrock: advisor launch bedrock_fine_tune "
                                                                  "--train bedrock/train.jsonl …")]
                      for t in ("trl", "llamafactory", "axolotl", "bedrock")], ["trainer", "files", "command"]))
    t = res("train")
    if t:
        secs.append(("Training run", [f"{t.get('trainer')} exited {t.get('exit_code')}; log {t.get('log')}"], None))
    ev = res("evaluate")
    if ev:
        table = ev.get("table") or []
        metric = ev.get("metric")
        secs.append((f"Evaluation on the held-out set ({metric}; reference: {ev.get('reference')})",
                     [[row["variant"], row["model"], row.get(metric), row.get("done"), row.get("output_tokens_mean")]
                      for row in table], ["variant", "model", metric, "answered", "mean output tokens"]))
        c, m = ev.get("cascade") or {}, ev.get("monthly_cost") or {}
        lines = []
        if c.get("share") is not None:
            lines.append(f"the student reaches the quality bar {c['bar']:g} on {c['share']:.0%} of "
                         f"{c['prompts']} held-out prompts: {c.get('threshold')}")
        for key, label in (("student_serving_usd", "student serving per month"),
                           ("teacher_only_usd", "teacher alone per month"),
                           ("cascade_usd", "cascade (student + escalations) per month")):
            if key in m:
                lines.append(f"{label}: ${m[key]:,.2f}")
        for miss in m.get("missing") or []:
            lines.append(f"unknown: {miss}")
        for key, label in (("distilled", "economics"), ("baseline", "economics, today")):
            o = (plan.context.get("economics") or {}).get(key)
            if o and o.get("monthly_usd") is not None:
                lines.append(f"{label}: {o['title']}: ${o['monthly_usd']:,.2f} per month ({o['formula']})")
            elif o:
                lines.append(f"{label}: {o['title']}: needs {', '.join(o.get('missing') or ['more inputs'])}")
        secs.append(("Cascade and cost", lines, None))
    return secs


def render_markdown(plan, secs) -> str:
    out = [f"# Distill launch {_md(plan.name)}", ""]
    for title, body, header in secs:
        out += [f"## {_md(title)}", ""]
        if header is not None:
            out.append("| " + " | ".join(_md(h) for h in header) + " |")
            out.append("|" + "---|" * len(header))
            for row in body:
                out.append("| " + " | ".join(_md(c) for c in row) + " |")
        else:
            out += [f"- {_md(line)}" for line in body] or ["- (nothing)"]
        out.append("")
    return "\n".join(out)


def render_html(plan, secs) -> str:
    e = html.escape
    parts = ["<!doctype html><html><head><meta charset=\"utf-8\">",
             f"<title>Distill launch {e(plan.name)}</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}</style>",
             f"</head><body><h1>Distill launch {e(plan.name)}</h1>"]
    for title, body, header in secs:
        parts.append(f"<h2>{e(str(title))}</h2>")
        if header is not None:
            parts.append("<table><tr>" + "".join(f"<th>{e(str(h))}</th>" for h in header) + "</tr>")
            for row in body:
                parts.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>")
            parts.append("</table>")
        else:
            parts.append("<ul>" + "".join(f"<li>{e(str(line))}</li>" for line in body) + "</ul>")
    parts.append("</body></html>")
    return "".join(parts)


def write_reports(plan, ledger, out: Path) -> dict[str, Path]:
    from advisor.engine.evidence import remeasure_command

    secs = sections(plan, ledger, out)
    secs.append(("Re-measure", ["feed the evaluation's results back into the advice:", remeasure_command(
        (plan.inputs.get("answers") or {}).get("path"), str(Path(out) / "eval" / "run" / "results.json"))], None))
    md, page = out / "report.md", out / "report.html"
    md.write_text(render_markdown(plan, secs), encoding="utf-8")
    page.write_text(render_html(plan, secs), encoding="utf-8")
    write_json_atomic(out / "report.json", {"sections": [{"title": t, "header": h, "body": b} for t, b, h in secs]})
    return {"markdown": md, "html": page}



