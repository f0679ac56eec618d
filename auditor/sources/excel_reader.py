"""XLSX workbooks: the first sheet, or every sheet whose name says which entity it holds."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from auditor.errors import InputError
from auditor.sources.files import read_bytes
from auditor.sources.raw import RawRead, dedupe_headers
from auditor.sources.stringify import to_strings


def read_xlsx(path: Path, source: str, names_entity: Callable[[str], bool]) -> list[RawRead]:
    """One RawRead per sheet read; `names_entity(sheet)` tells whether a sheet name names an entity."""
    read_bytes(path, source)  # missing and empty files get the common messages
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="openpyxl")
    except (zipfile.BadZipFile, ValueError, KeyError, OSError) as err:
        raise InputError(f"not a readable XLSX workbook ({err})", file=source) from None
    if not sheets:
        raise InputError("workbook has no sheets", file=source)
    chosen = [name for name in sheets if names_entity(name)] if len(sheets) > 1 else []
    if not chosen:
        chosen = [next(iter(sheets))]
    return [_sheet(sheets[name], path, source, name, len(chosen) > 1) for name in chosen]


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
