"""Loading's lookups made once per distinct value and spread by codes (booleans, value maps): oracle tests
against the per-row `Series.map` they replace (issue 17)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.dtypes import TEXT
from auditor.sources.convert import _BOOLEANS, _strip, parse_bool
from auditor.sources.values import _translate, value_key

_WORDS = ["true", " TAK ", "no", "0", "1.0", "x", "Fałsz", "maybe", "", "Won", "lost"]
_CELLS = st.lists(st.one_of(st.none(), st.sampled_from(_WORDS)), max_size=30)


@settings(max_examples=100, deadline=None)
@given(_CELLS)
def test_booleans_as_the_row_by_row_map_reads_them(cells: list[str | None]) -> None:
    values = pd.Series(cells, dtype=TEXT, name="email_opt_out")
    expected = _strip(values).str.lower().map(_BOOLEANS).astype("boolean")
    pd.testing.assert_series_equal(parse_bool(values), expected)


_MAPS = [("user", {"won": "Closed Won"}), ("generic", {"won": "ignored", "lost": "Closed Lost", "tak": "Yes"})]


@settings(max_examples=100, deadline=None)
@given(_CELLS)
def test_value_maps_as_the_row_by_row_map_reads_them(cells: list[str | None]) -> None:
    values = pd.Series(cells, dtype=TEXT, name="stage")
    known = {}
    for value in values.dropna().unique():
        found = [(table[value_key(value)], by) for by, table in _MAPS if value_key(value) in table]
        if found:
            known[value] = found[0]
    got = _translate(values, _MAPS)
    for column, part in (("target", 0), ("by", 1)):
        expected = values.map({v: k[part] for v, k in known.items()}).astype("object")
        assert got[column].isna().tolist() == expected.isna().tolist()
        assert got[column].dropna().tolist() == expected.dropna().tolist()
