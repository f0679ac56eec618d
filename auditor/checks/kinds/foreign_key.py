"""foreign_key: a reference points at an existing record of the referenced entity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, Lookup, Param, RuleKind
from auditor.checks.expectations import no_equivalent
from auditor.dtypes import as_text
from auditor.lookups import is_in
from auditor.model import Entity
from auditor.model import entity as model_entity


def referenced_entity(field: str, params: Mapping[str, Any], entity: Entity) -> str | None:
    if params.get("references"):
        return str(params["references"])
    if entity.has_field(field):
        return entity.field(field).references
    return None


def lookups(params: Mapping[str, Any], fields: tuple[str, ...], entity: Entity) -> tuple[Lookup, ...]:
    """Each field's value among the referenced table's ids."""
    out = []
    for field in fields:
        target = referenced_entity(field, params, entity)
        if target is not None:
            out.append(Lookup(field, target, model_entity(target).primary_key))
    return tuple(out)


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    target = referenced_entity(str(values.name), params, ctx.entity)
    if target is None or target not in ctx.tables:
        # Nothing to look the reference up in: the engine reports the rule as not evaluated.
        return pd.Series(True, index=values.index)
    keys = ctx.tables[target][model_entity(target).primary_key]
    return values.isna() | pd.Series(is_in(as_text(values), as_text(keys)), index=values.index)


KIND = RuleKind(
    name="foreign_key",
    gx=no_equivalent("looks across two tables; GX Core 1.x expectations see one batch"),
    summary="A reference must point at an existing record of the referenced entity.",
    dimension=Dimension.CONSISTENCY,
    check=check,
    message="{field} {value!r} does not match any {references} record",
    message_vars=lambda params, field, ctx: {
        "references": referenced_entity(field, params, ctx.entity) or "referenced"
    },
    lookups=lookups,
    params=(Param("references", str, help="entity referenced; default: the model's foreign key target"),),
    examples=(
        Example(
            params={},
            passes=("A1", None),
            fails=("A9",),
            field="account_id",
            tables={"accounts": {"account_id": ("A1", "A2")}},
        ),
    ),
)
