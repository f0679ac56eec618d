"""Hash look-ups of text values among other text values, in Arrow: where is each value, is it there.

One place decides which side is hashed. Arrow hashes the value set anew on every call: a million distinct
ids cost 0.16 s each time, and the metrics look up a few thousand ids of one field's findings dozens of
times. When the looked-up values are few, the few are hashed instead: one pass over the many picks those
among the few, and only they are hashed as the value set.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

FEW_WANTED = 4
"""the values, not the value set, are hashed when they are at most 1/FEW_WANTED as many"""

NOT_TEXT = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)
"""what `large_text` raises for values Arrow cannot hold as text"""


def large_text(values: Any) -> pa.Array | pa.ChunkedArray:
    """Text values (a Series, an array, a list or Arrow text) as Arrow large_string, missing as null. Raises
    one of NOT_TEXT for values that are not all text (an empty or all-missing list is text)."""
    column = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values, from_pandas=True)
    if pa.types.is_large_string(column.type):
        return column
    if not (pa.types.is_string(column.type) or pa.types.is_null(column.type)):
        raise pa.ArrowInvalid(f"not text: {column.type}")
    return column.cast(pa.large_string())


def index_in(values: Any, distinct: Any, *, nulls_match: bool = False) -> np.ndarray:
    """The position of each text value among `distinct` (its first, should one be there twice), -1 for one
    that is not there or missing; with `nulls_match`, a missing value is at the first missing one of
    `distinct`, as pandas' `get_indexer` finds it."""
    values, distinct = large_text(values), large_text(distinct)
    if len(values) * FEW_WANTED > len(distinct):
        return _index_in(values, distinct, nulls_match=nulls_match)
    held = np.flatnonzero(_is_in(distinct, values, nulls_match=nulls_match))
    found = _index_in(values, distinct.take(pa.array(held, type=pa.int64())), nulls_match=nulls_match)
    return np.append(held, -1)[found]  # found = -1 (not there) picks the appended -1


def is_in(values: pd.Series, wanted: Any, *, nulls_match: bool = False) -> np.ndarray:
    """Whether each value is one of `wanted`, as pandas' `isin` has it, hashed by Arrow when both are text
    (pandas' `isin` of Arrow text builds a Python object per wanted value). A missing value is among them
    only with `nulls_match` and a missing value among `wanted`. Values Arrow cannot hold as text (a number
    among the ids) are looked up by pandas."""
    try:
        have, want = large_text(values), large_text(wanted)
    except NOT_TEXT:
        found = values.isin(wanted).to_numpy(bool)
        return found if nulls_match else found & values.notna().to_numpy(bool)
    if len(have) * FEW_WANTED <= len(want):
        want = want.filter(pa.array(_is_in(want, have, nulls_match=nulls_match)))
    return _is_in(have, want, nulls_match=nulls_match)


def _is_in(values: pa.Array, value_set: pa.Array, *, nulls_match: bool) -> np.ndarray:
    found = pc.is_in(values, value_set=value_set, skip_nulls=not nulls_match)
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _index_in(values: pa.Array, distinct: pa.Array, *, nulls_match: bool) -> np.ndarray:
    found = pc.index_in(values, value_set=distinct, skip_nulls=not nulls_match)
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)
