"""Pictures for the HTML report, drawn with matplotlib and returned as inline SVG text.

matplotlib is imported here only, and this module only when an HTML report is rendered, so the
headless CLI stays fast. Output is deterministic (fixed hash salt, no date) so reports can be diffed.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field
from typing import Any

__all__ = ["decision_tree_svg", "cost_chart_svg"]

_HIGHLIGHT = "#1a7f37"
_MUTED = "#8c959f"
_TEXT = "#1f2328"
_RC = {
    "svg.hashsalt": "advisor-report",  # stable element ids across runs
    "svg.fonttype": "none",  # keep text as text: smaller, selectable, searchable
    "font.family": "sans-serif",
    "font.size": 9,
}


def _svg(fig) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog, DOCTYPE or date)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buf.getvalue()
    return text[text.index("<svg"):].strip()


@dataclass
class _Node:
    key: tuple[str, ...]
    depth: int
    children: list["_Node"] = field(default_factory=list)
    leaf_of: str | None = None  # rule id when a rule ends here
    y: float = 0.0


def _trie(rules) -> _Node:
    """The decision table as a tree: each rule is a path of its conditions, shared prefixes merge."""
    root = _Node((), 0)
    index: dict[tuple[str, ...], _Node] = {(): root}
    for rule in rules:
        parent = root
        texts = tuple(c.text for c in rule.when)
        for depth in range(1, len(texts) + 1):
            key = texts[:depth]
            node = index.get(key)
            if node is None:
                node = _Node(key, depth)
                index[key] = node
                parent.children.append(node)
            parent = node
        parent.leaf_of = rule.id
    return root


def _layout(node: _Node, next_row: list[float]) -> None:
    """Leaves take successive rows; an inner node sits at the middle of its children."""
    if not node.children:
        node.y = next_row[0]
        next_row[0] += 1
        return
    for child in node.children:
        _layout(child, next_row)
    node.y = sum(c.y for c in node.children) / len(node.children)


def decision_tree_svg(rulebase, path_rule: str | None) -> str:
    """The decision table drawn as a tree, with the taken path (rule ``path_rule``) highlighted."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    rules = sorted(rulebase.decision.rules, key=lambda r: -r.priority)
    by_id = {r.id: r for r in rules}
    root = _trie(rules)
    rows = [0.0]
    _layout(root, rows)
    taken: set[tuple[str, ...]] = set()
    if path_rule in by_id:
        texts = tuple(c.text for c in by_id[path_rule].when)
        taken = {texts[:i] for i in range(len(texts) + 1)}
    max_depth = max(len(r.when) for r in rules) if rules else 1

    with rc_context(_RC):
        fig = Figure(figsize=(11, 0.85 * rows[0] + 1.0))
        ax = fig.add_axes((0.01, 0.02, 0.98, 0.96))
        ax.set_xlim(-0.35, max_depth + 1.75)
        ax.set_ylim(rows[0] - 0.4, -0.6)
        ax.axis("off")

        def draw(node: _Node) -> None:
            on_path = node.key in taken
            for child in node.children:
                child_on = child.key in taken
                colour, width = (_HIGHLIGHT, 3.0) if child_on else (_MUTED, 1.2)
                ax.plot([node.depth, node.depth, child.depth], [node.y, child.y, child.y],
                        color=colour, linewidth=width, solid_capstyle="round", zorder=1)
                label = "\n".join(textwrap.wrap(child.key[-1], 24, break_long_words=False))
                ax.text((node.depth + child.depth) / 2 + 0.05, child.y - 0.1, label, ha="center",
                        va="bottom", fontsize=8, color=_TEXT if child_on else "#57606a",
                        fontweight="bold" if child_on else "normal", zorder=3)
                draw(child)
            if node.leaf_of is not None:
                rule = by_id[node.leaf_of]
                outcome = rulebase.outcomes.get(rule.then)
                title = outcome.title.replace("${model_name}", "a catalogue model") if outcome else rule.then
                label = "\n".join(textwrap.wrap(title, 30)) + f"\n[{rule.then}]"
                ax.text(node.depth + 0.12, node.y, label, ha="left", va="center", fontsize=8,
                        color="white" if on_path else _TEXT, fontweight="bold" if on_path else "normal",
                        bbox={"boxstyle": "round,pad=0.4", "facecolor": _HIGHLIGHT if on_path else "#f6f8fa",
                              "edgecolor": _HIGHLIGHT if on_path else _MUTED}, zorder=4)
            elif node.depth == 0:
                ax.text(node.depth - 0.05, node.y, "start", ha="right", va="center", fontsize=9, color=_TEXT)
            ax.plot([node.depth], [node.y], marker="o", markersize=6 if on_path else 4,
                    color=_HIGHLIGHT if on_path else _MUTED, zorder=2)

        draw(root)
        return _svg(fig)


def cost_chart_svg(economics: dict[str, Any]) -> str | None:
    """Monthly cost against monthly requests for every costed option (log-log), with the user's
    volume and the break-even points marked. None when no option could be costed."""
    options = [o for o in economics.get("options", [])
               if o.get("per_request_usd") is not None and o.get("fixed_monthly_usd") is not None]
    volume = economics.get("monthly_requests")
    if not options or not volume:
        return None
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    payback = economics.get("payback_months") or 12
    breaks = [b["monthly_requests"] for b in economics.get("break_even", []) if b.get("monthly_requests")]
    low = max(1.0, min([volume] + breaks) / 100)
    high = max([volume] + breaks) * 10
    steps = 60
    xs = [low * (high / low) ** (i / steps) for i in range(steps + 1)]

    def cost(o: dict[str, Any], n: float) -> float:
        return o["fixed_monthly_usd"] + (o["one_off_usd"] or 0.0) / payback + o["per_request_usd"] * n

    styles = ["-", "--", "-.", ":"]
    with rc_context(_RC):
        fig = Figure(figsize=(9, 4.8))
        ax = fig.add_axes((0.1, 0.12, 0.87, 0.84))
        for i, o in enumerate(options):
            pts = [(x, cost(o, x)) for x in xs if cost(o, x) > 0]
            if not pts:
                continue
            ax.plot([p[0] for p in pts], [p[1] for p in pts], linestyle=styles[i % len(styles)], linewidth=2,
                    label=f"{o['title']}")
        ax.axvline(volume, color=_TEXT, linewidth=1, linestyle=":")
        ax.annotate(f"your volume\n{volume:,}/month", (volume, 0.97), xycoords=("data", "axes fraction"),
                    ha="left", va="top", fontsize=8, xytext=(4, 0), textcoords="offset points")
        baseline = next((o for o in options if o["id"] == economics.get("baseline")), None)
        for b in economics.get("break_even", []):
            n = b.get("monthly_requests")
            if n and baseline is not None and low <= n <= high:
                ax.plot([n], [cost(baseline, n)], marker="o", color=_TEXT, markersize=5)
                ax.annotate(f"break-even\n{n:,.0f}", (n, cost(baseline, n)), fontsize=7, ha="right", va="bottom",
                            xytext=(-4, 4), textcoords="offset points")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("requests per month")
        ax.set_ylabel(f"cost per month ({economics.get('currency', 'USD')})")
        ax.grid(True, which="major", color="#d0d7de", linewidth=0.6)
        ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
        return _svg(fig)
