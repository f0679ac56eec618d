"""findings.csv: one row per (record, field, rule)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from auditor.findings import FINDING_COLUMNS, sort_ranks
from auditor.io import write_csv

ORDER = ["entity", "record_id", "field", "rule_id"]


def write(findings: pd.DataFrame, path: str | Path) -> None:
    """Sorted by ORDER (as a stable sort_values would): on each key's rank among its distinct values, not
    on a copy of the keys' text; the rows are written in chunks."""
    order = np.lexsort([sort_ranks(findings[key]) for key in reversed(ORDER)])
    write_csv(findings[list(FINDING_COLUMNS)], path, order=order)
