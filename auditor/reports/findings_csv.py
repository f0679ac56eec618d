"""findings.csv: one row per (record, field, rule)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.findings import FINDING_COLUMNS, sort_ranks
from auditor.io import write_csv

ORDER = ["entity", "record_id", "field", "rule_id"]


def write(findings: pd.DataFrame, path: str | Path) -> None:
    """Sorted by ORDER (as a stable sort_values would): on each key's rank among its distinct values, not
    on a copy of the keys' text; the rows are written in chunks."""
    order = np.lexsort([ranks(findings[key]) for key in reversed(ORDER)])
    write_csv(findings[list(FINDING_COLUMNS)], path, order=order)


def ranks(values: pd.Series) -> np.ndarray:
    """Each row's place among the column's distinct values sorted, missing ones last: the order sort_ranks
    gives (equal values tie), the numbers maybe others. A column of texts alone is ranked by Arrow, whose
    order of UTF-8 bytes is Python's order of code points: Python's sort of a million contacts' 245,000
    distinct record ids was 0.2 CPU s of findings.csv, Arrow's rank of the 334,000 findings' ids 0.05."""
    if pd.api.types.infer_dtype(values, skipna=True) != "string":
        return sort_ranks(values)
    try:
        texts = pa.array(values.to_numpy(), type=pa.string(), from_pandas=True)
    except (pa.ArrowException, UnicodeError):  # a lone surrogate (a JSON source's "\ud800"): by Python
        return sort_ranks(values)
    return pc.rank(texts, "ascending", tiebreaker="dense").to_numpy()
