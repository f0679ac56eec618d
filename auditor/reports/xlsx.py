"""worklist.xlsx: the cleanup worklist for a spreadsheet user, with Worklist, Merges, Records (every
record of every task: a bulk task's record list), Summary and Metrics sheets, then one sheet per
owner (the records that owner should edit, most important first; the OWNER_SHEETS owners with the
most records).

Every value from the data is written as a text cell (data type 's'), never as a formula: a contact
named "=HYPERLINK(...)" stays text in Excel and LibreOffice. Characters XML cannot hold (control
characters, which whitespace defects contain) are shown as `\\xNN`. A sheet stops only at Excel's own
MAX_ROWS, and the Summary says how many rows a sheet left out (worklist.csv has them all).

XlsxWriter builds the workbook (styles, sheet settings, header rows); the sheets' rows are made a column at
a time by auditor.reports.sheet_xml, as XlsxWriter would write them, and streamed into the package
(auditor.reports.xlsx_package): per cell, XlsxWriter's own writing was most of an audit's writing time.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from auditor.csvtext import KnownCategories
from auditor.io import CHUNK_ROWS, Chunks, atomic_open
from auditor.reports.sheet_xml import rows_xml
from auditor.reports.worklist_csv import SHOWN_AS_CODED, as_coded
from auditor.reports.xlsx_package import package
from auditor.result import AuditResult
from auditor.worklist import RECORD_COLUMNS, WORKLIST_COLUMNS, records_table

MAX_ROWS = 1_048_575
"""Rows of a sheet below its header: Excel's limit (1,048,576 rows). worklist.csv keeps every task; the
Summary sheet counts those left out."""
OWNER_SHEETS = 30
"""Per-owner sheets: the owners with the most task records; the Summary counts the others."""
OWNER_ROWS = 2_000
"""Records per owner sheet, most important first: a person's list to work through (worklist_records.csv
has every record)."""
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
SEVERITY_FILL = {"error": "#F8CBAD", "warning": "#FFE699", "info": "#DDEBF7"}
"""The colour of a task's priority and severity cells."""
HEADER_FILL = "#D9D9D9"


@dataclass
class _Sheet:
    """A sheet to write: its rows are `frame`'s (`table`: what each chunk is shown as), `columns` of them;
    `coloured`: a row's priority and severity cells filled with its severity's colour."""

    name: str
    columns: Sequence[str]
    frame: pd.DataFrame
    table: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    coloured: bool = False


def write(result: AuditResult, path: str | Path) -> None:
    sheets = _sheets(result)
    skeleton = io.BytesIO()
    # constant memory: XlsxWriter holds no sheet whole (it writes the header rows only)
    book = xlsxwriter.Workbook(skeleton, {"constant_memory": True})
    fills = _Styles(book, _first_used(sheets))
    for sheet in sheets:
        _header(book, fills, sheet)
    book.close()
    known: KnownCategories = {}
    rows = {
        f"xl/worksheets/sheet{k}.xml": (len(s.frame), _rows(s, fills, known)) for k, s in enumerate(sheets, start=1)
    }
    with atomic_open(path, "wb") as handle:
        package(skeleton, handle, rows)


def _sheets(result: AuditResult) -> list[_Sheet]:
    """The workbook's sheets in their order, each a frame of rows still to be shown."""
    worklist = result.worklist if result.worklist is not None else pd.DataFrame(columns=list(WORKLIST_COLUMNS))
    records = result.worklist_records
    if records is None:
        records = pd.DataFrame(columns=list(RECORD_COLUMNS))
    shown = _first_rows(worklist)
    merges = _first_rows(worklist.loc[(worklist["action"] == "merge").to_numpy(bool), list(MERGE_COLUMNS)])
    listed = _first_rows(records)
    owner_codes, owner_names = _owners(records["owner"])
    owners = pd.Series(np.bincount(owner_codes[owner_codes >= 0], minlength=len(owner_names)), index=owner_names)
    owners = owners.sort_values(ascending=False, kind="stable").head(OWNER_SHEETS)
    left = {"tasks": len(worklist) - len(shown), "records": len(records) - len(listed)}
    left["owners"] = len(owner_names) - len(owners)
    left["owner_rows"] = int((owners - min(OWNER_ROWS, MAX_ROWS)).clip(lower=0).sum())
    sheets = [
        _Sheet("Worklist", WORKLIST_COLUMNS, shown, coloured=True),
        _Sheet("Merges", MERGE_COLUMNS, merges, coloured=True),
        _Sheet("Records", RECORD_COLUMNS, listed, _records_shown, coloured=True),
        _Sheet("Summary", ("item", "value"), _frame(_summary(result, left), ("item", "value"))),
        _Sheet("Metrics", METRIC_COLUMNS, _frame([_metric_row(m) for m in result.metrics], METRIC_COLUMNS)),
    ]
    names: set[str] = set()
    code = {name: k for k, name in enumerate(owner_names)}
    for owner in sorted(owners.index, key=lambda o: (-owners[o], o)):
        # the rows' positions, not a copy of every record of the owner: one owner may have them all
        mine = records.iloc[np.flatnonzero(owner_codes == code[owner])[: min(OWNER_ROWS, MAX_ROWS)]]
        sheets.append(_Sheet(_sheet_name(owner, names), OWNER_COLUMNS, mine, _records_shown, coloured=True))
    return sheets


def _first_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The first MAX_ROWS rows, not copied: `head` copies every column (the task records and the worklist twice,
    0.2 CPU s on a million contacts), only for a sheet to read them a chunk at a time."""
    return frame if len(frame) <= MAX_ROWS else frame.iloc[:MAX_ROWS]


CODED_IN_SHEETS = tuple(c for c in SHOWN_AS_CODED if c != "severity")
"""The records' columns a sheet takes coded from records_table: all it shows coded (as_coded) but the severity,
whose text picks each row's fill first."""


def _records_shown(records: pd.DataFrame) -> pd.DataFrame:
    return records_table(records, coded=CODED_IN_SHEETS, as_arrow=True)


def _frame(rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(columns), dtype=object)


class _Styles:
    """The workbook's few cell formats, made once. The rows made outside XlsxWriter refer to a format by
    its index, which XlsxWriter gives a format at its first use (`_get_xf_index`): the fills are numbered
    in the order the rows use them, so the workbook is the one XlsxWriter would write cell by cell (the
    tests compare the two, and read the fills back)."""

    def __init__(self, book: xlsxwriter.Workbook, severities: Sequence[str]) -> None:
        self.header = book.add_format({"bold": True, "pattern": 1, "bg_color": HEADER_FILL})
        self.header._get_xf_index()
        self.fill = {}
        for severity in severities:
            fill = book.add_format({"pattern": 1, "bg_color": SEVERITY_FILL[severity]})
            self.fill[severity] = fill._get_xf_index()


def _first_used(sheets: Sequence[_Sheet]) -> list[str]:
    """The severities with a fill, in the order the coloured sheets' rows first show them."""
    seen: dict[str, None] = {}
    for sheet in sheets:
        if sheet.coloured and len(sheet.frame):
            seen.update(dict.fromkeys(s for s in pd.unique(sheet.frame["severity"]) if s in SEVERITY_FILL))
    return list(seen)


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


def _owners(owner: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(each record's owner as a code, -1 where it has none; the owners' names, in the order they first
    appear): counted on codes, not on a str made per record."""
    if isinstance(owner.dtype, pd.CategoricalDtype):
        codes, names = owner.cat.codes.to_numpy(), np.asarray(owner.cat.categories, dtype=object)
    else:
        codes, names = pd.factorize(owner.to_numpy(dtype=object))
    distinct, first = np.unique(codes[codes >= 0], return_index=True)
    appearance = distinct[np.argsort(first, kind="stable")]
    merged, shown = pd.factorize(np.array([str(names[c]) for c in appearance], dtype=object))  # one per name
    remap = np.full(len(names) + 1, -1, dtype=np.int64)
    remap[appearance] = merged
    return remap[codes], [str(name) for name in shown]


def _header(book: xlsxwriter.Workbook, styles: _Styles, sheet: _Sheet) -> None:
    """The sheet with its header row, column widths, frozen header and a filter over the rows to come."""
    page = book.add_worksheet(sheet.name)
    page.freeze_panes(1, 0)
    for i, column in enumerate(sheet.columns):
        page.set_column(i, i, WIDTHS.get(column, DEFAULT_WIDTH))
        page.write_string(0, i, column, styles.header)
    page.autofilter(0, 0, len(sheet.frame), len(sheet.columns) - 1)


def _rows(
    sheet: _Sheet, styles: _Styles, known: KnownCategories | None = None
) -> Callable[[], Iterator[bytes | memoryview]]:
    """The sheet's rows as XML, a chunk at a time (auditor.io.Chunks): a sheet of a million records is not
    made at once, nor 50,000 tasks' merge plans. `known`: the coded columns' cells made so far, shared by the
    sheets of records (rows_xml)."""
    filled = [sheet.columns.index(c) for c in ("priority", "severity") if c in sheet.columns] if sheet.coloured else []
    known = {} if known is None else known

    def chunks() -> Iterator[bytes | memoryview]:
        spans = Chunks(len(sheet.frame), CHUNK_ROWS)
        for start, stop in spans:
            part = sheet.frame.iloc[start:stop]
            shown = (sheet.table(part) if sheet.table is not None else part)[list(sheet.columns)]
            fill = shown["severity"].map(styles.fill) if filled else None
            shown = as_coded(shown, part) if sheet.table is not None else shown
            xml = rows_xml(shown, start + 2, styles=fill, styled_columns=filled, known=known)
            spans.wrote(len(xml))
            yield xml

    return chunks


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
