"""result.json and report.html show one findings summary, made once per writing (either lane first), the
same as each writer made its own (an oracle)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from small_export import small_audit

from auditor.reports import html
from auditor.reports.outputs import write_audit_outputs
from auditor.result import AuditResult


@pytest.fixture(scope="module")
def small_result(tmp_path_factory: pytest.TempPathFactory) -> AuditResult:
    result = small_audit(tmp_path_factory.mktemp("export"))
    result.duration_seconds = 1.0
    return result


@pytest.mark.parametrize("workers", [1, 2])
def test_the_findings_summary_is_made_once_for_both_files(
    small_result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    made = []
    real = AuditResult.findings_summary

    def spy(self: AuditResult) -> dict:
        made.append(1)
        return real(self)

    monkeypatch.setattr(AuditResult, "findings_summary", spy)
    write_audit_outputs(small_result, tmp_path, workers=workers)
    assert len(made) == 1
    monkeypatch.undo()
    document = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert document["summary"] == small_result.findings_summary()


def test_oracle_the_pages_and_document_given_the_summary_are_those_made_without(small_result: AuditResult) -> None:
    summary = small_result.findings_summary()
    assert html.render(small_result, summary) == html.render(small_result)
    assert small_result.to_dict(summary=summary) == small_result.to_dict()
