"""Oracles for the metrics stage made cheaper (twenty-third session): its work before the evaluations
(`evaluate.evaluate_metrics`: the findings coded, the screens, the suspects, the duplicate clusters merged) and a top
share's sums, each faster form against the form it replaced, written out."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from robust_z_oracle import by_pandas

from auditor.checks.kinds.outlier import decades
from auditor.lookups import index_in
from auditor.metrics.common import Params, coded, id_codes, id_codes_and_positions
from auditor.metrics.evaluate import _first_rows
from auditor.metrics.language import _sorted_codes, top_share
from auditor.metrics.registry import Estimate, ratio
from auditor.metrics.screening import MIN_COUNT, robust_z_of

ARROW_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["A", "B", "C", "D", ""])), max_size=30))
def test_first_rows_oracle(ids: list[str | None]) -> None:
    """Oracle: the row of each id's first appearance, from its codes in one pass, equal to the sort of `np.unique`
    (of no ids, nothing: `merge_clusters` then finds no member among them and looks nothing up)."""
    codes, distinct = pd.factorize(pd.Series(ids, dtype=object))
    expected = np.unique(codes, return_index=True)[1][-len(distinct) :] if len(distinct) else []
    assert np.array_equal(_first_rows(codes, len(distinct)), expected)


# values with ties (a MAD of 0), zeros, negatives, missing and infinite ones
_AMOUNTS = st.one_of(
    st.sampled_from([0.0, -5.0, 1.0, 10.0, 100.0, 1e6, np.inf, np.nan]),
    st.floats(min_value=1e-3, max_value=1e9, allow_nan=False),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.floats(min_value=1e-3, max_value=1e9), min_size=MIN_COUNT, max_size=MIN_COUNT + 5),
    st.lists(st.tuples(_AMOUNTS, st.integers(0, 2)), max_size=60),
    st.sampled_from(["float64", "Int64"]),
)
def test_robust_z_of_oracle(bulk: list[float], rows: list[tuple[float, int]], dtype: str) -> None:
    """Oracle: the screens' robust z-scores and group medians by numpy equal pandas' grouped median, MAD and count
    (`outlier.robust_z(log=True)`'s former body) and the grouped median transform of the log values, to the last bit
    (NaN where the group is not judged). The first group has a judged bulk of at least MIN_COUNT values; the others
    may be too small."""
    rows = [(v, 0) for v in bulk] + rows
    if dtype == "Int64":
        rows = [(round(v) if np.isfinite(v) else np.nan, g) for v, g in rows]
    values = pd.Series([v for v, _ in rows], dtype="float64").astype(dtype)
    groups = pd.Series([g * 7919 for _, g in rows], dtype="int64")
    z, median = robust_z_of(decades(values), groups)
    expected = by_pandas(values, log=True, groups=groups, min_count=MIN_COUNT)
    logs = np.log10(values.astype("float64").where(values > 0))
    assert np.array_equal(z, expected.to_numpy(), equal_nan=True)
    assert np.array_equal(median, logs.groupby(groups).transform("median").to_numpy(), equal_nan=True)


_IDS = st.lists(st.one_of(st.none(), st.sampled_from(["A1", "A2", "a1", "", "Ä", "B7"])), max_size=25)


@settings(max_examples=200, deadline=None)
@given(_IDS, _IDS, st.sampled_from([ARROW_TEXT, "object"]))
def test_id_codes_and_positions_oracle(ids: list[str | None], wanted: list[str | None], dtype: str) -> None:
    """Oracle: a table's ids coded together with the findings' ids looked up among them equal `id_codes` of the
    table and `index_in` of the findings' ids among its distinct ids (missing ids, ids of no row, repeats)."""
    table = pd.Series(ids, dtype=dtype)
    (codes, distinct), at = id_codes_and_positions(table, np.array(wanted, dtype=object))
    expected_codes, expected_distinct = id_codes(table)
    assert np.array_equal(codes, expected_codes)
    assert distinct.to_pylist() == expected_distinct.to_pylist() and distinct.type == expected_distinct.type
    assert np.array_equal(at, index_in(np.array(wanted, dtype=object), expected_distinct))


def _top_share_oracle(values: pd.Series, groups: pd.Series | np.ndarray, top: float) -> Estimate:
    """`language.top_share` as it was: the groups' sums sorted by pandas, the groups sorted too."""
    if isinstance(groups, np.ndarray):
        ok = values.notna().to_numpy(bool) & (groups >= 0)
        sums = values[ok].groupby(groups[ok]).sum()
    else:
        ok = values.notna().to_numpy(bool) & groups.notna().to_numpy(bool)
        keys = groups[ok]
        sums = values[ok].groupby(keys.array if isinstance(keys.dtype, pd.StringDtype) else keys.to_numpy()).sum()
    sums = sums.sort_values(ascending=False)
    k = int(np.ceil(round(top * len(sums), 9)))
    return ratio(float(sums.iloc[:k].sum()), float(sums.sum()), n=len(sums))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.sampled_from([0.0, 1.0, 2.5, np.nan, np.inf, -np.inf, -3.0]), st.floats(-1e6, 1e6)),
            st.one_of(st.none(), st.sampled_from(["A1", "A2", "B7", "b", ""])),
        ),
        max_size=40,
    ),
    st.sampled_from(["ranks", ARROW_TEXT, "object"]),
    st.sampled_from([0.2, 0.5, 1.0]),
)
def test_top_share_oracle(rows: list[tuple[float, str | None]], how: str, top: float) -> None:
    """Oracle: a top share from unsorted groups and numpy's sort of their sums equals the sorted groups' and pandas'
    sort (ties, zeros, missing and infinite values, groups of no key; the groups as ranks or as text)."""
    values = pd.Series([v for v, _ in rows], dtype="float64")
    keys = pd.Series([k for _, k in rows], dtype=ARROW_TEXT if how == "ranks" else how)
    groups = pd.factorize(keys, sort=True)[0] if how == "ranks" else keys
    with np.errstate(invalid="ignore"):  # a group of both infinities sums to NaN
        mine, theirs = top_share(values, groups, top), _top_share_oracle(values, groups, top)
    assert repr(mine) == repr(theirs)


@settings(max_examples=200, deadline=None)
@given(_IDS)
def test_sorted_codes_oracle(keys: list[str | None]) -> None:
    """Oracle: each key's rank among the sorted distinct keys, from the column's codes kept per run, equals pandas'
    sorted factorize (missing keys, repeats, case and accents), before and after the codes were kept."""
    column = pd.Series(keys, dtype=ARROW_TEXT)
    p = Params.make("2026-10-31")
    expected = pd.factorize(column, sort=True)[0]
    assert np.array_equal(_sorted_codes(p, column), expected)
    coded(p, column)
    assert np.array_equal(_sorted_codes(p, column), expected)
