"""`unique` on text: Arrow's hash of the values against pandas' `duplicated` (oracle, issue 17)."""

from __future__ import annotations

from conftest import context, frame
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.kinds.unique import _keys, check

_CELLS = st.lists(st.one_of(st.none(), st.sampled_from(["a@x.pl", "A@x.pl ", "", " ", "b", "ß", "SS", "ss"])))


@settings(max_examples=150, deadline=None)
@given(_CELLS, st.booleans())
def test_shared_values_as_pandas_finds_them(cells: list[str | None], case_sensitive: bool) -> None:
    df = frame("email", cells)
    params = {"case_sensitive": case_sensitive}
    expected = ~(_keys(df["email"], params).duplicated(keep=False) & df["email"].notna())
    got = check(df["email"], params, context(df))
    assert got.dtype == bool and got.tolist() == expected.tolist() and got.index.equals(df.index)
