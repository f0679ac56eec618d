"""`constant`: a date or time column with one value on every record.

Semantics: when at least `min_count` records have a typed date or time in the column and all of
them hold the same value, every record fails: a created date identical on all records is the day
of a migration or import, not when each record was created, and every age, cohort and cycle-time
metric built on it is wrong. Text and number columns are not judged: a constant flag or record
type ("Contact") is normal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import PASSES, CheckContext, Dimension, Example, Param, RuleKind, Verdicts, series_of
from auditor.checks.expectations import ON_EVERY_COLUMN

MIN_COUNT = 20


def verdicts(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> Verdicts:
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):  # before any work: most columns are not dates
        return PASSES
    # one value on every dated record: its earliest is its latest (a pass, not a hash of a million times)
    if values.count() < int(params.get("min_count") or MIN_COUNT) or values.min() != values.max():
        return PASSES
    return values.isna()


check = series_of(verdicts)


KIND = RuleKind(
    name="constant",
    gx=ON_EVERY_COLUMN,
    summary="A date/time column with the same value on every record (a migration or import stamp).",
    dimension=Dimension.ACCURACY,
    check=check,
    verdicts=verdicts,
    message="{field} is {value} on every record: the date of an import or migration, not of this record",
    params=(Param("min_count", int, MIN_COUNT, help="judge a column only with at least this many dates"),),
    whole_column=True,
    examples=(
        Example(
            params={},
            passes=(None,),
            fails=("2024-03-01 09:00:00",) * 25,
            entity="contacts",
            field="created_at",
        ),
        Example(
            params={},
            passes=("2024-03-01", "2024-03-02") * 15,
            fails=(),
            entity="contacts",
            field="created_at",
        ),
    ),
)
