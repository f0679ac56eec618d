"""The records' meta (record id, owner, file, row) that places the duplicate findings: an Arrow text column is
taken as it is, not made a Python string per record and Arrow text again."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.dedupe import _record_meta
from auditor.dtypes import TEXT

DTYPES = (TEXT, object, "string[pyarrow]", "string[python]")


def _table(owner: pd.Series | None, rows: int) -> SimpleNamespace:
    frame = pd.DataFrame(index=range(rows)) if owner is None else pd.DataFrame({"owner": owner})
    return SimpleNamespace(frame=frame, source="export/contacts.csv", row_numbers=pd.Series(np.arange(2, rows + 2)))


def _objects_form(table: SimpleNamespace, ids: pd.Series) -> pd.DataFrame:
    """The meta as it was made before: every id and owner a Python object, the frame inferring their dtype."""
    frame = table.frame
    return pd.DataFrame(
        {
            "record_id": ids.to_numpy(),
            "owner": frame["owner"].astype(object).to_numpy() if "owner" in frame.columns else None,
            "file": table.source,
            "row": table.row_numbers.astype("int64").to_numpy(),
        }
    )


def _data_addresses(values: pd.Series) -> list[int]:
    """Where the text's bytes are, chunk by chunk."""
    text = values.array.__arrow_array__()
    return [chunk.buffers()[2].address for chunk in getattr(text, "chunks", [text])]


TEXTS = st.lists(st.one_of(st.none(), st.text(max_size=6)), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(ids=TEXTS, owners=st.one_of(st.none(), TEXTS), id_dtype=st.sampled_from(DTYPES), dtype=st.sampled_from(DTYPES))
def test_oracle_the_meta_equals_its_objects_form(ids: list, owners: list | None, id_dtype, dtype) -> None:
    n = len(ids)
    owner = None if owners is None else pd.Series((owners * n)[:n], dtype=dtype)
    table = _table(owner, n)
    id_series = pd.Series(ids, dtype=id_dtype)
    pd.testing.assert_frame_equal(_record_meta(table, id_series), _objects_form(table, id_series), check_exact=True)


def test_the_ids_and_owners_arrow_text_is_taken_as_it_is() -> None:
    ids = pd.Series([f"C{k}" for k in range(1000)], dtype=TEXT)
    owner = pd.Series(["Anna Nowak", None, "Łukasz Wójcik", "Anna Nowak"] * 250, dtype=TEXT)
    meta = _record_meta(_table(owner, len(ids)), ids)
    assert _data_addresses(meta["record_id"]) == _data_addresses(ids)
    assert _data_addresses(meta["owner"]) == _data_addresses(owner)
