"""result.json and the CSV reports are written as streams, CHUNK_ROWS at a time: the same bytes as
rendering the whole document at once, and memory that does not grow with the number of findings."""

from __future__ import annotations

import copy
import json
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest

import auditor.io
from auditor.io import atomic_open
from auditor.reports import findings_csv, json_report
from auditor.result import AuditResult


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
