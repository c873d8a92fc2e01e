"""Inline SVG pictures for the docs site: stacked cost chart, notice timeline, implements/supersedes graph."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import Sequence

from engine.site.base import short

# Tier colours, bottom to top of the stack (out of pocket first, so the person's share reads from the axis).
TIER_COLOURS = {
    "out_of_pocket": "#e4572e",
    "basic_insurance": "#2e86ab",
    "serious_illness": "#76b041",
    "medical_assistance": "#f3a712",
}
LAYER_COLOURS = ("#3f51b5", "#00897b", "#8e24aa")
FONT = "font-family=\"'Noto Sans CJK SC','WenQuanYi Micro Hei','Microsoft YaHei',sans-serif\""


def _n(v: Decimal | int) -> str:
    """A coordinate with one decimal, computed exactly (no binary floats)."""
    return f"{Decimal(v).quantize(Decimal('0.1')):f}"


def _wan(v: Decimal) -> str:
    """Yuan shown in units of 10,000 (万)."""
    if v == 0:
        return "0"
    w = (Decimal(v) / 10000).quantize(Decimal("0.1")).normalize()
    return f"{w:f}万"


def _open(cls: str, width: int, height: int, label: str, inner: str = "") -> list[str]:
    """The opening of a chart: the <svg> element, `inner` (title or defs) and a white background."""
    return [f'<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{escape(label)}" {FONT} font-size="12">',
            inner, f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>']


def _swatch(x: int, y: int, colour: str, label: str) -> str:
    """A legend entry: a 12-pixel colour square at (x, y) and its label to the right."""
    return f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour}"/><text x="{x + 18}" y="{y + 10}">{escape(label)}</text>'


def _layer_colour(layer: int) -> str:
    """The colour of a jurisdiction layer (the last colour for anything lower)."""
    return LAYER_COLOURS[min(layer, len(LAYER_COLOURS) - 1)]


@dataclass(frozen=True)
class Stack:
    """One x position of a stacked chart: the bill and what each tier pays."""

    x: Decimal
    parts: dict[str, Decimal]


def stacked_chart(points: Sequence[Stack], tiers: Sequence[str], labels: dict[str, str], title: str,
                  unverified: bool = False, width: int = 560, height: int = 320) -> str:
    """A stacked-area chart of who pays what as the bill grows; one line of SVG markup."""
    left, right, top, bottom = 64, 190, 34, 42
    pw, ph = width - left - right, height - top - bottom
    xmax = max((p.x for p in points), default=Decimal(1)) or Decimal(1)
    ymax = max((sum(p.parts.values(), Decimal(0)) for p in points), default=Decimal(1)) or Decimal(1)

    def px(x: Decimal) -> Decimal:
        return left + x * pw / xmax

    def py(y: Decimal) -> Decimal:
        return top + ph - y * ph / ymax

    out = _open("yb-chart-svg", width, height, title, f"<title>{escape(title)}</title>")
    base = [Decimal(0)] * len(points)
    for tier in tiers:
        upper = [b + p.parts.get(tier, Decimal(0)) for b, p in zip(base, points)]
        fwd = " ".join(f"{_n(px(p.x))},{_n(py(u))}" for p, u in zip(points, upper))
        back = " ".join(f"{_n(px(p.x))},{_n(py(b))}" for p, b in reversed(list(zip(points, base))))
        out.append(f'<polygon class="yb-tier yb-{tier}" points="{fwd} {back}" fill="{TIER_COLOURS.get(tier, "#999")}" '
                   f'fill-opacity="0.85" stroke="#fff" stroke-width="0.5"><title>{escape(labels.get(tier, tier))}</title></polygon>')
        base = upper
    for i in range(6):  # axes and gridlines
        yv = ymax * i / 5
        xv = xmax * i / 5
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{_n(py(yv))}" y2="{_n(py(yv))}" stroke="#ccc" stroke-width="0.5"/>')
        out.append(f'<text x="{left - 6}" y="{_n(py(yv) + 4)}" text-anchor="end">{_wan(yv.quantize(Decimal(1)))}</text>')
        out.append(f'<text x="{_n(px(xv))}" y="{top + ph + 16}" text-anchor="middle">{_wan(xv.quantize(Decimal(1)))}</text>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}" stroke="#333"/>')
    out.append(f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="#333"/>')
    out.append(f'<text x="{left + pw // 2}" y="{height - 8}" text-anchor="middle">政策范围内费用 eligible cost (元 yuan)</text>')
    out.append(f'<text x="{left}" y="18" font-weight="bold">{escape(title)}</text>')
    ly = top + 8
    for tier in reversed(list(tiers)):
        out.append(_swatch(left + pw + 12, ly, TIER_COLOURS.get(tier, "#999"), labels.get(tier, tier)))
        ly += 20
    if unverified:
        out.append(f'<text class="yb-unverified" x="{left + pw + 12}" y="{ly + 16}" fill="#b00020" font-weight="bold">⚠ 含非一手数值</text>')
        out.append(f'<text x="{left + pw + 12}" y="{ly + 32}" fill="#b00020">uses figures below primary</text>')
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class Bar:
    """One row of the timeline: a notice and its period."""

    label: str
    start: dt.date
    end: dt.date | None
    href: str
    layer: int
    tooltip: str


def timeline_chart(bars: Sequence[Bar], first_year: int, last_year: int, layer_names: Sequence[str]) -> str:
    """Which notices were in force when, as HTML rows: the whole title in page text above each bar, so it stays legible
    and uncut on a phone; each bar a small SVG stretched to the row (year lines aligned); open-ended bars fade out."""
    start, end = dt.date(first_year, 1, 1), dt.date(last_year + 1, 1, 1)
    span = (end - start).days

    def pct(day: dt.date) -> Decimal:
        return (Decimal(min(max((day - start).days, 0), span)) * 100 / span).quantize(Decimal("0.01"))

    years = [(y, pct(dt.date(y, 1, 1))) for y in range(first_year, last_year + 1)]
    grid = "".join(f'<line x1="{_n(x * 10)}" x2="{_n(x * 10)}" y1="0" y2="14" stroke="#ddd" vector-effect="non-scaling-stroke"/>' for _, x in years)
    out = ['<div class="yb-timeline" role="img" aria-label="政策文件有效期 notices in force">',
           '<div class="yb-tl-years">' + "".join(f'<span style="left:{_n(x)}%">{y}</span>' for y, x in years) + "</div>"]
    for b in bars:
        x0, x1 = pct(b.start), pct(b.end) if b.end else Decimal(100)
        colour = _layer_colour(b.layer)
        box = f'x="{_n(x0 * 10)}" y="2" width="{_n(max((x1 - x0) * 10, Decimal(4)))}" height="10"'
        fade = f'<rect {box} fill="url(#yb-fade)"/>' if b.end is None else ""
        out.append(f'<a class="yb-tl-row" href="{escape(b.href)}" title="{escape(b.tooltip)}">'
                   f'<span class="yb-tl-label" style="color:{colour}">{escape(b.label)}</span>'
                   f'<svg class="yb-timeline-svg" viewBox="0 0 1000 14" preserveAspectRatio="none" aria-hidden="true">'
                   '<defs><linearGradient id="yb-fade" x1="0" x2="1"><stop offset="0.6" stop-color="#fff" stop-opacity="0"/>'
                   '<stop offset="1" stop-color="#fff" stop-opacity="1"/></linearGradient></defs>'
                   f'{grid}<rect class="yb-bar" {box} rx="3" fill="{colour}"/>{fade}</svg></a>')
    legend = "".join(f'<span><i style="background:{LAYER_COLOURS[i]}"></i>{escape(name)}</span>' for i, name in enumerate(layer_names))
    out.append(f'<div class="yb-tl-legend">{legend}<span>渐隐 = 未设截止日期 fading = open-ended</span></div></div>')
    return "".join(out)


@dataclass(frozen=True)
class Node:
    """A document in the relation graph."""

    id: str
    label: str
    sub: str
    layer: int
    href: str


@dataclass(frozen=True)
class Edge:
    """A relation between two documents: implements, supersedes or amends (rule-level implements counted)."""

    src: str
    dst: str
    kind: str
    label: str = ""


EDGE_STYLE = {"implements": ("#3f51b5", ""), "supersedes": ("#c62828", "6,4"), "amends": ("#ef6c00", "2,3")}
EDGE_LABELS = {"implements": "实施 implements", "supersedes": "替代 supersedes", "amends": "修订 amends"}


def _dash(dash: str) -> str:
    """A stroke-dasharray attribute (with its leading space), or nothing for a solid line."""
    return f' stroke-dasharray="{dash}"' if dash else ""


def graph_chart(nodes: Sequence[Node], edges: Sequence[Edge], layer_names: Sequence[str], max_cols: int = 3) -> str:
    """Documents in a grid, rows by layer (national on top); arrows from a document to the one it implements or supersedes,
    drawn only in the gaps between boxes (up from the source, along a column gap, across below the target), so an
    arrow never crosses a box it does not connect."""
    box_w, box_h, gap_x, gap_row, gap_y, margin, left = 200, 60, 36, 28, 70, 16, 34
    rows: dict[int, list[Node]] = {}
    for n in nodes:
        rows.setdefault(n.layer, []).append(n)
    cols = min(max((len(v) for v in rows.values()), default=1), max_cols)
    pos: dict[str, tuple[int, int]] = {}
    y = margin + 40
    for layer in sorted(rows):
        items = rows[layer]
        for i, n in enumerate(items):
            pos[n.id] = (left + (i % cols) * (box_w + gap_x), y + (i // cols) * (box_h + gap_row))
        y += ((len(items) - 1) // cols + 1) * (box_h + gap_row) - gap_row + gap_y
    width = left + cols * (box_w + gap_x) + margin
    stacked = width < 3 * 160 + margin          # too narrow for the legend in one line: one entry per line
    height = y - gap_y + (60 if not stacked else 40 + 20 * len(EDGE_STYLE))
    out = _open("yb-graph-svg", width, height, "实施与替代关系 implements and supersedes", '<defs>' + "".join(
        f'<marker id="yb-arrow-{k}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>' for k, (c, _) in EDGE_STYLE.items()) + '</defs>')
    for layer in sorted(rows):
        ys = [pos[n.id][1] for n in rows[layer]]
        out.append(f'<text x="{left}" y="{min(ys) - gap_row // 2 - 8}" font-weight="bold" fill="{_layer_colour(layer)}">'
                   f'{escape(layer_names[min(layer, len(layer_names) - 1)])}</text>')
    drawn = [e for e in edges if e.src in pos and e.dst in pos]
    for k, e in enumerate(drawn):
        colour, dash = EDGE_STYLE.get(e.kind, ("#666", ""))
        d, (lx, ly) = _route(pos[e.src], pos[e.dst], box_w, box_h, gap_x, gap_row, (k % 5 - 2) * 4)
        out.append(f'<path class="yb-edge yb-edge-{e.kind}" d="{d}" fill="none" stroke="{colour}" stroke-width="1.6"{_dash(dash)} '
                   f'marker-end="url(#yb-arrow-{e.kind})"><title>{escape(e.src)} {e.kind} {escape(e.dst)} {escape(e.label)}</title></path>')
        if e.label:
            out.append(f'<text x="{lx + 4}" y="{ly - 3}" fill="{colour}" font-size="11">{escape(e.label)}</text>')
    for n in nodes:
        x, y = pos[n.id]
        colour = _layer_colour(n.layer)
        first, rest = n.label[:14], n.label[14:]
        out.append(f'<a href="{escape(n.href)}"><title>{escape(n.label)} ({escape(n.id)})</title>'
                   f'<rect class="yb-node" x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="6" fill="#fff" stroke="{colour}" stroke-width="1.5"/>'
                   f'<text x="{x + 8}" y="{y + 18}" fill="#222">{escape(first)}</text>'
                   f'<text x="{x + 8}" y="{y + 34}" fill="#222">{escape(short(rest, 14))}</text>'
                   f'<text x="{x + 8}" y="{y + 51}" fill="#666" font-size="10">{escape(short(n.sub, 32))}</text></a>')
    for i, (k, (colour, dash)) in enumerate(EDGE_STYLE.items()):
        lx, ly = (margin, height - 12 - 20 * (len(EDGE_STYLE) - 1 - i)) if stacked else (margin + 160 * i, height - 12)
        out.append(f'<line x1="{lx}" x2="{lx + 30}" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="2"{_dash(dash)}/>'
                   f'<text x="{lx + 36}" y="{ly + 4}">{EDGE_LABELS[k]}</text>')
    out.append("</svg>")
    return "".join(out)


def _route(src: tuple[int, int], dst: tuple[int, int], box_w: int, box_h: int, gap_x: int, gap_row: int,
           shift: int) -> tuple[str, tuple[int, int]]:
    """An orthogonal path from the top of the source box to the bottom (or top) of the target, through gaps only."""
    (sx, sy), (dx, dy) = src, dst
    x1, x2 = sx + box_w // 2 + shift, dx + box_w // 2 + shift
    ya = sy - gap_row // 2 + shift // 2                     # the gap just above the source's row
    channel = dx - gap_x // 2 + shift // 2                  # the column gap left of the target's column
    if dy < sy:
        yb = dy + box_h + gap_row // 2 + shift // 2         # the gap just below the target's row
        d = f"M{x1},{sy} V{ya} H{channel} V{yb} H{x2} V{dy + box_h}"
        return d, (min(channel, x2), yb)
    if dy == sy:
        return f"M{x1},{sy} V{ya} H{x2} V{dy}", (min(x1, x2), ya)
    yb = dy - gap_row // 2 + shift // 2                     # the gap just above the target's row
    d = f"M{x1},{sy + box_h} V{sy + box_h + gap_row // 2} H{channel} V{yb} H{x2} V{dy}"
    return d, (min(channel, x2), yb)
