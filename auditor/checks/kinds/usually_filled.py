"""`usually_filled`: an empty cell in a column that nearly every record fills.

Semantics: when at least `min_count` records have the column and at least `min_share` of them fill
it, the records that leave it empty (missing, blank, or only whitespace) fail: the one contact
without an address, phone, source and birth date among a thousand that have them is a record
someone typed by hand outside the usual process. It is the completeness a column's own data
promises (Deequ suggests the same constraint from a profile), for columns no rule requires.
A column filled by fewer records is not judged: its blanks are normal for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import PASSES, CheckContext, Dimension, Example, Param, RuleKind, Verdicts, series_of
from auditor.checks.expectations import ON_EVERY_COLUMN
from auditor.checks.kinds._columns import column_text

MIN_COUNT = 100
MIN_SHARE = 0.99


def _filled(values: pd.Series, ctx: CheckContext) -> pd.Series:
    return column_text(values, ctx).filled


def share_filled(values: pd.Series, ctx: CheckContext) -> float:
    """`_filled(values, ctx).mean()` from the distinct values' counts, without the rows' Series made (a column
    that is not judged, most of them, needs only this share)."""
    column = column_text(values, ctx)
    if not len(values):
        return float("nan")
    return int(column.cells.counts()[column.filled_values].sum()) / len(values)


def verdicts(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> Verdicts:
    if len(values) < int(params.get("min_count") or MIN_COUNT) or share_filled(values, ctx) < float(
        params.get("min_share") or MIN_SHARE
    ):
        return PASSES
    return column_text(values, ctx).filled_cells


check = series_of(verdicts)


def _describe(params: Mapping[str, Any], field: str, ctx: CheckContext) -> Mapping[str, Any]:
    filled = _filled(ctx.frame[field], ctx)
    return {"filled": f"{int(filled.sum()):,} of {len(filled):,}"}


KIND = RuleKind(
    name="usually_filled",
    gx=ON_EVERY_COLUMN,
    summary="An empty cell in a column that at least 99% of the records fill.",
    dimension=Dimension.COMPLETENESS,
    check=check,
    verdicts=verdicts,
    message="{field} is empty, while {filled} records fill it",
    message_vars=_describe,
    params=(
        Param("min_count", int, MIN_COUNT, help="judge a column only in a table of at least this many records"),
        Param("min_share", float, MIN_SHARE, help="judge a column only when at least this share fills it"),
    ),
    whole_column=True,
    examples=(
        Example(
            params={},
            passes=("Boston",) * 120,
            fails=(None,),
            entity="contacts",
            field="city",
        ),
        Example(
            params={},
            passes=("Boston",) * 100 + (None,) * 5,
            fails=(),
            entity="contacts",
            field="city",
        ),
    ),
)
