"""`crm-audit audit` end to end on fixtures/acme: every file written, the documented JSON shape,
golden result.json and junit.xml, run history and PII masking as CI sees them.

Golden files live in tests/golden/; after an intended change, regenerate them with
`CRM_AUDIT_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_audit_command.py` and review the diff."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from auditor.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
SCHEMA = json.loads((ROOT / "auditor" / "schemas" / "result.schema.json").read_text())
OUTPUTS = {"result.json", "findings.csv", "worklist.csv", "worklist.xlsx", "report.html", "junit.xml"}


def audit(out: Path, *args: str) -> int:
    return main(["audit", "fixtures/acme", "--out", str(out), *args])


@pytest.fixture(scope="module")
def acme_audit(acme_run) -> tuple[int, Path]:
    """The suite's one `audit fixtures/acme --out OUT --no-history --no-mask-pii --format json`, run
    from the repository root (relative paths, as a user types them; tests/conftest.py): exit code, OUT."""
    return acme_run.code, acme_run.out


def test_the_full_audit_writes_every_report_and_fails_the_gate_on_the_fixtures_defects(acme_audit) -> None:
    code, out = acme_audit
    assert code == 1
    assert {p.name for p in out.iterdir()} >= OUTPUTS
    duplicates = {p.name for p in (out / "duplicates").iterdir()}
    assert duplicates >= {"pairs.csv", "clusters.csv", "merge_plan.csv"}
    assert "findings.csv" not in duplicates, "duplicate findings belong in findings.csv only"


def test_result_json_has_the_documented_shape_with_metrics_and_worklist_counts(acme_audit) -> None:
    _, out = acme_audit
    document = json.loads((out / "result.json").read_text())
    jsonschema.validate(document, SCHEMA)
    assert document["schema_version"] == "1.5"
    assert len(document["metrics"]) == 40
    assert document["currency"] == {
        "base": "PLN",
        "default": None,
        "rates": {"EUR": 4.3, "GBP": 5.0, "PLN": 1.0, "USD": 4.0},
        "rates_date": None,
        "rates_source": "config",
    }
    worklist = pd.read_csv(out / "worklist.csv", dtype=str, keep_default_na=False)
    assert document["worklist"]["tasks"] == len(worklist)
    assert document["worklist"]["auto_fixable"] == int((worklist["auto_fixable"] == "yes").sum())
    assert document["worklist"]["by_entity"] == worklist["entity"].value_counts().sort_index().to_dict()
    assert "history" not in document


def stable_result(text: str) -> dict:
    """The document without what changes from run to run (clock, version) or is checked elsewhere
    (the findings list: tests/test_acme_truth.py asserts it defect by defect)."""
    document = json.loads(text)
    for volatile in ("started_at", "duration_seconds", "tool", "findings"):
        document.pop(volatile)
    return document


def stable_junit(text: str) -> str:
    return re.sub(r' time="[0-9.]+"', "", text)


@pytest.mark.parametrize(
    ("name", "normalise"),
    [
        ("result.json", lambda t: json.dumps(stable_result(t), indent=1, ensure_ascii=False, sort_keys=True) + "\n"),
        ("junit.xml", stable_junit),
    ],
)
def test_reports_match_the_golden_files(acme_audit, name, normalise) -> None:
    _, out = acme_audit
    actual = normalise((out / name).read_text(encoding="utf-8"))
    golden = GOLDEN / f"acme.{name}"
    if os.environ.get("CRM_AUDIT_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from {golden}; if intended, regenerate (see module docstring)"


def small_export(folder: Path) -> Path:
    """The first accounts of the fixture and their contacts: enough for a gate, quick to audit."""
    folder.mkdir()
    acme = ROOT / "fixtures" / "acme"
    accounts = pd.read_csv(acme / "accounts.csv", dtype=str, keep_default_na=False).head(60)
    contacts = pd.read_csv(acme / "contacts.csv", dtype=str, keep_default_na=False)
    accounts.to_csv(folder / "accounts.csv", index=False)
    contacts[contacts["account_id"].isin(accounts["account_id"])].to_csv(folder / "contacts.csv", index=False)
    (folder / "crm-audit.yaml").write_text((acme / "crm-audit.yaml").read_text())
    return folder


def test_every_run_is_kept_and_the_second_sees_the_trend(tmp_path: Path) -> None:
    export = small_export(tmp_path / "export")
    history = tmp_path / "runs.sqlite"
    for run in ("first", "second"):
        code = main(["audit", str(export), "--out", str(tmp_path / run), "--history", str(history), "-f", "json"])
        assert code == 1
    first = json.loads((tmp_path / "first" / "result.json").read_text())["history"]
    second = json.loads((tmp_path / "second" / "result.json").read_text())["history"]
    assert [t["run_id"] for t in second["trend"]] == [first["run_id"], second["run_id"]]
    assert second["regressions"] == []
    assert main(["history", "--history", str(history)]) == 0


def test_under_ci_junit_masks_the_contacts_personal_data(acme_audit, tmp_path: Path, monkeypatch) -> None:
    contacts = pd.read_csv(ROOT / "fixtures" / "acme" / "contacts.csv", dtype=str, keep_default_na=False)
    emails = [e for e in contacts["email"] if "@" in e]
    unmasked = (acme_audit[1] / "junit.xml").read_text(encoding="utf-8")
    assert [e for e in emails if e in unmasked], "without masking the examples show the real values"
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("CI", "true")
    assert audit(tmp_path / "ci", "--no-history", "--format", "json") == 1
    junit = (tmp_path / "ci" / "junit.xml").read_text(encoding="utf-8")
    ET.fromstring(junit)
    assert not [e for e in emails if e in junit]
