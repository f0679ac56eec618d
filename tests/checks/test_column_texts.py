"""The texts of a small table's columns made together (`_columns._column_texts`): one set of Arrow calls for all its
columns against `ColumnText` of each column alone, which every whole-column kind reads."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.checks.base import CheckContext
from auditor.checks.kinds import _columns
from auditor.dtypes import TEXT
from auditor.model import ENTITIES

_CELLS = st.one_of(
    st.none(),
    st.sampled_from(("", "  ", "n/a", " N/A ", "?", "unknown", "NULL", "Kelvin \u212a", "\u00a0x\u00a0", "ab", "Ab")),
    st.text(max_size=6),
)


def _context(raw: pd.DataFrame) -> CheckContext:
    return CheckContext(
        entity=ENTITIES["contacts"], frame=raw, raw=raw, tables={"contacts": raw}, as_of=pd.Timestamp("2026-10-31")
    )


def _same(together: _columns.ColumnText, alone: _columns.ColumnText) -> None:
    assert together.stripped.type == alone.stripped.type
    assert together.stripped.to_pylist() == alone.stripped.to_pylist()
    np.testing.assert_array_equal(together.missing_values, alone.missing_values)
    np.testing.assert_array_equal(together.filled_values, alone.filled_values)
    pd.testing.assert_series_equal(together.text, alone.text)
    pd.testing.assert_series_equal(together.filled, alone.filled)
    assert together.count() == alone.count()
    assert together.first_texts(3).to_pylist() == alone.first_texts(3).to_pylist()


def _table(rows: int, columns: list[tuple[str | None, bool, bool]]) -> pd.DataFrame:
    """A table of `rows`: per (cell, repeated, objects) a column of that cell (or of it and others), as text or as
    objects; and a column of numbers."""
    data = {}
    for k, (cell, repeated, objects) in enumerate(columns):
        values = [cell if repeated else (cell if i % 3 else f"{cell} {i}" if cell else None) for i in range(rows)]
        data[f"c{k}"] = pd.Series(values, dtype=object if objects else TEXT)
    data["n"] = pd.Series(np.arange(rows, dtype=np.int64))
    return pd.DataFrame(data)


@examples(100)
@given(st.integers(0, 12), st.lists(st.tuples(_CELLS, st.booleans(), st.booleans()), min_size=1, max_size=5))
def test_a_small_tables_texts_made_together_as_each_alone(
    rows: int, columns: list[tuple[str | None, bool, bool]]
) -> None:
    """Oracle: each column's text (stripped, blank as missing, codes for "no value") made with the table's other
    columns against it made alone: odd texts, empty and all-missing columns, columns of one repeated value and of
    other types (objects, numbers: no text column of the table, so not made with the others)."""
    raw = _table(rows, columns)
    _columns.forget_columns()
    ctx = _context(raw)
    together = {name: _columns.column_text(raw[name], ctx) for name in raw.columns}
    _columns.forget_columns()
    alone = {}
    with patch.object(_columns, "TOGETHER_CELLS", -1):
        for name in raw.columns:
            alone[name] = _columns.column_text(raw[name], _context(raw))
            _columns.forget_columns()
    for name in raw.columns:
        _same(together[name], alone[name])


def test_a_small_tables_columns_are_stripped_in_one_call() -> None:
    raw = pd.DataFrame({f"c{k}": pd.Series([" a ", "n/a", None, ""], dtype=TEXT) for k in range(4)})
    trimmed: list[int] = []
    trim = _columns.pc.utf8_trim_whitespace
    _columns.forget_columns()
    with patch.object(_columns.pc, "utf8_trim_whitespace", lambda text: trimmed.append(len(text)) or trim(text)):
        ctx = _context(raw)
        texts = [_columns.column_text(raw[name], ctx) for name in raw.columns]
    _columns.forget_columns()
    assert len(trimmed) == 1
    assert [text.stripped.to_pylist() for text in texts] == [["a", "n/a", None, None]] * 4
    assert all(isinstance(text.stripped, pa.Array) for text in texts)


def _judgements() -> list[tuple[_columns.Judge, bool]]:
    """The elementwise judgements the kinds ask of a column (`ColumnText.each`), with the text each reads."""
    from auditor.checks.kinds import odd_format, sentinel  # the kinds whose judgements these are

    return [
        (odd_format._class_of, True),
        (odd_format.word_counts, True),
        (sentinel._judge(sentinel._codes({}), sentinel.TOKENS), False),
        (sentinel._judge(("n/a", "brak"), (r"\{\w+\}",)), False),
    ]


@examples(100)
@given(st.integers(0, 12), st.lists(st.tuples(_CELLS, st.booleans(), st.booleans()), min_size=1, max_size=5))
def test_oracle_a_judgement_made_for_a_small_tables_columns_together_is_each_columns_own(
    rows: int, columns: list[tuple[str | None, bool, bool]]
) -> None:
    """Oracle: `ColumnText.each` of a column made with its table's others (one judgement of them all, sliced)
    against the judgement of that column's own text: odd texts, empty and all-missing columns, objects, numbers."""
    raw = _table(rows, columns)
    _columns.forget_columns()
    ctx = _context(raw)
    try:
        texts = {name: _columns.column_text(raw[name], ctx) for name in raw.columns}
        for judge, stripped in _judgements():
            for text in texts.values():
                own = judge(text.stripped if stripped else text.cells.values)
                np.testing.assert_array_equal(text.each(judge, stripped=stripped), own)
    finally:
        _columns.forget_columns()


def test_a_judgement_is_made_once_for_a_small_tables_columns_and_cannot_be_changed_by_one() -> None:
    raw = pd.DataFrame({f"c{k}": pd.Series(["a1", "n/a", None, "7"], dtype=TEXT) for k in range(4)})
    judged: list[int] = []

    def judge(text: pa.Array) -> np.ndarray:
        judged.append(len(text))
        return np.asarray(pc.utf8_length(text).fill_null(0))

    _columns.forget_columns()
    ctx = _context(raw)
    try:
        texts = [_columns.column_text(raw[name], ctx) for name in raw.columns]
        lengths = [text.each(judge).tolist() for text in texts]
        assert not texts[0].each(judge).flags.writeable
    finally:
        _columns.forget_columns()
    assert judged == [16]
    assert lengths == [[2, 3, 1, 0]] * 4  # per distinct value: "a1", "n/a", "7", then the missing one
    assert all(text.judged_together for text in texts)
