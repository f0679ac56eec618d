from __future__ import annotations

from pathlib import Path

from auditor import check, load_config


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_findings_of_concatenated_files_name_each_rows_own_file(tmp_path: Path) -> None:
    header = "contact_id,first_name,last_name,email,created_at\n"
    write(tmp_path / "in", "contacts_2025.csv", header + "C1,Jan,Kowalski,jan@@x.pl,2025-01-01\n")
    rows_2026 = "C2,Anna,Nowak,anna@x.pl,2026-01-01\nC3,Ewa,Lis,ewa@,2026-01-02\n"
    write(tmp_path / "in", "contacts_2026.csv", header + rows_2026)
    write(tmp_path, "cfg.yaml", "as_of: 2026-10-31\n")
    result = check(tmp_path / "in", load_config(tmp_path / "cfg.yaml"))
    emails = result.findings[result.findings["rule_id"] == "contacts.email.format"].set_index("record_id")
    assert Path(emails.loc["C1", "file"]).name == "contacts_2025.csv" and emails.loc["C1", "row"] == 2
    assert Path(emails.loc["C3", "file"]).name == "contacts_2026.csv" and emails.loc["C3", "row"] == 3


def test_an_absent_column_is_not_evaluated_and_no_defect(tmp_path: Path) -> None:
    write(tmp_path / "in", "contacts.csv", "contact_id,first_name,email,created_at\nC1,Jan,jan@x.pl,2025-01-01\n")
    write(tmp_path, "cfg.yaml", "as_of: 2026-10-31\ngate: {fail_on: error}\n")
    result = check(tmp_path / "in", load_config(tmp_path / "cfg.yaml"))
    assert result.structural == []
    assert result.gate.passed and result.scores.entities["contacts"].score == 100.0
    (table,) = result.tables
    assert "last_name" in table["absent_fields"]
    skipped = {o.rule_id: o.reason for o in result.outcomes if o.status == "not_evaluated"}
    assert "contacts.name.casing" not in skipped  # first_name is present, so the rule runs on it


def test_a_required_column_that_is_absent_fails_the_gate_and_lowers_the_score(tmp_path: Path) -> None:
    write(tmp_path / "in", "contacts.csv", "contact_id,first_name,email,created_at\nC1,Jan,jan@x.pl,2025-01-01\n")
    write(tmp_path, "cfg.yaml", "as_of: 2026-10-31\ngate: {fail_on: error}\nrequired: {contacts: [last_name]}\n")
    result = check(tmp_path / "in", load_config(tmp_path / "cfg.yaml"))
    assert [(i.field, i.message) for i in result.structural] == [
        ("last_name", "required column 'last_name' is missing: no header maps to it (config `required:`)")
    ]
    assert not result.gate.passed
    assert any("last_name" in r for r in result.gate.reasons)
    assert result.scores.entities["contacts"].score == 50.0


def test_required_names_unknown_entities_and_fields(tmp_path: Path) -> None:
    import pytest

    from auditor.errors import ConfigError

    write(tmp_path, "cfg.yaml", "required: {contact: [email], accounts: [nmae]}\n")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path / "cfg.yaml")
    assert "required.contact: unknown entity (did you mean 'contacts'?)" in str(error.value)
    assert "required.accounts: unknown field 'nmae' (did you mean 'name'?)" in str(error.value)
