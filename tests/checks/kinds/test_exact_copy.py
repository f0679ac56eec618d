"""`exact_copy` finds the rows that pandas' `DataFrame.duplicated` finds, comparing whole rows only among the
few whose every value is repeated."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.base import CheckContext
from auditor.checks.kinds import exact_copy
from auditor.checks.kinds._fastpath import text_codes
from auditor.dtypes import TEXT
from auditor.model import ENTITIES

AS_OF = pd.Timestamp("2026-10-31")
rows = st.lists(
    st.tuples(
        st.sampled_from(["C1", "C2", "C3", None]),
        st.sampled_from(["2026-01-05", "2026-01-06", None]),
        st.sampled_from([1.0, 2.0, np.nan]),
        st.sampled_from(["a", "b", None]),
    ),
    min_size=1,
    max_size=30,
)


@contextmanager
def _hashed_lengths() -> Iterator[list[int]]:
    """The length of every array exact_copy hashes as text, while the block runs."""
    hashed: list[int] = []

    def spy(arr: object) -> np.ndarray:
        hashed.append(len(arr))  # type: ignore[arg-type]
        return text_codes(arr)  # type: ignore[arg-type]

    with mock.patch.object(exact_copy, "text_codes", spy):
        yield hashed


def _copies(frame: pd.DataFrame, raw: pd.DataFrame) -> list[bool]:
    ctx = CheckContext(entity=ENTITIES["contacts"], frame=frame, raw=raw, tables={}, as_of=AS_OF)
    return (~exact_copy.check(frame[exact_copy.anchor(ctx)], {}, ctx)).tolist()


@settings(max_examples=80, deadline=None)
@given(rows=rows)
def test_the_copies_are_those_pandas_finds(rows: list[tuple[object, ...]]) -> None:
    raw = pd.DataFrame(rows, columns=["contact_id", "created_at", "score", "note"]).astype(TEXT)
    frame = raw.copy()
    frame["created_at"] = pd.to_datetime(raw["created_at"])
    frame["score"] = pd.Series([r[2] for r in rows], dtype="float64")
    frame["note"] = pd.Series([r[3] for r in rows], dtype=object)
    expected = frame.astype("object").where(frame.notna(), None).duplicated(keep="first").tolist()
    # typed columns (the frame, when no raw text of the same length is at hand) and the raw text alike
    assert _copies(frame, raw.iloc[:0]) == expected
    assert _copies(frame, raw) == raw.duplicated(keep="first").tolist() == expected


def test_whole_rows_are_compared_only_where_every_value_repeats() -> None:
    n = 1000
    raw = pd.DataFrame(
        {
            "contact_id": [f"C{i}" for i in range(n - 2)] + ["C7", "C8"],
            "created_at": ["2026-01-05"] * n,
            "note": ["x"] * (n - 1) + ["y"],
        },
        dtype=TEXT,
    )
    compared: list[int] = []
    duplicated = pd.DataFrame.duplicated

    def spy(self: pd.DataFrame, *args: object, **kwargs: object) -> pd.Series:
        compared.append(len(self))
        return duplicated(self, *args, **kwargs)

    with mock.patch.object(pd.DataFrame, "duplicated", spy):
        copies = _copies(raw, raw)
    assert [i for i, copy in enumerate(copies) if copy] == [n - 2]  # C7 again; the second C8 differs in note
    assert compared == [3]  # the two C7 and the first C8: the only rows whose every value repeats


def test_the_written_text_is_hashed_only_where_the_typed_time_repeats() -> None:
    n = 1000
    times = pd.Series(pd.date_range("2026-01-01", periods=n, freq="min").strftime("%Y-%m-%d %H:%M"), dtype=TEXT)
    times.iloc[5] = times.iloc[4]
    raw = pd.DataFrame({"created_at": times, "note": ["x"] * n}, dtype=TEXT)
    frame = raw.assign(created_at=pd.to_datetime(raw["created_at"]))
    with _hashed_lengths() as hashed:
        copies = _copies(frame, raw)
    assert [i for i, copy in enumerate(copies) if copy] == [5]
    assert hashed == [2, 2]  # the two rows of one time, in both columns; not a million times as text


def test_no_other_column_is_read_once_no_row_is_left_with_a_repeated_value() -> None:
    """A table whose anchor (its ids) repeats no value has no copy: its other columns are not hashed (on a small
    export, a pandas `iloc` and a hash of an empty selection per column, for every table)."""
    n = 50
    raw = pd.DataFrame({"contact_id": [f"C{i}" for i in range(n)], "note": ["x"] * n, "city": ["Oslo"] * n}, dtype=TEXT)
    with _hashed_lengths() as hashed:
        copies = _copies(raw, raw)
    assert not any(copies)
    assert hashed == [n]  # the ids alone
