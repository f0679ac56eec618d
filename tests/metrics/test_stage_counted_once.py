"""The metrics stage's pieces counted with less (issue 17, twenty-first session): the rules a failing set fails, sums
per month, foreign keys to merged duplicates, the screens' unreported cells, a breakdown's rows in order. Oracles: the
code each replaced, written out here."""

from __future__ import annotations

import numpy as np
import pandas as pd
from deal_frames import ARROW_TEXT
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.lookups import is_in
from auditor.metrics.breakdowns import stable_order
from auditor.metrics.common import CODE, monthly_sums, sums
from auditor.metrics.evaluate import _Failing, _repointed, _rule_counts, _unreported
from auditor.metrics.language import month_labels

# --- the rules the failing records fail ----------------------------------------------------------------------------


def _told_oracle(found: pd.DataFrame) -> tuple[str, str, list[tuple[str, str, int]]]:
    """`_Failing.told` as it was written with its rules counted by pandas (the oracle)."""
    rules = found.drop_duplicates(["record_id", "rule_id"]).groupby(["field", "rule_id"]).size()
    rules = rules.sort_values(ascending=False, kind="stable")
    fields_ = ", ".join(dict.fromkeys(f for f, _ in rules.index))
    by_rule = rules.groupby(level="rule_id").max().sort_values(ascending=False, kind="stable")
    top = ", ".join(f"{r} {n:,}" for r, n in by_rule.head(3).items())
    return fields_, top, [(fld, rule, int(n)) for (fld, rule), n in rules.head(5).items()]


@st.composite
def findings(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 60))

    def column(values: list) -> list:
        return draw(st.lists(st.sampled_from(values), min_size=n, max_size=n))

    return pd.DataFrame(
        {
            "record_id": column(["C1", "C2", "C10", "c1", "row:3", None]),
            "field": column(["email", "phone", "Email", "amount"]),
            "rule_id": column(["r.email.format", "r.email.required", "R.phone", "r.amount.range", "a", None]),
        }
    )


@examples(300)
@given(findings())
def test_rules_told_as_counted_by_pandas(found: pd.DataFrame) -> None:
    """Oracle: the fields, the top rules and the most failed (field, rule) pairs as the pandas groupby said them,
    ties, missing record ids and missing rules included."""
    failing = _Failing("contacts", "contacts", 1, 1, pd.Series([True]), found)
    assert failing.told == _told_oracle(found)
    assert failing.told is failing.told  # counted once, for every metric that shares these failing records


def test_no_findings_tell_nothing() -> None:
    assert _rule_counts(None) == []
    assert _Failing("contacts", "contacts", 1, 0, pd.Series([False]), None).told == ("", "", [])


# --- sums per month --------------------------------------------------------------------------------------------------


@examples(200)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(-400, 900)),
            st.one_of(st.none(), st.floats(-1e9, 1e9, allow_nan=False), st.just(float("nan"))),
        ),
        max_size=50,
    ),
    st.booleans(),
)
def test_monthly_sums_as_summed_per_label_oracle(rows: list, zoned: bool) -> None:
    """Oracle: the sums per month from the months' numbers are the sums per 'YYYY-MM' label (`sums` of
    `month_labels`, as a monthly distribution was summed), the same months in the same order to the last bit."""
    stamps = pd.Series(
        pd.to_datetime(
            [None if d is None else pd.Timestamp("2026-01-15 10:00") + pd.Timedelta(days=d) for d, _ in rows]
        )
    )
    if zoned:
        stamps = stamps.dt.tz_localize("Europe/Warsaw")
    values = pd.Series([v for _, v in rows], dtype="float64")
    mine = monthly_sums(values, stamps)
    theirs = sums(values, month_labels(stamps))
    assert list(mine) == list(theirs)
    assert all(mine[k] == theirs[k] or (np.isnan(mine[k]) and np.isnan(theirs[k])) for k in theirs)


def test_monthly_sums_of_no_dates_are_none() -> None:
    values = pd.Series([1.0, 2.0])
    text_column = pd.Series(["2026-01", "2026-02"], dtype=ARROW_TEXT)
    assert monthly_sums(values, text_column) == sums(values, month_labels(text_column)) == {}


# --- foreign keys to merged duplicates -------------------------------------------------------------------------------


def _repointed_oracle(keyed: pd.Series, remap: dict) -> pd.Series:
    """The keys repointed as `merge_clusters` did it before: a dict map of the hit keys, set back through pandas."""
    hit = is_in(keyed, list(remap))
    if hit.any():
        keyed = keyed.copy()
        keyed.iloc[np.flatnonzero(hit)] = keyed[hit].map(remap).to_numpy()
    return keyed


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.sampled_from(["A1", "A2", "A3", "a1", "B7", ""])), max_size=30),
    st.dictionaries(st.sampled_from(["A1", "A2", "a1", "B7", "", "Z9"]), st.sampled_from(["A1", "S1", "S2"])),
    st.sampled_from([ARROW_TEXT, "object"]),
)
def test_repointed_keys_oracle(keys: list, remap: dict, dtype: str) -> None:
    """Oracle: a foreign key column with the keys to dropped records pointing at their survivors (the dropped ids and
    their survivors as two columns), Arrow text looked up and put back in Arrow, equal (values and type) to the dict
    map of before."""
    keyed = pd.Series(keys, dtype=dtype, name="account_id")
    dropped, survivors = (pd.Series(list(side), dtype=dtype) for side in (remap.keys(), remap.values()))
    pd.testing.assert_series_equal(_repointed(keyed, dropped, survivors), _repointed_oracle(keyed, remap))


# --- the screens' cells no rule reports ------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["contacts", "deals"]), st.integers(-1, 6), st.sampled_from("abc")), max_size=30
    ),
    st.lists(
        st.tuples(st.sampled_from(["contacts", "deals"]), st.integers(-1, 6), st.sampled_from("abcd")), max_size=30
    ),
)
def test_unreported_cells_oracle(reported: list, found: list) -> None:
    """Oracle: the screens' cells that no finding reports, as the cells were compared one by one."""

    def frame(rows: list) -> pd.DataFrame:
        return pd.DataFrame(rows, columns=["entity", CODE, "field"]).astype({CODE: "int64"})

    findings, screened = frame(reported), frame(found)
    said = set(reported)
    expected = screened[np.array([row not in said for row in found], dtype=bool)] if len(findings) else screened
    pd.testing.assert_frame_equal(_unreported(screened, findings), expected)


# --- a breakdown's groups in order -----------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 70_000), st.data())
def test_stable_order_as_sorted_by_merge_sort_oracle(width: int, data) -> None:
    """Oracle: the rows of a breakdown's codes (-1: in no group) in numpy's stable order of the 64-bit codes, whether
    they fit 16 bits (sorted by radix) or not."""
    values = st.integers(-1, width - 1)
    codes = np.array(data.draw(st.lists(values, max_size=200)), dtype=np.int64)
    np.testing.assert_array_equal(stable_order(codes, width), np.argsort(codes, kind="stable"))
