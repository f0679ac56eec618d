"""unique: no two records share a value. Every record of a shared value fails, so the
worklist can show the whole group, not an arbitrary "second" one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, Param, RuleKind
from auditor.checks.expectations import APPROXIMATE, EXACT, GxMapping, expect
from auditor.checks.kinds._fastpath import casefold, shared_values, to_arrow
from auditor.dtypes import TEXT, as_text


def _keys(values: pd.Series, params: Mapping[str, Any]) -> pd.Series:
    """What two records must share to collide: the value, or its trimmed case-folded text."""
    return values if params.get("case_sensitive", True) else casefold(as_text(values).str.strip())


def partition(params: Mapping[str, Any], field: str) -> tuple[str, Callable[[pd.DataFrame], pd.Series]]:
    folded = not params.get("case_sensitive", True)
    return f"u_{field}_{'folded' if folded else 'exact'}", lambda frame: _keys(frame[field], params)


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    keys = _keys(values, params)
    if keys.dtype == TEXT:  # Arrow's hash of the text: pandas' `duplicated` of Arrow strings costs 4x more
        shared = shared_values(to_arrow(keys))
        return pd.Series(~shared | values.isna().to_numpy(), index=values.index)
    duplicated = keys.duplicated(keep=False) & values.notna()
    return ~duplicated


def gx(params: Mapping[str, Any], entity: str, name: str, as_of: pd.Timestamp | None) -> GxMapping:
    unique = expect("ExpectColumnValuesToBeUnique", column=name)
    if params.get("case_sensitive", True):
        return GxMapping(EXACT, "", (unique,))
    return GxMapping(
        APPROXIMATE, "case_sensitive: false; GX compares exactly (Jan@x.pl and jan@x.pl differ)", (unique,)
    )


KIND = RuleKind(
    name="unique",
    gx=gx,
    summary="No two records may share a value; every record of a shared value is reported.",
    dimension=Dimension.UNIQUENESS,
    check=check,
    partition=partition,
    message="{field} {value!r} is shared with another record",
    params=(Param("case_sensitive", bool, default=True, help="false: compare trimmed, case-folded values"),),
    examples=(
        Example(
            params={"case_sensitive": False},
            passes=("a@x.pl", "b@x.pl", None, None),
            fails=("Jan@x.pl", "jan@x.pl "),
            field="email",
        ),
    ),
)
