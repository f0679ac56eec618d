"""Oracle test: odd_format tells a value with a letter by ASCII letters where the value is ASCII, and by the
Unicode class only elsewhere; the verdicts are those of the Unicode class everywhere."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.kinds._fastpath import matches
from auditor.checks.kinds.odd_format import _letters

_VALUES = st.lists(st.one_of(st.none(), st.text(alphabet="aZ09 -_.ªºłŁßé\u0663\u2160\u00a0€", max_size=6)), max_size=20)


@settings(max_examples=80, deadline=None)
@given(values=_VALUES, large=st.booleans())
def test_a_letter_is_found_as_the_unicode_class_finds_it(values: list[str | None], large: bool) -> None:
    text = pa.array(values, type=pa.large_string() if large else pa.string())
    assert _letters(text).tolist() == matches(text, r"\pL").tolist()
