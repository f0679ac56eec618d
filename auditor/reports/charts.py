"""Charts for the HTML report as inline SVG: no script, no network, nothing for a Content-Security-Policy
to block. Built with ElementTree so that every label taken from the data is escaped as text."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

from markupsafe import Markup

FONT = "system-ui, sans-serif"
LABEL_CHARS = 28
"""Labels are cut to this many characters; tooltips, which show more, to TIP_CHARS."""
TIP_CHARS = 200
GOOD, FAIR, POOR, NEUTRAL, GRID = "#2e7d32", "#f9a825", "#c62828", "#1565c0", "#d0d7de"


def score_band(score: float | None) -> str:
    """The report's three score bands (the terminal summary uses the same: 90 and 75)."""
    if score is None:
        return "none"
    return "good" if score >= 90 else "fair" if score >= 75 else "poor"


def score_colour(score: float | None) -> str:
    return {"good": GOOD, "fair": FAIR, "poor": POOR}.get(score_band(score), GRID)


def _svg(title: str, width: int, height: int) -> ET.Element:
    svg = ET.Element(
        "svg",
        xmlns="http://www.w3.org/2000/svg",
        width=str(width),
        height=str(height),
        viewBox=f"0 0 {width} {height}",
        role="img",
        **{"aria-label": title, "font-family": FONT, "font-size": "12"},
    )
    ET.SubElement(svg, "title").text = title
    return svg


def _text(parent: ET.Element, x: float, y: float, text: str, **attrs: str) -> None:
    ET.SubElement(parent, "text", x=f"{x:.1f}", y=f"{y:.1f}", **attrs).text = text


def _cut(label: str, chars: int = LABEL_CHARS) -> str:
    return label if len(label) <= chars else label[: chars - 1] + "…"


def _known(value: float | None) -> bool:
    """A value a bar can be drawn for (NaN or infinity would make an invalid SVG length)."""
    return value is not None and math.isfinite(value)


def _markup(svg: ET.Element) -> Markup:
    # ElementTree escapes text and attribute values; the result is safe to embed as markup.
    return Markup(ET.tostring(svg, encoding="unicode"))


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    maximum: float | None = None,
    colour: Callable[[float], str] | None = None,
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    width: int = 640,
) -> Markup:
    """Horizontal bars, one row per (label, value), in the order given."""
    row, label_w, value_w = 22, 190, 70
    height = row * len(items) + 8
    top = maximum if maximum is not None else max((v for _, v in items if _known(v)), default=0) or 1
    svg = _svg(title, width, height)
    span = width - label_w - value_w
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        length = max(span * value / top, 1) if _known(value) else 0
        shown = fmt(value) if _known(value) else "-"
        _text(svg, label_w - 6, y + 15, _cut(label), **{"text-anchor": "end"})
        bar = ET.SubElement(
            svg,
            "rect",
            x=str(label_w),
            y=str(y + 3),
            width=f"{length:.1f}",
            height=str(row - 6),
            fill=colour(value) if colour and _known(value) else NEUTRAL,
        )
        ET.SubElement(bar, "title").text = f"{_cut(label, TIP_CHARS)}: {shown}"
        _text(svg, label_w + length + 6, y + 15, shown)
    return _markup(svg)


def funnel_chart(stages: Sequence[tuple[str, float]], *, title: str, width: int = 640) -> Markup:
    """Bars centred on one axis, widths proportional to the count at each stage."""
    row, label_w = 30, 170
    height = row * len(stages) + 8
    top = max((v for _, v in stages if _known(v)), default=0) or 1
    span = width - label_w - 20
    centre = label_w + span / 2
    svg = _svg(title, width, height)
    for i, (label, value) in enumerate(stages):
        y = 4 + i * row
        w = max(span * value / top, 2) if _known(value) else 0
        shown = f"{value:,.0f}" if _known(value) else "-"
        _text(svg, label_w - 6, y + 19, _cut(label), **{"text-anchor": "end"})
        bar = ET.SubElement(
            svg, "rect", x=f"{centre - w / 2:.1f}", y=str(y + 2), width=f"{w:.1f}", height=str(row - 4), fill=NEUTRAL
        )
        ET.SubElement(bar, "title").text = f"{_cut(label, TIP_CHARS)}: {shown}"
        ink = "#ffffff" if w > 50 else "#000000"
        _text(svg, centre, y + 19, shown, fill=ink, **{"text-anchor": "middle"})
    return _markup(svg)


def line_chart(
    points: Sequence[tuple[str, float | None]],
    *,
    title: str,
    low: float = 0.0,
    high: float = 100.0,
    marks: Sequence[bool] | None = None,
    width: int = 640,
    height: int = 220,
) -> Markup:
    """A line through (label, value) points in order, on a fixed scale (scores: 0 to 100). Points
    with no value break the line. `marks`: per point, True draws it green (passed), False red."""
    left, right, top, bottom = 40, 40, 12, 40
    svg = _svg(title, width, height)
    plot_w, plot_h = width - left - right, height - top - bottom
    for tick in (low, (low + high) / 2, high):
        y = top + plot_h * (1 - (tick - low) / (high - low))
        ET.SubElement(svg, "line", x1=str(left), x2=str(width - right), y1=f"{y:.1f}", y2=f"{y:.1f}", stroke=GRID)
        _text(svg, left - 4, y + 4, f"{tick:g}", **{"text-anchor": "end"})
    step = plot_w / max(len(points) - 1, 1)
    xy = [
        (left + i * step, None if v is None else top + plot_h * (1 - (min(max(v, low), high) - low) / (high - low)))
        for i, (_, v) in enumerate(points)
    ]
    segment: list[str] = []
    for x, y in [*xy, (0.0, None)]:
        if y is None:
            if len(segment) > 1:
                attrs = {"points": " ".join(segment), "fill": "none", "stroke": NEUTRAL, "stroke-width": "2"}
                ET.SubElement(svg, "polyline", attrs)
            segment = []
        else:
            segment.append(f"{x:.1f},{y:.1f}")
    every = max(1, len(points) // 8)
    for i, ((label, value), (x, y)) in enumerate(zip(points, xy, strict=True)):
        if y is not None:
            fill = NEUTRAL if marks is None else GOOD if marks[i] else POOR
            dot = ET.SubElement(svg, "circle", cx=f"{x:.1f}", cy=f"{y:.1f}", r="4", fill=fill)
            ET.SubElement(dot, "title").text = f"{_cut(label, TIP_CHARS)}: {value}"
        if i % every == 0 or i == len(points) - 1:
            _text(svg, x, height - bottom + 16, _cut(label)[:10], **{"text-anchor": "middle"})
    return _markup(svg)
