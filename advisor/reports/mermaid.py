"""The decision table as a Mermaid flowchart for the Markdown report (GitHub and GitLab draw it).

Each condition of the rule base is a node, shared prefixes of rules merge (the same tree as the HTML
picture in :mod:`advisor.reports.charts`), and each rule ends in an outcome node. The path taken for
the answers is highlighted with a class and a link style. Every label is quoted, and every character
that means something to Mermaid, to Markdown or to HTML is written as a Mermaid entity code
(``#34;`` for a double quote), so no text of a rule base, shipped or the user's own, can end a label,
a node, the code fence or add markup.
"""

from __future__ import annotations

import re

from advisor.reports.charts import _trie, _walk

__all__ = ["decision_tree_mermaid", "mermaid_label"]

HIGHLIGHT = "#1a7f37"
# Characters written as entity codes inside a quoted label: the quote itself, Mermaid's own syntax
# (brackets, braces, pipes, ";" and the "#" that starts an entity code), the backtick (a Mermaid
# Markdown string, or the end of the code fence), the backslash and HTML's "<", ">" and "&".
_SPECIAL = re.compile(r'[#;"`<>&|\[\]{}\\]')


def mermaid_label(text: object) -> str:
    """``text`` on one line as a quoted Mermaid label, with its special characters as entity codes."""
    one_line = " ".join(str(text).split())
    return '"' + _SPECIAL.sub(lambda m: f"#{ord(m.group())};", one_line) + '"'


def decision_tree_mermaid(rulebase, path_rule: str | None) -> str:
    """A ``flowchart TD`` (without the code fence) of the decision table, the path to ``path_rule`` highlighted."""
    rules = sorted(rulebase.decision.rules, key=lambda r: -r.priority)
    by_id = {r.id: r for r in rules}
    root = _trie(rules)
    taken: set[tuple[str, ...]] = set()
    if path_rule in by_id:
        texts = tuple(c.text for c in by_id[path_rule].when)
        taken = {texts[:i] for i in range(len(texts) + 1)}
    nodes = list(_walk(root))
    ids = {n.key: f"n{i}" for i, n in enumerate(nodes)}
    lines = ["flowchart TD"]
    edges: list[tuple[str, str, bool]] = []
    on_path: list[str] = []
    for n in nodes:
        nid = ids[n.key]
        label = mermaid_label(n.key[-1]) if n.key else mermaid_label("start")
        lines.append(f"  {nid}([{label}])")
        if n.key in taken:
            on_path.append(nid)
        for child in n.children:
            edges.append((nid, ids[child.key], child.key in taken))
        if n.leaf_of is not None:
            rule = by_id[n.leaf_of]
            outcome = rulebase.outcomes.get(rule.then)
            title = outcome.title.replace("${model_name}", "a catalogue model") if outcome else rule.then
            oid = f"{nid}_{rule.then}" if re.fullmatch(r"\w+", rule.then) else f"{nid}_outcome"
            lines.append(f"  {oid}[{mermaid_label(f'{title} [{rule.then}]')}]")
            chosen = rule.id == path_rule
            edges.append((nid, oid, chosen))
            if chosen:
                on_path.append(oid)
    lines += [f"  {a} --> {b}" for a, b, _ in edges]
    lines.append(f"  classDef taken fill:{HIGHLIGHT},stroke:{HIGHLIGHT},color:#ffffff,font-weight:bold")
    if on_path:
        lines.append(f"  class {','.join(on_path)} taken")
    highlighted = [str(i) for i, (_, _, hot) in enumerate(edges) if hot]
    if highlighted:
        lines.append(f"  linkStyle {','.join(highlighted)} stroke:{HIGHLIGHT},stroke-width:3px")
    return "\n".join(lines)
