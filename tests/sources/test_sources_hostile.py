"""The probes of issue 18 that broke the readers, one regression test each: every one loads, or is refused
with one line naming the file (and line, row or column where it applies), never an internal error."""

from __future__ import annotations

import csv
import datetime as dt
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from auditor.errors import InputError
from auditor.sources import load_export, raw
from auditor.sources.delimiter import sniff_delimiter

HEAD = "contact_id,first_name,last_name,email\n"


def _contacts(tmp_path: Path, data: bytes | str, name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_a_cr_inside_a_quoted_value_of_a_crlf_file(tmp_path: Path) -> None:
    path = _contacts(tmp_path, b'contact_id,first_name\r\n1,"Ja\rn"\r\n2,"a\r"\r\n3,Ewa\r\n')
    table = load_export(path).tables["contacts"]
    assert table.raw["first_name"].tolist() == ["Ja\rn", "a\r", "Ewa"]
    assert table.row_numbers.tolist() == [2, 3, 4]


def test_a_file_with_lone_cr_line_endings(tmp_path: Path) -> None:
    path = _contacts(tmp_path, b"contact_id,first_name\r1,Jan\r2,Ewa\r")
    table = load_export(path).tables["contacts"]
    assert table.raw["first_name"].tolist() == ["Jan", "Ewa"]
    assert table.row_numbers.tolist() == [2, 3]


@pytest.mark.parametrize("ending", ["", "\n", "\r\n"])
def test_header_only_with_or_without_a_final_newline(tmp_path: Path, ending: str) -> None:
    table = load_export(_contacts(tmp_path, HEAD.rstrip("\n") + ending)).tables["contacts"]
    assert table.raw.empty and list(table.raw.columns) == ["contact_id", "first_name", "last_name", "email"]


def test_blank_lines_before_the_header_do_not_make_it_a_record(tmp_path: Path) -> None:
    table = load_export(_contacts(tmp_path, "\n\r\n" + HEAD + "1,Jan,Kos,j@x.pl\n")).tables["contacts"]
    assert table.raw["contact_id"].tolist() == ["1"]
    assert table.row_numbers.tolist() == [4]


def test_a_header_with_a_quoted_line_break(tmp_path: Path) -> None:
    path = _contacts(tmp_path, 'contact_id,"first\nname",email\n1,Jan,j@x.pl\n2,Ewa,e@x.pl\n')
    table = load_export(path).tables["contacts"]
    assert table.raw["contact_id"].tolist() == ["1", "2"]
    assert table.row_numbers.tolist() == [3, 4]


def test_a_header_wider_than_the_sniffing_sample_is_read_whole(tmp_path: Path) -> None:
    extra = [f"custom_field_number_{i}" for i in range(2_600)]  # about 70 KiB of header
    header = ";".join(["contact_id", "email", *extra])
    path = _contacts(tmp_path, header + "\n" + ";".join(["1", "a@x.pl", *["v"] * len(extra)]) + "\n")
    table = load_export(path).tables["contacts"]
    assert table.delimiter == ";"
    assert table.raw.shape == (1, 2_602)
    assert table.raw[extra[-1]].tolist() == ["v"]


def test_more_columns_than_excel_holds_is_refused_before_parsing(tmp_path: Path) -> None:
    width = raw.MAX_COLUMNS + 1
    path = _contacts(tmp_path, ",".join(f"c{i}" for i in range(width)) + "\n" + ",".join("v" * width) + "\n")
    with pytest.raises(InputError, match="16,385 columns; an export has at most 16,384") as error:
        load_export(path)
    assert error.value.file == str(path)


def test_a_value_of_megabytes_is_read(tmp_path: Path) -> None:
    big = "x" * 3_000_000  # over pyarrow's 1 MiB block
    path = _contacts(tmp_path, f'{HEAD}1,Jan,"{big}\nmore",j@x.pl\n2,Ewa,Lis,e@x.pl\n')
    table = load_export(path).tables["contacts"]
    assert table.raw["last_name"].str.len().tolist() == [3_000_005, 3]
    assert table.row_numbers.tolist() == [2, 4]


def test_a_value_over_the_field_limit_names_row_and_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(raw, "MAX_FIELD_CHARS", 1_000)
    path = _contacts(tmp_path, f"{HEAD}1,Jan,Kos,j@x.pl\n2,Ewa,{'y' * 1_001},e@x.pl\n")
    with pytest.raises(InputError, match="a value of 1,001 characters; a field holds at most 1,000") as error:
        load_export(path)
    assert (error.value.row, error.value.column) == (3, "last_name")


def test_a_value_of_more_bytes_than_the_limit_but_no_more_characters_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limit counts characters: its bound by bytes (read off the offsets) only sends a column to be counted."""
    monkeypatch.setattr(raw, "MAX_FIELD_CHARS", 1_000)
    path = _contacts(tmp_path, f"{HEAD}1,Jan,Kos,j@x.pl\n2,Ewa,{'ł' * 1_000},e@x.pl\n")  # 2,000 bytes
    assert load_export(path).tables["contacts"].raw["last_name"].str.len().tolist() == [3, 1_000]


def test_csv_text_is_read_as_the_large_text_pandas_holds(tmp_path: Path) -> None:
    """Read as `string`, every column was copied into pandas' large text (a second copy of a million contacts)."""
    from auditor.sources.csv_reader import _parse

    payload = f"{HEAD}1,Jan,Kos,j@x.pl\n".encode()
    table, _, _ = _parse(payload, len(HEAD), HEAD.strip().split(","), ",", "contacts.csv")
    assert {column.type for column in table.columns} == {pa.large_string()}
    empty, _, _ = _parse(HEAD.encode(), len(HEAD), HEAD.strip().split(","), ",", "contacts.csv")
    assert {column.type for column in empty.columns} == {pa.large_string()}


def test_binary_bytes_after_the_first_mib_refuse_the_file(tmp_path: Path) -> None:
    rows = "".join(f"{i},Jan,Kos,j{i}@x.pl\n" for i in range(60_000))  # about 1.3 MiB
    path = _contacts(tmp_path, (HEAD + rows).encode() + b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\n")
    with pytest.raises(InputError, match=r"not a text file \(binary byte 0x00") as error:
        load_export(path)
    assert error.value.line == 60_004  # the PNG signature holds two line breaks


def test_dense_control_bytes_after_the_first_mib_refuse_the_file(tmp_path: Path) -> None:
    rows = "".join(f"{i},Jan,Kos,j{i}@x.pl\n" for i in range(60_000))
    junk = bytes(range(1, 9)) * 2_000  # no NUL, 16,000 control bytes
    with pytest.raises(InputError, match="not a text file"):
        load_export(_contacts(tmp_path, (HEAD + rows).encode() + junk + b"\n"))


def test_the_sniffer_reads_a_bounded_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    """csv.Sniffer's regular expressions take time quadratic in a sample of unclosed quotes (23 s on 64 KiB)."""
    seen: list[int] = []
    sniff = csv.Sniffer.sniff
    monkeypatch.setattr(
        csv.Sniffer, "sniff", lambda self, sample, **kw: seen.append(len(sample)) or sniff(self, sample, **kw)
    )
    assert sniff_delimiter(',"a' * 21_000) == ","
    assert seen and max(seen) <= 4_096


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_deeply_nested_json_is_one_line(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "contacts.json"
    path.write_text('[{"contact_id": "1", "x": ' + "[" * depth + "]" * depth + "}]")
    with pytest.raises(InputError, match="JSON nested deeper than it can be read") as error:
        load_export(path)
    assert error.value.file == str(path)


def test_parquet_lists_structs_maps_binary_decimals_uint64_and_far_dates(tmp_path: Path) -> None:
    path = tmp_path / "contacts.parquet"
    columns = {
        "contact_id": pa.array(["1", "2"]),
        "first_name": pa.array([["Jan", "Anna"], []]),  # a mapped list column
        "tags": pa.array([["a"], None], pa.large_list(pa.string())),
        "location": pa.array([{"city": "Łódź", "zip": ["90-001"]}, None]),
        "props": pa.array([[("k", 1)], []], pa.map_(pa.string(), pa.int64())),
        "photo": pa.array([b"\x89PNG", None]),
        "balance": pa.array([Decimal("12.30"), None], pa.decimal128(10, 2)),
        "counter": pa.array([2**64 - 1, 0], pa.uint64()),
        "created_at": pa.array([dt.datetime(9999, 12, 31), dt.datetime(2024, 1, 1)], pa.timestamp("us")),
    }
    pq.write_table(pa.table(columns), path)
    table = load_export(path).tables["contacts"]
    assert table.raw["first_name"].tolist() == ['["Jan", "Anna"]', "[]"]
    assert json.loads(table.raw["location"][0]) == {"city": "Łódź", "zip": ["90-001"]}
    assert table.raw["counter"].tolist() == ["18446744073709551615", "0"]
    assert table.raw["balance"].tolist()[0] == "12.30"
    assert table.raw["created_at"].tolist()[0].startswith("9999-12-31")
    assert pd.isna(table.frame["created_at"][0]) and table.frame["created_at"][1] == pd.Timestamp("2024-01-01")


def test_an_xlsx_with_a_truncated_sheet_names_the_file(tmp_path: Path) -> None:
    good, path = tmp_path / "good.xlsx", tmp_path / "contacts.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["contact_id", "email"])
    book.active.append([1, "a@x.pl"])
    book.save(good)
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as damaged:
        for item in source.infolist():
            data = source.read(item.filename)
            damaged.writestr(item, data[: len(data) // 2] if item.filename.startswith("xl/worksheets/") else data)
    good.unlink()
    with pytest.raises(InputError, match="not a readable XLSX workbook") as error:
        load_export(path)
    assert error.value.file == str(path) and "\n" not in str(error.value)


def test_xlsx_formulas_without_a_saved_value_are_noted_by_sheet_and_cell(tmp_path: Path) -> None:
    path = tmp_path / "contacts.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Kontakty"
    sheet.append(["contact_id", "email", "first_name"])
    sheet.append([1, "a@x.pl", '=UPPER("jan")'])
    sheet.append([2, "b@x.pl", "Ewa"])
    sheet.append([3, "c@x.pl", '=A2&"x"'])
    book.save(path)
    export = load_export(path)
    assert export.tables["contacts"].raw["first_name"].isna().tolist() == [True, False, True]
    [note] = [n for n in export.notes if "have no saved value" in n]
    assert "2 formula cell(s) of sheet 'Kontakty' have no saved value (C2, C4)" in note


def test_a_minimal_leads_file_is_read(tmp_path: Path) -> None:
    table = load_export(_contacts(tmp_path, "lead_id,status\n1,New\n2,Working\n", "leads.csv")).tables["leads"]
    assert table.raw["status"].tolist() == ["New", "Working"]


@pytest.mark.parametrize("url", ["postgresql://jan:s3cr@t@localhost:notaport/crm", "postgresql://jan:s3cr@t@db:x/crm"])
def test_a_database_url_with_a_bad_port_is_one_line_without_the_password(url: str) -> None:
    with pytest.raises(InputError, match="not a database URL") as error:
        load_export(url)
    assert "s3cr" not in str(error.value) and "jan:***@" in str(error.value)


def test_json_records_without_a_field_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    path.write_text("[{}, {}]")
    with pytest.raises(InputError, match=r"none of the 2 record\(s\) has a field"):
        load_export(path)


def test_parquet_text_that_is_not_utf8_is_a_clear_input_error(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from auditor.sources.parquet_reader import read_parquet

    # a string column whose bytes are not UTF-8 (written by a careless tool) fails only on conversion
    names = pa.array([b"Acme", b"\xff\xfe broken"], pa.binary()).view(pa.string())
    pq.write_table(pa.table({"account_id": ["A1", "A2"], "name": names}), tmp_path / "accounts.parquet")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read_parquet(tmp_path / "accounts.parquet", "accounts.parquet")
