"""Which fix cells are safe (auditor.worklist._safe): fix.safe.safe_mask of every finding (an oracle), though it
is asked only of the findings with a suggestion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle_examples import examples

import auditor.worklist as wl
from auditor.fix.safe import safe_mask

KINDS = st.sampled_from(["whitespace", "casing", "allowed", "postal_code", "email", "unique", "required", "range"])
VALUES = st.one_of(
    st.sampled_from([" Jan ", "JAN", "jan", "00950", "00-950", "smb", "SMB", "", "a\u00e9\n", 'x,"y"']),
    st.text(max_size=6),
    st.none(),
    st.just(float("nan")),
    st.just(pd.NA),
    st.integers(-5, 5),
)
ROWS = st.lists(st.tuples(KINDS, VALUES, VALUES), max_size=40)


@examples(80)
@given(ROWS)
def test_safe_is_safe_mask_of_every_finding(rows: list[tuple[str, object, object]]) -> None:
    kind, value, suggested = (np.array([r[k] for r in rows], dtype=object) for k in range(3))
    expected = safe_mask(
        pd.Series(kind, dtype=object), pd.Series(value, dtype=object), pd.Series(suggested, dtype=object)
    )
    assert wl._safe(kind, value, suggested).tolist() == np.asarray(expected, dtype=bool).tolist()


def test_safe_mask_is_asked_only_of_findings_with_a_suggestion(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[list[object]] = []

    def spy(kinds: pd.Series, values: pd.Series, suggestions: pd.Series) -> np.ndarray:
        asked.append(suggestions.tolist())
        return safe_mask(kinds, values, suggestions)

    monkeypatch.setattr(wl, "safe_mask", spy)
    kind = np.array(["casing", "unique", "casing", "required"], dtype=object)
    value = np.array(["JAN", "C1", "EWA", None], dtype=object)
    suggested = np.array(["Jan", None, "Ewa", np.nan], dtype=object)
    assert wl._safe(kind, value, suggested).tolist() == [True, False, True, False]
    assert asked == [["Jan", "Ewa"]]
    asked.clear()
    assert wl._safe(kind[[1, 3]], value[[1, 3]], suggested[[1, 3]]).tolist() == [False, False]
    assert asked == []
