"""Vectorized building blocks shared by the format and text-hygiene kinds.

The kinds decide the common case with Arrow compute (RE2 regexes over whole columns) and
hand only the values the fast path cannot settle to a Python function, once per unique
value. Everything here works on positions (numpy arrays aligned with the column), so a
kind can combine masks and scatter partial results without touching the pandas index.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.csvtext import text_bytes
from auditor.csvtext import utf8_bytes as csv_utf8_bytes

ASCII_WS = " \t\n\r\x0b\x0c"


def to_arrow(values: pd.Series) -> pa.Array:
    """The column as one Arrow string array (zero-copy for pandas' pyarrow-backed `str` dtype)."""
    try:
        arr = pa.array(values.array)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        arr = None
    if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        # Object columns or columns typed as something else still hold text we can judge.
        text = values.astype(object).where(values.notna(), None)
        arr = pa.array([None if v is None else str(v) for v in text], type=pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr


ALL_DISTINCT_SAMPLE = 10_000
"""Rows whose distinct values tell whether encoding a column pays: when over half of them differ, the
column is judged row by row (ids, e-mails, timestamps), which costs less than encoding it."""


@dataclass(frozen=True)
class Distinct:
    """A text column as its distinct values and, per row, where its value is among them: a kind judges each
    distinct value once (a column of a million first names holds a thousand) and spreads the verdicts over
    the rows. Any elementwise function of `values` spread this way equals the function of the column."""

    values: pa.Array
    """Each distinct value once, then one missing value (the value of every missing row); or, when nearly
    every value differs, the column itself."""
    codes: np.ndarray | None
    """Per row, the position of its value in `values` (a missing row's is the last); None: `values` is the
    column."""

    def spread(self, per_value: np.ndarray) -> np.ndarray:
        """Per-value results as per-row results."""
        return per_value if self.codes is None else per_value[self.codes]

    def counts(self) -> np.ndarray:
        """Rows per value."""
        if self.codes is None:
            return np.ones(len(self.values), dtype=np.int64)
        return np.bincount(self.codes, minlength=len(self.values))

    def firsts(self, valid: np.ndarray, limit: int) -> np.ndarray:
        """The positions of the first `limit` rows whose value is `valid` (a per-value mask)."""
        rows = self.spread(valid)
        return np.flatnonzero(rows)[:limit]


def distinct(arr: pa.Array) -> Distinct:
    """`arr` (text) as a Distinct."""
    if not worth_encoding(arr):
        return Distinct(arr, None)
    encoded = pc.dictionary_encode(arr)
    values = pa.concat_arrays([encoded.dictionary, pa.nulls(1, encoded.dictionary.type)])
    return Distinct(values, _indices(encoded.indices, len(encoded.dictionary)))


def _indices(indices: pa.Array, missing: int) -> np.ndarray:
    """A dictionary's indices as int64, `missing` where null; without a null (most columns), no Arrow call to fill."""
    if indices.null_count:
        indices = pc.fill_null(indices, missing)
    return np.asarray(indices).astype(np.int64)


def text_codes(arr: pa.Array) -> np.ndarray:
    """Per value of `arr` (text), a number equal to another value's when the values are (missing: -1): what
    `pd.factorize` gives, by Arrow's hash without pandas' conversions around it."""
    return _indices(pc.dictionary_encode(arr).indices, -1)


def shared_values(arr: pa.Array) -> np.ndarray:
    """Per value: another value of `arr` equals it (missing values share one another). In a column of mostly
    distinct values (ids, e-mails, phone numbers) a value whose print (`prints`) no other value has is held by no
    other value; only the others are hashed as text, which for a million values costs twice what the prints do."""
    if worth_encoding(arr):
        return _shared(arr)
    maybe = np.flatnonzero(pd.Series(prints(arr), copy=False).duplicated(keep=False).to_numpy())
    shared = np.zeros(len(arr), dtype=bool)
    shared[maybe] = _shared(take(arr, maybe))
    return shared


def _shared(arr: pa.Array) -> np.ndarray:
    codes = text_codes(arr) + 1
    return np.bincount(codes, minlength=1)[codes] > 1


_MIXERS = tuple(np.uint64(k) for k in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93))
_UP_TO = np.array([(1 << (8 * n)) - 1 for n in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
"""By a value's length up to 8: the bits of that many bytes of a little-endian word."""


def prints(arr: pa.Array) -> np.ndarray:
    """Per value of `arr` (text), a number that equal values share (missing: 0): its length, its first, middle
    and last eight bytes, mixed. Different values may share one (values of one length differing only elsewhere)."""
    offsets, data = utf8_bytes(arr)
    starts, ends = offsets[:-1], offsets[1:]
    lengths = ends - starts
    padded = np.zeros(len(data) + 8, dtype=np.uint8)  # each value's eight bytes read from its start, the last too
    padded[: len(data)] = data
    words = np.ndarray((len(data) + 1,), dtype="<u8", buffer=padded, strides=(1,))
    held = _UP_TO[np.minimum(lengths, 8)]  # a short value's bytes only, not its neighbour's
    first, middle, last, mixed = _MIXERS
    out = lengths.astype(np.uint64) * first
    for at, mixer in (
        (starts, middle),
        (np.maximum(starts + lengths // 2 - 4, starts), last),
        (np.maximum(ends - 8, starts), mixed),
    ):
        out = (out << np.uint64(27)) | (out >> np.uint64(37))
        out ^= (words[at] & held) * mixer
    out ^= out >> np.uint64(32)
    if arr.null_count:
        out[~present(arr)] = 0
    return out


def worth_encoding(arr: pa.Array) -> bool:
    """False when over half of the first ALL_DISTINCT_SAMPLE values differ (a column of ids or e-mails)."""
    sample = arr.slice(0, ALL_DISTINCT_SAMPLE)
    return len(arr) <= ALL_DISTINCT_SAMPLE or 2 * len(pc.unique(sample)) <= ALL_DISTINCT_SAMPLE


def casefold(text: pd.Series) -> pd.Series:
    """`text.str.casefold()` (text: Arrow-backed) with Arrow's lower case for ASCII values, the same there, and
    Python's `str.casefold` only for the others (a Python call per value was a second per million)."""
    arr = to_arrow(text)
    others = ~bools(pc.string_is_ascii(arr)) & present(arr)
    folded = pc.ascii_lower(arr)
    if others.any():
        changed = [value.casefold() for value in pc.filter(arr, pa.array(others)).to_pylist()]
        folded = pc.replace_with_mask(folded, pa.array(others), pa.array(changed, type=folded.type))
    return pd.Series(pd.array(folded, dtype=text.dtype), index=text.index, name=text.name)


def present(arr: pa.Array) -> np.ndarray:
    """True where the value is not missing."""
    return np.asarray(pc.is_valid(arr))


def bools(result: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """An Arrow boolean result as numpy, missing counted as False. A result without a missing value (most) is
    converted as it is: `fill_null` is an Arrow call of its own, thousands of them in a small export's checks."""
    if result.null_count == 0:
        return np.asarray(result)
    return np.asarray(pc.fill_null(result, False))


def matches(arr: pa.Array, pattern: str, *, ignore_case: bool = False) -> np.ndarray:
    """RE2 search of `pattern` in each value (anchor it yourself); missing -> False."""
    if len(arr) == 0:
        return np.zeros(0, dtype=bool)
    return bools(pc.match_substring_regex(arr, pattern, ignore_case=ignore_case))


def fullmatches(arr: pa.Array, pattern: str, *, ignore_case: bool = False) -> np.ndarray:
    return matches(arr, f"^(?:{pattern})$", ignore_case=ignore_case)


def utf8_bytes(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(where each value starts and ends in `data`, from 0; the values' UTF-8 bytes, `data`) of a text array."""
    if text.type != pa.large_string():  # a cast to the same type is still an Arrow call (a thousand a small export)
        text = pc.cast(text, pa.large_string())
    data, offsets = csv_utf8_bytes(text)
    return offsets - offsets[0], data[offsets[0] : offsets[-1]]


def kept(text: pa.Array, keep: Callable[[np.ndarray], np.ndarray]) -> pa.LargeStringArray:
    """The values of `text` with only the bytes `keep` marks (a mask of the values' UTF-8 bytes, from them): what a
    regex replacing the other characters by nothing leaves, when the mask keeps or drops each character whole.
    numpy over the bytes: a third of RE2's replace over a million phone numbers."""
    offsets, data = utf8_bytes(text)
    mask = keep(data)
    held = np.zeros(len(text), dtype=np.int64)
    filled = np.flatnonzero(offsets[1:] > offsets[:-1])  # reduceat's segments must not be empty
    if len(filled):
        held[filled] = np.add.reduceat(mask, offsets[filled], dtype=np.int64)
    ends = np.zeros(len(text) + 1, dtype=np.int64)
    np.cumsum(held, out=ends[1:])
    validity = pc.is_valid(text).buffers()[1] if text.null_count else None
    return pa.LargeStringArray.from_buffers(
        len(text), pa.py_buffer(ends), pa.py_buffer(data[mask]), validity, text.null_count
    )


def chars_at(data: np.ndarray, chars: str) -> np.ndarray:
    """Per byte of UTF-8 text: it is part of one of the characters `chars`. A character's bytes are matched as a
    sequence; in UTF-8 no character's encoding starts inside another's, so every match is that character."""
    found = np.zeros(len(data), dtype=bool)
    for char in chars:
        code = char.encode()
        width = len(data) - len(code) + 1
        if width <= 0:
            continue
        hit = data[:width] == code[0]
        for k in range(1, len(code)):
            hit &= data[k : k + width] == code[k]
        for k in range(len(code)):
            found[k : k + width] |= hit
    return found


def per_value(
    reduce: np.ufunc, per_byte: np.ndarray, at_first: np.ndarray, offsets: np.ndarray, dtype: type
) -> np.ndarray:
    """Per value of a text array (`utf8_bytes`' offsets and bytes): `reduce` over its bytes' `per_byte`, its first
    byte's taken from `at_first` instead (a flag that reads the byte before reads another value's there); an
    empty value's is 0. `per_byte` is changed in place."""
    filled = np.flatnonzero(offsets[1:] > offsets[:-1])  # reduceat's segments must not be empty
    firsts = offsets[filled]
    per_byte[firsts] = at_first[firsts]
    out = np.zeros(len(offsets) - 1, dtype=dtype)
    if len(filled):
        out[filled] = reduce.reduceat(per_byte, firsts, dtype=dtype)
    return out


def byte_at(text: pa.Array, k: int, rows: np.ndarray | None = None) -> np.ndarray:
    """Per value (of those at the positions `rows`, if given): its byte at `k` (from 0), -1 where it has no more
    than `k` bytes. Read through the values' offsets, without a pass over their text."""
    offsets, data = utf8_bytes(text)
    starts, ends = (offsets[:-1], offsets[1:]) if rows is None else (offsets[rows], offsets[rows + 1])
    if len(data) == 0:
        return np.full(len(starts), -1, dtype=np.int16)
    # every value's place read, the short ones' within the data and then overwritten: no positions picked out
    # and scattered back (a third of the time on a million values)
    at = np.minimum(starts + k, len(data) - 1)
    out = data[at].astype(np.int16)
    out[ends - starts <= k] = -1
    return out


def could_lower_to(text: pa.Array, words: Collection[str]) -> np.ndarray:
    """The positions of the values that may be one of `words` once lower-cased by Arrow (`utf8_lower`, one
    character for one): a first byte that is a word's first character in either case or not ASCII (a character
    of several bytes may lower-case to an ASCII one: the Kelvin sign to k), then no more characters than the
    longest word. A superset, found from the values' offsets and first bytes and the length of those few, so
    that only they are lower-cased and looked up: in a column of phone numbers, ids or timestamps, none."""
    offsets, _ = utf8_bytes(text)
    first, longest = _first_bytes(frozenset(words))
    # a character is four bytes at most
    maybe = np.flatnonzero((offsets[1:] - offsets[:-1] <= 4 * longest) & first[byte_at(text, 0)])
    if not len(maybe):  # none (most columns): no Arrow call on nothing
        return maybe
    return maybe[bools(pc.less_equal(pc.utf8_length(take(text, maybe)), longest))]


@cache
def _first_bytes(words: frozenset[str]) -> tuple[np.ndarray, int]:
    """(by first byte, whether a value may lower-case to one of `words`; the last place for a value without one:
    the longest word's characters), once per set of words, not per column."""
    first = np.zeros(257, dtype=bool)
    first[0x80:256] = True
    for word in words:
        if not word:
            first[256] = True
        elif word[0].isascii():
            first[[ord(word[0]), ord(word[0].upper())]] = True
    return first, max((len(word) for word in words), default=0)


def holds_byte(text: pa.Array, marked: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Per value: a byte of its UTF-8 is one `marked` marks (a mask of the values' bytes, from them), missing ->
    False. One numpy pass over the values' bytes and one reduction per value, not a regex pass over the values."""
    offsets, data = utf8_bytes(text)
    mask = marked(data)
    found = np.zeros(len(text), dtype=bool)
    filled = np.flatnonzero(offsets[1:] > offsets[:-1])  # reduceat's segments must not be empty
    if len(filled):
        found[filled] = np.logical_or.reduceat(mask, offsets[filled])
    return found & present(text)


def holds_digit(text: pa.Array) -> np.ndarray:
    """Per value: it holds a digit 0-9 (`matches(text, r"\\d")`: RE2's \\d is ASCII), missing -> False. In UTF-8
    only those digits' own bytes are 0x30-0x39: half the regex pass."""
    return holds_byte(text, lambda data: (data - np.uint8(ord("0"))) < 10)  # wraps below "0"


def holds_any(arr: pa.Array, chars: bytes) -> bool:
    """Whether a value of `arr` (text) holds one of the ASCII characters `chars`: one search of the values'
    bytes per character (memchr: a few ms a million values, where a regex pass over them costs 50-80 ms). In
    UTF-8 an ASCII byte is always that character."""
    if arr.null_count == len(arr):
        return False
    data = text_bytes(arr)
    for start in range(0, len(data), SEARCHED_AT_ONCE):
        chunk = bytes(data[start : start + SEARCHED_AT_ONCE])  # a copy: a memoryview has no find
        if any(chunk.find(char) >= 0 for char in chars):
            return True
    return False


SEARCHED_AT_ONCE = 1 << 20
"""Bytes `holds_any` copies at a time, not a million values' text at once."""


def strip(arr: pa.Array) -> pa.Array:
    """Trim ASCII whitespace only: what Python's str.strip() removes too, so both paths agree."""
    return pc.utf8_trim(arr, characters=ASCII_WS)


def lengths(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(pc.utf8_length(arr), 0), dtype=np.int64)


def take(arr: pa.Array, positions: np.ndarray) -> pa.Array:
    return arr.take(pa.array(positions, type=pa.int64()))


def per_unique(items: Iterable[Hashable], fn: Callable[[Any], Any]) -> list[Any]:
    """fn applied once per distinct item, results in item order."""
    memo: dict[Hashable, Any] = {}
    out = []
    for item in items:
        if item not in memo:
            memo[item] = fn(item)
        out.append(memo[item])
    return out


def decide_unique(arr: pa.Array, positions: np.ndarray, fn: Callable[[str], bool]) -> np.ndarray:
    """fn on the values at `positions`, called once per distinct value."""
    if len(positions) == 0:
        return np.zeros(0, dtype=bool)
    codes, uniques = pd.factorize(np.asarray(take(arr, positions).to_pandas(), dtype=object))
    verdicts = np.fromiter((bool(fn(u)) for u in uniques), dtype=bool, count=len(uniques))
    return verdicts[codes]


def passing(mask: np.ndarray, index: pd.Index) -> pd.Series:
    return pd.Series(mask, index=index, dtype=bool)


def suggest_each(values: pd.Series, fn: Callable[[str], str | None]) -> pd.Series:
    """A suggestion per failing value, computed once per distinct value; NA where fn gives None."""
    out = per_unique((v if isinstance(v, str) else None for v in values), lambda v: None if v is None else fn(v))
    return pd.Series([pd.NA if s is None else s for s in out], index=values.index, dtype="object")
