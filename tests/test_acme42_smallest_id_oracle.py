"""Oracle: a cluster's smallest record id by `smallest_of_each` (each group's least code among the ids factorized
in sorted order) is what pandas' grouped `min` gave, which ran Arrow's query engine for Arrow text (issue 17)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.dedupe import smallest_of_each

IDS = st.text(alphabet=st.sampled_from("aAbZ09-~ é\u00e9\U0001f600"), max_size=4)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(IDS, st.integers(-1, 40)), min_size=1, max_size=60))
def test_smallest_of_each_is_pandas_grouped_min(rows: list[tuple[str, int]]) -> None:
    values = np.array([value for value, _ in rows], dtype=object)
    groups = np.array([group for _, group in rows], dtype=np.intp)
    pd.testing.assert_series_equal(smallest_of_each(values, groups), pd.Series(values).groupby(groups).min())
