"""What `crm-audit fix` never does: turn an inert cell into a live formula, write a file in another
byte order, or patch a file that mixes encodings (it refuses, naming the lines)."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.errors import InputError
from auditor.fix.csv_patch import patch
from auditor.fix.inert import inert
from auditor.pipeline import fix_export

PAYLOADS = ["\t=1+1", " =1+1", "\t+1+1", " @SUM(A1)", "\t-2+3", "\r=cmd|' /C calc'!A0", " ＝1+1"]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("＝1+1", "'＝1+1"),
        ("＠cmd", "'＠cmd"),
        ("+48601234567", "+48601234567"),  # an E.164 number runs as nothing and keeps its plus
        ("-12.50", "-12.50"),
        ("Kowalski", "Kowalski"),
        ("'=1+1", "'=1+1"),  # already inert
        (None, None),
    ],
)
def test_inert(value: str | None, written: str | None) -> None:
    assert inert(value) == written


def test_trimming_never_makes_a_live_formula(tmp_path: Path) -> None:
    """The issue's probe: a trimmed `\\t=1+1` was written as a live `=1+1` in 14 cells."""
    export = tmp_path / "export"
    export.mkdir()
    (export / "crm-audit.yaml").write_text("default_region: PL\n")
    rows = [["contact_id", "first_name", "last_name", "phone"]]
    rows += [[f"C{i}", v, v + " ", "601 234 567"] for i, v in enumerate(PAYLOADS)]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    (export / "contacts.csv").write_text(buffer.getvalue(), newline="")

    report = fix_export(export, out=tmp_path / "fixed", apply=True)
    fixed = list(csv.reader(io.StringIO((tmp_path / "fixed" / "contacts.csv").read_text(), newline="")))
    names = [cell for row in fixed[1:] for cell in row[1:3]]
    assert names == [
        v
        for payload in ["'=1+1", "'=1+1", "'+1+1", "'@sum(a1)", "'-2+3", "'=cmd|' /C calc'!A0", "'＝1+1"]
        for v in (payload, payload)
    ]
    assert [row[3] for row in fixed[1:]] == ["+48601234567"] * 7
    assert report.per_rule() == {
        "contacts.name.casing": 2,
        "contacts.name.whitespace": 14,
        "contacts.phone.format": 7,
    }


def test_utf16_keeps_its_byte_order() -> None:
    for bom, codec in ((codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF16_LE, "utf-16-le")):
        data = bom + "id,name\r\n1,  Żaneta\r\n2,Jan\r\n".encode(codec)
        out, done = patch(data, {(2, 1): ("  Żaneta", "Żaneta")}, encoding="utf-16", delimiter=",", source="x.csv")
        assert done == {(2, 1)}
        assert out == bom + "id,name\r\n1,Żaneta\r\n2,Jan\r\n".encode(codec)


def mixed_export(tmp_path: Path) -> Path:
    """The issue's probe: a UTF-8 export with two rows in cp1252, whose fix rewrote all 20 rows as mojibake."""
    export = tmp_path / "export"
    export.mkdir()
    utf8 = "C{:03d},ŁUKASZ,WÓJCIK,c{}@example.pl,Kraków\n"
    cp1252 = "C{:03d},LUKASZ,WÓJCIK,c{}@example.pl,Zoë’s\n"
    data = b"contact_id,first_name,last_name,email,city\n" + b"".join(
        cp1252.format(i, i).encode("cp1252") if i in (5, 11) else utf8.format(i, i).encode() for i in range(20)
    )
    (export / "contacts.csv").write_bytes(data)
    return export


@pytest.mark.parametrize("apply", [True, False])
def test_a_file_that_mixes_encodings_is_refused(tmp_path: Path, apply: bool) -> None:
    export = mixed_export(tmp_path)
    before = hashlib.sha256((export / "contacts.csv").read_bytes()).hexdigest()
    with pytest.raises(InputError) as raised:
        fix_export(export, out=tmp_path / "fixed", apply=apply)
    assert str(raised.value) == (
        f"{export / 'contacts.csv'}:7: the file mixes encodings: 2 line(s) (7, 13) are not UTF-8; "
        "save it in one encoding before fixing it"
    )
    assert hashlib.sha256((export / "contacts.csv").read_bytes()).hexdigest() == before
    assert not (tmp_path / "fixed" / "contacts.csv").exists()


def test_the_cli_refuses_a_mixed_file_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = mixed_export(tmp_path)
    assert main(["fix", str(export), "--out", str(tmp_path / "fixed"), "--apply", "safe"]) == 2
    err = capsys.readouterr().err
    assert "2 line(s) (7, 13) are not UTF-8" in err
    assert "Traceback" not in err


def test_a_byte_order_mark_over_cp1250_text_is_refused(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    text = "contact_id,first_name,last_name\n1,  Zażółć,Gęślą\n"
    (export / "contacts.csv").write_bytes(codecs.BOM_UTF8 + text.encode("cp1250"))
    with pytest.raises(InputError, match="a UTF-8 byte-order mark starts text that is not UTF-8"):
        fix_export(export, out=tmp_path / "fixed", apply=True)
