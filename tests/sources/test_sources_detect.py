"""Entity detection by file name and by headers; directory loading and its skip rules."""

import shutil
from pathlib import Path

import pytest

from auditor.sources import SourceOptions, load_export
from auditor.sources.detect import detect_by_headers, detect_by_name


@pytest.mark.parametrize(
    ("name", "entity"),
    [
        ("contacts", "contacts"),
        ("Contact", "contacts"),
        ("hubspot-crm-exports-all-contacts-2026-11-01", "contacts"),
        ("hubspot-crm-exports-all-companies-2026-11-01", "accounts"),
        ("hubspot-crm-exports-all-deals-2026-11-01", "opportunities"),
        ("kontakty", "contacts"),
        ("Opportunity", "opportunities"),
        ("OpportunityHistory", "opportunity_history"),
        ("deal_stages", "opportunity_history"),
        ("marketing_costs", "costs"),
        ("report_contacts", "contacts"),
        ("people-export", "contacts"),
        ("Case", "tickets"),
        ("ankiety_2026", "surveys"),
        ("contcts", "contacts"),
    ],
)
def test_detect_by_name(name: str, entity: str) -> None:
    detection = detect_by_name(name)
    assert detection is not None and detection.entity == entity


@pytest.mark.parametrize("name", ["export", "data_2026", "crm", "Sheet1"])
def test_names_that_say_nothing(name: str) -> None:
    assert detect_by_name(name) is None


def test_detect_by_headers() -> None:
    assert detect_by_headers(["Imię", "Nazwisko", "E-mail", "Telefon"], {}, {}).entity == "contacts"
    assert detect_by_headers(["Deal Name", "Deal Stage", "Amount", "Close Date"], {}, {}).entity == "opportunities"
    assert detect_by_headers(["ticket_id", "status", "opened_at", "priority"], {}, {}).entity == "tickets"
    assert detect_by_headers(["temperature", "humidity"], {}, {}) is None


def test_directory_with_anonymous_file_uses_headers(tmp_path: Path) -> None:
    (tmp_path / "export1.csv").write_text("Deal Name,Deal Stage,Amount,Close Date\nBig,closedwon,100,2026-01-01\n")
    export = load_export(tmp_path)
    assert list(export.tables) == ["opportunities"]
    assert any("export1.csv: opportunities (4 of 4 headers fit" in n for n in export.notes)


def test_directory_skips_truth_yaml_and_markdown_silently(tmp_path: Path, fixtures: Path) -> None:
    shutil.copy(fixtures / "salesforce" / "Account.csv", tmp_path / "Account.csv")
    (tmp_path / "truth").mkdir()
    (tmp_path / "truth" / "contacts.csv").write_text("contact_id\n1\n")
    (tmp_path / "crm-audit.yaml").write_text("sources: {}\n")
    (tmp_path / "README.md").write_text("# export\n")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG")
    export = load_export(tmp_path)
    assert list(export.tables) == ["accounts"]
    assert not any(name in n for n in export.notes for name in ("contacts.csv", "crm-audit.yaml", "README.md"))
    assert any("logo.png: skipped" in n for n in export.notes)


def test_files_option_overrides_detection(tmp_path: Path) -> None:
    (tmp_path / "klienci_b2b.csv").write_text("contact_id,email\n1,a@x.pl\n")
    (tmp_path / "dump.csv").write_text("contact_id,email\n2,b@x.pl\n")
    export = load_export(tmp_path, SourceOptions(files={"klienci_*.csv": "contacts", "dump.csv": "contacts"}))
    assert list(export.tables) == ["contacts"]
    contacts = export.tables["contacts"]
    assert contacts.raw["contact_id"].tolist() == ["2", "1"]
    assert contacts.sources is not None and contacts.sources.str.endswith("dump.csv").tolist() == [True, False]


def test_progress_callback(fixtures: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    load_export(fixtures / "pipedrive", progress=lambda message, done, total: calls.append((message, done, total)))
    assert calls[0][1:] == (0, 2) and calls[-1][1:] == (2, 2)


def test_all_fixture_directories_load(fixtures: Path) -> None:
    for crm in ("salesforce", "hubspot", "pipedrive"):
        export = load_export(fixtures / crm)
        assert export.tables and all(len(t.raw) >= 10 for t in export.tables.values())
        for table in export.tables.values():
            assert table.raw.index.equals(table.frame.index) and list(table.raw.columns) == list(table.frame.columns)
            assert len(table.row_numbers) == len(table.raw)
