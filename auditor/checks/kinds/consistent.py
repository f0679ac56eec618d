"""`consistent`: records that share a key disagree on a value the key determines.

Semantics: within each group of records with the same `key` (a product code, a customer id), the
value held by most records is the group's value; a record whose value differs fails, and the
group's value is the suggestion. A product code written with two descriptions splits every report
by product; a customer with two countries is counted twice in a breakdown. Missing values, codes
for a missing value ("nan", "?": the `sentinel` rule's) and records without a key pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, Param, RuleKind
from auditor.checks.expectations import no_equivalent
from auditor.checks.kinds._columns import per_table
from auditor.checks.kinds._common import is_missing_code


def _majority(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    """Each record's group value (NA without a key or value)."""
    key = ("consistent", str(values.name), params["key"], len(values))
    return per_table.get(ctx.frame, key, lambda: _group_values(values, params, ctx))


def _group_values(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    key = ctx.frame[params["key"]].loc[values.index]
    values = values.where(~is_missing_code(values))
    pairs = pd.DataFrame({"key": key.astype("object"), "value": values.astype("object")}).dropna()
    if pairs.empty:
        return pd.Series(pd.NA, index=values.index, dtype="object")
    counts = pairs.groupby(["key", "value"], sort=True).size().rename("n").reset_index()
    best = counts.sort_values(["key", "n"], ascending=[True, False], kind="stable").drop_duplicates("key")
    return key.astype("object").map(best.set_index("key")["value"])


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    if params["key"] not in ctx.frame.columns:
        return pd.Series(True, index=values.index)
    majority = _majority(values, params, ctx)
    values = values.where(~is_missing_code(values))
    differs = values.astype("object").ne(majority) & values.notna() & majority.notna()
    return ~differs.astype(bool)


def suggest(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    return _majority(ctx.frame[str(values.name)], params, ctx).loc[values.index]


KIND = RuleKind(
    name="consistent",
    gx=no_equivalent("compares the records that share a key; a GX expectation judges a row or one column"),
    summary="Records sharing a `key` disagree on a value it determines (a product code with two descriptions).",
    dimension=Dimension.CONSISTENCY,
    check=check,
    message="{field} {value!r} differs from what most records with the same {key} say",
    params=(Param("key", str, required=True, help="the field whose records must agree on this one"),),
    suggest=suggest,
    whole_column=True,
    examples=(
        Example(
            params={"key": "product_code"},
            passes=("WHITE MUG", "WHITE MUG", "RED MUG", None, "nan"),
            fails=("WHITE MUG ",),
            entity="orders",
            field="description",
            extra_columns={"product_code": ("A1", "A1", "B2", "A1", "A1", "A1")},
        ),
    ),
)
