"""Enum value maps: presets on their fixtures, generic Polish values, the user's maps, notes, the preset claim."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from auditor.errors import ConfigError
from auditor.model import ENTITIES, Role
from auditor.sources import SourceOptions, load_export
from auditor.sources.aliases import PRESETS
from auditor.sources.mapping import detect_preset, map_columns
from auditor.sources.values import GENERIC, preset_values, value_key


def test_every_preset_map_targets_allowed_values() -> None:
    for name in (*PRESETS, GENERIC):
        values = preset_values(name)
        for entity_name, fields in values.maps.items():
            for field_name, table in fields.items():
                field = ENTITIES[entity_name].field(field_name)
                assert field.role is Role.ENUM and set(table.values()) <= set(field.allowed or ())
                assert all(key == value_key(key) for key in table)


def test_value_key_ignores_case_and_spaces() -> None:
    assert value_key("  Closed   WON ") == value_key("closed won") == "closed won"


def test_salesforce_stages_statuses_and_types(fixtures: Path) -> None:
    export = load_export(fixtures / "salesforce")
    deals = export.tables["opportunities"]
    assert deals.frame["stage"].tolist() == [
        "Qualification",
        "Proposal",
        "Negotiation",
        "Closed Won",
        "Closed Lost",
        "Prospecting",
        "Qualification",
        "Proposal",
        "Negotiation",
        "Closed Won",
        "Closed Lost",
        "Prospecting",
        "Qualification",
        "Proposal",
    ]
    assert deals.raw["stage"].tolist()[1:3] == ["Proposal/Price Quote", "Negotiation/Review"]
    assert set(deals.frame["type"]) == {"Upsell", "New Business"}
    assert deals.raw["type"].tolist()[0] == "Existing Customer - Upgrade"
    leads = export.tables["leads"]
    assert leads.frame["status"].tolist()[:4] == ["Working", "Converted", "Unqualified", "New"]
    assert leads.raw["status"].tolist()[:4] == [
        "Working - Contacted",
        "Closed - Converted",
        "Closed - Not Converted",
        "Open - Not Contacted",
    ]
    accounts = export.tables["accounts"]
    assert accounts.frame["status"].tolist()[:4] == ["Customer", "Prospect", "Prospect", "Customer"]
    assert accounts.raw["status"].tolist()[0] == "Customer - Direct"


def test_salesforce_notes_and_summary_say_what_was_mapped(fixtures: Path) -> None:
    export = load_export(fixtures / "salesforce")
    assert (
        "fixtures/salesforce/Opportunity.csv: StageName -> stage: 5 values mapped by preset:salesforce"
        " (Proposal/Price Quote -> Proposal, Negotiation/Review -> Negotiation)"
    ) in [n.replace(str(fixtures), "fixtures") for n in export.notes]
    (stage,) = [v for v in export.tables["opportunities"].values if v.field == "stage"]
    assert (stage.by, stage.rows, stage.source_column) == ("preset:salesforce", 5, "StageName")
    assert stage.pairs == (("Proposal/Price Quote", "Proposal", 3), ("Negotiation/Review", "Negotiation", 2))
    summary = {s["entity"]: s for s in export.summary()}
    (lead_values,) = summary["leads"]["values"]
    assert lead_values["field"] == "status" and lead_values["rows"] == 12 and lead_values["by"] == "preset:salesforce"
    assert {"value": "Working - Contacted", "canonical": "Working", "rows": 3} in lead_values["pairs"]


def test_hubspot_internal_ids_and_lifecycle_stages(fixtures: Path) -> None:
    export = load_export(fixtures / "hubspot")
    deals = export.tables["opportunities"]
    assert deals.frame["stage"].tolist()[:6] == [
        "Qualification",
        "Proposal",
        "Negotiation",
        "Closed Won",
        "Closed Lost",
        "Prospecting",
    ]
    assert deals.raw["stage"].tolist()[:2] == ["qualifiedtobuy", "presentationscheduled"]
    assert set(deals.frame["type"]) == {"New Business"} and set(deals.raw["type"]) == {"newbusiness"}
    companies = export.tables["accounts"]
    assert companies.frame["status"].tolist()[:5] == ["Customer", "Customer", "Prospect", "Prospect", "Prospect"]
    assert companies.raw["status"].tolist()[:3] == ["customer", "customer", "lead"]


def test_hubspot_ticket_stage_ids_labels_and_priorities(tmp_path: Path) -> None:
    path = tmp_path / "hubspot-crm-exports-all-tickets-2026-11-01.csv"
    path.write_text(
        "Ticket ID,Ticket name,Ticket status,Priority,Source,Create date,Ticket owner\n"
        "1,A,1,HIGH,EMAIL,2026-01-01,Jan\n"
        "2,B,2,LOW,FORM,2026-01-02,Jan\n"
        "3,C,Waiting on us,URGENT,CHAT,2026-01-03,Jan\n"
        "4,D, closed ,,PHONE,2026-01-04,Jan\n"
        "5,E,7,MEDIUM,EMAIL,2026-01-05,Jan\n"
    )
    table = load_export(path).tables["tickets"]
    assert table.frame["status"].tolist() == ["New", "Pending", "Open", "Closed", "7"]
    priority = table.frame["priority"].tolist()
    assert priority[:3] == ["High", "Low", "Urgent"] and pd.isna(priority[3]) and priority[4] == "Medium"
    assert table.frame["channel"].tolist() == ["Email", "Web", "Chat", "Phone", "Email"]
    assert table.raw["status"].tolist()[3] == " closed "


def test_pipedrive_status_decides_won_and_lost_deals(fixtures: Path) -> None:
    export = load_export(fixtures / "pipedrive")
    deals = export.tables["opportunities"]
    # status: won, lost, open, won, lost, open, won, lost, open, won, lost, open
    assert deals.frame["stage"].tolist() == [
        "Closed Won",
        "Closed Lost",
        "Negotiation",
        "Closed Won",
        "Closed Lost",
        "Proposal",
        "Closed Won",
        "Closed Lost",
        "Qualification",
        "Closed Won",
        "Closed Lost",
        "Qualification",
    ]
    assert deals.raw["stage"].tolist()[:3] == ["Contact Made", "Proposal Made", "Negotiations Started"]
    decided, mapped = deals.values
    assert decided.from_column == "Deal - Status" and decided.rows == 8
    assert decided.pairs == (("lost", "Closed Lost", 4), ("won", "Closed Won", 4))
    assert mapped.from_column is None and mapped.rows == 4
    assert any("8 values set from 'Deal - Status' by preset:pipedrive (lost -> Closed Lost" in n for n in export.notes)


def test_generic_polish_values_without_a_preset(tmp_path: Path) -> None:
    path = tmp_path / "opportunities.csv"
    path.write_text(
        "opportunity_id,account_id,stage,created_at\n"
        "1,A,Wygrana,2026-01-01\n"
        "2,A,  PRZEGRANA ,2026-01-01\n"
        "3,A,closedwon,2026-01-01\n"
        "4,A,Won,2026-01-01\n"
        "5,A,Closed Won,2026-01-01\n"
    )
    export = load_export(path)
    table = export.tables["opportunities"]
    # no CRM is claimed, so HubSpot's "closedwon" is not translated; "Won" is not in any map
    assert table.frame["stage"].tolist() == ["Closed Won", "Closed Lost", "closedwon", "Won", "Closed Won"]
    assert table.raw["stage"].tolist()[1] == "  PRZEGRANA "
    (generic,) = table.values
    assert generic.by == "generic" and generic.rows == 2
    assert not any("look like" in n for n in export.notes)


def test_user_maps_come_first_and_apply_everywhere(tmp_path: Path, fixtures: Path) -> None:
    shutil.copy(fixtures / "salesforce" / "Opportunity.csv", tmp_path / "Opportunity.csv")
    with (tmp_path / "Opportunity.csv").open("a", encoding="utf-8") as file:
        file.write(
            '"0065g00000XyZ099AA","0015g00000XyZ001AA","Extra","Verbal Yes","1.00","90","2026-03-15",'
            '"New Business","Web","false","false","USD","","0055g00000AbCdGAAV",'
            '"2026-02-14T08:45:00.000Z","2026-09-14T16:20:00.000Z"\n'
        )
    options = SourceOptions(
        values={"opportunities": {"stage": {"verbal yes": "Negotiation", "Proposal/Price Quote": "Negotiation"}}}
    )
    export = load_export(tmp_path, options)
    table = export.tables["opportunities"]
    assert table.frame["stage"].tolist()[-1] == "Negotiation" and table.raw["stage"].tolist()[-1] == "Verbal Yes"
    assert table.frame["stage"].tolist()[1] == "Negotiation"  # the config beats the preset
    by = {v.by: v for v in table.values if v.field == "stage"}
    assert by["config"].rows == 4 and by["preset:salesforce"].pairs == (("Negotiation/Review", "Negotiation", 2),)
    assert any("StageName -> stage: 4 values mapped by config" in n for n in export.notes)


def test_user_maps_on_a_declared_enum_extra(tmp_path: Path) -> None:
    from auditor.model import ExtraField

    path = tmp_path / "contacts.csv"
    path.write_text("contact_id,tier\n1,Złoty\n2,gold\n3,Platinum\n")
    options = SourceOptions(
        extra_fields={"contacts": {"tier": ExtraField("tier", Role.ENUM, allowed=("gold", "silver"))}},
        values={"contacts": {"tier": {"Złoty": "gold"}}},
    )
    table = load_export(path, options).tables["contacts"]
    assert table.frame["tier"].tolist() == ["gold", "gold", "Platinum"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"opportunities": {"amount": {"a": "b"}}}, "'amount' is not an enum field"),
        ({"opportunities": {"stage": {"Won": "Closed-Won"}}}, "'Won' -> 'Closed-Won' is not an allowed value"),
        ({"oportunities": {"stage": {"Won": "Closed Won"}}}, "did you mean 'opportunities'"),
    ],
)
def test_bad_user_maps_are_config_errors(tmp_path: Path, values: dict, message: str) -> None:
    (tmp_path / "opportunities.csv").write_text("opportunity_id,stage\n1,Won\n")
    with pytest.raises(ConfigError, match=message):
        load_export(tmp_path, SourceOptions(values=values))


def test_mapping_is_vectorized_over_unique_values(tmp_path: Path) -> None:
    rows = 200_000
    stages = pd.Series(["Proposal/Price Quote", "Closed Won", "Negotiation/Review", "custom"] * (rows // 4))
    frame = pd.DataFrame({"Id": range(rows), "StageName": stages, "AccountId": "a", "OwnerId": "005"})
    frame.to_csv(tmp_path / "Opportunity.csv", index=False)
    table = load_export(tmp_path).tables["opportunities"]
    assert table.frame["stage"].value_counts().to_dict() == {
        "Proposal": rows // 4,
        "Closed Won": rows // 4,
        "Negotiation": rows // 4,
        "custom": rows // 4,
    }
    (mapped,) = table.values
    assert mapped.rows == rows // 2


def test_checks_no_longer_flag_standard_salesforce_values(fixtures: Path) -> None:
    from auditor import check

    findings = check(fixtures / "salesforce").findings
    rules = set(findings["rule_id"])
    assert "opportunities.stage.allowed" not in rules and "leads.status.allowed" not in rules
    assert "contacts.contact_id.unique" not in rules  # the report export no longer sits next to Contact.csv


# --- which CRM a file's headers belong to -------------------------------------------------------


def test_canonical_headers_claim_no_crm(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("account_id,name,country,created_at\n1,Acme,PL,2026-01-01\n")
    export = load_export(path)
    assert not any("look like" in n for n in export.notes)
    assert detect_preset("accounts", ["account_id", "name", "country", "created_at"]) is None
    assert detect_preset("contacts", ["Id", "FirstName", "LastName", "Email", "Phone"]) is None


def test_a_spelling_two_crms_share_claims_neither_but_still_maps() -> None:
    headers = ["contact_id", "first_name", "last_name", "email", "Contact Owner"]
    assert detect_preset("contacts", headers) is None
    mapped = map_columns("contacts", headers, "x")
    assert mapped.preset is None
    assert {c.source_column: (c.field, c.how) for c in mapped.columns}["Contact Owner"] == ("owner", "alias")


def test_distinctive_headers_claim_their_crm() -> None:
    assert detect_preset("contacts", ["Id", "FirstName", "MailingCity", "Contact Owner"]) == "salesforce"
    assert detect_preset("contacts", ["Record ID", "First Name", "Contact owner", "Lifecycle Stage"]) is None
    assert detect_preset("contacts", ["Contact ID", "First Name", "Mobile Phone Number"]) == "hubspot"
    assert (
        detect_preset("opportunities", ["Deal - ID", "Deal - Currency", "Deal - Expected close date", "Deal owner"])
        == "pipedrive"
    )


def test_canonical_account_headers_are_accounts_not_a_split_contact_name(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text("account_id,name,country,created_at\n1,Acme,PL,2026-01-01\n")
    export = load_export(tmp_path)
    assert list(export.tables) == ["accounts"]
    assert any("export.csv: accounts (4 of 4 headers fit" in n for n in export.notes)
