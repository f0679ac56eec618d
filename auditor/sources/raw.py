"""What every reader returns: the cells as strings under the file's own (de-duplicated) headers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.dtypes import TEXT
from auditor.errors import InputError

MAX_COLUMNS = 16_384
"""The widest table read: Excel's limit, which no CRM export reaches. A wider one is refused before its
values are parsed (100,000 columns took minutes to map and check)."""
MAX_FIELD_CHARS = 1 << 24
"""The longest value read (16 Mi characters). A CRM field holds far less (Salesforce's long text: 131,072
characters; HubSpot's: 65,536), so a longer value is an unclosed quote that swallowed the rest of the
file, or not an export; refusing it keeps a run's memory bounded by the file's size."""


@dataclass
class RawRead:
    name: str
    """What the data is called (file stem, sheet, JSON key or SQL table), used to detect the entity."""
    source: str
    frame: pd.DataFrame
    """Every cell a str or NA, columns the source headers, RangeIndex."""
    row_numbers: np.ndarray
    """1-based line/row a person would look at, per row."""
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)
    excel_serials: bool = False
    """True when bare numbers in date columns are Excel serial day numbers (cells of a workbook)."""
    read_as: np.ndarray | None = None
    """Per row, the encoding it was read in when that is not the one most of the file is in (None for
    the others); None when one encoding reads the whole file. Each such row is a finding."""


def dedupe_headers(headers: Sequence[object], source: str) -> tuple[list[str], list[str]]:
    """Give repeated or blank headers unique names ("Email", "Email.1", "column_3") and say so; refuse a
    table wider than MAX_COLUMNS.

    Both copies are kept rather than refusing the file: the audit can still run and the
    admin sees which column was renamed in the notes.
    """
    if len(headers) > MAX_COLUMNS:
        raise InputError(
            f"{len(headers):,} columns; an export has at most {MAX_COLUMNS:,} (Excel's limit)", file=source
        )
    names: list[str] = []
    notes: list[str] = []
    seen: set[str] = set()
    for position, header in enumerate(headers, start=1):
        base = "" if header is None or (isinstance(header, float) and np.isnan(header)) else str(header)
        blank = not base.strip()
        if blank:
            base = f"column_{position}"
            notes.append(f"{source}: column {position} has no header; named it {base!r}")
        name, n = base, 0
        while name in seen:
            n += 1
            name = f"{base}.{n}"
        if name != base and not blank:
            notes.append(f"{source}: duplicate column {base!r}; the copy in column {position} is kept as {name!r}")
        seen.add(name)
        names.append(name)
    return names, notes


def rows_of_lines(lines: Sequence[int], row_numbers: np.ndarray) -> np.ndarray:
    """The position of the record each 1-based line belongs to (a record spans the lines from its own
    row number to the next record's); -1 for a line before the first record (the header)."""
    starts = np.asarray(row_numbers, dtype=np.int64)
    return np.searchsorted(starts, np.asarray(lines, dtype=np.int64), side="right") - 1


def mark_read_as(n_rows: int, rows: np.ndarray, encoding: str) -> np.ndarray | None:
    """`RawRead.read_as` when the records at positions `rows` (-1: none) were read in `encoding`; None
    when no record was."""
    rows = np.asarray(rows, dtype=np.int64)
    rows = rows[(rows >= 0) & (rows < n_rows)]
    if not len(rows):
        return None
    read_as = np.full(n_rows, None, dtype=object)
    read_as[rows] = encoding
    return read_as


def empty_to_na(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty cells are missing; placeholders such as "n/a" or "NULL" stay strings for the placeholder rules."""
    return frame.mask(frame == "")


def refuse_oversized(read: RawRead) -> None:
    """InputError naming the row and column of the first value longer than MAX_FIELD_CHARS."""
    for column, values in read.frame.items():
        if values.dtype == TEXT:  # its longest value in Arrow: pandas' `str.len` costs a millisecond a column
            text = pa.array(values, from_pandas=True)
            # a value has at least as many bytes as characters, and its bytes are told by its offsets, without the
            # pass over the text that counting characters takes (0.17 of 0.19 CPU s over a million contacts)
            longest = pc.max(pc.binary_length(text)).as_py()
            if longest is not None and longest > MAX_FIELD_CHARS:
                longest = pc.max(pc.utf8_length(text)).as_py()
            if longest is None or longest <= MAX_FIELD_CHARS:
                continue
        elif not (pd.api.types.is_string_dtype(values) or values.dtype == object):
            continue
        lengths = values.str.len().fillna(0).to_numpy(dtype=np.int64)
        if len(lengths) and lengths.max() > MAX_FIELD_CHARS:
            at = int(np.argmax(lengths > MAX_FIELD_CHARS))
            raise InputError(
                f"a value of {lengths[at]:,} characters; a field holds at most {MAX_FIELD_CHARS:,}"
                " (an unclosed quote?)",
                file=read.source,
                row=int(read.row_numbers[at]),
                column=str(column),
            )
