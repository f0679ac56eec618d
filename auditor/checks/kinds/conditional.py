"""conditional: rows selected by the rule's `when` must pass every check listed in `then`.

    when: {stage: [Closed Won]}
    then: [{kind: required}, {kind: range, gt: 0}]

`when` itself is applied by the engine to every kind; this kind only combines the nested checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, Param, RuleKind
from auditor.checks.expectations import APPROXIMATE, EXACT, NONE, GxMapping
from auditor.checks.kinds import get_kind, gx_mapping


def nested_checks(params: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(str(item["kind"]), {k: v for k, v in item.items() if k != "kind"}) for item in params.get("then", ())]


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    ok = pd.Series(True, index=values.index)
    for kind_name, kind_params in nested_checks(params):
        ok &= get_kind(kind_name).check(values, kind_params, ctx)
    return ok


def gx(params: Mapping[str, Any], entity: str, name: str, as_of: pd.Timestamp | None) -> GxMapping:
    """Every nested check's expectations (GX adds the `when` as the row condition); the weakest parity."""

    parity, reasons, expectations = EXACT, [], []
    for kind_name, kind_params in nested_checks(params):
        nested = gx_mapping(kind_name, kind_params, entity, name, as_of)
        expectations += nested.expectations
        if nested.reason:
            reasons.append(nested.reason)
        if nested.parity == NONE or (nested.parity == APPROXIMATE and parity == EXACT):
            parity = nested.parity
    return GxMapping(parity, "; ".join(reasons), tuple(expectations) if parity != NONE else ())


KIND = RuleKind(
    name="conditional",
    gx=gx,
    summary="Rows matching `when` must pass every check in `then` (e.g. Closed Won => amount > 0).",
    dimension=Dimension.CONSISTENCY,
    check=check,
    message="{field} {value} breaks a condition",
    params=(Param("then", list, required=True, help="checks, each {kind: NAME, ...parameters}"),),
    examples=(
        Example(
            params={"then": [{"kind": "required"}, {"kind": "range", "gt": 0}]},
            passes=(100.0, 0.5),
            fails=(None, 0.0, -3.0),
            entity="opportunities",
            field="amount",
        ),
    ),
)
