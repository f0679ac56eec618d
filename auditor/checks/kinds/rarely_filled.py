"""`rarely_filled`: a value in a column that nearly every record leaves empty.

Semantics: when at least `min_count` records have the column and at most `max_share` of them fill
it, the records that do fill it fail: a photo URL or a check-in date set on two demo records of a
thousand marks test or demo data, or a field written by one abandoned process. Columns nobody fills
at all are not findings (there is no record to fix).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import PASSES, CheckContext, Dimension, Example, Param, RuleKind, Verdicts, series_of
from auditor.checks.expectations import ON_EVERY_COLUMN
from auditor.checks.kinds._columns import column_text
from auditor.checks.kinds.usually_filled import _filled, share_filled

MIN_COUNT = 100
MAX_SHARE = 0.01


def verdicts(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> Verdicts:
    if len(values) < int(params.get("min_count") or MIN_COUNT) or share_filled(values, ctx) > float(
        params.get("max_share") or MAX_SHARE
    ):
        return PASSES
    return ~column_text(values, ctx).filled_cells


check = series_of(verdicts)


def _describe(params: Mapping[str, Any], field: str, ctx: CheckContext) -> Mapping[str, Any]:
    filled = _filled(ctx.frame[field], ctx)
    return {"filled": f"{int(filled.sum()):,} of {len(filled):,}"}


KIND = RuleKind(
    name="rarely_filled",
    gx=ON_EVERY_COLUMN,
    summary="A value in a column that at most 1% of the records fill: demo or test data, an abandoned field.",
    dimension=Dimension.ACCURACY,
    check=check,
    verdicts=verdicts,
    message="{field} is set ({value}) on only {filled} records: a test or demo record, or a field no process keeps",
    message_vars=_describe,
    params=(
        Param("min_count", int, MIN_COUNT, help="judge a column only in a table of at least this many records"),
        Param("max_share", float, MAX_SHARE, help="judge a column only when at most this share fills it"),
    ),
    whole_column=True,
    examples=(
        Example(
            params={},
            passes=(None,) * 150,
            fails=("https://example.org/photo.png",),
            entity="contacts",
            field="photo_url",
        ),
        Example(
            params={},
            passes=(None,) * 100 + ("a", "b", "c"),
            fails=(),
            entity="contacts",
            field="photo_url",
        ),
    ),
)
