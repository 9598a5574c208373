"""Hostile answers and a hostile --prices file cannot put markup, images, links or new table cells
into the Markdown report or the ADR (issue 16, security).

The documents are read back with markdown-it (CommonMark with GitHub's tables), as GitHub and GitLab
would read them, and the rendered HTML is checked the way a reader would meet it.
"""

from __future__ import annotations

import re

import pytest
import yaml

from tests.reports.conftest import ANSWERS

HOSTILE = ('Evil <img src=x onerror=alert(1)> ![t](http://evil.example/t.png) [l](https://evil.example/l) '
           'a|b `x <script>alert(5)</script>\n# Heading\n| new | row |')


def _hostile_files(tmp_path):
    answers = yaml.safe_load((ANSWERS / "bedrock_fine_tune.yaml").read_text(encoding="utf-8"))
    answers["answers"]["project_name"] = HOSTILE
    answers_file = tmp_path / "answers.yaml"
    answers_file.write_text(yaml.safe_dump(answers), encoding="utf-8")
    prices = {"currency": "USD", "token_prices": [{
        "id": "claude-haiku-4-5",
        "name": "Haiku <img src=x onerror=alert(2)> ![p](http://evil.example/p.png) | pipe `tick\nnew line",
        "model_ids": ["anthropic.claude-haiku-4-5-20251001-v1:0"],
        "input_per_million": 1.0, "output_per_million": 5.0,
        "sources": ["my note <img src=x onerror=alert(3)> ![s](http://evil.example/s.png) www.evil.example",
                    "http://evil.example/<img src=x onerror=alert(4)>|x`y"]}]}
    prices_file = tmp_path / "prices.yaml"
    prices_file.write_text(yaml.safe_dump(prices), encoding="utf-8")
    return answers_file, prices_file


def _markdown_html(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table").render(text)


@pytest.fixture
def hostile_reports(tmp_path, run_cli):
    answers_file, prices_file = _hostile_files(tmp_path)
    out = {}
    for fmt in ("markdown", "adr"):
        target = tmp_path / f"report-{fmt}.md"
        result = run_cli("recommend", "--answers", str(answers_file), "--prices", str(prices_file),
                         "--format", fmt, "--output", str(target))
        assert result.code == 0, result.err
        out[fmt] = target.read_text(encoding="utf-8")
    return out


@pytest.mark.parametrize("fmt", ["markdown", "adr"])
def test_hostile_answers_and_price_file_stay_text(hostile_reports, fmt):
    text = hostile_reports[fmt]
    # The hostile texts did reach the document (as text) ...
    assert "onerror=alert(1)" in text and "onerror=alert(2)" in text and "onerror=alert(3)" in text
    html = _markdown_html(text)
    # ... but a reader's renderer makes no element, image or link of them.
    assert not re.search(r"<(img|script)\b", html, re.IGNORECASE), "user text became HTML"
    assert not re.search(r'(src|href)="https?://evil', html), "user text became an image or a link"
    # GitHub and GitLab also turn bare addresses into links (autolinks): none is left live.
    assert not re.search(r"(?<![\\])(https?://|www\.)evil", text)
    # No heading or new table row was smuggled in through a newline.
    assert "<h1>Heading" not in html and "<td>new</td>" not in html


def test_hostile_text_cannot_add_table_cells(hostile_reports):
    """Every row of every table has as many cells as its header (a stray | would add one)."""
    html = _markdown_html(hostile_reports["markdown"])
    tables = re.findall(r"<table>(.*?)</table>", html, re.DOTALL)
    assert tables
    for table in tables:
        head = len(re.findall(r"<th\b", table.split("</thead>")[0]))
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("</thead>")[1], re.DOTALL):
            assert len(re.findall(r"<td\b", row)) == head, row


def test_escapes_keep_the_rule_base_code_spans():
    from advisor.reports.render import md_text

    assert md_text("set `epochs` to 2 | 3") == r"set `epochs` to 2 \| 3"
    # An unmatched backtick is a literal backtick: what follows it is escaped, not taken as code.
    assert md_text("a ` <img src=x>") == r"a \` \<img src=x\>"
    assert md_text("a \\<img>") == r"a \\\<img\>"
