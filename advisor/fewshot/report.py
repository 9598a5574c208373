"""Launch reports for the prompting launchers: Markdown and one self-contained HTML file.

Sections are data (title, paragraphs, tables, code blocks) rendered twice, so both files always say
the same. Every piece of user text is escaped: Markdown markup is made inert, HTML is escaped, and
the HTML carries a Content-Security-Policy that forbids scripts and fetches.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.values import markdown_inline as _md


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    table: list[dict[str, Any]] = field(default_factory=list)
    code: str | None = None
    bullets: list[str] = field(default_factory=list)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def render_markdown(title: str, sections: list[Section]) -> str:
    out = [f"# {_md(title)}", ""]
    for s in sections:
        out += [f"## {_md(s.title)}", ""]
        for p in s.paragraphs:
            out += [_md(p), ""]
        for b in s.bullets:
            out.append(f"- {_md(b)}")
        if s.bullets:
            out.append("")
        if s.table:
            cols = list(s.table[0])
            out.append("| " + " | ".join(_md(c) for c in cols) + " |")
            out.append("|" + "---|" * len(cols))
            for row in s.table:
                out.append("| " + " | ".join(_md(_cell(row.get(c))) for c in cols) + " |")
            out.append("")
        if s.code:
            fence = "````" if "```" in s.code else "```"
            out += [fence, s.code.replace("\r", ""), fence, ""]
    return "\n".join(out)


def render_html(title: str, sections: list[Section]) -> str:
    e = html.escape
    body = []
    for s in sections:
        body.append(f"<h2>{e(s.title)}</h2>")
        body += [f"<p>{e(p)}</p>" for p in s.paragraphs]
        if s.bullets:
            body.append("<ul>" + "".join(f"<li>{e(b)}</li>" for b in s.bullets) + "</ul>")
        if s.table:
            cols = list(s.table[0])
            body.append("<table><tr>" + "".join(f"<th>{e(str(c))}</th>" for c in cols) + "</tr>"
                        + "".join("<tr>" + "".join(f"<td>{e(_cell(r.get(c)))}</td>" for c in cols) + "</tr>"
                                  for r in s.table) + "</table>")
        if s.code:
            body.append(f"<pre><code>{e(s.code)}</code></pre>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{e(title)}</title>
<style>body{{font-family:sans-serif;max-width:64em;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}}
pre{{background:#f6f6f6;padding:.6em;white-space:pre-wrap}}</style></head><body>
<h1>{e(title)}</h1>
{chr(10).join(body)}
</body></html>
"""


def write_report(folder: Path, title: str, sections: list[Section]) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    md, page = folder / "report.md", folder / "report.html"
    _write_atomic(md, render_markdown(title, sections))
    _write_atomic(page, render_html(title, sections))
    return {"markdown": md, "html": page}


def _write_atomic(path: Path, text: str) -> None:
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
