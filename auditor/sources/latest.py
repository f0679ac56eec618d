"""The latest row per key of an event log (`sources.latest` in the config).

A ServiceNow incident log, a deal-stage history or a daily customer snapshot holds several rows per
record: each event or day repeats the record with what changed. Audited as it is, every record counts
once per event (tickets handled = events, not incidents) and every defect once per event. With

    sources:
      latest: {tickets: {key: number, by: sys_updated_at}}

the table keeps, per value of `key`, the row with the latest `by` (a date or time column; ties and rows
without one keep the file's order, so without `by` the last row of each key in the file is kept). Rows
without a key are kept as they are. Both columns may be named as the export writes them or by the field
they map to. The row numbers still point at the kept rows in the file.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from auditor.errors import InputError, did_you_mean
from auditor.sources.convert import parse_datetime
from auditor.sources.table import Table


def _column(table: Table, name: str, role: str) -> str:
    if name in table.raw.columns:
        return name
    for mapping in table.columns:
        if mapping.source_column == name and mapping.field in table.raw.columns:
            return mapping.field
    hint = did_you_mean(name, [c.source_column for c in table.columns])
    raise InputError(
        f"sources.latest: the {role} column {name!r} is not in the {table.entity} table{hint}", file=table.source
    )


def latest_rows(table: Table, key: str, by: str | None, notes: list[str]) -> Table:
    """`table` with one row per key: the latest by `by`, else the last in the file."""
    key_column = _column(table, key, "key")
    keys = table.raw[key_column]
    order = np.arange(len(table.raw))
    if by is not None:
        when = table.frame[_column(table, by, "by")]
        if not pd.api.types.is_datetime64_any_dtype(when.dtype):
            when = parse_datetime(table.raw[_column(table, by, "by")])
        # stable: rows of one time keep the file's order; a row without a time sorts first
        order = np.lexsort((order, when.fillna(pd.Timestamp.min).to_numpy()))
    ranked = keys.iloc[order]
    last = ~ranked.duplicated(keep="last") | ranked.isna()
    kept = np.sort(order[last.to_numpy(bool)])
    if len(kept) == len(table.raw):
        return table
    notes.append(
        f"{table.source}: {len(table.raw):,} rows of {keys.nunique():,} {key} values; the latest row of each is kept"
        f" (sources.latest{', by ' + by if by else ''})"
    )

    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.iloc[kept].reset_index(drop=True)

    return replace(
        table,
        raw=pick(table.raw),
        frame=pick(table.frame),
        row_numbers=table.row_numbers.iloc[kept].reset_index(drop=True),
        sources=None if table.sources is None else table.sources.iloc[kept].reset_index(drop=True),
        read_as=None if table.read_as is None else table.read_as.iloc[kept].reset_index(drop=True),
    )
