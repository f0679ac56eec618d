"""`identifier`: a value shared by several records in a column that names records one by one.

Semantics: a column is an identifier when its header says so (ends in "id", "_id", "Id", "Id__c",
"key", "uuid", "guid", or holds "external id") and at least `min_distinct` of its values are
distinct, i.e. it behaves as a key and not as a reference to another table (a contact's account
id repeats for every colleague; an external id must not). Then every record whose value another
record also has fails, like `unique`: two guests with one External_Id__c are an id collision that
breaks every sync keyed on it. Sentinel codes ("?", "n/a") are not ids and are not counted.
Mapped primary keys have their own `unique` rule and foreign keys repeat by design: neither is
judged here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import PASSES, CheckContext, Dimension, Example, Param, RuleKind, Verdicts, series_of
from auditor.checks.expectations import ON_EVERY_COLUMN
from auditor.checks.kinds._columns import column_text, raw_text, role
from auditor.model import Role

MIN_DISTINCT = 0.9
MIN_COUNT = 20
_NAME = re.compile(r"(?:^|[^a-z])(?:id|key|uuid|guid)$|[a-z0-9]Id(?:__c)?$|_id__c$|external[ _]?id", re.IGNORECASE)


def looks_like_identifier(name: str) -> bool:
    return bool(_NAME.search(name.strip()))


def _ids(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series | None:
    field = str(values.name)
    if role(field, ctx) in (Role.PRIMARY_KEY, Role.FOREIGN_KEY) or not looks_like_identifier(field):
        return None
    column = column_text(values, ctx)
    text = column.text.where(~column.missing_code)
    present = text.dropna()
    if len(present) < int(params.get("min_count") or MIN_COUNT):
        return None
    if present.nunique() / len(present) < float(params.get("min_distinct") or MIN_DISTINCT):
        return None
    return text


def verdicts(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> Verdicts:
    text = _ids(values, params, ctx)
    if text is None:
        return PASSES
    return ~(text.duplicated(keep=False) & text.notna()).astype(bool)


check = series_of(verdicts)


def _display(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    text = raw_text(ctx.frame[str(values.name)], ctx)
    counts = text.map(text.value_counts())
    return (text.loc[values.index] + " (" + counts.loc[values.index].astype("Int64").astype(str) + " records)").astype(
        object
    )


KIND = RuleKind(
    name="identifier",
    gx=ON_EVERY_COLUMN,
    summary="A value shared by several records in a column named and used as an id (External_Id__c collisions).",
    dimension=Dimension.UNIQUENESS,
    check=check,
    verdicts=verdicts,
    message="{field} {value} is shared with another record, but the column identifies records one by one",
    display=_display,
    params=(
        Param("min_distinct", float, MIN_DISTINCT, help="a column is an id when this share of its values is distinct"),
        Param("min_count", int, MIN_COUNT, help="judge a column only with at least this many values"),
    ),
    whole_column=True,
    examples=(
        Example(
            params={},
            passes=(*(f"EXT-{i}" for i in range(40)), "?", "?", None),
            fails=("EXT-A", "EXT-A"),
            entity="contacts",
            field="External_Id__c",
        ),
        Example(
            params={},
            passes=tuple(f"ACC-{i % 10}" for i in range(40)),
            fails=(),
            entity="contacts",
            field="AccountId",
        ),
    ),
)
