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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.checks.base import CheckContext, Dimension, Example, Param, RuleKind, Verdicts, series_of
from auditor.checks.expectations import ON_EVERY_COLUMN
from auditor.checks.kinds._columns import distinct_values, per_table, role, written_text
from auditor.checks.kinds._common import MISSING_CODES
from auditor.checks.kinds._fastpath import (
    Distinct,
    bools,
    byte_at,
    could_lower_to,
    fullmatches,
    holds_any,
    matches,
    present,
    strip,
    take,
    utf8_bytes,
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


_CODE, _MISSING, _TOKEN, _DATE, _FILLED, _PRESENT = (np.uint8(1 << k) for k in range(6))
"""The bits of a distinct cell's judgement (`_judge`): one of the rule's codes; one of MISSING_CODES; holds a
template token; a date of DATES written as text; filled (not missing, not blank once stripped); not missing."""


@cache
def _judge(codes: tuple[str, ...], tokens: tuple[str, ...]) -> Callable[[pa.Array], np.ndarray]:
    """The judgement of each cell as written (elementwise: `ColumnText.each` makes it once for a small table's
    columns together), one function per rule's codes and tokens (the same object each time it is asked for)."""

    def judge(written: pa.Array) -> np.ndarray:
        raw = strip(written)
        bits = np.zeros(len(raw), dtype=np.uint8)
        short = could_lower_to(raw, {*codes, *MISSING_CODES})
        if len(short):  # none in most columns (ids, phones, times): then no Arrow call on nothing
            lowered = pc.utf8_lower(take(raw, short))
            bits[short] |= _CODE * bools(pc.is_in(lowered, value_set=pa.array(codes, type=lowered.type)))
            bits[short] |= _MISSING * bools(pc.is_in(lowered, value_set=pa.array(MISSING_CODES, type=lowered.type)))
        # a column holding none of the characters the tokens are made of holds no token: ids, e-mails, phones,
        # timestamps as a rule; a search of its bytes tells, where the tokens' regex read every value
        if tokens != TOKENS or holds_any(raw, TOKEN_MARKS):
            bits |= _TOKEN * matches(raw, "|".join(f"(?:{t})" for t in tokens))
        bits[_no_dates(raw)] |= _DATE
        filled = present(raw)
        bits[filled] |= _PRESENT
        offsets, _ = utf8_bytes(raw)
        bits[filled & (offsets[1:] > offsets[:-1])] |= _FILLED  # not "" once stripped, told by its bytes
        return bits

    return judge


def _no_dates(raw: pa.Array) -> np.ndarray:
    """The positions of the values that are a date of DATES written as text: its first ten characters one of DATES,
    and (a regex, only on those) a date; read as written, not lower-cased: no character but a digit or a dash
    lower-cases to one. Looked for only where the first byte and the fifth may be a date's of DATES: in a column of
    timestamps of this century, nowhere."""
    maybe = np.flatnonzero(_DATE_FIRSTS[byte_at(raw, 0)])
    maybe = maybe[byte_at(raw, 4, maybe) == ord("-")]
    if not len(maybe):  # none in most columns: then no Arrow call on nothing
        return maybe
    head = pc.utf8_slice_codeunits(take(raw, maybe), 0, 10)
    dated = maybe[bools(pc.is_in(head, value_set=pa.array(DATES, type=raw.type)))]
    if not len(dated):
        return dated
    return dated[fullmatches(take(raw, dated), "\\d{4}-\\d{2}-\\d{2}.*")]


@dataclass(frozen=True)
class _Cells:
    """A column's distinct cells as the sentinel kind reads them, once per column for the check and its
    explanation."""

    cells: Distinct
    bits: np.ndarray
    """Per distinct cell, its judgement (`_judge`)."""
    usual: str | None
    """The column's usual code for "empty", if any."""

    def equal(self, code: str) -> np.ndarray:
        """Per distinct cell: its lower case is `code`, one of MISSING_CODES."""
        out = self.bits & _MISSING > 0
        out[out] = bools(pc.equal(pc.utf8_lower(_stripped(self.cells, out)), code))
        return out


def _stripped(cells: Distinct, which: np.ndarray) -> pa.Array:
    """The distinct cells marked in `which`, stripped."""
    return strip(take(cells.values, np.flatnonzero(which)))


def _codes(params: Mapping[str, Any]) -> tuple[str, ...]:
    """The rule's codes for "no value", lower-cased (the default ones once, not for each column)."""
    values = params.get("values")
    return tuple(v.lower() for v in values) if values else _VALUES_LOWERED


_VALUES_LOWERED = tuple(v.lower() for v in VALUES)


def _column(values: pd.Series, ctx: CheckContext, params: Mapping[str, Any]) -> _Cells:
    """The column's _Cells: each distinct cell judged by the rule's codes and tokens, as the file wrote it."""
    field = str(values.name)
    codes, tokens = _codes(params), tuple(params.get("tokens") or TOKENS)

    def compute() -> _Cells:
        judge = _judge(codes, tokens)
        text = written_text(values, ctx)
        if text is None:  # a column of its own, or a typed one the file did not write as text
            cells = _cells(values, field, ctx)
            bits = judge(cells.values)
        else:  # as the file wrote it: judged with the table's other text columns, when the table is small
            cells, bits = text.cells, text.each(judge, stripped=False)
        return _Cells(cells, bits, _usual_code(cells, bits))

    return per_table.get(ctx.frame, ("sentinel", field, len(values), codes, tokens), compute)


def verdicts(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> Verdicts:
    field = str(values.name)
    column = _column(values, ctx, params)
    cells = column.cells
    # each distinct value judged once; the typed dates and numbers below are judged per row
    bad = column.bits & (_CODE | _TOKEN | _DATE) > 0
    quantity = role(field, ctx) in _QUANTITIES
    typed_number = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
    if quantity and not typed_number:
        bad |= fullmatches(strip(cells.values), _NUMBER_PLACEHOLDER)
    rows = cells.spread(bad) | _dates(values, field, ctx)
    if quantity and typed_number:
        rows |= _placeholder_numbers(values)
    if column.usual is not None:
        rows &= ~cells.spread(column.equal(column.usual))
    return ~rows


check = series_of(verdicts)


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


def _usual_code(cells: Distinct, bits: np.ndarray) -> str | None:
    """The missing-value code more than half of the column's filled cells hold, if any (`bits`: each distinct
    cell's judgement)."""
    counts = cells.counts()
    filled = int(counts[bits & _FILLED > 0].sum())
    if filled == 0:
        return None
    is_code = bits & _MISSING > 0
    if int(counts[is_code].sum()) * 2 <= filled:
        return None
    held: dict[str, int] = {}  # distinct cells that lower-case to one code count together
    lowered = pc.utf8_lower(_stripped(cells, is_code)).to_pylist()
    for value, count in zip(lowered, counts[is_code].tolist(), strict=True):
        held[value] = held.get(value, 0) + count
    value, count = max(held.items(), key=lambda item: item[1])
    return value if count * 2 > filled else None


def explain(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> str | None:
    field = str(values.name)
    column = _column(values, ctx, params)
    usual = column.usual
    if usual is None:
        return None
    counts = column.cells.counts()
    held = int(counts[column.equal(usual)].sum())
    share = held / max(int(counts[column.bits & _PRESENT > 0].sum()), 1)
    return f"{field}: {usual!r} on {share:.1%} of the filled cells is how this column writes 'empty'; not reported"


KIND = RuleKind(
    name="sentinel",
    gx=ON_EVERY_COLUMN,
    summary="A code for 'no value' in any column: unknown, n/a, nan, ?, #N/A, template tokens, 1900-01-01, 9999.",
    dimension=Dimension.COMPLETENESS,
    check=check,
    verdicts=verdicts,
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
