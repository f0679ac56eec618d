"""Helpers shared by several rule kinds."""

from __future__ import annotations

from typing import Any

import pandas as pd

from auditor.dtypes import as_text
from auditor.text import MISSING_CODES


def is_missing_code(values: pd.Series) -> pd.Series:
    """True where the cell is one of MISSING_CODES (stripped, any letter case): missing, written out."""
    if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
        return pd.Series(False, index=values.index)
    return as_text(values).str.strip().str.lower().isin(MISSING_CODES).fillna(False).astype(bool)


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
