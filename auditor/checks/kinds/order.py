"""order: values respect an order between fields: created <= closed, sent >= opened.

`after: created_at` makes every listed field >= created_at; `before` maps a listed field to
the field it must not exceed (`{opened: delivered}`), or names one field for all of them.
Rows where either side is missing pass: the missing value is another rule's finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, Param, RuleKind
from auditor.checks.expectations import EXACT, GxMapping, expect


def _bound(field: str, spec: Any) -> str | None:
    if isinstance(spec, Mapping):
        return spec.get(field)
    return spec


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    field = str(values.name)
    ok = pd.Series(True, index=values.index)
    after = _bound(field, params.get("after"))
    if after and after in ctx.frame.columns:
        ok &= _holds(values >= ctx.frame[after], values, ctx.frame[after])
    before = _bound(field, params.get("before"))
    if before and before in ctx.frame.columns:
        ok &= _holds(values <= ctx.frame[before], values, ctx.frame[before])
    return ok


def _holds(comparison: pd.Series, left: pd.Series, right: pd.Series) -> pd.Series:
    # Comparisons with NaT are False, not missing: a missing side must pass explicitly.
    return (comparison.fillna(False).astype(bool) | left.isna() | right.isna()).astype(bool)


def _describe(params: Mapping[str, Any], field: str, ctx: CheckContext) -> Mapping[str, Any]:
    after, before = _bound(field, params.get("after")), _bound(field, params.get("before"))
    parts = [f"not before {after}"] if after else []
    parts += [f"not above {before}"] if before else []
    return {"order": " and ".join(parts), "after": after, "before": before}


def gx(params: Mapping[str, Any], entity: str, name: str, as_of: pd.Timestamp | None) -> GxMapping:
    expectations = []
    for key in ("after", "before"):
        spec = params.get(key)
        other = spec.get(name) if isinstance(spec, Mapping) else spec
        if not other:
            continue
        a, b = (name, other) if key == "after" else (other, name)
        expectations.append(
            expect(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                column_A=a,
                column_B=b,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
        )
    return GxMapping(EXACT, "", tuple(expectations))


KIND = RuleKind(
    name="order",
    gx=gx,
    summary="Fields respect an order: each listed field >= `after` (created <= closed) or <= `before`.",
    dimension=Dimension.CONSISTENCY,
    check=check,
    message="{field} {value} is out of order (must be {order})",
    message_vars=_describe,
    params=(
        Param("after", (str, dict), help="field (or field -> field map) the listed fields must not precede"),
        Param("before", (str, dict), help="field (or field -> field map) the listed fields must not exceed"),
    ),
    examples=(
        Example(
            params={"after": "created_at"},
            passes=(pd.Timestamp("2026-02-01"), pd.Timestamp("2026-01-01"), None),
            fails=(pd.Timestamp("2025-12-31"),),
            entity="opportunities",
            field="close_date",
            extra_columns={"created_at": (pd.Timestamp("2026-01-01"),) * 4},
        ),
    ),
)
