"""The Markdown report's decision tree as a Mermaid flowchart: well formed, escaped, path highlighted."""

from __future__ import annotations

import re
from itertools import pairwise
from types import SimpleNamespace

from advisor.reports import render_report
from advisor.reports.mermaid import decision_tree_mermaid, mermaid_label
from tests.reports.conftest import recommend

NODE = re.compile(r'^  (\w+)(\(\[|\[)"([^"]*)"(\]\)|\])$')
EDGE = re.compile(r"^  (\w+) --> (\w+)$")


def _parse(chart: str):
    """Check every line against the small grammar the charts use; return nodes, edges, taken, hot edges."""
    lines = chart.split("\n")
    assert lines[0] == "flowchart TD"
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    taken: list[str] = []
    hot: list[int] = []
    for line in lines[1:]:
        if m := NODE.match(line):
            assert (m.group(2), m.group(4)) in (("([", "])"), ("[", "]")), line
            assert m.group(1) not in nodes
            nodes[m.group(1)] = m.group(3)
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        elif line.startswith("  classDef taken "):
            pass
        elif line.startswith("  class "):
            taken = line.split()[1].split(",")
            assert line.split()[2] == "taken"
        elif line.startswith("  linkStyle "):
            hot = [int(i) for i in line.split()[1].split(",")]
        else:
            raise AssertionError(f"unexpected line {line!r}")
    assert all(a in nodes and b in nodes for a, b in edges)
    assert all(t in nodes for t in taken) and all(0 <= i < len(edges) for i in hot)
    return nodes, edges, taken, hot


def _unescape(label: str) -> str:
    return re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), label)


def test_markdown_report_has_the_tree_with_the_chosen_path(rulebase):
    rec = recommend(rulebase, "bedrock_fine_tune")
    text = render_report(rec, "markdown", rulebase)
    fences = re.findall(r"^```(\w*)$", text, re.MULTILINE)
    assert fences == ["mermaid", ""], "one mermaid block, closed"
    chart = text.split("```mermaid\n", 1)[1].split("\n```", 1)[0]
    nodes, edges, taken, hot = _parse(chart)
    rule = next(r for r in rulebase.decision.rules if r.id == next(f.rule for f in rec.trace if f.kind == "decision"))
    # The highlighted nodes are start, each condition of the fired rule in order, then its outcome.
    labels = [_unescape(nodes[t]) for t in taken]
    assert labels[0] == "start"
    assert labels[1:-1] == [c.text for c in rule.when]
    assert labels[-1].endswith("[bedrock_fine_tune]")
    # The highlighted links join exactly those nodes, one after the other.
    assert [edges[i] for i in hot] == list(pairwise(taken))
    # Every rule's outcome is in the tree.
    outcomes = {_unescape(v).rsplit("[", 1)[-1].rstrip("]") for v in nodes.values() if v.endswith("#93;")}
    assert outcomes == {r.then for r in rulebase.decision.rules}


def test_undecided_report_highlights_nothing(rulebase):
    text = render_report(recommend(rulebase, "undetermined"), "markdown", rulebase)
    chart = text.split("```mermaid\n", 1)[1].split("\n```", 1)[0]
    _, _, taken, hot = _parse(chart)
    assert taken == [] and hot == []


def test_hostile_rule_text_stays_inside_its_label():
    nasty = 'x"]) --> evil["pwn"]; click n0 "http://evil.example" | `` ``` <img src=x onerror=1> #quot; \\ {a} [b]'
    rules = [SimpleNamespace(id="r1", priority=2, then="p1", when=[SimpleNamespace(text=nasty)]),
             SimpleNamespace(id="r2", priority=1, then="p2", when=[SimpleNamespace(text="plain\nsecond line")])]
    outcomes = {"p1": SimpleNamespace(title='Title "quoted" | [x] ```'), "p2": SimpleNamespace(title="ok")}
    rulebase = SimpleNamespace(decision=SimpleNamespace(rules=rules), outcomes=outcomes)
    chart = decision_tree_mermaid(rulebase, "r1")
    assert "```" not in chart and "<img" not in chart
    nodes, _edges, taken, _ = _parse(chart)
    assert _unescape(nodes[taken[1]]) == " ".join(nasty.split())
    assert "plain second line" in {_unescape(v) for v in nodes.values()}
    assert mermaid_label('a"b') == '"a#34;b"'
