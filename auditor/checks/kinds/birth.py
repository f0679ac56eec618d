"""`birth`: a birth date or year that no living customer has.

Semantics: a column whose name says it holds a birth (birth_date, Year_Birth, DateOfBirth, dob, born)
and whose values are dates, or years alone (1800-2099), fails where the birth lies after the as-of
date or more than `max_age` years before it (default 110: the oldest people alive are about 115-119,
and a CRM's customers are not all of them). 1893, 1899 and 1900 in a year-of-birth column are typos
or placeholders, and every age, cohort and segment built on them is wrong. Values that are neither a
date nor a year are the `type` rule's or the `sentinel` rule's findings, not this one's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import PASSES, CheckContext, Dimension, Example, Param, RuleKind, Verdicts, series_of
from auditor.checks.expectations import no_equivalent
from auditor.sources.convert import parse_datetime

MAX_AGE = 110
_BIRTH = re.compile(r"birth|(?:^|[^a-z])dob(?:$|[^a-z])|(?:^|[^a-z])born(?:$|[^a-z])", re.IGNORECASE)


def is_birth(name: str) -> bool:
    return bool(_BIRTH.search(name))


def _birth_dates(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    if pd.api.types.is_numeric_dtype(values.dtype):
        years = values.where(values.between(1000, 2999) & (values % 1 == 0))
        return pd.to_datetime(years.astype("Int64").astype("string"), format="%Y", errors="coerce")
    return parse_datetime(values.astype("object").where(values.notna(), None).astype("str").where(values.notna()))


def verdicts(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> Verdicts:
    if not is_birth(str(values.name)):
        return PASSES
    born = _birth_dates(values)
    oldest = ctx.as_of - pd.DateOffset(years=int(params.get("max_age") or MAX_AGE))
    implausible = (born > ctx.as_of + pd.Timedelta(days=1)) | (born < oldest)
    return ~implausible.fillna(False).astype(bool)


check = series_of(verdicts)


KIND = RuleKind(
    name="birth",
    gx=no_equivalent(
        "finds birth columns by their names on every column, mapped or not, and judges them against as_of"
    ),
    summary="A birth date or year after the as-of date or more than 110 years before it.",
    dimension=Dimension.ACCURACY,
    check=check,
    verdicts=verdicts,
    message="{field} {value!r} is no plausible birth: after the as-of date, or more than {max_age} years before it",
    message_vars=lambda params, field, ctx: {"max_age": int(params.get("max_age") or MAX_AGE)},
    params=(Param("max_age", int, MAX_AGE, help="the greatest plausible age in years at the as-of date"),),
    examples=(
        Example(
            params={},
            passes=("1957", "2001", None, "1920"),
            fails=("1893", "1899", "2090"),
            entity="contacts",
            field="Year_Birth",
        ),
        Example(
            params={},
            passes=("1990-05-01", None),
            fails=("1890-05-01", "2030-01-01"),
            entity="contacts",
            field="birth_date",
        ),
        Example(
            params={},
            passes=("1890-05-01",),
            fails=(),
            entity="contacts",
            field="created_at",
        ),
    ),
)
