"""Helpers of the kinds that judge a value against the rest of its column (`whole_column=True`).

Several kinds read the same column as text (stripped, blank as missing) and ask which cells are codes
for "no value"; `column_text` computes that once per table and column. The cache holds one table at a
time and is checked against the table object itself (a weak reference), never against a reused id.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd

from auditor.checks.base import CheckContext
from auditor.checks.kinds._common import is_missing_code
from auditor.dtypes import as_text
from auditor.model import Role

T = TypeVar("T")


def role(field: str, ctx: CheckContext) -> Role | None:
    """The field's role in the model, or None for a column nobody mapped."""
    return ctx.entity.field(field).role if ctx.entity.has_field(field) else None


@dataclass(frozen=True)
class ColumnText:
    text: pd.Series
    """The cells as the file wrote them, stripped; missing or blank as NA."""
    missing_code: pd.Series
    """True where the cell is a code for "no value" ("?", "n/a", "unknown")."""

    @property
    def filled(self) -> pd.Series:
        """True where the cell holds a value: not missing, not blank, not a code for "no value"."""
        return self.text.notna() & ~self.missing_code


class _TableCache:
    """Values computed from one table, dropped as soon as another table is asked about."""

    def __init__(self) -> None:
        self._table: weakref.ref[pd.DataFrame] | None = None
        self._values: dict[Any, Any] = {}

    def get(self, table: pd.DataFrame, key: Any, compute: Callable[[], T]) -> T:
        if self._table is None or self._table() is not table:
            self._table = weakref.ref(table)
            self._values = {}
        if key not in self._values:
            self._values[key] = compute()
        return self._values[key]

    def clear(self) -> None:
        self._table, self._values = None, {}

    def forget(self, column: str) -> None:
        """Drop the values computed from `column`: those whose key names it."""
        self._values = {key: value for key, value in self._values.items() if not _names(key, column)}


def _names(key: Any, column: str) -> bool:
    return key == column or (isinstance(key, tuple) and column in key)


_texts = _TableCache()
per_table = _TableCache()
"""For kinds that keep their own per-table results (timeline's parsed dates)."""


def forget_columns() -> None:
    """Drop what the caches hold (a million rows' texts per column): called when a table's checks end."""
    for cache in (_texts, per_table):
        cache.clear()


def forget_column(column: str) -> None:
    """Drop what the caches hold about `column` (its text, the kinds' work on it): called once a column's
    findings are made, so that a table's caches are not all held at once."""
    for cache in (_texts, per_table):
        cache.forget(column)


def column_text(values: pd.Series, ctx: CheckContext) -> ColumnText:
    field = str(values.name)

    def compute() -> ColumnText:
        source = ctx.raw[field] if field in ctx.raw.columns and len(ctx.raw) == len(values) else values
        text = as_text(source.set_axis(values.index)).str.strip()
        text = text.where(text.ne(""))
        return ColumnText(text, is_missing_code(text))

    return _texts.get(ctx.raw, (field, len(values)), compute)


def raw_text(values: pd.Series, ctx: CheckContext) -> pd.Series:
    """The column as the file wrote it (stripped text, missing or blank as NA), on the index of `values`."""
    return column_text(values, ctx).text


def is_text_column(values: pd.Series) -> bool:
    """True for a column kept as text (not a typed date, number or flag)."""
    return values.dtype == object or pd.api.types.is_string_dtype(values.dtype)
