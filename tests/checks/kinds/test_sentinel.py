"""The sentinel kind: each distinct day judged once must judge every timestamp as its own text would; the
codes, tokens and dates of a text column as the whole column lower-cased and searched by every pattern would."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from auditor.checks.base import CheckContext
from auditor.checks.kinds import _columns, sentinel
from auditor.checks.kinds._fastpath import bools, fullmatches, matches, strip, to_arrow
from auditor.checks.kinds.sentinel import DATES, EPOCH, TOKEN_MARKS, TOKENS, VALUES, _dates
from auditor.dtypes import TEXT
from auditor.model import ENTITIES
from auditor.text import MISSING_CODES

_STAMPS = st.one_of(
    st.none(),
    st.sampled_from([f"{d} {t}" for d in (*DATES[:3], EPOCH, "2026-03-29", "2023-03-12") for t in ("00:00", "05:30")]),
    st.datetimes(
        min_value=pd.Timestamp("1890-01-01").to_pydatetime(), max_value=pd.Timestamp("2100-01-01").to_pydatetime()
    ),
)


@settings(max_examples=100, deadline=None)
@example(["2023-03-12 05:30", "1900-01-01 05:00", None], "America/Havana")  # a day whose midnight does not exist
@given(st.lists(_STAMPS, max_size=30), st.sampled_from([None, "UTC", "Europe/Warsaw", "America/Havana"]))
def test_sentinel_days_are_the_days_the_timestamps_are_written_as(stamps: list, zone: str | None) -> None:
    values = pd.Series(pd.to_datetime(pd.Series(stamps, dtype=object), utc=zone is not None), dtype=None)
    if zone is not None:
        values = values.dt.tz_convert(zone)
    for field in ("created_at", "birth_date"):
        sentinel_days = list(DATES) + ([] if "birth" in field else [EPOCH])
        want = values.dt.strftime("%Y-%m-%d").isin(sentinel_days).tolist()
        assert _dates(values, field, None).tolist() == want


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(-(10**15) + 1, 10**15 - 1),
            st.builds(
                lambda d, k, s: s * int(str(d) * k), st.integers(0, 9), st.integers(1, 15), st.sampled_from([1, -1])
            ),
        ),
        max_size=40,
    )
)
def test_oracle_placeholder_integers_are_the_regex_of_their_text(numbers: list[int]) -> None:
    values = np.array(numbers, dtype=np.int64)
    expected = fullmatches(pa.array(values.astype(str)), sentinel._NUMBER_PLACEHOLDER)
    assert sentinel._placeholder_integers(values).tolist() == expected.tolist()


def _context(values: pd.Series) -> CheckContext:
    frame = values.to_frame()
    return CheckContext(entity=ENTITIES["opportunities"], frame=frame, raw=frame, tables={}, as_of=pd.Timestamp(0))


def _whole_column(values: pd.Series) -> list[bool]:
    """The check's verdicts as the earlier code made them: the whole column lower-cased, every value looked up
    and searched by the tokens' pattern, the dates read from the lower-cased text."""
    raw = strip(to_arrow(values))
    text = pc.utf8_lower(raw)
    bad = bools(pc.is_in(text, value_set=pa.array([v.lower() for v in VALUES], type=text.type)))
    bad |= matches(raw, "|".join(f"(?:{t})" for t in TOKENS))
    dated = bools(pc.is_in(pc.utf8_slice_codeunits(text, 0, 10), value_set=pa.array(DATES, type=text.type)))
    bad |= dated & fullmatches(text, "\\d{4}-\\d{2}-\\d{2}.*")
    if values.name == "amount":
        bad |= fullmatches(text, sentinel._NUMBER_PLACEHOLDER)
    return (~bad).tolist()


_CELLS = st.one_of(
    st.none(),
    st.sampled_from([*MISSING_CODES, "N/A", " UNKNOWN ", "NULL\t", "#N/A", "Brak Danych", "NOT AVAILABLE"]),
    st.sampled_from(["{first_name}", "[COMPANY]", "<<x>>", "%s", "${a}", "{!A.B}", "*|F|*", "50% off"]),
    st.sampled_from(["1900-01-01", "1900-01-01 x", "1900-01-01\nx", "9999-12-31T00", "\u0130", "\u212a", "9999"]),
    st.text(alphabet="aZ09 -./{[<%$*|!_\u0130\u212a\u00df\n", max_size=16),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_CELLS, min_size=1, max_size=30), st.sampled_from(["name", "amount"]))
def test_oracle_text_cells_are_judged_as_the_whole_column_lower_cased(cells: list, field: str) -> None:
    # more than half of the filled cells one code makes it the column's usual "empty": left out here
    values = pd.Series([*cells, *[f"v{i}" for i in range(len(cells) + 1)]], dtype=TEXT, name=field)
    try:
        verdicts = sentinel.check(values, {}, _context(values)).tolist()
    finally:
        _columns.forget_columns()
    assert verdicts == _whole_column(values)


@given(st.text(alphabet=st.characters(blacklist_characters=TOKEN_MARKS.decode()), max_size=30))
@example("{{ name }}".replace("{", "").replace("}", ""))
def test_oracle_a_text_without_the_token_marks_holds_no_token(text: str) -> None:
    assert not any(re.search(token, text) for token in TOKENS)


def test_each_token_holds_a_mark() -> None:
    for token in TOKENS:
        assert any(re.escape(chr(mark)) in token for mark in TOKEN_MARKS), token


def test_a_column_without_the_token_marks_is_not_searched_for_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    searched: list[str] = []
    monkeypatch.setattr(sentinel, "matches", lambda arr, pattern: searched.append(pattern) or matches(arr, pattern))
    values = pd.Series([f"jan{i}@firma.pl" for i in range(50)] + ["n/a"], dtype=TEXT, name="email")
    try:
        verdicts = sentinel.check(values, {}, _context(values)).tolist()
    finally:
        _columns.forget_columns()
    assert verdicts == [True] * 50 + [False]
    assert searched == []


def test_only_values_that_may_be_a_code_are_lower_cased(monkeypatch: pytest.MonkeyPatch) -> None:
    lowered: list[int] = []
    lower = pc.utf8_lower
    monkeypatch.setattr(pc, "utf8_lower", lambda arr: lowered.append(len(arr)) or lower(arr))
    values = pd.Series([f"Jan.Kowalski{i}@firma.pl" for i in range(50)] + ["N/A", "?"], dtype=TEXT, name="email")
    values = pd.concat([values, pd.Series(["601 731 295", "u"], dtype=TEXT)], ignore_index=True).rename("email")
    ctx = _context(values)
    try:
        _columns.column_text(values, ctx)  # the column's text (its codes lower-cased too), which the check reads
        lowered.clear()
        verdicts = sentinel.check(values, {}, ctx).tolist()
    finally:
        _columns.forget_columns()
    assert verdicts == [True] * 50 + [False, False, True, True]
    assert sum(lowered) == 3  # "N/A", "?" and "u" (as "unk" and "n/a" begin)


def test_each_date_is_ascii_with_a_dash_fifth() -> None:
    assert all(date.isascii() and date[4] == "-" for date in DATES)


def test_a_column_of_this_century_s_timestamps_is_not_read_for_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    sliced: list[int] = []
    slice_ = pc.utf8_slice_codeunits
    monkeypatch.setattr(pc, "utf8_slice_codeunits", lambda arr, *a: sliced.append(len(arr)) or slice_(arr, *a))
    values = pd.Series([f"2025-03-{d:02d} 10:00" for d in range(1, 29)] + ["1900-01-01 00:00"], dtype=TEXT)
    try:
        verdicts = sentinel.check(values.rename("note"), {}, _context(values.rename("note"))).tolist()
    finally:
        _columns.forget_columns()
    assert verdicts == [True] * 28 + [False]
    assert sum(sliced) == 1


def test_a_no_date_beyond_the_typed_years_is_a_sentinel_not_a_malformed_date(tmp_path) -> None:
    # 9999-12-31 and 0001-01-01 parse to nothing in a typed column (1810-2099): `type` called them "not a valid
    # datetime" (an error) and, reporting the cell first, hid the sentinel finding
    from auditor import pipeline  # the whole check stage: the loader's typing and both rules on one file

    rows = [f"C{i},Anna,Nowak{i},a{i}@acme.pl,2024-01-{i + 1:02d}" for i in range(10)]
    rows += ["C97,Jan,Kowal,j@acme.pl,9999-12-31", "C98,Ewa,Lis,e@acme.pl,0001-01-01 00:00:00"]
    rows += ["C99,Ola,Maj,o@acme.pl,2025-13-01"]
    (tmp_path / "contacts.csv").write_text(
        "contact_id,first_name,last_name,email,created_at\n" + "\n".join(rows) + "\n"
    )
    result = pipeline.check(tmp_path, pipeline.resolve_config(tmp_path, None))
    found = result.findings[result.findings["field"] == "created_at"]
    assert sorted(zip(found["record_id"], found["rule_id"], strict=True)) == [
        ("C97", "contacts.sentinel"),
        ("C98", "contacts.sentinel"),
        ("C99", "contacts.type"),
    ]
    said = found.set_index("record_id")["message"]
    assert said["C97"] == "created_at holds '9999-12-31', a stand-in for a missing value"


def test_a_date_column_of_more_no_dates_than_dates_is_still_the_date_field(tmp_path) -> None:
    # the loader's plausibility vote read 9999-12-31 as no date at all: one date of four, so created_at was not
    # mapped ("named like 'created_at', but 25% of its values look like one") and its placeholders went unseen
    from auditor import pipeline  # the loader's mapping and the rules on one file

    (tmp_path / "contacts.csv").write_text(
        "contact_id,first_name,last_name,email,created_at\n"
        "C1,Anna,Nowak,anna@acme.pl,2024-01-05\nC2,Jan,Kowal,jan@acme.pl,9999-12-31\n"
        "C3,Ewa,Lis,ewa@acme.pl,0001-01-01\nC4,Piotr,Zaj,piotr@acme.pl,2025-13-01\n"
    )
    result = pipeline.check(tmp_path, pipeline.resolve_config(tmp_path, None))
    assert not [note for note in result.notes if "created_at" in note]
    found = result.findings[result.findings["field"] == "created_at"]
    assert sorted(zip(found["record_id"], found["rule_id"], strict=True)) == [
        ("C2", "contacts.sentinel"),
        ("C3", "contacts.sentinel"),
        ("C4", "contacts.type"),
    ]


def test_a_column_without_a_short_value_or_a_date_s_first_bytes_makes_no_arrow_call_on_nothing(monkeypatch) -> None:
    """A column of e-mails has no value that may be a code or a date of DATES: no look-up, slice or regex of an
    empty selection (a dozen Arrow calls per column, on every column of a small export)."""
    called: list[str] = []
    for name in ("is_in", "utf8_slice_codeunits", "not_equal"):
        original = getattr(pc, name)
        monkeypatch.setattr(pc, name, lambda *a, _f=original, _n=name, **k: called.append(_n) or _f(*a, **k))
    values = pd.Series([f"person{i}@example.com" for i in range(30)], dtype=TEXT, name="email")
    ctx = _context(values)
    called.clear()
    assert sentinel.check(values, {}, ctx).tolist() == [True] * 30
    assert called == []
