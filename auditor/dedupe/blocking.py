"""Blocking: which pairs of records are compared at all.

Several blocking keys are combined (union of their pairs). A key is a list of feature names
(`[last, postal_code]`; `last:3` takes the first three characters); a record with any part of
a key missing is not blocked by that key. `phone` stands for every phone field of the record.

A block larger than `max_block_size` (a common surname in a big city) is not expanded into
all its pairs: its records are sorted by a secondary key (name, then email) and each record
is paired with its next `window` neighbours (sorted neighbourhood), and with the first record of
each of the block's `window` most common values (`head_pairs`), so that time and memory stay
linear in the block's size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.dedupe import normalize as nz
from auditor.errors import ConfigError


@dataclass
class BlockingStats:
    keys: list[str] = field(default_factory=list)
    pairs_per_key: dict[str, int] = field(default_factory=dict)
    oversized_blocks: int = 0
    oversized: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Per key with oversized blocks: (how many, records in the largest)."""
    candidate_pairs: int = 0
    possible_pairs: int = 0
    pair_keys: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint32))
    """Per candidate pair, bit k set when key k (in `keys` order) produced it."""

    @property
    def reduction_ratio(self) -> float:
        return 1.0 - self.candidate_pairs / self.possible_pairs if self.possible_pairs else 0.0


MULTI_VALUED = ("phone", "company_word")
"""Key parts that stand for several feature columns (phone_0, phone_1...): a record meets another on any."""


def _part_columns(columns: Sequence[str], part: str) -> list[str]:
    """The feature columns a key part reads (`phone`: every phone column; `last:3`: `last`)."""
    name = part.partition(":")[0]
    if name in MULTI_VALUED:
        return [c for c in columns if c.startswith(f"{name}_") and c[len(name) + 1 :].isdigit()]
    return [name] if name in columns else []


def usable_keys(columns: Sequence[str], keys: Sequence[Sequence[str]]) -> list[int]:
    """Indices of the keys whose every part has a feature column; a ConfigError when there are keys
    and none is usable."""
    usable = [k for k, key in enumerate(keys) if all(_part_columns(columns, part) for part in key)]
    if keys and not usable:
        raise ConfigError(
            "blocking: none of the keys can be built from this table's columns: "
            + "; ".join("+".join(k) for k in keys)
            + f" (features: {', '.join(columns)})"
        )
    return usable


def possible_pairs(n: int, source: np.ndarray | None = None) -> int:
    """Pairs a full comparison would make: all of n records, or (linkage) every cross pair."""
    if source is None:
        return n * (n - 1) // 2
    ones = int(source.sum())
    return ones * (n - ones)


Factorize = Callable[..., tuple[np.ndarray, Any]]
"""`Prepared.codes`: the codes of feature columns over one vocabulary, and the vocabulary."""


def feature_codes(features: pd.DataFrame, *columns: str) -> tuple[np.ndarray, Any]:
    """Integer codes (-1 missing) of feature columns over one vocabulary, their values one column after the
    other, and the vocabulary (`pd.factorize`)."""
    joined = pd.concat([features[c] for c in columns], ignore_index=True) if len(columns) > 1 else features[columns[0]]
    return pd.factorize(joined, use_na_sentinel=True)


def sorted_codes(values: pd.Series | pd.Index) -> np.ndarray:
    """`pd.factorize(values, sort=True)`'s codes (int64, -1 missing): each value's place among the distinct values
    sorted. Arrow-backed texts are ranked by Arrow's sort (pandas hashes every text again and sorts the distinct
    ones on its own path: 0.6 s for the ids of a million contacts, 0.9 s for their e-mails, and a tenth of a
    millisecond per call on a few records); texts sort by code point either way. Other values go to pandas."""
    array = values.array
    if isinstance(array, pd.arrays.ArrowStringArray):
        texts = pa.array(array)
        if isinstance(texts, pa.ChunkedArray):
            texts = texts.combine_chunks()
        if not texts.null_count:
            return pc.rank(texts, sort_keys="ascending", tiebreaker="dense").to_numpy().astype(np.int64) - 1
        present = pc.is_valid(texts).to_numpy(zero_copy_only=False)
        codes = np.full(len(texts), -1, dtype=np.int64)
        codes[present] = pc.rank(texts.drop_null(), sort_keys="ascending", tiebreaker="dense").to_numpy() - 1
        return codes
    return pd.factorize(values, sort=True)[0].astype(np.int64)


def _part_codes(
    features: pd.DataFrame, part: str, cache: dict, factorize: Factorize | None = None
) -> tuple[list[np.ndarray], int, pd.api.extensions.ExtensionArray | np.ndarray] | None:
    """Integer codes (-1 = missing) of one key part, one array per feature column it stands for
    (several for `phone`), over one shared vocabulary; the vocabulary's size and its values. `factorize`:
    how the columns' codes are made (by default `pd.factorize` of their values one column after the other)."""
    if part in cache:
        return cache[part]
    cols = _part_columns(features.columns, part)
    width = part.partition(":")[2]
    if not cols:
        cache[part] = None
        return None
    codes, uniques = factorize(*cols) if factorize is not None else feature_codes(features, *cols)
    codes = codes.astype(np.int64)
    size = len(uniques)
    if width:
        cut = nz.strings(pd.Series(uniques)).str.slice(0, int(width))
        remap, uniques = pd.factorize(cut, use_na_sentinel=True)
        remap = np.append(remap.astype(np.int64), -1)
        codes = remap[codes]
        size = len(uniques)
    n = len(features)
    out = ([codes[k * n : (k + 1) * n] for k in range(len(cols))], max(size, 1), uniques)
    cache[part] = out
    return out


@dataclass
class KeyRows:
    """The rows of one blocking key: a record with several values of a part (phone) has several rows.

    Rows come in the order the blocks are walked in (variant by variant, records in order within
    each), which is the tie order of sorted neighbourhood inside an oversized block."""

    records: np.ndarray
    variant: np.ndarray
    """which combination of the parts' columns the row takes (0 unless a part is multi-valued)"""
    parts: list[np.ndarray]
    """per key part, the row's code into that part's vocabulary"""
    sizes: list[int]
    vocabularies: list

    def codes(self) -> np.ndarray:
        """One integer per distinct key value, below the number of rows or the first part's vocabulary (a caller
        counts the values with `np.bincount`): the parts in mixed radix, compacted (`pd.factorize`) only where the
        next part would overflow an int64 and where the number ends above both, not after every part (a hash of
        a million integers each time, for a first part whose codes are compact already). How the values are
        numbered does not matter: a block's pairs are the same under any numbering."""
        code = np.zeros(len(self.records), dtype=np.int64)
        bound = 1  # the codes so far are below it
        for part, size in zip(self.parts, self.sizes, strict=True):
            if bound * size >= 1 << 62:
                code, uniques = pd.factorize(code)
                code, bound = code.astype(np.int64), max(len(uniques), 1)
            code = code * size + part
            bound *= size
        if bound > max(len(self.records), self.sizes[0] if self.sizes else 0):
            code = pd.factorize(code)[0].astype(np.int64)
        return code

    def texts(self, separator: str = "\x1f") -> pd.Series:
        """The key value as text (parts joined by `separator`): comparable across separately prepared
        slices of a table, where the integer codes are not."""
        out = None
        for part, vocabulary in zip(self.parts, self.vocabularies, strict=True):
            values = nz.strings(pd.Series(vocabulary)).take(part).reset_index(drop=True)
            out = values if out is None else out + separator + values
        return out if out is not None else pd.Series("", index=range(len(self.records)), dtype=nz.STRING)


def key_rows(
    features: pd.DataFrame, key: Sequence[str], cache: dict | None = None, factorize: Factorize | None = None
) -> KeyRows | None:
    """The rows of one key; records with any part missing are left out. None when a part's feature
    does not exist in this table."""
    cache = {} if cache is None else cache
    coded = []
    for part in key:
        c = _part_codes(features, part, cache, factorize)
        if c is None:
            return None
        coded.append(c)
    n = len(features)
    pos_list = [np.arange(n, dtype=np.int64)]
    part_list: list[list[np.ndarray]] = [[]]
    for columns, _, _ in coded:
        next_pos, next_parts = [], []
        for pos, parts in zip(pos_list, part_list, strict=True):
            for column in columns:
                value = column[pos]
                ok = value >= 0
                next_pos.append(pos[ok])
                next_parts.append([p[ok] for p in parts] + [value[ok]])
        pos_list, part_list = next_pos, next_parts
    variant = np.repeat(np.arange(len(pos_list), dtype=np.int64), [len(p) for p in pos_list])
    parts = [np.concatenate([p[k] for p in part_list]) for k in range(len(coded))]
    return KeyRows(
        np.concatenate(pos_list), variant, parts, [size for _, size, _ in coded], [uniques for _, _, uniques in coded]
    )


def block_pairs(
    records: np.ndarray,
    codes: np.ndarray,
    order: np.ndarray,
    max_block: int,
    window: int,
    signature: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Pairs (a < b) of records sharing a code; blocks above max_block by sorted neighbourhood.

    records, codes, order (and `signature`, see `signatures`) are aligned (a record may appear several
    times with different codes). Inside an oversized block a run of consecutive records with one
    signature (copies of one record) is paired with its first record only, and the window pairs records
    across runs: a million copies cost a million pairs, not a million windows.
    Returns (a, b, number of oversized blocks).
    """
    pieces, oversized = _block_pieces(SortedRows.of(records, codes, order, signature), max_block, window)
    if not pieces:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, oversized
    a, b = np.concatenate([p[0] for p in pieces]), np.concatenate([p[1] for p in pieces])
    keep = a != b
    a, b = a[keep], b[keep]
    return np.minimum(a, b), np.maximum(a, b), oversized


@dataclass
class SortedRows:
    """A key's rows that hold a value (code >= 0), sorted by code, then order (stable): its blocks, read by both
    its block pieces and its oversized blocks' heads (`head_pairs`), which sorted the same rows again."""

    records: np.ndarray
    """int64, the record of each sorted row"""
    codes: np.ndarray
    order: np.ndarray
    """each sorted row's place in the secondary order"""
    signature: np.ndarray | None
    starts: np.ndarray
    """the first row of each block"""
    sizes: np.ndarray
    """the rows of each block"""

    @classmethod
    def of(
        cls, records: np.ndarray, codes: np.ndarray, order: np.ndarray, signature: np.ndarray | None = None
    ) -> SortedRows:
        valid = codes >= 0
        if not valid.all():
            records, codes, order = records[valid], codes[valid], order[valid]
            signature = signature[valid] if signature is not None else None
        idx = _by_code_then_order(codes, order) if len(codes) else np.empty(0, dtype=np.intp)
        code = codes[idx]
        starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(code) else np.empty(0, dtype=np.intp)
        return cls(
            records[idx].astype(np.int64),
            code,
            order[idx],
            None if signature is None else signature[idx],
            starts,
            np.diff(np.r_[starts, len(code)]),
        )


def _block_pieces(rows: SortedRows, max_block: int, window: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], int]:
    """The pairs of `block_pairs` as pieces (a, b), in either order and with a == b not yet dropped: one
    piece per block size and per window offset, so that a caller can encode each piece and let it go
    instead of holding every pair of the key twice over. Returns (pieces, number of oversized blocks)."""
    if len(rows.codes) < 2:
        return [], 0
    rec, code, starts, sizes = rows.records, rows.codes, rows.starts, rows.sizes
    pieces = []
    small = (sizes >= 2) & (sizes <= max_block)
    for size in np.unique(sizes[small]):
        first = starts[small & (sizes == size)]
        ta, tb = np.triu_indices(int(size), 1)
        pieces.append((rec[(first[:, None] + ta).ravel()], rec[(first[:, None] + tb).ravel()]))
    large = sizes > max_block
    if large.any():
        ends = np.repeat(starts + sizes, sizes)
        pos = np.arange(len(code))[np.repeat(large, sizes)]
        end = ends[pos]
        run = np.arange(len(code))
        if rows.signature is not None:
            sig = rows.signature
            first = np.flatnonzero(np.r_[True, (code[1:] != code[:-1]) | (sig[1:] != sig[:-1])])
            run = np.repeat(first, np.diff(np.r_[first, len(code)]))
            copy = pos != run[pos]
            pieces.append((rec[run[pos[copy]]], rec[pos[copy]]))
        for d in range(1, window + 1):
            ok = pos + d < end
            ok[ok] = run[pos[ok]] != run[pos[ok] + d]
            pieces.append((rec[pos[ok]], rec[pos[ok] + d]))
    return pieces, int(large.sum())


def _by_code_then_order(codes: np.ndarray, order: np.ndarray) -> np.ndarray:
    """`np.lexsort((order, codes))` (codes >= 0): one stable argsort of one int64 key is half the time of
    np.lexsort's two."""
    low = np.int64(order.min())
    return np.argsort(codes.astype(np.int64) * (np.int64(order.max()) - low + 1) + (order - low), kind="stable")


def head_pairs(
    records: np.ndarray, codes: np.ndarray, order: np.ndarray, max_block: int, heads: int, signature: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (a < b): every record of a block above max_block with the first record (in `order`) of each
    of the block's `heads` most common values held by more than `heads` records, unless it holds that
    value itself. A value is a signature (see `signatures`).

    Sorted neighbours meet only values that sort close, and a value held by more records than the
    window is a wall the window does not reach past: in the block of the word "philips", "philips" (7
    records) and "philips gloeilampenfabrieken" (77) sit hundreds of records apart, and only a comparison
    with the block's common spellings joins a short name to the long ones. The pairs are chosen by how common a
    value is, not by the key, so they are compared but no training session learns from them (a few
    records repeated hundreds of times would stand for the whole key)."""
    numbered, distinct = pd.factorize(signature)
    return _head_pairs(SortedRows.of(records, codes, order, numbered), max_block, heads, len(distinct))


def _head_pairs(rows: SortedRows, max_block: int, heads: int, signatures: int) -> tuple[np.ndarray, np.ndarray]:
    """`head_pairs` of a key's sorted rows (`SortedRows.of`, sorted once for its block pieces too), whose
    signatures are numbered below `signatures` (numbered once per table, not once per key)."""
    big = rows.sizes > max_block
    if not big.any():
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    # numpy, not a pandas sort, groupby and merge of a frame of every record of the oversized blocks (2 s of
    # the blocking of a million contacts): the rows of the oversized blocks, by block, then order
    large = np.repeat(big, rows.sizes)
    block, sig, rank, rec = (
        rows.codes[large].astype(np.int64),
        rows.signature[large],
        rows.order[large],
        rows.records[large],
    )
    # the values of each block (a block and a signature), numbered as they first come: their first row holds
    # the lowest order. The blocks come sorted, so their numbers as they first come are a count of changes.
    pairs = [(np.cumsum(np.r_[False, block[1:] != block[:-1]]), len(block)), (sig, signatures)]
    value = pd.factorize(combined_codes(len(block), pairs))[0]
    first = first_rows(value)
    size = np.bincount(value)
    # per block its `heads` most common values (ties: the first in order) held by more than `heads` records
    ranked = np.lexsort((rank[first], -size, block[first]))
    ranked_block = block[first][ranked]
    place = np.arange(len(ranked)) - np.searchsorted(ranked_block, ranked_block)
    top = ranked[(place < heads) & (size[ranked] > heads)]
    head_block, head_value, head_record = block[first][top], top, rec[first][top]
    # every row with each head of its block (heads are in block order) that is not its own value
    lo, hi = np.searchsorted(head_block, block), np.searchsorted(head_block, block, side="right")
    count = hi - lo
    row = np.repeat(np.arange(len(block)), count)
    head = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(int(count.sum()))
    other = value[row] != head_value[head]
    a, b = rec[row[other]], head_record[head[other]]
    keep = a != b
    return np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])


def largest_block(records: np.ndarray, codes: np.ndarray, once: bool = False) -> int:
    """Records (each once, whatever the values it holds) of the most common key value. `once`: each record is
    in `records` once (no part of the key holds several values), so that its values need no sorting out."""
    valid = codes >= 0
    if not valid.any():
        return 0
    if once:
        return int(np.bincount(codes[valid]).max())
    # one int64 per (value, record), not np.unique(axis=1), which sorts the columns as raw bytes (6 s on a
    # million records)
    width = np.int64(records.max()) + 1
    distinct = pd.unique(codes[valid].astype(np.int64) * width + records[valid].astype(np.int64))
    return int(np.bincount(distinct // width).max())


def oversized_warnings(stats: BlockingStats, max_block: int, window: int) -> list[str]:
    """One line per blocking key that found values too common to compare every pair of their records."""
    out = []
    for label, (blocks, largest) in stats.oversized.items():
        values = "1 value" if blocks == 1 else f"{blocks:,} values"
        out.append(
            f"blocking on {label}: {values} held by more than {max_block:,} records (the most common by {largest:,}):"
            f" their records were compared with their {window} nearest neighbours and the {window} values most"
            " common among them, not with each other"
        )
    return out


def signatures(features: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per record of all its features: equal for records identical in every compared
    field (copies), whichever slice of the table they were prepared in."""
    return pd.util.hash_pandas_object(features, index=False).to_numpy(dtype=np.uint64)


def combined_codes(n: int, parts: Iterable[tuple[np.ndarray, int]]) -> np.ndarray:
    """One integer per distinct combination of code columns of `n` records (each (codes, vocabulary size),
    -1 missing): the codes in mixed radix, compacted (`pd.factorize`) only when the next column would
    overflow an int64, not after every column (a hash of a million integers each time). Equal integers
    are equal combinations; the integers themselves are not numbered 0, 1, 2..."""
    code = np.zeros(n, dtype=np.int64)
    bound = 1  # the codes so far are below it
    for part, size in parts:
        if bound * (size + 1) >= 1 << 62:
            code, uniques = pd.factorize(code)
            code, bound = code.astype(np.int64), max(len(uniques), 1)
        code = code * (size + 1) + (part.astype(np.int64) + 1)
        bound *= size + 1
    return code


def first_rows(numbered: np.ndarray) -> np.ndarray:
    """The first row of each value of codes numbered as they first come (`pd.factorize`'s), in row order:
    `np.unique(numbered, return_index=True)[1]` without a sort of every row (a value's first row is where its
    number passes every earlier one)."""
    if not len(numbered):
        return np.empty(0, dtype=np.intp)
    return np.flatnonzero(np.r_[True, numbered[1:] > np.maximum.accumulate(numbered)[:-1]])


def record_codes(features: pd.DataFrame, factorize: Factorize) -> np.ndarray:
    """`signatures` within one table: one integer per distinct combination of all features, from the
    columns' codes (`Prepared.codes`, made already for the comparisons), instead of a hash of every
    value (a million records' texts turned into Python strings to be hashed: 2 s at a million contacts).
    Equal for the same records as `signatures`, but only comparable within the table it is made of."""
    return combined_codes(len(features), ((codes, len(uniques)) for codes, uniques in map(factorize, features.columns)))


class PairUnion:
    """The sorted distinct candidate pairs (as a * n + b, `n` records) of every key, with per pair the bits of
    the keys (the first 32) that produced it. Each key's sorted distinct pairs are kept as they come, tagged
    with its bit, and merged once (`merged`): a stable sort of the concatenated runs, which numpy's timsort
    merges run by run. Merging each key into a growing union by binary search, as it came, was some 3 of the
    1M contacts' 10-13 CPU s of blocking; the runs' merge is under one."""

    TAG_BITS = 6
    """The low bits a pair's tag takes in the packed form: a key's bit (0-31) or UNMARKED."""
    UNMARKED = 32

    def __init__(self, n: int) -> None:
        # a pair and its tag in one int64 while n * n leaves the tag's bits free (n < 379 million records)
        self.packed = n * n < 1 << (63 - self.TAG_BITS)
        self.runs: list[np.ndarray] = []
        self.tags: list[int] = []

    def add(self, own: np.ndarray, bit: int | None) -> None:
        """Keep sorted distinct pairs `own`, marked with key `bit` (None: no key's own pairs)."""
        if not len(own):
            return
        tag = self.UNMARKED if bit is None or bit >= 32 else bit
        self.runs.append((own << self.TAG_BITS) | tag if self.packed else own)
        self.tags.append(tag)

    def merged(self) -> tuple[np.ndarray, np.ndarray]:
        """(the distinct pairs sorted, per pair the bits of the keys that produced it (uint32)); the runs are
        let go."""
        if not self.runs:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint32)
        lengths = [len(run) for run in self.runs]
        tagged = np.concatenate(self.runs)
        self.runs.clear()
        # each pair's key bit read from a table of the tags (UNMARKED: none) in one gather, not by a cast, a
        # shift and a `where` over every pair (a fifth of the 1M contacts' merge)
        marks = np.zeros(1 << self.TAG_BITS, dtype=np.uint32)
        marks[:32] = np.left_shift(np.uint32(1), np.arange(32, dtype=np.uint32))
        if self.packed:
            tagged.sort(kind="stable")
            mark = marks[tagged & ((1 << self.TAG_BITS) - 1)]
            tagged >>= self.TAG_BITS
        else:
            order = np.argsort(tagged, kind="stable")
            mark = marks[np.repeat(np.array(self.tags, dtype=np.intp), lengths)[order]]
            tagged = tagged[order]
        starts = np.flatnonzero(np.r_[True, tagged[1:] != tagged[:-1]])
        return tagged[starts], np.bitwise_or.reduceat(mark, starts)


def _pair_codes(pieces: list[tuple[np.ndarray, np.ndarray]], n: int, source: np.ndarray | None) -> np.ndarray:
    """Sorted distinct pairs a * n + b (a < b, a != b) of pieces of pairs in either order; with `source`, only
    the pairs across the two sources. Each piece is encoded and let go in turn."""
    encoded = []
    width = np.int64(n)
    while pieces:
        a, b = pieces.pop()
        keep = a != b
        if source is not None:
            keep &= source[a] != source[b]
        a, b = a[keep], b[keep]
        encoded.append(np.minimum(a, b) * width + np.maximum(a, b))
        del a, b, keep
    if not encoded:
        return np.empty(0, dtype=np.int64)
    codes = np.concatenate(encoded) if len(encoded) > 1 else encoded[0]
    encoded.clear()
    codes.sort()
    return codes[np.r_[True, codes[1:] != codes[:-1]]] if len(codes) > 1 else codes


def _split_pairs(pairs: np.ndarray, n: int, dtype: type, chunk: int = 1 << 20) -> tuple[np.ndarray, np.ndarray]:
    """(pairs // n, pairs % n) as `dtype`, a chunk at a time (no int64 temporaries of every pair)."""
    i, j = np.empty(len(pairs), dtype=dtype), np.empty(len(pairs), dtype=dtype)
    for start in range(0, len(pairs), chunk):
        i[start : start + chunk], j[start : start + chunk] = np.divmod(pairs[start : start + chunk], n)
    return i, j


def candidate_pairs(
    features: pd.DataFrame,
    keys: Sequence[Sequence[str]],
    *,
    max_block: int = 100,
    window: int = 10,
    order: np.ndarray | None = None,
    source: np.ndarray | None = None,
    factorize: Factorize | None = None,
) -> tuple[np.ndarray, np.ndarray, BlockingStats]:
    """Union of the pairs of every key, as sorted unique (i, j) arrays with i < j.

    With `source` (0/1 per record), only pairs across the two sources are kept (linkage). `factorize`:
    see `_part_codes`.
    """
    n = len(features)
    stats = BlockingStats()
    if order is None:
        order = np.arange(n)
    union = PairUnion(n)  # with the bits of each key's own blocks, which its training session learns from
    cache: dict = {}
    signature: np.ndarray | None = None  # hashed only when some block is oversized: most tables have none
    kinds = 0  # the distinct signatures
    for k in usable_keys(list(features.columns), keys):
        key = keys[k]
        label = "+".join(key)
        rows = key_rows(features, key, cache, factorize)
        bit = len(stats.keys)
        stats.keys.append(label)
        codes = rows.codes()
        at = rows.records
        if signature is None and len(codes) and np.bincount(codes).max() > max_block:
            # numbered once for every key's oversized blocks (`_head_pairs`), not hashed again per key
            signature, distinct = pd.factorize(
                signatures(features) if factorize is None else record_codes(features, factorize)
            )
            kinds = len(distinct)
        # sorted once for the key's blocks and its oversized blocks' heads
        sorted_rows = SortedRows.of(at, codes, order[at], None if signature is None else signature[at])
        pieces, oversized = _block_pieces(sorted_rows, max_block, window)
        if oversized:
            stats.oversized[label] = (oversized, largest_block(at, codes, once=not rows.variant.any()))
        stats.oversized_blocks += oversized
        own = _pair_codes(pieces, n, source)
        stats.pairs_per_key[label] = len(own)
        union.add(own, bit)
        del own
        if oversized:
            a, b = _head_pairs(sorted_rows, max_block, window, kinds)
            union.add(_pair_codes([(a, b)], n, source), None)
        del sorted_rows
    pairs, stats.pair_keys = union.merged()
    index = np.int32 if n < np.iinfo(np.int32).max else np.int64
    i, j = _split_pairs(pairs, n, index)
    stats.candidate_pairs = len(pairs)
    stats.possible_pairs = possible_pairs(n, source)
    return i, j, stats
