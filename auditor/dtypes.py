"""The one text dtype used for loaded data.

Arrow-backed strings make every vectorized string operation of the checks run in Arrow
instead of one Python call per cell, and keep missing values missing: `astype("str")` on an
object column writes the text "None" for a missing value under pandas 3.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def as_text(values: pd.Series) -> pd.Series:
    """`values` as TEXT; missing stays missing, other cells become their `str`."""
    if values.dtype == TEXT:
        return values
    return values.astype("object").where(values.notna()).astype(TEXT)
