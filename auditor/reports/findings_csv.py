"""findings.csv: one row per (record, field, rule)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from auditor.findings import FINDING_COLUMNS
from auditor.io import write_csv

ORDER = ["entity", "record_id", "field", "rule_id"]


def write(findings: pd.DataFrame, path: str | Path) -> None:
    """Sorted by ORDER: only the sort keys are copied to sort them, the rows are written in chunks."""
    keys = findings[ORDER].reset_index(drop=True)
    order = keys.sort_values(ORDER, kind="stable").index.to_numpy()
    write_csv(findings[list(FINDING_COLUMNS)], path, order=order)
