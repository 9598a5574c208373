"""Pictures for the HTML reports, written as inline SVG text by plain Python (no plotting library).

Three drawings: the decision table as a tree with the taken path highlighted, the monthly cost of each
economics option against the volume (log-log), and the eval report's bars of each metric per variant.
Text widths are estimated from per-character widths of a sans-serif font (rounded up), and every
drawing is sized from the text it holds, so no label is cut off. Every text is escaped; the output
holds no script and no reference outside itself, and is deterministic so reports can be diffed.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from html import escape
from typing import Any, Iterable, Sequence

__all__ = ["decision_tree_svg", "cost_chart_svg", "bar_chart_svg", "text_width"]

_HIGHLIGHT = "#1a7f37"
_MUTED = "#8c959f"
_TEXT = "#1f2328"
_SOFT_TEXT = "#57606a"
_GRID = "#d0d7de"
_SERIES = ("#3b6ea8", "#d9822b", "#4a9a5b", "#8e5ea2", "#b8434e", "#5f6b7a")
_DASHES = ("", "8 4", "10 3 2 3", "2 3")
_FONT = 'font-family="Helvetica, Arial, sans-serif"'

# Advance widths (fraction of the font size) of Helvetica/Arial, grouped; a little generous on purpose.
_NARROW = set("ijl.,:;'|!`")
_THIN = set("ftrI()[]{}/\\- \"")
_WIDE = set("mwMW@%")
_CAPS = set("ABCDEFGHJKLNOPQRSTUVXYZ&#")
_WIDTHS = [(_NARROW, 0.28), (_THIN, 0.36), (_WIDE, 0.9), (_CAPS, 0.72)]


def text_width(text: str, size: float, bold: bool = False) -> float:
    """An upper estimate of the width of ``text`` in a sans-serif font of ``size`` px."""
    total = 0.0
    for ch in text:
        width = 0.58 if ch.isascii() else 0.75
        for group, w in _WIDTHS:
            if ch in group:
                width = w
                break
        total += width
    # DejaVu Sans (what Linux browsers fall back to) runs wider than Helvetica: allow for it.
    return total * size * (1.25 if bold else 1.12)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, lines: Sequence[str] | str, size: float, *, anchor: str = "start",
          colour: str = _TEXT, bold: bool = False, baseline: str = "middle", line_height: float | None = None) -> str:
    """A (multi-line) text element; ``y`` is the middle of the block (or its top/bottom with baseline)."""
    lines = [lines] if isinstance(lines, str) else list(lines)
    step = line_height or size * 1.25
    if baseline == "middle":
        first = y - step * (len(lines) - 1) / 2
    elif baseline == "top":
        first = y + size * 0.5
    else:  # bottom: the block ends at y
        first = y - step * (len(lines) - 1) - size * 0.3
    weight = ' font-weight="bold"' if bold else ""
    spans = "".join(f'<tspan x="{_num(x)}" y="{_num(first + i * step)}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return (f'<text font-size="{_num(size)}" text-anchor="{anchor}" dominant-baseline="central" '
            f'fill="{colour}"{weight}>{spans}</text>')


def _svg(width: float, height: float, label: str, body: Iterable[str]) -> str:
    width, height = math.ceil(width), math.ceil(height)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" {_FONT}>'
            f"<title>{escape(label)}</title>" + "".join(body) + "</svg>")


# --- the decision tree --------------------------------------------------------------------------

@dataclass
class _Node:
    key: tuple[str, ...]
    depth: int
    children: list["_Node"] = field(default_factory=list)
    leaf_of: str | None = None  # rule id when a rule ends here
    row: float = 0.0


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


def _walk(node: _Node):
    yield node
    for child in node.children:
        yield from _walk(child)


# The tree is drawn as an indented outline (one row per condition, the outcome boxed on the row where a
# rule ends), so its width grows with the depth by one indent, not by one label per level: at its
# natural size its text is TREE_TEXT_PX, and it fits a printed A4 or Letter page without shrinking.
TREE_TEXT_PX = 12.0
TREE_MIN_TEXT_PX = 9.0  # the report never shows the tree smaller than this (it scrolls instead)


def decision_tree_svg(rulebase, path_rule: str | None) -> str:
    """The decision table drawn as a tree, with the taken path (rule ``path_rule``) highlighted.

    The ``<svg>`` carries an inline ``max-width`` (its natural size) and ``min-width`` (the size at which
    its text is :data:`TREE_MIN_TEXT_PX`), so a page may scale it by its view box but never below legible.
    """
    rules = sorted(rulebase.decision.rules, key=lambda r: -r.priority)
    by_id = {r.id: r for r in rules}
    root = _trie(rules)
    taken: set[tuple[str, ...]] = set()
    if path_rule in by_id:
        conditions = tuple(c.text for c in by_id[path_rule].when)
        taken = {conditions[:i] for i in range(len(conditions) + 1)}
    nodes = list(_walk(root))

    size, indent, pad, gap = TREE_TEXT_PX, 20.0, 4.0, 4.0
    step = size * 1.25
    labels_of = {n.key: (textwrap.wrap(n.key[-1], 44, break_long_words=False) or [""]) if n.key else ["start"]
                 for n in nodes}
    box_lines: dict[tuple[str, ...], list[str]] = {}
    for n in nodes:
        if n.leaf_of is not None:
            rule = by_id[n.leaf_of]
            outcome = rulebase.outcomes.get(rule.then)
            title = outcome.title.replace("${model_name}", "a catalogue model") if outcome else rule.then
            # The outcome's title and its id in brackets, in lines of about 40 characters.
            box_lines[n.key] = textwrap.wrap(f"{title} [{rule.then}]", 40, break_on_hyphens=False)

    # Rows top to bottom in outline order; each row is as tall as its label or its outcome box.
    ys: dict[tuple[str, ...], float] = {}
    heights: dict[tuple[str, ...], float] = {}
    y = 6.0
    for n in nodes:
        row_lines = max(len(labels_of[n.key]), len(box_lines.get(n.key, ())))
        h = row_lines * step + (2 * pad if n.key in box_lines else 0)
        heights[n.key] = h
        ys[n.key] = y + h / 2
        y += h + gap

    def x(node: _Node) -> float:
        return 10 + node.depth * indent

    parts: list[str] = []
    on_top: list[str] = []
    texts: list[str] = []
    right = 0.0
    for node in nodes:
        on_path = node.key in taken
        for child in node.children:
            child_on = child.key in taken
            style = (f"fill: none; stroke: {_HIGHLIGHT}; stroke-width: 3" if child_on
                     else f"fill: none; stroke: {_MUTED}; stroke-width: 1.2")
            (on_top if child_on else parts).append(
                f'<path d="M {_num(x(node))} {_num(ys[node.key])} V {_num(ys[child.key])} H {_num(x(child))}" '
                f'style="{style}; stroke-linecap: round; stroke-linejoin: round"/>')
        lx = x(node) + 10
        label = labels_of[node.key]
        texts.append(_text(lx, ys[node.key], label, size, colour=_TEXT if on_path else _SOFT_TEXT,
                           bold=on_path))
        end = lx + max(text_width(line, size, bold=on_path) for line in label)
        if node.leaf_of is not None:
            lines = box_lines[node.key]
            width = max(text_width(line, size, bold=True) for line in lines) + 2 * pad
            height = len(lines) * step + 2 * pad
            bx, by = end + 26, ys[node.key] - height / 2
            colour = _HIGHLIGHT if on_path else _MUTED
            parts.append(f'<line x1="{_num(end + 4)}" y1="{_num(ys[node.key])}" x2="{_num(bx - 2)}" '
                         f'y2="{_num(ys[node.key])}" stroke="{colour}" stroke-width="{3 if on_path else 1.2}"/>')
            parts.append(f'<path d="M {_num(bx - 8)} {_num(ys[node.key] - 4)} L {_num(bx - 1)} {_num(ys[node.key])} '
                         f'L {_num(bx - 8)} {_num(ys[node.key] + 4)} Z" fill="{colour}"/>')
            parts.append(f'<rect x="{_num(bx)}" y="{_num(by)}" width="{_num(width)}" height="{_num(height)}" '
                         f'rx="5" fill="{_HIGHLIGHT if on_path else "#f6f8fa"}" stroke="{colour}"/>')
            texts.append(_text(bx + pad, ys[node.key], lines, size, colour="white" if on_path else _TEXT,
                               bold=on_path))
            end = bx + width
        right = max(right, end)
        radius = 4.5 if on_path else 3.5
        on_top.append(f'<circle cx="{_num(x(node))}" cy="{_num(ys[node.key])}" r="{radius}" '
                      f'fill="{_HIGHLIGHT if on_path else _MUTED}"/>')
    width = math.ceil(right + 10)
    svg = _svg(width, y, "the decision table as a tree, with this recommendation's path highlighted",
               parts + on_top + texts)
    limits = (f' style="max-width: {width}px; min-width: {math.ceil(width * TREE_MIN_TEXT_PX / size)}px"')
    return svg.replace("<svg ", "<svg" + limits + " ", 1)


# --- the cost chart ----------------------------------------------------------------------------

def _si(value: float) -> str:
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:g}{suffix}"
    return f"{value:g}"


def _log_ticks(low: float, high: float) -> list[float]:
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    return [10.0 ** e for e in range(first, last + 1)]


def cost_chart_svg(economics: dict[str, Any]) -> str | None:
    """Monthly cost against monthly requests for every costed option (log-log), with the user's
    volume and the break-even points marked. None when no option could be costed."""
    options = [o for o in economics.get("options", [])
               if o.get("per_request_usd") is not None and o.get("fixed_monthly_usd") is not None]
    volume = economics.get("monthly_requests")
    if not options or not volume:
        return None
    payback = economics.get("payback_months") or 12
    breaks = [b["monthly_requests"] for b in economics.get("break_even", []) if b.get("monthly_requests")]
    low = max(1.0, min([volume] + breaks) / 100)
    high = max([volume] + breaks) * 10
    steps = 60
    xs = [low * (high / low) ** (i / steps) for i in range(steps + 1)]

    def cost(o: dict[str, Any], n: float) -> float:
        return o["fixed_monthly_usd"] + (o["one_off_usd"] or 0.0) / payback + o["per_request_usd"] * n

    series = [(o, [(x, cost(o, x)) for x in xs if cost(o, x) > 0]) for o in options]
    series = [(o, pts) for o, pts in series if pts]
    if not series:
        return None
    ys = [c for _, pts in series for _, c in pts]
    x_ticks = _log_ticks(low, high)
    y_ticks = _log_ticks(min(ys), max(ys))
    x_lo, x_hi = math.log10(x_ticks[0]), math.log10(x_ticks[-1])
    y_lo, y_hi = math.log10(y_ticks[0]), math.log10(y_ticks[-1])
    currency = economics.get("currency", "USD")
    symbol = "$" if currency == "USD" else ""

    size = 12.0
    y_labels = [f"{symbol}{_si(t)}" for t in y_ticks]
    left = 10 + size * 1.4 + 8 + max(text_width(t, size) for t in y_labels) + 8
    plot_w, plot_h, top = 620.0, 300.0, 14.0
    legend = [o["title"] for o, _ in series]
    legend_w = max(text_width(t, size) for t in legend) + 48
    width = max(left + plot_w + 70, left + legend_w + 10)
    legend_top = top + plot_h + size * 1.3 + 8 + size * 1.4 + 12
    height = legend_top + len(legend) * size * 1.6 + 8

    def px(n: float) -> float:
        return left + (math.log10(n) - x_lo) / (x_hi - x_lo) * plot_w

    def py(c: float) -> float:
        return top + plot_h - (math.log10(c) - y_lo) / (y_hi - y_lo) * plot_h

    parts = [f'<rect x="{_num(left)}" y="{_num(top)}" width="{_num(plot_w)}" height="{_num(plot_h)}" '
             f'fill="none" stroke="{_MUTED}"/>']
    for t in x_ticks:
        x = px(t)
        parts.append(f'<line x1="{_num(x)}" y1="{_num(top)}" x2="{_num(x)}" y2="{_num(top + plot_h)}" '
                     f'stroke="{_GRID}" stroke-width="0.6"/>')
        parts.append(_text(x, top + plot_h + 4, _si(t), size, anchor="middle", baseline="top"))
    for t, label in zip(y_ticks, y_labels, strict=True):
        y = py(t)
        parts.append(f'<line x1="{_num(left)}" y1="{_num(y)}" x2="{_num(left + plot_w)}" y2="{_num(y)}" '
                     f'stroke="{_GRID}" stroke-width="0.6"/>')
        parts.append(_text(left - 6, y, label, size, anchor="end"))
    parts.append(_text(left + plot_w / 2, top + plot_h + size * 1.3 + 10, "requests per month", size,
                       anchor="middle", baseline="top"))
    cy = top + plot_h / 2
    parts.append(f'<g transform="rotate(-90 {_num(10 + size * 0.7)} {_num(cy)})">'
                 + _text(10 + size * 0.7, cy, f"cost per month ({currency})", size, anchor="middle") + "</g>")
    for i, (o, pts) in enumerate(series):
        colour, dash = _SERIES[i % len(_SERIES)], _DASHES[i % len(_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        points = " ".join(f"{_num(px(x))},{_num(py(c))}" for x, c in pts)
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}>'
                     f"<title>{escape(o['title'])}</title></polyline>")
        ly = legend_top + i * size * 1.6
        parts.append(f'<line x1="{_num(left)}" y1="{_num(ly)}" x2="{_num(left + 32)}" y2="{_num(ly)}" '
                     f'stroke="{colour}" stroke-width="2"{dash_attr}/>')
        parts.append(_text(left + 40, ly, o["title"], size))
    vx = px(volume)
    parts.append(f'<line x1="{_num(vx)}" y1="{_num(top)}" x2="{_num(vx)}" y2="{_num(top + plot_h)}" '
                 f'stroke="{_TEXT}" stroke-dasharray="2 3"/>')
    volume_label = ["your volume", f"{volume:,}/month"]
    fits_right = vx + 4 + max(text_width(t, 11) for t in volume_label) <= width - 4
    parts.append(_text(vx + 4 if fits_right else vx - 4, top + 6, volume_label, 11,
                       anchor="start" if fits_right else "end", baseline="top"))
    baseline = next((o for o in options if o["id"] == economics.get("baseline")), None)
    for b in economics.get("break_even", []):
        n = b.get("monthly_requests")
        if n and baseline is not None and low <= n <= high and cost(baseline, n) > 0:
            x, y = px(n), py(cost(baseline, n))
            parts.append(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3.5" fill="{_TEXT}"/>')
            marker = ["break-even", f"{n:,.0f}"]
            fits_left = x - 4 - max(text_width(t, 10) for t in marker) >= 0
            parts.append(_text(x - 4 if fits_left else x + 4, y - 4, marker, 10,
                               anchor="end" if fits_left else "start", baseline="bottom"))
    return _svg(width, height, "monthly cost of each option against requests per month", parts)


# --- bars (the eval report) -----------------------------------------------------------------------

def bar_chart_svg(groups: Sequence[tuple[str, Sequence[tuple[str, float]]]], *, maximum: float = 100.0,
                  label: str = "metrics per variant") -> str:
    """Horizontal bars: for each group (a variant), its name on a line of its own, then one bar per
    (metric, value) on a 0..``maximum`` scale with the metric and its value written after the bar.

    Names sit above their bars rather than in a column beside them, so a long variant name does not
    push the bars and their labels out of a narrow page. The ``<svg>`` carries an inline ``max-width``
    (its natural size) and ``min-width`` (the size at which its smallest text is 8 px)."""
    size, value_size, bar_h, gap, area, left = 12.0, 11.0, 16.0, 12.0, 360.0, 8.0
    value_labels = [[f"{key} {value:.2f}" for key, value in bars] for _, bars in groups]
    tail = max((text_width(t, value_size) for labels in value_labels for t in labels), default=0) + 12
    widest_name = max((text_width(name, size, bold=True) for name, _ in groups), default=0)
    parts: list[str] = []
    y = 6.0
    for (name, bars), labels in zip(groups, value_labels, strict=True):
        parts.append(_text(left, y + size * 0.7, name, size, bold=True))
        y += size * 1.5
        parts.append(f'<line x1="{_num(left)}" y1="{_num(y - 2)}" x2="{_num(left)}" '
                     f'y2="{_num(y + max(len(bars), 1) * (bar_h + 2))}" stroke="{_MUTED}"/>')
        for i, ((_, value), text) in enumerate(zip(bars, labels, strict=True)):
            w = area * max(0.0, min(value, maximum)) / maximum if maximum else 0.0
            parts.append(f'<rect x="{_num(left)}" y="{_num(y)}" width="{_num(w)}" height="{_num(bar_h)}" '
                         f'fill="{_SERIES[i % len(_SERIES)]}"><title>{escape(text)}</title></rect>')
            parts.append(_text(left + w + 4, y + bar_h / 2, text, value_size))
            y += bar_h + 2
        y += gap
    width = math.ceil(max(left + area + tail, left + widest_name) + 8)
    svg = _svg(width, y + 4, label, parts)
    limits = f' style="max-width: {width}px; min-width: {math.ceil(width * 8 / value_size)}px"'
    return svg.replace("<svg ", "<svg" + limits + " ", 1)
