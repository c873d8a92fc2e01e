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
    """A Gantt-style chart of which notices were in force when; open-ended notices fade out at the right."""
    left, right, top, row = 290, 16, 40, 24
    width = 780
    pw = width - left - right
    height = top + row * len(bars) + 50
    span = (dt.date(last_year + 1, 1, 1) - dt.date(first_year, 1, 1)).days

    def px(day: dt.date) -> Decimal:
        days = min(max((day - dt.date(first_year, 1, 1)).days, 0), span)
        return left + Decimal(days) * pw / span

    out = _open("yb-timeline-svg", width, height, "政策文件有效期 notices in force",
                '<defs><linearGradient id="yb-fade" x1="0" x2="1"><stop offset="0.6" stop-color="#fff" stop-opacity="0"/>'
                '<stop offset="1" stop-color="#fff" stop-opacity="1"/></linearGradient></defs>')
    for year in range(first_year, last_year + 2):
        x = px(dt.date(year, 1, 1)) if year <= last_year else Decimal(left + pw)
        out.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{top - 6}" y2="{height - 40}" stroke="#ddd"/>')
        if year <= last_year:
            out.append(f'<text x="{_n(x + 4)}" y="{top - 10}">{year}</text>')
    for i, b in enumerate(bars):
        y = top + i * row
        x0 = px(b.start)
        x1 = px(b.end) if b.end else Decimal(left + pw)
        colour = _layer_colour(b.layer)
        box = f'x="{_n(x0)}" y="{y + 3}" width="{_n(max(x1 - x0, Decimal(2)))}" height="{row - 8}"'
        out.append(f'<a href="{escape(b.href)}"><title>{escape(b.tooltip)}</title>'
                   f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" fill="{colour}">{escape(b.label)}</text>'
                   f'<rect class="yb-bar" {box} rx="3" fill="{colour}"/>')
        if b.end is None:
            out.append(f'<rect {box} fill="url(#yb-fade)"/>')
        out.append("</a>")
    ly = height - 22
    for i, name in enumerate(layer_names):
        out.append(_swatch(16 + i * 150, ly - 10, LAYER_COLOURS[i], name))
    out.append(f'<text x="{16 + len(layer_names) * 150}" y="{ly}" fill="#666">渐隐 = 未设截止日期 fading = open-ended</text>')
    out.append("</svg>")
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


def graph_chart(nodes: Sequence[Node], edges: Sequence[Edge], layer_names: Sequence[str]) -> str:
    """Documents in rows by layer (national on top), arrows from a document to the one it implements or supersedes."""
    box_w, box_h, gap_x, gap_y, margin = 200, 46, 20, 90, 16
    rows: dict[int, list[Node]] = {}
    for n in nodes:
        rows.setdefault(n.layer, []).append(n)
    per_row = max((len(v) for v in rows.values()), default=1)
    cols = min(per_row, 3)
    pos: dict[str, tuple[int, int]] = {}
    y = margin + 20
    for layer in sorted(rows):
        items = rows[layer]
        for i, n in enumerate(items):
            pos[n.id] = (margin + 90 + (i % cols) * (box_w + gap_x), y + (i // cols) * (box_h + 16))
        y += ((len(items) - 1) // cols + 1) * (box_h + 16) + gap_y - 16
    width = margin * 2 + 90 + cols * (box_w + gap_x)
    height = y + 30
    out = _open("yb-graph-svg", width, height, "实施与替代关系 implements and supersedes", '<defs>' + "".join(
        f'<marker id="yb-arrow-{k}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>' for k, (c, _) in EDGE_STYLE.items()) + '</defs>')
    for layer in sorted(rows):
        ys = [pos[n.id][1] for n in rows[layer]]
        out.append(f'<text x="{margin}" y="{min(ys) + 28}" font-weight="bold" fill="{_layer_colour(layer)}">'
                   f'{escape(layer_names[min(layer, len(layer_names) - 1)])}</text>')
    for e in edges:
        if e.src not in pos or e.dst not in pos:
            continue
        (sx, sy), (dx, dy) = pos[e.src], pos[e.dst]
        colour, dash = EDGE_STYLE.get(e.kind, ("#666", ""))
        x1, x2 = sx + box_w // 2, dx + box_w // 2
        if sy > dy:
            y1, y2 = sy, dy + box_h
        elif sy < dy:
            y1, y2 = sy + box_h, dy
        else:
            y1 = y2 = sy
        mid = (y1 + y2) // 2 if sy != dy else sy - 30
        d = f"M{x1},{y1} C{x1},{mid} {x2},{mid} {x2},{y2}"
        out.append(f'<path class="yb-edge yb-edge-{e.kind}" d="{d}" fill="none" stroke="{colour}" stroke-width="1.6"{_dash(dash)} '
                   f'marker-end="url(#yb-arrow-{e.kind})"><title>{escape(e.src)} {e.kind} {escape(e.dst)} {escape(e.label)}</title></path>')
        if e.label:
            out.append(f'<text x="{(x1 + x2) // 2 + 4}" y="{mid}" fill="{colour}" font-size="11">{escape(e.label)}</text>')
    for n in nodes:
        x, y = pos[n.id]
        colour = _layer_colour(n.layer)
        out.append(f'<a href="{escape(n.href)}"><title>{escape(n.id)}</title>'
                   f'<rect class="yb-node" x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="6" fill="#fff" stroke="{colour}" stroke-width="1.5"/>'
                   f'<text x="{x + 8}" y="{y + 19}" fill="#222">{escape(short(n.label, 15))}</text>'
                   f'<text x="{x + 8}" y="{y + 36}" fill="#666" font-size="10">{escape(short(n.sub, 32))}</text></a>')
    lx = margin
    for k, (colour, dash) in EDGE_STYLE.items():
        out.append(f'<line x1="{lx}" x2="{lx + 30}" y1="{height - 12}" y2="{height - 12}" stroke="{colour}" stroke-width="2"{_dash(dash)}/>'
                   f'<text x="{lx + 36}" y="{height - 8}">{EDGE_LABELS[k]}</text>')
        lx += 160
    out.append("</svg>")
    return "".join(out)
