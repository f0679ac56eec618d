"""required: the field has a value (not missing, not only whitespace)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, RuleKind
from auditor.checks.kinds._common import is_blank


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    # The raw cell decides: a typed NA may come from an unparseable value, which is a
    # `type` defect, not a missing one.
    field = values.name
    raw = ctx.raw[field] if field in ctx.raw.columns else values
    return ~is_blank(raw)


KIND = RuleKind(
    name="required",
    summary="The field must have a value; empty and whitespace-only cells fail.",
    dimension=Dimension.COMPLETENESS,
    check=check,
    message="{field} is missing",
    examples=(Example(params={}, passes=("jan@firma.pl", " a "), fails=(None, "", "   "), field="email"),),
)
