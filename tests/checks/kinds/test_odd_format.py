"""Oracle tests: odd_format tells a value with a letter by ASCII letters where the value is ASCII, and by the
Unicode class only elsewhere; the verdicts are those of the Unicode class everywhere. A digit is found in the
values' bytes as RE2 finds it, and the classes' shares counted from the distinct values are those of every row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import context, frame
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.kinds import _columns, get_kind, odd_format
from auditor.checks.kinds._fastpath import holds_digit, matches, to_arrow
from auditor.checks.kinds.odd_format import _letters

_VALUES = st.lists(st.one_of(st.none(), st.text(alphabet="aZ09 -_.ªºłŁßé\u0663\u2160\u00a0€", max_size=6)), max_size=20)


@settings(max_examples=80, deadline=None)
@given(values=_VALUES, large=st.booleans())
def test_a_letter_is_found_as_the_unicode_class_finds_it(values: list[str | None], large: bool) -> None:
    text = pa.array(values, type=pa.large_string() if large else pa.string())
    assert _letters(text).tolist() == matches(text, r"\pL").tolist()


@settings(max_examples=80, deadline=None)
@given(values=_VALUES, large=st.booleans(), start=st.integers(0, 3))
def test_oracle_a_digit_is_found_as_re2_finds_it(values: list[str | None], large: bool, start: int) -> None:
    text = pa.array(["1", "", None, *values], type=pa.large_string() if large else pa.string()).slice(start)
    assert holds_digit(text).tolist() == matches(text, r"\d").tolist()


_BLANKS = " \t\n\x0b\x0c\r\x1c\u00a0\u1680ał1"


@settings(max_examples=120, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.text(alphabet=_BLANKS, max_size=8)), max_size=20),
    large=st.booleans(),
    start=st.integers(0, 3),
)
def test_oracle_words_are_counted_as_re2_counts_its_runs_of_non_blanks(
    values: list[str | None], large: bool, start: int
) -> None:
    text = pa.array(["a b", " ", None, *values], type=pa.large_string() if large else pa.string()).slice(start)
    expected = pc.fill_null(pc.count_substring_regex(text, r"\S+"), 0).to_numpy(zero_copy_only=False)
    assert odd_format.word_counts(text).tolist() == expected.tolist()


def test_the_median_of_words_compiles_no_regex(monkeypatch) -> None:
    """RE2 compiles `\\S+` on every call, half a millisecond for each column of every table."""
    monkeypatch.setattr(pc, "count_substring_regex", lambda *args, **kwargs: pytest.fail("a regex counted words"))
    text = pa.array(["Closed", "Awaiting User Info", None, "in  progress "], type=pa.large_string())
    assert odd_format._median_words(text) == 2.0


def _per_row(values: pd.Series, min_count: int) -> tuple[list[bool], pd.Series]:
    """The kind's verdicts and shares as its earlier code made them: each row classed, its classes counted."""
    text = pc.utf8_trim_whitespace(to_arrow(values))
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)
    classes = pd.Series(matches(text, r"\pL").astype(np.int8) + 2 * matches(text, r"\d").astype(np.int8))
    classes[~np.asarray(pc.is_valid(text))] = -1
    classed = classes[classes > 0]
    if len(classed) < min_count:
        return [True] * len(values), pd.Series(dtype=float)
    shares = classed.value_counts(normalize=True)
    return (~classes.isin(list(shares[shares < 0.2].index))).tolist(), shares


_CELLS = st.lists(st.one_of(st.none(), st.sampled_from(["ab", "12", "a1", "--", " ", "ł", "٣", "x "])), max_size=40)


@settings(max_examples=100, deadline=None)
@given(cells=_CELLS)
def test_oracle_the_classes_shares_and_verdicts_are_those_of_every_row_classed(cells: list[str | None]) -> None:
    params = {"min_count": 3, "max_share": 0.2}
    df = frame("code", cells)
    ctx = context(df, entity="orders")
    try:
        verdicts = get_kind("odd_format").check(df["code"], params, ctx).tolist()
        _, _, shares = odd_format._rare(df["code"], params, ctx)
    finally:
        _columns.forget_columns()
    want, want_shares = _per_row(df["code"], 3)
    assert verdicts == want
    pd.testing.assert_series_equal(shares, want_shares)


def test_an_ascii_column_is_classed_without_a_regex_nor_a_count_per_row(monkeypatch) -> None:
    searched: list[str] = []
    monkeypatch.setattr(odd_format, "matches", lambda arr, pattern: searched.append(pattern) or matches(arr, pattern))
    monkeypatch.setattr(pd.Series, "value_counts", lambda *a, **k: pytest.fail("rows counted one by one"))
    df = frame("code", [f"{i:05d}" for i in range(300)] + ["POST"])
    try:
        verdicts = get_kind("odd_format").check(df["code"], {}, context(df, entity="orders")).tolist()
    finally:
        _columns.forget_columns()
    assert verdicts == [True] * 300 + [False]
    assert searched == []


def test_a_value_with_an_ascii_letter_is_not_searched_for_a_unicode_one(monkeypatch) -> None:
    """RE2 compiles `\\pL` in a millisecond on every call: only values without an ASCII letter need it."""
    searched: list[list[str]] = []
    monkeypatch.setattr(
        odd_format, "matches", lambda arr, pattern: searched.append(arr.to_pylist()) or matches(arr, pattern)
    )
    text = pa.array(["Łukasz", "Zoë", "abc", "12", None, "Żółć", "ł1"], type=pa.large_string())
    assert _letters(text).tolist() == [True, True, True, False, False, True, True]
    assert searched == [["Żółć", "ł1"]]


_PHRASES = st.lists(st.one_of(st.none(), st.sampled_from(["", " ", "a", "a b", "a  b c", " x y z w ", "ł\tż", "n/a"])))


@settings(max_examples=80, deadline=None)
@given(first=_PHRASES, second=_PHRASES)
def test_oracle_a_small_tables_median_of_words_is_each_columns_first_texts_counted(
    first: list[str | None], second: list[str | None]
) -> None:
    """Oracle: the median of words of a small table's column, counted per distinct value with the table's other
    columns, against `_median_words` of the column's own first texts (empty and all-missing columns too)."""
    rows = max(len(first), len(second))
    df = frame("a", first + [None] * (rows - len(first)), b=second + [None] * (rows - len(second)))
    _columns.forget_columns()
    try:
        ctx = context(df)
        together = {name: odd_format.median_words(df[name], ctx) for name in df.columns}
        assert all(_columns.column_text(df[name], ctx).judged_together for name in df.columns)
        for name in df.columns:
            alone = odd_format._median_words(_columns.column_text(df[name], ctx).first_texts(odd_format.WORDS_SAMPLE))
            assert together[name] == pytest.approx(alone, nan_ok=True)
    finally:
        _columns.forget_columns()
