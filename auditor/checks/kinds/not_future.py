"""not_future: a date is not later than the audit's as-of date (plus a day of time-zone slack)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, Param, RuleKind
from auditor.checks.expectations import EXACT, NONE, GxMapping, expect


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    limit = ctx.as_of.normalize() + pd.Timedelta(days=1 + int(params.get("tolerance_days", 0)))
    return ~(values >= limit).fillna(False).astype(bool)


def gx(params: Mapping[str, Any], entity: str, name: str, as_of: pd.Timestamp | None) -> GxMapping:
    if as_of is None:
        return GxMapping(NONE, "needs the audit's as-of date")
    limit = as_of.normalize() + pd.Timedelta(days=1 + int(params.get("tolerance_days", 0) or 0))
    return GxMapping(
        EXACT, "", (expect("ExpectColumnValuesToBeBetween", column=name, max_value=limit.isoformat(), strict_max=True),)
    )


KIND = RuleKind(
    name="not_future",
    gx=gx,
    summary="Dates must not be later than the as-of date (the day after it, for time zones).",
    dimension=Dimension.ACCURACY,
    check=check,
    message="{field} {value} is in the future",
    params=(Param("tolerance_days", int, default=0, help="extra days allowed past the as-of date"),),
    examples=(
        Example(
            params={},
            passes=(pd.Timestamp("2026-10-31 23:59"), pd.Timestamp("2020-01-01"), None),
            fails=(pd.Timestamp("2026-11-01"), pd.Timestamp("2031-01-01")),
            entity="contacts",
            field="created_at",
        ),
    ),
)
