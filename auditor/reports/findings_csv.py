"""findings.csv: one row per (record, field, rule)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from auditor.checks.engine import FINDING_COLUMNS
from auditor.io import atomic_open

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix cells a spreadsheet would run as a formula with a quote (CSV injection).

    Values come from the audited data, which anyone who can type into the CRM controls.
    """
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            text = out[column].astype("object")
            risky = text.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_PREFIXES))
            out[column] = text.where(~risky, "'" + text.astype(str))
    return out


def write(findings: pd.DataFrame, path: str | Path) -> None:
    ordered = findings[list(FINDING_COLUMNS)].sort_values(["entity", "record_id", "field", "rule_id"], kind="stable")
    with atomic_open(path, newline="") as handle:
        neutralise_formulas(ordered).to_csv(handle, index=False)
