"""`sentinel`: a value that stands for "missing" or was never filled in, in any column.

Exports write a missing value in many ways besides an empty cell, and an audit that only counts
empty cells misses them all. Semantics: the value (read as the file has it, stripped and
lower-cased) fails when
- it is one of `values`, the codes tools and people write for "no value": "unknown", "n/a", "nan"
  (a pandas missing value written out as text), "null", "?", "-", "#N/A", "unspecified",
  "not available", "(blank)", "brak danych"...;
- it contains an unfilled template token (`tokens`): `{first_name}`, `{{ company }}`, `[COMPANY]`,
  `<<name>>`, `%s`, `%(name)s`, `${name}`, Salesforce `{!Contact.Name}`, Mailchimp `*|FNAME|*`;
- it is a date a system writes for "no date": 1900-01-01, 1899-12-30/31 (spreadsheet day zero),
  0001-01-01, 9999-12-31, and 1970-01-01 (the Unix epoch) outside birth dates;
- in an amount, count or score, it is a number of four or more identical digits (9999, 111111,
  999999.00) or a negative run of nines (-999): a placeholder typed to get past a required field.
  Codes and ids are not judged by this (stock code 22222 is a product).
"NA" (Namibia, North America) and "none" (often a real category) are not on the list. A code held
by more than half of a column's filled cells is that column's way of writing "empty" (a field the
process rarely uses): it is said once in the rule's outcome, not reported on every record. Missing
values pass: an empty cell is the `required` rule's finding. `required` counts these codes as
missing, and `type` does not count them as malformed dates or numbers.

No suggestion: the real value has to be asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.checks.base import CheckContext, Dimension, Example, Param, RuleKind
from auditor.checks.expectations import ON_EVERY_COLUMN
from auditor.checks.kinds._columns import distinct_values, per_table, role
from auditor.checks.kinds._common import MISSING_CODES
from auditor.checks.kinds._fastpath import (
    Distinct,
    bools,
    byte_at,
    could_lower_to,
    fullmatches,
    holds_any,
    matches,
    passing,
    strip,
    take,
)
from auditor.model import Role
from auditor.text import NO_DATES

VALUES = MISSING_CODES
TOKENS = (
    r"\{\{?\s*[A-Za-z_][\w.]*\s*\}\}?",
    r"\[[A-Z]{4,}(?:[ _][A-Z]+)*\]|\[[A-Z]+(?:[ _][A-Z]+)+\]",
    r"<<\s*\w+\s*>>",
    r"%(?:\(\w+\))?s\b",
    r"\$\{\w+\}",
    r"\{!\w+(?:\.\w+)*\}",
    r"\*\|\w+\|\*",
)
TOKEN_MARKS = b"{[<%$*"
"""A character each of TOKENS holds: a value holding none of them matches none (tests/checks/kinds/test_sentinel.py
holds the patterns to it)."""
DATES = NO_DATES
EPOCH = "1970-01-01"
_NUMBER_PLACEHOLDER = r"-?(?:0{4,}|1{4,}|2{4,}|3{4,}|4{4,}|5{4,}|6{4,}|7{4,}|8{4,}|9{4,})(?:[.,]0+)?|-9{3,}(?:[.,]0+)?"
_QUANTITIES = (Role.MONEY, Role.NUMBER, Role.COUNT, Role.SCORE)
_DATE_FIRSTS = np.zeros(257, dtype=bool)
"""By a value's first byte (-1: none, the last place): a date of DATES may start it."""
_DATE_FIRSTS[[ord(date[0]) for date in DATES]] = True


def _cells(values: pd.Series, field: str, ctx: CheckContext) -> Distinct:
    """The cells as the file wrote them, each distinct value once: a date or number column's raw text, so
    "?" is still "?"."""
    source = ctx.raw[field] if field in ctx.raw.columns and len(ctx.raw) == len(values) else values
    if pd.api.types.is_datetime64_any_dtype(source.dtype):
        source = source.dt.strftime("%Y-%m-%d")
    elif pd.api.types.is_numeric_dtype(source.dtype) and not pd.api.types.is_bool_dtype(source.dtype):
        source = source.astype("str").where(source.notna())
    # renamed only when it must be (a copy of the Series each time, a column of the raw table is named so already)
    return distinct_values(source if source.name == field else source.rename(field), ctx)


def _dates(values: pd.Series, field: str, ctx: CheckContext) -> np.ndarray:
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        return np.zeros(len(values), dtype=bool)
    # the days of the wall clock, where a zone's midnight may not exist; each timestamp's day by numpy's cast
    # (which floors), compared as days, not as text (strftime is a Python call per value)
    wall = values.dt.tz_localize(None) if values.dt.tz is not None else values
    sentinel_days = np.array(list(DATES) + ([] if "birth" in field else [EPOCH]), dtype="datetime64[D]")
    return np.isin(wall.to_numpy().astype("datetime64[D]"), sentinel_days)


@dataclass(frozen=True)
class _Cells:
    """A column's distinct cells as the sentinel kind reads them, once per column for the check and its
    explanation."""

    cells: Distinct
    raw: pa.Array
    """Each distinct cell stripped as written."""
    short: np.ndarray
    """The positions in `raw` of the values that may be a code asked about (`could_lower_to`): only those are
    lower-cased and looked up. In a column of phone numbers, ids or timestamps that is none, and lower-casing a
    million values cost more than the codes' look-up."""
    lowered: pa.Array
    """The values at `short`, lower-cased."""
    usual: str | None
    """The column's usual code for "empty", if any."""

    def equal(self, code: str) -> np.ndarray:
        """Per distinct cell: its lower case is `code`."""
        out = np.zeros(len(self.raw), dtype=bool)
        out[self.short] = bools(pc.equal(self.lowered, pa.scalar(code, type=self.lowered.type)))
        return out


def _codes(params: Mapping[str, Any]) -> tuple[str, ...]:
    """The rule's codes for "no value", lower-cased."""
    return tuple(v.lower() for v in params.get("values") or VALUES)


def _column(values: pd.Series, ctx: CheckContext, codes: tuple[str, ...]) -> _Cells:
    """The column's _Cells, lower-casing the values that may be one of `codes` or MISSING_CODES."""
    field = str(values.name)

    def compute() -> _Cells:
        cells = _cells(values, field, ctx)
        raw = strip(cells.values)
        short = could_lower_to(raw, {*codes, *MISSING_CODES})
        lowered = pc.utf8_lower(take(raw, short))
        if not len(short):  # no value that may be a code (ids, phones, times): no usual code, no Arrow call to say so
            return _Cells(cells, raw, short, lowered, None)
        filled = int(cells.counts()[bools(pc.not_equal(raw, ""))].sum())
        return _Cells(cells, raw, short, lowered, _usual_code(lowered, cells.counts()[short], filled))

    return per_table.get(ctx.frame, ("sentinel", field, len(values), codes), compute)


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    field = str(values.name)
    codes = _codes(params)
    column = _column(values, ctx, codes)
    cells, raw = column.cells, column.raw
    # each distinct value judged once; the typed dates and numbers below are judged per row
    bad = np.zeros(len(raw), dtype=bool)
    if len(column.short):
        bad[column.short] = bools(pc.is_in(column.lowered, value_set=pa.array(codes, type=column.lowered.type)))
    tokens = tuple(params.get("tokens") or TOKENS)
    # a column holding none of the characters the tokens are made of holds no token: ids, e-mails, phones,
    # timestamps as a rule; a search of its bytes tells, where the tokens' regex read every value
    if tokens != TOKENS or holds_any(raw, TOKEN_MARKS):
        bad |= matches(raw, "|".join(f"(?:{t})" for t in tokens))
    # a date written as text: its first ten characters one of DATES, and (a regex, only on those) a date; read
    # as written, not lower-cased: no character but a digit or a dash lower-cases to one. Looked for only where
    # the first byte and the fifth may be a date's of DATES: in a column of timestamps of this century, nowhere
    maybe = np.flatnonzero(_DATE_FIRSTS[byte_at(raw, 0)])
    maybe = maybe[byte_at(raw, 4, maybe) == ord("-")]
    if len(maybe):  # none in most columns: then no Arrow call on nothing
        head = pc.utf8_slice_codeunits(take(raw, maybe), 0, 10)
        dated = maybe[bools(pc.is_in(head, value_set=pa.array(DATES, type=raw.type)))]
        if len(dated):
            bad[dated] |= fullmatches(take(raw, dated), "\\d{4}-\\d{2}-\\d{2}.*")
    quantity = role(field, ctx) in _QUANTITIES
    typed_number = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
    if quantity and not typed_number:
        bad |= fullmatches(raw, _NUMBER_PLACEHOLDER)
    rows = cells.spread(bad) | _dates(values, field, ctx)
    if quantity and typed_number:
        rows |= _placeholder_numbers(values)
    if column.usual is not None:
        rows &= ~cells.spread(column.equal(column.usual))
    return passing(~rows, values.index)


def _placeholder_numbers(values: pd.Series) -> np.ndarray:
    """9999, 111111, 999999.00, -999 as read in a typed number column ("$9,999.00" is 9999)."""
    number = values.to_numpy(dtype="float64", na_value=np.nan)
    whole = np.isfinite(number) & (number == np.floor(number)) & (np.abs(number) < 1e15)
    out = np.zeros(len(number), dtype=bool)
    if whole.any():
        out[whole] = _placeholder_integers(number[whole].astype(np.int64))
    return out


def _placeholder_integers(number: np.ndarray) -> np.ndarray:
    """_NUMBER_PLACEHOLDER of each integer's decimal text (|n| < 10**15), by arithmetic: a number of k equal
    digits is a digit from 1 to 9 times the k-digit repunit (10**k - 1) / 9. Writing a million numbers as text
    for the regex cost more than this."""
    magnitude = np.abs(number)
    digits = np.searchsorted(_POWERS_OF_TEN, magnitude, side="right")  # 0 for 0, else the count of digits
    digit, rest = np.divmod(magnitude, _REPUNITS[digits])
    repeated = (rest == 0) & (digit >= 1) & (digit <= 9)
    # four or more equal digits, with or without a sign; three only as -999
    return repeated & ((digits >= 4) | ((digits == 3) & (digit == 9) & (number < 0)))


_POWERS_OF_TEN = 10 ** np.arange(16, dtype=np.int64)
_REPUNITS = np.array([1] + [(10**k - 1) // 9 for k in range(1, 17)], dtype=np.int64)
"""the k-digit repunit at k (1 at 0: the count of digits of 0, which is no placeholder)"""


def _usual_code(lowered: pa.Array, counts: np.ndarray, filled: int) -> str | None:
    """The missing-value code more than half of the column's `filled` cells hold, if any (`lowered`: distinct
    values lower-cased, among them every code's, `counts`: the cells holding each)."""
    if filled == 0:
        return None
    is_code = bools(pc.is_in(lowered, value_set=pa.array(MISSING_CODES, type=lowered.type)))
    if int(counts[is_code].sum()) * 2 <= filled:
        return None
    cells: dict[str, int] = {}  # distinct cells that lower-case to one code count together
    for value, count in zip(pc.filter(lowered, is_code).to_pylist(), counts[is_code].tolist(), strict=True):
        cells[value] = cells.get(value, 0) + count
    value, count = max(cells.items(), key=lambda item: item[1])
    return value if count * 2 > filled else None


def explain(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> str | None:
    field = str(values.name)
    column = _column(values, ctx, _codes(params))
    usual = column.usual
    if usual is None:
        return None
    counts = column.cells.counts()
    held = int(counts[column.equal(usual)].sum())
    share = held / max(int(counts[bools(pc.is_valid(column.raw))].sum()), 1)
    return f"{field}: {usual!r} on {share:.1%} of the filled cells is how this column writes 'empty'; not reported"


KIND = RuleKind(
    name="sentinel",
    gx=ON_EVERY_COLUMN,
    summary="A code for 'no value' in any column: unknown, n/a, nan, ?, #N/A, template tokens, 1900-01-01, 9999.",
    dimension=Dimension.COMPLETENESS,
    check=check,
    message="{field} holds {value!r}, a stand-in for a missing value",
    explain=explain,
    whole_column=True,
    params=(
        Param("values", (list, tuple), VALUES, help="codes for 'no value' (compared stripped, case-insensitively)"),
        Param("tokens", (list, tuple), TOKENS, help="unfilled template tokens (RE2, searched in the value)"),
    ),
    examples=(
        Example(
            params={},
            passes=("Kowalski", "None", "NA", "Nancy", "Unknown Pleasures Ltd", "1999", "{ok", None, "Li", "Ng"),
            fails=("unknown", "N/A", "nan", "?", "#N/A", "-", "Unspecified", "(blank)"),
            entity="contacts",
            field="title",
        ),
        Example(
            params={},
            passes=("Dear Anna,", "ACME [Poland]", "ACME [USA]", "50% off"),
            fails=("Dear {first_name},", "Hello {{ name }}", "[COMPANY] offer", "<<name>>", "Hi %s", "{!Contact.Name}"),
            entity="activities",
            field="subject",
        ),
        Example(
            params={},
            passes=("2026-01-05", "1970-01-01", "1901-03-04", None),
            fails=("1900-01-01", "9999-12-31", "1899-12-30"),
            entity="contacts",
            field="birth_date",
        ),
        Example(
            params={},
            passes=("2026-01-05 10:00", "1969-12-31"),
            fails=("1970-01-01", "1900-01-01 00:00:00"),
            entity="contacts",
            field="created_at",
        ),
        Example(
            params={},
            passes=("?", "?", "?", "?", "CHG0000097"),
            fails=(),
            entity="tickets",
            field="caused_by",
        ),
        Example(
            params={},
            passes=("1111", "22222"),
            fails=(),
            entity="orders",
            field="product_code",
        ),
        Example(
            params={},
            passes=("1200", "999", "1111.5"),
            fails=("9999", "111111", "999999.00", "-999"),
            entity="opportunities",
            field="amount",
        ),
    ),
)
