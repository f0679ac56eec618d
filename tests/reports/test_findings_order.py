"""findings.csv's order (findings.sort_ranks: a column's distinct values sorted by Arrow where they are texts alone),
an oracle against Python's sort of the distinct values (`python_ranks`, what sort_ranks does for other values), which
it replaces for text, and against pandas' stable sort."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.findings import codes_of, sort_ranks
from auditor.reports.findings_csv import ORDER

TEXT = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["", "a", "A", "a,b", 'q"', "line\nend", "\u00e9", "e\u0301", "\U0001f600", "\uffff", "Z"]),
)
MISSING = st.sampled_from([None, float("nan")])


def python_ranks(values: pd.Series) -> np.ndarray:
    """The oracle: each row's place among the distinct values sorted by Python, missing ones last."""
    codes, uniques = codes_of(values)
    return np.append(pd.factorize(uniques, sort=True)[0], len(uniques)).astype(np.int32)[codes]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(TEXT, MISSING), min_size=1, max_size=30), st.booleans())
def test_texts_rank_as_python_sorts_them(values: list, arrow_backed: bool) -> None:
    column = pd.Series(values, dtype="str" if arrow_backed else object)
    assert (sort_ranks(column) == python_ranks(column)).all()


@given(st.lists(st.one_of(st.integers(-5, 5), MISSING), min_size=1, max_size=12))
def test_other_columns_are_sort_ranks(values: list) -> None:
    column = pd.Series(values, dtype=object)
    assert (sort_ranks(column) == python_ranks(column)).all()


def test_a_lone_surrogate_is_ranked_by_python() -> None:
    column = pd.Series(["b", "\ud800", None, "a"], dtype=object)
    assert (sort_ranks(column) == python_ranks(column)).all()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(*(st.one_of(TEXT, MISSING) for _ in ORDER)), min_size=1, max_size=30))
def test_the_rows_in_pandas_stable_order(rows: list) -> None:
    findings = pd.DataFrame(rows, columns=ORDER, dtype=object)
    order = np.lexsort([sort_ranks(findings[key]) for key in reversed(ORDER)])
    keyed = findings.fillna({key: np.nan for key in ORDER})
    expected = keyed.sort_values(ORDER, kind="stable", na_position="last").index.to_numpy()
    assert (order == expected).all()
