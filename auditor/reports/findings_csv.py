"""findings.csv: one row per (record, field, rule)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from auditor.findings import FINDING_COLUMNS
from auditor.io import write_csv


def write(findings: pd.DataFrame, path: str | Path) -> None:
    ordered = findings[list(FINDING_COLUMNS)].sort_values(["entity", "record_id", "field", "rule_id"], kind="stable")
    write_csv(ordered, path)
