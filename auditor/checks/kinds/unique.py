"""unique: no two records share a value. Every record of a shared value fails, so the
worklist can show the whole group, not an arbitrary "second" one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, Param, RuleKind
from auditor.dtypes import as_text


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    keys = values
    if not params.get("case_sensitive", True):
        keys = as_text(values).str.strip().str.casefold()
    duplicated = keys.duplicated(keep=False) & values.notna()
    return ~duplicated


KIND = RuleKind(
    name="unique",
    summary="No two records may share a value; every record of a shared value is reported.",
    dimension=Dimension.UNIQUENESS,
    check=check,
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
