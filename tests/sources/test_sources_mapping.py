"""Column mapping: presets on their fixtures, explicit mapping, extra fields, full names, the summary."""

from pathlib import Path

import pandas as pd
import pytest

from auditor.model import ExtraField, Role
from auditor.sources import ColumnMapping, SourceOptions, load_export
from auditor.sources.aliases import header_key
from auditor.sources.mapping import map_columns, split_full_name


def test_header_key_ignores_case_accents_and_punctuation() -> None:
    assert header_key("First Name") == header_key("first_name") == header_key("FIRST-NAME")
    assert header_key("Imię") == header_key("imie")
    assert header_key("Właściciel") == "wlasciciel"


def test_salesforce_data_loader_exports(fixtures: Path) -> None:
    export = load_export(fixtures / "salesforce")
    assert sorted(export.tables) == ["accounts", "campaigns", "contacts", "leads", "opportunities", "tickets"]
    contacts = {c.source_column: (c.field, c.how) for c in export.tables["contacts"].columns}
    assert contacts["Id"] == ("contact_id", "preset:salesforce")
    assert contacts["AccountId"] == ("account_id", "canonical")
    assert contacts["MailingPostalCode"] == ("postal_code", "preset:salesforce")
    assert contacts["MailingCountry"] == ("country", "preset:salesforce")
    assert contacts["HasOptedOutOfEmail"] == ("email_opt_out", "preset:salesforce")
    assert contacts["CreatedDate"] == ("created_at", "preset:salesforce")
    assert contacts["Name"] == ("Name", "kept")  # FirstName/LastName exist, so no split
    opportunities = {c.source_column: c.field for c in export.tables["opportunities"].columns}
    assert opportunities["StageName"] == "stage"
    assert opportunities["CloseDate"] == "close_date"
    assert opportunities["Loss_Reason__c"] == "loss_reason"
    assert opportunities["IsWon"] == "IsWon"
    leads = {c.source_column: c.field for c in export.tables["leads"].columns}
    assert leads["ConvertedContactId"] == "converted_contact_id" and leads["OwnerId"] == "owner"
    accounts = {c.source_column: c.field for c in export.tables["accounts"].columns}
    assert accounts["BillingCountry"] == "country" and accounts["NumberOfEmployees"] == "employees"
    for table in export.tables.values():
        assert table.missing_fields == ()


def test_salesforce_typing(fixtures: Path) -> None:
    export = load_export(fixtures / "salesforce")
    contacts = export.tables["contacts"]
    assert contacts.frame["created_at"].dtype == "datetime64[ns]"
    assert contacts.frame["created_at"].tolist()[0] == pd.Timestamp("2026-03-01 10:15")
    assert contacts.frame["email_opt_out"].dtype == "boolean"
    opportunities = export.tables["opportunities"].frame
    assert opportunities["amount"].dtype == "float64" and opportunities["probability"].dtype == "float64"
    assert export.tables["accounts"].frame["employees"].dtype == "Int64"


def test_salesforce_report_export(fixtures: Path) -> None:
    export = load_export(fixtures / "salesforce-report")
    contacts = export.tables["contacts"]
    assert contacts.sources is None and len(contacts.raw) == 10
    assert contacts.row_numbers.tolist()[0] == 2
    report_map = {c.source_column: c.field for c in contacts.columns}
    assert report_map["Contact Owner"] == "owner" and report_map["Mailing Country"] == "country"
    assert report_map["Contact ID"] == "contact_id"
    # report dates are US m/d/yyyy labels
    assert contacts.frame["created_at"].tolist()[0] == pd.Timestamp("2026-03-01")
    assert contacts.source_of(contacts.raw.index[-1]).endswith("report_contacts.csv")


def test_salesforce_folder_holds_each_contact_once(fixtures: Path) -> None:
    contacts = load_export(fixtures / "salesforce").tables["contacts"]
    assert contacts.sources is None and len(contacts.raw) == 15
    assert contacts.raw["contact_id"].is_unique


def test_hubspot_exports(fixtures: Path) -> None:
    export = load_export(fixtures / "hubspot")
    assert sorted(export.tables) == ["accounts", "contacts", "opportunities", "tickets"]
    contacts = {c.source_column: (c.field, c.how) for c in export.tables["contacts"].columns}
    assert contacts["Record ID"] == ("contact_id", "preset:hubspot")
    assert contacts["Phone Number"] == ("phone", "preset:hubspot")
    assert contacts["Associated Company IDs"] == ("account_id", "preset:hubspot")
    assert contacts["Contact owner"] == ("owner", "preset:hubspot")
    assert contacts["Create Date"] == ("created_at", "preset:hubspot")
    assert contacts["Lifecycle Stage"] == ("Lifecycle Stage", "kept")
    deals = {c.source_column: c.field for c in export.tables["opportunities"].columns}
    assert deals["Deal Stage"] == "stage" and deals["Deal Name"] == "name" and deals["Deal owner"] == "owner"
    assert deals["Closed Lost Reason"] == "loss_reason" and deals["Associated Company IDs"] == "account_id"
    companies = {c.source_column: c.field for c in export.tables["accounts"].columns}
    assert companies["Company name"] == "name" and companies["Country/Region"] == "country"
    assert export.tables["contacts"].frame["created_at"].tolist()[0] == pd.Timestamp("2026-02-01 10:01")


def test_pipedrive_exports_split_full_name(fixtures: Path) -> None:
    export = load_export(fixtures / "pipedrive")
    persons = export.tables["contacts"]
    split = [c for c in persons.columns if c.source_column == "Person - Name"]
    assert [(c.field, c.how) for c in split] == [("first_name", "alias"), ("last_name", "alias")]
    assert persons.raw["first_name"].tolist()[:2] == ["Jan", "Anna"]
    assert persons.raw["last_name"].tolist()[9] == "Cher" and pd.isna(persons.raw["first_name"].tolist()[9])
    assert any("split into first_name and last_name" in n for n in export.notes)
    deals = {c.source_column: c.field for c in export.tables["opportunities"].columns}
    assert deals["Deal - Title"] == "name" and deals["Deal - Value"] == "amount"
    assert deals["Deal - Expected close date"] == "close_date" and deals["Deal - Lost reason"] == "loss_reason"
    assert deals["Organization - ID"] == "account_id" and deals["Deal - Won time"] == "Deal - Won time"


def test_explicit_mapping_wins_and_can_ignore(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("Kod klienta,Email,Mail prywatny,Notatka\n1,a@x.pl,b@y.pl,hello\n")
    options = SourceOptions(
        mapping={"contacts": {"Kod klienta": "contact_id", "Mail prywatny": "email", "Notatka": None}}
    )
    export = load_export(path, options)
    table = export.tables["contacts"]
    columns = {c.source_column: c for c in table.columns}
    assert columns["Kod klienta"] == ColumnMapping("Kod klienta", "contact_id", "explicit", 1.0)
    assert columns["Mail prywatny"].field == "email" and columns["Mail prywatny"].how == "explicit"
    assert columns["Email"].how == "kept"
    assert columns["Notatka"] == ColumnMapping("Notatka", None, "ignored", 1.0)
    assert "Notatka" not in table.raw and table.raw["email"].tolist() == ["b@y.pl"]
    assert any("'Notatka' ignored" in n for n in export.notes)


def test_extra_fields_are_typed_by_role(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(
        'account_id,name,country,NIP,Last Order,Credit Limit\n1,Acme,PL,526-000-12-46,01.03.2026,"1 234,50"\n'
    )
    options = SourceOptions(
        extra_fields={
            "accounts": {
                "last_order": ExtraField("last_order", Role.DATE),
                "credit_limit": ExtraField("credit_limit", Role.MONEY),
            }
        }
    )
    table = load_export(path, options).tables["accounts"]
    columns = {c.source_column: (c.field, c.how) for c in table.columns}
    assert columns["Last Order"] == ("last_order", "extra")
    assert columns["NIP"] == ("NIP", "kept")
    assert table.frame["last_order"].tolist() == [pd.Timestamp("2026-03-01")]
    assert table.frame["credit_limit"].tolist() == [1234.5]
    assert table.frame["NIP"].tolist() == ["526-000-12-46"]


def test_unknown_entity_in_options_is_a_config_error(tmp_path: Path) -> None:
    from auditor.errors import ConfigError

    (tmp_path / "contacts.csv").write_text("contact_id\n1\n")
    with pytest.raises(ConfigError, match="did you mean 'contacts'"):
        load_export(tmp_path, SourceOptions(files={"*.csv": "contactz"}))


def test_generic_polish_aliases() -> None:
    headers = [
        "Imię",
        "Nazwisko",
        "Adres e-mail",
        "Tel.",
        "Kod pocztowy",
        "Miasto",
        "Kraj",
        "NIP",
        "Data utworzenia",
        "Właściciel",
    ]
    mapped = {c.source_column: c.field for c in map_columns("contacts", headers, "x").columns}
    assert mapped == {
        "Imię": "first_name",
        "Nazwisko": "last_name",
        "Adres e-mail": "email",
        "Tel.": "phone",
        "Kod pocztowy": "postal_code",
        "Miasto": "city",
        "Kraj": "country",
        "NIP": "NIP",
        "Data utworzenia": "created_at",
        "Właściciel": "owner",
    }
    deals = {
        c.source_column: c.field
        for c in map_columns("opportunities", ["Kwota", "Waluta", "Etap", "Firma"], "x").columns
    }
    assert deals == {"Kwota": "amount", "Waluta": "currency", "Etap": "stage", "Firma": "Firma"}


def test_fuzzy_header_has_lower_confidence() -> None:
    (column,) = map_columns("contacts", ["Email Adress"], "x").columns
    assert column.field == "email" and column.how == "alias" and column.confidence < 0.7


def test_one_header_can_feed_two_fields() -> None:
    columns = map_columns("tickets", ["Id", "CreatedDate", "Status", "Origin"], "x").columns
    by_field = {c.field: c.source_column for c in columns}
    assert by_field["opened_at"] == by_field["created_at"] == "CreatedDate"


def test_split_full_name() -> None:
    first, last = split_full_name(pd.Series(["Jan Maria Kowalski", " Cher ", None], dtype="str"))
    assert first.tolist()[0] == "Jan Maria" and first.isna().tolist() == [False, True, True]
    assert last.tolist()[:2] == ["Kowalski", "Cher"] and pd.isna(last.tolist()[2])


def test_summary_lists_every_column(fixtures: Path) -> None:
    export = load_export(fixtures / "hubspot")
    summary = {s["entity"]: s for s in export.summary()}
    contacts = summary["contacts"]
    assert contacts["format"] == "csv" and contacts["rows"] == 15 and contacts["delimiter"] == ","
    assert contacts["source"].endswith("hubspot-crm-exports-all-contacts-2026-11-01.csv")
    assert len(contacts["columns"]) == 14
    assert {"source_column": "Email", "field": "email", "how": "canonical", "confidence": 1.0} in contacts["columns"]


def test_missing_required_fields(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("contact_id,email\n1,a@x.pl\n")
    export = load_export(path)
    assert export.tables["contacts"].missing_fields == ("first_name", "last_name", "created_at")
    assert any("required field(s) first_name, last_name, created_at" in n for n in export.notes)


def test_plausibility_reads_only_what_could_undo_a_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A column mostly of ISO dates is plausible without its other forms read, and a column of a field no
    format judges (an id, a name) is not even sampled."""
    from auditor.sources import mapping

    sampled: list[str] = []
    samples = mapping._samples
    monkeypatch.setattr(
        mapping, "_samples", lambda columns: sampled.extend(str(c.name) for c in columns) or samples(columns)
    )

    def other_forms_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("the sample's other forms were read")

    monkeypatch.setattr(mapping, "parse_datetime", other_forms_read)
    (tmp_path / "contacts.csv").write_text(
        "contact_id,first_name,created_at\nC1,Anna,2024-01-02\nC2,Jan,2024-02-03T10:00:00\nC3,Ola,31.02.2024\n",
        encoding="utf-8",
    )
    table = load_export(tmp_path).tables["contacts"]
    assert sampled == ["created_at"]
    assert table.frame["created_at"].notna().tolist() == [True, True, False]
