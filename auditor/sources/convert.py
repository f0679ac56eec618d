"""Typed values from string cells: dates, numbers, integers, booleans. Vectorized; never raises.

A value that does not parse becomes NA, so the `type` rule can find it as
`raw.notna() & frame.isna()`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.dtypes import TEXT
from auditor.model import DType
from auditor.text import NO_DATES

_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
TYPED_RANGE = (pd.Timestamp("1810-01-01").as_unit("ns"), pd.Timestamp("2099-12-31 23:59:59.999999999"))
"""The dates a typed column holds (1810-01-01 .. 2099-12-31); any other date is NA there, which the `type`
rule reports, instead of an error that stops the audit. A birth date in the 1800s is still a date the
`range` rule can call too old, 2099-12-31 ("never expires") is a date, and 290 years keep the difference
of any two dates, plus the periods the metrics add, inside what a timedelta64[ns] holds (292 years):
wider, a deal created in 1700 and closed in 2200 overflowed the sales cycle, and a date near
datetime64[ns]'s own ends (1677-09-22, 2262-04-11) overflowed a year subtracted from it."""
_TYPED_SECONDS = tuple(np.datetime64(t.floor("s"), "s") for t in TYPED_RANGE)
# 1899-12-31 .. the last day of TYPED_RANGE: a later serial is NA, like any date outside it
_EXCEL_SERIAL_RANGE = (1, (TYPED_RANGE[1].date() - _EXCEL_EPOCH.date()).days)

_SIMPLE_ISO = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}:\d{2})?$"
"""The form most exports write dates in: Arrow's ISO 8601 cast reads a column of them in one pass, and
refuses an impossible date as pandas' parser does (no 2026-02-30, no 24:00:00, no leap second)."""
_SURE_ISO = r"^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])(?:[T ](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)?$"
"""A _SIMPLE_ISO value that is surely a date and time of the calendar: a month's first 28 days, hours to 23."""
_ISO = r"^\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
_DMY = (
    r"^(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4})"
    r"(?:[ T,]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?$"
)
_YMD_OTHER = r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})"
_ISO_SHORT = r"^\d{4}-(?:\d-\d{1,2}|\d{2}-\d)(?:\D|$)"
_DMY_PREFIX = r"^\d{1,2}[./-]\d{1,2}[./-]\d{4}"
_SERIAL = r"^\d{1,7}(?:\.\d+)?$"
_YEAR = r"^(?:1[89]|20)\d{2}$"
"""A year alone (1800-2099) in a date column: the first of January of it, the precision it has."""
_COMPACT = r"^(?:1\d|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$"
"""YYYYMMDD between 1000 and 2099 (DDMMYYYY never passes: its fifth and sixth digits, 19 or 20, are no month)."""
_MONTH_NAMED = (
    r"^(?:(?P<d1>\d{1,2})(?:st|nd|rd|th)?[\s./-]+(?P<m1>[A-Za-z]{3,9})\.?|(?P<m2>[A-Za-z]{3,9})\.?\s+(?P<d2>\d{1,2})"
    r"(?:st|nd|rd|th)?)[\s,./-]+(?P<year>\d{4})$"
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
"""English month names and their usual abbreviations ("13 Jul 2022", "July 13, 2022", "13-JUL-2022")."""

_CURRENCY = r"^(?:[A-Z]{3}|zł|zl|kr|Fr\.?)\s*|\s*(?:[A-Z]{3}|zł|zl|kr|Fr\.?)$|[$€£¥₹₽]"
_GROUP_SEPARATORS = "[\\s\u00a0\u202f'’]"  # literal no-break spaces: RE2's \s is ASCII only
_GROUPED_SPACE = rf"^[-+]?\d{{1,3}}(?:{_GROUP_SEPARATORS}\d{{3}})+(?:[.,]\d+)?$"
_PLAIN_FLOAT = r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$"
_PLAIN_NUMBER = r"^[-+]?\d+(?:\.\d+)?$"
_LONE_DOT_GROUP = r"^[-+]?\d{1,3}\.\d{3}$"
_INEXACT_TO_NUMERIC = int(pd.__version__.split(".")[0]) < 3
_BOOLEANS = {
    **dict.fromkeys(("true", "t", "yes", "y", "1", "tak", "prawda", "x", "1.0"), True),
    **dict.fromkeys(("false", "f", "no", "n", "0", "nie", "fałsz", "falsz", "0.0"), False),
}


def convert(values: pd.Series, dtype: DType, dayfirst: bool | None = None, excel_serials: bool = False) -> pd.Series:
    """The typed twin of a string column for a field of `dtype`."""
    if dtype in (DType.DATETIME, DType.DATE):
        return parse_datetime(values, dayfirst=dayfirst, excel_serials=excel_serials)
    if dtype is DType.NUMBER:
        return parse_number(values)
    if dtype is DType.INTEGER:
        return parse_integer(values)
    if dtype is DType.BOOL:
        return parse_bool(values)
    return values


Ambiguity = tuple[int, str | None, bool]
"""(how many d.m.y / m/d/y dates could be read either way, one of them, read day-first?)"""


def parse_datetime(values: pd.Series, dayfirst: bool | None = None, excel_serials: bool = False) -> pd.Series:
    """ISO 8601 (offsets converted to UTC), d.m.y / m/d/y with optional time, YYYYMMDD, "13 Jul 2022",
    Excel serial days -> naive ns. A date outside the datetime64[ns] range is NA.

    Each form is read by one vectorised call over all the values written in it, never value by value:
    first the form most exports write every date in (2026-03-01, 2026-03-01T10:00:00), by Arrow's ISO 8601
    cast, then the other forms, one after the other, in what is left (in most columns nothing, or a few
    defects)."""
    return _parse_datetime(values, dayfirst, excel_serials)[0]


BATCH_CELLS = 1 << 20
"""At most so many cells of several columns are read together by `parse_dates_noting_order` (a column longer
than that alone): small columns share each form's one pass, a million-row column is not copied into a larger one."""


def parse_dates_noting_order(
    columns: Sequence[pd.Series], excel_serials: bool = False
) -> list[tuple[pd.Series, Ambiguity]]:
    """`parse_datetime(column)` (no `dayfirst`) and `ambiguous_day_month(column)` of each of `columns` (a table's
    date columns), the second looked for only among the values the first did not find in the _SIMPLE_ISO form: a
    d.m.y or m/d/y date never is in it (it starts with one or two digits, not four), and searching every value of a
    million-row date column for that shape again cost about 0.4 s of a million contacts' loading. The columns'
    values are read together: each form's pattern, cast and parser runs once over the values of every column
    written in it, not once per column (a dozen Arrow and pandas calls of fixed cost each, which were most of a
    small export's loading). What is decided per column stays so: the day/month order (`_day_first`, by column
    and separator) and its note."""
    out: list[tuple[pd.Series, Ambiguity]] = []
    for batch in _batches(columns):
        out += _parse_dates_together(batch, excel_serials)
    return out


def _batches(columns: Sequence[pd.Series]) -> list[list[pd.Series]]:
    """`columns` in order, cut into runs of at most BATCH_CELLS cells (a longer column is a run of its own)."""
    batches: list[list[pd.Series]] = []
    cells = 0
    for column in columns:
        if not batches or cells + len(column) > BATCH_CELLS:
            batches.append([])
            cells = 0
        batches[-1].append(column)
        cells += len(column)
    return batches


def _parse_dates_together(columns: list[pd.Series], excel_serials: bool) -> list[tuple[pd.Series, Ambiguity]]:
    text = _stripped_text(columns)
    owner = np.repeat(np.arange(len(columns)), [len(column) for column in columns])
    typed, other = _parse_text(text, None, excel_serials, owner)
    ambiguities = _ambiguities(text.take(other), owner[other], len(columns))
    ends = np.cumsum([len(column) for column in columns])
    return [
        (pd.Series(part, index=column.index), ambiguity)
        for column, part, ambiguity in zip(columns, np.split(typed, ends[:-1]), ambiguities, strict=True)
    ]


def _stripped_text(columns: list[pd.Series]) -> pa.Array:
    """The columns' values one after the other, stripped (`_strip`), as Arrow text: stripped together when they
    are of one type (what a table's text columns are), each on its own otherwise (as `_strip` of each reads it)."""
    if len({column.dtype for column in columns}) == 1:
        joined = pd.concat([column.reset_index(drop=True) for column in columns], ignore_index=True)
        return pa.array(_strip(joined), type=pa.string(), from_pandas=True)
    pieces = [pa.array(_strip(column), type=pa.string(), from_pandas=True) for column in columns]
    return pa.chunked_array(pieces, type=pa.string()).combine_chunks()


def _parse_datetime(values: pd.Series, dayfirst: bool | None, excel_serials: bool) -> tuple[pd.Series, pa.Array]:
    """`parse_datetime`, and the stripped values not in the _SIMPLE_ISO form (none missing), in order."""
    text = pa.array(_strip(values), type=pa.string(), from_pandas=True)
    out, other = _parse_text(text, dayfirst, excel_serials, None)
    return pd.Series(out, index=values.index), text.take(other)


def _parse_text(
    text: pa.Array, dayfirst: bool | None, excel_serials: bool, owner: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """`parse_datetime` of stripped Arrow text as datetime64[ns], and the positions of the values (none missing)
    not in the _SIMPLE_ISO form. `owner`: the column of each value, when they are several columns' values."""
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    simple = _mask(text, _SIMPLE_ISO)
    if simple.any():
        out[simple] = _simple_iso(text.filter(simple))
    other = np.flatnonzero(~simple & text.is_valid().to_numpy(zero_copy_only=False))
    if len(other):
        out[other] = _other_forms(text.take(other), dayfirst, excel_serials, None if owner is None else owner[other])
    return out, other


def written_no_date(text: pd.Series) -> np.ndarray:
    """Which cells (text as written, stripped) are a date a system writes for "no date" (`NO_DATES`, with or
    without a time): 9999-12-31 and 0001-01-01 parse to nothing in a typed column, yet are date-shaped, and a
    stand-in for a missing value rather than a malformed date."""
    # `\d{4}-\d{2}-\d{2}.*` in full, of a value whose first ten characters are one of NO_DATES, is its rest holding
    # no line break (what `.` does not match): one look per cell, not pandas' five passes over the Series
    return np.fromiter(
        (isinstance(v, str) and v[:10] in _NO_DATES and "\n" not in v[10:] for v in text.tolist()), bool, len(text)
    )


_NO_DATES = frozenset(NO_DATES)


def surely_parsed(values: pd.Series, dtype: DType) -> int:
    """How many of `values` (stripped text, none missing) `parse_datetime` (`dtype` DATETIME or DATE) or
    `parse_number` (NUMBER) reads whatever the rest of the column holds: the dates of the form most exports
    write (one Arrow cast), the plain numbers (two patterns). A lower bound of the values it reads, for a
    caller that needs to know no more than "at least so many" and would otherwise read every other form."""
    text = pa.array(values, type=pa.string(), from_pandas=True)
    return int(surely_parsed_each(text, np.zeros(len(text), dtype=np.int64), 1, dtype)[0])


def surely_parsed_each(text: pa.Array, owner: np.ndarray, columns: int, dtype: DType) -> np.ndarray:
    """`surely_parsed` of each of `columns` columns whose values (stripped text, none missing) are `text`, `owner`
    the column of each: one pattern search (and cast) over them all."""
    if dtype in (DType.DATETIME, DType.DATE):
        simple = _mask(text, _SIMPLE_ISO)
        read = np.zeros(len(text), dtype=bool)
        if simple.any():
            read[simple] = ~np.isnat(_simple_iso(text.filter(simple)))
    elif dtype is DType.NUMBER:
        read = _mask(text, _PLAIN_NUMBER) & ~_mask(text, _LONE_DOT_GROUP)
    else:
        raise ValueError(f"no lower bound for {dtype}")
    return np.bincount(owner[read], minlength=columns)


def _simple_iso(text: pa.Array) -> np.ndarray:
    """Dates and times of the _SIMPLE_ISO form as datetime64[ns], NaT outside TYPED_RANGE."""
    try:
        return _typed_seconds(pc.cast(text, pa.timestamp("s")).to_numpy(zero_copy_only=False))
    except pa.ArrowInvalid:  # an impossible date (2026-02-31): pandas' parser makes NaT of it, not an error
        pass
    # Arrow still reads the values surely of the calendar, pandas only the others (a day past the 28th, an hour
    # past 23...), not the whole column
    sure = _mask(text, _SURE_ISO)
    try:
        stamps = _typed_seconds(pc.cast(text.filter(sure), pa.timestamp("s")).to_numpy(zero_copy_only=False))
    except pa.ArrowInvalid:
        return _iso(pd.Series(text, dtype=TEXT))
    out = np.empty(len(text), dtype="datetime64[ns]")
    out[sure] = stamps
    out[~sure] = _iso(pd.Series(text.filter(~sure), dtype=TEXT))
    return out


def _typed_seconds(seconds: np.ndarray) -> np.ndarray:
    """datetime64[s] as datetime64[ns], NaT outside TYPED_RANGE."""
    inside = (seconds >= _TYPED_SECONDS[0]) & (seconds <= _TYPED_SECONDS[1])
    # a date outside is swapped for one inside before the conversion to ns, which 0001-01-01 would overflow
    stamps = np.where(inside, seconds, _TYPED_SECONDS[0]).astype("datetime64[ns]")
    stamps[~inside] = np.datetime64("NaT")
    return stamps


def _iso(text: pd.Series) -> np.ndarray:
    parsed = pd.to_datetime(text.str.replace(",", ".", regex=False), format="ISO8601", utc=True, errors="coerce")
    return _nanoseconds(parsed.dt.tz_convert(None)).to_numpy()


def _other_forms(
    text: pa.Array, dayfirst: bool | None, excel_serials: bool, owner: np.ndarray | None = None
) -> np.ndarray:
    """parse_datetime of the values not in the _SIMPLE_ISO form (stripped, none missing); `owner`: each value's
    column, when they are several columns' (`_day_first` decides per column)."""
    if _mask(text, _YMD_OTHER).any():  # 2026/03/01 and 2026.3.1 are ISO dates in other clothes
        text = _replace(text, _YMD_OTHER, r"\1-\2-\3")
    short = _mask(text, _ISO_SHORT)
    if short.any():  # pandas' ISO 8601 parser wants 2026-03-01, not 2026-3-1
        padded = _replace(text, r"^(\d{4})-(\d)-", r"\1-0\2-")
        padded = _replace(padded, r"^(\d{4}-\d{2})-(\d)(\D|$)", r"\1-0\2\3")
        text = pc.if_else(short, padded, text)
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    iso = _mask(text, _ISO)
    if iso.any():
        out[iso] = _iso(pd.Series(text.filter(iso), dtype=TEXT))
    # the other forms are looked for only in what ISO 8601 did not read
    rest = np.flatnonzero(~iso)
    if not len(rest):
        return out
    text = text.take(rest)
    # RE2 has no back-references, so a cheap prefilter keeps the Python-regex extract to likely dates
    dmy = _mask(text, _DMY_PREFIX)
    matched = np.zeros(len(rest), dtype=bool)
    if dmy.any():
        parts = pd.Series(text.filter(dmy), dtype=TEXT).str.extract(_DMY)
        found = parts["year"].notna().to_numpy()
        matched[np.flatnonzero(dmy)[found]] = True
        if found.any():
            owners = None if owner is None else owner[rest][dmy][found]
            out[rest[matched]] = _from_parts(parts[found], dayfirst, owners)
    compact = _mask(text, _COMPACT)
    if compact.any():
        out[rest[compact]] = _strptime(text.filter(compact), "%Y%m%d")
    year = _mask(text, _YEAR)
    if year.any():
        out[rest[year]] = _strptime(text.filter(year), "%Y")
    wordy = ~compact & _mask(text, r"[A-Za-z]{3}")
    if wordy.any():
        named = pd.Series(text.filter(wordy), dtype=TEXT).str.extract(_MONTH_NAMED).astype(object)
        month = named["m1"].fillna(named["m2"]).map(lambda m: _MONTHS.get(m.lower()) if isinstance(m, str) else None)
        known = month.notna().to_numpy()
        if known.any():
            named = named[known]
            out[rest[np.flatnonzero(wordy)[known]]] = _from_days(
                named["year"].to_numpy(dtype=np.int64),
                month[known].to_numpy(dtype=np.int64),
                named["d1"].fillna(named["d2"]).to_numpy(dtype=np.int64),
                np.zeros(len(named), dtype=np.int64),
            )
    if excel_serials:
        serial = ~compact & ~year & ~matched & _mask(text, _SERIAL)
        days = pd.to_numeric(pd.Series(text.filter(serial), dtype=TEXT), errors="coerce").to_numpy()
        inside = (days >= _EXCEL_SERIAL_RANGE[0]) & (days <= _EXCEL_SERIAL_RANGE[1])
        # in whole seconds: a timedelta64[ns] holds only 292 years, less than 1899 .. 2200
        seconds = (days[inside] * 86_400).round().astype("int64").astype("timedelta64[s]")
        stamps = _EXCEL_EPOCH.to_datetime64().astype("datetime64[s]") + seconds
        out[rest[np.flatnonzero(serial)[inside]]] = stamps.astype("datetime64[ns]")
    return out


def _strptime(text: pa.Array, fmt: str) -> np.ndarray:
    return _nanoseconds(pd.to_datetime(pd.Series(text, dtype=TEXT), format=fmt, errors="coerce")).to_numpy()


def parse_with_format(values: pd.Series, fmt: str) -> pd.Series:
    """Dates written in one strftime format (`formats:` in the config); any other value is NA, which
    the `type` rule reports, as it does any value that does not parse."""
    parsed = pd.to_datetime(_strip(values).where(values.notna()), format=fmt, errors="coerce")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    return _nanoseconds(parsed)


def ambiguous_day_month(values: pd.Series) -> Ambiguity:
    """(how many d.m.y / m/d/y dates could be read either way, one of them, read day-first?) for a
    column read without `dayfirst`: no value of its separator has a day above 12 to decide."""
    return _ambiguity(pa.array(_strip(values), type=pa.string(), from_pandas=True))


def _ambiguity(text: pa.Array) -> Ambiguity:
    """`ambiguous_day_month` of stripped text (its d.m.y / m/d/y dates all there, in their order)."""
    return _ambiguities(text, np.zeros(len(text), dtype=np.int64), 1)[0]


def _ambiguities(text: pa.Array, owner: np.ndarray, columns: int) -> list[Ambiguity]:
    """`_ambiguity` of each of `columns` columns whose stripped values (none missing) are `text`, `owner` the
    column of each value, in one search for the d.m.y / m/d/y shape; each column and separator decided alone."""
    out: list[Ambiguity] = [(0, None, False)] * columns
    shaped = _mask(text, _DMY_PREFIX)
    if not shaped.any():  # most columns: no value written d.m.y or m/d/y
        return out
    parts = pd.Series(text.filter(shaped), dtype=TEXT).str.extract(_DMY)
    found = parts["year"].notna().to_numpy()
    parts, owners = parts[found], owner[shaped][found]
    if not len(parts):
        return out
    a, b, day_first = _day_first(parts, None, owners)
    undecided = pd.Series(True, index=parts.index)
    for group in _separator_groups((parts["sep"] != "/").to_numpy(dtype=bool), owners):
        if ((a[group] > 12) | (b[group] > 12)).any():
            undecided[group] = False
    both = (undecided & (a <= 12) & (b <= 12) & (a != b)).to_numpy()
    for column in np.unique(owners[both]):
        mine = pd.Series(both & (owners == column), index=parts.index)
        first = mine.idxmax()
        out[column] = int(mine.sum()), str(text.filter(shaped)[int(first)].as_py()), bool(day_first[first])
    return out


def _separator_groups(dotted: np.ndarray, owner: np.ndarray | None) -> list[np.ndarray]:
    """Masks of the d.m.y / m/d/y matches decided together: those of one separator kind (dotted or slashed), of
    one column when `owner` (each match's column) is given."""
    keys = dotted.astype(np.int64) if owner is None else owner * 2 + dotted
    return [keys == key for key in np.unique(keys)]


def _day_first(
    parts: pd.DataFrame, dayfirst: bool | None, owner: np.ndarray | None = None
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(first number, second number, day comes first) of d.m.y / m/d/y matches; `owner`: each match's column,
    when they are several columns' (each decided alone)."""
    a = parts["a"].to_numpy(dtype=np.int64)
    b = parts["b"].to_numpy(dtype=np.int64)
    dotted = (parts["sep"] != "/").to_numpy(dtype=bool)
    if dayfirst is None:
        # one unambiguous value decides for the whole column and separator; otherwise dd.mm.yyyy is
        # European and mm/dd/yyyy American
        day_first = dotted.copy()
        for group in _separator_groups(dotted, owner):
            if (a[group] > 12).any() and not (b[group] > 12).any():
                day_first[group] = True
            elif (b[group] > 12).any() and not (a[group] > 12).any():
                day_first[group] = False
    else:
        day_first = np.full(len(parts), dayfirst)
    index = parts.index
    return pd.Series(a, index=index), pd.Series(b, index=index), pd.Series(day_first, index=index)


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


def _from_parts(parts: pd.DataFrame, dayfirst: bool | None, owner: np.ndarray | None = None) -> np.ndarray:
    """datetime64[ns] of d.m.y / m/d/y matches, as `pd.to_datetime` of the parts reads them: an impossible
    date is NaT, while a time past its day rolls over (25:00 is one o'clock the next day). `owner`: as `_day_first`."""
    a, b, day_first = _day_first(parts, dayfirst, owner)
    first, second, day_first = a.to_numpy(), b.to_numpy(), day_first.to_numpy()
    year = parts["year"].to_numpy(dtype=np.int64)
    month, day = np.where(day_first, second, first), np.where(day_first, first, second)
    hour = _whole(parts["hour"])
    ampm = parts["ampm"].str.lower().str[0].to_numpy(dtype=object, na_value=None)
    hour = np.where((ampm == "p") & (hour < 12), hour + 12, hour)
    hour = np.where((ampm == "a") & (hour == 12), 0, hour)
    seconds = hour * 3600 + _whole(parts["minute"]) * 60 + _whole(parts["second"])
    return _from_days(year, month, day, seconds)


def _whole(numbers: pd.Series) -> np.ndarray:
    """Digits (or missing: 0) as int64."""
    return pd.to_numeric(numbers, errors="coerce").fillna(0).to_numpy(dtype=np.int64)


def _from_days(year: np.ndarray, month: np.ndarray, day: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """datetime64[ns] of a calendar day plus seconds into it; NaT for an impossible day (month 13, 31 June)
    and outside TYPED_RANGE."""
    valid = (year >= 0) & (year <= 9999) & (month >= 1) & (month <= 12) & (day >= 1)
    months = np.where(valid, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    valid &= day <= ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    stamps = (first + np.where(valid, day - 1, 0)).astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    valid &= (stamps >= _TYPED_SECONDS[0]) & (stamps <= _TYPED_SECONDS[1])
    out = np.where(valid, stamps, _TYPED_SECONDS[0]).astype("datetime64[ns]")
    out[~valid] = np.datetime64("NaT")
    return out


def _nanoseconds(stamps: pd.Series) -> pd.Series:
    """Naive datetime64[ns]; a value outside TYPED_RANGE (a birth date in 1630, 9999-12-31) becomes NA."""
    return stamps.where(stamps.between(*TYPED_RANGE)).astype("datetime64[ns]")


def parse_number(values: pd.Series) -> pd.Series:
    """1234.5, 1 234,50, 1.234,50, 1,234.50, $1,200, PLN 1200, 12%, (1,200) -> float64.

    A lone "1,234" or "1.234" is read as the rest of the column reads: a column with
    comma decimals ("12,50") makes it 1.234, otherwise the comma groups thousands and the
    dot is a decimal point.

    Plain numbers (42, -3.5), what most columns hold throughout, are read in one pass; only the
    others go through the separators, currencies and signs. "inf", "-Infinity" and a number too large
    for a float ("1e400") are no amount or count: not read (a type finding), where they summed to an
    infinite revenue.
    """
    return parse_numbers([values])[0]


def parse_numbers(columns: Sequence[pd.Series]) -> list[pd.Series]:
    """`parse_number` of each of `columns` (a table's number columns), read together (in runs of at most BATCH_CELLS
    cells): each pattern and replacement once over the values of every column, not a dozen calls per column. What
    is decided per column stays so: whether a lone "1.234" is a decimal or a thousand (the rest of its column)."""
    out: list[pd.Series] = []
    for batch in _batches(columns):
        out += _parse_numbers_together(batch)
    return out


def _parse_numbers_together(columns: list[pd.Series]) -> list[pd.Series]:
    arrow = _stripped_text(columns)
    lengths = [len(column) for column in columns]
    owner = np.repeat(np.arange(len(columns)), lengths)
    plain = _mask(arrow, _PLAIN_NUMBER) & ~_mask(arrow, _LONE_DOT_GROUP)
    number = np.full(len(arrow), np.nan)
    if plain.any():
        number[plain] = _to_float(pd.Series(arrow.filter(plain), dtype=TEXT))
    other = ~plain & arrow.is_valid().to_numpy(zero_copy_only=False)
    if other.any():
        pointed = plain & np.asarray(pc.fill_null(pc.match_substring(arrow, "."), False), dtype=bool)
        point = _any_by(pointed, owner, len(columns))
        number[other] = _number_forms(arrow.filter(other), point, owner[other])
    number[np.isinf(number)] = np.nan
    return [
        pd.Series(part, index=column.index, name=column.name)
        for column, part in zip(columns, np.split(number, np.cumsum(lengths)[:-1]), strict=True)
    ]


def _any_by(mask: np.ndarray, owner: np.ndarray, columns: int) -> np.ndarray:
    """Per column: `mask` holds for a value of it (`owner`: each value's column)."""
    return np.bincount(owner[mask], minlength=columns) > 0


def _number_forms(text: pa.Array, point: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """parse_number of the values that are no plain number (stripped, none missing) of one or more columns, `owner`
    the column of each; `point`: per column, a plain number of it has a decimal point, which makes the column's
    lone "1.234" a decimal too."""
    text = _replace(text, _CURRENCY, "")
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(pc.utf8_trim_whitespace(text), "%$", ""))
    negative = _mask(text, r"^\(.*\)$")
    text = pc.if_else(negative, pc.utf8_slice_codeunits(text, 1, -1), text)
    grouped = _mask(text, _GROUPED_SPACE)
    text = pc.if_else(grouped, _replace(text, _GROUP_SEPARATORS, ""), text)

    # where the last comma and the last dot are (-1: none); only their order counts
    comma = pc.find_substring_regex(text, ",[^,]*$").to_numpy(zero_copy_only=False)
    dot = pc.find_substring_regex(text, r"\.[^.]*$").to_numpy(zero_copy_only=False)
    has_comma, has_dot = comma >= 0, dot >= 0
    lone_comma_group = _mask(text, r"^[-+]?\d{1,3},\d{3}$")
    lone_dot_group = _mask(text, _LONE_DOT_GROUP)
    comma_decimals = (has_comma & ~has_dot & ~lone_comma_group & ~_mask(text, r",\d{3},")) | (
        has_comma & has_dot & (comma > dot)
    )
    columns = len(point)
    decimal_point = point | _any_by(has_dot & ~has_comma & ~lone_dot_group, owner, columns)
    column_uses_comma = (_any_by(comma_decimals, owner, columns) & ~decimal_point)[owner]
    decimal_comma = comma_decimals | (lone_comma_group & column_uses_comma)
    dots_group = lone_dot_group & column_uses_comma | (pc.count_substring(text, ".").to_numpy() > 1)

    text = pc.if_else(decimal_comma | dots_group, pc.replace_substring(text, ".", ""), text)
    text = pc.if_else(decimal_comma, pc.replace_substring(text, ",", "."), pc.replace_substring(text, ",", ""))
    number = _to_float(pd.Series(text, dtype=TEXT))
    return np.where(negative, -number, number)


def _to_float(text: pd.Series) -> np.ndarray:
    number = pd.to_numeric(text, errors="coerce").astype("float64")
    if _INEXACT_TO_NUMERIC:  # pandas 2 reads decimals with a fast, inexact strtod; Arrow's parser is exact
        plain = number.notna() & _match(text, _PLAIN_FLOAT)
        if plain.any():
            exact = pc.cast(pa.array(text[plain], type=pa.string(), from_pandas=True), pa.float64())
            number[plain] = exact.to_numpy(zero_copy_only=False)
    return number.to_numpy()


def parse_integer(values: pd.Series) -> pd.Series:
    """Whole numbers as Int64; a fraction ("12.5") is not a count and becomes NA."""
    return whole_numbers(parse_number(values))


def whole_numbers(number: pd.Series) -> pd.Series:
    """`parse_integer` of the column whose `parse_number` is `number`."""
    whole = number.notna() & (number % 1 == 0) & number.abs().lt(2**53)
    return number.where(whole).astype("Int64")


def parse_bool(values: pd.Series) -> pd.Series:
    """true/false, yes/no, tak/nie, 1/0... as `boolean`; anything else NA. Each distinct value looked up once."""
    codes, uniques = pd.factorize(_strip(values).str.lower())
    known = np.array([_BOOLEANS.get(value) for value in uniques] + [None], dtype=object)  # last: missing
    return pd.Series(pd.array(known[codes], dtype="boolean"), index=values.index, name=values.name)


def _mask(text: pa.Array, pattern: str) -> np.ndarray:
    """Which values of an Arrow string array `pattern` matches (RE2), as a numpy mask; missing is False."""
    return pc.fill_null(pc.match_substring_regex(text, pattern), False).to_numpy(zero_copy_only=False)


def _replace(text: pa.Array, pattern: str, replacement: str) -> pa.Array:
    """`re.sub` of every value as pandas does it: in RE2 where that reads the pattern as Python does, in
    Python's `re` where not (its \\s is any Unicode space, its \\d any Unicode digit)."""
    replaced = pd.Series(text, dtype=TEXT).str.replace(pattern, replacement, regex=True)
    return pa.array(replaced, type=pa.string(), from_pandas=True)


def _match(text: pd.Series, pattern: str) -> pd.Series:
    """Boolean regex search with pyarrow (RE2); pandas' own `str.match` loops in Python for these patterns."""
    found = pc.fill_null(pc.match_substring_regex(pa.array(text, type=pa.string(), from_pandas=True), pattern), False)
    return pd.Series(found.to_numpy(zero_copy_only=False), index=text.index)


def _strip(values: pd.Series) -> pd.Series:
    return values.astype("str").str.strip()
