"""The metrics stage's pieces counted with less (issue 17, twenty-first session). Oracles: the code each replaced,
written out here."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.metrics.evaluate import _Failing, _rule_counts

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


@settings(max_examples=300, deadline=None)
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
