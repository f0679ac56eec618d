"""XLSX workbooks: the first sheet, or every sheet whose name says which entity it holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from auditor.errors import InputError
from auditor.sources.files import read_bytes, reason
from auditor.sources.raw import RawRead, dedupe_headers
from auditor.sources.stringify import to_strings
from auditor.sources.xlsx_formulas import uncached_formulas

_MAX_LISTED = 5


def read_xlsx(path: Path, source: str, names_entity: Callable[[str], bool]) -> list[RawRead]:
    """One RawRead per sheet read; `names_entity(sheet)` tells whether a sheet name names an entity."""
    read_bytes(path, source)  # missing and empty files get the common messages
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="openpyxl")
    except Exception as err:
        # whatever openpyxl meets in a damaged workbook (a truncated sheet XML raises ParseError, a wrong
        # part TypeError) means the same to the user: it cannot be read
        raise InputError(f"not a readable XLSX workbook ({type(err).__name__}: {reason(err)})", file=source) from None
    if not sheets:
        raise InputError("workbook has no sheets", file=source)
    chosen = [name for name in sheets if names_entity(name)] if len(sheets) > 1 else []
    if not chosen:
        chosen = [next(iter(sheets))]
    reads = [_sheet(sheets[name], path, source, name, len(chosen) > 1) for name in chosen]
    for read, (sheet, cells) in zip(reads, _uncached(path, chosen), strict=True):
        if cells:
            read.notes.append(
                f"{read.source}: {len(cells)} formula cell(s) of sheet {sheet!r} have no saved value"
                f" ({', '.join(cells[:_MAX_LISTED])}{', ...' if len(cells) > _MAX_LISTED else ''}) and are read"
                " as empty; open the workbook in Excel and save it to store their values"
            )
    return reads


def _uncached(path: Path, sheets: list[str]) -> list[tuple[str, list[str]]]:
    found = uncached_formulas(path, sheets)
    return [(sheet, found.get(sheet, [])) for sheet in sheets]


def _sheet(cells: pd.DataFrame, path: Path, source: str, sheet: str, by_sheet: bool) -> RawRead:
    where = f"{source}#{sheet}" if by_sheet else source
    cells = cells.dropna(how="all")
    if cells.empty:
        raise InputError(f"sheet {sheet!r} is empty", file=source)
    header_at = cells.index[0]
    names, notes = dedupe_headers(cells.loc[header_at].tolist(), where)
    body = cells.loc[cells.index > header_at]
    body.columns = names
    frame = to_strings(body).reset_index(drop=True)
    # pandas row labels are 0-based sheet rows; blank rows were dropped, so the labels keep the true row
    rows = body.index.to_numpy(dtype=np.int64) + 1
    return RawRead(
        name=sheet if by_sheet else path.stem,
        source=where,
        frame=frame,
        row_numbers=rows,
        format="xlsx",
        notes=notes,
        excel_serials=True,
    )
