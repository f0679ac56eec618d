"""Blocking: which pairs of records are compared at all.

Several blocking keys are combined (union of their pairs). A key is a list of feature names
(`[last, postal_code]`; `last:3` takes the first three characters); a record with any part of
a key missing is not blocked by that key. `phone` stands for every phone field of the record.

A block larger than `max_block_size` (a common surname in a big city) is not expanded into
all its pairs: its records are sorted by a secondary key (name, then email) and each record
is paired with its next `window` neighbours (sorted neighbourhood), so that time and memory
stay linear in the block's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from auditor.errors import ConfigError


@dataclass
class BlockingStats:
    keys: list[str] = field(default_factory=list)
    pairs_per_key: dict[str, int] = field(default_factory=dict)
    oversized_blocks: int = 0
    candidate_pairs: int = 0
    possible_pairs: int = 0

    @property
    def reduction_ratio(self) -> float:
        return 1.0 - self.candidate_pairs / self.possible_pairs if self.possible_pairs else 0.0


def _key_values(features: pd.DataFrame, key: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """(record positions, key text) for one key; several rows per record for multi-valued parts (phone)."""
    parts: list[list[pd.Series]] = []
    for part in key:
        name, _, width = part.partition(":")
        if name == "phone":
            cols = [c for c in features.columns if c.startswith("phone_")]
        else:
            cols = [name] if name in features.columns else []
        if not cols:
            return None
        series = [features[c].astype("string") for c in cols]
        if width:
            series = [s.str.slice(0, int(width)) for s in series]
        parts.append(series)
    n = len(features)
    positions = np.arange(n)
    combos: list[tuple[np.ndarray, pd.Series]] = [(positions, pd.Series([""] * n, dtype="string"))]
    for series in parts:
        nxt = []
        for pos, text in combos:
            for s in series:
                value = s.to_numpy()[pos]
                nxt.append((pos, text.reset_index(drop=True) + "\x1f" + pd.Series(value, dtype="string")))
        combos = nxt
    out = []
    for pos, text in combos:
        ok = text.notna().to_numpy()
        out.append((pos[ok], text[ok].to_numpy(dtype=object)))
    return out


def block_pairs(
    records: np.ndarray, codes: np.ndarray, order: np.ndarray, max_block: int, window: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Pairs (a < b) of records sharing a code; blocks above max_block by sorted neighbourhood.

    records, codes, order are aligned (a record may appear several times with different codes).
    Returns (a, b, number of oversized blocks).
    """
    valid = codes >= 0
    if not valid.all():
        records, codes, order = records[valid], codes[valid], order[valid]
    if len(codes) < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, 0
    idx = np.lexsort((order, codes))
    rec, code = records[idx].astype(np.int64), codes[idx]
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    sizes = np.diff(np.r_[starts, len(code)])
    out_a, out_b = [], []
    small = (sizes >= 2) & (sizes <= max_block)
    for size in np.unique(sizes[small]):
        first = starts[small & (sizes == size)]
        ta, tb = np.triu_indices(int(size), 1)
        out_a.append(rec[(first[:, None] + ta).ravel()])
        out_b.append(rec[(first[:, None] + tb).ravel()])
    large = sizes > max_block
    if large.any():
        ends = np.repeat(starts + sizes, sizes)
        pos = np.arange(len(code))[np.repeat(large, sizes)]
        end = ends[pos]
        for d in range(1, window + 1):
            ok = pos + d < end
            out_a.append(rec[pos[ok]])
            out_b.append(rec[pos[ok] + d])
    if not out_a:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, int(large.sum())
    a, b = np.concatenate(out_a), np.concatenate(out_b)
    keep = a != b
    a, b = a[keep], b[keep]
    return np.minimum(a, b), np.maximum(a, b), int(large.sum())


def candidate_pairs(
    features: pd.DataFrame,
    keys: Sequence[Sequence[str]],
    *,
    max_block: int = 100,
    window: int = 10,
    order: np.ndarray | None = None,
    source: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, BlockingStats]:
    """Union of the pairs of every key, as sorted unique (i, j) arrays with i < j.

    With `source` (0/1 per record), only pairs across the two sources are kept (linkage).
    """
    n = len(features)
    stats = BlockingStats()
    if order is None:
        order = np.arange(n)
    encoded: list[np.ndarray] = []
    usable = 0
    for key in keys:
        label = "+".join(key)
        values = _key_values(features, key)
        if values is None:
            continue
        usable += 1
        stats.keys.append(label)
        records = np.concatenate([p for p, _ in values])
        texts = np.concatenate([t for _, t in values])
        codes = pd.factorize(texts)[0]
        a, b, oversized = block_pairs(records, codes, order[records], max_block, window)
        if source is not None:
            cross = source[a] != source[b]
            a, b = a[cross], b[cross]
        stats.oversized_blocks += oversized
        pair = np.unique(a * np.int64(n) + b)
        stats.pairs_per_key[label] = len(pair)
        encoded.append(pair)
    if keys and not usable:
        raise ConfigError(
            "blocking: none of the keys can be built from this table's columns: "
            + "; ".join("+".join(k) for k in keys)
            + f" (features: {', '.join(features.columns)})"
        )
    pairs = np.unique(np.concatenate(encoded)) if encoded else np.empty(0, dtype=np.int64)
    i, j = pairs // n, pairs % n
    stats.candidate_pairs = len(pairs)
    if source is None:
        stats.possible_pairs = n * (n - 1) // 2
    else:
        ones = int(source.sum())
        stats.possible_pairs = ones * (n - ones)
    return i, j, stats
