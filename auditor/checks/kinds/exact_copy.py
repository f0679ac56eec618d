"""`exact_copy`: a record equal in every column to an earlier record of its table.

Semantics: a record fails when every column, as the file wrote it, equals an earlier record's
(the first of each group passes: it is the one to keep). Identical rows only prove a copy when the
record carries something that tells records or events apart: a time, its own id, or a reference
to a customer or an order. A table with none of these (a survey of customers described only by
their attributes) has different customers who share all attributes, and is not judged. The
finding sits on that telling column (the record's time first), once per copy.
Used with `fields: ["*"]`; the other columns always pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from auditor.checks.base import PASSES, CheckContext, Dimension, Example, RuleKind, Verdicts, series_of
from auditor.checks.expectations import no_equivalent
from auditor.checks.kinds._fastpath import take, text_codes, to_arrow
from auditor.checks.kinds.identifier import looks_like_identifier
from auditor.dtypes import TEXT
from auditor.model import Entity, Role

_TELLING = (Role.DATETIME, Role.PRIMARY_KEY, Role.FOREIGN_KEY)


def anchor(ctx: CheckContext) -> str | None:
    """The column that makes equal rows a copy: a time, the record's id, a reference, an id-named column."""
    # the rule runs once per column (`fields: ["*"]`): found once per table, not once per column, or a
    # table of 2,600 columns makes 6.8 million role lookups; the cache holds the column index it was
    # found for, so that a later table's index given the same id() is never taken for it
    columns = ctx.frame.columns
    known = _ANCHORS.get(id(columns))
    if known is None or known[0] is not columns or known[1] != ctx.entity:
        if len(_ANCHORS) >= 64:
            _ANCHORS.clear()
        known = _ANCHORS[id(columns)] = (columns, ctx.entity, _anchor(ctx.entity, [str(c) for c in columns]))
    return known[2]


_ANCHORS: dict[int, tuple[pd.Index, Entity, str | None]] = {}


def _anchor(entity: Entity, columns: list[str]) -> str | None:
    roles = {name: entity.field(name).role if entity.has_field(name) else None for name in columns}
    for wanted in _TELLING:
        for name in columns:
            if roles[name] is wanted:
                return name
    return next((name for name in columns if roles[name] is None and looks_like_identifier(name)), None)


def verdicts(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> Verdicts:
    if str(values.name) != anchor(ctx):
        return PASSES
    rows = ctx.raw if len(ctx.raw) == len(values) else ctx.frame
    # Rows are equal when each column's factorize code is (as DataFrame.duplicated compares them): each column
    # in turn, the anchor first, keeps only the rows whose value is repeated among those kept so far, so that
    # a column of times or ids leaves a handful of rows of a million for the others to factorize.
    first = anchor(ctx)
    typed = _typed_repeats(ctx.frame, first, len(rows)) if rows is ctx.raw and first is not None else None
    candidates = np.arange(len(rows)) if typed is None else np.flatnonzero(typed)
    codes: list[np.ndarray] = []
    for name in sorted(rows.columns, key=lambda name: name != first):
        if not len(candidates):  # no row left with a repeated value: no copy, whatever the other columns hold
            break
        column_codes = _codes(rows[name], None if len(candidates) == len(rows) else candidates)
        repeated = np.bincount(column_codes + 1)[column_codes + 1] > 1
        candidates = candidates[repeated]
        codes = [c[repeated] for c in codes] + [column_codes[repeated]]
    copies = np.zeros(len(values), dtype=bool)
    if len(candidates):
        copies[candidates] = pd.DataFrame(dict(enumerate(codes))).duplicated(keep="first").to_numpy()
    return ~copies


check = series_of(verdicts)


def _typed_repeats(frame: pd.DataFrame, name: str, rows: int) -> np.ndarray | None:
    """Per row: another row holds its typed value (a time, a number); None when the column is not typed. Equal
    written values are read as equal values, so a row whose typed value no other row holds has no copy among
    the written rows: a million times are hashed as numbers in a tenth of the time their text takes."""
    if name not in frame.columns or len(frame) != rows:
        return None
    column = frame[name]
    kind = column.dtype
    if not (
        pd.api.types.is_datetime64_any_dtype(kind)
        or (pd.api.types.is_numeric_dtype(kind) and not pd.api.types.is_bool_dtype(kind))
    ):
        return None
    return column.duplicated(keep=False).to_numpy(bool)


def _codes(column: pd.Series, rows: np.ndarray | None) -> np.ndarray:
    """Per row (of those at the positions `rows`, if given), a number that equals another row's when their
    values do (missing: -1), as `pd.factorize` gives. Text is taken by Arrow, not by pandas' `iloc`."""
    if column.dtype == TEXT:
        text = to_arrow(column)
        return text_codes(text if rows is None else take(text, rows))
    return pd.factorize(_comparable(column if rows is None else column.iloc[rows]))[0]


def _comparable(column: pd.Series) -> pd.Series:
    """One spelling of "missing" (NaN, None, NaT, NA) for every type, so that missing equals missing."""
    if column.dtype == TEXT:
        return column
    return column.astype("object").where(column.notna(), None)


KIND = RuleKind(
    name="exact_copy",
    gx=no_equivalent("compares whole records; GX's compound-columns uniqueness needs the columns named in advance"),
    summary="A record equal in every column to an earlier one (judged only when records carry a time or an id).",
    dimension=Dimension.UNIQUENESS,
    check=check,
    verdicts=verdicts,
    message="the record is an exact copy of an earlier one (every column equal, {field} {value})",
    whole_column=True,
    examples=(
        Example(
            params={},
            passes=("2026-01-05 10:00", "2026-01-05 11:00"),
            fails=("2026-01-05 10:00",),
            entity="orders",
            field="ordered_at",
            extra_columns={"quantity": ("2", "2", "2")},
        ),
        Example(
            params={},
            passes=("Urban", "Urban", "Urban"),
            fails=(),
            entity="contacts",
            field="zip_code",
        ),
    ),
)
