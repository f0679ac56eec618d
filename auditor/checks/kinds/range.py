"""range: numbers or dates within bounds (min/max inclusive, gt/lt exclusive), optionally whole numbers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, Param, RuleKind
from auditor.checks.expectations import APPROXIMATE, EXACT, GxMapping, expect, field_dtype
from auditor.checks.kinds._common import as_comparable
from auditor.model import DType


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


GX_INTEGER_SET_LIMIT = 1000
"""Whole numbers between min and max are exported as a set of values up to this many."""


def gx(params: Mapping[str, Any], entity: str, name: str, as_of: pd.Timestamp | None) -> GxMapping:
    low, high = params.get("min"), params.get("max")
    if params.get("integer"):
        if (
            isinstance(low, int | float)
            and isinstance(high, int | float)
            and float(low).is_integer()
            and float(high).is_integer()
            and high - low <= GX_INTEGER_SET_LIMIT
            and params.get("gt") is None
            and params.get("lt") is None
        ):
            # whole numbers between min and max: a set GX can check exactly
            values = list(range(int(low), int(high) + 1))
            return GxMapping(EXACT, "", (expect("ExpectColumnValuesToBeInSet", column=name, value_set=values),))
        parity, reason = APPROXIMATE, "`integer: true` has no GX equivalent beyond a finite set of values"
    else:
        parity, reason = EXACT, ""
    dated = field_dtype(entity, name) in (DType.DATE, DType.DATETIME)

    def bound(value: Any) -> Any:
        return pd.Timestamp(value).isoformat() if value is not None and dated else value

    expectations = []
    for lower, strict_lower in ((low, False), (params.get("gt"), True)):
        for upper, strict_upper in ((high, False), (params.get("lt"), True)):
            if lower is None and upper is None:
                continue
            if (lower is None and strict_lower) or (upper is None and strict_upper):
                continue
            expectations.append(
                expect(
                    "ExpectColumnValuesToBeBetween",
                    column=name,
                    min_value=bound(lower),
                    max_value=bound(upper),
                    strict_min=strict_lower if lower is not None else None,
                    strict_max=strict_upper if upper is not None else None,
                )
            )
    # every combination above repeats the checks; keep those that are not implied by another
    unique = {json.dumps(e, sort_keys=True): e for e in expectations}
    return GxMapping(parity, reason, tuple(_minimal(list(unique.values()))))


def _minimal(expectations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop an expectation whose bounds are a subset of another's (one-sided vs two-sided)."""
    keep = []
    for e in expectations:
        bounds = {k for k in ("min_value", "max_value") if k in e["kwargs"]}
        implied = any(
            other is not e
            and {k for k in ("min_value", "max_value") if k in other["kwargs"]} > bounds
            and all(other["kwargs"].get(k) == e["kwargs"].get(k) for k in bounds)
            for other in expectations
        )
        if not implied:
            keep.append(e)
    return keep


KIND = RuleKind(
    name="range",
    gx=gx,
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
