"""The typing parsers as they were before issue 17 made them fast (auditor/sources/convert.py at 33724d7),
kept unchanged as the oracle the new ones must agree with value for value
(tests/sources/test_sources_convert_oracle.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.sources.convert import (
    _COMPACT,
    _CURRENCY,
    _DMY,
    _DMY_PREFIX,
    _EXCEL_EPOCH,
    _EXCEL_SERIAL_RANGE,
    _GROUP_SEPARATORS,
    _GROUPED_SPACE,
    _INEXACT_TO_NUMERIC,
    _ISO,
    _ISO_SHORT,
    _MONTH_NAMED,
    _MONTHS,
    _PLAIN_FLOAT,
    _SERIAL,
    _YEAR,
    _YMD_OTHER,
    TYPED_RANGE,
)


def parse_datetime(values: pd.Series, dayfirst: bool | None = None, excel_serials: bool = False) -> pd.Series:
    """ISO 8601 (offsets converted to UTC), d.m.y / m/d/y with optional time, YYYYMMDD, "13 Jul 2022",
    Excel serial days -> naive ns. A date outside the datetime64[ns] range is NA."""
    text = _strip(values)
    year_first = _match(text, _YMD_OTHER)  # 2026/03/01 and 2026.3.1 are ISO dates in other clothes
    if year_first.any():
        text = text.mask(year_first, text.str.replace(_YMD_OTHER, r"\1-\2-\3", regex=True))
    short = _match(text, _ISO_SHORT)
    if short.any():  # pandas' ISO 8601 parser wants 2026-03-01, not 2026-3-1
        padded = text[short].str.replace(r"^(\d{4})-(\d)-", r"\1-0\2-", regex=True)
        text = text.mask(short, padded.str.replace(r"^(\d{4}-\d{2})-(\d)(\D|$)", r"\1-0\2\3", regex=True))
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    iso = _match(text, _ISO)
    if iso.any():
        parsed = pd.to_datetime(
            text[iso].str.replace(",", ".", regex=False), format="ISO8601", utc=True, errors="coerce"
        )
        out[iso] = _nanoseconds(parsed.dt.tz_convert(None))
    # the other forms are looked for only in what ISO 8601 did not read (most columns: nothing)
    rest = text[~iso & text.notna()]
    if not len(rest):
        return out
    # RE2 has no back-references, so a cheap prefilter keeps the Python-regex extract to likely dates
    parts = rest[_match(rest, _DMY_PREFIX)].str.extract(_DMY)
    matched = parts["year"].notna()
    if matched.any():
        out[matched[matched].index] = _from_parts(parts[matched], dayfirst)
    compact = _match(rest, _COMPACT)
    if compact.any():
        out[compact[compact].index] = _nanoseconds(pd.to_datetime(rest[compact], format="%Y%m%d", errors="coerce"))
    year = _match(rest, _YEAR)
    if year.any():
        out[year[year].index] = _nanoseconds(pd.to_datetime(rest[year], format="%Y", errors="coerce"))
    wordy = ~compact & _match(rest, r"[A-Za-z]{3}")
    named = (
        rest[wordy].str.extract(_MONTH_NAMED).astype(object)
        if wordy.any()
        else pd.DataFrame(columns=["d1", "m1", "m2", "d2", "year"], dtype=object)
    )
    month = named["m1"].fillna(named["m2"]).map(lambda m: _MONTHS.get(m.lower()) if isinstance(m, str) else None)
    named = named[month.notna()]
    if len(named):
        parts = pd.DataFrame(
            {
                "year": named["year"].astype(int),
                "month": month[named.index].astype(int),
                "day": named["d1"].fillna(named["d2"]).astype(int),
            }
        )
        out[parts.index] = _nanoseconds(pd.to_datetime(parts, errors="coerce"))
    if excel_serials:
        serial = ~compact & ~year & ~matched.reindex(rest.index, fill_value=False) & _match(rest, _SERIAL)
        days = pd.to_numeric(rest[serial], errors="coerce")
        days = days[days.between(*_EXCEL_SERIAL_RANGE)]
        # in whole seconds: a timedelta64[ns] holds only 292 years, less than 1899 .. 2200
        seconds = (days.to_numpy() * 86_400).round().astype("int64").astype("timedelta64[s]")
        out[days.index] = (_EXCEL_EPOCH.to_datetime64().astype("datetime64[s]") + seconds).astype("datetime64[ns]")
    return out


def ambiguous_day_month(values: pd.Series) -> tuple[int, str | None, bool]:
    """(how many d.m.y / m/d/y dates could be read either way, one of them, read day-first?) for a
    column read without `dayfirst`: no value of its separator has a day above 12 to decide."""
    text = _strip(values)
    parts = text[_match(text, _DMY_PREFIX)].str.extract(_DMY)
    parts = parts[parts["year"].notna()]
    if not len(parts):
        return 0, None, False
    a, b, day_first = _day_first(parts, None)
    undecided = pd.Series(True, index=parts.index)
    for is_dotted in (True, False):
        group = (parts["sep"] != "/") == is_dotted
        if ((a[group] > 12) | (b[group] > 12)).any():
            undecided[group] = False
    both = undecided & (a <= 12) & (b <= 12) & (a != b)
    if not both.any():
        return 0, None, False
    first = both.idxmax()
    return int(both.sum()), str(text[first]), bool(day_first[first])


def _day_first(parts: pd.DataFrame, dayfirst: bool | None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(first number, second number, day comes first) of d.m.y / m/d/y matches."""
    a = parts["a"].astype(int)
    b = parts["b"].astype(int)
    dotted = parts["sep"] != "/"
    if dayfirst is None:
        # one unambiguous value decides for the whole column and separator; otherwise dd.mm.yyyy is
        # European and mm/dd/yyyy American
        day_first = pd.Series(dotted, index=parts.index)
        for is_dotted in (True, False):
            group = dotted == is_dotted
            if (a[group] > 12).any() and not (b[group] > 12).any():
                day_first[group] = True
            elif (b[group] > 12).any() and not (a[group] > 12).any():
                day_first[group] = False
    else:
        day_first = pd.Series(dayfirst, index=parts.index)
    return a, b, day_first


def date_parts(values: pd.Series, dayfirst: bool | None = None) -> pd.DataFrame:
    """Year, month and day (floats, NaN where the value has no date's shape) of every format
    `parse_datetime` reads, read as text: a date outside a pandas timestamp's range (a birth in 1630)
    keeps its parts, and so does an impossible one ('1856-86-18'), for the caller to judge."""
    text = _strip(values)
    out = pd.DataFrame(np.nan, index=values.index, columns=["year", "month", "day"])
    ymd = text.str.extract(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[T ,])")
    compact = text.where(_match(text, _COMPACT)).str.extract(r"^(\d{4})(\d{2})(\d{2})$")
    found = ymd.fillna(compact)
    for k, column in enumerate(("year", "month", "day")):
        out[column] = pd.to_numeric(found[k], errors="coerce")
    rest = out["year"].isna()
    parts = text[rest & _match(text, _DMY_PREFIX)].str.extract(_DMY)
    parts = parts[parts["year"].notna()]
    if len(parts):
        a, b, day_first = _day_first(parts, dayfirst)
        out.loc[parts.index, "year"] = parts["year"].astype(float)
        out.loc[parts.index, "month"] = b.where(day_first, a).astype(float)
        out.loc[parts.index, "day"] = a.where(day_first, b).astype(float)
    rest = out["year"].isna() & _match(text, r"[A-Za-z]{3}")
    if rest.any():
        named = text[rest].str.extract(_MONTH_NAMED).astype(object)
        month = named["m1"].fillna(named["m2"]).map(lambda m: _MONTHS.get(m.lower()) if isinstance(m, str) else None)
        named = named[month.notna()]
        out.loc[named.index, "year"] = pd.to_numeric(named["year"]).astype(float)
        out.loc[named.index, "month"] = month[named.index].astype(float)
        out.loc[named.index, "day"] = pd.to_numeric(named["d1"].fillna(named["d2"])).astype(float)
    return out


def _from_parts(parts: pd.DataFrame, dayfirst: bool | None) -> pd.Series:
    a, b, day_first = _day_first(parts, dayfirst)
    hour = pd.to_numeric(parts["hour"], errors="coerce").fillna(0)
    ampm = parts["ampm"].str.lower().str[0]
    hour = hour.where(~((ampm == "p") & (hour < 12)), hour + 12).where(~((ampm == "a") & (hour == 12)), 0)
    components = pd.DataFrame(
        {
            "year": parts["year"].astype(int),
            "month": b.where(day_first, a),
            "day": a.where(day_first, b),
            "hour": hour,
            "minute": pd.to_numeric(parts["minute"], errors="coerce").fillna(0),
            "second": pd.to_numeric(parts["second"], errors="coerce").fillna(0),
        }
    )
    return _nanoseconds(pd.to_datetime(components, errors="coerce"))


def _nanoseconds(stamps: pd.Series) -> pd.Series:
    """Naive datetime64[ns]; a value outside TYPED_RANGE (a birth date in 1630, 9999-12-31) becomes NA."""
    return stamps.where(stamps.between(*TYPED_RANGE)).astype("datetime64[ns]")


def parse_number(values: pd.Series) -> pd.Series:
    """1234.5, 1 234,50, 1.234,50, 1,234.50, $1,200, PLN 1200, 12%, (1,200) -> float64.

    A lone "1,234" or "1.234" is read as the rest of the column reads: a column with
    comma decimals ("12,50") makes it 1.234, otherwise the comma groups thousands and the
    dot is a decimal point.
    """
    text = _strip(values)
    text = text.str.replace(_CURRENCY, "", regex=True).str.strip().str.removesuffix("%").str.strip()
    negative = _match(text, r"^\(.*\)$")
    text = text.mask(negative, text.str.slice(1, -1))
    grouped = _match(text, _GROUPED_SPACE)
    text = text.mask(grouped, text.str.replace(_GROUP_SEPARATORS, "", regex=True))

    comma, dot = text.str.rfind(","), text.str.rfind(".")
    has_comma, has_dot = comma >= 0, dot >= 0
    lone_comma_group = _match(text, r"^[-+]?\d{1,3},\d{3}$")
    lone_dot_group = _match(text, r"^[-+]?\d{1,3}\.\d{3}$")
    comma_decimals = (has_comma & ~has_dot & ~lone_comma_group & ~_match(text, r",\d{3},")) | (
        has_comma & has_dot & (comma > dot)
    )
    column_uses_comma = bool(comma_decimals.any()) and not bool((has_dot & ~has_comma & ~lone_dot_group).any())
    decimal_comma = comma_decimals | (lone_comma_group & column_uses_comma)
    dots_group = lone_dot_group & column_uses_comma | text.str.count(r"\.").gt(1)

    text = text.mask(decimal_comma | dots_group, text.str.replace(".", "", regex=False))
    text = text.mask(decimal_comma, text.str.replace(",", ".", regex=False))
    text = text.mask(~decimal_comma, text.str.replace(",", "", regex=False))
    number = pd.to_numeric(text, errors="coerce").astype("float64")
    if _INEXACT_TO_NUMERIC:  # pandas 2 reads decimals with a fast, inexact strtod; Arrow's parser is exact
        plain = number.notna() & _match(text, _PLAIN_FLOAT)
        if plain.any():
            exact = pc.cast(pa.array(text[plain], type=pa.string(), from_pandas=True), pa.float64())
            number[plain] = exact.to_numpy(zero_copy_only=False)
    # the one change since 33724d7 (2026-12-06): an infinity ("inf", "1e400") is not read as a number
    return number.mask(negative, -number).mask(np.isinf(number))


def _match(text: pd.Series, pattern: str) -> pd.Series:
    """Boolean regex search with pyarrow (RE2); pandas' own `str.match` loops in Python for these patterns."""
    found = pc.fill_null(pc.match_substring_regex(pa.array(text, type=pa.string(), from_pandas=True), pattern), False)
    return pd.Series(found.to_numpy(zero_copy_only=False), index=text.index)


def _strip(values: pd.Series) -> pd.Series:
    return values.astype("str").str.strip()
