"""staleness: a record was touched (created, updated, or had an activity) within `days` of the as-of date.

Last touch = max(created_at, the listed fields, the latest activity `occurred_at` whose
`activity_key` column holds the record's id). The finding sits on the first listed field.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, Lookup, Param, RuleKind
from auditor.checks.expectations import no_equivalent
from auditor.checks.kinds._columns import per_table
from auditor.checks.kinds._fastpath import to_arrow
from auditor.dtypes import TEXT
from auditor.lookups import index_in
from auditor.model import Entity

ACTIVITIES = "activities"


def last_touch(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    """Per record of `values`, its last touch. The table's whole column's is made once and kept while the column
    is checked: the findings' messages (`display`) show it for the stale records, which made it again."""
    column = ctx.frame.get(values.name) if isinstance(values.name, str) else None
    if column is None or not _some_of(values, column):
        return _last_touch(values, params, ctx)
    # per activities table held (a weak reference: the same records may be asked about with other activities)
    held: list[tuple[Callable[[], object], pd.Series]] = per_table.get(
        ctx.frame, ("staleness", values.name, params.get("activity_key")), list
    )
    activities = ctx.tables.get(ACTIVITIES)
    touched = next((touched for table, touched in held if table() is activities), None)
    if touched is None:
        touched = _last_touch(column, params, ctx)
        held.append((weakref.ref(activities) if activities is not None else lambda: None, touched))
    return touched if values.index.equals(column.index) else touched.loc[values.index]


def _some_of(values: pd.Series, column: pd.Series) -> bool:
    """`values` are the cells of `column` at their labels (the whole column, or some of its rows)."""
    if not column.index.is_unique or values.dtype != column.dtype:
        return False
    if values.index.equals(column.index):
        return _same_memory(values, column) or values.equals(column)
    return values.index.isin(column.index).all() and values.equals(column.loc[values.index])


def _same_memory(values: pd.Series, column: pd.Series) -> bool:
    if not isinstance(values.dtype, np.dtype):
        return False
    a, b = values.to_numpy(), column.to_numpy()
    return a.__array_interface__["data"] == b.__array_interface__["data"] and a.strides == b.strides


def _last_touch(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    key = params.get("activity_key")
    activities = ctx.tables.get(ACTIVITIES)
    pk = ctx.entity.primary_key
    frame = ctx.frame
    if not frame.index.equals(values.index):  # a part of the records: their two columns, not the whole table
        frame = frame[[c for c in ("created_at", pk) if c and c in frame.columns]].loc[values.index]
    touches = [values]
    if "created_at" in frame.columns:
        touches.append(frame["created_at"])
    if key and activities is not None and key in activities.columns and pk in frame.columns:
        latest = activities.groupby(key, sort=False)["occurred_at"].max()
        touches.append(pd.Series(_latest_of(latest, frame[pk]), index=frame.index))
    times = [pd.to_datetime(t) for t in touches]
    kind = times[0].dtype
    alike = all(t.dtype == kind and t.index.equals(values.index) for t in times)
    if alike and isinstance(kind, np.dtype) and kind.kind == "M":
        # NaT is the least int64, so the greatest of the numbers is the latest time, NaT only when all are: what
        # `max(axis=1)` of the times side by side gives, without a frame of them made and read row by row
        numbers = [t.to_numpy().view(np.int64) for t in times]
        latest = functools.reduce(np.maximum, numbers)
        return pd.Series(latest.view(kind), index=values.index)
    return pd.concat(times, axis=1).max(axis=1)


def _latest_of(latest: pd.Series, ids: pd.Series) -> np.ndarray:
    """Per id, its latest activity (NaT: none). Text ids are looked up by Arrow's hash: `reindex` made each of
    a million ids a Python str first."""
    if ids.dtype != TEXT or latest.index.dtype != TEXT or not isinstance(latest.dtype, np.dtype):
        # reindex, not map: Series.map with an empty datetime mapping raises (pandas casts it to float64),
        # and a slice of the records (a Spark partition) can have no activity at all
        return latest.reindex(ids.to_numpy()).to_numpy()
    positions = index_in(to_arrow(ids), to_arrow(latest.index.to_series()))
    times = np.append(latest.to_numpy(), np.datetime64("NaT"))  # the last for an id without any activity
    return times[np.where(positions >= 0, positions, len(latest))]


def lookups(params: Mapping[str, Any], fields: tuple[str, ...], entity: Entity) -> tuple[Lookup, ...]:
    """The latest activity of each record, when the rule names the activities' key column."""
    key = params.get("activity_key")
    return (Lookup(entity.primary_key, ACTIVITIES, str(key), latest="occurred_at"),) if key else ()


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    touched = last_touch(values, params, ctx)
    cutoff = ctx.as_of - pd.Timedelta(days=int(params["days"]))
    # A record with no date at all cannot be judged stale; its missing dates are other findings.
    return ~(touched < cutoff).fillna(False).astype(bool)


def display(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    return last_touch(values, params, ctx).dt.strftime("%Y-%m-%d")


KIND = RuleKind(
    name="staleness",
    gx=no_equivalent("needs the activities table (last touch per record); GX sees one batch"),
    summary="Records must have been updated or had an activity within `days` of the as-of date.",
    dimension=Dimension.TIMELINESS,
    check=check,
    display=display,
    lookups=lookups,
    message="no update or activity for over {days} days (last touch {value})",
    params=(
        Param("days", int, required=True, help="how many days without a touch make a record stale"),
        Param("activity_key", str, help="column of the activities table that holds this record's id"),
    ),
    examples=(
        Example(
            params={"days": 90, "activity_key": "contact_id"},
            passes=(pd.Timestamp("2026-10-01"), pd.Timestamp("2020-01-01")),
            fails=(pd.Timestamp("2026-01-01"),),
            entity="contacts",
            field="updated_at",
            extra_columns={"contact_id": ("C1", "C2", "C3"), "created_at": (pd.Timestamp("2019-01-01"),) * 3},
            tables={
                "activities": {
                    "activity_id": ("X1",),
                    "contact_id": ("C2",),
                    "occurred_at": (pd.Timestamp("2026-10-20"),),
                }
            },
        ),
    ),
)
