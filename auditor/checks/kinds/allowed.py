"""allowed: the value is one of an enumerated set (by default the model's values for the field).

With the model's default set, a value outside it that at least `picklist_min` records hold is a
value of this CRM's own picklist ("Active", "Awaiting User Info", "3 - Moderate") that no value map
translates: not a defect of each record but a mapping to declare once under `values:`. Such
values are not findings; the rule's outcome names them (`reason`). A rarer value outside the set
("-100", "Closed-Won" on a few records) is a typo and fails. A list given in the rule or the config
(`values:`, an extra field's `allowed:`) is the user's own: every value outside it fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from rapidfuzz import fuzz, process, utils

from auditor.checks.base import CheckContext, Dimension, Example, FixSafety, Param, RuleKind
from auditor.checks.expectations import APPROXIMATE, EXACT, NONE, GxMapping, expect
from auditor.checks.kinds._columns import per_table
from auditor.checks.kinds._fastpath import casefold
from auditor.dtypes import as_text
from auditor.model import ENTITIES, Entity


def allowed_values(field: str, params: Mapping[str, Any], entity: Entity) -> tuple[str, ...]:
    if params.get("values"):
        return tuple(str(v) for v in params["values"])
    if entity.has_field(field) and entity.field(field).allowed:
        return entity.field(field).allowed or ()
    return ()


PICKLIST_MIN = 20


def _inside(values: pd.Series, allowed: tuple[str, ...], params: Mapping[str, Any]) -> pd.Series:
    if params.get("case_sensitive", True):
        return values.isna() | values.isin(allowed)
    return values.isna() | casefold(as_text(values).str.strip()).isin({a.casefold() for a in allowed})


def own_picklist(
    values: pd.Series, params: Mapping[str, Any], ctx: CheckContext, inside: pd.Series | None = None
) -> pd.Series:
    """Values outside the model's set that are this CRM's own picklist values (value -> records): counted once per
    table, column and rule's parameters, for the check and for the note that names them (`explain`). `inside`: the
    rows inside the set (`_inside`), when the caller has them."""
    key = ("allowed", str(values.name), repr(sorted(params.items())))
    return per_table.get(ctx.frame, key, lambda: _own_picklist(values, params, ctx, inside))


def _own_picklist(
    values: pd.Series, params: Mapping[str, Any], ctx: CheckContext, inside: pd.Series | None
) -> pd.Series:
    allowed = allowed_values(str(values.name), params, ctx.entity)
    if not allowed or params.get("values"):
        return pd.Series(dtype="int64")
    outside = values[~(_inside(values, allowed, params) if inside is None else inside)]
    counts = outside.value_counts()
    return counts[counts >= int(params.get("picklist_min") or PICKLIST_MIN)]


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    allowed = allowed_values(str(values.name), params, ctx.entity)
    if not allowed:
        return pd.Series(True, index=values.index)
    inside = _inside(values, allowed, params)  # once, for the check and the picklist's count
    own = own_picklist(values, params, ctx, inside)
    return inside | values.isin(list(own.index)) if len(own) else inside


def explain(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> str | None:
    own = own_picklist(values, params, ctx)
    if own.empty:
        return None
    shown = ", ".join(f"{value!r} ({n:,} records)" for value, n in own.head(6).items())
    more = f" and {len(own) - 6} more" if len(own) > 6 else ""
    return (
        f"{values.name}: {shown}{more} are this export's own values, not the model's "
        f"({', '.join(allowed_values(str(values.name), params, ctx.entity))}); map them under `values:` to use them"
    )


def suggest(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    allowed = allowed_values(str(values.name), params, ctx.entity)
    by_key = {utils.default_process(a): a for a in allowed}

    def closest(value: str) -> str | None:
        key = utils.default_process(value)
        if key in by_key:
            return by_key[key]
        match = process.extractOne(key, list(by_key), scorer=fuzz.ratio, score_cutoff=80)
        return by_key[match[0]] if match else None

    unique = {v: closest(str(v)) for v in values.dropna().unique()}
    return values.map(unique).astype("object")


def gx(params: Mapping[str, Any], entity: str, name: str, as_of: pd.Timestamp | None) -> GxMapping:
    values = list(allowed_values(name, params, ENTITIES[entity]))
    if not values:
        return GxMapping(NONE, "no allowed values: the rule never fails")
    in_set = expect("ExpectColumnValuesToBeInSet", column=name, value_set=values)
    if params.get("case_sensitive", True):
        return GxMapping(EXACT, "", (in_set,))
    return GxMapping(APPROXIMATE, "case_sensitive: false; GX compares exactly", (in_set,))


KIND = RuleKind(
    name="allowed",
    gx=gx,
    fix_safety=FixSafety.CASE_ONLY,
    summary="The value must be one of a set (default: the model's enum values for the field).",
    dimension=Dimension.VALIDITY,
    check=check,
    suggest=suggest,
    message="{field} {value!r} is not one of the allowed values",
    explain=explain,
    params=(
        Param("values", list, help="allowed values; default: the model's enum for the field"),
        Param("case_sensitive", bool, default=True),
        Param(
            "picklist_min",
            int,
            PICKLIST_MIN,
            help="with the model's set: a value outside it on this many records is the CRM's own picklist value",
        ),
    ),
    examples=(
        Example(
            params={},
            passes=("Closed Won", "Prospecting", None),
            fails=("Closed-Won", "closed won", "Won"),
            entity="opportunities",
            field="stage",
        ),
    ),
)
