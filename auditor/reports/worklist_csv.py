"""worklist.csv: one row per cleanup task, highest priority first (auditor.worklist.WORKLIST_COLUMNS);
worklist_records.csv: every record of every task (auditor.worklist.RECORD_COLUMNS), so that a bulk
task's record list is complete; imports/TASK_ID.csv: for a bulk fix whose every record has its new
value, an import-ready file (the entity's primary key and the field, with the new value) for the
CRM's update-by-id import."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from auditor.io import atomic_open, neutralise_formulas, write_csv
from auditor.model import ENTITIES
from auditor.worklist import WORKLIST_COLUMNS, records_table

IMPORTS = "imports"
STALE = re.compile(r"^F-[0-9a-f]{16}\.csv$")
PLAIN_NUMBER = re.compile(r"^[+-]?\d[\d .]*$")
"""A value no spreadsheet runs as a formula (an E.164 phone number, a negative amount): import files
keep it as it is, since a leading quote would be imported into the CRM."""


def write(worklist: pd.DataFrame, path: str | Path) -> None:
    write_csv(worklist[list(WORKLIST_COLUMNS)], path)


def write_records(records: pd.DataFrame, path: str | Path) -> None:
    """Worklist.records, each chunk's issue texts written out as it is written (records_table)."""
    write_csv(records, path, shown=records_table)


def import_tasks(worklist: pd.DataFrame, records: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """task id -> its import-ready frame (primary key, field), for every fix task of more than one
    record whose records all have a suggested value and whose field is not the primary key. On the
    records' positions: a copy of the bulk tasks' records (every column of five million rows on a
    million copies of one contact, 0.7 GB) was made only to find that none had a value to import."""
    bulk = worklist[(worklist["action"] == "fix") & (worklist["records"] > 1)]
    if not len(bulk):
        return {}
    rows = np.flatnonzero(records["task_id"].isin(bulk["task_id"]).to_numpy(bool))
    if not len(rows):
        return {}
    codes, ids = pd.factorize(records["task_id"].to_numpy()[rows])
    suggested = records["suggested_value"].to_numpy()[rows]
    incomplete = np.bincount(codes, weights=pd.isna(suggested), minlength=len(ids)) > 0
    order = np.argsort(codes, kind="stable")  # per task, its records in their order
    per_task = np.split(order, np.cumsum(np.bincount(codes, minlength=len(ids)))[:-1])
    tasks = bulk.set_index("task_id")
    out = {}
    for task_id, missing, at in zip(ids, incomplete, per_task, strict=True):
        entity, field = tasks.at[task_id, "entity"], tasks.at[task_id, "field"]
        if missing or entity not in ENTITIES or ENTITIES[entity].primary_key == field:
            continue
        key = ENTITIES[entity].primary_key
        out[task_id] = pd.DataFrame({key: records["record_id"].to_numpy()[rows[at]], field: suggested[at]})
    return dict(sorted(out.items(), key=lambda item: tasks.at[item[0], "priority"]))


def write_imports(worklist: pd.DataFrame, records: pd.DataFrame, directory: str | Path) -> list[str]:
    """imports/TASK_ID.csv per import_tasks; returns the names written (relative to `directory`'s parent)."""
    directory = Path(directory)
    for stale in directory.glob("F-*.csv") if directory.is_dir() else ():  # an earlier run's, into the same --out
        if STALE.match(stale.name):
            stale.unlink()
    files = import_tasks(worklist, records)
    if not files:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    names = []
    for task_id, frame in files.items():
        safe = neutralise_formulas(frame)
        for column in frame.columns:
            text = frame[column].astype("object")
            plain = text.map(lambda v: isinstance(v, str) and bool(PLAIN_NUMBER.match(v)))
            safe[column] = safe[column].where(~plain, text)
        with atomic_open(directory / f"{task_id}.csv", newline="") as handle:
            safe.to_csv(handle, index=False)
        names.append(f"{directory.name}/{task_id}.csv")
    return names
