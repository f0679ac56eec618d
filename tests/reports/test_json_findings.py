"""result.json's findings, joined column-wise, are what json.dumps writes for the odd values too: a lone
surrogate (written escaped by the file, so each record is dumped) and a tuple (a list, indented inside its record)."""

from __future__ import annotations

import copy
import json

import pytest

from auditor.reports import json_report
from auditor.result import AuditResult


@pytest.mark.parametrize("value", ["bad \ud800 text", ("a", 1), 'plain \u00e9 "quoted" \\ text', "tab\there\n\x01"])
def test_odd_values_are_written_as_dumps_writes_them(acme_audit: AuditResult, value: object) -> None:
    result = copy.copy(acme_audit)
    findings = acme_audit.findings.head(9).copy()
    findings["value"] = findings["value"].astype(object)
    findings.at[findings.index[4], "value"] = value
    result.findings = findings
    assert json_report.render(result) == json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"
