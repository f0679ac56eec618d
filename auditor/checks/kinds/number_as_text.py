"""`number_as_text`: a number written as text in a column of plain numbers.

Semantics: when at least `min_share` (90%) of a column's filled cells, and at least `min_count` of
them, are plain numbers (digits, an optional sign and decimal point), a cell that is a number only
once its blanks, thousands separators or currency sign are taken away ("1 234", "1,234.50", "$ 12",
"12 ") fails, with the plain number as the suggestion. The auditor reads such a value correctly, but
a spreadsheet sums it as text (0) and an import into a numeric CRM field rejects it. Identifiers
written with separators (phone numbers, postcodes) are not plain-number columns, so they are not
judged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.checks.base import PASSES, CheckContext, Dimension, Example, Param, RuleKind, Verdicts, series_of
from auditor.checks.expectations import no_equivalent
from auditor.checks.kinds._columns import column_text, distinct_values, raw_text
from auditor.checks.kinds._fastpath import Distinct, bools, distinct, per_value, present, to_arrow, utf8_bytes

MIN_SHARE = 0.9
MIN_COUNT = 20
LETTER_SCREEN = 1_000
"""More non-ASCII values than this are screened for letters in Arrow before Python's `re` judges them."""
_PLAIN = r"^[-+]?\d+(?:\.\d+)?$"
_DRESSED = r"^[-+]?\s*[$€£]?\s*[-+]?\d{1,3}(?:[ \u00a0,']\d{3})+(?:\.\d+)?\s*[$€£]?$|^\s*[$€£]\s*[-+]?\d+(?:\.\d+)?$"
_PLAIN_RE = re.compile(_PLAIN)
_DRESSED_RE = re.compile(_DRESSED)
# The same patterns for ASCII text in RE2 (Arrow), whose \d and \s are narrower than Python's (on ASCII,
# Python's \d is 0-9 and its \s also holds \v and the separators \x1c-\x1f) and which writes \u as \x{}.
_ASCII_SPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"
_PLAIN_ASCII = _PLAIN.replace(r"\d", "[0-9]")
_DRESSED_ASCII = _DRESSED.replace(r"\d", "[0-9]").replace(r"\s", _ASCII_SPACE).replace(r"\u00a0", r"\x{00a0}")


def _written(values: pd.Series, ctx: CheckContext) -> pd.Series:
    """The cells as the file wrote them: a typed column's raw text (a parsed "1 234" was text)."""
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        return values.astype("object").where(values.notna())
    return raw_text(values, ctx).astype("object")


class _Numbers:
    """A column's cells judged as plain numbers and as numbers dressed with separators or blanks, once per
    distinct value: a column of a few values costs a few regex calls, not a dozen pandas string operations
    (seconds over thousands of columns). Python's `re` and Arrow's Unicode trim, as pandas' string methods
    apply them. A typed column is judged by its raw text, stripped (`ctx` is needed only then)."""

    def __init__(self, values: pd.Series, ctx: CheckContext | None) -> None:
        self.cells, self.text = _cells(values, ctx)
        self.trimmed = pc.utf8_trim_whitespace(self.text)
        # ASCII values (nearly all) by the patterns' ASCII forms in Arrow; the others by Python's re, one by one
        self.ascii = bools(pc.string_is_ascii(self.text))
        self.others = np.flatnonzero(~self.ascii & present(self.text))
        if len(self.others) > LETTER_SCREEN:
            # a value with a letter is neither number form (Python's \d and \s hold no letter): many columns'
            # others are names and streets, a Python regex call each, while RE2's \pL costs a millisecond to compile
            self.others = self.others[~bools(pc.match_substring_regex(self.text.take(self.others), r"\pL"))]
        others, others_trimmed = self.text.take(self.others).to_pylist(), self.trimmed.take(self.others).to_pylist()
        is_plain = np.array([_PLAIN_RE.fullmatch(t) is not None for t in others_trimmed], dtype=bool)
        self.others_untrimmed = is_plain & np.array(
            [v != t for v, t in zip(others, others_trimmed, strict=True)], dtype=bool
        )
        self.others_plain = is_plain & ~self.others_untrimmed
        self.others_dressed = np.array([_DRESSED_RE.fullmatch(v) is not None for v in others], dtype=bool)
        is_plain = bools(pc.match_substring_regex(self.trimmed, _PLAIN_ASCII)) & self.ascii
        self.untrimmed = is_plain & ~bools(pc.equal(self.text, self.trimmed))
        self.plain_values = is_plain & ~self.untrimmed
        self.plain_values[self.others] = self.others_plain

    def plain(self) -> np.ndarray:
        """Per row: a plain number."""
        return self.cells.spread(self.plain_values)

    def dressed(self) -> np.ndarray:
        """Per row: a number dressed with separators, a currency sign or blanks."""
        dressed = (bools(pc.match_substring_regex(self.text, _DRESSED_ASCII)) & self.ascii) | self.untrimmed
        dressed[self.others] = self.others_dressed | self.others_untrimmed
        return self.cells.spread(dressed)


def _cells(values: pd.Series, ctx: CheckContext | None) -> tuple[Distinct, pa.Array]:
    """(the column's distinct cells, their text): a typed column's raw text, stripped."""
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        cells = distinct(to_arrow(values)) if ctx is None else distinct_values(values, ctx)
        return cells, cells.values
    column = column_text(values, ctx)  # type: ignore[arg-type]
    return column.cells, column.stripped


_NOT_IN_A_NUMBER = r"[\x00-\x08\x0e-\x1b\x21-\x2a\x2c\x2f\x3a-\x7f]"
"""an ASCII character that neither number form's plain part holds: not a digit, sign, point or (Python's)
white space; a letter, ':', '/', ',', '@'"""
_NOT_PLAIN = _NOT_IN_A_NUMBER + r"|[0-9.][-+]|\..*\.|[-+0-9.]\s+[-+0-9.]"
"""what no plain number holds: such a character, a sign after a digit or point, two points, or blanks between
a number's characters (which no trim takes away). Dates ("1985-03-12", "12.03.1985"), postcodes ("00-950") and
phone numbers ("+48 600 123 456") hold only a number's characters, and without the last three a column of them
was read to its end and then judged value by value as both number forms."""


WINDOW = 16_384
"""Distinct cells `_at_most_plain` reads first; each next window twice the last."""


def _at_most_plain(values: pd.Series, ctx: CheckContext, needed: float = 0) -> int:
    """An upper bound of the cells that are plain numbers: those without what no plain number holds (`_NOT_PLAIN`).
    Read in growing windows of the distinct cells, it stops as soon as the bound is below `needed` (the cells
    not read yet counted as plain numbers): most columns (names, e-mails, ids, times) are told from a column
    of numbers by their first tenth, without the passes that judging each value as both number forms takes
    nor a regex pass over every value."""
    cells, text = _cells(values, ctx)
    counts = cells.counts()
    bound = int(counts[present(text)].sum())
    start, size = 0, WINDOW
    while start < len(text) and bound >= needed:
        window, held_by = text.slice(start, size), counts[start : start + size]
        # a few values' bytes rule out most columns (names, e-mails, times) at once: when what they rule out
        # already brings the bound below `needed`, the regex (whose matches are a superset) would too, and RE2
        # compiles _NOT_PLAIN on every call (0.2 ms, each column of every table)
        surely = int(held_by[_surely_not_plain(window)].sum())
        if bound - surely < needed:
            return bound - surely
        bound -= int(held_by[bools(pc.match_substring_regex(window, _NOT_PLAIN))].sum())
        start, size = start + size, 2 * size
    return bound


_NOT_IN_A_NUMBER_BYTES = np.zeros(256, dtype=bool)
for _low, _high in ((0x00, 0x08), (0x0E, 0x1B), (0x21, 0x2A), (0x2C, 0x2C), (0x2F, 0x2F), (0x3A, 0x7F)):
    _NOT_IN_A_NUMBER_BYTES[_low : _high + 1] = True
"""_NOT_IN_A_NUMBER as bytes (an ASCII byte is always its ASCII character in UTF-8)."""
_SIGN_BYTES = np.zeros(256, dtype=bool)
_SIGN_BYTES[list(b"-+")] = True
_DIGIT_OR_POINT_BYTES = np.zeros(256, dtype=bool)
_DIGIT_OR_POINT_BYTES[list(b"0123456789.")] = True


def _surely_not_plain(text: pa.Array) -> np.ndarray:
    """Per value: it holds a character of _NOT_IN_A_NUMBER or a sign after a digit or point, two of the things
    `_NOT_PLAIN` finds, told by one numpy pass over the values' bytes: never where the regex finds nothing."""
    offsets, data = utf8_bytes(text)
    alone = _NOT_IN_A_NUMBER_BYTES[data]
    found = alone.copy()
    found[1:] |= _SIGN_BYTES[data[1:]] & _DIGIT_OR_POINT_BYTES[data[:-1]]
    return per_value(np.logical_or, found, alone, offsets, bool)  # a first byte follows another value's last


def _plain_and_dressed(values: pd.Series, ctx: CheckContext | None) -> tuple[pd.Series, pd.Series]:
    """(plain numbers, dressed numbers) per row."""
    numbers = _Numbers(values, ctx)
    return pd.Series(numbers.plain(), index=values.index), pd.Series(numbers.dressed(), index=values.index)


def verdicts(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> Verdicts:
    filled = len(values) - int(np.count_nonzero(pd.isna(values.array)))  # the array's own mask, not a Series made
    needed = max(int(params.get("min_count") or MIN_COUNT), float(params.get("min_share") or MIN_SHARE) * filled)
    if _at_most_plain(values, ctx, needed) < needed:
        return PASSES
    numbers = _Numbers(values, ctx)
    if int(numbers.cells.counts()[numbers.plain_values].sum()) < needed:
        return PASSES
    return ~numbers.dressed()


check = series_of(verdicts)


def suggest(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    return _written(values, ctx).map(
        lambda v: "".join(c for c in v if c.isdigit() or c in "-+.") if isinstance(v, str) else None
    )


KIND = RuleKind(
    name="number_as_text",
    gx=no_equivalent("judges a value against the share of plain numbers in its column, on every column, mapped or not"),
    summary="A number written with blanks, separators or a currency sign in a column of plain numbers.",
    dimension=Dimension.VALIDITY,
    check=check,
    verdicts=verdicts,
    suggest=suggest,
    message="{field} {value!r} is a number written as text; the rest of the column writes plain numbers",
    params=(
        Param("min_share", (int, float), MIN_SHARE, help="share of the filled cells that must be plain numbers"),
        Param("min_count", int, MIN_COUNT, help="judge a column only with at least this many plain numbers"),
    ),
    whole_column=True,
    examples=(
        Example(
            params={},
            passes=tuple(str(v) for v in range(100, 160)),
            fails=("1 234", "1,234.50", "$ 12", "12 "),
            entity="orders",
            field="Quantity",
        ),
        Example(
            params={},
            passes=("+48 601 731 295", "+48 22 123 45 67", "601731295") * 10,
            fails=(),
            entity="contacts",
            field="phone_raw",
        ),
    ),
)
