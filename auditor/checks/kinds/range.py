"""range: numbers or dates within bounds (min/max inclusive, gt/lt exclusive), optionally whole numbers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, Param, RuleKind
from auditor.checks.kinds._common import as_comparable


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    ok = pd.Series(True, index=values.index)
    present = values.notna()
    for key, compare in (
        ("min", lambda v, b: v >= b),
        ("max", lambda v, b: v <= b),
        ("gt", lambda v, b: v > b),
        ("lt", lambda v, b: v < b),
    ):
        bound = as_comparable(params.get(key), values)
        if bound is not None:
            ok &= ~present | compare(values, bound).fillna(True).astype(bool)
    if params.get("integer") and pd.api.types.is_numeric_dtype(values.dtype):
        as_float = values.astype("float64")
        ok &= ~present | pd.Series(np.isclose(as_float, np.round(as_float)), index=values.index)
    return ok


def _bounds(params: Mapping[str, Any]) -> str:
    parts = []
    for key, symbol in (("gt", ">"), ("min", ">="), ("lt", "<"), ("max", "<=")):
        if params.get(key) is not None:
            parts.append(f"{symbol} {params[key]}")
    if params.get("integer"):
        parts.append("a whole number")
    return " and ".join(parts)


KIND = RuleKind(
    name="range",
    summary="Numbers or dates must lie within bounds: min/max inclusive, gt/lt exclusive, integer optional.",
    dimension=Dimension.VALIDITY,
    check=check,
    message="{field} {value} is out of range (must be {bounds})",
    message_vars=lambda params, field, ctx: {"bounds": _bounds(params)},
    params=(
        Param("min", (int, float, str), help="inclusive lower bound (a number, or an ISO date)"),
        Param("max", (int, float, str), help="inclusive upper bound"),
        Param("gt", (int, float, str), help="exclusive lower bound"),
        Param("lt", (int, float, str), help="exclusive upper bound"),
        Param("integer", bool, default=False, help="values must be whole numbers"),
    ),
    examples=(
        Example(
            params={"min": 0, "max": 10, "integer": True},
            passes=(0, 10, 7, None),
            fails=(11, -1, 7.5),
            entity="surveys",
            field="nps",
        ),
        Example(params={"gt": 0}, passes=(0.01, 1e6), fails=(0, -5), entity="opportunities", field="amount"),
    ),
)
