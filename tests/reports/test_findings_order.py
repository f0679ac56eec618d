"""findings.csv's order: the keys ranked by Arrow where they are texts alone (findings_csv.ranks), an oracle against
sort_ranks (Python's sort of the distinct values), which it replaces for text, and against pandas' stable sort."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.findings import sort_ranks
from auditor.reports.findings_csv import ORDER, ranks

TEXT = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["", "a", "A", "a,b", 'q"', "line\nend", "\u00e9", "e\u0301", "\U0001f600", "\uffff", "Z"]),
)
MISSING = st.sampled_from([None, float("nan")])


def same_order(mine: np.ndarray, theirs: np.ndarray) -> bool:
    """Whether two rankings sort the rows alike, ties included."""
    order = np.argsort(theirs, kind="stable")
    return bool(
        (np.argsort(mine, kind="stable") == order).all()
        and (np.diff(mine[order]) > 0).tolist() == (np.diff(theirs[order]) > 0).tolist()
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(TEXT, MISSING), min_size=1, max_size=30), st.booleans())
def test_texts_rank_as_python_sorts_them(values: list, arrow_backed: bool) -> None:
    column = pd.Series(values, dtype="str" if arrow_backed else object)
    assert same_order(ranks(column), sort_ranks(column))


@given(st.lists(st.one_of(st.integers(-5, 5), MISSING), min_size=1, max_size=12))
def test_other_columns_are_sort_ranks(values: list) -> None:
    column = pd.Series(values, dtype=object)
    assert (ranks(column) == sort_ranks(column)).all()


def test_a_lone_surrogate_is_ranked_by_python() -> None:
    column = pd.Series(["b", "\ud800", None, "a"], dtype=object)
    assert (ranks(column) == sort_ranks(column)).all()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(*(st.one_of(TEXT, MISSING) for _ in ORDER)), min_size=1, max_size=30))
def test_the_rows_in_pandas_stable_order(rows: list) -> None:
    findings = pd.DataFrame(rows, columns=ORDER, dtype=object)
    order = np.lexsort([ranks(findings[key]) for key in reversed(ORDER)])
    keyed = findings.fillna({key: np.nan for key in ORDER})
    expected = keyed.sort_values(ORDER, kind="stable", na_position="last").index.to_numpy()
    assert (order == expected).all()
