"""Fill the unknown cells of failing records from passing records like them (a stratified hot deck).

    filled = like_their_kind(passing, failing, unknown, strata)

Leaving failing records out of a metric assumes they are like the passing ones. They often are not,
and the cells a rule did not question say how: a subscription whose status is Cancelled but whose
cancellation date is missing is a churner, though nine in ten passing subscriptions are not. Each
failing record therefore takes its unknown cells from passing records that share its known values
of the strata columns (its status), the way survey statisticians impute within adjustment cells.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def strata_columns(passing: pd.DataFrame, candidates: Sequence[str]) -> list[str]:
    """The columns of `candidates` that sort records into kinds: text, categories or booleans with
    at most sqrt(n) distinct values among the n passing records (a status, a channel, a plan; not an
    id, a name or a date, which would leave each failing record alone in its cell), fewest values
    first, so that the coarsest kinds are kept longest when a cell has no donor."""
    limit = math.sqrt(len(passing))
    kept: list[tuple[int, str]] = []
    for name in candidates:
        column = passing.get(name)
        if column is None or (
            pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype)
        ):
            continue
        if distinct := _kinds(column, limit):
            kept.append((distinct, name))
    return [name for _, name in sorted(kept)]


def _kinds(column: pd.Series, limit: float) -> int:
    """How many kinds `column` sorts records into (its distinct values, a missing one among them), if it does: more
    than one and at most `limit`, and no dates; else 0."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return 0
    distinct = column.nunique(dropna=False)
    return distinct if 1 < distinct <= limit else 0


def telling_column(passing: pd.DataFrame, field: str, candidates: Sequence[str]) -> str | None:
    """The column of `candidates` whose value tells `field` best among the `passing` records: the one by which the
    most records' `field` is guessed right as the most common value among the other records that share their value
    of the column (leave-one-out: a column of unique values, an id, guesses nothing), if it guesses more of them than
    the most common value of all does; None when none does, or `field` is no kind. The candidates are kinds (at most
    sqrt(n) distinct values among the n records, as `strata_columns`), numbers too: a deal's win probability follows
    its stage. At most CHOOSING_FROM records are read (evenly spaced): the choice of a column, not a value."""
    step = max(1, len(passing) // CHOOSING_FROM)
    passing = passing.iloc[::step]
    limit = math.sqrt(len(passing))
    if field not in passing.columns or not 1 < passing[field].nunique(dropna=False) <= limit:
        return None
    best, told = None, _guessed_right(passing[field], None)
    for name in candidates:
        column = passing.get(name)
        if name == field or column is None or not _kinds(column, limit):
            continue
        if (right := _guessed_right(passing[field], column)) > told:
            best, told = name, right
    return best


CHOOSING_FROM = 100_000
"""the most records `telling_column` reads to choose a column"""


def _guessed_right(field: pd.Series, by: pd.Series | None) -> int:
    """How many records' `field` is the single most common value among the other records with the same value of
    `by` (all other records when None; a tie guesses nothing; a missing value is a value)."""
    said = pd.factorize(field, use_na_sentinel=False)[0]
    group = np.zeros(len(said), dtype=np.int64) if by is None else pd.factorize(by, use_na_sentinel=False)[0]
    width = int(said.max(initial=0)) + 1
    counts = np.bincount(group * width + said, minlength=(int(group.max(initial=0)) + 1) * width).reshape(-1, width)
    ranked = np.sort(counts, axis=1)
    first, second = ranked[:, -1], (ranked[:, -2] if width > 1 else np.zeros(len(counts), dtype=np.int64))
    own = counts[group, said]
    # the best of the others' values, the record itself left out: the second's count when its own value leads
    others = np.where(own == first[group], second[group], first[group])
    return int((own - 1 > others).sum())


def alike_draw(
    rng: np.random.Generator, available: np.ndarray, asking: np.ndarray, kinds: np.ndarray | None
) -> np.ndarray:
    """A distinct row of `available` (a mask over a table's rows) for each row of `asking` (positions), drawn at
    random; with `kinds` (a code per row), one of the asking row's kind, as long as its kind has enough of them (the
    rest from any row left)."""
    if kinds is None:
        return rng.choice(np.flatnonzero(available), len(asking), replace=False)
    drawn = np.full(len(asking), -1, dtype=np.int64)
    left = available.copy()
    for kind in np.unique(kinds[asking]):
        mine = np.flatnonzero(kinds[asking] == kind)
        alike = np.flatnonzero(left & (kinds == kind))
        if len(alike) >= len(mine):
            drawn[mine] = rng.choice(alike, len(mine), replace=False)
            left[drawn[mine]] = False
    short = drawn < 0
    drawn[short] = rng.choice(np.flatnonzero(left), int(short.sum()), replace=False)
    return drawn


def like_their_kind(
    passing: pd.DataFrame,
    failing: pd.DataFrame,
    unknown: Mapping[str, np.ndarray],
    strata: Sequence[str],
    spans: Sequence[tuple[str, str]] = (),
) -> pd.DataFrame:
    """`failing` with each cell that `unknown` marks (field -> a mask over its rows) taken from a
    passing record of its kind: one with the same values of the `strata` columns the failing record
    knows (coarsest first; the finest kind that has passing records, all of them at worst). The
    records whose unknown cells are the same take them together from one donor, so that the values
    stay consistent (a status with its date). Within a kind the donors are spread evenly over the
    passing records ordered by the first unknown field, not drawn at random: k failing records take
    the k quantiles of their kind's values, so that the filled value does not vary from run to run
    and is as close to the kind's own distribution as k records can be.

    `spans`: (start, end) date columns whose difference is what is read (a sales cycle). A record that
    knows one end of a span takes the other as its own end plus (or minus) the donor's duration, and
    the donors are ordered by that duration: a deal's close date taken from another deal would pair
    that deal's close with this one's creation, a duration of neither."""
    names = [name for name, cells in unknown.items() if name in failing.columns and cells.any()]
    if not names or not len(passing) or not len(failing):
        return failing
    pattern = np.column_stack([np.asarray(unknown[name], dtype=bool) for name in names])
    kinds, which = np.unique(pattern, axis=0, return_inverse=True)
    filled = {name: failing[name] for name in names}
    ordered: dict[str | tuple[str, str], np.ndarray] = {}
    lasting: dict[tuple[str, str], pd.Series] = {}  # each span's passing durations
    # each strata column's values coded once over the passing and failing records together, for every
    # pattern and kind level below (factorizing a million texts again per pattern and level cost seconds)
    coded = {
        name: pd.factorize(pd.concat([passing[name], failing[name]], ignore_index=True), use_na_sentinel=False)[0]
        for name in strata
        if name in failing.columns
    }
    for k, shape in enumerate(kinds):
        if not shape.any():
            continue
        rows = np.flatnonzero(which.ravel() == k)
        taken = [name for name, is_unknown in zip(names, shape, strict=True) if is_unknown]
        known = [coded[name] for name in strata if name not in taken and name in coded]
        pool = np.array([codes[: len(passing)] for codes in known]).reshape(len(known), len(passing))
        asking = np.array([codes[len(passing) :][rows] for codes in known]).reshape(len(known), len(rows))
        timed = _half_known(taken, spans, passing, failing)
        for span in timed.values():
            if span not in lasting:
                lasting[span] = passing[span[1]] - passing[span[0]]
        first = timed.get(taken[0], taken[0])
        if first not in ordered:
            ordered[first] = _in_order(lasting[first] if isinstance(first, tuple) else passing[first])
        donors = _donors(pool, asking, ordered[first])
        for name in taken:
            if name in timed:
                start, end = timed[name]
                lasted = lasting[timed[name]].array.take(donors)
                own = failing[end if name == start else start].array.take(rows)
                values = own - lasted if name == start else own + lasted
            else:
                values = passing[name].iloc[donors].array
            column = filled[name].copy()
            column.iloc[rows] = values.to_numpy()
            filled[name] = column
    return failing.assign(**filled)


def _half_known(
    taken: Sequence[str], spans: Sequence[tuple[str, str]], passing: pd.DataFrame, failing: pd.DataFrame
) -> dict[str, tuple[str, str]]:
    """The unknown fields of `taken` that end a span whose other end is known (not taken), each with
    its span: dates on both sides, else the span is not a duration to carry over."""
    out: dict[str, tuple[str, str]] = {}
    for span in spans:
        if (
            not all(
                name in frame.columns and pd.api.types.is_datetime64_any_dtype(frame[name].dtype)
                for name in span
                for frame in (passing, failing)
            )
            or len({str(getattr(frame[name].dtype, "tz", None)) for name in span for frame in (passing, failing)}) > 1
        ):
            continue  # a date with a time zone and one without do not subtract
        start, end = span
        if (start in taken) != (end in taken):
            out.setdefault(start if start in taken else end, span)
    return out


def _in_order(values: pd.Series) -> np.ndarray:
    """The positions of `values` in ascending order (stable; missing values last; text whose values do
    not compare, in the order they first appear)."""
    dtype = values.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        # a number, a date or a duration sorts as it is: ranking it first (factorize) costs a second sort
        key = np.where(values.isna().to_numpy(), np.iinfo(np.int64).max, values.array.asi8)
        return np.argsort(key, kind="stable")
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return np.argsort(values.to_numpy(dtype="float64", na_value=np.inf), kind="stable")
    try:
        ranks, _ = pd.factorize(values, sort=True)
    except TypeError:
        ranks, _ = pd.factorize(values)
    return np.argsort(np.where(ranks < 0, ranks.max(initial=0) + 1, ranks), kind="stable")


def _donors(pool: np.ndarray, asking: np.ndarray, in_order: np.ndarray) -> np.ndarray:
    """A position among the passing records per failing one: `pool` and `asking` hold, per known strata
    column (coarsest first), a code per passing and per failing record. Of the finest kind (the first j
    columns, j from all down to none) that has passing records, the quantiles of its records in the order
    `in_order` (`_in_order` of the first unknown field). Each kind level's grouping is a stable sort of small
    kind codes (a radix sort) of the records in that order: sorting the values per level cost seconds at a
    million records."""
    donors = np.full(asking.shape[1], -1, dtype=np.int64)
    for j in range(len(pool), -1, -1):
        left = np.flatnonzero(donors < 0)
        if not len(left):
            break
        pool_kind, failing_kind = _kind_codes(pool[:j], asking[:j, left])
        sizes = np.bincount(pool_kind, minlength=int(failing_kind.max(initial=0)) + 1)
        has = sizes[failing_kind] > 0
        if not has.any():
            continue
        # the passing records grouped by kind, each kind's in the order of its first unknown field
        kinds = pool_kind[in_order]
        grouped = in_order[np.argsort(kinds.astype(np.min_scalar_type(len(sizes))), kind="stable")]
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        asked = left[has]
        kind_of = failing_kind[has]
        by_kind = np.argsort(kind_of, kind="stable")
        counts = np.bincount(kind_of, minlength=len(sizes))
        rank = np.empty(len(asked), dtype=np.int64)
        rank[by_kind] = np.arange(len(asked)) - np.concatenate([[0], np.cumsum(counts)[:-1]])[kind_of[by_kind]]
        # the (i + 1/2) / k quantile of the kind's n records for the i-th of its k failing ones
        at = ((rank + 0.5) * sizes[kind_of] / counts[kind_of]).astype(np.int64)
        donors[asked] = grouped[starts[kind_of] + at]
    return donors


def _kind_codes(pool: np.ndarray, asking: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A code per passing and per failing record for its kind: its codes of the given columns (rows of
    `pool` and `asking`) together, one code for all when there are none; a missing value is a kind of its
    own (the column codes say so)."""
    code = np.zeros(pool.shape[1] + asking.shape[1], dtype=np.int64)
    for both in np.concatenate([pool, asking], axis=1):
        code = code * (int(both.max(initial=0)) + 1) + both
        code, _ = pd.factorize(code)
    return code[: pool.shape[1]], code[pool.shape[1] :]
