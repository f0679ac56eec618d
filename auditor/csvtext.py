"""The CSV lines of a frame, byte for byte as pandas' `to_csv(index=False)` writes them once its formula
cells are neutralised (auditor.io.neutralise_formulas), made a column at a time in Arrow.

pandas makes every cell's text in Python (a float's digits, then the csv module's quoting): 0.2-0.5 µs a
cell, and on a million contacts the audit's CSV files hold some 50 million. Here each column's distinct
values are made text once and the lines are joined by Arrow. A column of a kind whose text this does not
make as pandas does (a date, a category, texts mixed with numbers) is declined: its chunk is pandas' to
write (auditor.io.write_csv). tests/test_csvtext.py compares the two on generated frames."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

LINE_END = os.linesep
"""pandas' line end (to_csv's default)."""
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""What a text a spreadsheet runs as a formula starts with: such a text gets a leading quote (here and in
auditor.io.neutralise_formulas)."""
FORMULA_START = "^[" + "".join(f"\\x{ord(c):02x}" for c in FORMULA_PREFIXES) + "]"
QUOTED = "[" + ',"' + LINE_END + "]"
"""What the csv module (QUOTE_MINIMAL) puts a field in double quotes for: the delimiter, the quote, a
character of the line end."""
_FLOAT_BITS = {np.dtype(np.float16): np.int16, np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}


def csv_lines(frame: pd.DataFrame, known: KnownCategories | None = None) -> memoryview | None:
    """`frame`'s rows as CSV lines (no header), formulas neutralised; None when pandas must write them: a
    column of another kind, a text UTF-8 cannot hold (pandas escapes a lone surrogate), a frame of one
    column (the csv module quotes a line of one empty field) or of no rows. `known`: the fields of coded
    columns' categories made so far (each_category), kept by the caller across a file's chunks; without it a
    coded column is pandas' to write."""
    if len(frame.columns) < 2 or not len(frame):
        return None
    try:
        fields = [_fields(frame[column], known) for column in frame.columns]
    except (pa.ArrowException, UnicodeError):
        return None
    if any(f is None for f in fields):
        return None
    fields[-1] = pc.binary_join_element_wise(fields[-1], LINE_END, "")
    return text_bytes(pc.binary_join_element_wise(*fields, ","))


def _fields(values: pd.Series, known: KnownCategories | None = None) -> pa.Array | None:
    """Each value's field; None for a column whose text this does not make."""
    dtype = values.dtype
    if known is not None and coded_texts(values):
        return each_category(values, _text_fields, known).fill_null("")
    if isinstance(dtype, pd.StringDtype) or (
        pd.api.types.is_object_dtype(dtype) and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
    ):
        return each_distinct(arrow_texts(values), _text_fields).fill_null("")
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        codes, uniques = distinct_floats(values)
        texts = np.where(np.isnan(uniques), "", uniques.astype(str)).astype(object)
        return pa.array(texts, type=pa.string()).take(pa.array(codes))
    if pd.api.types.is_integer_dtype(dtype):
        return pc.cast(pa.array(values, from_pandas=True), pa.string()).fill_null("")
    if pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        flags = pa.array(values, type=pa.bool_(), from_pandas=True)
        return pc.if_else(flags, "True", "False").fill_null("")
    return None


def arrow_texts(values: pd.Series) -> pa.Array:
    """A column of texts (and missing values: null) as an Arrow string array. A column of pandas' strings is
    taken as pandas holds it: made Python texts and encoded back, the duplicate pairs', clusters' and merge
    plan's Arrow-backed ids and texts were a third of their CSV files' time on a million contacts."""
    if isinstance(values.dtype, pd.StringDtype):
        texts = pa.array(values.array)
        texts = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
        return texts.cast(pa.string())
    # the column's own objects, not a copy with None for each missing value: Arrow takes None, NaN and pd.NA
    # for null itself (a text column's missing values are those; a NaT makes it "mixed", not text), and
    # pandas' isna and copy of the findings' and tasks' text columns, chunk after chunk, were a tenth of the
    # writing of a million contacts' files
    return pa.array(values.to_numpy(), type=pa.string(), from_pandas=True)


KnownCategories = dict[int, tuple[pd.Index, pa.Array]]
"""id of a coded column's categories -> (the categories, a function of their texts), for one function: the
categories are held so that their id stays theirs."""


def coded_texts(values: pd.Series) -> bool:
    """Whether `values` are coded and their categories texts."""
    return isinstance(values.dtype, pd.CategoricalDtype) and pd.api.types.infer_dtype(
        values.cat.categories, skipna=False
    ) in ("string", "empty")


def each_category(values: pd.Series, function: Callable[[pa.Array], pa.Array], known: KnownCategories) -> pa.Array:
    """`function` of each value of a coded column of texts (coded_texts), null where missing: of its categories,
    made once into `known`, taken by code. A chunk of a million contacts' task records made Python texts of
    its codes, then Arrow texts, then encoded them again, chunk after chunk."""
    categories = values.cat.categories
    if id(categories) not in known:
        texts = pa.array(np.asarray(categories, dtype=object), type=pa.string())
        known[id(categories)] = (categories, function(texts) if len(texts) else texts)
    codes = values.cat.codes.to_numpy()
    return known[id(categories)][1].take(pa.array(codes, mask=codes < 0))


SAMPLE_ROWS = 1_000
"""Rows each_distinct counts the distinct values of, to tell a column of repeated values from one of
(mostly) distinct texts."""


def each_distinct(texts: pa.Array, function: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """`function` (texts -> an array as long) of each text, computed once per distinct text of a column that
    repeats its values (an entity, a rule, a message) and spread back to its rows; of each row as it is
    where a sample of its rows is mostly distinct (a record id, an evidence text, a merge plan), which
    hashing every text to find its duplicates only slows down (0.18 CPU s for the 65 MB of merge plans of a
    million contacts' worklist)."""
    if mostly_distinct(texts):
        return function(texts)
    encoded = texts.dictionary_encode()
    return function(encoded.dictionary).take(encoded.indices)


def mostly_distinct(texts: pa.Array) -> bool:
    """Whether more than half of a sample of SAMPLE_ROWS of the texts are distinct (missing ones not counted).
    Counted as the sample's distinct values less a null among them: Arrow's count_distinct, an aggregation,
    took twice as long on the 2,200 samples the writers take of a million contacts' files."""
    sample = texts.slice(0, SAMPLE_ROWS)
    return bool(len(sample)) and (len(sample.unique()) - (sample.null_count > 0)) * 2 > len(sample)


def distinct_floats(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of a numpy float column, told apart by their bits: factorize holds -0.0 and
    0.0 as one value, which a file shows as two."""
    dtype = values.dtype
    codes, bits = pd.factorize(values.to_numpy().view(_FLOAT_BITS[dtype]))
    return codes, bits.view(dtype)


def _text_fields(texts: pa.Array) -> pa.Array:
    """Texts as fields: a formula's text after a quote, then in double quotes when it needs them. Which texts
    need either is read off their UTF-8 bytes (every character the two questions ask about is ASCII, and no
    byte of a character of more bytes is), and only those are rewritten: two regexes and a replacement over
    every text were most of the time the CSV files' long texts took (a million contacts' evidence and merge
    plans)."""
    data, offsets = utf8_bytes(texts)
    present = texts.is_valid().to_numpy(zero_copy_only=False)
    starts, stops = offsets[:-1], offsets[1:]
    first = data[np.minimum(starts, max(len(data) - 1, 0))] if len(data) else np.zeros(len(starts), dtype=np.uint8)
    formula = present & (stops > starts) & np.isin(first, _FORMULA_BYTES)
    quoted = _needs_quotes(texts, data, offsets) & present
    texts = _rewritten(texts, formula, lambda some: pc.binary_join_element_wise("'", some, ""))
    return _rewritten(
        texts, quoted, lambda some: pc.binary_join_element_wise('"', pc.replace_substring(some, '"', '""'), '"', "")
    )


_FORMULA_BYTES = np.array([ord(c) for c in FORMULA_PREFIXES], dtype=np.uint8)
_QUOTED_BYTES = [ord(c) for c in ',"' + LINE_END]
SHORT_TEXT = 24
"""Bytes a text has on average below which its bytes are searched by numpy for what needs quotes: on ids and
values Arrow's regex costs per text more than numpy does per byte, on evidence and merge plans less."""


def _needs_quotes(texts: pa.Array, data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Whether each text holds a character the csv module quotes a field for (QUOTED)."""
    if len(texts) and int(offsets[-1] - offsets[0]) > SHORT_TEXT * len(texts):
        return pc.fill_null(pc.match_substring_regex(texts, QUOTED), False).to_numpy(zero_copy_only=False)
    start = int(offsets[0]) if len(offsets) else 0
    used = data[start : int(offsets[-1])] if len(offsets) else data[:0]  # a slice's texts, not its whole buffer
    hit = np.zeros(len(used), dtype=bool)
    for byte in _QUOTED_BYTES:
        hit |= used == byte
    return holding(offsets, np.flatnonzero(hit) + start)


def _rewritten(texts: pa.Array, where: np.ndarray, function: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """`texts` with those at `where` replaced by `function` of them."""
    if not where.any():
        return texts
    if where.all():
        return function(texts)
    mask = pa.array(where)
    return pc.replace_with_mask(texts, mask, function(texts.filter(mask)))


def utf8_bytes(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A string array's UTF-8 bytes and its texts' offsets into them, as numpy views (a null's text empty)."""
    width = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    offsets = np.frombuffer(texts.buffers()[1], dtype=width)[texts.offset : texts.offset + len(texts) + 1]
    buffer = texts.buffers()[2]
    data = np.frombuffer(buffer, dtype=np.uint8) if buffer is not None else np.empty(0, dtype=np.uint8)
    return data, offsets


def holding(offsets: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Whether each text holds one of the bytes at positions `at` of the texts' bytes."""
    holds = np.zeros(len(offsets) - 1, dtype=bool)
    if len(at):
        text = np.searchsorted(offsets, at, side="right") - 1
        inside = (text >= 0) & (text < len(holds))
        holds[text[inside]] = True
    return holds


def text_bytes(texts: pa.Array) -> memoryview:
    """A string array's texts, concatenated: its data buffer between its first and last offset, not copied
    (a file takes it as it takes bytes)."""
    width = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    offsets = np.frombuffer(texts.buffers()[1], dtype=width)
    start, stop = int(offsets[texts.offset]), int(offsets[texts.offset + len(texts)])
    return memoryview(texts.buffers()[2][start:stop]).cast("B")
