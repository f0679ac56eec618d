"""The plausibility sample of a mapped column: its first telling values, read from the column's head only."""

from unittest.mock import patch

import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.dtypes import TEXT
from auditor.sources import mapping
from auditor.text import MISSING_CODES


def _whole_column(values: pd.Series, size: int) -> list[str]:
    """The sample as the whole column gives it: stripped, neither blank nor a code for "no value"."""
    text = (str(v).strip() for v in values if isinstance(v, str))
    return [t for t in text if t and t.lower() not in set(MISSING_CODES)][:size]


@settings(max_examples=100, deadline=None)
@given(
    cells=st.lists(st.sampled_from([None, "", "  ", "n/a", "NULL", " 2026-01-05 ", "x", "unknown", "42"]), max_size=80),
    size=st.integers(1, 6),
)
def test_the_head_gives_the_whole_column_s_sample(cells: list[str | None], size: int) -> None:
    """Oracle: the column read a window at a time (windows of 4, 16, 64... values here) against all of it."""
    values = pd.Series(cells, dtype=TEXT)
    with patch.object(mapping, "_PLAUSIBLE_SAMPLE", size):
        got = mapping._sample(values)
    assert got.tolist() == _whole_column(values, size) and got.dtype == TEXT


def test_a_long_column_is_not_read_to_its_end() -> None:
    values = pd.Series([f"2026-01-{d % 28 + 1:02d}" for d in range(100_000)], dtype=TEXT)
    read: list[int] = []
    original = pa.array

    def array(obj, *args, **kwargs):
        read.append(len(obj))
        return original(obj, *args, **kwargs)

    with patch.object(mapping.pa, "array", array):
        assert len(mapping._sample(values)) == mapping._PLAUSIBLE_SAMPLE
    assert sum(read) <= 4 * mapping._PLAUSIBLE_SAMPLE
