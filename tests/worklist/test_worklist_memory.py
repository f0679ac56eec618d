"""Memory of the worklist on many copies of one contact (issue 18: a million copies must audit in under
3 GB). Each copy is five cells to fix and a member of one merge task: the cells are built on the findings'
row positions and integer codes, not on a copy of the findings per step, so what the worklist adds per
copy is its cells and records, a few pointers each."""

from __future__ import annotations

import pytest
from copies_of_one import audited_copies, python_peak

import auditor.findings
from auditor.reports.worklist_csv import import_tasks
from auditor.result import AuditResult
from auditor.worklist import plan_worklist

SMALL, LARGE = 500, 2_000
PER_COPY = 900
"""Bytes the peak of plan_worklist may grow by per copy (tracemalloc; five cells and six records each):
about 700 now, 1,380 when the cells' and records' text columns held a pointer per row (not a code of a
byte) and pandas' factorize sized its hash table by the rows; 2,800 when the findings were copied at each
step and pandas copied every column the cells' frames were made of."""
IMPORT_PER_RECORD = 100
"""Bytes import_tasks may hold per record of the worklist (tracemalloc): a few integers each, about 60;
166 when it copied the bulk tasks' records, every column."""


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> dict[int, AuditResult]:
    return audited_copies(tmp_path_factory.mktemp("copies"), SMALL, LARGE)


def _peak(result: AuditResult) -> int:
    return python_peak(lambda: plan_worklist(result))[0]


def test_the_worklist_grows_by_its_cells_per_copy(
    copies: dict[int, AuditResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the chunk of rows factorized at a time, small enough that the copies make several
    monkeypatch.setattr(auditor.findings, "FACTORIZE_ROWS", 1_000)
    plan_worklist(copies[SMALL])  # modules imported, caches filled: not per copy
    small, large = _peak(copies[SMALL]), _peak(copies[LARGE])
    per_copy = (large - small) / (LARGE - SMALL)
    assert per_copy < PER_COPY, f"{small:,} bytes at {SMALL:,} copies, {large:,} at {LARGE:,}"
    records = copies[LARGE].worklist_records
    assert len(records) == 6 * LARGE and records["action"].eq("fix").sum() == 5 * LARGE


def test_finding_no_import_file_does_not_copy_the_records(copies: dict[int, AuditResult]) -> None:
    """The copies' bulk tasks have no new value to import: import_tasks reads the records' task ids and
    suggestions by position, it does not copy their rows (every column of five million at a million
    copies) to find that out."""
    result = copies[LARGE]
    peak, imported = python_peak(lambda: import_tasks(result.worklist, result.worklist_records))
    assert imported == {}
    assert peak / len(result.worklist_records) < IMPORT_PER_RECORD, f"{peak:,} bytes"
