"""worklist.csv: one row per cleanup task, highest priority first (auditor.worklist.WORKLIST_COLUMNS)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from auditor.io import write_csv
from auditor.worklist import WORKLIST_COLUMNS


def write(worklist: pd.DataFrame, path: str | Path) -> None:
    write_csv(worklist[list(WORKLIST_COLUMNS)], path)
