"""Every CRM preset on a sample export with that CRM's real header names: the standard objects
are detected, with a stated confidence and CRM, and mapped onto the model with no core finding
on the well-formed samples of tickets and campaigns."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from auditor.checks.engine import run_checks
from auditor.checks.packs import load_rules
from auditor.cli import main
from auditor.sources import load_export

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

EXPECTED = {
    "salesforce": {
        "Account.csv": "accounts",
        "Contact.csv": "contacts",
        "Lead.csv": "leads",
        "Opportunity.csv": "opportunities",
        "Case.csv": "tickets",
        "Campaign.csv": "campaigns",
    },
    "hubspot": {
        "hubspot-crm-exports-all-contacts-2026-11-01.csv": "contacts",
        "hubspot-crm-exports-all-companies-2026-11-01.csv": "accounts",
        "hubspot-crm-exports-all-deals-2026-11-01.csv": "opportunities",
        "hubspot-crm-exports-all-tickets-2026-11-01.csv": "tickets",
    },
    "pipedrive": {"people-export.csv": "contacts", "deals-export.csv": "opportunities"},
}


@pytest.mark.parametrize("crm", sorted(EXPECTED))
def test_each_standard_object_is_detected_with_its_crm_and_confidence(crm: str) -> None:
    export = load_export(FIXTURES / crm)
    found = {Path(t.source).name: t for t in export.tables.values()}
    assert {name: t.entity for name, t in found.items()} == EXPECTED[crm]
    for table in found.values():
        assert table.detection is not None and table.detection.crm == crm
        assert 0.9 <= table.detection.confidence <= 1.0 and table.detection.reason
        assert table.missing_fields == ()
    for summary in export.summary():
        assert summary["detection"]["crm"] == crm and summary["detection"]["confidence"] >= 0.9


def _fields(table) -> dict[str, str | None]:
    return {c.source_column: c.field for c in table.columns}


def test_salesforce_case_and_campaign() -> None:
    export = load_export(FIXTURES / "salesforce")
    case = export.tables["tickets"]
    fields = _fields(case)
    assert fields["Id"] == "ticket_id" and fields["Origin"] in ("channel", "source")
    assert fields["ClosedDate"] == "resolved_at" and fields["AccountId"] == "account_id"
    assert case.frame["status"].tolist()[:6] == ["Closed", "Open", "New", "Open", "Closed", "Pending"]
    assert set(case.frame["priority"]) == {"High", "Medium", "Low"}
    campaign = export.tables["campaigns"]
    fields = _fields(campaign)
    assert fields["NumberSent"] == "sent" and fields["ActualCost"] == "cost" and fields["Type"] == "channel"
    assert fields["AmountWonOpportunities"] == "attributed_revenue"
    assert set(campaign.frame["channel"]) == {"Email", "Webinar", "Event", "Display"}
    assert campaign.frame["start_date"].tolist()[0] == pd.Timestamp("2026-03-01")


def test_hubspot_tickets() -> None:
    tickets = load_export(FIXTURES / "hubspot").tables["tickets"]
    fields = _fields(tickets)
    assert fields["Ticket ID"] == "ticket_id" and fields["Ticket status"] == "status"
    assert fields["Create date"] in ("opened_at", "created_at") and fields["Close date"] == "resolved_at"
    assert fields["First agent email response date"] == "first_response_at"
    assert tickets.frame["status"].tolist()[:4] == ["Closed", "Pending", "New", "Open"]
    assert tickets.frame["priority"].tolist()[:4] == ["High", "Medium", "Low", "Urgent"]
    assert tickets.frame["channel"].tolist()[:4] == ["Email", "Chat", "Web", "Phone"]


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_new_samples_pass_the_core_pack(crm: str) -> None:
    export = load_export(FIXTURES / crm)
    checked = run_checks(export.tables, load_rules([]), as_of=pd.Timestamp("2026-11-01"))
    on_new = checked.findings[checked.findings["entity"].isin(["tickets", "campaigns"])]
    assert on_new.empty, on_new[["rule_id", "record_id", "message"]].to_string()


def test_mapping_command_states_the_detection(capsys) -> None:
    assert main(["mapping", str(FIXTURES / "hubspot"), "--format", "json"]) == 0
    tables = json.loads(capsys.readouterr().out)["tables"]
    assert {t["entity"]: t["detection"]["crm"] for t in tables} == dict.fromkeys(
        ["accounts", "contacts", "opportunities", "tickets"], "hubspot"
    )
    assert main(["mapping", str(FIXTURES / "salesforce")]) == 0
    assert "confidence 1.00, salesforce export" in capsys.readouterr().out.replace("\n", " ")
