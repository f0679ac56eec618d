"""number_as_text judges ASCII values with the ASCII forms of its patterns in Arrow: the same verdicts as
Python's `re` on every distinct value (the oracle below is the kind's earlier code)."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from conftest import context, frame
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.kinds import number_as_text
from auditor.checks.kinds.number_as_text import _DRESSED_RE, _PLAIN_RE, _plain_and_dressed


def _oracle(values: pd.Series) -> tuple[list[bool], list[bool]]:
    codes, uniques = pd.factorize(values)
    text = [str(v) for v in uniques]
    trimmed = pc.utf8_trim_whitespace(pa.array(text, type=pa.large_string())).to_pylist()
    plain = np.array([_PLAIN_RE.fullmatch(t) is not None for t in trimmed] + [False], dtype=bool)
    untrimmed = plain & np.array([v != t for v, t in zip(text, trimmed, strict=True)] + [False], dtype=bool)
    dressed = np.array([_DRESSED_RE.fullmatch(v) is not None for v in text] + [False], dtype=bool) | untrimmed
    return (plain & ~untrimmed)[codes].tolist(), dressed[codes].tolist()


# every ASCII whitespace and separator Python's \s holds and RE2's does not, digits of other scripts,
# currency signs, the no-break space
ALPHABET = "0123456789 ,.'-+$€£\u00a0\u2003\u0663\t\n\x0b\x0c\r\x1c\x1d\x1e\x1fabcŁ"
SAMPLES = ("12", " 12", "1 234", "1,234.50", "$ 12", "12 ", "-3.5", "١٢٣", "12\u00a0", "£5", "1\x0b", "x1")
SAMPLES += ("\x1c$5", "$\x0b5", "1 234\x1f", "+\x0c1,234", "1\u00a0234", "\x1d12\x1e")
CELLS = st.one_of(
    st.none(),
    st.sampled_from(SAMPLES),
    st.text(alphabet=st.sampled_from(ALPHABET), max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(CELLS, min_size=1, max_size=30))
def test_the_verdicts_are_those_of_python_re_on_every_value(cells: list[str | None]) -> None:
    df = frame("quantity", cells)
    plain, dressed = _plain_and_dressed(df["quantity"], context(df, entity="orders"))
    assert (plain.tolist(), dressed.tolist()) == _oracle(df["quantity"])


@settings(max_examples=150, deadline=None)
@given(st.lists(CELLS, min_size=1, max_size=30))
def test_the_letter_screen_keeps_the_verdicts(cells: list[str | None]) -> None:
    """Oracle: the non-ASCII values screened for letters in Arrow first, as a large column's are."""
    df = frame("quantity", cells)
    with patch.object(number_as_text, "LETTER_SCREEN", 0):
        plain, dressed = _plain_and_dressed(df["quantity"], context(df, entity="orders"))
    assert (plain.tolist(), dressed.tolist()) == _oracle(df["quantity"])


def test_python_s_blanks_that_re2_s_lacks_dress_a_number() -> None:
    df = frame("quantity", ["\x1c$5", "$\x0b5", "1 234\x1f", "12"])
    _, dressed = _plain_and_dressed(df["quantity"], context(df, entity="orders"))
    assert dressed.tolist() == [True, True, True, False] == _oracle(df["quantity"])[1]


def test_values_of_an_object_column_are_judged_as_their_text() -> None:
    values = pd.Series(["1 234", 42, None, "7"], dtype=object, name="quantity")
    df = pd.DataFrame({"quantity": values})
    plain, dressed = _plain_and_dressed(values, context(df, entity="orders"))
    assert (plain.tolist(), dressed.tolist()) == _oracle(values)
    assert dressed.tolist() == [True, False, False, False] and plain.tolist() == [False, True, False, True]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(CELLS, st.text(max_size=6)), min_size=1, max_size=30))
def test_oracle_the_plain_numbers_are_at_most_the_bound_one_pass_gives(cells: list[str | None]) -> None:
    """The cells whose characters a plain number may hold are at least the plain numbers (any character, any
    ASCII one above all), so that a column the bound rules out is one the kind passes whole."""
    df = frame("quantity", cells)
    ctx = context(df, entity="orders")
    plain, _ = _oracle(df["quantity"])
    assert number_as_text._at_most_plain(df["quantity"], ctx) >= sum(plain)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(CELLS, st.text(max_size=6)), min_size=1, max_size=60), st.integers(0, 70))
def test_oracle_a_bound_read_in_windows_rules_out_what_the_whole_column_rules_out(
    cells: list[str | None], needed: int
) -> None:
    df = frame("quantity", cells)
    ctx = context(df, entity="orders")
    with patch.object(number_as_text, "WINDOW", 2):
        in_windows = number_as_text._at_most_plain(df["quantity"], ctx, needed)
    whole = number_as_text._at_most_plain(df["quantity"], ctx)
    assert in_windows >= whole and (in_windows < needed) == (whole < needed)


def test_a_column_of_words_is_read_until_its_words_rule_it_out(monkeypatch) -> None:
    searched: list[int] = []
    search = pc.match_substring_regex
    monkeypatch.setattr(
        pc, "match_substring_regex", lambda arr, pattern: searched.append(len(arr)) or search(arr, pattern)
    )
    monkeypatch.setattr(number_as_text, "WINDOW", 8)
    # two points: what only the regex finds, not the bytes' screen
    df = frame("quantity", [f"{i}.{i}.{i}" for i in range(200)])
    assert number_as_text.check(df["quantity"], {}, context(df, entity="orders")).all()
    assert sum(searched) == 8 + 16  # 24 of 200 values leave at most 176 plain numbers, fewer than 90%


def test_a_column_of_words_names_or_times_is_ruled_out_by_its_bytes_without_the_regex(monkeypatch) -> None:
    searched: list[int] = []
    search = pc.match_substring_regex
    monkeypatch.setattr(
        pc, "match_substring_regex", lambda arr, pattern: searched.append(len(arr)) or search(arr, pattern)
    )
    for cells in ([f"w{i}" for i in range(200)], ["2026-01-05 10:00"] * 200, ["1985-03-12"] * 200):
        df = frame("quantity", cells)
        assert number_as_text.check(df["quantity"], {}, context(df, entity="orders")).all()
    assert searched == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="0123456789 .,+-e$\u00a0\u0663\t:/a", max_size=8)), max_size=30))
def test_the_bytes_screen_finds_only_what_the_regex_finds(values: list[str | None]) -> None:
    """Oracle: `_surely_not_plain` never holds a value `_NOT_PLAIN` does not match (the bound stays a bound)."""
    text = pa.array(values, type=pa.large_string())
    for part in (text, text.slice(1)):
        screened = number_as_text._surely_not_plain(part)
        regex = np.asarray(pc.fill_null(pc.match_substring_regex(part, number_as_text._NOT_PLAIN), False))
        assert not (screened & ~regex).any()


def test_a_column_of_words_is_not_judged_as_both_number_forms() -> None:
    df = frame("quantity", ["abc", "12", "x-1"] * 20)
    with patch.object(number_as_text, "_Numbers", side_effect=AssertionError("judged value by value")):
        assert number_as_text.check(df["quantity"], {}, context(df, entity="orders")).all()


def test_dates_postcodes_and_phone_numbers_are_ruled_out_though_they_hold_only_a_number_s_characters() -> None:
    cells = ["1985-03-12", "12.03.1985", "00-950", "+48 600 123 456", "600-123-456", "1 234", "7"]
    df = frame("quantity", cells)
    assert number_as_text._at_most_plain(df["quantity"], context(df, entity="orders")) == 1  # "7"
