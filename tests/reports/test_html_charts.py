"""The report's inline SVG charts: well-formed for any label, proportional, lines broken at gaps."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from auditor.reports import charts

NS = "{http://www.w3.org/2000/svg}"
# Any text a CRM field can hold, except what XML 1.0 cannot carry (control characters, non-characters).
LABELS = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), max_size=300)


def _bars(svg: str) -> list[ET.Element]:
    return ET.fromstring(svg).findall(f"{NS}rect")


@given(st.lists(st.tuples(LABELS, st.floats(0, 1e9)), min_size=1, max_size=12))
def test_bar_chart_is_svg_with_every_label_as_text(items: list[tuple[str, float]]) -> None:
    root = ET.fromstring(charts.bar_chart(items, title="t"))
    labels = [t.text or "" for t in root.findall(f"{NS}text")][::2]
    assert labels == [charts._cut(label) for label, _ in items]
    tips = [r.find(f"{NS}title").text for r in root.findall(f"{NS}rect")]
    assert [tip.rsplit(": ", 1)[0] for tip in tips] == [charts._cut(label, charts.TIP_CHARS) for label, _ in items]


def test_bar_widths_are_proportional_and_coloured_by_score() -> None:
    svg = charts.bar_chart([("a", 100), ("b", 50), ("c", 80)], title="t", maximum=100, colour=charts.score_colour)
    bars = _bars(svg)
    widths = [float(b.get("width")) for b in bars]
    assert widths[1] * 2 == widths[0] and widths[2] / widths[0] == 0.8
    assert [b.get("fill") for b in bars] == [charts.GOOD, charts.POOR, charts.FAIR]


def test_funnel_bars_are_centred_and_proportional() -> None:
    bars = _bars(charts.funnel_chart([("talks", 200), ("offer", 100), ("won", 50)], title="t"))
    centres = [float(b.get("x")) + float(b.get("width")) / 2 for b in bars]
    assert max(centres) - min(centres) <= 0.1  # coordinates are written to 0.1
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] == 2 * widths[1] == 4 * widths[2]


def test_line_breaks_where_a_run_has_no_score() -> None:
    points = [("1", 90.0), ("2", 92.0), ("3", None), ("4", 80.0), ("5", 85.0), ("6", 86.0)]
    root = ET.fromstring(charts.line_chart(points, title="t", low=50, marks=[True] * 6))
    lines = root.findall(f"{NS}polyline")
    assert [len(line.get("points").split()) for line in lines] == [2, 3]
    dots = root.findall(f"{NS}circle")
    assert len(dots) == 5
    # 80 is above the axis' low end (50) and below 90: its dot is between theirs
    ys = [float(d.get("cy")) for d in dots]
    assert ys[0] < ys[2] and ys[1] < ys[0]


def test_score_bands() -> None:
    assert [charts.score_band(s) for s in (None, 100, 90, 89.99, 75, 74.9, 0)] == [
        "none",
        "good",
        "good",
        "fair",
        "fair",
        "poor",
        "poor",
    ]


def test_unknown_values_draw_no_bar() -> None:
    for svg in (
        charts.bar_chart([("a", 10.0), ("b", float("nan")), ("c", float("inf"))], title="t"),
        charts.funnel_chart([("a", 10.0), ("b", float("nan"))], title="t"),
    ):
        assert "nan" not in svg and "inf" not in svg
        widths = [float(b.get("width")) for b in _bars(svg)]
        assert widths[0] > 100 and widths[1:] == [0.0] * (len(widths) - 1)
        assert [t.text for t in ET.fromstring(svg).findall(f"{NS}text")].count("-") == len(widths) - 1
