"""Config and options that used to be ignored silently, or stopped the run with an internal error (exit 3),
now act or stop with one clear line (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import check, load_config
from auditor.cli import main
from auditor.errors import ConfigError

CONTACTS = (
    "contact_id,first_name,last_name,email,tier,created_at\nC1,Jan,Kowalski,jan@x.pl,gold,2025-01-01\n"
    "C2,Ala,Nowak,ala@x.pl,Platinium,2025-01-01\n"
)


def _export(tmp_path: Path, config: str) -> Path:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "contacts.csv").write_text(CONTACTS, encoding="utf-8")
    (tmp_path / "crm-audit.yaml").write_text("as_of: 2026-10-31\n" + config, encoding="utf-8")
    return tmp_path


def test_an_extra_field_s_allowed_values_are_checked(tmp_path: Path) -> None:
    folder = _export(
        tmp_path, "extra_fields:\n  contacts:\n    tier: {role: enum, allowed: [gold, silver, platinum]}\n"
    )
    result = check(folder)
    found = result.findings[result.findings["rule_id"] == "contacts.tier.allowed"]
    assert found["record_id"].tolist() == ["C2"]
    assert found["suggested_value"].tolist() == ["platinum"]
    assert {o.rule_id: o.status for o in result.outcomes}["contacts.tier.allowed"] == "failed"


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ('{delimiter: "[,;]"}', "sources.delimiter: one character"),
        ("{encoding: klingon-8}", "sources.encoding: unknown encoding 'klingon-8'"),
        ("{dayfirst: sometimes}", "sources.dayfirst: true or false"),
        ("{chunk_size: -5}", "sources.chunk_size: a whole number of rows above 0"),
    ],
)
def test_a_reading_option_the_readers_cannot_use_is_a_config_error(tmp_path: Path, sources: str, message: str) -> None:
    folder = _export(tmp_path, f"sources: {sources}\n")
    with pytest.raises(ConfigError, match=message):
        load_config(folder / "crm-audit.yaml")


@pytest.mark.parametrize("command", ["audit", "check", "fix"])
def test_out_on_an_existing_file_is_a_usage_error(tmp_path: Path, command: str, capsys) -> None:
    folder = _export(tmp_path / "in", "")
    target = tmp_path / "report.txt"
    target.write_text("keep me", encoding="utf-8")
    assert main([command, str(folder), "--out", str(target)]) == 2
    assert "--out is a file" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "keep me"
