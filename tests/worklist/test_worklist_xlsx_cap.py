"""worklist.xlsx holds the top of the worklist only; the Summary counts what it left out."""

from __future__ import annotations

import copy
from pathlib import Path

import openpyxl

from auditor.reports import xlsx


def test_the_sheets_stop_at_the_cap_and_the_summary_counts_the_rest(acme_audit, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_ROWS", 7)
    result = copy.copy(acme_audit)
    path = tmp_path / "worklist.xlsx"
    xlsx.write(result, path)
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book["Worklist"].values)
    assert len(rows) == 1 + 7
    assert [r[0] for r in rows[1:]] == result.worklist["task_id"].head(7).tolist()
    assert len(list(book["Merges"].values)) == 1 + 7
    summary = dict(list(book["Summary"].values)[1:])
    left_out = next(v for k, v in summary.items() if str(k).startswith("tasks left out"))
    assert left_out == len(result.worklist) - 7


def test_owner_sheets_stop_at_their_cap(acme_audit, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(xlsx, "OWNER_ROWS", 5)
    path = tmp_path / "worklist.xlsx"
    xlsx.write(acme_audit, path)
    book = openpyxl.load_workbook(path, read_only=True)
    owners = acme_audit.worklist_records["owner"].dropna().value_counts()
    assert len(list(book[owners.index[0]].values)) == 1 + 5
    summary = dict(list(book["Summary"].values)[1:])
    left_out = next(v for k, v in summary.items() if str(k).startswith("records left out of the owner sheets"))
    assert left_out == int((owners.head(xlsx.OWNER_SHEETS) - 5).clip(lower=0).sum())


def test_the_sheets_read_the_worklist_and_records_as_they_are(acme_audit, monkeypatch) -> None:
    """Not a copy of every column (head copies them; the task records and the worklist twice on a million
    contacts); capped, the same rows as head gives (an oracle)."""
    sheets = {sheet.name: sheet.frame for sheet in xlsx._sheets(acme_audit)}
    worklist, records = acme_audit.worklist, acme_audit.worklist_records
    assert sheets["Worklist"] is worklist
    assert sheets["Records"] is records
    merges = worklist[worklist["action"] == "merge"]
    assert sheets["Merges"].equals(merges[list(xlsx.MERGE_COLUMNS)])
    monkeypatch.setattr(xlsx, "MAX_ROWS", 7)
    sheets = {sheet.name: sheet.frame for sheet in xlsx._sheets(acme_audit)}
    assert sheets["Worklist"].equals(worklist.head(7))
    assert sheets["Records"].equals(records.head(7))
    assert sheets["Merges"].equals(merges.head(7)[list(xlsx.MERGE_COLUMNS)])
