"""The generic rules of rules/realworld.yaml and what they rest on: rules written once for every entity
and every column, a wildcard rule adding only what the specific rules did not report, a CRM's own
picklist values named once, a code for "no value" read as missing, and the loader's side (compressed
files, name mappings undone when the values disagree)."""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.engine import run_checks
from auditor.checks.kinds import allowed, timeline
from auditor.checks.kinds.misspelt import corrected
from auditor.checks.kinds.timeline import step
from auditor.checks.packs import load_rules
from auditor.errors import ConfigError, InputError
from auditor.sources import load_export

AS_OF = pd.Timestamp("2026-10-31")


def _pack(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pack.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _check(tmp_path: Path, name: str, text: str, rules=None):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    export = load_export(path)
    return export, run_checks(export.tables, rules or load_rules(), as_of=AS_OF)


def _found(result, rule_id: str) -> pd.DataFrame:
    return result.findings[result.findings["rule_id"] == rule_id]


def _outcome(result, rule_id: str):
    (outcome,) = [o for o in result.outcomes if o.rule_id == rule_id]
    return outcome


# ------------------------------------------------------------------------------------------ packs


def test_a_rule_for_every_entity_gets_one_id_per_entity() -> None:
    rules = {r.id: r for r in load_rules()}
    assert rules["contacts.sentinel"].template == "sentinel"
    assert rules["orders.exact_copy"].fields == ("*",)
    assert rules["contacts.sentinel"].origin.startswith("rules/realworld.yaml:")
    assert rules["contacts.email.format"].template is None


def test_disable_and_override_by_short_or_full_id(tmp_path: Path) -> None:
    pack = _pack(
        tmp_path,
        "pack: mine\noverride:\n  - {id: sentinel, severity: error}\ndisable: [misspelt, orders.odd_format]\n",
    )
    rules = {r.id: r for r in load_rules([pack])}
    assert not any(r.template == "misspelt" for r in rules.values())
    assert "orders.odd_format" not in rules and "contacts.odd_format" in rules
    assert {r.severity.value for r in rules.values() if r.template == "sentinel"} == {"error"}
    assert rules["tickets.sentinel"].template == "sentinel"


def test_a_wildcard_rule_in_a_user_pack_and_an_unknown_short_id(tmp_path: Path) -> None:
    pack = _pack(tmp_path, 'rules:\n  - {id: mine.odd, kind: odd_format, entity: contacts, fields: ["*"]}\n')
    assert any(r.id == "mine.odd" and r.is_wildcard for r in load_rules([pack]))
    bad = _pack(tmp_path, "disable: [sentinal]\n")
    with pytest.raises(ConfigError, match="cannot disable an unknown rule"):
        load_rules([bad])


# ------------------------------------------------------------------------------------------ engine


def test_a_wildcard_rule_reports_unmapped_columns_but_never_a_cell_twice(tmp_path: Path) -> None:
    rows = "".join(f"C{i},Anna,Nowak{i},a{i}@firma.pl,gold\n" for i in range(5))
    text = "contact_id,first_name,last_name,email,Loyalty Tier\n" + rows + "C9,Jan,n/a,j@firma.pl,?\n"
    _, result = _check(tmp_path, "contacts.csv", text)
    # "n/a" as a last name: the placeholder rule about names, not also the sentinel rule
    assert _found(result, "contacts.name.placeholder")["value"].tolist() == ["n/a"]
    sentinel = _found(result, "contacts.sentinel")
    assert sentinel[["field", "value", "record_id"]].values.tolist() == [["Loyalty Tier", "?", "C9"]]
    assert sentinel["message"].tolist() == ["Loyalty Tier holds '?', a stand-in for a missing value"]


def test_a_code_held_by_most_of_a_column_is_its_empty_value(tmp_path: Path) -> None:
    rows = "".join(f"C{i},a{i}@firma.pl,?\n" for i in range(8)) + "C8,b@firma.pl,CHG1\nC9,c@firma.pl,CHG2\n"
    _, result = _check(tmp_path, "contacts.csv", "contact_id,email,caused_by\n" + rows)
    assert _found(result, "contacts.sentinel").empty
    reason = _outcome(result, "contacts.sentinel").reason
    assert reason == "caused_by: '?' on 80.0% of the filled cells is how this column writes 'empty'; not reported"


def test_frequent_values_outside_the_model_are_the_crms_own_picklist(tmp_path: Path) -> None:
    rows = [f"T{i},Active,2026-01-0{1 + i % 9}" for i in range(25)] + ["T90,Closed,2026-01-05", "T91,-100,2026-01-05"]
    _, result = _check(tmp_path, "tickets.csv", "ticket_id,status,opened_at\n" + "\n".join(rows) + "\n")
    found = _found(result, "tickets.status.allowed")
    assert found["value"].tolist() == ["-100"]
    reason = _outcome(result, "tickets.status.allowed").reason
    assert reason.startswith("status: 'Active' (25 records) are this export's own values, not the model's")


def test_a_missing_value_code_in_a_date_is_missing_not_malformed(tmp_path: Path) -> None:
    rows = "T1,Closed,2026-01-01,?\nT2,Closed,2026-01-01,2026-01-02\nT3,Closed,2026-01-01,yesterday\n"
    _, result = _check(tmp_path, "tickets.csv", "ticket_id,status,opened_at,resolved_at\n" + rows)
    assert _found(result, "tickets.resolved_at.required")["record_id"].tolist() == ["T1"]
    assert _found(result, "tickets.type")["value"].tolist() == ["yesterday"]


def test_dates_in_the_wrong_order_by_their_names(tmp_path: Path) -> None:
    rows = [
        "T1,2026-01-01 10:00,2026-01-02 10:00,01/01/2026 09:00",  # closed (d/m/Y, unmapped) before resolved
        "T2,2026-01-01 10:00,2026-01-02 10:00,03/01/2026 09:00",
        "T3,2026-01-05 10:00,2026-01-02 10:00,",  # resolved before opened: the core rule's
        "T4,2026-01-01 10:00,2026-01-02 10:00,15/01/2026 09:00",
    ]
    text = "ticket_id,opened_at,resolved_at,closed_at\n" + "\n".join(rows) + "\n"
    _, result = _check(tmp_path, "tickets.csv", text)
    timeline = _found(result, "tickets.timeline")
    assert timeline[["record_id", "field"]].values.tolist() == [["T1", "closed_at"]]
    assert timeline["message"].tolist() == [
        "closed_at out of order: 2026-01-01 09:00:00 is before opened_at 2026-01-01 10:00:00"
    ]
    assert _found(result, "tickets.response.order")["record_id"].tolist() == ["T3"]


def test_each_date_column_is_clipped_and_told_date_only_once_not_once_per_pair(tmp_path: Path, monkeypatch) -> None:
    """Four dates of a ticket, compared pairwise by their names: a column's dates after tomorrow are dropped and its
    'dates only' told once while it is checked (a few pandas passes each), not again for every pair it is in."""
    told: list[int] = []
    clip = timeline._Clipped.__init__
    monkeypatch.setattr(
        timeline._Clipped, "__init__", lambda self, dates, as_of: told.append(len(dates)) or clip(self, dates, as_of)
    )
    rows = [f"T{i},2026-01-0{i} 10:00,2026-01-0{i + 1} 10:00,2026-01-0{i + 2} 10:00,2026-01-0{i + 3}" for i in (1, 2)]
    text = "ticket_id,opened_at,first_response_at,resolved_at,closed_date\n" + "\n".join(rows) + "\n"
    _, result = _check(tmp_path, "tickets.csv", text)
    assert _found(result, "tickets.timeline").empty
    # once for the column under check and once for each earlier column it is compared with (whose own is dropped
    # when its check ends: a million rows' dates per column are not all held), not twice for every pair (9 here)
    assert len(told) == 7


def test_implausible_births_in_a_mapped_date_and_an_unmapped_year(tmp_path: Path) -> None:
    text = (
        "contact_id,email,birth_date,Year_Birth,Income\n"
        "C1,a@x.pl,1980-02-03,1893,1893\n"  # a year of birth 133 years before as_of; Income is no birth
        "C2,b@x.pl,1910-02-03,1957,58000\n"  # 116 years old: the range rule (min 1900) lets it pass
        "C3,c@x.pl,1850-01-01,1899,\n"  # before 1900: the core range rule's, reported once
        "C4,d@x.pl,,1977,\n"
    )
    _, result = _check(tmp_path, "contacts.csv", text)
    birth = _found(result, "contacts.birth")
    assert birth[["record_id", "field"]].values.tolist() == [
        ["C2", "birth_date"],
        ["C1", "Year_Birth"],
        ["C3", "Year_Birth"],
    ]
    assert _found(result, "contacts.birth_date.range")["record_id"].tolist() == ["C3"]
    assert birth["message"].iloc[1] == (
        "Year_Birth '1893' is no plausible birth: after the as-of date, or more than 110 years before it"
    )


def test_numbers_written_as_text_in_a_column_of_plain_numbers(tmp_path: Path) -> None:
    rows = [f"O{i},{i + 10},{i}.5" for i in range(40)]
    rows[3] = "O3,1 234,3.5"
    rows[7] = 'O7,17,"1,234.50"'
    rows[9] = "O9,19 ,9.5"
    text = "ref,units,price\n" + "\n".join(rows) + "\n"
    _, result = _check(tmp_path, "campaigns.csv", text)
    found = _found(result, "campaigns.number_as_text")
    assert found[["record_id", "field", "value", "suggested_value"]].values.tolist() == [
        ["row:5", "units", "1 234", "1234"],
        ["row:11", "units", "19 ", "19"],
        ["row:9", "price", "1,234.50", "1234.50"],
    ]


def test_steps_are_read_from_column_names() -> None:
    assert [step(n) for n in ("created_at", "first_response_at", "resolved_at", "ClosedDate", "LastModifiedDate")] == [
        0,
        1,
        2,
        3,
        0.5,
    ]
    assert step("birth_date") is None and step("amount") is None


def test_copies_need_a_time_or_an_id_to_be_copies(tmp_path: Path) -> None:
    lines = "Invoice,StockCode,Quantity,InvoiceDate,Price\n" + "536365,85123A,6,2010-12-01 08:26,2.55\n" * 3
    _, result = _check(tmp_path, "orders.csv", lines)
    assert _found(result, "orders.exact_copy")["row"].tolist() == [3, 4]
    people = "recency,zip_code,channel\n" + "10,Urban,Web\n" * 3
    _, result = _check(tmp_path, "contacts.csv", people)
    assert _found(result, "contacts.exact_copy").empty


@pytest.mark.parametrize(
    ("value", "fixed"),
    [("Surburban", "Suburban"), ("Weekly Newsleter", "Weekly Newsletter"), ("Urban", None), ("Upsell", None)],
)
def test_misspelt_words_and_known_ones(value: str, fixed: str | None) -> None:
    assert corrected(value) == fixed


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=30))
def test_misspelling_never_raises_and_never_changes_a_fine_value(value: str) -> None:
    fixed = corrected(value)
    assert fixed is None or (fixed != value and len(fixed.split()) == len(value.split()))


# ------------------------------------------------------------------------------------------ loading


@pytest.mark.parametrize(
    ("suffix", "compress"), [(".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress)]
)
def test_compressed_files_are_read_as_the_file_inside(tmp_path: Path, suffix: str, compress) -> None:
    path = tmp_path / f"contacts.csv{suffix}"
    path.write_bytes(compress(b"contact_id,email\nC1,a@firma.pl\n"))
    table = load_export(tmp_path).tables["contacts"]
    assert table.frame["email"].tolist() == ["a@firma.pl"]


def test_a_broken_compressed_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08not really gzip")
    with pytest.raises(InputError, match=r"contacts\.csv\.gz.*cannot decompress \.gz file"):
        load_export(path)


def test_a_mapping_by_name_is_undone_when_the_values_disagree(tmp_path: Path) -> None:
    text = "email,zip_code\n" + "".join(f"a{i}@x.pl,{z}\n" for i, z in enumerate(["Urban", "Rural", "Surburban"] * 3))
    export, _ = _check(tmp_path, "contacts.csv", text)
    table = export.tables["contacts"]
    assert "postal_code" not in table.frame.columns and "zip_code" in table.frame.columns
    assert any("'zip_code' is named like 'postal_code', but 0% of its values look like one" in n for n in export.notes)


def test_a_mapping_the_config_states_is_kept(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("email,zip_code\na@x.pl,Urban\n", encoding="utf-8")
    (tmp_path / "crm-audit.yaml").write_text("mapping: {contacts: {zip_code: postal_code}}\n", encoding="utf-8")
    from auditor.pipeline import resolve_config

    export = load_export(tmp_path, resolve_config(tmp_path, None).source_options())
    assert export.tables["contacts"].frame["postal_code"].tolist() == ["Urban"]


def test_an_undone_mapping_leaves_a_declared_extra_field_alone(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("email,zip_code\na@x.pl,Urban\nb@x.pl,Rural\n", encoding="utf-8")
    (tmp_path / "crm-audit.yaml").write_text(
        "extra_fields:\n  contacts:\n    zip_code: {role: enum, allowed: [Urban, Rural]}\n", encoding="utf-8"
    )
    from auditor.pipeline import resolve_config

    export = load_export(tmp_path, resolve_config(tmp_path, None).source_options())
    table = export.tables["contacts"]
    assert list(table.frame.columns) == ["email", "zip_code"]
    assert [(c.source_column, c.field, c.how) for c in table.columns if c.source_column == "zip_code"] == [
        ("zip_code", "zip_code", "extra")
    ]


def test_a_crms_own_picklist_is_counted_once_for_the_check_and_its_note(tmp_path: Path, monkeypatch) -> None:
    """The values outside the model's set that many records hold are counted once per column, not once by the check
    and again by the note that names them."""
    counted: list[str] = []
    count = allowed._own_picklist
    monkeypatch.setattr(
        allowed, "_own_picklist", lambda values, *args: counted.append(str(values.name)) or count(values, *args)
    )
    rows = [f"T{i},Active,2026-01-0{1 + i % 9}" for i in range(25)] + ["T91,-100,2026-01-05"]
    _, result = _check(tmp_path, "tickets.csv", "ticket_id,status,opened_at\n" + "\n".join(rows) + "\n")
    assert _found(result, "tickets.status.allowed")["value"].tolist() == ["-100"]
    assert _outcome(result, "tickets.status.allowed").reason.startswith("status: 'Active' (25 records)")
    assert counted == ["status"]
