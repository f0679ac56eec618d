"""Oracle: `refuse_oversized`, which counts a text column's characters only where its bytes (read off Arrow's offsets)
exceed the limit, refuses what counting every value's characters in Python refuses, naming the same row and column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.dtypes import TEXT
from auditor.errors import InputError
from auditor.sources import raw

LIMIT = 8

# one- to four-byte characters, so that a value's bytes and characters part on both sides of the limit
VALUES = st.one_of(st.none(), st.text(alphabet="aż€😀", max_size=2 * LIMIT))
COLUMNS = st.lists(st.lists(VALUES, min_size=1, max_size=6), min_size=1, max_size=3)


def expected(columns: list[list[str | None]]) -> tuple[int, str] | None:
    """(row, column) of the first value over the limit, column by column, by Python's count of characters."""
    for position, values in enumerate(columns):
        for row, value in enumerate(values):
            if value is not None and len(value) > LIMIT:
                return row + 1, f"c{position}"
    return None


@examples(300)
@given(columns=COLUMNS)
def test_oracle_the_limit_refuses_what_counting_every_character_refuses(columns: list[list[str | None]]) -> None:
    n_rows = min(len(values) for values in columns)
    columns = [values[:n_rows] for values in columns]
    frame = pd.DataFrame({f"c{i}": pd.Series(values, dtype=TEXT) for i, values in enumerate(columns)})
    read = raw.RawRead("contacts", "contacts.csv", frame, np.arange(1, n_rows + 1), "csv")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(raw, "MAX_FIELD_CHARS", LIMIT)
        try:
            raw.refuse_oversized(read)
        except InputError as error:
            assert (error.row, error.column) == expected(columns)
        else:
            assert expected(columns) is None
