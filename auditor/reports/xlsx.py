"""worklist.xlsx: the cleanup worklist for a spreadsheet user, with Worklist, Merges, Records (every
record of every task: a bulk task's record list), Summary and Metrics sheets, then one sheet per
owner (the records that owner should edit, most important first; the OWNER_SHEETS owners with the
most records).

Every value from the data is written as a text cell (data type 's'), never as a formula: a contact
named "=HYPERLINK(...)" stays text in Excel and LibreOffice. Characters XML cannot hold (control
characters, which whitespace defects contain) are shown as `\\xNN`. XlsxWriter streams each row to
disk as it is written (constant-memory mode), so the whole worklist fits: a sheet stops only at Excel's
own MAX_ROWS, and the Summary says how many rows a sheet left out (worklist.csv has them all).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from auditor.io import CHUNK_ROWS, atomic_open
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
ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""What XML 1.0 cannot hold (the characters openpyxl refuses too)."""
CELL_CHARACTERS = 32_767
"""The most text an Excel cell holds; XlsxWriter cuts a longer text there with a warning, this cuts it first."""


def write(result: AuditResult, path: str | Path) -> None:
    worklist = result.worklist if result.worklist is not None else pd.DataFrame(columns=list(WORKLIST_COLUMNS))
    records = result.worklist_records
    if records is None:
        records = pd.DataFrame(columns=list(RECORD_COLUMNS))
    with atomic_open(path, "wb") as handle:
        # constant memory: each row goes to a temporary file as it is written, never all rows in memory
        book = xlsxwriter.Workbook(handle, {"constant_memory": True, "nan_inf_to_errors": True})
        styles = _Styles(book)
        shown = worklist.head(MAX_ROWS)
        _table(book, styles, "Worklist", WORKLIST_COLUMNS, _rows(shown, WORKLIST_COLUMNS), coloured=True)
        merges = worklist[worklist["action"] == "merge"].head(MAX_ROWS)
        _table(book, styles, "Merges", MERGE_COLUMNS, _rows(merges, MERGE_COLUMNS), coloured=True)
        listed = records.head(MAX_ROWS)
        _table(book, styles, "Records", RECORD_COLUMNS, _rows(listed, RECORD_COLUMNS, records_table), coloured=True)
        owner_codes, owner_names = _owners(records["owner"])
        owners = pd.Series(np.bincount(owner_codes[owner_codes >= 0], minlength=len(owner_names)), index=owner_names)
        owners = owners.sort_values(ascending=False, kind="stable").head(OWNER_SHEETS)
        left = {"tasks": len(worklist) - len(shown), "records": len(records) - len(listed)}
        left["owners"] = len(owner_names) - len(owners)
        left["owner_rows"] = int((owners - min(OWNER_ROWS, MAX_ROWS)).clip(lower=0).sum())
        _table(book, styles, "Summary", ("item", "value"), _summary(result, left))
        _table(book, styles, "Metrics", METRIC_COLUMNS, [_metric_row(m) for m in result.metrics])
        names: set[str] = set()
        code = {name: k for k, name in enumerate(owner_names)}
        for owner in sorted(owners.index, key=lambda o: (-owners[o], o)):
            # the rows' positions, not a copy of every record of the owner: one owner may have them all
            mine = records.iloc[np.flatnonzero(owner_codes == code[owner])[: min(OWNER_ROWS, MAX_ROWS)]]
            name = _sheet_name(owner, names)
            _table(book, styles, name, OWNER_COLUMNS, _rows(mine, OWNER_COLUMNS, records_table), coloured=True)
        book.close()


class _Styles:
    """The workbook's few cell formats, made once (XlsxWriter keeps one per distinct look)."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.header = book.add_format({"bold": True, "pattern": 1, "bg_color": HEADER_FILL})
        self.severity = {s: book.add_format({"pattern": 1, "bg_color": c}) for s, c in SEVERITY_FILL.items()}


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


def _rows(
    frame: pd.DataFrame, columns: Sequence[str], table: Callable[[pd.DataFrame], pd.DataFrame] | None = None
) -> Iterator[Sequence[Any]]:
    """The frame's rows, CHUNK_ROWS at a time (`table`: what each chunk is shown as): a sheet of a million
    records is not made objects at once."""
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        part = table(part) if table is not None else part
        yield from part[list(columns)].astype("object").itertuples(index=False, name=None)


def _table(
    book: xlsxwriter.Workbook,
    styles: _Styles,
    name: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    coloured: bool = False,
) -> None:
    """`coloured`: a row's priority and severity cells filled with its severity's colour."""
    sheet = book.add_worksheet(name)
    sheet.freeze_panes(1, 0)
    for i, column in enumerate(header):
        sheet.set_column(i, i, WIDTHS.get(column, DEFAULT_WIDTH))
        sheet.write_string(0, i, column, styles.header)
    filled = [header.index(c) for c in ("priority", "severity") if c in header] if coloured else []
    severity = header.index("severity") if coloured else -1
    shown: dict[str, str] = {}  # a text as its cell shows it, made once per distinct text
    count = 0
    for count, row in enumerate(rows, start=1):
        fill = styles.severity.get(row[severity]) if coloured else None
        for i, value in enumerate(row):
            style = fill if fill is not None and i in filled else None
            if type(value) is str:
                text = shown.get(value)
                if text is None:
                    text = _shown(value)
                    if len(shown) < SHOWN_TEXTS:
                        shown[value] = text
                sheet.write_string(count, i, text, style)
            else:
                _cell(sheet, count, i, value, style)
    sheet.autofilter(0, 0, count, len(header) - 1)


SHOWN_TEXTS = 100_000
"""Distinct texts a sheet remembers how it shows (_table): the repeated ones (entity, rule, message, owner)."""


def _shown(text: str) -> str:
    """A text as a cell holds it: characters XML cannot hold as \\xNN, cut at CELL_CHARACTERS."""
    return ILLEGAL_CHARACTERS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)[:CELL_CHARACTERS]


def _cell(sheet: Worksheet, row: int, column: int, value: Any, style: Format | None) -> None:
    """Numbers stay numbers; everything else is text (data type 's'), so no value runs as a formula."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        if style is not None:
            sheet.write_blank(row, column, None, style)
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        sheet.write_string(row, column, _shown(value if isinstance(value, str) else _text(value)), style)
    else:
        sheet.write_number(row, column, value, style)


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
