"""outlier: values far from the bulk of their group, by the robust z-score (median and MAD).

z = 0.6745 * (x - median) / MAD (Iglewicz and Hoaglin), with x = log10(value) when `log`
is set, which suits money: deal sizes are roughly log-normal. Groups (`group_by`, e.g.
currency) with fewer than `min_count` values, or with MAD = 0, are not judged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, Param, RuleKind
from auditor.checks.expectations import no_equivalent


def robust_z(
    values: pd.Series, *, log: bool = False, groups: pd.Series | None = None, min_count: int = 20
) -> pd.Series:
    """The robust z-score of each value within its group (NaN where its group is not judged)."""
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


def _groups(frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.Series | None:
    """Each row's group (`group_by`'s value, empty when missing), or None: one group."""
    group_by = params.get("group_by")
    if group_by and group_by in frame.columns:
        return frame[group_by].astype("object").fillna("")
    return None


def partition(params: Mapping[str, Any], field: str) -> tuple[str, Callable[[pd.DataFrame], pd.Series]]:
    def key(frame: pd.DataFrame) -> pd.Series:
        groups = _groups(frame, params)
        return groups if groups is not None else pd.Series("", index=frame.index)

    return f"g_{params.get('group_by') or ''}", key


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    groups = _groups(ctx.frame, params)
    if groups is not None:
        groups = groups.loc[values.index]
    z = robust_z(values, log=bool(params.get("log", False)), groups=groups, min_count=int(params.get("min_count", 20)))
    return ~(z.abs() > float(params.get("threshold", 6.0))).fillna(False).astype(bool)


KIND = RuleKind(
    name="outlier",
    gx=no_equivalent(
        "robust z-score (median/MAD of log10) per group; GX's z-score expectation is mean/stdev over the whole column"
    ),
    summary="Values must lie within `threshold` robust z-scores of their group's median.",
    dimension=Dimension.ACCURACY,
    check=check,
    partition=partition,
    message="{field} {value} is an outlier for its {group_by} group",
    params=(
        Param("threshold", (int, float), default=6.0, help="robust z-score beyond which a value fails"),
        Param("log", bool, default=False, help="judge log10 of the value (for money)"),
        Param("group_by", str, help="column whose values form separate groups (e.g. currency)"),
        Param("min_count", int, default=20, help="smallest group that is judged"),
    ),
    examples=(
        Example(
            params={"log": True, "threshold": 6.0},
            passes=tuple(float(v) for v in np.linspace(1000, 9000, 30)),
            fails=(9_000_000.0,),
            entity="opportunities",
            field="amount",
        ),
    ),
)
