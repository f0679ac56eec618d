"""Helpers shared by several rule kinds."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.checks.kinds._fastpath import bools, to_arrow
from auditor.dtypes import as_text
from auditor.text import MISSING_CODES

MISSING_CODE_SET = pa.array(sorted(MISSING_CODES), type=pa.large_string())


def is_missing_code(values: pd.Series) -> pd.Series:
    """True where the cell is one of MISSING_CODES (stripped, any letter case): missing, written out."""
    if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
        return pd.Series(False, index=values.index)
    # Arrow's trim and lower case, as the pandas string methods do, without a Series per step
    text = pc.utf8_lower(pc.utf8_trim_whitespace(to_arrow(as_text(values))))
    return pd.Series(bools(pc.is_in(text, value_set=MISSING_CODE_SET)), index=values.index)


def is_blank(values: pd.Series) -> pd.Series:
    """Missing, or a string of only whitespace."""
    blank = values.isna()
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        blank |= as_text(values).str.strip().eq("").fillna(False).astype(bool)
    return blank


def as_comparable(bound: Any, like: pd.Series) -> Any:
    """A YAML bound (number or ISO date string) in the type of the column it is compared with."""
    if bound is None:
        return None
    if pd.api.types.is_datetime64_any_dtype(like.dtype):
        return pd.Timestamp(bound)
    return bound
