"""type: a value in a typed field (date, number, count, boolean) can be read as that type.

Sources convert each model field to its type while loading; a cell that does not convert
stays in the raw table and is missing in the typed one. This kind reports exactly those, except a
code for "no value" ("?", "n/a", "unknown") or a date a system writes for "no date" that no typed column
holds (9999-12-31, 0001-01-01): that is a missing value (`required`, `sentinel`), not a malformed one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from auditor.checks.base import PASSES, CheckContext, Dimension, Example, RuleKind, Verdicts, series_of
from auditor.checks.expectations import no_equivalent
from auditor.checks.kinds._columns import written_text
from auditor.checks.kinds._common import is_blank, is_missing_code
from auditor.sources.convert import written_no_date


def verdicts(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> Verdicts:
    field = values.name
    if field not in ctx.raw.columns:
        return PASSES
    column = written_text(values, ctx)  # judged once per distinct value, shared with the other kinds
    if column is not None:
        # in numpy, per distinct value: the Series of `blank`, `missing_code` and their operators were most of the
        # kind's time on a small table
        ok = ~(pd.isna(values.array) & column.cells.spread(column.filled_values))
        if pd.api.types.is_datetime64_any_dtype(values.dtype) and not ok.all():
            ok |= _no_date(ctx.raw[field], ~ok)
        return ok
    raw = ctx.raw[field]
    written = ~(values.isna() & ~is_blank(raw) & ~is_missing_code(raw))
    if pd.api.types.is_datetime64_any_dtype(values.dtype) and not written.all():
        written |= _no_date(raw, ~written.to_numpy(bool))
    return written


check = series_of(verdicts)


def _no_date(raw: pd.Series, rows: np.ndarray) -> np.ndarray:
    """Of `rows`, those written as a date a system writes for "no date" (9999-12-31, 0001-01-01: beyond the
    years a typed column holds, so missing there): a stand-in for a missing value, the `sentinel` rule's
    finding, not a malformed date."""
    out = np.zeros(len(raw), dtype=bool)
    at = np.flatnonzero(rows)
    # a reader may hand over cells that are not text (a workbook's dates): those are no written "no date"
    written = [v.strip() if isinstance(v, str) else "" for v in raw.iloc[at].tolist()]
    out[at] = written_no_date(pd.Series(written, dtype=object))
    return out


KIND = RuleKind(
    name="type",
    gx=no_equivalent(
        "the typed table GX sees has already turned an unparseable cell into a null; "
        "only the auditor's reader knows the cell did not parse"
    ),
    summary="Values of typed fields (dates, numbers, counts, booleans) must parse as that type.",
    dimension=Dimension.VALIDITY,
    check=check,
    verdicts=verdicts,
    message="{field} {value!r} is not a valid {dtype}",
    examples=(
        Example(
            params={},
            passes=("2026-01-05", None, "?", "n/a", "9999-12-31", "0001-01-01 00:00:00"),
            fails=("31/02/2026", "yesterday"),
            entity="contacts",
            field="birth_date",
        ),
    ),
)
