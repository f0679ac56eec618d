"""The findings frame's schema (auditor/findings.py) holds for what every stage writes: the check
engine, duplicate detection and the references, on the suite's shared audit of fixtures/acme; and it
rejects a frame that drops, adds or retypes a column."""

from __future__ import annotations

import pandas as pd
import pandera.errors
import pytest

from auditor.findings import FINDING_COLUMNS, FINDINGS, empty_findings


def test_the_audit_findings_hold_the_schema(acme_audit) -> None:
    findings = acme_audit.findings
    FINDINGS.validate(findings)
    # every stage that writes findings is in it: rule checks, duplicates (uniqueness), cross-table rules
    assert {"error", "warning"} <= set(findings["severity"])
    assert findings["rule_id"].str.endswith(".duplicate").any()
    assert findings["rule_id"].str.endswith(".foreign_key").any()
    assert len(findings) > 2000


def test_duplicate_detection_findings_hold_the_schema(acme_audit) -> None:
    FINDINGS.validate(acme_audit.duplicates.findings())


def test_an_empty_frame_holds_the_schema() -> None:
    empty = empty_findings()
    assert tuple(empty.columns) == FINDING_COLUMNS
    FINDINGS.validate(empty)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda f: f.drop(columns=["owner"]),
        lambda f: f.assign(extra=1),
        lambda f: f.assign(severity="fatal"),
        lambda f: f.assign(record_id=7),
        lambda f: f.assign(row=0),
        lambda f: f[list(reversed(FINDING_COLUMNS))],
    ],
    ids=["dropped column", "added column", "unknown severity", "number as record id", "row 0", "column order"],
)
def test_the_schema_rejects_a_spoilt_frame(acme_audit, spoil) -> None:
    sample = acme_audit.findings.head(20).reset_index(drop=True)
    with pytest.raises((pandera.errors.SchemaError, pandera.errors.SchemaErrors)):
        FINDINGS.validate(spoil(sample))


def test_record_ids_name_a_record_without_a_key_by_its_row() -> None:
    from auditor.model import ENTITIES
    from auditor.sources.table import record_ids

    frame = pd.DataFrame({"contact_id": ["C1", None, "C3"]})
    ids = record_ids(ENTITIES["contacts"], frame, pd.Series([2, 5, 9]))
    assert ids.tolist() == ["C1", "row:5", "C3"]
    assert record_ids(ENTITIES["contacts"], pd.DataFrame({"x": [1]}), pd.Series([4])).tolist() == ["row:4"]


@pytest.mark.parametrize("at_once", [True, False], ids=["one concat", "column by column"])
def test_findings_are_joined_alike_at_once_and_column_by_column(acme_audit, monkeypatch, at_once: bool) -> None:
    from auditor import findings as module

    whole = acme_audit.findings
    monkeypatch.setattr(module, "AT_ONCE", len(whole) if at_once else 0)
    parts = [part.copy() for _, part in whole.groupby("rule_id", sort=False)]
    parts[0] = parts[0].drop(columns=["owner"])  # a part without a column: missing there
    parts[1] = parts[1].assign(value=range(len(parts[1])))  # numbers among the text
    expected = pd.concat(parts, ignore_index=True)
    joined = module.concat_findings(parts)
    pd.testing.assert_frame_equal(joined, expected, check_exact=True)
    assert len(joined) == len(whole) and all(len(p.columns) == 0 for p in parts) != at_once
