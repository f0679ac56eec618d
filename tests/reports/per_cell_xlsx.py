"""The reference the sheet rows are held to: worklist.xlsx as XlsxWriter writes it cell by cell (the writer
before issue 17 made the rows column-wise), and a comparison of two workbooks part by part."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from auditor.reports import xlsx
from auditor.reports.sheet_xml import shown
from auditor.result import AuditResult


def write_per_cell(result: AuditResult, path: Path) -> None:
    """worklist.xlsx of `result`, each cell through XlsxWriter's write_string/write_number/write_blank."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "nan_inf_to_errors": True})
    header = book.add_format({"bold": True, "pattern": 1, "bg_color": xlsx.HEADER_FILL})
    fills = {s: book.add_format({"pattern": 1, "bg_color": c}) for s, c in xlsx.SEVERITY_FILL.items()}
    for sheet in xlsx._sheets(result):
        page = book.add_worksheet(sheet.name)
        page.freeze_panes(1, 0)
        for i, column in enumerate(sheet.columns):
            page.set_column(i, i, xlsx.WIDTHS.get(column, xlsx.DEFAULT_WIDTH))
            page.write_string(0, i, column, header)
        frame = sheet.table(sheet.frame) if sheet.table is not None else sheet.frame
        write_rows(page, frame[list(sheet.columns)], fills if sheet.coloured else None)
        page.autofilter(0, 0, len(frame), len(sheet.columns) - 1)
    book.close()


def write_rows(page: Worksheet, frame: pd.DataFrame, fills: dict[str, Format] | None, first: int = 1) -> None:
    """`frame`'s rows from 0-based row `first` on; `fills`: a row's priority and severity cells filled by
    its severity."""
    columns = list(frame.columns)
    filled = [columns.index(c) for c in ("priority", "severity") if c in columns] if fills is not None else []
    for count, row in enumerate(frame.astype("object").itertuples(index=False, name=None), start=first):
        fill = fills.get(row[columns.index("severity")]) if fills is not None else None
        for i, value in enumerate(row):
            cell(page, count, i, value, fill if i in filled else None)


def cell(page: Worksheet, row: int, column: int, value: Any, style: Format | None) -> None:
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        if style is not None:
            page.write_blank(row, column, None, style)
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        text = value if isinstance(value, str) else _text(value)
        page.write_string(row, column, shown(text), style)
    else:
        page.write_number(row, column, value, style)


def _text(value: Any) -> str:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


CREATED = "docProps/core.xml"
"""The one part that differs from run to run: it holds the time the workbook was made."""


def differing_parts(a: Path, b: Path) -> list[str]:
    """The parts of two xlsx packages whose contents differ (besides CREATED), and those only one has."""
    with zipfile.ZipFile(a) as left, zipfile.ZipFile(b) as right:
        names = set(left.namelist()) | set(right.namelist())
        return sorted(
            n
            for n in names - {CREATED}
            if n not in left.namelist() or n not in right.namelist() or left.read(n) != right.read(n)
        )
