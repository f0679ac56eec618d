"""allowed: the value is one of an enumerated set (by default the model's values for the field)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from rapidfuzz import fuzz, process, utils

from auditor.checks.base import CheckContext, Dimension, Example, Param, RuleKind
from auditor.dtypes import as_text


def allowed_values(field: str, params: Mapping[str, Any], ctx: CheckContext) -> tuple[str, ...]:
    if params.get("values"):
        return tuple(str(v) for v in params["values"])
    if ctx.entity.has_field(field) and ctx.entity.field(field).allowed:
        return ctx.entity.field(field).allowed or ()
    return ()


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    allowed = allowed_values(str(values.name), params, ctx)
    if not allowed:
        return pd.Series(True, index=values.index)
    if params.get("case_sensitive", True):
        return values.isna() | values.isin(allowed)
    return values.isna() | as_text(values).str.strip().str.casefold().isin({a.casefold() for a in allowed})


def suggest(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    allowed = allowed_values(str(values.name), params, ctx)
    by_key = {utils.default_process(a): a for a in allowed}

    def closest(value: str) -> str | None:
        key = utils.default_process(value)
        if key in by_key:
            return by_key[key]
        match = process.extractOne(key, list(by_key), scorer=fuzz.ratio, score_cutoff=80)
        return by_key[match[0]] if match else None

    unique = {v: closest(str(v)) for v in values.dropna().unique()}
    return values.map(unique).astype("object")


KIND = RuleKind(
    name="allowed",
    summary="The value must be one of a set (default: the model's enum values for the field).",
    dimension=Dimension.VALIDITY,
    check=check,
    suggest=suggest,
    message="{field} {value!r} is not one of the allowed values",
    params=(
        Param("values", list, help="allowed values; default: the model's enum for the field"),
        Param("case_sensitive", bool, default=True),
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
