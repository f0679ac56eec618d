"""crm-audit fix on XLSX and Parquet exports: the fixed cells change, the files keep their format."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from auditor.errors import InputError
from auditor.pipeline import fix_export
from auditor.staging import MANIFEST

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """Contacts as Parquet (text columns) and accounts as an XLSX workbook, each with known defects."""
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(ACME / "crm-audit.yaml", folder)
    contacts = pd.read_csv(ACME / "contacts.csv", dtype=str, keep_default_na=False).head(40)
    contacts.loc[3, "first_name"] = "  Ewa "
    contacts.loc[4, "last_name"] = "KOWALSKA"
    contacts.loc[5, "phone"] = "601 234 567"
    contacts.to_parquet(folder / "contacts.parquet", index=False)
    accounts = pd.read_csv(ACME / "accounts.csv", dtype=str, keep_default_na=False).head(30)
    accounts.loc[2, "segment"] = "smb"
    accounts.loc[6, "name"] = '=HYPERLINK("x")  '
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(accounts.columns))
    for row in accounts.itertuples(index=False):
        sheet.append([v or None for v in row])
    for cell in sheet["B"]:
        cell.data_type = "s"
    book.save(folder / "accounts.xlsx")
    return folder


def test_parquet_and_xlsx_get_the_safe_fixes(export: Path, tmp_path: Path) -> None:
    out = tmp_path / "fixed"
    report = fix_export(export, out=out, apply=True)
    assert sorted(p.name for p in out.iterdir()) == [
        MANIFEST,
        "accounts.xlsx",
        "changes.csv",
        "contacts.parquet",
        "crm-audit.yaml",
    ]
    changed = report.changes.set_index(["record_id", "field"])["after"]
    contacts = pq.read_table(out / "contacts.parquet").to_pandas()
    assert contacts.loc[3, "first_name"] == "Ewa" == changed[(contacts.loc[3, "contact_id"], "first_name")]
    assert contacts.loc[4, "last_name"] == "Kowalska"
    assert contacts.loc[5, "phone"] == "+48601234567"
    sheet = openpyxl.load_workbook(out / "accounts.xlsx")["Sheet"]
    assert sheet["E4"].value == "SMB"
    assert (sheet["B8"].value, sheet["B8"].data_type) == ('=HYPERLINK("x")', "s")
    assert report.skipped == 0
    again = fix_export(out, out=tmp_path / "again", apply=False)
    assert not set(map(tuple, again.changes[["record_id", "field", "rule_id"]].to_numpy())) & set(
        map(tuple, report.changes[["record_id", "field", "rule_id"]].to_numpy())
    )


def test_json_exports_are_refused_with_apply(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    pd.DataFrame({"contact_id": ["C1"], "first_name": [" Ewa"], "last_name": ["Nowak"]}).to_json(
        folder / "contacts.json", orient="records"
    )
    with pytest.raises(InputError, match="CSV, XLSX and Parquet"):
        fix_export(folder, out=tmp_path / "fixed", apply=True)
    assert len(fix_export(folder, out=tmp_path / "dry", apply=False).changes) == 1
