"""The kinds that judge each distinct value of a column once give the verdicts of judging every row, and a
column is encoded once for all of them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.base import CheckContext
from auditor.checks.engine import run_checks
from auditor.checks.kinds import _columns, _fastpath, get_kind, usually_filled
from auditor.checks.kinds._common import is_blank, is_missing_code
from auditor.checks.packs import load_rules
from auditor.dtypes import TEXT
from auditor.model import ENTITIES
from auditor.text import MISSING_CODES

AS_OF = pd.Timestamp("2026-10-31")
TRICKY = "0123 ,.$-+\u00a0\u3000\tabZ?/{}"
cells = st.lists(
    st.one_of(
        st.none(),
        st.text(alphabet=TRICKY, max_size=6),
        st.sampled_from([*MISSING_CODES[:8], " N/A ", "1 234", "{name}", "1900-01-01", "Surburban", "Urban"]),
    ),
    min_size=1,
    max_size=40,
)
KINDS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("sentinel", {}),
    ("odd_format", {"min_count": 3}),
    ("number_as_text", {"min_count": 2, "min_share": 0.5}),
    ("usually_filled", {"min_count": 3, "min_share": 0.5}),
    ("rarely_filled", {"min_count": 3, "max_share": 0.5}),
    ("identifier", {"min_count": 2, "min_distinct": 0.3}),
    ("misspelt", {"min_count": 3}),
)


def _verdicts(values: list[str | None], field: str) -> dict[str, list[bool]]:
    column = pd.Series(values, dtype=TEXT, name=field)
    frame = column.to_frame()
    ctx = CheckContext(entity=ENTITIES["contacts"], frame=frame, raw=frame.copy(), tables={}, as_of=AS_OF)
    try:
        return {kind: get_kind(kind).check(frame[field], params, ctx).tolist() for kind, params in KINDS}
    finally:
        _columns.forget_columns()


@contextmanager
def _row_by_row() -> Iterator[None]:
    """Every column judged as if all its values differed: the kinds' functions see the column itself."""
    with mock.patch.object(_fastpath, "worth_encoding", lambda arr: False):
        yield


@settings(max_examples=60, deadline=None)
@given(values=cells, field=st.sampled_from(["segment", "External_Id", "title"]))
def test_judging_each_distinct_value_once_gives_every_rows_verdict(values: list[str | None], field: str) -> None:
    encoded = _verdicts(values, field)
    with _row_by_row():
        assert _verdicts(values, field) == encoded


@given(values=cells)
def test_a_distinct_column_spreads_an_elementwise_result_over_its_rows(values: list[str | None]) -> None:
    arr = pa.array(values, type=pa.large_string())
    cells_ = _fastpath.distinct(arr)
    lowered = pc.utf8_lower(cells_.values)
    assert cells_.spread(np.asarray(pc.is_null(lowered))).tolist() == [v is None for v in values]
    counts = dict(zip(cells_.values.to_pylist(), cells_.counts().tolist(), strict=True))
    assert counts == {v: values.count(v) for v in [*values, None]}


def test_the_rules_encode_each_column_once() -> None:
    n = 300
    raw = pd.DataFrame(
        {
            "contact_id": [f"C{i}" for i in range(n)],
            "first_name": ["Anna", "Jan", "n/a", " Ewa "] * (n // 4),
            "created_at": ["2026-01-05", "2025-03-01", "?"] * (n // 3),
            "segment": ["Urban", "Rural", "Surburban"] * (n // 3),
        },
        dtype=TEXT,
    )
    frame = raw.copy()
    frame["created_at"] = pd.to_datetime(raw["created_at"], errors="coerce")
    table = mock.Mock(entity="contacts", source="contacts.csv", raw=raw, frame=frame, read_as=None)
    table.row_numbers = pd.Series(np.arange(2, n + 2), index=frame.index)
    table.sources = None
    rules = [r for r in load_rules() if r.entity == "contacts"]
    encode = mock.Mock(wraps=_fastpath.distinct)
    with mock.patch.object(_columns, "distinct", encode):
        run_checks({"contacts": table}, rules, as_of=AS_OF)
    # the text columns' typed values (placeholder, casing, whitespace) equal their raw text (the wildcard rules,
    # required) and share its encoding; the date column's raw text is encoded once for every kind reading it
    assert encode.call_count == len(raw.columns)


@settings(max_examples=60, deadline=None)
@given(values=cells)
def test_required_and_type_read_the_written_cells_as_before(values: list[str | None]) -> None:
    raw = pd.DataFrame({"birth_date": values, "title": values}, dtype=TEXT)
    frame = raw.copy()
    frame["birth_date"] = pd.to_datetime(raw["birth_date"], errors="coerce", format="%Y-%m-%d")
    ctx = CheckContext(entity=ENTITIES["contacts"], frame=frame, raw=raw, tables={}, as_of=AS_OF)
    try:
        for field, typed in (("birth_date", True), ("title", False)):
            blank, code = is_blank(raw[field]), is_missing_code(raw[field])
            required = get_kind("required").check(frame[field], {}, ctx)
            assert required.tolist() == (~(blank | (code & typed))).tolist()
        type_ok = get_kind("type").check(frame["birth_date"], {}, ctx)
        assert type_ok.tolist() == (~(frame["birth_date"].isna() & ~blank & ~code)).tolist()
    finally:
        _columns.forget_columns()


def test_a_copy_of_a_column_is_compared_with_the_one_held_once() -> None:
    """A typed column that copies the raw text is found again by its memory: each kind's comparison of the
    two read every value (milliseconds a million-row column)."""
    values = ["Anna", None, "Jan", "Anna"] * 5
    raw = pd.Series(values, dtype=TEXT, name="first_name")
    copy = pd.Series(pd.array(pa.array(values), dtype=TEXT), name="first_name")  # the same text, other memory
    ctx = mock.Mock(frame=pd.DataFrame({"first_name": copy}))
    encoded = _columns.distinct_values(raw, ctx)
    assert _columns.distinct_values(copy, ctx) is encoded and _columns.distinct_values(copy, ctx) is encoded
    held = _columns.per_table.get(ctx.frame, ("distinct", "first_name"), list)
    copied = _fastpath.to_arrow(copy)
    assert [_columns._same_memory(seen, copied) for seen, _ in held] == [False, True]
    _columns.forget_columns()


_WORDS = st.lists(st.text(alphabet="ab/?\u0131\u0142 ", max_size=4), min_size=1, max_size=4)
_TEXTS = st.lists(st.one_of(st.none(), st.text(alphabet="aAbB/? \u212a\u0130\u0141\u0142", max_size=5)), max_size=20)


@settings(max_examples=150, deadline=None)
@given(words=_WORDS, values=_TEXTS, large=st.booleans(), start=st.integers(0, 2))
def test_oracle_the_values_that_may_lower_case_to_a_word_hold_every_one_that_does(
    words: list[str], values: list[str | None], large: bool, start: int
) -> None:
    text = pa.array(["A/", "", *values], type=pa.large_string() if large else pa.string()).slice(start)
    lowered = pc.utf8_lower(text).to_pylist()
    does = {i for i, value in enumerate(lowered) if value is not None and value in words}
    assert does <= set(_fastpath.could_lower_to(text, words).tolist())


@given(values=_TEXTS, k=st.integers(0, 3), start=st.integers(0, 2))
def test_oracle_a_value_s_byte_at_k_is_its_utf8_s(values: list[str | None], k: int, start: int) -> None:
    text = pa.array(["ab", *values], type=pa.large_string()).slice(start)
    want = [-1 if v is None or len(v.encode()) <= k else v.encode()[k] for v in text.to_pylist()]
    assert _fastpath.byte_at(text, k).tolist() == want
    rows = np.arange(len(text))[::-2]
    assert _fastpath.byte_at(text, k, rows).tolist() == [want[row] for row in rows]


def test_a_column_of_phone_numbers_is_not_lower_cased_for_its_codes(monkeypatch) -> None:
    lowered: list[int] = []
    lower = pc.utf8_lower
    monkeypatch.setattr(pc, "utf8_lower", lambda arr: lowered.append(len(arr)) or lower(arr))
    cells = _fastpath.distinct(pa.array([f"601 731 {i:03d}" for i in range(40)] + ["N/A"]))
    column = _columns.ColumnText(cells, pd.RangeIndex(41), "phone")
    assert column.missing_code.tolist() == [False] * 40 + [True]
    assert sum(lowered) == 1


@given(values=_TEXTS, chars=st.sampled_from([b"{", b"/?", b"A"]), at_once=st.integers(1, 5))
def test_oracle_a_column_holds_a_character_where_one_of_its_values_does(
    values: list[str | None], chars: bytes, at_once: int
) -> None:
    text = pa.array(["b", *values], type=pa.large_string()).slice(1)
    want = any(v is not None and any(chr(c) in v for c in chars) for v in text.to_pylist())
    with mock.patch.object(_fastpath, "SEARCHED_AT_ONCE", at_once):
        assert _fastpath.holds_any(text, chars) == want


def test_a_column_without_blank_cells_is_not_copied_to_mark_them(monkeypatch) -> None:
    if_else = pc.if_else
    copied: list[int] = []
    monkeypatch.setattr(pc, "if_else", lambda cond, a, b: copied.append(len(cond)) or if_else(cond, a, b))
    column = _columns.ColumnText(_fastpath.distinct(pa.array([" a", "b ", None])), pd.RangeIndex(3), "x")
    assert column.stripped.to_pylist() == ["a", "b", None] and copied == []
    column = _columns.ColumnText(_fastpath.distinct(pa.array([" a", "  ", None])), pd.RangeIndex(3), "x")
    assert column.stripped.to_pylist() == ["a", None, None] and copied == [3]


def test_an_arrow_verdict_without_a_missing_value_is_converted_without_filling(monkeypatch) -> None:
    """`fill_null` is an Arrow call of its own: thousands of them in a small export's checks."""
    verdict = pa.array([True, False, True])
    with mock.patch.object(pc, "fill_null", side_effect=AssertionError("filled")):
        assert _fastpath.bools(verdict).tolist() == [True, False, True]
        assert _fastpath.bools(pa.chunked_array([verdict, verdict])).tolist() == [True, False, True] * 2
    assert _fastpath.bools(pa.array([True, None, False])).tolist() == [True, False, False]
    assert _fastpath.bools(pa.array([True, None])).dtype == bool


@settings(max_examples=80, deadline=None)
@given(values=cells)
def test_oracle_the_share_of_filled_cells_from_the_distinct_values_is_the_rows_mean(values: list[str | None]) -> None:
    column = pd.Series(values, dtype=TEXT, name="x")
    frame = column.to_frame()
    ctx = CheckContext(entity=ENTITIES["contacts"], frame=frame, raw=frame.copy(), tables={}, as_of=AS_OF)
    try:
        assert usually_filled.share_filled(frame["x"], ctx) == usually_filled._filled(frame["x"], ctx).mean()
    finally:
        _columns.forget_columns()


def test_a_column_not_judged_for_its_filled_share_makes_no_series_of_its_rows(monkeypatch) -> None:
    """usually_filled and rarely_filled judge most columns by the share alone."""
    monkeypatch.setattr(_columns.ColumnText, "filled", property(lambda self: pytest.fail("a Series of the rows")))
    column = pd.Series(["a", None, "b"] * 50, dtype=TEXT, name="x")
    frame = column.to_frame()
    ctx = CheckContext(entity=ENTITIES["contacts"], frame=frame, raw=frame.copy(), tables={}, as_of=AS_OF)
    try:
        assert get_kind("usually_filled").check(frame["x"], {}, ctx).all()
        assert get_kind("rarely_filled").check(frame["x"], {}, ctx).all()
    finally:
        _columns.forget_columns()


def test_a_column_without_a_missing_value_is_encoded_without_filling(monkeypatch) -> None:
    """No `fill_null` of a dictionary's indices that hold no null (most columns), for `distinct` and `text_codes`."""
    text = pa.array(["a", "b", "a"])
    with mock.patch.object(pc, "fill_null", side_effect=AssertionError("filled")):
        assert _fastpath.distinct(text).codes.tolist() == [0, 1, 0]
        assert _fastpath.text_codes(text).tolist() == [0, 1, 0]
    assert _fastpath.distinct(pa.array(["a", None])).codes.tolist() == [0, 1]
    assert _fastpath.text_codes(pa.array(["a", None])).tolist() == [0, -1]
