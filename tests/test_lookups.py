"""auditor.lookups against the plain readings it replaces: a dict of each value's first position, pandas' isin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.lookups import FEW_WANTED, index_in, is_in

TEXT = pd.StringDtype("pyarrow", na_value=np.nan)
VALUES = st.lists(st.one_of(st.none(), st.text("abcé", max_size=3)), max_size=40)
FORMS = st.sampled_from(["list", "object", "arrow", "str", "large"])


def _as(form: str, values: list) -> object:
    if form == "list":
        return values
    if form in ("str", "large"):
        return pa.array(values, type=pa.string() if form == "str" else pa.large_string())
    return pd.Series(values, dtype=TEXT if form == "arrow" else object)


@settings(max_examples=80, deadline=None)
@given(VALUES, st.lists(st.text("abcé", max_size=3), max_size=40), FORMS, FORMS)
def test_oracle_index_in_is_a_dict_of_first_positions(values: list, distinct: list, vform: str, dform: str) -> None:
    """Both sides hashed in turn: few values among many (FEW_WANTED) and many among few, repeats included."""
    first: dict[str, int] = {}
    for at, d in enumerate(distinct):
        first.setdefault(d, at)
    expected = [-1 if v is None else first.get(v, -1) for v in values]
    got = index_in(_as(vform, values), _as(dform, distinct))
    assert got.dtype == np.int64 and got.tolist() == expected


@settings(max_examples=80, deadline=None)
@given(VALUES, VALUES, FORMS, FORMS)
def test_oracle_index_in_with_nulls_matching_finds_a_missing_value_at_the_first_missing_one(
    values: list, distinct: list, vform: str, dform: str
) -> None:
    """As pandas' get_indexer finds a missing value; both sides hashed in turn (FEW_WANTED)."""
    first: dict[str | None, int] = {}
    for at, d in enumerate(distinct):
        first.setdefault(d, at)
    got = index_in(_as(vform, values), _as(dform, distinct), nulls_match=True)
    assert got.tolist() == [first.get(v, -1) for v in values]


@settings(max_examples=80, deadline=None)
@given(
    VALUES,
    st.lists(st.one_of(st.none(), st.text("abcd", max_size=3), st.integers(0, 3)), max_size=40),
    st.sampled_from([TEXT, "str", object]),
    st.booleans(),
    st.booleans(),
)
def test_oracle_is_in_is_pandas_isin(values: list, wanted: list, dtype: object, as_list: bool, nulls: bool) -> None:
    """A missing value is among the wanted ones only with nulls_match, then as pandas' isin has it; numbers
    among the wanted values (not text) are looked up by pandas."""
    series = pd.Series(values, dtype=dtype)
    reference = series.isin(wanted).to_numpy(bool)
    if not nulls:
        reference = reference & series.notna().to_numpy(bool)
    looked_up = wanted if as_list else pd.Series(wanted, dtype=object)
    assert is_in(series, looked_up, nulls_match=nulls).tolist() == reference.tolist()


def test_few_values_are_hashed_instead_of_the_many() -> None:
    many = [f"id{k}" for k in range(FEW_WANTED * 5)]
    assert index_in(["id7", None, "x", "id0"], many).tolist() == [7, -1, -1, 0]
    assert is_in(pd.Series(["id7", None, "x"], dtype=TEXT), many).tolist() == [True, False, False]
