"""`sources.latest`: an event log audited as its records, the latest row per key."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import check, load_config
from auditor.errors import ConfigError, InputError

LOG = """number,incident_state,opened_at,resolved_at,sys_updated_at
INC1,New,2026-01-01 10:00,?,2026-01-01 10:00
INC1,Resolved,2026-01-01 10:00,2026-01-02 09:00,2026-01-02 09:00
INC2,New,2026-01-03 10:00,?,2026-01-03 10:00
INC1,Closed,2026-01-01 10:00,2026-01-02 09:00,2026-01-09 09:00
INC2,Active,2026-01-03 10:00,?,2026-01-03 08:00
,New,2026-01-05 10:00,?,2026-01-05 10:00
"""


def _export(tmp_path: Path, latest: str) -> Path:
    (tmp_path / "tickets.csv").write_text(LOG, encoding="utf-8")
    (tmp_path / "crm-audit.yaml").write_text(
        f"as_of: 2026-10-31\nsources: {{latest: {{tickets: {latest}}}}}\n"
        "mapping: {tickets: {incident_state: status}}\n",
        encoding="utf-8",
    )
    return tmp_path


def test_the_latest_row_of_each_key_is_kept_with_its_line(tmp_path: Path) -> None:
    result = check(_export(tmp_path, "{key: number, by: sys_updated_at}"))
    table = result.data["tickets"]
    # the kept rows in the file's order: INC2's New (its Active row is older), INC1's Closed, the keyless row
    assert table.raw["number"].fillna("").tolist() == ["INC2", "INC1", ""]
    assert table.raw["status"].tolist() == ["New", "Closed", "New"]
    assert table.row_numbers.tolist() == [4, 5, 7]
    [note] = [n for n in result.notes if "sources.latest" in n]
    assert note.endswith(
        "6 rows of 2 number values; the latest row of each is kept (sources.latest, by sys_updated_at)"
    )


def test_without_by_the_last_row_in_the_file_wins(tmp_path: Path) -> None:
    table = check(_export(tmp_path, "{key: number}")).data["tickets"]
    assert table.raw["status"].tolist() == ["Closed", "Active", "New"]


def test_a_column_the_table_lacks_is_named(tmp_path: Path) -> None:
    with pytest.raises(
        InputError, match=r"the key column 'numbr' is not in the tickets table \(did you mean 'number'\?\)"
    ):
        check(_export(tmp_path, "{key: numbr}"))


def test_the_section_is_checked(tmp_path: Path) -> None:
    (tmp_path / "crm-audit.yaml").write_text(
        "sources: {latest: {tickets: {key: number, order: x}}}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"sources.latest.tickets.order: unknown key"):
        load_config(tmp_path / "crm-audit.yaml")
