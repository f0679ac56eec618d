"""required: the field has a value (not missing, not only whitespace, not a code for "no value" such as
"n/a", "?" or "unknown": see `auditor.text.MISSING_CODES`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, RuleKind
from auditor.checks.kinds._common import is_blank, is_missing_code


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    # The raw cell decides: a typed NA may come from an unparseable value, which is a
    # `type` defect, not a missing one. In a date, number or flag, "?" or "n/a" is a missing value
    # written out; in text it is junk the `placeholder` and `sentinel` rules report.
    field = values.name
    raw = ctx.raw[field] if field in ctx.raw.columns else values
    typed = not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype))
    return ~(is_blank(raw) | (is_missing_code(raw) & typed))


KIND = RuleKind(
    name="required",
    summary="The field must have a value; empty and whitespace-only cells fail.",
    dimension=Dimension.COMPLETENESS,
    check=check,
    message="{field} is missing",
    examples=(
        Example(params={}, passes=("jan@firma.pl", " a "), fails=(None, "", "   "), field="email"),
        Example(params={}, passes=("2026-01-05",), fails=(None, "?", "N/A"), field="birth_date"),
    ),
)
