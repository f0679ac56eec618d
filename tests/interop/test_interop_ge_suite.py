"""`crm-audit check --ge-suite FILE`: an existing GX suite runs in the audit; its failures are findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main

CONTACTS = """contact_id,first_name,last_name,email,phone,country,created_at
C1,Anna,Nowak,anna@nowak-trans.pl,+48 601 731 295,PL,2026-01-02
C2,Jan,Kowalski,jan@kowalski-serwis.pl,+48 502 418 736,PL,2026-01-03
C3,Ewa,Lis,ewa@lis-design.de,+48 693 205 814,PL,2026-01-04
C4,Piotr,Zając,piotr@zajac-consulting.com,+48 784 362 951,PL,2026-01-05
"""


def _suite(path: Path, name: str, expectations: list[dict], meta: dict | None = None) -> Path:
    """A suite in GX's JSON format, as a team would have it from their own GX project."""
    path.write_text(json.dumps({"name": name, "expectations": expectations, "meta": meta or {}}))
    return path


@pytest.fixture
def export(tmp_path: Path) -> Path:
    folder = tmp_path / "crm"
    folder.mkdir()
    (folder / "contacts.csv").write_text(CONTACTS, encoding="utf-8")
    (folder / "crm-audit.yaml").write_text("as_of: 2026-10-31\ndefault_region: PL\ndedupe: false\n")
    return folder


def _run(capsys, *args: str) -> tuple[int, dict]:
    code = main(["check", *args, "--format", "json", "--fail-on", "error"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip().startswith("{") else {}


def test_ge_suite_failures_become_findings_scores_and_gate(gx_context, export: Path, tmp_path: Path, capsys) -> None:
    suite = _suite(
        tmp_path / "team.json",
        "team_contacts",
        [
            {
                "type": "expect_column_values_to_match_regex",
                "kwargs": {"column": "email", "regex": r"\.pl$"},
                "meta": {"severity": "error"},
            },
            {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "country", "value_set": ["PL"]}},
            {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 10}},
        ],
        meta={"entity": "contacts"},
    )
    code_without, without = _run(capsys, str(export))
    code, result = _run(capsys, str(export), "--ge-suite", str(suite))
    assert code_without == 0 and code == 1  # the GX error-severity failure fails the gate
    findings = [f for f in result["findings"] if f["rule_id"].startswith("ge:")]
    rule = "ge:team_contacts:expect_column_values_to_match_regex:email"
    assert sorted(f["record_id"] for f in findings) == ["C3", "C4"]
    assert {f["rule_id"] for f in findings} == {rule}
    assert all(f["severity"] == "error" and f["dimension"] == "validity" and f["field"] == "email" for f in findings)
    assert {f["value"] for f in findings} == {"ewa@lis-design.de", "piotr@zajac-consulting.com"}
    assert all(f["file"].endswith("contacts.csv") and f["row"] in (4, 5) for f in findings)
    outcomes = {r["id"]: r for r in result["rules"]}
    assert outcomes[rule]["status"] == "failed"
    assert outcomes["ge:team_contacts:expect_column_values_to_be_in_set:country"]["status"] == "passed"
    table_rule = outcomes["ge:team_contacts:expect_table_row_count_to_be_between:table"]
    assert table_rule["status"] == "failed" and "observed 4" in table_rule["reason"]
    assert result["scores"]["overall"] < without["scores"]["overall"]


def test_ge_suite_entity_from_its_name(gx_context, export: Path, tmp_path: Path, capsys) -> None:
    suite = _suite(
        tmp_path / "s.json",
        "crm_audit.contacts",
        [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "phone"}}],
    )
    code, result = _run(capsys, str(export), "--ge-suite", str(suite))
    assert code == 0
    assert any(r["id"] == "ge:crm_audit.contacts:expect_column_values_to_not_be_null:phone" for r in result["rules"])


def test_ge_suite_naming_no_entity_is_a_usage_error(gx_context, export: Path, tmp_path: Path, capsys) -> None:
    suite = _suite(tmp_path / "s.json", "my_suite", [])
    assert main(["check", str(export), "--ge-suite", str(suite)]) == 2
    assert "set meta.entity" in capsys.readouterr().err


def test_ge_suite_not_json_is_a_usage_error(gx_context, export: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["check", str(export), "--ge-suite", str(bad)]) == 2
    assert "not a GX suite JSON file" in capsys.readouterr().err


def test_exported_suite_runs_back_through_ge_suite(gx_context, export: Path, tmp_path: Path, capsys) -> None:
    """export-ge output is a valid --ge-suite input: the core pack's exact rules, run by GX, in the audit."""
    out = tmp_path / "suites"
    assert main(["export-ge", "--out", str(out), "--exact-only", "--config", str(export / "crm-audit.yaml")]) == 0
    capsys.readouterr()
    _, result = _run(capsys, str(export), "--ge-suite", str(out / "contacts.json"))
    ge_rules = [r for r in result["rules"] if r["id"].startswith("ge:crm_audit.contacts:")]
    assert ge_rules and all(r["status"] in ("passed", "failed") for r in ge_rules)
