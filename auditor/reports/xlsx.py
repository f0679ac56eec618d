"""worklist.xlsx: the cleanup worklist for a spreadsheet user, with Worklist, Merges, Records (every
record of every task: a bulk task's record list), Summary and Metrics sheets, then one sheet per
owner (the records that owner should edit, most important first; the OWNER_SHEETS owners with the
most records).

Every value from the data is written as a text cell (data type 's'), never as a formula: a contact
named "=HYPERLINK(...)" stays text in Excel and LibreOffice. Characters XML cannot hold (control
characters, which whitespace defects contain) are shown as `\\xNN`. Write-only mode keeps memory flat
on large worklists; tasks beyond the first MAX_ROWS (by priority) are left out, and the Summary says
how many (worklist.csv has them all).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from auditor.io import atomic_open
from auditor.result import AuditResult
from auditor.worklist import RECORD_COLUMNS, WORKLIST_COLUMNS, records_table

MAX_ROWS = 25_000
"""Tasks per sheet. A person works through the top of the list in a spreadsheet, and openpyxl
writes a few thousand rows a second: 263,000 tasks of a 1,000,000-contact audit took minutes for
an unopenable sheet. worklist.csv keeps every task; the Summary sheet counts those left out."""
OWNER_SHEETS = 30
"""Per-owner sheets: the owners with the most task records; the Summary counts the others."""
OWNER_ROWS = 2_000
"""Records per owner sheet, most important first: a person's list to work through, and 30 sheets
stay quick to write on a large audit (worklist_records.csv has every record)."""
OWNER_COLUMNS = tuple(c for c in RECORD_COLUMNS if c != "owner")
MERGE_COLUMNS = (
    "task_id",
    "priority",
    "entity",
    "record_id",
    "owner",
    "members",
    "severity",
    "issue",
    "evidence",
    "merge_plan",
    "metric_effect",
)
WIDTHS = {
    "issue": 60,
    "metric_effect": 60,
    "evidence": 60,
    "merge_plan": 60,
    "metrics": 40,
    "reasons": 80,
    "formula": 60,
    "current_value": 30,
    "suggested_value": 30,
    "file": 30,
    "members": 30,
    "rule_ids": 34,
}
DEFAULT_WIDTH = 14
SEVERITY_FILL = {
    "error": PatternFill("solid", fgColor="F8CBAD"),
    "warning": PatternFill("solid", fgColor="FFE699"),
    "info": PatternFill("solid", fgColor="DDEBF7"),
}
"""The colour of a task's priority and severity cells."""
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")


def write(result: AuditResult, path: str | Path) -> None:
    worklist = result.worklist if result.worklist is not None else pd.DataFrame(columns=list(WORKLIST_COLUMNS))
    book = Workbook(write_only=True)
    shown = worklist.head(MAX_ROWS)
    _table(book.create_sheet("Worklist"), list(WORKLIST_COLUMNS), _rows(shown, WORKLIST_COLUMNS), shown["severity"])
    merges = worklist[worklist["action"] == "merge"].head(MAX_ROWS)
    _table(book.create_sheet("Merges"), list(MERGE_COLUMNS), _rows(merges, MERGE_COLUMNS), merges["severity"])
    records = result.worklist_records
    if records is None:
        records = pd.DataFrame(columns=list(RECORD_COLUMNS))
    listed = records_table(records.head(MAX_ROWS))
    _table(book.create_sheet("Records"), list(RECORD_COLUMNS), _rows(listed, RECORD_COLUMNS), listed["severity"])
    owners = records["owner"].dropna().astype(str).value_counts(sort=False)
    owners = owners.sort_values(ascending=False, kind="stable").head(OWNER_SHEETS)
    left = {"tasks": len(worklist) - len(shown), "records": len(records) - len(listed)}
    left["owners"] = records["owner"].dropna().nunique() - len(owners)
    left["owner_rows"] = int((owners - min(OWNER_ROWS, MAX_ROWS)).clip(lower=0).sum())
    _table(book.create_sheet("Summary"), ["item", "value"], _summary(result, left))
    _table(book.create_sheet("Metrics"), list(METRIC_COLUMNS), [_metric_row(m) for m in result.metrics])
    names: set[str] = set()
    owned = records["owner"].astype(str).to_numpy() if len(owners) else None
    for owner in sorted(owners.index, key=lambda o: (-owners[o], o)):
        # the rows' positions, not a copy of every record of the owner: one owner may have them all
        mine = records_table(records.iloc[np.flatnonzero(owned == owner)[: min(OWNER_ROWS, MAX_ROWS)]])
        sheet = book.create_sheet(_sheet_name(owner, names))
        _table(sheet, list(OWNER_COLUMNS), _rows(mine, OWNER_COLUMNS), mine["severity"])
    with atomic_open(path, "wb") as handle:
        book.save(handle)


SHEET_NAME = re.compile(r"[\[\]:*?/\\']")


def _sheet_name(owner: str, taken: set[str]) -> str:
    """A valid, unique sheet name for an owner: without []:*?/\\ and quotes, at most 31 characters."""
    base = SHEET_NAME.sub(" ", owner).strip()[:28] or "owner"
    name, n = base, 1
    while name.lower() in taken or name.lower() in RESERVED:
        n += 1
        name = f"{base[:26]} {n}"
    taken.add(name.lower())
    return name


RESERVED = {"worklist", "merges", "records", "summary", "metrics", "history"}


def _rows(frame: pd.DataFrame, columns: Sequence[str]) -> Iterable[list[Any]]:
    return frame[list(columns)].astype("object").itertuples(index=False, name=None)


def _table(
    sheet: WriteOnlyWorksheet, header: list[str], rows: Iterable[Sequence[Any]], severity: pd.Series | None = None
) -> None:
    sheet.freeze_panes = "A2"
    for i, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = WIDTHS.get(name, DEFAULT_WIDTH)
    sheet.append([_header_cell(sheet, name) for name in header])
    coloured = {header.index(c) for c in ("priority", "severity") if c in header}
    fills = iter(severity.tolist()) if severity is not None else None
    count = 0
    for row in rows:
        fill = SEVERITY_FILL.get(next(fills)) if fills is not None else None
        cells = [_cell(sheet, v) for v in row]
        if fill is not None:
            for i in coloured:
                cells[i].fill = fill
        sheet.append(cells)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"


def _header_cell(sheet: WriteOnlyWorksheet, name: str) -> WriteOnlyCell:
    cell = _cell(sheet, name)
    cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    return cell


def _cell(sheet: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    """Numbers stay numbers; everything else is text (data type 's'), so no value runs as a formula."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return WriteOnlyCell(sheet, None)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        text = value if isinstance(value, str) else _text(value)
        cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text))
        cell.data_type = "s"
        return cell
    return WriteOnlyCell(sheet, value)


def _text(value: Any) -> str:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _summary(result: AuditResult, left: dict[str, int]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("input", result.shown_input),
        ("as of", result.as_of.strftime("%Y-%m-%d")),
        ("overall score", result.scores.overall),
        ("gate", "passed" if result.gate.passed else "failed"),
        *(("gate reason", r) for r in result.gate.reasons),
        *((f"dimension: {d}", s) for d, s in result.scores.dimensions.items()),
        *((f"entity: {name}", e.score) for name, e in result.scores.entities.items()),
        ("findings", len(result.findings)),
    ]
    if result.worklist is not None:
        w = result.worklist
        rows += [
            ("tasks", len(w)),
            ("fix tasks", int((w["action"] == "fix").sum())),
            ("merge tasks", int((w["action"] == "merge").sum())),
            ("auto-fixable tasks", int((w["auto_fixable"] == "yes").sum())),
            ("bulk tasks (one fix on many records)", int((w["records"] > 1).sum())),
        ]
    if left["tasks"] > 0:
        rows.append((f"tasks left out (this sheet holds the first {MAX_ROWS:,}; worklist.csv has all)", left["tasks"]))
    if left["records"] > 0:
        rows.append(
            (f"records left out (Records holds the first {MAX_ROWS:,}; worklist_records.csv has all)", left["records"])
        )
    if left.get("owner_rows", 0) > 0:
        rows.append((f"records left out of the owner sheets (each holds its first {OWNER_ROWS:,})", left["owner_rows"]))
    if left["owners"] > 0:
        rows.append((f"owners without a sheet (sheets for the {OWNER_SHEETS} with most records)", left["owners"]))
    return rows


METRIC_COLUMNS = (
    "id",
    "title",
    "value",
    "trusted_value",
    "warning",
    "unit",
    "confidence",
    "coverage",
    "sensitivity",
    "duplicates",
    "n",
    "reasons",
    "formula",
)


def _metric_row(m: Any) -> list[Any]:
    value = m.value if not isinstance(m.value, float) or not math.isnan(m.value) else None
    return [
        m.id,
        m.title,
        value,
        m.trusted_value,
        m.warning,
        m.unit,
        m.flag.name,
        m.coverage,
        m.sensitivity,
        m.duplicates,
        m.n,
        "\n".join(m.reasons),
        re.sub(r"\s+", " ", m.formula).strip(),
    ]
