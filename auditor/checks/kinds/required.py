"""required: the field has a value (not missing, not only whitespace, not a code for "no value" such as
"n/a", "?" or "unknown": see `auditor.text.MISSING_CODES`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, RuleKind, Verdicts, series_of
from auditor.checks.expectations import APPROXIMATE, EXACT, GxMapping, expect, field_dtype
from auditor.checks.kinds._columns import is_text_column, written_text
from auditor.checks.kinds._common import is_blank, is_missing_code
from auditor.model import DType


def verdicts(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> Verdicts:
    # The raw cell decides: a typed NA may come from an unparseable value, which is a
    # `type` defect, not a missing one. In a date, number or flag, "?" or "n/a" is a missing value
    # written out; in text it is junk the `placeholder` and `sentinel` rules report.
    typed = not is_text_column(values)
    column = written_text(values, ctx)  # judged once per distinct value, shared with the other kinds
    if column is not None:  # per distinct value, spread over the rows once
        absent = ~column.present_values | (column.missing_values & typed)
        return ~column.cells.spread(absent)
    raw = ctx.raw[values.name] if values.name in ctx.raw.columns else values
    return ~(is_blank(raw) | (is_missing_code(raw) & typed))


check = series_of(verdicts)


def gx(params: Mapping[str, Any], entity: str, name: str, as_of: pd.Timestamp | None) -> GxMapping:
    not_null = expect("ExpectColumnValuesToNotBeNull", column=name)
    dtype = field_dtype(entity, name)
    if dtype is DType.STRING:
        return GxMapping(
            EXACT, "", (not_null, expect("ExpectColumnValuesToNotMatchRegex", column=name, regex=r"^\s*$"))
        )
    return GxMapping(
        APPROXIMATE,
        f"{name} is typed ({dtype.value}): a cell that does not parse is null for GX "
        "(the auditor reports it under `type`, not as missing)",
        (not_null,),
    )


KIND = RuleKind(
    name="required",
    gx=gx,
    summary="The field must have a value; empty and whitespace-only cells fail.",
    dimension=Dimension.COMPLETENESS,
    check=check,
    verdicts=verdicts,
    message="{field} is missing",
    examples=(
        Example(params={}, passes=("jan@firma.pl", " a "), fails=(None, "", "   "), field="email"),
        Example(params={}, passes=("2026-01-05",), fails=(None, "?", "N/A"), field="birth_date"),
    ),
)
