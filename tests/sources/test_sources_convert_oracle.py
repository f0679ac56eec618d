"""The fast typing parsers (issue 17: each date form read in one vectorised pass, plain numbers in one)
agree value for value with the parsers they replaced (tests/sources/reference_convert.py) on columns that
mix every form, impossible dates, padding, missing values and junk."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import reference_convert as reference
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.dtypes import TEXT
from auditor.model import DType
from auditor.sources import convert


def _n(value: int, width: int) -> str:
    return str(value).zfill(width)


# weighted to the edges: the ends of the typed range, of months, of February in leap years
_years = st.one_of(st.integers(1805, 2105), st.sampled_from((0, 1000, 1809, 1810, 2000, 2024, 2099, 2100, 9999))).map(
    lambda y: _n(y, 4)
)
_months = st.one_of(st.integers(1, 12), st.sampled_from((0, 2, 4, 13)))
_days = st.one_of(st.integers(1, 28), st.integers(28, 32), st.sampled_from((0, 29, 31)))
_widths = st.sampled_from((1, 2))


@st.composite
def _clock(draw: st.DrawFn, seconds: bool = True) -> str:
    hour, minute = _n(draw(st.integers(0, 25)), 2), _n(draw(st.integers(0, 61)), 2)
    text = f"{hour}:{minute}"
    if seconds and draw(st.booleans()):
        text += ":" + _n(draw(st.integers(0, 61)), 2)
    return text


@st.composite
def _simple_iso(draw: st.DrawFn) -> str:
    text = f"{draw(_years)}-{_n(draw(_months), 2)}-{_n(draw(_days), 2)}"
    if draw(st.booleans()):
        clock = f"{_n(draw(st.integers(0, 25)), 2)}:{_n(draw(st.integers(0, 61)), 2)}:{_n(draw(st.integers(0, 61)), 2)}"
        text += draw(st.sampled_from("T ")) + clock
    return text


@st.composite
def _other_iso(draw: st.DrawFn) -> str:
    sep = draw(st.sampled_from(("-", "/", ".")))
    text = f"{draw(_years)}{sep}{_n(draw(_months), draw(_widths))}{sep}{_n(draw(_days), draw(_widths))}"
    if draw(st.booleans()):
        text += draw(st.sampled_from("T ")) + draw(_clock())
        if draw(st.booleans()):
            text += draw(st.sampled_from(".,")) + str(draw(st.integers(0, 999999)))
    if draw(st.booleans()):
        text += draw(st.sampled_from(("Z", "+02:00", "-0530", "+01", " Z", "+2:00")))
    return text


@st.composite
def _day_month_year(draw: st.DrawFn) -> str:
    sep = draw(st.sampled_from("./-"))
    a, b = draw(st.sampled_from(((_days, _months), (_months, _days), (_days, _days))))
    a, b = _n(draw(a), draw(_widths)), _n(draw(b), draw(_widths))
    text = f"{a}{sep}{b}{sep}{draw(_years)}"
    if draw(st.booleans()):
        text += draw(st.sampled_from((" ", "T", ", "))) + draw(_clock())
        if draw(st.booleans()):
            text += draw(st.sampled_from((" AM", " pm", "p.m.", " a.m.", "PM")))
    return text


@st.composite
def _named(draw: st.DrawFn) -> str:
    month = draw(st.sampled_from(("Jul", "july", "SEPT", "Sep.", "March", "Foo", "May", "dec")))
    day = str(draw(_days)) + draw(st.sampled_from(("", "st", "nd", "th")))
    if draw(st.booleans()):
        before, after = draw(st.sampled_from((" ", "-", ". "))), draw(st.sampled_from((" ", "-", ", ")))
        return f"{day}{before}{month}{after}{draw(_years)}"
    return f"{month} {day}, {draw(_years)}"


_dates = st.one_of(
    _simple_iso(),
    _other_iso(),
    _day_month_year(),
    _named(),
    st.integers(0, 99_999_999).map(str),  # YYYYMMDD, years alone, Excel serials
    st.floats(0, 200_000, allow_nan=False).map(lambda f: f"{f:.3f}"),
    st.sampled_from(("", "yesterday", "n.d.", "31/02/2026", "32.01.2025", "2026-13", "Q1 2026", "٢٠٢٦-٠١-٠٥")),
    st.text(max_size=12),
)
_padding = st.sampled_from(("", " ", "\t", "\u00a0", "  "))


@st.composite
def _column(draw: st.DrawFn, values: st.SearchStrategy[str]) -> pd.Series:
    cells = draw(st.lists(st.one_of(st.none(), st.tuples(_padding, values, _padding).map("".join)), max_size=25))
    index = pd.RangeIndex(100 + 3 * len(cells), 100, -3)  # the caller's index is kept, whatever it is
    return pd.Series(cells, index=index, dtype=TEXT, name="when")


@examples(150)
@given(_column(_dates), st.sampled_from((None, True, False)), st.booleans())
def test_dates_are_read_as_before(column: pd.Series, dayfirst: bool | None, excel_serials: bool) -> None:
    expected = reference.parse_datetime(column, dayfirst=dayfirst, excel_serials=excel_serials)
    actual = convert.parse_datetime(column, dayfirst=dayfirst, excel_serials=excel_serials)
    pd.testing.assert_series_equal(actual, expected)
    assert convert.ambiguous_day_month(column) == reference.ambiguous_day_month(column)
    pd.testing.assert_frame_equal(convert.date_parts(column, dayfirst), reference.date_parts(column, dayfirst))
    # oracle: the loader's one pass for both (the shape searched only among the values not in ISO form)
    [(typed, ambiguity)] = convert.parse_dates_noting_order([column], excel_serials)
    pd.testing.assert_series_equal(typed, reference.parse_datetime(column, excel_serials=excel_serials))
    assert ambiguity == reference.ambiguous_day_month(column)


_digits = st.integers(0, 10**16).map(str)
_numbers = st.one_of(
    _digits,
    st.floats(-1e12, 1e12, allow_nan=False).map(repr),
    st.tuples(st.sampled_from(("", "-", "+")), _digits, st.sampled_from((".", ",")), _digits).map("".join),
    st.tuples(st.integers(1, 999), st.sampled_from((".", ",", " ", "\u00a0", "'")), st.integers(0, 999)).map(
        lambda t: f"{t[0]}{t[1]}{t[2]:03d}"
    ),
    st.tuples(
        st.sampled_from(("", "$", "PLN ", "€ ", "(", "zł")),
        st.sampled_from(("1,234.50", "1.234,50", "1 234,50", "12,50", "1.234.567", "99", "1,2k", "12,5OO")),
        st.sampled_from(("", "%", " zł", ")", " USD")),
    ).map("".join),
    st.sampled_from(("", "n.d.", "ok. 50", "~200", "50+", "1e5", "1_000", "١٢", "inf", "nan", "0x10")),
    st.text(max_size=10),
)


@examples(150)
@given(_column(_numbers))
def test_numbers_are_read_as_before(column: pd.Series) -> None:
    pd.testing.assert_series_equal(convert.parse_number(column), reference.parse_number(column))


@settings(max_examples=50, deadline=None)
@given(_column(_dates), _column(_numbers))
def test_surely_parsed_is_a_lower_bound_of_what_is_read(dates: pd.Series, numbers: pd.Series) -> None:
    for column, dtype, parse, form in (
        (dates, DType.DATETIME, lambda text: convert.parse_datetime(text, excel_serials=True), convert._SIMPLE_ISO),
        (numbers, DType.NUMBER, convert.parse_number, convert._PLAIN_NUMBER),
    ):
        text = column.dropna().str.strip()  # what the mapping's plausibility sample holds
        bound, read = convert.surely_parsed(text, dtype), int(parse(text).notna().sum())
        assert bound <= read
        lone_dot_group = text.str.fullmatch(convert._LONE_DOT_GROUP, flags=re.ASCII)
        if (text.str.fullmatch(form, flags=re.ASCII) & ~lone_dot_group).all():  # all in the one form: exact
            assert bound == read


@examples(100)
@given(
    st.lists(_column(st.one_of(_dates, _day_month_year())), min_size=1, max_size=4),
    st.booleans(),
    st.sampled_from((1, 7, 40, convert.BATCH_CELLS)),
    st.booleans(),
)
def test_a_tables_date_columns_read_together_as_each_alone(
    columns: list[pd.Series], excel_serials: bool, batch: int, objects: bool
) -> None:
    """Oracle: the loader's one pass over a table's date columns (each form's pattern and parser once over all of
    them, in runs of at most `batch` cells) against the reference parser and day/month note of each column alone:
    the day/month order decided per column and separator, empty and all-missing columns included, and columns of
    different types (one of objects: each stripped by itself)."""
    if objects:
        columns = [columns[0].astype(object), *columns[1:]]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(convert, "BATCH_CELLS", batch)
        together = convert.parse_dates_noting_order(columns, excel_serials)
    assert len(together) == len(columns)
    for column, (typed, ambiguity) in zip(columns, together, strict=True):
        pd.testing.assert_series_equal(typed, reference.parse_datetime(column, excel_serials=excel_serials))
        assert ambiguity == reference.ambiguous_day_month(column)


@examples(100)
@given(
    st.lists(_column(_numbers), min_size=1, max_size=4),
    st.sampled_from((1, 7, 40, convert.BATCH_CELLS)),
    st.booleans(),
)
def test_a_tables_number_columns_read_together_as_each_alone(
    columns: list[pd.Series], batch: int, objects: bool
) -> None:
    """Oracle: the loader's one pass over a table's number columns (in runs of at most `batch` cells) against the
    reference parser of each column alone: a lone "1.234" still read as the rest of its own column reads."""
    if objects:
        columns = [*columns[:-1], columns[-1].astype(object)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(convert, "BATCH_CELLS", batch)
        together = convert.parse_numbers(columns)
    assert len(together) == len(columns)
    for column, number in zip(columns, together, strict=True):
        pd.testing.assert_series_equal(number, reference.parse_number(column))
        pd.testing.assert_series_equal(convert.whole_numbers(number), convert.parse_integer(column))


def _written_no_date_by_pandas(text: pd.Series) -> list[bool]:
    dated = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}.*").fillna(False).to_numpy(bool)
    return (text.str.slice(0, 10).isin(convert.NO_DATES).to_numpy(bool) & dated).tolist()


_NO_DATE_LIKE = st.tuples(
    st.sampled_from([*convert.NO_DATES, "2024-01-01", "9999-12-3", "٩٩٩٩-12-31", "0001-01-0١"]),
    st.sampled_from(["", " 00:00:00", "T00:00", "\n", " 00:00\n", "x\ny", "\r", "\u2028", "-"]),
).map("".join)


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), _NO_DATE_LIKE, st.text(max_size=12)), max_size=12),
    arrow=st.booleans(),
)
def test_oracle_written_no_date_is_the_pandas_pattern_and_slice(values: list[str | None], arrow: bool) -> None:
    text = pd.Series(values, dtype=TEXT if arrow else object, index=pd.RangeIndex(5, 5 + len(values)))
    assert convert.written_no_date(text).tolist() == _written_no_date_by_pandas(text)
