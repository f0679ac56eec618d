"""worklist.csv: one row per cleanup task, highest priority first (auditor.worklist.WORKLIST_COLUMNS)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from auditor.io import atomic_open
from auditor.reports.findings_csv import neutralise_formulas
from auditor.worklist import WORKLIST_COLUMNS


def write(worklist: pd.DataFrame, path: str | Path) -> None:
    with atomic_open(path, newline="") as handle:
        neutralise_formulas(worklist[list(WORKLIST_COLUMNS)]).to_csv(handle, index=False)
