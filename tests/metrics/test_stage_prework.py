"""Oracles for the metrics stage's work before its evaluations (`evaluate.evaluate_metrics`: the findings coded, the
screens, the suspects, the duplicate clusters merged): each faster form against the form it replaced, written out."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.metrics.evaluate import _first_rows


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["A", "B", "C", "D", ""])), max_size=30))
def test_first_rows_oracle(ids: list[str | None]) -> None:
    """Oracle: the row of each id's first appearance, from its codes in one pass, equal to the sort of `np.unique`
    (of no ids, nothing: `merge_clusters` then finds no member among them and looks nothing up)."""
    codes, distinct = pd.factorize(pd.Series(ids, dtype=object))
    expected = np.unique(codes, return_index=True)[1][-len(distinct) :] if len(distinct) else []
    assert np.array_equal(_first_rows(codes, len(distinct)), expected)
