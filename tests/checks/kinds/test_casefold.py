"""`casefold` (Arrow for ASCII values, Python for the others) is pandas' `str.casefold`."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.kinds._fastpath import casefold
from auditor.dtypes import TEXT


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="aZ ß@.İıﬁǅΣσς\u00a0Ä1", max_size=8)), max_size=20))
def test_casefold_is_pandas_casefold(values: list[str | None]) -> None:
    text = pd.Series(values, dtype=TEXT, name="email")
    pd.testing.assert_series_equal(casefold(text), text.str.casefold())
