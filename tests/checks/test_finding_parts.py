"""Oracle test: the engine makes each finding part's columns as arrays and joins them once (`_join`); the frame
is the one a DataFrame per part (its inferred columns compacted) joined by `pd.concat` made before."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.checks import engine
from auditor.checks.base import Dimension, Severity
from auditor.checks.engine import _cells_inferred, _inferred, _join, _missing, _objects, _repeated
from auditor.checks.rule import Rule
from auditor.dtypes import TEXT
from auditor.findings import FINDING_COLUMNS, compact

INFERRED = ("value", "suggested_value", "owner")
cell = st.sampled_from(["a", "b", "", None, np.nan, pd.NA, pd.NaT, pd.Timestamp("2026-01-02"), 1.5, 1, True])
part_cells = st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=4)


def _as_series(cells: np.ndarray | pd.Series) -> pd.Series:
    """A part's inferred column as the Series it stands for (an object array: the object Series of its cells)."""
    return cells if isinstance(cells, pd.Series) else pd.Series(cells, dtype=object)


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


def _new_part(rows: list[list[object]], k: int, as_arrays: bool = False) -> dict[str, np.ndarray | pd.Series]:
    """`as_arrays`: an inferred column of objects as the object array that stands for it (as the engine holds a
    column of text and a kind's missing suggestions)."""
    n = len(rows)
    part: dict[str, np.ndarray | pd.Series] = {c: _repeated(f"{c}{k}", n) for c in FINDING_COLUMNS}
    for i, name in enumerate(INFERRED):
        inferred = _inferred(_cells(rows, i))
        held_as_array = as_arrays and isinstance(inferred, pd.Series) and inferred.dtype == object
        part[name] = inferred.to_numpy() if held_as_array else inferred
    part["row"] = np.arange(n, dtype=np.int64)
    return part


@settings(max_examples=100, deadline=None)
@given(parts=st.lists(part_cells, min_size=1, max_size=4), as_arrays=st.lists(st.booleans(), min_size=4, max_size=4))
def test_parts_joined_once_are_the_frames_concatenated(parts: list[list[list[object]]], as_arrays: list[bool]) -> None:
    old = pd.concat([_old_part(rows, k) for k, rows in enumerate(parts)], ignore_index=True)
    new = _join([_new_part(rows, k, as_arrays[k]) for k, rows in enumerate(parts)])
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
    new, old = _as_series(_cells_inferred(cells)), _as_series(_inferred(_objects(cells)))
    pd.testing.assert_series_equal(new, old, check_exact=True)
    assert [type(v) for v in new] == [type(v) for v in old]


def test_a_text_columns_cells_and_missing_suggestions_are_held_as_their_object_arrays() -> None:
    """No Series per part and inferred column where the cells already are what the joined frame holds."""
    assert isinstance(_cells_inferred(pd.Series(["a", None, "a"], dtype=TEXT)), np.ndarray)
    assert isinstance(_missing(3), np.ndarray)
    pd.testing.assert_series_equal(_as_series(_missing(3)), _as_series(_inferred(_repeated(np.nan, 3))))


@pytest.mark.parametrize("small", [True, False])
def test_a_kind_without_display_or_suggestion_selects_only_the_written_cells(monkeypatch, small: bool) -> None:
    """The typed cells of a finding part are selected only where a kind's display or suggestion reads them; a small
    table's written cells are not selected by a part at all (its column is read once for all its parts)."""
    selected: list[object] = []
    of = engine._Rows.of
    monkeypatch.setattr(engine._Rows, "of", lambda self, series: selected.append(series.name) or of(self, series))
    if not small:
        monkeypatch.setattr(engine, "TOGETHER_CELLS", -1)
    raw = pd.DataFrame({"contact_id": ["C1", "C2", "C3"], "title": ["n/a", "Dr", "?"]}, dtype=TEXT)
    table = SimpleNamespace(
        entity="contacts", source="contacts.csv", raw=raw, frame=raw.copy(), row_numbers=pd.Series([2, 3, 4])
    )
    rules = [Rule("s", "sentinel", "contacts", ("title",), Severity.WARNING, Dimension.COMPLETENESS, {})]
    result = engine.run_checks({"contacts": table}, rules, as_of=pd.Timestamp("2026-10-31"))
    assert result.findings["value"].tolist() == ["n/a", "?"]
    assert result.findings["message"].tolist() == [
        f"title holds {v!r}, a stand-in for a missing value" for v in ("n/a", "?")
    ]
    assert selected == ([] if small else ["title"])


_WRITTEN = st.one_of(
    st.none(),
    st.sampled_from(["", "  ", "n/a", " N/A ", "?", "x", " x", "x ", "it's", "{name}", "\u212a", "ł ", "1900-01-01"]),
    st.text(alphabet="ab 'ł{}\u00a0\n", max_size=5),
)


@pytest.mark.parametrize("joined_in_python", [engine.JOINED_IN_PYTHON, 0])
@examples(60)
@given(
    columns=st.lists(st.tuples(st.lists(_WRITTEN, min_size=6, max_size=6), st.booleans()), min_size=1, max_size=3),
    template=st.sampled_from([None, "{field}: {value!r} ({other})", "{field} only", "{value} {value!r} {unknown}"]),
)
def test_oracle_a_small_tables_parts_read_its_written_columns_as_each_part_selected_them(
    columns: list[tuple[list[str | None], bool]], template: str | None, joined_in_python: int
) -> None:
    """Oracle: the findings of a small table, whose parts take their written cells and tell their messages apart
    by each column's distinct values read once (`_Written`), against each part selecting and hashing its own rows
    (as for a large table): odd texts, empty and all-missing columns, object columns of mixed types, templates
    naming the value, another column or no cell."""
    raw = pd.DataFrame(
        {f"c{k}": pd.Series(cells, dtype=object if objects else TEXT) for k, (cells, objects) in enumerate(columns)}
    )
    raw["c0"] = raw["c0"].astype(object).where(raw.index % 2 == 0, 7) if len(columns) > 2 else raw["c0"]
    raw["other"] = pd.Series(["a", None, "b", "a", "c", None], dtype=TEXT)
    table = SimpleNamespace(
        entity="contacts", source="c.csv", raw=raw, frame=raw.copy(), row_numbers=pd.Series(range(2, 8))
    )
    rules = [
        Rule(kind, kind, "contacts", ("*",), Severity.WARNING, Dimension.VALIDITY, {}, message=template)
        for kind in ("sentinel", "whitespace", "required", "unique")
    ]

    def run() -> pd.DataFrame:
        return engine.run_checks({"contacts": table}, rules, as_of=pd.Timestamp("2026-10-31")).findings

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(engine, "JOINED_IN_PYTHON", joined_in_python)  # the messages joined in Python or by Arrow
        together = run()
        patched.setattr(engine, "TOGETHER_CELLS", -1)
        alone = run()
    pd.testing.assert_frame_equal(together, alone, check_exact=True)
    for column in together.columns:
        assert [type(v) for v in together[column]] == [type(v) for v in alone[column]]
