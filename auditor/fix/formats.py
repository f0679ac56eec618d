"""Cell edits in Parquet and XLSX files (CSV files are patched byte-exactly by csv_patch).

Edits are keyed by (row, column header): the row number the loader gave the record (Parquet: the
record's position from 1; XLSX: the sheet row), and map to (before, after). An edit is applied only
where the cell holds `before` as text, in a text column (Parquet) or a text cell (XLSX): a fix never
changes a column's type. Everything else in the file is rewritten as it was read.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import pyarrow as pa

Edits = Mapping[tuple[int, str], tuple[str, str]]


def patch_parquet(data: bytes, edits: Edits) -> tuple[bytes, set[tuple[int, str]]]:
    import pyarrow.parquet as pq  # start-up time: only when a Parquet file is patched (the worklist imports this)

    source = pq.ParquetFile(io.BytesIO(data))
    table = source.read()
    codec = source.metadata.row_group(0).column(0).compression.lower() if source.metadata.num_row_groups else "none"
    applied: set[tuple[int, str]] = set()
    for name in {column for _, column in edits}:
        if name not in table.column_names:
            continue
        position = table.column_names.index(name)
        column = table.column(position)
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        values = column.to_pylist()
        for (row, column_name), (before, after) in edits.items():
            if column_name == name and 1 <= row <= len(values) and values[row - 1] == before:
                values[row - 1] = after
                applied.add((row, name))
        table = table.set_column(position, table.field(position), pa.array(values, type=column.type))
    sink = io.BytesIO()
    pq.write_table(table, sink, compression=codec)
    return sink.getvalue(), applied


def patch_xlsx(data: bytes, sheet: str | None, edits: Edits) -> tuple[bytes, set[tuple[int, str]]]:
    from openpyxl import load_workbook  # start-up time: openpyxl only when a workbook is patched

    book = load_workbook(io.BytesIO(data))
    ws = book[sheet] if sheet else book.worksheets[0]
    header = next((row for row in ws.iter_rows() if any(c.value is not None for c in row)), ())
    column_of = {str(c.value): c.column for c in header if c.value is not None}
    applied: set[tuple[int, str]] = set()
    for (row, name), (before, after) in edits.items():
        if name not in column_of:
            continue
        cell = ws.cell(row=row, column=column_of[name])
        if isinstance(cell.value, str) and cell.value == before:
            cell.value = after
            cell.data_type = "s"  # a fixed value is text, never a formula
            applied.add((row, name))
    sink = io.BytesIO()
    book.save(sink)
    return sink.getvalue(), applied
