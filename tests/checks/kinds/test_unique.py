"""`unique` on text: Arrow's hash of the values against pandas' `duplicated` (oracle, issue 17)."""

from __future__ import annotations

from unittest.mock import patch

import pandas as pd
import pyarrow as pa
from conftest import context, frame
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.checks.kinds import _fastpath
from auditor.checks.kinds._fastpath import to_arrow
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


_TEXTS = st.lists(st.one_of(st.none(), st.text(alphabet="ab é\u0142\U0001f600", max_size=30)), max_size=40)


@examples(300)
@given(_TEXTS)
def test_oracle_shared_values_told_by_prints_first_as_pandas_finds_them(cells: list[str | None]) -> None:
    """Oracle: values told apart by their prints first (length and some of their bytes: values of one length
    that differ only elsewhere share one), then hashed as text, against pandas' `duplicated`."""
    values = pd.Series(cells, dtype="str")
    expected = values.duplicated(keep=False).tolist()
    sliced = pa.array(["a", *cells, "b"], type=pa.string()).slice(1, len(cells))  # an offset, 32-bit offsets
    with patch.object(_fastpath, "worth_encoding", return_value=False):
        assert _fastpath.shared_values(to_arrow(values)).tolist() == expected
        assert _fastpath.shared_values(sliced).tolist() == expected
    assert _fastpath.shared_values(to_arrow(values)).tolist() == expected
    twice = _fastpath.prints(to_arrow(pd.Series([*cells, *cells], dtype="str")))
    assert twice[: len(cells)].tolist() == twice[len(cells) :].tolist()  # equal values, wherever they are


def test_a_column_of_distinct_ids_hashes_as_text_only_the_ids_whose_prints_repeat(monkeypatch) -> None:
    hashed: list[int] = []
    text_codes = _fastpath.text_codes
    monkeypatch.setattr(_fastpath, "text_codes", lambda arr: hashed.append(len(arr)) or text_codes(arr))
    ids = [f"C{i:08d}" for i in range(20_000)] + ["C00000007"]
    assert _fastpath.shared_values(to_arrow(pd.Series(ids, dtype="str"))).sum() == 2
    assert hashed == [2]
