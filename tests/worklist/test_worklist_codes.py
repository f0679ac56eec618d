"""The worklist's coded columns and its own factorizing (auditor.worklist: a million copies of one contact
must plan in under 3 GB): each must give what the pandas call it replaces gives, on any values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import auditor.findings as findings
import auditor.worklist as wl

TEXTS = st.lists(st.one_of(st.sampled_from(["a", "b", "=c", "Jan", ""]), st.none()), max_size=60)


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(findings, "FACTORIZE_ROWS", 7)  # several chunks on a few rows


@settings(max_examples=60, deadline=None)
@given(TEXTS)
def test_factorize_in_chunks_is_pandas_factorize(values: list[str | None]) -> None:
    array = np.array(values, dtype=object)
    codes, uniques = findings.factorize(array)
    expected_codes, expected_uniques = pd.factorize(array)
    assert codes.tolist() == expected_codes.tolist()
    assert list(uniques) == list(expected_uniques)


@settings(max_examples=60, deadline=None)
@given(TEXTS, st.lists(st.integers(0, 3), max_size=60))
def test_group_codes_are_groupby_ngroup(texts: list[str | None], numbers: list[int]) -> None:
    n = min(len(texts), len(numbers))
    frame = pd.DataFrame({"t": pd.Series(texts[:n], dtype=object), "n": numbers[:n]})
    coded = pd.Series(wl._coded(frame["t"]), copy=False)
    expected = frame.groupby(["t", "n"], sort=False, dropna=False).ngroup().to_numpy()
    assert wl._group_codes([frame["t"], frame["n"]]).tolist() == expected.tolist()
    assert wl._group_codes([coded, frame["n"]]).tolist() == expected.tolist()
    assert wl._firsts(expected).tolist() == (~pd.Series(expected).duplicated()).tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=4))
def test_coded_pieces_concatenate_to_their_values(pieces: list[list[str | None]]) -> None:
    series = [pd.Series(wl._coded(np.array(p, dtype=object)), copy=False) for p in pieces[:2]]
    series += [pd.Series(p, dtype=object) for p in pieces[2:]]
    joined = pd.Series(wl._concat_coded(series), copy=False)
    assert wl.plain(joined).tolist() == [v for p in pieces for v in p]
    assert joined.cat.categories.dtype == object  # the values' own objects, not Arrow strings


def test_sort_ranks_are_the_sorted_order() -> None:
    values = pd.Series(np.array(["b", None, "a", "c", "a"], dtype=object))
    assert findings.sort_ranks(values).tolist() == [1, 3, 0, 2, 0]
    assert findings.sort_ranks(pd.Series(wl._coded(values), copy=False)).tolist() == [1, 3, 0, 2, 0]


JOINED = st.one_of(st.none(), st.text(alphabet="ab; \ud800é", max_size=3), st.integers(-2, 2))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), JOINED), max_size=40), st.booleans())
# a lone surrogate first seen in a later chunk of the factorizing (7 rows a chunk here): the chunks' distinct
# values were joined in an Index that pandas inferred as Arrow text, which cannot hold it
@example(rows=[(0, None)] * 7 + [(0, "\ud800")], arrow=False)
def test_oracle_grouped_texts_are_each_groups_values_joined(rows: list[tuple[int, object]], arrow: bool) -> None:
    """A group's values joined by Arrow (or by Python where a value is a lone surrogate), as str.join of
    their str() in row order, a missing one empty; a text column held by Arrow read as it is."""
    if arrow:
        rows = [(k, v) for k, v in rows if v is None or (isinstance(v, str) and "\ud800" not in v)]
    text = pd.Series([v for _, v in rows], dtype="str" if arrow else object)
    out = wl._grouped_text(pd.DataFrame({"key": [k for k, _ in rows], "text": text}), ["key"], {"text": ("text", "; ")})
    expected: dict[int, list[str]] = {}
    for key, value in rows:
        expected.setdefault(key, []).append("" if value is None else str(value))
    assert out["text"].tolist() == ["; ".join(expected[key]) for key in out["key"]]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(JOINED, JOINED), max_size=20), st.booleans())
def test_oracle_concatenated_is_pandas_add(rows: list[tuple[object, object]], arrow: bool) -> None:
    rows = [tuple("-" if v is None or not isinstance(v, str) else v for v in row) for row in rows]
    if arrow:
        rows = [row for row in rows if not any("\ud800" in v for v in row)]
    dtype = "str" if arrow else object
    a, b = (pd.Series([row[k] for row in rows], dtype=dtype) for k in (0, 1))
    if arrow and len(rows):
        a[0] = None  # missing: the line is
    pieces = [a, " = ", b, ")"]
    expected = a + " = " + b + ")"
    got = wl._concatenated(pieces)
    assert [None if pd.isna(v) else v for v in got] == [None if pd.isna(v) else v for v in expected]


def _concat_by_pieces(pieces: list[pd.Series]) -> tuple[list, list]:
    """The straightforward way _concat_coded replaces: each piece factorized, then the pieces' distinct values."""
    parts = [findings.codes_of(piece) for piece in pieces]
    remap, uniques = pd.factorize(np.concatenate([u for _, u in parts]))
    offsets = np.cumsum([0, *(len(u) for _, u in parts)])
    codes = np.concatenate([np.append(remap[s : s + len(u)], -1)[c] for (c, u), s in zip(parts, offsets, strict=False)])
    return codes.tolist(), list(uniques)


MIXED = st.lists(
    st.one_of(
        st.sampled_from(["a", "b", "=c", "", "\u00e9", "\ud800"]), st.none(), st.just(float("nan")), st.integers(0, 2)
    ),
    max_size=30,
)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(MIXED, st.booleans()), min_size=2, max_size=4))
def test_oracle_coded_pieces_hashed_at_once_are_the_pieces_factorized_one_by_one(
    pieces: list[tuple[list, bool]],
) -> None:
    """Oracle: each piece factorized, then their distinct values; the same codes and categories, in their order,
    whether a piece is coded (with categories it does not use) or plain."""
    series = []
    for values, coded in pieces:
        array = np.array(values, dtype=object)
        if coded:  # with a category it does not use
            codes, uniques = findings.factorize(array)
            unused = [] if "unused" in values else ["unused"]
            categories = np.array([*uniques, *unused], dtype=object)
            series.append(pd.Series(wl._categorical(codes, categories), copy=False))
        else:
            series.append(pd.Series(array, dtype=object))
    joined = wl._concat_coded(series)
    codes, uniques = _concat_by_pieces(series)
    assert joined.codes.tolist() == codes
    assert list(joined.categories) == uniques


@given(
    st.lists(st.one_of(st.text(max_size=4), st.none(), st.just(float("nan")), st.just(pd.NA), st.integers(0, 2))),
    st.sampled_from([object, "str"]),
)
def test_oracle_one_missing_marker_is_pandas_where(values: list, dtype: object) -> None:
    """Oracle: `astype(object).where(notna, None)`, which one_marker skips for a column of texts alone."""
    if dtype == "str":
        values = [v for v in values if v is None or isinstance(v, str)]
    column = pd.Series(values, dtype=dtype)
    expected = column.astype("object").where(column.notna(), None)
    pd.testing.assert_series_equal(wl.one_marker(column), expected, check_exact=True)
    assert [type(v) for v in wl.one_marker(column)] == [type(v) for v in expected]
