"""Plausibility anomalies: values no rule of the core pack checks, but that cannot be true of any CRM.

The defects of `defects.py` each break a rule; these break none, so only the metrics stage's
plausibility screening (`auditor.metrics.screening`) can see them, and they test that an unchecked
anomaly never leaves a metric HIGH. Each kind is one general edit of a date or amount column:

* `order`: a later step dated before an earlier one that no rule compares (a ticket resolved after
  it was opened but before its first response): an impossible duration;
* `future`: an event date pushed decades ahead (a mistyped year: a cancellation in 2062);
* `too_early`: an event date a century back (1926 for 2026), before any CRM existed;
* `outlier`: an amount typed 1,000 times too large (the decimal separator lost).

`generate(..., anomaly_rate=r)` applies each target to about r of the eligible records (at least
one), on records no defect touched, and lists them in truth/anomalies.csv. With the default rate 0
nothing is drawn, so the export and its truth are those of earlier versions, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Target:
    entity: str
    field: str
    kind: str  # order | future | too_early | outlier
    before: str | None = None
    """for `order`: the later step's date is set between `after` and this earlier-named step"""
    after: str | None = None


TARGETS = (
    Target("tickets", "resolved_at", "order", before="first_response_at", after="opened_at"),
    Target("tickets", "opened_at", "too_early"),
    Target("subscriptions", "cancelled_at", "future"),
    Target("costs", "amount", "outlier"),
    Target("campaigns", "attributed_revenue", "outlier"),
)
"""fields the metrics read whose anomaly no core rule reports (tests/synth asserts it)"""

SCREEN = {"order": "plausibility.order", "future": "plausibility.future", "too_early": "plausibility.too_early"}
SCREEN["outlier"] = "plausibility.outlier"
OUTLIER_FACTOR = 1000.0


def inject_anomalies(
    frames: dict[str, pd.DataFrame],
    used: Mapping[str, MutableMapping[int, set[str]]],
    rng: np.random.Generator,
    rate: float,
) -> list[tuple[str, int, str, str, str]]:
    """Edit the text frames in place; (entity, position, field, screen, injection) per anomaly.
    `used`: the positions defects touched per entity (the injector's), updated with these."""
    out: list[tuple[str, int, str, str, str]] = []
    if rate <= 0:
        return out
    for target in TARGETS:
        frame = frames.get(target.entity)
        if frame is None or target.field not in frame.columns:
            continue
        column = frame[target.field]
        eligible = column.notna() & (column.astype("object").astype(str).str.strip() != "")
        if target.kind == "order":
            first, start = _dates(frame[target.before]), _dates(frame[target.after])
            eligible &= (first - start > pd.Timedelta(minutes=2)).fillna(False)
        if target.kind == "outlier":
            eligible &= pd.to_numeric(column, errors="coerce").gt(0).fillna(False)
        taken = used[target.entity]
        pool = np.array([p for p in np.flatnonzero(eligible.to_numpy(bool)) if p not in taken], dtype=int)
        if not len(pool):
            continue
        k = min(len(pool), max(1, round(rate * int(eligible.sum()))))
        pos = np.sort(rng.choice(pool, k, replace=False))
        new = _edit(target, frame, pos, rng)
        values = frame[target.field].copy()
        values.iloc[pos] = pd.Series(new, dtype=values.dtype).to_numpy()
        frame[target.field] = values
        for p in pos:
            taken.setdefault(int(p), set()).add(target.field)
        out.extend((target.entity, int(p), target.field, SCREEN[target.kind], target.kind) for p in pos)
    return out


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.astype("object"), errors="coerce", format="ISO8601")


def _edit(target: Target, frame: pd.DataFrame, pos: np.ndarray, rng: np.random.Generator) -> list[str]:
    raw = frame[target.field].astype("object").iloc[pos]
    if target.kind == "outlier":
        return [f"{float(v) * OUTLIER_FACTOR:.2f}" for v in raw]
    has_time = "T" in str(raw.iloc[0])
    dates = _dates(raw)
    if target.kind == "order":
        start = _dates(frame[target.after].iloc[pos])
        first = _dates(frame[target.before].iloc[pos])
        share = rng.uniform(0.1, 0.9, len(pos))
        dates = start + (first - start) * share
    elif target.kind == "future":
        dates = dates + pd.DateOffset(years=36)
    else:
        dates = dates - pd.DateOffset(years=100)
    fmt = "%Y-%m-%dT%H:%M:%S" if has_time else "%Y-%m-%d"
    return [d.strftime(fmt) for d in dates]
