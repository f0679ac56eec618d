"""`odd_format`: a value made of other characters than nearly all of its column.

Semantics: each value of a text column is classed by what it contains: letters only, digits only,
letters and digits (punctuation and spaces do not count; a value with neither is a sentinel's or a
placeholder's business and is not judged). When a column has at least `min_count` classed values,
a value fails when its class holds less than `max_share` of them: "-100" among incident states
that are words, "POST" or "BANK CHARGES" among product codes that are numbers, "John2" among first
names, "call me" among phone numbers. The threshold is a share, not a count, so that a class is
judged rare by the column's own evidence ("99% of values look like this") at any size.
Street addresses and free text (a column whose values have three or more words as a rule:
descriptions, subjects, comments) are not judged: a number in them is normal and its absence
too. Typed columns (dates, numbers) are the `type` rule's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.checks.base import PASSES, CheckContext, Dimension, Example, Param, RuleKind, Verdicts, series_of
from auditor.checks.expectations import ON_EVERY_COLUMN
from auditor.checks.kinds._columns import ColumnText, column_text, is_text_column, per_table, role
from auditor.checks.kinds._fastpath import Distinct, bools, holds_digit, matches, per_value, take, to_arrow, utf8_bytes
from auditor.model import Role

MIN_COUNT = 200
MAX_SHARE = 0.01
_NOT_JUDGED = (Role.ADDRESS,)
FREE_TEXT_WORDS = 3
_CLASS_NAMES = {1: "letters only", 2: "digits only", 3: "letters and digits"}


WORDS_SAMPLE = 10_000


def words(text: pd.Series) -> pd.Series:
    """Words per value of the first WORDS_SAMPLE filled values, counted with Arrow (enough to tell free
    text from codes and categories by the median)."""
    sample = text.dropna().head(WORDS_SAMPLE)
    counts = pc.count_substring_regex(to_arrow(sample), r"\S+")
    return pd.Series(counts.to_numpy(zero_copy_only=False), index=sample.index, dtype="float64")


def median_words(values: pd.Series, ctx: CheckContext) -> float:
    """The median of `words` over the column as written, once per table and column (odd_format and
    misspelt both tell free text by it)."""
    key = ("median_words", str(values.name), len(values))
    return per_table.get(ctx.frame, key, lambda: _median_first_words(column_text(values, ctx)))


def _median_first_words(column: ColumnText) -> float:
    """`_median_words` of the column's first texts; for a small table's column, their words counted per distinct
    value with the table's other columns (`ColumnText.each`), not once more for each column. A large table's column
    counts the words of its first texts only, fewer than its distinct values as a rule."""
    if not column.judged_together:
        return _median_words(column.first_texts(WORDS_SAMPLE))
    rows = column.cells.firsts(column.present_values, WORDS_SAMPLE)
    if not len(rows):
        return float("nan")
    counts = column.each(word_counts)
    return float(np.median(counts[rows if column.cells.codes is None else column.cells.codes[rows]]))


def _median_words(text: pa.Array) -> float:
    """`words(text).median()` in numpy, without the Series."""
    sample = pc.drop_null(text).slice(0, WORDS_SAMPLE)
    if not len(sample):
        return float("nan")
    return float(np.median(word_counts(sample)))


_BLANK_BYTES = np.zeros(256, dtype=bool)
_BLANK_BYTES[list(b"\t\n\f\r ")] = True
"""RE2's \\s: the bytes between words (in UTF-8 these bytes are always these characters)."""


def word_counts(text: pa.Array) -> np.ndarray:
    """Per value of `text`: its words, the runs of characters that are not RE2's \\s (`count_substring_regex` of
    `\\S+`, a pattern RE2 compiles on every call in half a millisecond, for each column of a table), counted from
    the values' UTF-8 bytes: a word starts at a byte that is not blank and is its value's first or follows a
    blank one."""
    offsets, data = utf8_bytes(text)
    filled = ~_BLANK_BYTES[data]
    starts = filled.copy()
    starts[1:] &= ~filled[:-1]
    return per_value(np.add, starts, filled, offsets, np.int64)  # a first byte starts a word whatever the one before


def _rare(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> tuple[Distinct, np.ndarray, pd.Series]:
    """(the column's distinct cells, the class of each, the share of each class among classed cells) or an
    empty share when not judged."""
    key = ("odd_format", str(values.name), repr(sorted(params.items())))
    return per_table.get(ctx.frame, key, lambda: _judge(values, params, ctx))


def _classes(column: ColumnText) -> np.ndarray:
    """Per distinct value: 0 neither, 1 letters, 2 digits, 3 both (-1 where missing)."""
    return np.where(column.present_values, column.each(_class_of), np.int8(-1))


def _class_of(text: pa.Array) -> np.ndarray:
    """Per value: 0 neither letters nor digits, 1 letters, 2 digits, 3 both."""
    return _letters(text).astype(np.int8) + 2 * holds_digit(text).astype(np.int8)


def _letters(text: pa.Array) -> np.ndarray:
    """Per value: it holds a letter. An ASCII letter is what ASCII lower and upper case change (two passes without
    a regex); the Unicode class, whose pattern takes RE2 a millisecond to compile on every call, is searched only
    in the values that are not ASCII."""
    ascii_only = bools(pc.string_is_ascii(text))
    found = bools(pc.not_equal(pc.ascii_lower(text), pc.ascii_upper(text)))
    # an ASCII letter is a letter of the class too: only the values without one are searched ("Łukasz" is not)
    others = np.flatnonzero(~ascii_only & ~found & bools(pc.is_valid(text)))
    if len(others):
        found[others] = matches(take(text, others), r"\pL")
    return found


def _shares(classes: np.ndarray, counts: np.ndarray) -> pd.Series:
    """`value_counts(normalize=True)` of the classes of the cells (`classes`: of the distinct values, in the order
    their first cells come, `counts`: the cells holding each), from the distinct values, not a million rows."""
    held = np.bincount(classes, weights=counts, minlength=4).astype(np.int64)
    keys = np.flatnonzero(held)
    keys = keys[np.argsort([np.argmax(classes == key) for key in keys])]  # as value_counts lists them: as they come
    held = held[keys]
    # sort_values(ascending=False, kind="stable") and the division by the sum, in numpy: pandas' calls were a
    # third of the kind's time on a small table's columns
    order = np.argsort(-held, kind="stable")
    held, keys = held[order], keys[order]
    return pd.Series(held / held.sum(), index=pd.Index(keys, dtype=classes.dtype), name="proportion")


_NOT_CLASSED = (np.zeros(0, dtype=np.int8), pd.Series(dtype=float))


def _judge(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> tuple[Distinct, np.ndarray, pd.Series]:
    field = str(values.name)
    if not is_text_column(values) or role(field, ctx) in _NOT_JUDGED:
        return Distinct(pa.array([], type=pa.large_string()), None), *_NOT_CLASSED
    column = column_text(values, ctx)
    min_count = int(params.get("min_count") or MIN_COUNT)
    # fewer values than min_count cannot hold min_count classed ones: the column is not judged either way
    if column.count() < min_count or median_words(values, ctx) >= FREE_TEXT_WORDS:
        return column.cells, *_NOT_CLASSED
    classes = _classes(column)
    classed = classes > 0
    counts = column.cells.counts()[classed]
    if int(counts.sum()) < min_count:
        return column.cells, classes, pd.Series(dtype=float)
    # distinct values come in the order of their first cells (Arrow's dictionary encoding), as value_counts needs
    return column.cells, classes, _shares(classes[classed], counts)


def verdicts(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> Verdicts:
    cells, classes, shares = _rare(values, params, ctx)
    rare = shares.index.to_numpy()[shares.to_numpy() < float(params.get("max_share") or MAX_SHARE)]
    if not len(rare):
        return PASSES
    return ~cells.spread(np.isin(classes, rare))


check = series_of(verdicts)


def _describe(params: Mapping[str, Any], field: str, ctx: CheckContext) -> Mapping[str, Any]:
    _, _, shares = _rare(ctx.frame[field], params, ctx)
    common = shares[shares >= float(params.get("max_share") or MAX_SHARE)]
    usual = " or ".join(_CLASS_NAMES[int(c)] for c in common.index)
    return {"usual": usual or "another kind", "usual_share": f"{common.sum():.1%}"}


KIND = RuleKind(
    name="odd_format",
    gx=ON_EVERY_COLUMN,
    summary="A value of other characters (letters/digits) than nearly all of its column: '-100' among states.",
    dimension=Dimension.VALIDITY,
    check=check,
    verdicts=verdicts,
    message="{field} {value!r} does not look like the rest of its column ({usual_share} are {usual})",
    message_vars=_describe,
    params=(
        Param("min_count", int, MIN_COUNT, help="judge a column only with at least this many values"),
        Param("max_share", float, MAX_SHARE, help="a kind of value rarer than this share of its column fails"),
    ),
    whole_column=True,
    examples=(
        Example(
            params={"min_count": 20},
            passes=("Closed",) * 60 + ("Awaiting User Info",) * 40 + ("?", None),
            fails=("-100",),
            entity="tickets",
            field="status",
        ),
        Example(
            params={"min_count": 20},
            passes=("21730",) * 70 + ("85123A",) * 30 + (None,),
            fails=("POST",),
            entity="contacts",
            field="product_code",
        ),
        Example(
            params={"min_count": 20},
            passes=("12 Main Street",) * 99 + ("Main Street",),
            fails=(),
            entity="contacts",
            field="street",
        ),
    ),
)
