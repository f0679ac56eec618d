"""`timeline`: two dates of one record in the wrong order, judged by what their names say.

Semantics: every date or time column of the table (a mapped date field, or a column nobody mapped
whose values read as dates, at least 95% of them) whose name says which step of a process it
records takes part: a start (created, opened, submitted, received, ordered, sent, started), a first
response (first response, responded, replied, acknowledged, assigned), an outcome (resolved,
converted, won, delivered, shipped, paid, completed) and an end (closed, ended, finished,
cancelled). Record-keeping times are another timeline: updated/modified must follow created, and
created takes part in the process steps only when the table has no other start (a ticket's opened
time, not its record's creation, starts its process; an imported ticket may be created after it was
resolved). A record fails on the later step's column when it is
earlier than any earlier step's: a ticket resolved before it was opened, closed before it was
resolved, replied before it was received. When either column holds dates without a time, both are
compared by day. A date after the as-of date is not judged: it is wrong itself (`not_future`), and the
order it breaks follows from that. Pairs a pack already orders (`order` rules) are reported once, by that rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, RuleKind, Verdicts, series_of
from auditor.checks.expectations import no_equivalent
from auditor.checks.kinds._columns import is_text_column, per_table, raw_text
from auditor.sources.convert import parse_datetime

STEPS: dict[str, float] = {
    **dict.fromkeys(("created", "opened", "open", "submitted", "received", "ordered", "sent", "started", "start"), 0),
    **dict.fromkeys(("updated", "modified"), 0.5),
    **dict.fromkeys(("response", "responded", "replied", "acknowledged", "assigned"), 1),
    **dict.fromkeys(("resolved", "converted", "won", "delivered", "shipped", "paid", "completed", "fulfilled"), 2),
    **dict.fromkeys(("close", "closed", "ended", "end", "finished", "cancelled", "canceled"), 3),
}
MIN_PARSED = 0.95


def name_words(name: str) -> list[str]:
    """The lower-cased words of a column name in any casing: "first_response_at", "ClosedDate", "SLA_due"."""
    return [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", name)]


def step(name: str) -> float | None:
    """The process step a column's name records, or None. `first_response_at` is a response, not a start."""
    words = name_words(name)
    found = [STEPS[w] for w in words if w in STEPS]
    if not found:
        return None
    return 1.0 if "first" in words and 1 in found else max(found)


def _dates(ctx: CheckContext) -> dict[str, tuple[float, pd.Series]]:
    """Every column with a step, as dates (day-truncated when the column has no times)."""
    return per_table.get(ctx.frame, "timeline", lambda: _parse_dates(ctx))


def _parse_dates(ctx: CheckContext) -> dict[str, tuple[float, pd.Series]]:
    found: dict[str, tuple[float, pd.Series]] = {}
    for name in (str(c) for c in ctx.frame.columns):
        rank = step(name)
        if rank is None or "birth" in name.lower():
            continue
        values = ctx.frame[name]
        if is_text_column(values):
            text = raw_text(values, ctx)
            parsed = parse_datetime(text.dropna())
            if len(parsed) == 0 or parsed.notna().mean() < MIN_PARSED:
                continue
            values = parse_datetime(text)
        elif not pd.api.types.is_datetime64_any_dtype(values.dtype):
            continue
        found[name] = (rank, values)
    return found


def _created(name: str) -> bool:
    return "created" in name.lower()


def _compared(field: str, rank: float, name: str, other_rank: float, dates: Mapping[str, Any]) -> bool:
    """Whether `field` (a later step) must not precede `name`."""
    if other_rank >= rank:
        return False
    if rank == 0.5 or other_rank == 0.5:  # updated/modified: only after a record's creation
        return rank == 0.5 and _created(name)
    if _created(name):
        other_starts = [n for n, (r, _) in dates.items() if r == 0 and not _created(n)]
        return not other_starts
    return True


def _earlier(field: str, ctx: CheckContext) -> dict[str, pd.Series]:
    """For each earlier-step column: True where `field` precedes it."""
    dates = _dates(ctx)
    if field not in dates:
        return {}
    rank, mine = dates[field]
    out = {}
    for name, (other_rank, theirs) in dates.items():
        if not _compared(field, rank, name, other_rank, dates):
            continue
        left, right = _clipped(field, mine, ctx), _clipped(name, theirs, ctx)
        if left.date_only or right.date_only:
            out[name] = (left.days < right.days).fillna(False).astype(bool)
        else:
            out[name] = (left.dates < right.dates).fillna(False).astype(bool)
    return out


_DAY = 86_400 * 10**9
"""A day in nanoseconds: a time at midnight is a whole number of them from 1970 (before it too, numpy's remainder
taking the divisor's sign), as `normalize` leaves it."""


class _Clipped:
    """A date column without the dates after tomorrow (`as_of` + 1 day), as compared with the others: made once
    per table and column, not once per pair of columns (each a few pandas passes)."""

    def __init__(self, dates: pd.Series, as_of: pd.Timestamp) -> None:
        limit = as_of + pd.Timedelta(days=1)
        stamps = dates.to_numpy()
        if stamps.dtype != np.dtype("datetime64[ns]") or limit.tz is not None:  # not a typed or parsed date column
            self.dates = dates.where(dates <= limit)
            self.date_only = _date_only(self.dates)
            return
        # in numpy: the pandas `where`, `dropna`, `normalize` and comparison cost a millisecond a date column
        kept = stamps <= limit.to_datetime64()  # NaT is never kept
        self.dates = pd.Series(np.where(kept, stamps, np.datetime64("NaT", "ns")), index=dates.index, name=dates.name)
        present = stamps[kept].view(np.int64)
        self.date_only = bool(len(present)) and not bool((present % _DAY).any())

    @cached_property
    def days(self) -> pd.Series:
        return self.dates.dt.normalize()


def _clipped(name: str, dates: pd.Series, ctx: CheckContext) -> _Clipped:
    return per_table.get(ctx.frame, ("timeline_clipped", name), lambda: _Clipped(dates, ctx.as_of))


def _date_only(values: pd.Series) -> bool:
    present = values.dropna()
    return bool(len(present)) and bool((present == present.dt.normalize()).all())


def verdicts(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> Verdicts:
    wrong = np.zeros(len(values), dtype=bool)
    for before in _earlier(str(values.name), ctx).values():
        wrong |= before.to_numpy()
    return ~wrong


check = series_of(verdicts)


def _display(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    field = str(values.name)
    dates = _dates(ctx)
    shown = pd.Series("", index=values.index, dtype="object")
    for name, before in _earlier(field, ctx).items():
        rows = before.loc[values.index]
        mine = dates[field][1].loc[values.index].astype(str)
        other = dates[name][1].loc[values.index].astype(str)
        text = mine + " is before " + name + " " + other
        shown = shown.where(~rows | shown.ne(""), text)
    return shown


KIND = RuleKind(
    name="timeline",
    gx=no_equivalent("compares every pair of a record's date columns by what their names say"),
    summary="Two dates of a record in the wrong order by their names: resolved before opened, closed before resolved.",
    dimension=Dimension.CONSISTENCY,
    check=check,
    verdicts=verdicts,
    message="{field} out of order: {value}",
    display=_display,
    whole_column=True,
    examples=(
        Example(
            params={},
            passes=("2016-03-01 10:00", "2016-03-02 10:00", None),
            fails=("2016-02-28 09:00",),
            entity="tickets",
            field="closed_at",
            extra_columns={"resolved_at": ("2016-03-01 10:00", "2016-03-01 10:00", "2016-03-01 10:00", "2016-03-01")},
        ),
        Example(
            params={},
            passes=("2016-03-01", "2016-03-05"),
            fails=("2016-02-28",),
            entity="tickets",
            field="closed_date",
            extra_columns={"opened_at": ("2016-03-01 10:00", "2016-03-01 10:00", "2016-03-01 10:00")},
        ),
    ),
)
