from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from auditor.checks.engine import run_checks
from auditor.checks.packs import load_rules
from auditor.findings import FINDING_COLUMNS

AS_OF = pd.Timestamp("2026-10-31")


@dataclass
class FakeTable:
    entity: str
    source: str
    raw: pd.DataFrame
    frame: pd.DataFrame
    row_numbers: pd.Series


def table(entity: str, raw: dict, typed: dict | None = None) -> FakeTable:
    raw_frame = pd.DataFrame(raw)
    frame = raw_frame.copy()
    for name, values in (typed or {}).items():
        frame[name] = values
    return FakeTable(entity, f"{entity}.csv", raw_frame, frame, pd.Series(range(2, 2 + len(raw_frame))))


def pack(tmp_path: Path, text: str) -> list:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return load_rules([path], include_core=False)


@pytest.fixture
def deals() -> FakeTable:
    return table(
        "opportunities",
        {
            "opportunity_id": ["O1", "O2", "O3", None],
            "account_id": ["A1", "A9", None, "A1"],
            "stage": ["Closed Won", "Closed Won", "Prospecting", "Closed Lost"],
            "amount": ["100", "0", "-5", "12,5OO"],
            "owner": ["ann", "bob", "ann", "bob"],
        },
        {"amount": pd.Series([100.0, 0.0, -5.0, None])},
    )


def test_findings_carry_record_field_rule_message_and_place(tmp_path: Path, deals: FakeTable) -> None:
    rules = pack(
        tmp_path,
        """rules:
  - id: won.amount
    kind: conditional
    entity: opportunities
    fields: [amount]
    severity: error
    when: {stage: [Closed Won]}
    then: [{kind: required}, {kind: range, gt: 0}]
    message: "{stage} deal has amount {value}"
  - {id: amount.type, kind: type, entity: opportunities, fields: [amount], severity: error}
  - {id: fk, kind: foreign_key, entity: opportunities, fields: [account_id], severity: warning}
""",
    )
    accounts = table("accounts", {"account_id": ["A1"]})
    result = run_checks({"opportunities": deals, "accounts": accounts}, rules, as_of=AS_OF)
    f = result.findings
    assert list(f.columns) == list(FINDING_COLUMNS)
    rows = {(r.record_id, r.rule_id): r for r in f.itertuples()}
    assert set(rows) == {("O2", "won.amount"), ("row:5", "amount.type"), ("O2", "fk")}
    won = rows["O2", "won.amount"]
    assert (won.field, won.severity, won.value, won.owner, won.file, won.row) == (
        "amount",
        "error",
        "0",
        "bob",
        "opportunities.csv",
        3,
    )
    assert won.message == "Closed Won deal has amount 0"
    assert rows["row:5", "amount.type"].message == "amount '12,5OO' is not a valid number"
    assert rows["O2", "fk"].message == "account_id 'A9' does not match any accounts record"
    outcomes = {o.rule_id: o for o in result.outcomes}
    assert (outcomes["won.amount"].evaluated, outcomes["won.amount"].failed) == (2, 1)
    assert outcomes["fk"].status == "failed"


def test_rules_without_their_inputs_are_not_evaluated(tmp_path: Path, deals: FakeTable) -> None:
    rules = pack(
        tmp_path,
        """rules:
  - {id: fk, kind: foreign_key, entity: opportunities, fields: [account_id]}
  - {id: prob, kind: range, entity: opportunities, fields: [probability], max: 100}
  - {id: tickets, kind: required, entity: tickets, fields: [status]}
""",
    )
    result = run_checks({"opportunities": deals}, rules, as_of=AS_OF)
    outcomes = {o.rule_id: o for o in result.outcomes}
    assert outcomes["fk"].status == "not_evaluated"
    assert outcomes["fk"].reason == "referenced table accounts not in the input"
    assert outcomes["prob"].reason == "column probability not in opportunities.csv"
    assert outcomes["tickets"].reason == "no tickets table in the input"
    assert result.findings.empty


def test_an_absent_column_is_reported_not_a_defect_unless_the_config_requires_it(
    tmp_path: Path, deals: FakeTable
) -> None:
    rules = pack(tmp_path, "rules:\n  - {id: r, kind: required, entity: opportunities, fields: [created_at]}\n")
    result = run_checks({"opportunities": deals}, rules, as_of=AS_OF)
    assert result.structural == [] and result.findings.empty
    assert result.absent == {"opportunities": ["created_at"]}
    assert result.outcomes[0].status == "not_evaluated"
    required = run_checks({"opportunities": deals}, rules, as_of=AS_OF, required={"opportunities": ["created_at"]})
    assert [(i.field, i.message) for i in required.structural] == [
        ("created_at", "required column 'created_at' is missing: no header maps to it (config `required:`)")
    ]


def test_a_check_that_raises_is_an_error_outcome_not_a_crash(tmp_path: Path, deals: FakeTable) -> None:
    rules = pack(tmp_path, "rules:\n  - {id: r, kind: range, entity: opportunities, fields: [stage], min: 3}\n")
    result = run_checks({"opportunities": deals}, rules, as_of=AS_OF)
    (outcome,) = result.outcomes
    assert outcome.status == "error"
    assert outcome.reason.startswith("check failed to run")


def test_checks_do_not_modify_the_data(tmp_path: Path, deals: FakeTable) -> None:
    before_raw, before_frame = deals.raw.copy(), deals.frame.copy()
    rules = pack(tmp_path, "rules:\n  - {id: u, kind: unique, entity: opportunities, fields: [owner]}\n")
    result = run_checks({"opportunities": deals}, rules, as_of=AS_OF)
    assert len(result.findings) == 4
    pd.testing.assert_frame_equal(deals.raw, before_raw)
    pd.testing.assert_frame_equal(deals.frame, before_frame)


def test_allowed_suggests_the_canonical_value(tmp_path: Path) -> None:
    deals = table("opportunities", {"opportunity_id": ["O1", "O2", "O3"], "stage": ["closed won", "Negotation", "Zz"]})
    rules = pack(tmp_path, "rules:\n  - {id: s, kind: allowed, entity: opportunities, fields: [stage]}\n")
    f = run_checks({"opportunities": deals}, rules, as_of=AS_OF).findings.set_index("record_id")
    assert f.loc["O1", "suggested_value"] == "Closed Won"
    assert f.loc["O2", "suggested_value"] == "Negotiation"
    assert pd.isna(f.loc["O3", "suggested_value"])


def test_staleness_uses_activities_and_shows_the_last_touch(tmp_path: Path) -> None:
    contacts = table(
        "contacts",
        {"contact_id": ["C1", "C2", "C3"]},
        {
            "updated_at": pd.to_datetime(["2024-01-01", "2024-01-01", "2026-10-01"]),
            "created_at": pd.to_datetime(["2023-01-01"] * 3),
        },
    )
    activities = table(
        "activities", {"activity_id": ["X"], "contact_id": ["C2"]}, {"occurred_at": pd.to_datetime(["2026-09-01"])}
    )
    rules = pack(
        tmp_path,
        """rules:
  - {id: stale, kind: staleness, entity: contacts, fields: [updated_at], days: 365, activity_key: contact_id}
""",
    )
    f = run_checks({"contacts": contacts, "activities": activities}, rules, as_of=AS_OF).findings
    assert f["record_id"].tolist() == ["C1"]
    assert f["message"].iloc[0] == "no update or activity for over 365 days (last touch 2024-01-01)"


def test_records_failed_are_counted_by_their_rows_not_by_hashing_each_finding_s_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Oracle: each outcome's failed records are the distinct ids of its findings (ids shared by several rows,
    rows failing on several fields, a record without an id named by its row); counted without `nunique` of them."""
    contacts = table(
        "contacts",
        {
            "contact_id": ["C1", "C1", "C2", None, "C3", None],
            "first_name": [None, None, "Ann", None, "Bo", None],
            "last_name": [None, "X", None, None, "Y", "Z"],
        },
    )
    rules = pack(
        tmp_path,
        """rules:
  - {id: names, kind: required, entity: contacts, fields: [first_name, last_name]}
  - {id: ids, kind: required, entity: contacts, fields: [contact_id]}
""",
    )
    monkeypatch.setattr(pd.Series, "nunique", lambda *a, **kw: pytest.fail("the findings' ids hashed"))
    result = run_checks({"contacts": contacts}, rules, as_of=AS_OF)
    monkeypatch.undo()
    expected = result.findings.groupby("rule_id")["record_id"].nunique()
    assert {o.rule_id: o.failed for o in result.outcomes} == {"names": 4, "ids": 2} == expected.to_dict()
