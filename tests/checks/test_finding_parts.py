"""Oracle test: the engine makes each finding part's columns as arrays and joins them once (`_join`); the frame
is the one a DataFrame per part (its inferred columns compacted) joined by `pd.concat` made before."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.engine import _cells_inferred, _inferred, _join, _objects, _repeated
from auditor.dtypes import TEXT
from auditor.findings import FINDING_COLUMNS, compact

INFERRED = ("value", "suggested_value", "owner")
cell = st.sampled_from(["a", "b", "", None, np.nan, pd.NA, pd.NaT, pd.Timestamp("2026-01-02"), 1.5, 1, True])
part_cells = st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=4)


def _cells(rows: list[list[object]], column: int) -> np.ndarray:
    out = np.empty(len(rows), dtype=object)
    out[:] = [row[column] for row in rows]
    return out


def _old_part(rows: list[list[object]], k: int) -> pd.DataFrame:
    inferred = compact(pd.DataFrame({name: _cells(rows, i) for i, name in enumerate(INFERRED)}))
    n = len(rows)
    text = {c: pd.Series(_repeated(f"{c}{k}", n), index=inferred.index, dtype=object) for c in FINDING_COLUMNS}
    return pd.DataFrame({**text, **{c: inferred[c] for c in INFERRED}, "row": np.arange(n, dtype=np.int64)})[
        list(FINDING_COLUMNS)
    ]


def _new_part(rows: list[list[object]], k: int) -> dict[str, np.ndarray | pd.Series]:
    n = len(rows)
    part: dict[str, np.ndarray | pd.Series] = {c: _repeated(f"{c}{k}", n) for c in FINDING_COLUMNS}
    part.update({name: _inferred(_cells(rows, i)) for i, name in enumerate(INFERRED)})
    part["row"] = np.arange(n, dtype=np.int64)
    return part


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(part_cells, min_size=1, max_size=4))
def test_parts_joined_once_are_the_frames_concatenated(parts: list[list[list[object]]]) -> None:
    old = pd.concat([_old_part(rows, k) for k, rows in enumerate(parts)], ignore_index=True)
    new = _join([_new_part(rows, k) for k, rows in enumerate(parts)])
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    for column in INFERRED:
        assert [type(v) for v in new[column]] == [type(v) for v in old[column]]


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.sampled_from(["a", "b", "", " x ", None]), min_size=1, max_size=6),
    dtype=st.sampled_from([TEXT, "string", object]),
)
def test_a_columns_cells_are_inferred_as_their_objects_were(values: list[str | None], dtype: object) -> None:
    cells = pd.Series(values, dtype=dtype)
    new, old = _cells_inferred(cells), _inferred(_objects(cells))
    pd.testing.assert_series_equal(new, old, check_exact=True)
    assert [type(v) for v in new] == [type(v) for v in old]
