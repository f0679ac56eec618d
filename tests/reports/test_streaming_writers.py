"""result.json, the CSV reports and the workbook's sheets are written as streams, a chunk at a time (at most
CHUNK_ROWS rows, about CHUNK_BYTES of text): the same bytes as rendering the whole document at once, and
memory that does not grow with the number of findings, nor with the width of a row."""

from __future__ import annotations

import copy
import json
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import auditor.io
from auditor.csvtext import KnownCategories, csv_lines
from auditor.io import atomic_open, neutralise_formulas, write_csv
from auditor.reports import findings_csv, json_report, xlsx
from auditor.reports.sheet_xml import rows_xml
from auditor.result import AuditResult

BUDGET = 100_000
"""CHUNK_BYTES in the tests of wide rows: 3,000 rows of 2,000 characters are 60 such chunks."""


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auditor.io, "CHUNK_BYTES", BUDGET, raising=False)
    monkeypatch.setattr(auditor.io, "FIRST_CHUNK_ROWS", 10, raising=False)


def _wide(rows: int) -> pd.DataFrame:
    """Rows of one long text each, as a million contacts' merge plans are (700 characters, up to 4,000)."""
    return pd.DataFrame(
        {
            "task_id": [f"M-{k:05d}" for k in range(rows)],
            "merge_plan": [f"=field{k % 7} = " + "x" * 2_000 for k in range(rows)],
            "records": np.arange(rows),
        }
    )


def _whole(result: AuditResult) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"


@pytest.mark.parametrize("chunk", [1, 7, 50_000])
def test_the_stream_is_the_whole_document_byte_for_byte(
    acme_audit: AuditResult, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(json_report, "CHUNK_ROWS", chunk)
    result = copy.copy(acme_audit)
    result.findings = acme_audit.findings.head(40)
    assert json_report.render(result) == _whole(result)
    result.findings = acme_audit.findings.head(0)
    assert json_report.render(result) == _whole(result)
    assert (
        json_report.render(result, include_findings=False)
        == json.dumps(result.to_dict(include_findings=False), ensure_ascii=False, indent=2) + "\n"
    )


def test_findings_csv_in_chunks_is_the_sorted_csv(
    acme_audit: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    findings_csv.write(acme_audit.findings, tmp_path / "whole.csv")
    monkeypatch.setattr(auditor.io, "CHUNK_ROWS", 333)
    findings_csv.write(acme_audit.findings, tmp_path / "chunked.csv")
    assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    back = pd.read_csv(tmp_path / "chunked.csv", dtype=str, keep_default_na=False)
    assert len(back) == len(acme_audit.findings)
    keys = list(back[findings_csv.ORDER].itertuples(index=False, name=None))
    assert keys == sorted(keys)


def _many(result: AuditResult, copies: int) -> AuditResult:
    many = copy.copy(result)
    many.findings = pd.concat([result.findings] * copies, ignore_index=True)
    return many


def _peak(write) -> int:
    tracemalloc.start()
    try:
        write()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _peaks(result: AuditResult, folder: Path) -> tuple[int, int]:
    """Peak bytes allocated while writing result.json, and while writing findings.csv."""
    with atomic_open(folder / "result.json") as handle:
        json_peak = _peak(lambda: json_report.write(result, handle))
    return json_peak, _peak(lambda: findings_csv.write(result.findings, folder / "findings.csv"))


def test_memory_while_writing_does_not_grow_with_the_findings(
    acme_audit: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_report, "CHUNK_ROWS", 1000)
    monkeypatch.setattr(auditor.io, "CHUNK_ROWS", 1000)
    small, large = _many(acme_audit, 2), _many(acme_audit, 16)
    (tmp_path / "small").mkdir()
    (tmp_path / "large").mkdir()
    json_small, csv_small = _peaks(small, tmp_path / "small")
    json_large, csv_large = _peaks(large, tmp_path / "large")
    assert json_large < 1.5 * json_small
    # the sort keeps one position per finding (8 bytes) and its keys: nothing like the rendered rows
    assert csv_large - csv_small < 100 * (len(large.findings) - len(small.findings))
    assert json.loads((tmp_path / "large" / "result.json").read_text(encoding="utf-8"))["findings"][-1]["rule_id"]


@pytest.mark.usefixtures("small_chunks")
def test_a_csv_of_wide_rows_is_made_a_few_of_them_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[int] = []

    def spy(part: pd.DataFrame, known: KnownCategories | None = None) -> memoryview | None:
        lines = csv_lines(part, known)
        made.append(len(lines))
        return lines

    monkeypatch.setattr(auditor.io, "csv_lines", spy)
    frame = _wide(3_000)
    write_csv(frame, tmp_path / "wide.csv")
    assert sum(made) > 60 * BUDGET and max(made) < 2 * BUDGET
    assert (tmp_path / "wide.csv").read_bytes() == neutralise_formulas(frame).to_csv(index=False).encode("utf-8")


@pytest.mark.usefixtures("small_chunks")
def test_a_sheet_of_wide_rows_is_made_a_few_of_them_at_a_time() -> None:
    frame = _wide(3_000)
    chunks = [bytes(c) for c in xlsx._rows(xlsx._Sheet("Wide", tuple(frame.columns), frame), None)()]
    assert max(map(len, chunks)) < 2 * BUDGET
    assert b"".join(chunks) == bytes(rows_xml(frame, 2))


@pytest.mark.usefixtures("small_chunks")
def test_findings_of_long_messages_are_made_a_few_of_them_at_a_time(
    acme_audit: AuditResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[int] = []
    texts = json_report._finding_texts

    def spy(findings: pd.DataFrame, *, last: bool) -> str:
        made.append(len(text := texts(findings, last=last)))
        return text

    monkeypatch.setattr(json_report, "_finding_texts", spy)
    result = copy.copy(acme_audit)
    result.findings = acme_audit.findings.assign(message=acme_audit.findings["message"] + " " + "y" * 2_000)
    assert json_report.render(result) == _whole(result)
    assert sum(made) > 40 * BUDGET and max(made) < 2 * BUDGET


@pytest.mark.parametrize("chunk", [1, 7, 50_000])
def test_the_findings_bytes_go_to_the_file_under_the_text_as_they_are(
    acme_audit: AuditResult, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, chunk: int
) -> None:
    """With `raw`, the findings' UTF-8 from Arrow go to the binary file under the text handle, the head and
    the records dumped one by one (a lone surrogate, shown escaped) through the text handle: the same bytes."""
    monkeypatch.setattr(json_report, "CHUNK_ROWS", chunk)
    result = copy.copy(acme_audit)
    findings = acme_audit.findings.head(40).copy()
    findings["value"] = findings["value"].astype(object)
    findings.loc[findings.index[5], "value"] = "ed\ud800"  # one chunk dumped by json, the others by Arrow
    result.findings = findings
    with atomic_open(tmp_path / "text.json") as handle:
        json_report.write(result, handle)
    with atomic_open(tmp_path / "raw.json") as handle:
        json_report.write(result, handle, raw=handle.buffer)
    assert (tmp_path / "raw.json").read_bytes() == (tmp_path / "text.json").read_bytes()
    assert b"ed\\ud800" in (tmp_path / "raw.json").read_bytes()
