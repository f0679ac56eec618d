"""XLSX, Parquet, JSON, JSONL and SQLite sources read to the same string-valued tables as CSV."""

import json
import sqlite3
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from auditor.sources import SourceOptions, load_export


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)


def test_xlsx_first_sheet_with_dates_numbers_and_sheet_rows(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    rows = [
        ["Id", "FirstName", "LastName", "Email", "Phone", "CreatedDate", "Birthdate"],
        ["c1", "Jan", "Kowalski", "jan@x.pl", 48601234567, pd.Timestamp("2026-03-01 10:15").to_pydatetime(), 45000],
        [None, None, None, None, None, None, None],
        ["c2", "Anna", "Nowak", None, "601-234-567", "01.03.2026", "1990-05-17"],
    ]
    _workbook(path, {"Contacts": rows})
    table = load_export(path).tables["contacts"]
    assert table.format == "xlsx"
    assert table.raw["phone"].tolist() == ["48601234567", "601-234-567"]
    assert table.row_numbers.tolist() == [2, 4]  # the blank sheet row 3 is skipped, not renumbered
    assert table.frame["created_at"].tolist() == [pd.Timestamp("2026-03-01 10:15"), pd.Timestamp("2026-03-01")]
    assert table.frame["birth_date"].tolist() == [pd.Timestamp("2023-03-15"), pd.Timestamp("1990-05-17")]


def test_xlsx_sheets_named_like_entities(tmp_path: Path) -> None:
    path = tmp_path / "crm.xlsx"
    _workbook(
        path,
        {
            "Accounts": [["account_id", "name", "country"], ["a1", "Acme", "PL"]],
            "Contacts": [["contact_id", "account_id", "email"], ["c1", "a1", "x@y.pl"], ["c2", "a1", "z@y.pl"]],
            "Notes": [["anything"], ["else"]],
        },
    )
    export = load_export(path)
    assert sorted(export.tables) == ["accounts", "contacts"]
    assert export.tables["contacts"].source.endswith("crm.xlsx#Contacts")
    assert len(export.tables["contacts"].raw) == 2


def test_parquet_typed_columns_become_strings(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "opportunity_id": ["o1", "o2"],
            "account_id": ["a1", None],
            "stage": ["Closed Won", "Prospecting"],
            "amount": [1200.5, None],
            "probability": pd.array([100, 10], dtype="Int64"),
            "created_at": pd.to_datetime(["2026-03-01 10:00", "2026-03-02 11:30"]).tz_localize("Europe/Warsaw"),
        }
    )
    path = tmp_path / "deals.parquet"
    frame.to_parquet(path)
    table = load_export(path).tables["opportunities"]
    assert table.raw["amount"].tolist()[0] == "1200.5" and pd.isna(table.raw["amount"].tolist()[1])
    assert table.raw["probability"].tolist() == ["100", "10"]
    assert table.frame["amount"].tolist()[0] == 1200.5
    assert table.frame["created_at"].tolist() == [pd.Timestamp("2026-03-01 09:00"), pd.Timestamp("2026-03-02 10:30")]
    assert table.row_numbers.tolist() == [1, 2]


def test_json_array_and_entity_object(tmp_path: Path) -> None:
    (tmp_path / "contacts.json").write_text(
        json.dumps([{"contact_id": 1, "email": "a@x.pl", "email_opt_out": True, "tags": ["a"]}, {"contact_id": 2}])
    )
    export = load_export(tmp_path / "contacts.json")
    raw = export.tables["contacts"].raw
    assert raw["contact_id"].tolist() == ["1", "2"]
    assert raw["email_opt_out"].tolist()[0] == "true"
    assert raw["tags"].tolist()[0] == '["a"]'
    assert export.tables["contacts"].frame["email_opt_out"].tolist()[0] is True

    (tmp_path / "crm.json").write_text(
        json.dumps({"accounts": [{"account_id": "a1", "name": "Acme"}], "deals": [{"opportunity_id": "o1"}]})
    )
    export = load_export(tmp_path / "crm.json")
    assert sorted(export.tables) == ["accounts", "opportunities"]


def test_jsonl_rows_are_lines(tmp_path: Path) -> None:
    path = tmp_path / "leads.ndjson"
    path.write_text('{"lead_id": "l1", "last_name": "Nowak"}\n\n{"lead_id": "l2", "last_name": "Lis"}\n')
    table = load_export(path).tables["leads"]
    assert table.format == "jsonl"
    assert table.raw["last_name"].tolist() == ["Nowak", "Lis"]
    assert table.row_numbers.tolist() == [1, 3]


def _database(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        conn.execute("create table contacts (id text, first_name text, last_name text, email text, created text)")
        conn.executemany(
            "insert into contacts values (?, ?, ?, ?, ?)",
            [(f"c{i}", "Jan", f"Nowak{i}", f"j{i}@x.pl", "2026-03-01 10:00:00") for i in range(25)],
        )
        conn.execute("create table accounts (account_id integer, name text, employees integer, revenue real)")
        conn.execute("insert into accounts values (1, 'Acme', 12, 1000.5)")
        conn.execute("create table audit_log (what text)")
        conn.execute("create table people_tmp (contact_id text)")
    conn.close()
    return f"sqlite:///{path}"


@pytest.mark.parametrize("chunk_size", [None, 10])
def test_sqlite_tables_by_name(tmp_path: Path, chunk_size: int | None) -> None:
    db = tmp_path / "crm.db"
    url = _database(db)
    before = db.read_bytes()
    seen: list[tuple[str, int, int]] = []
    options = SourceOptions(chunk_size=chunk_size, tables={"contacts": "contacts", "accounts": "accounts"})
    export = load_export(url, options, lambda message, done, total: seen.append((message, done, total)))
    assert db.read_bytes() == before
    contacts = export.tables["contacts"]
    assert contacts.format == "sql" and contacts.source == f"{url}#contacts"
    assert len(contacts.raw) == 25 and contacts.row_numbers.tolist()[:3] == [1, 2, 3]
    assert contacts.raw["contact_id"].tolist()[0] == "c0"
    assert contacts.frame["created_at"].tolist()[0] == pd.Timestamp("2026-03-01 10:00")
    accounts = export.tables["accounts"]
    assert accounts.raw["employees"].tolist() == ["12"]
    assert accounts.frame["annual_revenue"].tolist() == [1000.5]
    assert seen and all(isinstance(m, str) for m, _, _ in seen)
    if chunk_size:
        assert any("25 rows" in m for m, _, _ in seen)


def test_sqlite_detects_entities_by_table_name(tmp_path: Path) -> None:
    export = load_export(_database(tmp_path / "crm.db"))
    assert sorted(export.tables) == ["accounts", "contacts"]
    assert any("audit_log: skipped" in n for n in export.notes)
