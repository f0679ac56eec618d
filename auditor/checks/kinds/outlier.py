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
    """The robust z-score of each value within its group (NaN where its group is not judged, or where it or its
    group is missing)."""
    x = decades(values) if log else values.astype("float64").to_numpy()
    if groups is None:
        codes, count = np.zeros(len(x), dtype=np.intp), 1
    else:  # by label, as pandas' grouping aligns its key
        codes, count = _group_codes(groups if groups.index.equals(values.index) else groups.reindex(values.index))
    z, _ = grouped_robust_z(x, codes, count, min_count)
    return pd.Series(z, index=values.index, name=values.name)


def decades(values: pd.Series) -> np.ndarray:
    """log10 of each positive value, NaN for the others and missing ones (what `robust_z(log=True)` judges)."""
    x = values.astype("float64").to_numpy()
    with np.errstate(invalid="ignore"):
        return np.log10(np.where(x > 0, x, np.nan))


def _group_codes(groups: pd.Series) -> tuple[np.ndarray, int]:
    """Each row's group as a number from 0 (-1 where the group is missing), and how many groups there are."""
    codes, uniques = pd.factorize(groups, sort=False)
    return codes, len(uniques)


def grouped_robust_z(x: np.ndarray, codes: np.ndarray, count: int, min_count: int) -> tuple[np.ndarray, np.ndarray]:
    """(each value's robust z-score within its group, NaN where it or its group (`codes`: 0..count-1, -1 for none)
    is missing or the group is not judged - fewer than `min_count` values, or a MAD of 0; each row's group median,
    NaN for no group): what pandas' grouped median, MAD and count transforms give, to the last bit (the same middle
    values, the mean of two as pandas takes it), by numpy's median of each group's present values. The groups
    are put together by a stable sort of their small codes; pandas' three transforms per call were most of the
    metrics' screens' time on a small export, and a sort of the values themselves (a million in a screen) cost
    eight times numpy's median."""
    present = ~np.isnan(x) & (codes >= 0)
    counts = np.bincount(codes[present], minlength=count)
    median, mad = np.full(count + 1, np.nan), np.full(count + 1, np.nan)  # the last for the rows of no group
    values = x[present]
    if count > 1:  # the values grouped; their order within a group leaves its median as it is
        values = values[np.argsort(codes[present].astype(np.min_scalar_type(count)), kind="stable")]
    ends = np.cumsum(counts)
    for group in np.flatnonzero(counts):
        within = values[ends[group] - counts[group] : ends[group]]
        median[group] = np.median(within)
        with np.errstate(invalid="ignore"):
            spread = np.abs(within - median[group])
        spread = spread[~np.isnan(spread)]  # an infinite value's distance from an infinite median
        if len(spread):
            mad[group] = np.median(spread)
    judged = np.append((counts >= min_count) & (mad[:-1] > 0), False)
    at = np.where(judged[codes], codes, -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 0.6745 * (x - median[at]) / mad[at], median[codes]


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
