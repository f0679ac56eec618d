"""reference: the value exists in a reference table the export ships (the config's `references:`).

A product code must be one of the product list's codes, an owner one of the users, a review's experience
one of the experiences. The reference values come from a file (`table` + `column`, read once while the file
is unchanged, see `auditor.references`) or from another loaded table's field (`in: entity.field`). Values are
compared as the file writes them, as text with surrounding whitespace stripped; a missing or blank value is
not judged (that is `required`'s). Only the column's distinct values are looked up.

The suggestion is the reference value the value is closest to: the same code but for spaces and letter case
("85123a" -> "85123A", "POST AGE" -> "POSTAGE"), else the one reference value at the fewest edits, at most one
per ten characters (at least one); none when two reference values are equally close ("85124" between "85123"
and "85125" is anybody's guess).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from auditor.checks.base import CheckContext, Dimension, Example, Param, RuleKind
from auditor.checks.expectations import no_equivalent
from auditor.dtypes import as_text
from auditor.references import read_reference

EDIT_EVERY = 10
"""A suggestion is at most one edit per this many characters of the value (and at least one) away."""


def _text(values: pd.Series) -> pd.Series:
    """Cells as text, stripped; blank -> missing. Whole floats lose their `.0` (a typed id column)."""
    text = as_text(values)
    if pd.api.types.is_float_dtype(values.dtype):
        text = text.str.replace(r"\.0$", "", regex=True)
    text = text.str.strip()
    return text.mask(text.eq(""))


def reference_values(params: Mapping[str, Any], ctx: CheckContext) -> np.ndarray | None:
    """The distinct reference values as stripped text; None when `in:` names a table or column not loaded
    (the engine then reports the rule as not evaluated)."""
    if params.get("in"):
        entity, _, field = str(params["in"]).partition(".")
        table = ctx.tables.get(entity)
        if table is None or field not in table.columns:
            return None
        column = table[field]
    elif params.get("table") and params.get("column"):
        frame = read_reference(str(params["table"]))
        if params["column"] not in frame.columns:
            raise KeyError(f"{params['table']} has no column {params['column']!r} any more")
        column = frame[params["column"]]
    else:
        raise ValueError("a reference rule needs `table` and `column`, or `in`")
    return _text(column).dropna().unique().to_numpy(dtype=object)


def _as_written(values: pd.Series, ctx: CheckContext) -> pd.Series:
    """The checked cells as the file writes them (a value map may have translated the typed value), stripped;
    missing where the typed value is missing or the cell blank."""
    name = values.name
    cells = ctx.raw[name].reindex(values.index) if name in ctx.raw.columns else values
    return _text(cells).where(values.notna())


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    known = reference_values(params, ctx)
    if known is None:
        return pd.Series(True, index=values.index)
    codes, uniques = pd.factorize(_as_written(values, ctx))
    found = pc.is_in(
        pa.array(np.asarray(uniques, dtype=object), type=pa.string()), value_set=pa.array(known, type=pa.string())
    )
    # code -1 (a missing value) takes the appended True: not judged
    verdict = np.append(found.to_numpy(zero_copy_only=False).astype(bool), True)
    return pd.Series(verdict[codes], index=values.index)


def _key(value: str) -> str:
    return "".join(value.split()).casefold()


def closest(value: str, by_key: Mapping[str, str], keys: list[str]) -> str | None:
    """The reference value `value` is closest to (see the module docstring), or None."""
    key = _key(value)
    if key in by_key:
        return by_key[key]
    best = process.extract(key, keys, scorer=Levenshtein.distance, score_cutoff=max(1, len(key) // EDIT_EVERY), limit=2)
    if not best or (len(best) > 1 and best[1][1] == best[0][1]):
        return None
    return by_key[best[0][0]]


def suggest(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    known = reference_values(params, ctx)
    text = _as_written(values, ctx)
    if known is None or not len(known):
        return pd.Series(None, index=values.index, dtype="object")
    by_key: dict[str, str] = {}
    for value in known:
        by_key.setdefault(_key(value), value)
    keys = list(by_key)
    chosen = {value: closest(value, by_key, keys) for value in text.dropna().unique()}
    return text.astype("object").map(chosen).astype("object")


def describe(params: Mapping[str, Any], field: str, ctx: CheckContext) -> Mapping[str, Any]:
    if params.get("in"):
        return {"reference": f"the values of {params['in']}"}
    return {"reference": f"the reference table {Path(str(params.get('table'))).name} (column {params.get('column')})"}


KIND = RuleKind(
    name="reference",
    gx=no_equivalent("reads a reference table beside the export (the config's `references:`); GX sees one batch"),
    summary="The value must exist in a reference table the export ships (config `references:`).",
    dimension=Dimension.CONSISTENCY,
    check=check,
    suggest=suggest,
    message="{field} {value!r} is not in {reference}",
    message_vars=describe,
    params=(
        Param("table", str, help="the reference file (`references:` resolves it relative to the config file)"),
        Param("column", str, help="the file's column that holds the reference values"),
        Param("in", str, help="instead of a file: entity.field of another loaded table"),
    ),
    examples=(
        Example(
            params={"in": "accounts.name"},
            passes=("Acme", " Acme ", None, ""),
            fails=("acme", "Acme Corp", "Initech"),
            entity="leads",
            field="company",
            tables={"accounts": {"name": ("Acme", "Globex", None)}},
        ),
    ),
    # The reference values must be seen whole (a file on the driver's disk, every value of another table):
    # on the Spark engine the rule runs on the driver, like the kinds that judge a value against its column.
    whole_column=True,
)
