"""Scores against values computed by hand (weights: error 0.5, warning 0.2, info 0.05)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.checks.base import Severity
from auditor.checks.engine import RuleOutcome, StructuralIssue
from auditor.scoring import compute_scores


def finding(record: str, field: str, rule: str, severity: str, dimension: str, entity: str = "contacts") -> dict:
    return {
        "entity": entity,
        "record_id": record,
        "field": field,
        "rule_id": rule,
        "severity": severity,
        "dimension": dimension,
    }


def outcome(rule: str, fields: tuple[str, ...], dimension: str, entity: str = "contacts") -> RuleOutcome:
    return RuleOutcome(rule, "x", entity, fields, Severity.ERROR, dimension, "failed", 4, 1, 1)


FINDINGS = pd.DataFrame(
    [
        finding("C1", "email", "email.format", "error", "validity"),
        finding("C1", "phone", "phone.format", "warning", "validity"),
        finding("C1", "phone", "phone.format", "warning", "validity"),  # the same finding twice counts once
        finding("C2", "first_name", "name.required", "info", "completeness"),
    ]
)
OUTCOMES = [
    outcome("email.format", ("email",), "validity"),
    outcome("phone.format", ("phone",), "validity"),
    outcome("name.required", ("first_name",), "completeness"),
    outcome("acc.name", ("name",), "completeness", "accounts"),
]


def test_scores_by_hand() -> None:
    scores = compute_scores(FINDINGS, {"contacts": 4, "accounts": 1}, OUTCOMES)
    contacts = scores.entities["contacts"]
    # C1 = 100 * 0.5 * 0.8 = 40, C2 = 95, C3 = C4 = 100 -> mean 83.75
    assert contacts.score == 83.75
    assert contacts.records_with_findings == 2
    assert contacts.fields == {"email": 87.5, "phone": 95.0, "first_name": 98.75}
    assert contacts.dimensions == {"validity": 85.0, "completeness": 98.75}
    assert scores.entities["accounts"].score == 100.0
    assert scores.entities["accounts"].fields == {"name": 100.0}
    # record-weighted: (4 * 83.75 + 1 * 100) / 5
    assert scores.overall == 87.0
    assert scores.dimensions == {"completeness": pytest.approx((98.75 * 4 + 100) / 5), "validity": 85.0}
    records = scores.records.set_index("record_id")
    assert records.loc["C1", "score"] == 40.0 and records.loc["C1", "findings"] == 2
    assert records.loc["C2", "score"] == 95.0


def test_missing_required_column_counts_as_an_error_on_every_record() -> None:
    issue = StructuralIssue("accounts", "accounts.csv", "country", "required column 'country' is missing")
    scores = compute_scores(FINDINGS, {"contacts": 4, "accounts": 1}, OUTCOMES, [issue])
    assert scores.entities["accounts"].score == 50.0
    assert scores.entities["accounts"].fields["country"] == 50.0
    assert scores.overall == (4 * 83.75 + 50) / 5


def test_entity_weights_and_custom_severity_weights() -> None:
    scores = compute_scores(
        FINDINGS,
        {"contacts": 4, "accounts": 1},
        OUTCOMES,
        weights={"error": 1.0, "warning": 0.0, "info": 0.0},
        entity_weights={"contacts": 1, "accounts": 1},
    )
    assert scores.entities["contacts"].score == 75.0
    assert scores.overall == 87.5


def test_no_findings_scores_100_and_no_tables_has_no_overall() -> None:
    empty = FINDINGS.iloc[0:0]
    assert compute_scores(empty, {"contacts": 10}, OUTCOMES).overall == 100.0
    assert compute_scores(empty, {}, []).overall is None


@examples(100)  # hypothesis' default count
@given(
    st.lists(
        st.tuples(
            st.integers(0, 19),
            st.sampled_from(["error", "warning", "info"]),
            st.sampled_from(["email", "phone", "city"]),
        ),
        max_size=60,
    )
)
def test_scores_stay_in_range_and_more_findings_never_raise_a_score(items: list) -> None:
    rows = [finding(f"C{r}", f, f"{f}.rule.{s}", s, "validity") for r, s, f in items]
    frame = pd.DataFrame(rows, columns=["entity", "record_id", "field", "rule_id", "severity", "dimension"])
    outcomes = [outcome(f"{f}.rule", (f,), "validity") for f in ("email", "phone", "city")]
    full = compute_scores(frame, {"contacts": 20}, outcomes)
    fewer = compute_scores(frame.iloc[: len(frame) // 2], {"contacts": 20}, outcomes)
    assert 0 <= full.overall <= 100
    assert all(0 <= s <= 100 for s in full.entities["contacts"].fields.values())
    assert full.overall <= fewer.overall + 1e-9
