"""Memory of an audit of many copies of one contact (issue 18: a million copies must audit in under 3 GB).

Every copy fails the same rules with the same messages, so what the audit holds per finding must be a
pointer, not the text again: the findings and the worklist's records hold one str per distinct value
(Arrow strings would store every row's bytes), and the writers hold a chunk, a capped listing or a
count, never every member of a cluster at once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from copies_of_one import audited_copies, python_peak

import auditor.io
from auditor.io import atomic_open
from auditor.reports import duplicates, findings_csv, html, json_report, junit, worklist_csv
from auditor.reports.outputs import write_audit_outputs
from auditor.reports.review import write_dedupe_review
from auditor.result import AuditResult
from auditor.worklist import records_table

SMALL, LARGE = 400, 1_600
PER_COPY = 800
"""Bytes the writers' peak may grow by per copy (7 findings and 6 worklist records each): the sort keys
of findings.csv and the pairs are a few pointers per row; it was 1,180 when the report listed every
member of a cluster and a merge task held every member's evidence (about 550 now)."""


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> dict[int, AuditResult]:
    return audited_copies(tmp_path_factory.mktemp("copies"), SMALL, LARGE)


def _distinct_objects(frame: pd.DataFrame, column: str) -> int:
    assert frame[column].dtype == object, f"{column} is {frame[column].dtype}: a string per row"
    return len({id(v) for v in frame[column].to_numpy()})


def _distinct_codes(frame: pd.DataFrame, column: str) -> int:
    """A coded column's distinct values, held once as objects; its rows are codes of a byte or two."""
    values = frame[column]
    assert isinstance(values.dtype, pd.CategoricalDtype), f"{column} is {values.dtype}: a pointer or string per row"
    assert values.cat.categories.dtype == object, f"{column}'s values are {values.cat.categories.dtype}"
    assert values.cat.codes.dtype.itemsize <= 2, column
    return len({id(v) for v in values.cat.categories})


def test_findings_and_records_hold_one_str_per_distinct_value(copies: dict[int, AuditResult]) -> None:
    result = copies[LARGE]
    findings, records = result.findings, result.worklist_records
    assert len(findings) >= 6 * LARGE - 1 and len(records) >= 6 * LARGE
    for column in ("entity", "field", "rule_id", "severity", "dimension", "message", "owner", "file"):
        assert _distinct_objects(findings, column) <= 20, column
    # the checks' findings share the table's id objects; the duplicates' share the clusters'
    assert _distinct_objects(findings, "record_id") <= 2 * LARGE
    assert _distinct_objects(findings, "value") <= LARGE + 20
    for column in ("task_id", "action", "entity", "owner", "field", "current_value", "rule_ids", "severity", "file"):
        assert _distinct_codes(records, column) <= 20, column
    # a fix cell's id is its finding's object; a merge member's, the one its task's member list was split into
    assert _distinct_objects(records, "record_id") <= 2 * LARGE
    # a fix cell's issue is written out as its chunk is written, not held for every record
    assert _distinct_codes(records, "issue") <= 20
    shown = records_table(records.head(3))
    assert shown["issue"].str.match(r"^Contacts \(people\) C\d{7}: ").all() or shown["action"].eq("merge").all()


def _write_all(result: AuditResult, out: Path) -> None:
    """Every writer of `crm-audit audit` but the workbook's (slow to trace; it streams its rows to disk, and
    the owner sheets are taken by position, not copied)."""
    out.mkdir()
    with atomic_open(out / "result.json") as handle:
        json_report.write(result, handle)
    findings_csv.write(result.findings, out / "findings.csv")
    worklist_csv.write(result.worklist, out / "worklist.csv")
    worklist_csv.write_records(result.worklist_records, out / "worklist_records.csv")
    (out / "report.html").write_text(html.render(result), encoding="utf-8")
    junit.render(result)
    duplicates.write_outputs(result.duplicates, out / "duplicates", include_findings=False)
    write_dedupe_review(result.duplicates, out, tables=result.data, data_dir=out / "duplicates")


def _peak(result: AuditResult, out: Path) -> int:
    return python_peak(lambda: _write_all(result, out))[0]


def test_writing_the_reports_does_not_grow_with_the_copies(
    copies: dict[int, AuditResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four times the copies, and the writers' peak stays near that of the smaller audit: the CSV and
    JSON writers go a chunk at a time, the report and the worklist name a capped number of members."""
    for module in (auditor.io, json_report):
        monkeypatch.setattr(module, "CHUNK_ROWS", 500)
    _write_all(copies[SMALL], tmp_path / "warm")  # templates compiled, modules imported: not per copy
    small, large = _peak(copies[SMALL], tmp_path / "small"), _peak(copies[LARGE], tmp_path / "large")
    per_copy = (large - small) / (LARGE - SMALL)
    assert per_copy < PER_COPY, f"{small:,} bytes at {SMALL:,} copies, {large:,} at {LARGE:,}"
    merge = pd.read_csv(tmp_path / "large" / "worklist.csv", dtype=str).query("action == 'merge'").iloc[0]
    assert merge["evidence"].endswith(f"and {LARGE - 1 - 50:,} more in duplicates/pairs.csv")
    assert f"and {LARGE - 100:,} more members" in (tmp_path / "large" / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("workers", [1, 2])
def test_each_large_writer_hands_back_what_it_freed(
    workers: int, copies: dict[int, AuditResult], tmp_path: Path
) -> None:
    """result.json, findings.csv, worklist_records.csv and the workbook each leave freed memory that the
    allocator keeps (330 MB after result.json on a million copies); the audit hands it back after each,
    so the next writer's peak does not stack on it - in whichever lane (a forked process's too) it ran."""
    calls = tmp_path / "calls"

    def between() -> None:
        with calls.open("a") as note:
            note.write("handed back\n")

    written = write_audit_outputs(copies[SMALL], tmp_path / "out", between=between, workers=workers)
    assert {"result.json", "findings.csv", "worklist_records.csv", "worklist.xlsx"} <= set(written)
    assert len(calls.read_text().splitlines()) == 4
