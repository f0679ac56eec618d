"""Bulk tasks and harm ranking on fixtures/acme: one fix on many records is one task that lists every
record, the mistyped amounts in the billions come first, ids hash the rules, entity, field and fix
(so a task keeps its id while its records get fixed), import-ready files and per-owner sheets."""

from __future__ import annotations

import copy
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from auditor.reports import worklist_csv, xlsx
from auditor.worklist import plan_worklist

CELL = ["entity", "file", "row", "field"]


def test_the_amounts_in_the_billions_are_among_the_first_ten_tasks(acme_audit, worklist, records) -> None:
    f = acme_audit.findings
    amounts = f[(f["entity"] == "opportunities") & (f["field"] == "amount")]
    billions = amounts[pd.to_numeric(amounts["value"], errors="coerce").abs() >= 1e8]  # 440 million to 46.7 billion
    assert len(billions) == 10
    rows = records.merge(billions[["entity", "record_id", "field"]].drop_duplicates())
    assert len(rows) == 10
    assert rows["priority"].max() <= 10
    task = worklist.set_index("task_id").loc[rows["task_id"].unique()]
    assert task["priority"].tolist() == [1]  # one bulk task: check and retype these ten amounts
    assert task["records"].tolist() == [10]
    assert task["money_at_stake"].iloc[0] == pytest.approx(rows["money_at_stake"].sum())
    assert task["money_at_stake"].iloc[0] > 1e11
    assert task["flags_at_stake"].iloc[0] >= 5  # revenue, CLV, Pareto share... are UNRELIABLE
    assert "revenue" in task["metrics"].iloc[0].split(", ")
    assert worklist.head(10)["rule_ids"].str.contains("case").sum() == 0


def test_every_bulk_task_holds_all_its_records(acme_audit, worklist, records) -> None:
    counts = records.groupby("task_id").size()
    assert (worklist.set_index("task_id")["records"] == counts.reindex(worklist["task_id"]).to_numpy()).all()
    assert len(records) == worklist["records"].sum() == 2612
    # the fix tasks' records are exactly the cells the findings name, each in one task
    f = acme_audit.findings
    plain = f[~f["rule_id"].str.contains(".duplicate", regex=False)]
    fixes = records[records["action"] == "fix"]
    assert len(fixes) == len(plain[CELL].drop_duplicates()) == 1955
    assert not fixes.duplicated(CELL).any()
    bulk = worklist[(worklist["records"] > 1) & (worklist["action"] == "fix")]
    # 1,955 cells to edit are 259 fix tasks (was one task per cell); 224 of them are bulk, with 1,920 cells
    assert (int((worklist["action"] == "fix").sum()), len(bulk), int(bulk["records"].sum())) == (259, 224, 1920)
    # a bulk fix is one edit: one rule set, entity and field, and the value it shares, if any
    mine = records[records["task_id"].isin(bulk["task_id"]) & (records["action"] == "fix")]
    assert (mine.groupby("task_id")[["rule_ids", "entity", "field"]].nunique() == 1).all().all()
    shared = bulk.set_index("task_id")["current_value"].dropna()
    assert (
        mine.set_index("task_id").loc[shared.index, "current_value"]
        == shared.reindex(mine.set_index("task_id").loc[shared.index].index)
    ).all()


def test_a_task_keeps_its_id_while_its_records_are_fixed(acme_audit, worklist) -> None:
    task = worklist.iloc[0]
    f = acme_audit.findings
    first = f.index[(f["rule_id"] == task["rule_ids"]) & (f["entity"] == task["entity"])][0]
    fewer = copy.copy(acme_audit)
    fewer.findings = f.drop(index=first)
    again = plan_worklist(fewer).tasks.set_index("task_id")
    assert again.loc[task["task_id"], "records"] == task["records"] - 1
    assert set(again.index) == set(worklist["task_id"])


def test_import_files_and_record_list_are_written(acme_audit, worklist, records, tmp_path: Path) -> None:
    (tmp_path / "imports").mkdir()
    (tmp_path / "imports" / "F-0000000000000000.csv").write_text("stale")
    names = worklist_csv.write_imports(worklist, records, tmp_path / "imports")
    assert not (tmp_path / "imports" / "F-0000000000000000.csv").exists()
    files = worklist_csv.import_tasks(worklist, records)
    assert len(names) == len(files) > 10
    stage = worklist[(worklist["rule_ids"] == "opportunities.stage.allowed") & (worklist["auto_fixable"] == "yes")]
    task_id = stage["task_id"].iloc[0]
    back = pd.read_csv(tmp_path / "imports" / f"{task_id}.csv", dtype=str)
    assert list(back.columns) == ["opportunity_id", "stage"]
    assert len(back) == stage["records"].iloc[0]
    assert sorted(back["stage"]) == ["Closed Lost", "Closed Won"]
    phones = [frame for frame in files.values() if "phone" in frame.columns]
    for frame in phones:  # E.164 numbers are imported as they are, without a formula guard
        assert not frame["phone"].str.startswith("'").any()
    worklist_csv.write_records(records, tmp_path / "records.csv")
    assert len(pd.read_csv(tmp_path / "records.csv", dtype=str)) == len(records)


def test_the_workbook_has_the_record_list_and_a_sheet_per_owner(acme_audit, records, tmp_path: Path) -> None:
    path = tmp_path / "worklist.xlsx"
    xlsx.write(acme_audit, path)
    book = openpyxl.load_workbook(path, read_only=True)
    assert len(list(book["Records"].values)) == 1 + len(records)
    owners = records["owner"].dropna().value_counts()
    assert book.sheetnames[5:] == owners.index.tolist()[: xlsx.OWNER_SHEETS]
    top = owners.index[0]
    rows = list(book[top].values)
    assert len(rows) == 1 + owners.iloc[0]
    priority = rows[0].index("priority")
    assert [r[priority] for r in rows[1:]] == sorted(r[priority] for r in rows[1:])


def test_sheet_names_are_valid_and_unique() -> None:
    taken: set[str] = set()
    names = [xlsx._sheet_name(o, taken) for o in ["a/b", "a:b", "Summary", "x" * 40, "x" * 40, ""]]
    assert len({n.lower() for n in names}) == len(names)
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\'") for n in names)
    assert "summary" not in {n.lower() for n in names}
