"""not_future: a date is not later than the audit's as-of date (plus a day of time-zone slack)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, Param, RuleKind


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    limit = ctx.as_of.normalize() + pd.Timedelta(days=1 + int(params.get("tolerance_days", 0)))
    return ~(values >= limit).fillna(False).astype(bool)


KIND = RuleKind(
    name="not_future",
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
