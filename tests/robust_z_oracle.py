"""The robust z-score as pandas' grouped median, MAD and count transforms give it (`outlier.robust_z`'s former body):
the oracle of the checks' `outlier` kind and of the metrics' screens, which compute it with numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd


def by_pandas(values: pd.Series, *, log: bool, groups: pd.Series | None, min_count: int) -> pd.Series:
    x = values.astype("float64")
    if log:
        x = np.log10(x.where(x > 0))
    if groups is None:
        groups = pd.Series("", index=values.index)
    grouped = x.groupby(groups, sort=False)
    median = grouped.transform("median")
    mad = (x - median).abs().groupby(groups, sort=False).transform("median")
    count = grouped.transform("count")
    judged = (count >= min_count) & (mad > 0)
    return (0.6745 * (x - median) / mad).where(judged)
