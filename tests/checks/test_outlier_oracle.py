"""`robust_z` (numpy's median of each group's values) against pandas' grouped median, MAD and count (its former
body)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from oracle_examples import examples
from robust_z_oracle import by_pandas

from auditor.checks.kinds.outlier import robust_z

_VALUES = st.lists(
    st.one_of(
        st.none(),
        st.sampled_from([0.0, -0.0, 1.0, 2.0, 1e6, -3.0, float("inf")]),
        st.floats(-1e9, 1e9, allow_nan=False),
    ),
    max_size=40,
)


@examples(150)
@given(
    values=_VALUES,
    labels=st.lists(st.one_of(st.none(), st.sampled_from(["", "EUR", "PLN", 3])), min_size=40, max_size=40),
    grouped=st.sampled_from(["none", "labels", "codes", "shuffled index"]),
    log=st.booleans(),
    min_count=st.integers(1, 6),
)
def test_oracle_robust_z_is_pandas_grouped_median_mad_and_count(
    values: list[float | None], labels: list[object], grouped: str, log: bool, min_count: int
) -> None:
    series = pd.Series([np.nan if v is None else v for v in values], dtype="float64", name="amount")
    series.index = pd.RangeIndex(10, 10 + len(series))
    groups = pd.Series(labels[: len(series)], index=series.index, dtype=object)
    if grouped == "codes":
        groups = pd.Series(pd.factorize(groups.fillna(""))[0], index=series.index)
    elif grouped == "shuffled index":  # pandas aligns a key by label
        groups = groups.iloc[::-1]
    key = None if grouped == "none" else groups
    want = by_pandas(series, log=log, groups=key, min_count=min_count)
    pd.testing.assert_series_equal(robust_z(series, log=log, groups=key, min_count=min_count), want)
