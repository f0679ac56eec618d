"""junit.xml's example findings per rule: the lines each failing rule's test case shows."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from auditor.checks.base import Severity
from auditor.checks.engine import RuleOutcome
from auditor.reports import junit

RULES = ("contacts.email", "contacts.phone", "accounts.name")


def _result() -> SimpleNamespace:
    """What junit.render reads of an AuditResult: two rules with findings (one with more than
    EXAMPLES_PER_RULE), their rows interleaved, a missing message, and a rule without findings."""
    rule_ids = ["contacts.email", "contacts.phone"] * 4 + ["contacts.email"] * 3
    n = len(rule_ids)
    findings = pd.DataFrame(
        {
            "rule_id": rule_ids,
            "file": ["contacts.csv"] * n,
            "row": np.arange(2, n + 2, dtype="int64"),
            "record_id": [f"C{k:03d}" for k in range(n)],
            "field": [rule.split(".")[1] for rule in rule_ids],
            "message": [f"bad value {k}" if k != 3 else np.nan for k in range(n)],
        }
    )
    outcomes = [
        RuleOutcome(rule, "kind", entity, (field,), Severity.ERROR, "validity", status, 10, 2, 3)
        for rule, status in zip(RULES, ("failed", "failed", "passed"), strict=True)
        for entity, field in [rule.split(".")]
    ]
    gate = SimpleNamespace(fail_on="error", checks=[])
    return SimpleNamespace(gate=gate, duration_seconds=1.0, findings=findings, outcomes=outcomes)


def _shown(xml: str) -> dict[str, list[str]]:
    """rule id -> the lines of its failure text after the summary."""
    root = ET.fromstring(xml)
    return {
        case.get("name", ""): (case.find("failure").text or "").split("\n")[1:]  # type: ignore[union-attr]
        for case in root.iter("testcase")
        if case.find("failure") is not None
    }


def test_oracle_example_lines_as_each_rules_rows_read_them() -> None:
    """Oracle: the lines are what each rule's first EXAMPLES_PER_RULE findings, row by row, read."""
    result = _result()
    examples = result.findings.groupby("rule_id", sort=False).head(junit.EXAMPLES_PER_RULE)
    expected = {
        rule: [f"{r.file}:{r.row} {r.record_id} {r.field}: {r.message}" for r in group.itertuples()]
        for rule, group in examples.groupby("rule_id", sort=False)
    }
    assert _shown(junit.render(result)) == expected
    assert len(expected["contacts.email"]) == junit.EXAMPLES_PER_RULE


def test_example_lines_make_no_namedtuple_per_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lines are read from the columns once: `itertuples` per rule made a namedtuple class each time
    (a third of acme's junit.xml)."""
    result = _result()
    expected = junit.render(result)

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("itertuples called")

    monkeypatch.setattr(pd.DataFrame, "itertuples", refused)
    assert junit.render(result) == expected
