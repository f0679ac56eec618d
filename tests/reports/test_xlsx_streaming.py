"""worklist.xlsx holds the whole worklist (issue 17 lifted the 25,000-task cap): XlsxWriter streams each
row to disk, so neither the time nor the memory of a long sheet is that of a workbook held whole."""

from __future__ import annotations

import copy
import tracemalloc
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from auditor.reports import xlsx
from auditor.result import AuditResult

OLD_CAP = 25_000


def _tasks(result: AuditResult, count: int) -> AuditResult:
    """`count` tasks, the acme worklist's repeated, each with its own id; only the columns the sheet is read
    by hold values (a blank cell is not written), so that the test stays quick."""
    many = copy.copy(result)
    worklist = result.worklist.iloc[np.arange(count) % len(result.worklist)].reset_index(drop=True)
    kept = {"task_id", "priority", "action", "severity"}
    worklist = worklist.assign(**{c: None for c in worklist.columns if c not in kept})
    many.worklist = worklist.assign(task_id=[f"T{n:06d}" for n in range(count)], priority=np.arange(1, count + 1))
    many.worklist_records = result.worklist_records.head(0)
    return many


def test_the_worklist_sheet_holds_every_task_past_the_old_cap(acme_audit: AuditResult, tmp_path: Path) -> None:
    many = _tasks(acme_audit, OLD_CAP + 1)
    path = tmp_path / "worklist.xlsx"
    xlsx.write(many, path)
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book["Worklist"].iter_rows(min_row=2, max_col=2, values_only=True))
    assert [r[0] for r in rows] == many.worklist["task_id"].tolist()
    summary = dict(list(book["Summary"].values)[1:])
    assert summary["tasks"] == OLD_CAP + 1
    assert not any(str(item).startswith("tasks left out") for item in summary)


def _peak(result: AuditResult, path: Path) -> int:
    tracemalloc.start()
    try:
        xlsx.write(result, path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_longer_worklist_takes_no_more_memory_to_write(acme_audit: AuditResult, tmp_path: Path) -> None:
    small, large = _tasks(acme_audit, 1_000), _tasks(acme_audit, 8_000)
    xlsx.write(small, tmp_path / "warm.xlsx")  # modules imported, caches filled: not per row
    grown = _peak(large, tmp_path / "large.xlsx") - _peak(small, tmp_path / "small.xlsx")
    # the frames grow by about 500 bytes a task; the sheets held in memory until the end took 1,300
    per_task = grown / 7_000
    assert per_task < 800, f"{per_task:,.0f} bytes more a task"
    assert pd.read_excel(tmp_path / "large.xlsx", sheet_name="Worklist").shape[0] == 8_000
