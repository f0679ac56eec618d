"""Helpers of the kinds that judge a value against the rest of its column (`whole_column=True`).

Several kinds read the same column as text (stripped, blank as missing) and ask which cells are codes
for "no value"; `column_text` computes that once per table and column, and `distinct_values` a column's
distinct values, which every kind judging values one by one shares. The cache holds one table at a
time and is checked against the table object itself (a weak reference), never against a reused id.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.checks.base import CheckContext
from auditor.checks.kinds._common import MISSING_CODE_SET, MISSING_CODES
from auditor.checks.kinds._fastpath import Distinct, bools, could_lower_to, distinct, to_arrow
from auditor.dtypes import TEXT, as_text
from auditor.model import Role

T = TypeVar("T")


def _missing_codes(text: pa.Array) -> np.ndarray:
    """Per value: lower-cased, one of MISSING_CODES. Only the values that may be one (`could_lower_to`) are
    lower-cased: in a column of e-mails, phone numbers or timestamps next to none."""
    maybe = could_lower_to(text, MISSING_CODES)
    codes = np.zeros(len(text), dtype=bool)
    if len(maybe):
        codes[maybe] = bools(pc.is_in(pc.utf8_lower(text.take(maybe)), value_set=MISSING_CODE_SET))
    return codes


def _judged(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """(each value stripped, blank as missing; whether it is a code for "no value"): what `ColumnText` reads."""
    stripped = pc.utf8_trim_whitespace(values)
    blank = pc.equal(stripped, "")
    # blank as missing; a column without a blank cell (most) is not copied to say so
    if pc.any(blank).as_py():
        stripped = pc.if_else(blank, pa.scalar(None, stripped.type), stripped)
    return stripped, _missing_codes(stripped)


Judge = Callable[[pa.Array], np.ndarray]
"""An elementwise judgement of text: per value of the array, a result that depends on that value alone."""


class _Together:
    """The distinct values of a small table's text columns of one Arrow type as one array (`values`, and
    `stripped` as `_judged` makes it), each column a slice of it: an elementwise judgement asked of every column
    (odd_format's classes, sentinel's codes) is made once over them all, its Arrow calls and regexes once a table,
    not once a column."""

    def __init__(self, values: pa.Array, stripped: pa.Array) -> None:
        self.values = values
        self.stripped = stripped
        self._judged: dict[tuple[Judge, bool], np.ndarray] = {}

    def judged(self, judge: Judge, stripped: bool) -> np.ndarray:
        """`judge` of every value (stripped or as written), made on the first ask; read-only, as columns share it."""
        key = (judge, stripped)
        if key not in self._judged:
            whole = judge(self.stripped if stripped else self.values)
            whole.flags.writeable = False
            self._judged[key] = whole
        return self._judged[key]


_Slice = tuple[_Together, int]
"""A column's place among its table's columns judged together: the whole, and where the column starts in it."""


def _judged_together(arrays: list[pa.Array]) -> list[tuple[tuple[pa.Array, np.ndarray], _Slice]]:
    """`_judged` of each of `arrays`, those of one Arrow type judged as one array (its calls once for all of them,
    each array's values then a slice of the whole: the same values, as every step is elementwise); and each
    array's place in its whole, for the judgements asked of it later (`ColumnText.each`)."""
    out: list[tuple[tuple[pa.Array, np.ndarray], _Slice] | None] = [None] * len(arrays)
    for type_ in dict.fromkeys(array.type for array in arrays):
        which = [k for k, array in enumerate(arrays) if array.type == type_]
        values = pa.concat_arrays([arrays[k] for k in which])
        stripped, missing = _judged(values)
        together = _Together(values, stripped)
        start = 0
        for k in which:
            length = len(arrays[k])
            out[k] = (stripped.slice(start, length), missing[start : start + length]), (together, start)
            start += length
    return [judged for judged in out if judged is not None]


def role(field: str, ctx: CheckContext) -> Role | None:
    """The field's role in the model, or None for a column nobody mapped."""
    return ctx.entity.field(field).role if ctx.entity.has_field(field) else None


class ColumnText:
    """A column as the file wrote it, judged once per distinct value: its stripped text and which cells are
    codes for "no value"; the per-row Series are made only for the kinds that ask for them."""

    def __init__(
        self,
        cells: Distinct,
        index: pd.Index,
        name: str,
        judged: tuple[pa.Array, np.ndarray] | None = None,
        together: _Slice | None = None,
    ) -> None:
        """`judged`: `_judged(cells.values)`, when made already (with other columns': `column_texts`), and
        `together`: where in them."""
        self.cells = cells
        self.index = index
        self.name = name
        stripped, missing = _judged(cells.values) if judged is None else judged
        self.stripped: pa.Array = stripped
        """Each distinct value of `cells` stripped, blank as missing."""
        self.missing_values = missing
        """Per distinct value: a code for "no value"."""
        self._together = together

    @property
    def judged_together(self) -> bool:
        """Made with its table's other text columns (`_column_texts`): `each` judges them all at once."""
        return self._together is not None

    def each(self, judge: Judge, *, stripped: bool = True) -> np.ndarray:
        """Per distinct value, `judge` (elementwise) of its `stripped` text, or of the text as written
        (`cells.values`). For a small table's columns made together, judged once over all of them and sliced:
        read-only."""
        if self._together is None:
            return judge(self.stripped if stripped else self.cells.values)
        whole, start = self._together
        return whole.judged(judge, stripped)[start : start + len(self.stripped)]

    @cached_property
    def text(self) -> pd.Series:
        """The cells as the file wrote them, stripped; missing or blank as NA."""
        rows = self.stripped if self.cells.codes is None else self.stripped.take(self.cells.codes)
        return pd.Series(pd.array(rows, dtype=TEXT), index=self.index, name=self.name)

    @cached_property
    def missing_code(self) -> pd.Series:
        """True where the cell is a code for "no value" ("?", "n/a", "unknown")."""
        return pd.Series(self.cells.spread(self.missing_values), index=self.index)

    @cached_property
    def filled_values(self) -> np.ndarray:
        """Per distinct value: it holds a value (not missing, not blank, not a code for "no value")."""
        return self.present_values & ~self.missing_values

    @cached_property
    def present_values(self) -> np.ndarray:
        """Per distinct value: not missing nor blank."""
        return np.asarray(pc.is_valid(self.stripped))

    @property
    def blank(self) -> pd.Series:
        """True where the cell is missing or only whitespace (`_common.is_blank` of the written column)."""
        return pd.Series(~self.cells.spread(self.present_values), index=self.index)

    def count(self) -> int:
        """Cells neither missing nor blank."""
        return int(self.cells.counts()[self.present_values].sum())

    def first_texts(self, limit: int) -> pa.Array:
        """The stripped text of the first `limit` cells neither missing nor blank, in row order."""
        rows = self.cells.firsts(self.present_values, limit)
        return self.stripped.take(rows if self.cells.codes is None else self.cells.codes[rows])

    @property
    def filled(self) -> pd.Series:
        """True where the cell holds a value: not missing, not blank, not a code for "no value"."""
        return pd.Series(self.filled_cells, index=self.index)

    @property
    def filled_cells(self) -> np.ndarray:
        """`filled` as a numpy mask, one per row."""
        return self.cells.spread(self.filled_values)


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
        return ColumnText(written(values, ctx), values.index, field)

    if _of_the_table(field, values, ctx):  # the first such column of a small table: every column's text made at once
        _texts.get(ctx.raw, _TOGETHER, lambda: _small(ctx) and _column_texts(values.index, ctx))
    return _texts.get(ctx.raw, (field, len(values)), compute)


_TOGETHER = object()
"""The key under which a table's texts cache says whether its columns' texts were made together (`_column_texts`):
no column's name, so that no column's end forgets it."""
TOGETHER_CELLS = 1 << 20
"""A table of up to so many cells has the texts of its columns made together."""


def _small(ctx: CheckContext) -> bool:
    return ctx.raw.shape[0] * ctx.raw.shape[1] <= TOGETHER_CELLS


def _of_the_table(field: str, values: pd.Series, ctx: CheckContext) -> bool:
    """`values` is a column of the table as checked: the file's text of `field`, on the table's rows."""
    return field in ctx.raw.columns and len(ctx.raw) == len(values) and values.index.equals(ctx.frame.index)


def _column_texts(index: pd.Index, ctx: CheckContext) -> bool:
    """The `column_text` of every text column of a small table, made when the first is asked for: their distinct
    values each (as `written`), then stripped and looked up among the codes for "no value" in one set of Arrow calls
    for all of them (a dozen calls a column were a tenth of a small export's checks). Kept in the texts cache under
    each column's key, and dropped column by column (`forget_column`) as before."""
    names = [str(name) for name in ctx.raw.columns if is_text_column(ctx.raw[name])]
    cells = [distinct_values(as_text(ctx.raw[name]), ctx) for name in names]
    judged = _judged_together([distinct.values for distinct in cells])
    texts = {
        name: ColumnText(distinct, index, name, judgement, together)
        for name, distinct, (judgement, together) in zip(names, cells, judged, strict=True)
    }
    for name, text in texts.items():
        _texts.get(ctx.raw, (name, len(index)), lambda text=text: text)
    return True


def written_text(values: pd.Series, ctx: CheckContext) -> ColumnText | None:
    """The column as the file wrote it, when the raw table holds it as text (not for a column of its own)."""
    field = str(values.name)
    if field in ctx.raw.columns and len(ctx.raw) == len(values) and is_text_column(ctx.raw[field]):
        return column_text(values, ctx)
    return None


def written(values: pd.Series, ctx: CheckContext) -> Distinct:
    """The distinct values of the column as the file wrote them (its raw text), unstripped."""
    field = str(values.name)
    source = ctx.raw[field] if field in ctx.raw.columns and len(ctx.raw) == len(values) else values
    return distinct_values(as_text(source), ctx)


def judge_each(values: pd.Series, ctx: CheckContext | None, judge: Callable[[pa.Array], np.ndarray]) -> np.ndarray:
    """Per row, `judge` (elementwise, over the column as Arrow text) of its value: each distinct value judged
    once (without `ctx`, for a column of its own, not shared)."""
    cells = distinct(to_arrow(values)) if ctx is None else distinct_values(values, ctx)
    return cells.spread(judge(cells.values))


def distinct_values(text: pd.Series, ctx: CheckContext) -> Distinct:
    """The distinct values of a text column, encoded once per table for every column of the same content
    (a text column as typed is usually the raw column, copied): `fields: ["*"]` rules each judge every
    column, and a column of a million values holds a few thousand distinct ones as a rule."""
    arr = to_arrow(text)
    held: list[tuple[pa.Array, Distinct]] = per_table.get(ctx.frame, ("distinct", str(text.name)), list)
    # the same memory first: comparing a typed copy with the raw column held before it reads every value
    # (milliseconds a million-row column, for each kind that asks), a column seen before is found at once
    for seen, encoded in held:
        if _same_memory(seen, arr):
            return encoded
    for seen, encoded in held:
        if seen.equals(arr):
            held.append((arr, encoded))  # so that this copy is found by its memory next time
            return encoded
    encoded = distinct(arr)
    held.append((arr, encoded))
    return encoded


def _same_memory(a: pa.Array, b: pa.Array) -> bool:
    """`a` and `b` are views of the same values: of one type, length and offset, over the same buffers."""
    if a is b:
        return True
    if a.type != b.type or len(a) != len(b) or a.offset != b.offset:
        return False
    return [x.address if x is not None else None for x in a.buffers()] == [
        x.address if x is not None else None for x in b.buffers()
    ]


def raw_text(values: pd.Series, ctx: CheckContext) -> pd.Series:
    """The column as the file wrote it (stripped text, missing or blank as NA), on the index of `values`."""
    return column_text(values, ctx).text


def is_text_column(values: pd.Series) -> bool:
    """True for a column kept as text (not a typed date, number or flag)."""
    return values.dtype == object or pd.api.types.is_string_dtype(values.dtype)
