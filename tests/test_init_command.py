"""`crm-audit init PATH`: a commented starter config from what the auditor detects, to edit."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from auditor.cli import main
from auditor.config import load_config
from auditor.interop.starter import starter_config
from auditor.sources import load_export

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


@pytest.mark.parametrize("crm", ["salesforce", "hubspot", "pipedrive"])
def test_init_writes_a_config_that_reproduces_the_detection(tmp_path: Path, crm: str, capsys) -> None:
    export_dir = _copy(tmp_path, crm)
    assert main(["init", str(export_dir)]) == 0
    written = export_dir / "crm-audit.yaml"
    assert "wrote" in capsys.readouterr().out
    text = written.read_text(encoding="utf-8")
    assert text.startswith("# crm-audit.yaml: a starter config")
    data = yaml.safe_load(text)
    assert set(data) >= {"as_of", "gate", "sources", "mapping"}
    assert data["gate"] == {"fail_under": 80, "fail_on": "error"}
    config = load_config(written)  # valid as written
    detected = load_export(export_dir)
    assert data["sources"]["files"] == {Path(t.source).name: e for e, t in detected.tables.items()}
    for table in detected.tables.values():
        assert f"confidence {table.detection.confidence:.2f}; {crm} export" in text
    # loading with the written config maps every column to the same field
    with_config = load_export(export_dir, config.source_options())
    for entity, table in detected.tables.items():
        before = {(c.source_column, c.field) for c in table.columns}
        after = {(c.source_column, c.field) for c in with_config.tables[entity].columns}
        assert after == before, entity
        assert [v.pairs for v in with_config.tables[entity].values] == [v.pairs for v in table.values]


def test_init_salesforce_values_region_and_as_of(tmp_path: Path) -> None:
    text = starter_config(_copy(tmp_path, "salesforce"), today=dt.date(2026, 11, 1))
    data = yaml.safe_load(text)
    assert data["values"]["opportunities"]["stage"]["Proposal/Price Quote"] == "Proposal"
    assert data["values"]["tickets"]["status"]["Working"] == "Open"
    assert data["mapping"]["contacts"]["MailingPostalCode"] == "postal_code"
    assert '# "IsWon": ?    # not mapped' in text
    assert data["default_region"] == "US" and "records with a country are in US" in text
    assert data["as_of"] <= dt.date(2026, 11, 1)


def test_init_region_from_phone_prefixes(tmp_path: Path) -> None:
    folder = tmp_path / "crm"
    folder.mkdir()
    (folder / "contacts.csv").write_text(
        "contact_id,last_name,phone,created_at\n1,Nowak,+48 601 731 295,2026-01-02\n2,Lis,+48 502 418 736,2026-02-03\n"
        "3,Smith,+1 212 555 0182,2026-03-04\n"
    )
    data = yaml.safe_load(starter_config(folder, today=dt.date(2026, 11, 1)))
    assert data["default_region"] == "PL"
    assert data["as_of"] == dt.date(2026, 3, 4)


def test_init_never_overwrites_without_force(tmp_path: Path, capsys) -> None:
    export_dir = _copy(tmp_path, "hubspot")
    existing = export_dir / "crm-audit.yaml"
    existing.write_text("as_of: 2026-01-01\n")
    assert main(["init", str(export_dir)]) == 2
    assert "use --force" in capsys.readouterr().err
    assert existing.read_text() == "as_of: 2026-01-01\n"
    assert main(["init", str(export_dir), "--force"]) == 0
    assert existing.read_text().startswith("# crm-audit.yaml")
    assert not [p for p in export_dir.iterdir() if p.name.startswith(".crm-audit.yaml")]  # atomic, no leftovers


def test_init_out_option_and_check_uses_it(tmp_path: Path, capsys) -> None:
    export_dir = _copy(tmp_path, "pipedrive")
    out = tmp_path / "configs" / "pd.yaml"
    assert main(["init", str(export_dir), "--out", str(out)]) == 0
    assert out.is_file() and not (export_dir / "crm-audit.yaml").exists()
    assert "set from 'Deal - Status'" in out.read_text()
    capsys.readouterr()
    assert main(["check", str(export_dir), "--config", str(out), "--format", "json"]) in (0, 1)
