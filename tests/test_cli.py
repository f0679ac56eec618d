"""The command line as a CI system and a person see it: exit codes, outputs, one-line errors."""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from auditor.cli import app, main

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "auditor" / "schemas" / "result.schema.json").read_text())

CONTACTS = """contact_id,first_name,last_name,email,phone,country,account_id,created_at,updated_at
C1,Jan,Kowalski,jan.kowalski@firma.pl,+48 601 234 567,PL,A1,2025-01-02,2026-09-01
C2,Anna,Nowak,anna.nowak@@firma.pl,601234567,PL,A1,2025-02-03,2026-09-02
C3,Piotr,  Wiśniewski,piotr@firma.pl,,PL,A9,2025-03-04,2026-09-03
"""
ACCOUNTS = """account_id,name,country,created_at,updated_at
A1,Firma Sp. z o.o.,PL,2024-01-01,2026-09-01
"""


@pytest.fixture
def export(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "contacts.csv").write_text(CONTACTS, encoding="utf-8")
    (folder / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    (folder / "crm-audit.yaml").write_text("as_of: 2026-10-31\ndefault_region: PL\n", encoding="utf-8")
    return folder


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main([*args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_gate_fails_on_errors_and_passes_when_told_to_ignore_them(capsys, export: Path) -> None:
    before = digest(export)
    code, out, _ = run(capsys, "check", str(export))
    assert code == 1
    assert "FAIL" in out and "contacts.email.format" in out
    assert run(capsys, "check", str(export), "--fail-on", "never")[0] == 0
    assert run(capsys, "check", str(export), "--fail-on", "never", "--fail-under", "99.5")[0] == 1
    assert digest(export) == before, "the auditor must never modify its input"


def test_json_output_matches_the_documented_schema(capsys, export: Path) -> None:
    code, out, _ = run(capsys, "check", str(export), "--format", "json")
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    assert code == 1 and document["gate"]["passed"] is False
    found = {(f["record_id"], f["field"], f["rule_id"]) for f in document["findings"]}
    assert ("C2", "email", "contacts.email.format") in found
    assert ("C3", "last_name", "contacts.name.whitespace") in found
    assert ("C3", "account_id", "contacts.account_id.foreign_key") in found
    email = next(f for f in document["findings"] if f["rule_id"] == "contacts.email.format")
    assert email["suggested_value"] == "anna.nowak@firma.pl"
    assert email["file"].endswith("contacts.csv") and email["row"] == 3


def test_junit_has_a_case_per_rule_and_per_gate_check(capsys, export: Path) -> None:
    code, out, _ = run(capsys, "check", str(export), "--format", "junit")
    assert code == 1
    root = ET.fromstring(out)
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases["contacts.email.format"].find("failure") is not None
    assert cases["findings"].find("failure") is not None
    assert cases["contacts.contact_id.unique"].find("failure") is None
    assert cases["tickets.ticket_id.unique"].find("skipped") is not None


def test_out_writes_result_findings_and_junit(capsys, export: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    run(capsys, "check", str(export), "--out", str(out_dir))
    assert sorted(p.name for p in out_dir.iterdir()) == [
        ".crm-audit-run.json",  # the manifest of the complete run (auditor.staging)
        "findings.csv",
        "junit.xml",
        "result.json",
    ]
    header = (out_dir / "findings.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    for column in ("entity", "record_id", "field", "rule_id", "severity", "message", "suggested_value"):
        assert column in header
    jsonschema.validate(json.loads((out_dir / "result.json").read_text()), SCHEMA)


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["check", "/no/such/export"], r"/no/such/export"),
        (["check", "{export}", "--rules", "/no/such/pack.yaml"], r"/no/such/pack.yaml: rule pack not found"),
        (["check", "{export}", "--fail-on", "sometimes"], r"sometimes"),
        (["check"], r"PATH is missing"),
        (["chekc", "{export}"], r"no command 'chekc'; did you mean 'check'\?"),
    ],
)
def test_bad_usage_and_unreadable_input_exit_2_with_a_reason(capsys, export: Path, args: list, pattern: str) -> None:
    code, out, err = run(capsys, *[a.format(export=export) for a in args])
    assert code == 2
    assert re.search(pattern, out + err)


def test_malformed_pack_names_file_line_and_rule(capsys, export: Path, tmp_path: Path) -> None:
    pack = tmp_path / "mine.yaml"
    pack.write_text("rules:\n  - {id: my.rule, kind: emial, entity: contacts, fields: [email]}\n", encoding="utf-8")
    code, _, err = run(capsys, "check", str(export), "--rules", str(pack))
    assert code == 2
    assert "mine.yaml:2: rule 'my.rule': unknown rule kind 'emial'; did you mean 'email'?" in err


def test_empty_file_exits_2_naming_the_file(capsys, tmp_path: Path) -> None:
    empty = tmp_path / "contacts.csv"
    empty.write_bytes(b"")
    code, _, err = run(capsys, "check", str(empty))
    assert code == 2
    assert "contacts.csv" in err and "empty" in err
    assert len(err.strip().splitlines()) == 1


def test_every_command_has_help_and_a_readme_section(capsys) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert {"check", "synth", "rules", "mapping"} <= set(commands)
    for command in commands:
        code, out, _ = run(capsys, command, "--help")
        assert code == 0 and "Usage" in out
        assert f"crm-audit {command}" in readme, f"README.md does not document `crm-audit {command}`"


def test_rules_lists_kinds_and_rules(capsys) -> None:
    code, out, _ = run(capsys, "rules", "--kinds")
    assert code == 0 and "postal_code" in out and "staleness" in out
    code, out, _ = run(capsys, "rules")
    assert code == 0 and "contacts.email.format" in out


@pytest.mark.parametrize("command", ["check", "audit"])
def test_timings_go_to_standard_error_stage_by_stage(capsys, export: Path, tmp_path: Path, command: str) -> None:
    out_dir = tmp_path / "out"
    args = [command, str(export), "--format", "json", "--timings", "--fail-on", "never", "--out", str(out_dir)]
    if command == "audit":
        args.append("--no-history")
    code, out, err = run(capsys, *args)
    assert code == 0
    document = json.loads(out)  # standard output is still only the JSON document
    assert "timings" not in document
    stages = ["load", "checks", "duplicates", "scores and gate", "writing reports"]
    if command == "audit":
        stages[4:4] = ["metrics", "worklist"]
    cells: list[list[str]] = []
    for line in err.splitlines():
        if line.count("│") >= 4:
            row = [c.strip() for c in line.split("│")[1:-1]]
            if cells and not any(row[1:]):  # a stage's name wrapped onto the next line (a narrow terminal)
                cells[-1][0] += " " + row[0]
            else:
                cells.append(row)
    rows = [row[0] for row in cells]
    assert rows[: len(stages)] == stages
    assert rows[-1].startswith("total")
    # the memory high-water mark as each stage ended: it never falls, and the total's is the last
    peaks = [float(row[-1].replace(",", "")) for row in cells[: len(stages)] + cells[-1:]]
    assert peaks == sorted(peaks) and peaks[0] > 0
    code, _, err = run(capsys, *[a for a in args if a != "--timings"])
    assert code == 0 and "time per stage" not in err  # only when asked
