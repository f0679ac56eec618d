"""CSV reading: the four encodings, delimiter sniffing, strings kept as read, line numbers."""

import codecs
from pathlib import Path

import pandas as pd
import pytest

from auditor.sources import SourceOptions, load_export
from auditor.sources.delimiter import sniff_delimiter
from auditor.sources.encoding import detect_encoding

POLISH = "contact_id,first_name,last_name,city\n1,Łukasz,Żółkiewski,Gdańsk\n2,Zażółć,Gęślą,Jaźń\n"
WESTERN = "contact_id,first_name,last_name,city\n1,François,Müller,Zürich\n2,Søren,Ñúñez,São Paulo\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (POLISH.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + POLISH.encode("utf-8"), "utf-8-sig"),
        (POLISH.encode("cp1250"), "cp1250"),
        (WESTERN.encode("latin-1"), "latin-1"),
        (codecs.BOM_UTF16_LE + POLISH.encode("utf-16-le"), "utf-16"),
        (b"contact_id,email\n1,a@x.pl\n", "utf-8"),
    ],
)
def test_detect_encoding(data: bytes, expected: str) -> None:
    assert detect_encoding(data, "x.csv") == expected


@pytest.mark.parametrize(
    ("encoding", "text", "names"),
    [
        ("utf-8", POLISH, ["Łukasz", "Zażółć"]),
        ("utf-8-sig", POLISH, ["Łukasz", "Zażółć"]),
        ("cp1250", POLISH, ["Łukasz", "Zażółć"]),
        ("latin-1", WESTERN, ["François", "Søren"]),
    ],
)
def test_each_encoding_reads_back(tmp_path: Path, encoding: str, text: str, names: list[str]) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(text.encode(encoding))
    table = load_export(path).tables["contacts"]
    assert table.raw["first_name"].tolist() == names
    assert table.raw.columns[0] == "contact_id"  # no BOM left on the first header
    assert table.encoding == encoding


def test_fixture_encodings(fixtures: Path) -> None:
    cp1250 = load_export(fixtures / "bad" / "cp1250_contacts.csv").tables["contacts"]
    assert cp1250.encoding == "cp1250"
    assert cp1250.raw["last_name"].tolist()[:2] == ["Żółkiewski", "Wąsowska"]
    latin1 = load_export(fixtures / "bad" / "latin1_contacts.csv").tables["contacts"]
    assert latin1.encoding == "latin-1"
    assert latin1.raw["city"].tolist()[0] == "Zürich"


def test_semicolon_csv_with_bom_and_polish_headers(fixtures: Path) -> None:
    table = load_export(fixtures / "bad" / "semicolon_bom.csv").tables["contacts"]
    assert table.delimiter == ";"
    assert table.encoding == "utf-8-sig"
    fields = {c.source_column: (c.field, c.how) for c in table.columns}
    assert fields == {
        "Imię": ("first_name", "alias"),
        "Nazwisko": ("last_name", "alias"),
        "E-mail": ("email", "canonical"),
        "Telefon": ("phone", "alias"),
    }
    assert table.raw["first_name"].tolist() == ["Jan", "Zofia", "Ścibor"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_sniff_delimiter(delimiter: str) -> None:
    rows = [["contact_id", "name", "note"], ["1", "Jan", "a, b; c"], ["2", "Anna", ""], ["3", "Ewa", "x"]]
    text = "\n".join(delimiter.join(f'"{v}"' if any(d in v for d in ",;|\t") else v for v in r) for r in rows)
    assert sniff_delimiter(text + "\n") == delimiter


def test_sniff_delimiter_single_column() -> None:
    assert sniff_delimiter("email\na@x.pl\nb@x.pl\n") == ","


def test_forced_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("contact_id|email,x\n1|a@x.pl,y\n")
    table = load_export(path, SourceOptions(delimiter="|")).tables["contacts"]
    assert list(table.raw.columns) == ["contact_id", "email,x"]


def test_tsv_suffix_means_tab(tmp_path: Path) -> None:
    path = tmp_path / "contacts.tsv"
    path.write_text("contact_id\temail\n1\ta@x.pl\n")
    table = load_export(path).tables["contacts"]
    assert table.delimiter == "\t" and table.raw["email"].tolist() == ["a@x.pl"]


def test_values_are_strings_unstripped_and_placeholders_kept(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text('contact_id,email,phone,employees\n007, a@x.pl ,n/a,\n008,,NULL,"1,5"\n')
    table = load_export(path).tables["contacts"]
    raw = table.raw
    assert raw["contact_id"].tolist() == ["007", "008"]  # leading zeros survive
    assert raw["email"].tolist()[0] == " a@x.pl "
    assert pd.isna(raw["email"].tolist()[1])
    assert raw["phone"].tolist() == ["n/a", "NULL"]
    assert isinstance(raw.index, pd.RangeIndex)
    # every value is a string or missing (pandas 3: the str dtype; pandas 2: object)
    assert all(raw[c].dropna().map(type).eq(str).all() for c in raw.columns)
    assert all(pd.api.types.is_string_dtype(raw[c]) or raw[c].dtype == object for c in raw.columns)


def test_row_numbers_count_header_and_embedded_newlines(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text('contact_id,note\n1,"two\nlines"\n2,plain\n3,"three\nmore\nlines"\n4,end\n')
    table = load_export(path).tables["contacts"]
    assert table.raw["note"].tolist()[0] == "two\nlines"
    assert table.row_numbers.tolist() == [2, 4, 5, 8]


def test_row_numbers_skip_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(b"contact_id,email\r\n1,a@x.pl\r\n\r\n2,b@x.pl\r\n\n3,c@x.pl")
    table = load_export(path).tables["contacts"]
    assert table.raw["contact_id"].tolist() == ["1", "2", "3"]
    assert table.row_numbers.tolist() == [2, 4, 6]


def test_plain_row_numbers(fixtures: Path) -> None:
    table = load_export(fixtures / "salesforce" / "Account.csv").tables["accounts"]
    assert table.row_numbers.tolist() == list(range(2, len(table.raw) + 2))
