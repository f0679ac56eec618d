"""Conventions every metric shares: the period window, money in one currency, typed-column helpers.

* Money is converted to the base currency at the rates of the config's `currency:` section
  (auditor.money): an amount in a currency without a rate is left out, and the metric says so.
* The window is the 12 months up to as_of: dates d with as_of - 1 year < d <= as_of (end of
  its day). With `--period 2026-Q3` (or `2026-07`, `2026`) the window is that period.
* Rates are fractions (0.27, not 27%), except NPS and CSAT which use their usual scales.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.errors import ConfigError
from auditor.lookups import index_in, large_text
from auditor.money import Money

CLOSED = ("Closed Won", "Closed Lost")
STAGES = ("Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost")


@dataclass(frozen=True)
class Params:
    as_of: pd.Timestamp
    start: pd.Timestamp
    """exclusive"""
    end: pd.Timestamp
    """inclusive (the last second of the window's last day)"""
    period: str | None = None
    """the --period label; None for the 12 months up to as_of"""
    money: Money = field(default_factory=Money)
    """the base currency and the rates to it"""
    memo: dict[Callable, OrderedDict] = field(default_factory=dict, init=False, compare=False, repr=False)
    """results kept for these parameters (`per_table`, `kept`; a new Params starts without any)"""

    @classmethod
    def make(cls, as_of: pd.Timestamp | str, period: str | None = None, money: Money | None = None) -> Params:
        as_of = pd.Timestamp(as_of).normalize()
        money = money or Money()
        if period is None:
            start, end = window(as_of)
            return cls(as_of, start, end, None, money)
        try:
            p = pd.Period(period.strip().upper())
        except (ValueError, TypeError):
            raise ConfigError(f"--period {period!r} is not a period (2026-Q3, 2026-07 or 2026)") from None
        start = p.start_time - pd.Timedelta(seconds=1)
        end = p.end_time.floor("s")
        return cls(as_of, start, end, str(p), money)

    @property
    def days(self) -> float:
        return (self.end - self.start) / pd.Timedelta(days=1)

    def recent(self, days: int = 90) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The last `days` days of the window (the whole window when a period is given)."""
        if self.period is not None:
            return self.start, self.end
        return self.end - pd.Timedelta(days=days), self.end


KEPT_PER_FUNCTION = 2
"""`per_table` keeps the results of the last two tables a function saw (a bound holds one table fixed while
it probes another; each result kept also holds its frame, which at a million rows may be a probed copy)"""


def per_table(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn(frame, params, *args)` computed once for the same frame object and Params: a bound probes one table at
    a time, and a metric of two tables (costs per new customer) recomputed the other table's part for every probe
    of the first. Only for functions that read the frame and return a value no caller changes."""

    @functools.wraps(fn)
    def once(frame: pd.DataFrame, p: Params, *args: Any) -> Any:
        return kept(p, fn, (frame,), args, lambda: fn(frame, p, *args))

    return once


def kept(
    p: Params, owner: Callable, frames: tuple[object, ...], key: Any, make: Callable[[], Any], limit: int = 0
) -> Any:
    """`make()`, kept in `p.memo` under `owner` for the same frame (or array) objects and `key` (the last `limit`
    of them, KEPT_PER_FUNCTION by default). The frames are held with the result, so their ids cannot be other
    frames' while it is kept."""
    memo = p.memo.setdefault(owner, OrderedDict())
    at = (tuple(map(id, frames)), key)
    held = memo.get(at)
    if held is not None and all(a is b for a, b in zip(held[0], frames, strict=True)):
        memo.move_to_end(at)
        return held[1]
    result = make()
    memo[at] = (frames, result)
    if len(memo) > (limit or KEPT_PER_FUNCTION):
        memo.popitem(last=False)
    return result


KEPT_RESULTS = 256
"""a metric's results on probed tables of fewer than 50,000 rows kept per run (`evaluate._compute_probe`, a derived
metric's operands): each holds its tables, which share all but one column with their base"""


@dataclass
class Probe:
    """A table a bound probes (`bounds.bound`): `base` with its column `column` changed at the row positions `rows`
    and nowhere else (every other column the same object)."""

    frame: pd.DataFrame
    base: pd.DataFrame
    column: str
    rows: np.ndarray
    _parts: dict[frozenset[str], pd.DataFrame] = field(default_factory=dict)

    def part(self, columns: frozenset[str]) -> pd.DataFrame:
        """The probed table's changed rows alone, of the `columns` it has (made once per probe and columns: a
        million deals' twenty columns were taken at the changed rows for every value and condition read)."""
        if columns not in self._parts:
            at = [self.frame.columns.get_loc(c) for c in sorted(columns) if c in self.frame.columns]
            self._parts[columns] = self.frame.iloc[self.rows, at]
        return self._parts[columns]


@contextmanager
def probing(p: Params, frame: pd.DataFrame, base: pd.DataFrame, column: str, rows: np.ndarray) -> Iterator[None]:
    """While a metric is computed on `frame` (`base` with `column` changed at `rows`), what reads it can tell
    (`probe_of`): the metric language then makes a value or condition that does not read the column once on `base`
    for every probe, and one that reads it only on the changed rows (`language._Runtime`)."""
    held = p.memo.setdefault(probing, OrderedDict())
    held[id(frame)] = Probe(frame, base, column, rows)
    try:
        yield
    finally:
        held.pop(id(frame), None)


def probe_of(p: Params, frame: pd.DataFrame) -> Probe | None:
    """The probe `frame` is (`probing`), or None when it is not one."""
    found = p.memo.get(probing, {}).get(id(frame))
    return found if found is not None and found.frame is frame else None


CODED_KEPT = 4
"""`coded` keeps the codes of the last four text columns (a million rows' codes are 8 MB, and each holds its column)"""


def coded(p: Params, values: pd.Series) -> tuple[np.ndarray, Any]:
    """`pd.factorize(values)`, kept per Params for the same Arrow text: a bound probes one column at a time,
    and the currencies of a million deals were hashed again for every probe of their amounts (3.4 of the
    metrics stage's 15 CPU s at 1M). Only whole columns are worth keeping: a column's masked copy is new every
    time."""
    if not arrow_text(values):
        return pd.factorize(values)
    held = values.array.__arrow_array__()
    return kept(p, coded, (held,), None, lambda: pd.factorize(values), CODED_KEPT)


def window(as_of: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(start, end): the window is start < d <= end, end is as_of at the end of its day."""
    end = pd.Timestamp(as_of).normalize()
    return end - pd.DateOffset(years=1), end + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)


def within(d: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """start < d <= end; missing is False."""
    if naive_dates(d) and start.tz is None and end.tz is None:
        # numpy's comparisons of the dates' own array: pandas' operators, fillna and astype on each of the metrics'
        # windows cost more than the comparison on a small table (NaT compares False, as missing is here)
        stamps = d.to_numpy()
        hit = (stamps > start.as_unit("ns").to_datetime64()) & (stamps <= end.as_unit("ns").to_datetime64())
        return pd.Series(hit, index=d.index, name=d.name)
    return ((d > start) & (d <= end)).fillna(False).astype(bool)


def naive_dates(values: pd.Series) -> bool:
    """Whether the column holds dates without a time zone in nanoseconds as numpy holds them (the loader's dates): what
    numpy compares with a date as pandas does, NaT never in a window."""
    return values.dtype == NS_DATES


NS_DATES = np.dtype("datetime64[ns]")


def in_window(d: pd.Series, p: Params) -> pd.Series:
    return within(d, p.start, p.end)


def month_numbers(stamps: pd.Series) -> np.ndarray:
    """Each date's month as year x 12 + month - 1 (float64, NaN where missing): months that sort and subtract."""
    return (stamps.dt.year * 12 + stamps.dt.month - 1).to_numpy(dtype="float64", na_value=np.nan)


def month_label(number: int) -> str:
    """A month number's (`month_numbers`) text: 'YYYY-MM'."""
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def flag(values: pd.Series) -> pd.Series:
    """A boolean column as plain bool, missing = False."""
    return values.astype("boolean").fillna(False).astype(bool)


def text(values: pd.Series) -> pd.Series:
    """Text whose comparisons give plain booleans (missing compares False) under pandas 2 and 3:
    NaN-backed strings (the loader's Arrow TEXT) and object columns as they are, anything else as
    object with None for missing."""
    dtype = values.dtype
    if pd.api.types.is_object_dtype(dtype) or (isinstance(dtype, pd.StringDtype) and dtype.na_value is np.nan):
        return values
    return values.astype("object").where(values.notna(), None)


def missing(values: pd.Series) -> np.ndarray:
    """Whether each value is missing, as numpy booleans: asked of the column's own array, without the Series that
    `isna` builds around the answer (a metric's conditions ask it of each column they read, in every computation)."""
    return np.asarray(values.array.isna(), dtype=bool)


def arrow_text(column: pd.Series) -> bool:
    """Whether the column is text held by Arrow (the loader's TEXT)."""
    return isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow"


def put_text(column: pd.Series, where: np.ndarray, values: str | np.ndarray | pa.Array | None) -> pd.Series:
    """An Arrow text column (`arrow_text`) with the cells `where` holds set to `values` (one text or missing, or one
    per such cell, as objects or Arrow text), still Arrow text: set through Python objects, a million values are
    copied out and back."""
    held, mask = pa.array(column.array), pa.array(where, type=pa.bool_())
    if values is None or isinstance(values, str):
        put = pc.if_else(mask, pa.scalar(values, held.type), held)
    elif isinstance(values, pa.Array):
        put = pc.replace_with_mask(held, mask, values.cast(held.type))
    else:
        put = pc.replace_with_mask(held, mask, pa.array(values, held.type, from_pandas=True))
    return pd.Series(pd.array(put, dtype=column.dtype), index=column.index, name=column.name)


def counts(values: pd.Series, order: tuple[str, ...] | None = None) -> dict[str, int]:
    """Records per value (missing left out), in `order` (every value of it, zero included) or sorted."""
    # Arrow text is counted as it is: a million values copied into Python strs first cost more than the count
    if isinstance(values.dtype, pd.StringDtype):
        vc = values.value_counts(dropna=True)
    else:
        vc = values.dropna().astype("object").value_counts()
    if order is not None:
        return {k: int(vc.get(k, 0)) for k in order}
    return {str(k): int(v) for k, v in vc.sort_index().items()}


def id_codes(ids: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """A code per row for its record id, and the distinct ids as Arrow text: hashed once, then any set of ids
    is looked up among the distinct ones (`lookups.index_in`) instead of a million rows among the set. As Arrow text,
    not Python strs: those of a million contacts' and deals' ids held 150 MB for the metrics stage."""
    codes, uniques = pd.factorize(ids)
    return codes, large_text(uniques)


def id_codes_and_positions(ids: pd.Series, wanted: Any) -> tuple[tuple[np.ndarray, pa.Array], np.ndarray]:
    """(`id_codes(ids)`, the position of each of the ids `wanted` among its distinct ids, -1 for one missing or not
    there, as `lookups.index_in` finds it) from one hash of both: the findings' ids of a table were looked up among
    its million distinct ids, which Arrow hashed a second time. Codes are numbered in the order the ids first appear,
    so the table's, coming first, are coded as they are alone. Raises one of `lookups.NOT_TEXT` for ids that are not
    text."""
    table, asked = large_text(ids), large_text(wanted)
    chunks = [c for part in (table, asked) for c in (part.chunks if isinstance(part, pa.ChunkedArray) else [part])]
    codes, uniques = pd.factorize(pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array(chunks, pa.large_string()))))
    distinct = int(codes[: len(table)].max(initial=-1)) + 1
    found = codes[len(table) :]
    return (codes[: len(table)], large_text(uniques[:distinct])), np.where(found < distinct, found, -1)


def rows_holding(codes: np.ndarray, distinct: pa.Array, wanted: pd.Series) -> np.ndarray:
    """Whether each row's record id (`id_codes`) is one of `wanted`."""
    return rows_coded(codes, len(distinct), index_in(wanted, distinct))


def rows_coded(codes: np.ndarray, distinct: int, wanted: np.ndarray) -> np.ndarray:
    """Whether each row's code (`id_codes`, of `distinct` ids) is one of the `wanted` codes (-1: none)."""
    hit = np.zeros(distinct + 1, dtype=bool)
    hit[wanted] = True
    hit[-1] = False  # the code -1 (an id of no row) marked the spare last slot
    return hit[codes] if len(codes) else np.zeros(0, dtype=bool)


CODE = "record_code"
"""the column `code_findings` adds: a finding's record id as its code among its entity's ids, -1 when no
row holds it"""


def code_findings(
    findings: pd.DataFrame, look_up: Callable[[str, np.ndarray], np.ndarray], entities: Iterable[str]
) -> pd.DataFrame:
    """`findings` with the CODE of each (`look_up(entity, ids)`: the position of each id among the distinct ids of the
    entity's table, `id_codes`): each id is looked up once, so that any subset of the findings finds its rows without
    hashing its ids again."""
    out = np.full(len(findings), -1, dtype=np.int64)
    entity, ids = (findings[c].astype("object").to_numpy() for c in ("entity", "record_id"))
    for name in set(entities) & set(pd.unique(entity)):
        mine = entity == name
        out[mine] = look_up(name, ids[mine])
    return findings.assign(**{CODE: out})


def positions(keys: pd.Series, ids: pd.Series) -> np.ndarray:
    """The position in `ids` (distinct, never missing) of each key; -1 for a key that is missing or not
    among them: Arrow's hash lookup (`lookups.index_in`), not an index lookup of each key (pandas hashes every
    looked-up key as an object)."""
    return index_in(keys, ids)


def sums(values: pd.Series, keys: pd.Series) -> dict[str, float]:
    """Sum of `values` per key (missing keys and values left out), sorted by key. The keys are coded in their sorted
    order and the values grouped by the codes: the same groups, rows in the same order and the same summation as
    grouping a frame of both by the keys (pandas' compensated group sum), without the frame, its dropna and the
    keys' hashing inside the groupby (a monthly distribution's bound made them for every probe)."""
    v = values.astype("float64").to_numpy()
    kept = ~np.isnan(v) & ~missing(keys)
    codes, distinct = pd.factorize(keys.astype("object").to_numpy()[kept], sort=True)
    return _summed(v[kept], codes, lambda c: str(distinct[c]))


def monthly_sums(values: pd.Series, stamps: pd.Series) -> dict[str, float]:
    """`sums` of `values` per month of `stamps` ('YYYY-MM', as `language.month_labels` writes them; nothing for a
    column that holds no dates): the months coded as their numbers (`month_numbers`), whose order is their labels'
    order, so the same groups in the same order and the same sums, without a label made per row and hashed as a
    Python str (a monthly revenue's bound made them for each of its probes)."""
    if not pd.api.types.is_datetime64_any_dtype(stamps.dtype):
        return {}
    v = values.astype("float64").to_numpy()
    months = month_numbers(stamps)
    kept = ~np.isnan(v) & ~np.isnan(months)
    codes, distinct = pd.factorize(months[kept], sort=True)
    return _summed(v[kept], codes, lambda c: month_label(int(distinct[c])))


def _summed(values: np.ndarray, codes: np.ndarray, label: Callable[[int], str]) -> dict[str, float]:
    """Each code's sum of `values` (pandas' compensated group sum), under its label, in the codes' order."""
    totals = pd.Series(values).groupby(codes).sum()
    return {label(c): float(t) for c, t in zip(totals.index, totals.to_numpy(), strict=True)}


def hours(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later - earlier) / pd.Timedelta(hours=1)


def days(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later - earlier) / pd.Timedelta(days=1)


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """The column, or an all-missing one when the export has no such column."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(np.nan, index=frame.index, dtype="float64")
