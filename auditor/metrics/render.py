"""Renderings of metric results: a rich table for people, JSON for programs. No computation."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.table import Table

from auditor.metrics.evaluate import MetricResult

FLAG_STYLE = {"HIGH": "green", "MEDIUM": "yellow", "LOW": "red", "UNRELIABLE": "bold red", "NOT_EVALUATED": "dim"}


def to_json(results: Sequence[MetricResult]) -> str:
    """A list of {id, value, unit, interval, confidence, reasons, breakdowns, ...}."""
    return json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False) + "\n"


def show(value: Any, unit: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        items = list(value.items())
        shown = ", ".join(f"{k}: {show(v, unit)}" for k, v in items[:3])
        return shown + (f", ... ({len(items)} groups)" if len(items) > 3 else "")
    if unit == "share":
        return f"{100 * value:.1f}%"
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.4f}"


def table(results: Sequence[MetricResult], title: str = "Metrics") -> Any:
    view = Table(title=title, title_justify="left")
    view.add_column("metric", no_wrap=True)
    view.add_column("value", overflow="fold", max_width=24)
    view.add_column("unit")
    view.add_column("interval")
    view.add_column("flag", no_wrap=True)
    view.add_column("top reason", overflow="fold", min_width=36)
    for r in results:
        unit = "" if r.unit == "share" else r.unit
        interval = f"{show(r.interval[0], r.unit)} - {show(r.interval[1], r.unit)}" if r.interval else ""
        flag = f"[{FLAG_STYLE[r.confidence]}]{r.confidence}[/]"
        value = show(r.value, r.unit)
        if r.warning:
            value = f"[bold red]! {show(r.trusted_value, r.unit)}[/] (raw {value})"
        view.add_row(r.id, value, unit, interval, flag, r.warning or (r.reasons[0] if r.reasons else ""))
    return view
