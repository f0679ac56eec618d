"""Typing parsers: examples of each supported style, and round-trip properties with hypothesis."""

from datetime import datetime

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.dtypes import TEXT
from auditor.model import DType
from auditor.sources import convert as convert_module
from auditor.sources.convert import convert, parse_bool, parse_datetime, parse_integer, parse_number


def _one(parser, text: str, **kwargs):
    return parser(pd.Series([text], dtype="str"), **kwargs).tolist()[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", 1234.5),
        ("1 234,50", 1234.5),
        ("1\u00a0234,50", 1234.5),
        ("1.234,50", 1234.5),
        ("1,234.50", 1234.5),
        ("$1,200", 1200.0),
        ("PLN 1200", 1200.0),
        ("1200 zł", 1200.0),
        ("€ 99,99", 99.99),
        ("12%", 12.0),
        ("(1,200.00)", -1200.0),
        ("-3.5", -3.5),
        ("1,234,567", 1234567.0),
        ("1.234.567,89", 1234567.89),
        ("  42 ", 42.0),
    ],
)
def test_parse_number_styles(text: str, expected: float) -> None:
    assert _one(parse_number, text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["abc", "12abc", "1 2", "--1", "n/a", ""])
def test_unparseable_numbers_are_na(text: str) -> None:
    assert pd.isna(_one(parse_number, text))


def test_ambiguous_thousands_follow_the_column() -> None:
    assert parse_number(pd.Series(["1,234", "5.25"])).tolist() == [1234.0, 5.25]
    assert parse_number(pd.Series(["1,234", "12,50"])).tolist() == [1.234, 12.5]
    assert parse_number(pd.Series(["1.234", "12,50"])).tolist() == [1234.0, 12.5]


def test_parse_integer() -> None:
    result = parse_integer(pd.Series(["12", "12.0", "12.5", "1 000", None, "x"]))
    assert result.dtype == "Int64"
    assert result.tolist()[:2] == [12, 12] and result.tolist()[3] == 1000
    assert result.isna().tolist() == [False, False, True, False, True, True]


def test_parse_bool() -> None:
    values = ["true", "FALSE", "Yes", "no", "1", "0", "Tak", "nie", "Y", "n", "maybe", None]
    result = parse_bool(pd.Series(values))
    assert result.dtype == "boolean"
    assert result.tolist()[:10] == [True, False, True, False, True, False, True, False, True, False]
    assert result.isna().tolist()[10:] == [True, True]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", "2026-03-01"),
        ("2026-03-01T10:00:00Z", "2026-03-01 10:00"),
        ("2026-03-01T10:15:00.000Z", "2026-03-01 10:15"),
        ("2026-03-01T12:00:00+02:00", "2026-03-01 10:00"),
        ("2026-03-01 10:00", "2026-03-01 10:00"),
        ("01.03.2026", "2026-03-01"),
        ("1.3.2026 14:30", "2026-03-01 14:30"),
        ("03/01/2026", "2026-03-01"),
        ("3/1/2026, 10:15 AM", "2026-03-01 10:15"),
        ("3/1/2026 12:05 PM", "2026-03-01 12:05"),
        ("3/1/2026 12:05 AM", "2026-03-01 00:05"),
        ("13.05.2026", "2026-05-13"),
        ("2026/03/01", "2026-03-01"),
        ("2026-3-1", "2026-03-01"),
        ("2026.03.01 08:00", "2026-03-01 08:00"),
        ("20260301", "2026-03-01"),
        ("19560409", "1956-04-09"),
        ("13 Jul 2022", "2022-07-13"),
        ("13-JUL-2022", "2022-07-13"),
        ("July 13, 2022", "2022-07-13"),
        ("1st March 1999", "1999-03-01"),
        ("Sept 9 2001", "2001-09-09"),
    ],
)
def test_parse_datetime_styles(text: str, expected: str) -> None:
    assert _one(parse_datetime, text) == pd.Timestamp(expected)


def test_day_first_decided_per_column() -> None:
    us = parse_datetime(pd.Series(["1/3/2026", "12/31/2026"]))
    assert us.tolist() == [pd.Timestamp("2026-01-03"), pd.Timestamp("2026-12-31")]
    european = parse_datetime(pd.Series(["1/3/2026", "31/12/2026"]))
    assert european.tolist() == [pd.Timestamp("2026-03-01"), pd.Timestamp("2026-12-31")]
    forced = parse_datetime(pd.Series(["1/3/2026"]), dayfirst=True)
    assert forced.tolist() == [pd.Timestamp("2026-03-01")]
    dotted_month_first = parse_datetime(pd.Series(["05.13.2026", "01.02.2026"]))
    assert dotted_month_first.tolist() == [pd.Timestamp("2026-05-13"), pd.Timestamp("2026-01-02")]


def test_bad_dates_are_na_and_dtype_is_naive_ns() -> None:
    result = parse_datetime(pd.Series(["2026-02-30", "31.02.2026", "yesterday", "", None, "45000"]))
    assert result.dtype == "datetime64[ns]"
    assert result.isna().all()


@pytest.mark.parametrize(
    "text",
    [
        *("1630-08-01", "9999-12-31", "0001-01-01", "2262-04-12", "1677-09-21", "1677-09-22", "2262-04-11"),
        *("1809-12-31", "2100-01-01", "31.12.1809", "1/1/2100", "21000101", "1 Jan 2100", "1800-01-01"),
    ],
)
def test_dates_outside_the_typed_range_are_na_not_an_error(text: str) -> None:
    result = parse_datetime(pd.Series([text, "2026-03-01"]))
    assert pd.isna(result[0]) and result[1] == pd.Timestamp("2026-03-01")


def test_the_typed_range_ends_are_dates_whose_difference_fits_a_timedelta() -> None:
    result = parse_datetime(pd.Series(["1810-01-01", "2099-12-31 23:59:59", "1834-08-17"]))
    assert result.notna().all()
    assert (result[1] - result[0]).days == 105_920


@pytest.mark.parametrize("text", ["0000-00-00", "31/02/2024", "2024-02-30", "01/02/24", "12.3.99", "99-12-31"])
def test_impossible_dates_and_two_digit_years_are_na(text: str) -> None:
    assert pd.isna(_one(parse_datetime, text))


def test_excel_serials_past_the_typed_range_are_na_not_an_error() -> None:
    # 2958465 is Excel's last day (9999-12-31): more days than a timedelta64[ns] holds
    result = parse_datetime(pd.Series(["73050", "73051", "106752", "2958465"]), excel_serials=True)
    assert result[0] == pd.Timestamp("2099-12-31")
    assert result[1:].isna().all()


@pytest.mark.parametrize("text", ["01032026", "20261301", "20260230", "Mon 3 2022", "13 Jux 2022", "12345678"])
def test_what_only_looks_like_a_date_is_na(text: str) -> None:
    assert pd.isna(_one(parse_datetime, text))


def test_excel_serials_only_when_asked() -> None:
    assert _one(parse_datetime, "45000.5", excel_serials=True) == pd.Timestamp("2023-03-15 12:00")
    assert pd.isna(_one(parse_datetime, "45000.5"))


def test_convert_dispatches_by_dtype() -> None:
    values = pd.Series(["1"], dtype="str")
    assert convert(values, DType.STRING) is values
    assert convert(values, DType.BOOL).tolist() == [True]
    assert convert(values, DType.INTEGER).dtype == "Int64"
    assert convert(values, DType.NUMBER).dtype == "float64"


_money = st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False)


def _styles(value) -> list[str]:
    us = f"{abs(value):,.2f}"
    sign = "-" if value < 0 else ""
    return [
        f"{value:.2f}",
        sign + us,
        sign + us.replace(",", " ").replace(".", ","),
        sign + us.replace(",", "X").replace(".", ",").replace("X", "."),
        f"{sign}${us}",
        f"PLN {value:.2f}",
        f"{value:.2f}%",
        f"({us})" if value < 0 else us,
    ]


@given(_money)
def test_every_number_style_parses_back(value) -> None:
    parsed = parse_number(pd.Series(_styles(value), dtype="str"))
    assert parsed.tolist() == pytest.approx([float(value)] * len(parsed), abs=1e-6)


@given(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False))
def test_plain_floats_parse_back(value: float) -> None:
    assert _one(parse_number, repr(value)) == value


_moments = st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)


@given(_moments)
def test_every_date_style_parses_back(moment: datetime) -> None:
    day = moment.replace(hour=0, minute=0, second=0)
    styles = {
        moment.isoformat(): moment,
        moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"): moment,
        moment.strftime("%Y-%m-%d %H:%M"): moment.replace(second=0),
        day.strftime("%d.%m.%Y"): day,
        moment.strftime("%d.%m.%Y %H:%M:%S"): moment,
    }
    parsed = parse_datetime(pd.Series(list(styles), dtype="str"))
    assert parsed.tolist() == [pd.Timestamp(v) for v in styles.values()]


@given(_moments, st.booleans())
def test_slashed_dates_parse_back_with_the_stated_order(moment: datetime, dayfirst: bool) -> None:
    day = moment.replace(hour=0, minute=0, second=0)
    text = day.strftime("%d/%m/%Y" if dayfirst else "%m/%d/%Y")
    assert _one(parse_datetime, text, dayfirst=dayfirst) == pd.Timestamp(day)
    twelve = moment.strftime("%m/%d/%Y %I:%M:%S %p")
    assert _one(parse_datetime, twelve, dayfirst=False) == pd.Timestamp(moment)


@given(st.text(max_size=12))
def test_parsers_never_raise(text: str) -> None:
    series = pd.Series([text], dtype="str")
    parse_number(series)
    parse_integer(series)
    parse_bool(series)
    parse_datetime(series, excel_serials=True)


def test_an_excel_serial_beyond_the_datetime_range_is_na() -> None:
    parsed = parse_datetime(pd.Series(["200000.1", "45000"]), excel_serials=True)
    assert pd.isna(parsed[0]) and parsed[1] == pd.Timestamp("2023-03-15")


def test_an_impossible_iso_date_sends_only_the_doubtful_values_to_pandas(monkeypatch) -> None:
    """One 2026-02-30 among ISO dates: Arrow reads the dates of a month's first 28 days, pandas the others."""
    read: list[int] = []
    iso = convert_module._iso

    def counted(text: pd.Series):
        read.append(len(text))
        return iso(text)

    monkeypatch.setattr(convert_module, "_iso", counted)
    values = pd.Series(["2026-02-30", "2026-01-31T10:00:00", *[f"2026-03-{d:02d}" for d in range(1, 29)]], dtype=TEXT)
    parsed = parse_datetime(values)
    assert read == [2] and parsed.isna().tolist() == [True] + [False] * 29
    assert parsed[1] == pd.Timestamp("2026-01-31 10:00") and parsed[29] == pd.Timestamp("2026-03-28")


def test_a_tables_date_columns_are_read_in_one_pass_each_deciding_its_own_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three date columns of a table: the ISO form searched and the d.m.y form extracted once for all of them (a
    pass per column was a fixed cost of a dozen calls, most of a small export's loading), while each column keeps
    its own day/month order and note."""
    searched: list[str] = []
    mask = convert_module._mask
    monkeypatch.setattr(convert_module, "_mask", lambda text, pattern: searched.append(pattern) or mask(text, pattern))
    us = pd.Series(["1/3/2026", "12/31/2026", "2026-01-05"], dtype=TEXT)
    european = pd.Series(["1/3/2026", "31/12/2026", None], dtype=TEXT)
    undecided = pd.Series(["1/3/2026", "2026-02-01", " 04/05/2026 "], dtype=TEXT)
    (us_typed, us_note), (eu_typed, eu_note), (open_typed, open_note) = convert_module.parse_dates_noting_order(
        [us, european, undecided]
    )
    assert searched.count(convert_module._SIMPLE_ISO) == 1
    assert searched.count(convert_module._DMY_PREFIX) == 2  # the typing's and the note's, each once for all columns
    assert us_typed.tolist()[:2] == [pd.Timestamp("2026-01-03"), pd.Timestamp("2026-12-31")]
    assert eu_typed.tolist()[:2] == [pd.Timestamp("2026-03-01"), pd.Timestamp("2026-12-31")]
    assert open_typed.tolist() == [pd.Timestamp("2026-01-03"), pd.Timestamp("2026-02-01"), pd.Timestamp("2026-04-05")]
    assert us_note == eu_note == (0, None, False)
    assert open_note == (2, "1/3/2026", False)


def test_a_tables_plain_numbers_are_read_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two number columns of a table: the plain-number form searched once for both, while a lone "1.234" is read
    as its own column reads it (a decimal beside "12,50" is a thousand beside nothing else)."""
    searched: list[str] = []
    mask = convert_module._mask
    monkeypatch.setattr(convert_module, "_mask", lambda text, pattern: searched.append(pattern) or mask(text, pattern))
    commas = pd.Series(["1.234", "12,50", "7"], dtype=TEXT)
    points = pd.Series(["1.234", "3", None], dtype=TEXT)
    first, second = convert_module.parse_numbers([commas, points])
    assert searched.count(convert_module._PLAIN_NUMBER) == 1
    assert first.tolist() == [1234.0, 12.5, 7.0]
    assert second.tolist()[:2] == [1.234, 3.0]
