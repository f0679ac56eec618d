"""worklist.csv: one row per cleanup task, highest priority first (auditor.worklist.WORKLIST_COLUMNS);
worklist_records.csv: every record of every task (auditor.worklist.RECORD_COLUMNS), so that a bulk
task's record list is complete; imports/TASK_ID.csv: for a bulk fix whose every record has its new
value, an import-ready file (the entity's primary key and the field, with the new value) for the
CRM's update-by-id import."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from auditor.csvtext import FORMULA_PREFIXES, LINE_END, coded_texts
from auditor.io import atomic_open, neutralise_formulas, write_csv
from auditor.model import ENTITIES
from auditor.worklist import RECORD_COLUMNS, WORKLIST_COLUMNS, records_table

IMPORTS = "imports"
STALE = re.compile(r"^F-[0-9a-f]{16}\.csv$")
PLAIN_NUMBER = re.compile(r"^[+-]?\d[\d .]*$")
"""A value no spreadsheet runs as a formula (an E.164 phone number, a negative amount): import files
keep it as it is, since a leading quote would be imported into the CRM."""


def write(worklist: pd.DataFrame, path: str | Path) -> None:
    write_csv(worklist[list(WORKLIST_COLUMNS)], path)


def write_records(records: pd.DataFrame, path: str | Path) -> None:
    """Worklist.records, each chunk's issue texts written out as it is written (records_table), its other coded
    columns left coded (SHOWN_AS_CODED)."""
    write_csv(records, path, shown=lambda part: records_table(part, coded=SHOWN_AS_CODED, as_arrow=True))


SHOWN_AS_CODED = tuple(c for c in RECORD_COLUMNS if c != "issue")
"""The columns of Worklist.records that records_table shows as their categories' texts (`plain`)."""


def as_coded(shown: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """`shown` (records_table of `records`) with its SHOWN_AS_CODED columns of coded texts as they are coded: the
    writers then make each category's text once for a file (auditor.csvtext.each_category), not each chunk's
    texts again; the same text either way (tests/reports/test_xlsx_parity.py holds the workbook to one made
    from records_table's texts, tests/test_csvtext.py the lines to pandas')."""
    coded = {c: records[c] for c in SHOWN_AS_CODED if c in shown.columns and c in records.columns}
    coded = {c: values for c, values in coded.items() if coded_texts(values)}
    return shown.assign(**coded) if coded else shown


def import_tasks(worklist: pd.DataFrame, records: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """task id -> its import-ready frame (primary key, field), for every fix task of more than one
    record whose records all have a suggested value and whose field is not the primary key."""
    return {
        task_id: pd.DataFrame({key: ids, field: values})
        for task_id, ((key, field), ids, values) in _import_columns(worklist, records).items()
    }


ImportColumns = tuple[tuple[str, str], np.ndarray, np.ndarray]
"""An import file's two columns: their names (primary key, field), the records' ids, their new values."""


def _import_columns(worklist: pd.DataFrame, records: pd.DataFrame) -> dict[str, ImportColumns]:
    """import_tasks' files as their columns, highest priority first: a frame per file was most of the time
    the 50 files of acme took. On the records' positions: a copy of the bulk tasks' records (every column
    of five million rows on a million copies of one contact, 0.7 GB) was made only to find that none had a
    value to import."""
    bulk = worklist[(worklist["action"] == "fix") & (worklist["records"] > 1)]
    if not len(bulk):
        return {}
    rows = np.flatnonzero(records["task_id"].isin(bulk["task_id"]).to_numpy(bool))
    if not len(rows):
        return {}
    codes, ids = pd.factorize(records["task_id"].to_numpy()[rows])
    suggested = records["suggested_value"].to_numpy()[rows]
    record_ids = records["record_id"].to_numpy()[rows]
    incomplete = np.bincount(codes, weights=pd.isna(suggested), minlength=len(ids)) > 0
    order = np.argsort(codes, kind="stable")  # per task, its records in their order
    per_task = np.split(order, np.cumsum(np.bincount(codes, minlength=len(ids)))[:-1])
    tasks = {
        task_id: (entity, field, priority)
        for task_id, entity, field, priority in zip(
            bulk["task_id"], bulk["entity"], bulk["field"], bulk["priority"], strict=True
        )
    }
    out = {}
    for task_id, missing, at in zip(ids, incomplete, per_task, strict=True):
        entity, field, _ = tasks[task_id]
        if missing or entity not in ENTITIES or ENTITIES[entity].primary_key == field:
            continue
        out[task_id] = ((ENTITIES[entity].primary_key, field), record_ids[at], suggested[at])
    return dict(sorted(out.items(), key=lambda item: tasks[item[0]][2]))


def write_imports(worklist: pd.DataFrame, records: pd.DataFrame, directory: str | Path) -> list[str]:
    """imports/TASK_ID.csv per import_tasks; returns the names written (relative to `directory`'s parent)."""
    directory = Path(directory)
    for stale in directory.glob("F-*.csv") if directory.is_dir() else ():  # an earlier run's, into the same --out
        if STALE.match(stale.name):
            stale.unlink()
    files = _import_columns(worklist, records)
    if not files:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    names = []
    for task_id, columns in files.items():
        with atomic_open(directory / f"{task_id}.csv", newline="") as handle:
            write_import(columns, handle)
        names.append(f"{directory.name}/{task_id}.csv")
    return names


def write_import(columns: ImportColumns, handle: IO[str]) -> None:
    """One import file's CSV text, as pandas' `to_csv(index=False)` writes its frame once its formula cells are
    neutralised but its plain numbers kept (import_csv_by_pandas, which takes a file holding anything but
    texts): by the csv module itself, pandas' own writer, without pandas' steps per file (a frame, a copy, a
    factorize and a `where` per column, the formatter): 2-3 ms a file, 0.11 of acme's 0.9 CPU s of writing."""
    names, *cells = columns
    missing = [pd.isna(values) for values in cells]
    if not all(type(v) is str for values, gaps in zip(cells, missing, strict=True) for v in values[~gaps]):
        import_csv_by_pandas(pd.DataFrame(dict(zip(names, cells, strict=True))), handle)
        return
    shown = [[_import_cell(v) for v in np.where(gaps, "", values)] for values, gaps in zip(cells, missing, strict=True)]
    writer = csv.writer(handle, lineterminator=LINE_END)  # to_csv's dialect: minimal quoting, '"' doubled
    writer.writerow(names)
    writer.writerows(zip(*shown, strict=True))


def _import_cell(text: str) -> str:
    """A text as an import file shows it: after a quote where a spreadsheet would run it, unless it is a plain
    number (neutralise_formulas, PLAIN_NUMBER)."""
    if text.startswith(FORMULA_PREFIXES) and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def import_csv_by_pandas(frame: pd.DataFrame, handle: IO[str]) -> None:
    """An import file through pandas: its formula cells neutralised, its plain numbers kept."""
    safe = neutralise_formulas(frame)
    for column in frame.columns:
        text = frame[column].astype("object")
        plain = text.map(lambda v: isinstance(v, str) and bool(PLAIN_NUMBER.match(v)))
        safe[column] = safe[column].where(~plain, text)
    safe.to_csv(handle, index=False)
