"""rapidfuzz's token-set ratio of many pairs of one vocabulary's values, most of them without splitting a
value into words again for every pair it is in.

`fuzz.token_set_ratio` splits both texts into words, sorts them and drops repeats on every call: most of its
cost (about 0.75 us a pair against 0.15 us for the Indel distance of two prepared texts, on the streets and
company names of a million contacts). When the two sets of words share none, its score is the Indel ratio
of the two sets' words sorted and joined by spaces, each of which depends on one value only: made once per
vocabulary here (`WordSets`), in Arrow. Which pairs share no word is told by a 128-bit mask of each value's
words (a bit per word, the 64 commonest words their own); a pair whose masks meet may share a word, and is
scored by rapidfuzz as before, as is every pair with a value whose words this module does not split as
rapidfuzz does (`SEPARATORS`). Random pairs, which the model's u is measured on, share no word nine times
in ten; candidate pairs of a million contacts' streets and company names a third of the time.

A pair whose words meet is counted from each value's row of word ranks (`WordSets.words`): the words the two
share and their length settle its score without rapidfuzz where one value's words hold the other's, or where
what the two values' other words could add stays below what the shared words give (`_shared_word_scores`):
7 of the 10 such pairs of the 1M export's accounts (5.3 million a run, rapidfuzz's 1 us each).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

SEPARATORS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""Python's white space (`str.isspace`), which holds every character rapidfuzz splits words at (it keeps
U+0085 and U+00A0 inside a word): a value is split here only when its one separator is a single space
between words, so that both split it alike (`tests/dedupe/test_dedupe_word_sets.py` checks every code point)."""
_NOT_SPLIT_HERE = "^$|^ | $|  |[" + "".join(f"\\x{{{ord(c):x}}}" for c in SEPARATORS if c != " ") + "]"
ALL_WORDS = np.iinfo(np.uint64).max
SHARED_WORDS_UP_TO = 6
"""Values of at most this many distinct words are held as a row of their words' ranks (`WordSets.words`), from
which the words two values share are counted pair by pair in numpy (99.99% of the 1M export's company names and
streets); a pair with a longer value goes to rapidfuzz."""
PARALLEL_PAIRS = 10_000
"""Pairs from which rapidfuzz scores on every core: starting its threads costs a call 0.1-0.3 ms of CPU (and more
of wall time on a busy host), as much as scoring a thousand pairs, and a small table's candidate pairs come a few
hundred to a call."""


def workers(pairs: int) -> int:
    """rapidfuzz's `workers` for a call scoring `pairs` pairs (see `PARALLEL_PAIRS`); either gives the same scores."""
    return -1 if pairs >= PARALLEL_PAIRS else 1


@dataclass
class WordSets:
    """Per distinct value: its words sorted, without repeats, joined by spaces (what token_set_ratio compares
    when two values share no word), that text's length, and a mask of its words in two uint64 (`common`: a
    bit for each of the 64 commonest words, `rare`: the others' bits; all bits set for a value left to
    rapidfuzz). `words`, `word_lengths`: per column k (at most `SHARED_WORDS_UP_TO`), each value's k-th word's
    rank (-1 past its last word) and length in characters (0 past it); `counts`: its number of words, -1 where
    the value is left to rapidfuzz or has more words than the columns hold."""

    joined: pd.api.extensions.ExtensionArray
    lengths: np.ndarray
    common: np.ndarray
    rare: np.ndarray
    words: list[np.ndarray]
    word_lengths: list[np.ndarray]
    counts: np.ndarray


def word_sets(values: pa.Array) -> WordSets:
    """`WordSets` of distinct texts (no nulls), made in Arrow: the values split at their spaces, each word
    ranked by its text (as rapidfuzz sorts them: by code point) and by how many values hold it (its bit)."""
    values = values.cast(pa.large_string())
    n = len(values)
    here = pc.invert(pc.match_substring_regex(values, _NOT_SPLIT_HERE)).to_numpy(zero_copy_only=False)
    lists = pc.split_pattern(values.filter(pa.array(here)), " ")
    owner = np.flatnonzero(here)[pc.list_parent_indices(lists).to_numpy()]
    encoded = pc.dictionary_encode(pc.list_flatten(lists))
    codes, words = encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary
    order = pc.sort_indices(words).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    word = rank[codes]
    by_value = np.lexsort((word, owner))
    owner, word = owner[by_value], word[by_value]
    first = np.ones(len(word), dtype=bool)
    first[1:] = (owner[1:] != owner[:-1]) | (word[1:] != word[:-1])
    owner, word = owner[first], word[first]
    # the commonest words get a bit of their own in the first mask, the others share the second's by rank
    held = np.bincount(word, minlength=len(order))
    common = np.argsort(-held, kind="stable")
    bit = np.empty(len(order), dtype=np.int64)
    bit[common] = np.arange(len(order))
    bit = np.where(bit < 64, bit, 64 + bit % 64)[word]
    masks = np.zeros((n, 2), dtype=np.uint64)
    masks[~here] = ALL_WORDS
    np.bitwise_or.at(masks, (owner, bit // 64), np.left_shift(np.uint64(1), (bit % 64).astype(np.uint64)))
    counts = np.bincount(owner, minlength=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    sorted_words = words.take(pa.array(order))
    joined = pc.binary_join(
        pa.LargeListArray.from_arrays(pa.array(offsets), sorted_words.take(pa.array(word))),
        pa.scalar(" ", pa.large_string()),
    )
    lengths = pc.utf8_length(joined).to_numpy(zero_copy_only=False).astype(np.int64)
    word_length = pc.utf8_length(sorted_words).to_numpy(zero_copy_only=False).astype(np.int32)
    columns = min(int(counts.max(initial=0)), SHARED_WORDS_UP_TO)
    place = np.arange(len(owner)) - offsets[owner]
    held = place < columns
    ranks = np.full((columns, n), -1, dtype=np.int32)
    ranks[place[held], owner[held]] = word[held]
    letters = np.zeros((columns, n), dtype=np.int32)
    letters[place[held], owner[held]] = word_length[word[held]]
    counts = np.where(here & (counts <= columns), counts, -1)
    return WordSets(
        pd.arrays.ArrowStringArray(joined),
        lengths,
        masks[:, 0].copy(),
        masks[:, 1].copy(),
        list(ranks),
        list(letters),
        counts,
    )


Letters = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


def token_set_ratios(
    words: WordSets,
    left: np.ndarray,
    right: np.ndarray,
    texts: Callable[[np.ndarray], list[str]],
    joined: Callable[[np.ndarray], list[str]],
    letters: Letters | None = None,
    reach: np.ndarray | float | None = None,
) -> np.ndarray:
    """`fuzz.token_set_ratio` (float32, 0-100) of the value pairs (left[k], right[k]), positions into the
    vocabulary `words` was made of; `texts(at)`, `joined(at)`: the values at `at` and their `words.joined`,
    as Python strings for rapidfuzz. For two sets of words that share none, rapidfuzz computes
    100 - 100 * indel distance / the joined texts' lengths in doubles, as here; for two that share some, see
    `_shared_word_scores`.

    `letters(a, b)`: for positions a and b into `words.joined`, an upper bound of the characters the two
    texts share and their lengths (`Coded.shared_letters`). `reach` (per pair or one for all, with `letters`):
    the score the caller reads a pair's as more than "below it"; a pair whose letters show it below reads 0 and
    is not scored (the caller reads its level only, and knows it below the lowest)."""
    out = np.empty(len(left), dtype=np.float32)
    apart = ((words.common[left] & words.common[right]) | (words.rare[left] & words.rare[right])) == 0
    disjoint = np.flatnonzero(apart)
    if len(disjoint) and letters is not None and reach is not None:
        shared, la, lb = letters(left[disjoint], right[disjoint])
        near = 200.0 * shared >= np.multiply(_at(reach, disjoint), la + lb)
        out[disjoint[~near]] = 0.0
        disjoint = disjoint[near]
    if len(disjoint):
        a, b = left[disjoint], right[disjoint]
        distance = process.cpdist(*_both(joined, a, b), scorer=Indel.distance, workers=workers(len(a)), dtype=np.int64)
        out[disjoint] = 100.0 - 100.0 * distance / (words.lengths[a] + words.lengths[b])
    rest = np.flatnonzero(~apart)
    if len(rest):
        known, scores = _shared_word_scores(words, left[rest], right[rest], letters, _at(reach, rest))
        out[rest[known]] = scores[known]
        rest = rest[~known]
    if len(rest):
        both = _both(texts, left[rest], right[rest])
        out[rest] = process.cpdist(*both, scorer=fuzz.token_set_ratio, workers=workers(len(rest)), dtype=np.float32)
    return out


def _shared_word_scores(
    words: WordSets, a: np.ndarray, b: np.ndarray, letters: Letters | None, reach: np.ndarray | float | None
) -> tuple[np.ndarray, np.ndarray]:
    """bool per value pair (a[k], b[k]) whose words may meet: its score is known without rapidfuzz; and that
    score (float32). rapidfuzz's token-set ratio of two word sets that share some is 100 when one holds the
    other, else the largest of three ratios made from the shared words joined (`sect`, of length s) and each
    side's other words joined (`ab`, `ba`): sect against sect + ab, which differ by ab and a space alone, sect
    against sect + ba, and ab against ba (an Indel distance over the lengths of sect + ab and sect + ba, which
    are the two values' joined texts). The first two follow from lengths; the third is at most what the
    distance's floor gives: the lengths' difference, or the letters ab and ba can share (those both texts share
    less the sect's s letters and a space, which both lose alike). Where the first two reach that ceiling,
    they are the score; where the ceiling is below `reach`, the pair reads 0 as above; else rapidfuzz scores it."""
    count_a, count_b = words.counts[a], words.counts[b]
    theirs = [ranks[b] for ranks in words.words]
    shared = np.zeros(len(a), dtype=np.int32)
    sect = np.zeros(len(a), dtype=np.int32)
    for ranks, lengths in zip(words.words, words.word_lengths, strict=True):
        ours = ranks[a]
        met = ours == theirs[0]
        for other in theirs[1:]:
            met |= ours == other
        shared += met
        sect += met * lengths[a]
    # a value's padding (-1 past its last word) meets the other's wherever that one has some
    columns = len(words.words)
    shared -= np.where(count_b < columns, columns - count_a, 0)
    known = (count_a >= 0) & (count_b >= 0) & (shared > 0)
    subset = known & ((shared == count_a) | (shared == count_b))
    length_a, length_b = words.lengths[a], words.lengths[b]
    s = sect + shared - 1
    ab, ba = length_a - s - 1, length_b - s - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        closed = np.maximum(100.0 - 100.0 * (1 + ab) / (s + length_a), 100.0 - 100.0 * (1 + ba) / (s + length_b))
        ceiling = 100.0 - 100.0 * (ab + ba - 2 * np.minimum(ab, ba)) / (length_a + length_b)
    scores = np.where(subset, 100.0, closed)
    settled = subset | (known & (closed >= ceiling))
    # the letters' bound (a gather of both values' letter counts) only where the lengths' left the pair open
    open_ = np.flatnonzero(known & ~settled)
    if letters is not None and len(open_):
        x, y = ab[open_], ba[open_]
        common = np.minimum(np.minimum(x, y), letters(a[open_], b[open_])[0] - s[open_] - 1)
        ceiling[open_] = 100.0 - 100.0 * (x + y - 2 * common) / (length_a[open_] + length_b[open_])
        settled[open_] = closed[open_] >= ceiling[open_]
    if reach is not None:
        below = known & ~settled & (np.maximum(closed, ceiling) < reach)
        scores[below] = 0.0
        settled |= below
    return settled, scores.astype(np.float32)


def _at(values: np.ndarray | float | None, at: np.ndarray) -> np.ndarray | float | None:
    """`values[at]`, or `values` itself when it is one for all (or None)."""
    return values[at] if np.ndim(values) else values


def _both(texts: Callable[[np.ndarray], list[str]], a: np.ndarray, b: np.ndarray) -> tuple[list[str], list[str]]:
    """`texts` of both sides in one call: a vocabulary asked for as many values as it holds makes them all
    Python strings once (`compare.Coded.values`), which two calls of half as many each would not."""
    made = texts(np.concatenate([a, b]))
    return made[: len(a)], made[len(a) :]
