"""The record ids every stage shares: a row without a primary key is named by its row number."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.dtypes import TEXT
from auditor.model import ENTITIES
from auditor.sources.table import record_ids

_CONTACTS = ENTITIES["contacts"]


def _every_row_named(frame: pd.DataFrame, row_numbers: pd.Series) -> pd.Series:
    """The ids as they were made before: every row's number written as text, then the key where there is one."""
    by_row = "row:" + row_numbers.astype("int64").astype(str)
    if _CONTACTS.primary_key not in frame.columns:
        return by_row
    ids = frame[_CONTACTS.primary_key].astype("str")
    return ids.where(frame[_CONTACTS.primary_key].notna(), by_row)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=6), st.sampled_from(("C1", " ", "nan", "row:3"))), max_size=20),
    st.sampled_from((TEXT, object)),
    st.booleans(),
    st.integers(0, 50),
)
def test_ids_as_every_row_named(ids: list[str | None], dtype: object, keyed: bool, first: int) -> None:
    """Oracle: the row numbers written only for the rows without a key, against all of them written first; keys of
    text or objects, all missing, none missing, no key column at all, an index that is no range."""
    index = pd.Index(range(first + 3 * len(ids), first, -3)[: len(ids)])
    frame = pd.DataFrame({"contact_id": pd.Series(ids, dtype=dtype, index=index)} if keyed else {}, index=index)
    row_numbers = pd.Series(range(2, 2 + len(ids)), index=index, name="row")
    pd.testing.assert_series_equal(record_ids(_CONTACTS, frame, row_numbers), _every_row_named(frame, row_numbers))


def test_no_row_number_is_written_when_every_record_has_its_key() -> None:
    frame = pd.DataFrame({"contact_id": pd.Series(["C1", "C2"], dtype=TEXT)})
    unreadable = pd.Series(["not", "numbers"])  # read, they would raise
    assert record_ids(_CONTACTS, frame, unreadable).tolist() == ["C1", "C2"]
