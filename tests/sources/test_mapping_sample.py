"""The plausibility sample of a mapped column: its first telling values, read from the column's head only."""

from unittest.mock import patch

import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.dtypes import TEXT
from auditor.model import DType, Role
from auditor.sources import mapping
from auditor.sources.convert import surely_parsed
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
    assert got.to_pylist() == _whole_column(values, size) and got.type == pa.string()


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


_CELLS = st.sampled_from(
    [None, "", "  ", "n/a", "NULL", " 2026-01-05 ", "2026-02-30", "x", "unknown", "42", "1.234", "7,5"]
)


@settings(max_examples=100, deadline=None)
@given(
    columns=st.lists(st.tuples(st.lists(_CELLS, max_size=40), st.booleans()), max_size=5),
    size=st.integers(1, 6),
)
def test_a_tables_samples_taken_together_as_each_alone(columns: list[tuple[list[str | None], bool]], size: int) -> None:
    """Oracle: the samples of a table's judged columns read in one pass (a window of 4 x size values holding the
    whole of a short column) against `_sample` of each column alone, long columns, object columns and empty ones
    among them; and their lower bounds of dates and numbers against `surely_parsed` of each sample."""
    values = [pd.Series(cells, dtype=object if objects else TEXT) for cells, objects in columns]
    roles = [(Role.DATE, Role.MONEY, Role.EMAIL)[k % 3] for k in range(len(values))]
    with patch.object(mapping, "_PLAUSIBLE_SAMPLE", size):
        together = mapping._samples(values)
        alone = [pd.Series(mapping._sample(column), dtype=TEXT) for column in values]
    assert [pd.Series(sample, dtype=TEXT).tolist() for sample in together] == [sample.tolist() for sample in alone]
    dtypes = {Role.DATE: DType.DATETIME, Role.MONEY: DType.NUMBER}
    expected = [
        role in dtypes and surely_parsed(sample, dtypes[role]) >= mapping._PLAUSIBLE_SHARE * len(sample)
        for role, sample in zip(roles, alone, strict=True)
    ]
    assert mapping._surely_plausible(roles, together) == expected


def test_a_small_tables_columns_are_sampled_in_one_pass() -> None:
    """Three short columns: trimmed, lower-cased and looked up among the codes for "no value" once for all three (a
    few Arrow calls for each column were most of a small table's plausibility check)."""
    values = [
        pd.Series(["a@x.pl", " n/a ", "b@y.pl"], dtype=TEXT),
        pd.Series(["1"], dtype=TEXT),
        pd.Series([], dtype=TEXT),
    ]
    trimmed: list[int] = []
    trim = mapping.pc.utf8_trim_whitespace
    with patch.object(mapping.pc, "utf8_trim_whitespace", lambda text: trimmed.append(len(text)) or trim(text)):
        samples = mapping._samples(values)
    assert trimmed == [4]
    assert [sample.to_pylist() for sample in samples] == [["a@x.pl", "b@y.pl"], ["1"], []]
