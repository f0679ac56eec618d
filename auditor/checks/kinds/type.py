"""type: a value in a typed field (date, number, count, boolean) can be read as that type.

Sources convert each model field to its type while loading; a cell that does not convert
stays in the raw table and is missing in the typed one. This kind reports exactly those, except a
code for "no value" ("?", "n/a", "unknown"): that is a missing value (`required`, `sentinel`), not a
malformed one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, RuleKind
from auditor.checks.expectations import no_equivalent
from auditor.checks.kinds._columns import written_text
from auditor.checks.kinds._common import is_blank, is_missing_code


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    field = values.name
    if field not in ctx.raw.columns:
        return pd.Series(True, index=values.index)
    column = written_text(values, ctx)  # judged once per distinct value, shared with the other kinds
    if column is not None:
        return ~(values.isna() & ~column.blank & ~column.missing_code)
    raw = ctx.raw[field]
    return ~(values.isna() & ~is_blank(raw) & ~is_missing_code(raw))


KIND = RuleKind(
    name="type",
    gx=no_equivalent(
        "the typed table GX sees has already turned an unparseable cell into a null; "
        "only the auditor's reader knows the cell did not parse"
    ),
    summary="Values of typed fields (dates, numbers, counts, booleans) must parse as that type.",
    dimension=Dimension.VALIDITY,
    check=check,
    message="{field} {value!r} is not a valid {dtype}",
    examples=(
        Example(
            params={},
            passes=("2026-01-05", None, "?", "n/a"),
            fails=("31/02/2026", "yesterday"),
            entity="contacts",
            field="birth_date",
        ),
    ),
)
