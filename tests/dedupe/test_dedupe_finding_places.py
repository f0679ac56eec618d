"""A duplicate's owner, file and row are read from the records' meta at the first record with its id: found by
Arrow's hash of the ids (`_first_places`), as pandas' index of the meta without repeated ids found it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.dedupe import DedupeResult, _first_places, _places
from auditor.dtypes import TEXT
from auditor.findings import shared_values

IDS = st.lists(st.one_of(st.none(), st.sampled_from(["C1", "C2", "c1", "C1 ", "", "Ł3", "C1\x00"])), max_size=12)


def _pandas_places(ids: pd.Series, wanted: pd.Series) -> np.ndarray:
    """The places as they were found: the meta without repeated ids, its index, then back to the meta's rows."""
    first = ids[~ids.duplicated()]
    return np.append(first.index.to_numpy(), -1)[pd.Index(first).get_indexer(wanted.to_numpy())]


@settings(max_examples=200, deadline=None)
@given(ids=IDS.filter(len), wanted=IDS)
def test_oracle_first_places_are_pandas_places(ids: list, wanted: list) -> None:
    meta_ids, asked = pd.Series(ids, dtype=TEXT), pd.Series(wanted, dtype=TEXT)
    np.testing.assert_array_equal(_first_places(meta_ids, asked), _pandas_places(meta_ids, asked))


def test_ids_that_are_not_arrow_text_are_left_to_pandas() -> None:
    assert _first_places(pd.Series(["C1"], dtype=object), pd.Series(["C1"], dtype=TEXT)) is None


def _findings_of(meta: pd.DataFrame, duplicates: list[str]) -> pd.DataFrame:
    rows = pd.Series(duplicates, dtype=TEXT)
    return DedupeResult(
        pairs=pd.DataFrame(), clusters=pd.DataFrame(), merge_plan=pd.DataFrame(), records={"contacts": meta}
    )._finding_rows(
        "contacts",
        rows,
        "contacts.duplicate",
        pd.Series(["review"] * len(rows)),
        ["m"] * len(rows),
        np.array(["C9"] * len(rows), dtype=object),
    )


@settings(max_examples=80, deadline=None)
@given(ids=IDS.filter(len), wanted=IDS, object_ids=st.booleans())
def test_oracle_a_duplicates_owner_file_and_row_are_its_first_records(
    ids: list, wanted: list, object_ids: bool
) -> None:
    n = len(ids)
    meta = pd.DataFrame(
        {
            "record_id": pd.Series(ids, dtype=object if object_ids else TEXT),
            "owner": pd.Series([f"owner {k}" if k % 3 else None for k in range(n)], dtype=TEXT),
            "file": "contacts.csv",
            "row": np.arange(2, n + 2),
        }
    )
    got = _findings_of(meta, wanted)
    for column, expected in zip(("owner", "file", "row"), _as_it_was(meta, pd.Series(wanted, dtype=TEXT)), strict=True):
        pd.testing.assert_series_equal(
            pd.Series(got[column].to_numpy(), dtype=object), pd.Series(expected, dtype=object), check_names=False
        )


def _as_it_was(meta: pd.DataFrame, record_ids: pd.Series) -> tuple:
    """The owners, files and rows as the findings read them before: pandas' index of the meta's ids."""
    ids = record_ids.to_numpy()
    index = pd.Index(meta["record_id"])
    m = meta if index.is_unique else meta.drop_duplicates("record_id")
    at = (index if m is meta else pd.Index(m["record_id"])).get_indexer(ids)
    if (at >= 0).all():
        return shared_values(m["owner"])[at], shared_values(m["file"])[at], m["row"].to_numpy()[at]
    m = m.set_index("record_id").reindex(ids)
    return m["owner"].to_numpy(), m["file"].to_numpy(), m["row"].to_numpy()


@settings(max_examples=100, deadline=None)
@given(ids=IDS.map(lambda values: list(dict.fromkeys(values))), wanted=IDS)
def test_oracle_places_of_unique_ids_are_the_index_places(ids: list, wanted: list) -> None:
    unique, asked = pd.Series(ids, dtype=TEXT), pd.Series(wanted, dtype=TEXT)
    np.testing.assert_array_equal(_places(unique, asked), pd.Index(unique).get_indexer(asked))
