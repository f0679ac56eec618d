"""Per-field comparison of candidate pairs, in bulk.

Every feature column is factorized once into integer codes. A comparison of a pair array
(i, j) looks at the codes: equal codes are exact agreement, a null code is "no evidence",
and the similarity of unequal values is computed once per distinct pair of values with
rapidfuzz's `process.cpdist` (aligned lists, C++ loop, all cores for a large call). The similarity is then
cut into levels (exact, very similar, similar, different...) as in Splink, so that every
pair carries its per-field evidence and the Fellegi-Sunter model can weigh each level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler, Levenshtein

from auditor.dedupe import normalize as nz
from auditor.dedupe.blocking import combined_codes, first_rows
from auditor.dedupe.features import COARSE_GROUPS, Comparison, Prepared
from auditor.dedupe.word_sets import WordSets, token_set_ratios, word_sets, workers

NULL = -1
NAME_THRESHOLDS = (0.92, 0.80)
TEXT_THRESHOLDS = (0.90, 0.70)
EMAIL_LOCAL_THRESHOLD = 0.92
CANNOT_LINK_RULES = ("corporate_email",)
"""Rules that forbid a merge outright (bit k of the mask is rule k, then the settings' cannot-link fields).
A different birth date is not one of them: it is graded evidence (a typo, a swap, a year off by one)."""
CHUNK = 1 << 20
"""Pairs compared at once by `Comparator.levels` (about 100 MB of temporaries)."""
LETTER_BINS = 32
"""Bins of code points (mod 32) a value's letters are counted in for `Coded.may_reach`: a-z each their own."""
MATRIX_CELLS = 1 << 22
"""The largest similarity matrix of a vocabulary (`Coded.similarity_matrix`): 2,048 values, 16 MB."""
CELL_COST: dict[Any, float] = {
    JaroWinkler.normalized_similarity: 1 / 6,
    fuzz.ratio: 1 / 16,
    Levenshtein.distance: 1 / 16,
}
"""Scorers `process.cdist` runs a whole row at a time (one query's bit pattern against every choice, in SIMD
lanes), and what a cell of their matrix costs in pairs scored one by one by `cpdist`: 6-10 times less for
Jaro-Winkler, 16-24 times less for the Indel ratio and the Levenshtein distance (measured on the names,
e-mail local parts, streets, birth dates and company names of fixtures/acme). The token-set ratio has no
such form: its matrix is scored once per unordered pair and mirrored (`Coded._token_set_matrix`)."""


def _matrix_cost(scorer, size: int) -> float:
    """A similarity matrix of `size` values, in pairs scored one by one that cost as much."""
    if scorer in CELL_COST:
        return size * size * CELL_COST[scorer]
    return size * (size - 1) / 2


@dataclass
class Coded:
    codes: np.ndarray
    uniques: np.ndarray | pd.api.extensions.ExtensionArray
    """The distinct values; Arrow-backed for string features, turned into Python strings for the value
    pairs a similarity is computed on (see `values`)."""
    matrices: dict[Any, np.ndarray] = field(default_factory=dict, repr=False)
    """Per scorer, its similarity of every two distinct values (see `similarity_matrix`), made when a call
    asks for enough pairs; shared by the features of one vocabulary (`_encode`)."""
    _objects: np.ndarray | None = field(default=None, init=False, repr=False)
    _words: tuple[WordSets, Coded] | None = field(default=None, init=False, repr=False)
    _letters: tuple[np.ndarray, np.ndarray] | None = field(default=None, init=False, repr=False)

    def word_sets(self) -> tuple[WordSets, Coded]:
        """Every distinct value's words for the token-set ratio (`word_sets`), and their sorted words joined as
        a vocabulary of their own (made Python strings as `values` makes them); made once."""
        if self._words is None:
            words = word_sets(pa.array(self.uniques, type=pa.large_string()))
            self._words = words, Coded(np.empty(0, np.int32), words.joined)
        return self._words

    @property
    def objects(self) -> np.ndarray:
        """Every distinct value as a Python object, made once."""
        if self._objects is None:
            self._objects = np.asarray(self.uniques, dtype=object)
        return self._objects

    def values(self, at: np.ndarray) -> list[Any]:
        """The distinct values at positions `at`, as Python objects for a scorer. The whole vocabulary is
        made Python objects by the first call asking for as many values as it holds (no more than that
        call's own strings would be), then shared: the random pairs of a small table ask for 400,000
        strings of a few hundred names on every comparison. A smaller call makes only its own."""
        if self._objects is None and len(at) < len(self.uniques):
            return self.uniques[at].tolist()
        return self.objects[at].tolist()

    def shared_letters(self, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per value pair (left[k], right[k]): an upper bound of the characters the two values have in common
        (their letters counted in 32 bins of code points, which can only add to them; float32), and the two
        values' lengths. A pair with a value of more than 255 characters (its counts would not fit a byte) shares
        infinitely many, so that no bound made of it rules anything out."""
        if self._letters is None:
            values = self.objects.tolist()
            lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
            points = np.frombuffer("".join(values).encode("utf-32-le"), dtype=np.uint32) % LETTER_BINS
            owner = np.repeat(np.arange(len(values)), lengths)
            counts = np.bincount(owner * LETTER_BINS + points, minlength=len(values) * LETTER_BINS)
            counts = np.minimum(counts, 255).astype(np.uint8).reshape(len(values), LETTER_BINS)
            self._letters = lengths, counts.view(np.uint64)  # a value's 32 byte counts as four words
        lengths, words = self._letters
        shared = np.take(words, left, axis=0)
        np.minimum(shared.view(np.uint8), np.take(words, right, axis=0).view(np.uint8), out=shared.view(np.uint8))
        shared, la, lb = _byte_sums(shared), lengths[left], lengths[right]
        shared[(la > 255) | (lb > 255)] = np.inf
        return shared, la, lb

    def may_reach(self, left: np.ndarray, right: np.ndarray, similarity: float) -> np.ndarray:
        """bool per value pair (left[k], right[k]): its Jaro-Winkler similarity may reach `similarity`; where
        False it is below. Bounded by the letters the two values share (`shared_letters`): Jaro's m matched
        characters are at most the letters they have in common, Jaro at most (m / len a + m / len b + 1) / 3, and
        the prefix bonus lifts it by at most 0.4 of what it lacks."""
        shared, la, lb = self.shared_letters(left, right)
        with np.errstate(divide="ignore", invalid="ignore"):  # an empty value is similar to none
            jaro = (shared / la + shared / lb + 1.0) / 3.0
        return 0.4 + 0.6 * jaro >= similarity

    def ratio_may_reach(self, left: np.ndarray, right: np.ndarray, ratio: np.ndarray | float) -> np.ndarray:
        """bool per value pair (left[k], right[k]): its Indel ratio (`fuzz.ratio`, 0-100) may reach `ratio`;
        where False it is below. The ratio is 200 * (longest common subsequence) / (len a + len b), and the
        common subsequence holds no more characters than the two values share (`shared_letters`)."""
        shared, la, lb = self.shared_letters(left, right)
        return 200.0 * shared >= np.multiply(ratio, la + lb)

    def similarity_matrix(self, scorer, pairs: int) -> np.ndarray | None:
        """`scorer` of every two distinct values (float32, row = first argument), or None when a call
        scoring `pairs` pairs one by one costs less than making it. Made once per scorer: the 200,000
        random pairs of a table of a few thousand records ask for the same few hundred names on every
        comparison, and `cdist` scores a whole row of a matrix at once."""
        if scorer not in self.matrices:
            size = len(self.uniques)
            if size * size > MATRIX_CELLS or _matrix_cost(scorer, size) > pairs:
                return None
            if scorer is fuzz.token_set_ratio:
                self.matrices[scorer] = self._token_set_matrix()
            else:
                values = self.objects.tolist()
                # two lists make cdist score every cell, row by row (one list would score each unordered
                # pair once and mirror it: the same values)
                self.matrices[scorer] = process.cdist(
                    values, list(values), scorer=scorer, workers=workers(size * size), dtype=np.float32
                )
        return self.matrices[scorer]

    def _token_set_matrix(self) -> np.ndarray:
        """The token-set ratio of every two distinct values, scored once per unordered pair from each value's
        words (`token_set_ratios`: most pairs of a vocabulary share no word, and cost an Indel distance of two
        prepared texts, a fifth of what rapidfuzz's `cdist` spends splitting them on every pair) and mirrored.
        The diagonal is never read: two equal values are equal codes."""
        size = len(self.uniques)
        lo, hi = np.triu_indices(size, 1)
        words, joined = self.word_sets()
        matrix = np.full((size, size), 100.0, dtype=np.float32)
        matrix[lo, hi] = matrix[hi, lo] = token_set_ratios(
            words, lo, hi, self.values, joined.values, joined.shared_letters
        )
        return matrix


def _byte_sums(words: np.ndarray) -> np.ndarray:
    """Per row of four uint64 words (32 byte counts of the letters two values share), the sum of its 32 bytes as
    float32, exact where the two values hold at most 255 characters (the caller sets the other rows infinite).

    Two such values share at most 255 letters in all, so no partial sum carries into the next byte: the four
    words added give eight byte sums, and their product with 0x0101...01 adds those eight into the top byte. A
    third of the time of the rows made float32 and multiplied by ones (0.04 against 0.13 s per million pairs)."""
    total = words[:, 0] + words[:, 1]
    total += words[:, 2]
    total += words[:, 3]
    total *= np.uint64(0x0101010101010101)
    total >>= np.uint64(56)
    return total.astype(np.float32)


@dataclass
class Compared:
    levels: np.ndarray
    """int8 (pairs x comparisons), -1 where either value is missing"""
    scores: np.ndarray
    """float32 (pairs x comparisons) similarity in [0, 1], NaN where either value is missing"""
    swapped: np.ndarray
    """bool per pair: first and last names matched crosswise"""
    cannot: np.ndarray
    """uint16 bit mask per pair of the cannot-link rules that fired (bit k = rule_names[k])"""
    surprise: np.ndarray
    """float32 (pairs x comparisons): -log2 of the share of the table's distinct records that hold the
    shared value, where a term-frequency comparison agrees exactly; NaN elsewhere"""


@dataclass
class ExactSurprises:
    """The term-frequency surprises of many pairs where `field_weights` reads them: per term-frequency comparison
    (by its index), the float16 surprise of each pair at its exact level (`Comparison.top`), in the pairs' order.
    A pairs x comparisons matrix held them everywhere, NaN at every other level and comparison (155 MB at the
    8 million candidate pairs of a million contacts)."""

    top: dict[int, int]
    """per term-frequency comparison, its exact level"""
    values: dict[int, list[np.ndarray]] = field(default_factory=dict)
    """per comparison, its chunks' surprises at the exact pairs; one array each once `close`d"""

    @classmethod
    def of(cls, comparisons: list[Comparison]) -> ExactSurprises:
        top = {k: c.top for k, c in enumerate(comparisons) if c.term_frequency}
        return cls(top, {k: [] for k in top})

    def add(self, levels: np.ndarray, surprise: np.ndarray) -> None:
        """Keep the next pairs' surprises (float32, pairs x comparisons) at their exact levels."""
        for k, parts in self.values.items():
            parts.append(surprise[levels[:, k] == self.top[k], k].astype(np.float16))

    def close(self) -> None:
        for k, parts in self.values.items():
            self.values[k] = [np.concatenate(parts) if parts else np.empty(0, dtype=np.float16)]

    def chunks(self, levels: np.ndarray, chunk: int) -> Iterator[np.ndarray]:
        """The surprises as `Comparator.levels` gives them (float16, pairs x comparisons), `chunk` pairs of `levels`
        (the pairs' levels) at a time, NaN wherever `field_weights` does not read them."""
        taken = dict.fromkeys(self.values, 0)
        for start in range(0, len(levels), chunk):
            lv = levels[start : start + chunk]
            out = np.full(lv.shape, np.nan, dtype=np.float16, order="F")
            for k, (held,) in self.values.items():
                rows = np.flatnonzero(lv[:, k] == self.top[k])
                out[rows, k] = held[taken[k] : taken[k] + len(rows)]
                taken[k] += len(rows)
            yield out


def _encode(prepared: Prepared, columns: list[str]) -> list[Coded]:
    """Feature columns with one shared vocabulary."""
    codes, uniques = prepared.codes(*columns)
    n = len(prepared.features)
    matrices: dict[Any, np.ndarray] = {}
    return [Coded(codes[k * n : (k + 1) * n], uniques, matrices) for k in range(len(columns))]


@dataclass
class ValuePairs:
    """Aligned code arrays' pairs of two equal values (`same`) and of two unequal ones (their positions `diff`,
    each as its smaller and larger code `lo`, `hi`), and the distinct pairs among these: made once for every
    similarity scored on the same codes (a company name's token-set ratio and its ratio without spaces, a
    million-pair chunk's value-pair keys hashed once instead of twice)."""

    same: np.ndarray
    diff: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    _distinct: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, ca: np.ndarray, cb: np.ndarray) -> ValuePairs:
        valid = (ca >= 0) & (cb >= 0)
        same = valid & (ca == cb)
        diff = np.flatnonzero(valid & ~same)
        a, b = ca[diff], cb[diff]  # the codes' own width: only `distinct`'s keys need 64 bits
        return cls(same, diff, np.minimum(a, b), np.maximum(a, b))

    def distinct(self, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per unequal pair its distinct pair (`pd.factorize` of lo * size + hi), and the distinct pairs' codes
        (lo, hi), for codes into a vocabulary of `size` values."""
        if size not in self._distinct:
            inverse, keys = pd.factorize(self.lo.astype(np.int64) * np.int64(size) + self.hi)
            self._distinct[size] = inverse, keys // size, keys % size
        return self._distinct[size]


def pair_similarity(
    ca: np.ndarray,
    cb: np.ndarray,
    uniques: Coded | np.ndarray,
    scorer,
    *,
    distance: bool = False,
    values: ValuePairs | None = None,
    sample: bool = False,
    cutoff: float = 0.0,
    reach: np.ndarray | float | None = None,
) -> np.ndarray:
    """Similarity of aligned code arrays: NaN where null, 1 where equal (or 0 distance), scorer otherwise,
    evaluated once per distinct unordered pair of values. `uniques`: the values the codes number, a
    feature's `Coded` or an object array; `values`: the codes' `ValuePairs`, when made already.

    `sample`: the pairs are u's random sample, whose levels alone are read: each unequal pair is scored as it
    comes (nearly every pair of values of 200,000 random pairs is met once, and hashing them to find the few
    repeats costs more than scoring them), and a similarity below `cutoff` may read 0 (rapidfuzz gives up on
    such a pair early).

    `reach` (the Indel ratio `fuzz.ratio` and the token-set ratio only; per pair or one for all, in the scorer's
    0-100): the score below which a pair's similarity is not read as itself, only as being below it (the levels'
    lowest threshold, or the one that would lift a level another similarity gave). A pair that the letters of its
    two values show below it (`Coded.ratio_may_reach`; for the token-set ratio, see `token_set_ratios`) is not
    scored and reads 0."""
    out = np.full(len(ca), np.nan, dtype=np.float32)
    values = values if values is not None else ValuePairs.of(ca, cb)
    out[values.same] = 0.0 if distance else (100.0 if scorer is fuzz.token_set_ratio else 1.0)
    diff = values.diff
    if len(diff):
        coded = uniques if isinstance(uniques, Coded) else Coded(np.empty(0, np.int32), uniques)
        matrix = coded.similarity_matrix(scorer, len(diff))
        if matrix is not None:
            out[diff] = matrix[values.lo, values.hi]
            return out
        inverse, left, right = (None, values.lo, values.hi) if sample else values.distinct(len(coded.uniques))
        if reach is not None and np.ndim(reach):
            reach = _of_value_pairs(np.asarray(reach)[diff], inverse, len(left))
        if scorer is fuzz.token_set_ratio:
            words, joined = coded.word_sets()
            sims = token_set_ratios(words, left, right, coded.values, joined.values, joined.shared_letters, reach)
        elif scorer is fuzz.ratio and reach is not None:
            sims = _scored_where(coded, left, right, np.flatnonzero(coded.ratio_may_reach(left, right, reach)), scorer)
        elif sample and cutoff:
            near = np.arange(len(left))
            if scorer is JaroWinkler.normalized_similarity and len(coded.uniques) <= len(left):
                # a small vocabulary's letters are counted once and rule out most random pairs of its values
                near = np.flatnonzero(coded.may_reach(left, right, cutoff))
            sims = _scored_where(coded, left, right, near, scorer, score_cutoff=cutoff)
        else:
            sims = process.cpdist(
                coded.values(left), coded.values(right), scorer=scorer, workers=workers(len(left)), dtype=np.float32
            )
        sims = np.asarray(sims, dtype=np.float32)
        out[diff] = sims if inverse is None else sims[inverse]
    return out


def _scored_where(
    coded: Coded, left: np.ndarray, right: np.ndarray, near: np.ndarray, scorer, **cutoff: float
) -> np.ndarray:
    """`scorer` of the value pairs (left[k], right[k]) at `near` (float32), 0 at the others."""
    sims = np.zeros(len(left), dtype=np.float32)
    sims[near] = process.cpdist(
        coded.values(left[near]),
        coded.values(right[near]),
        scorer=scorer,
        workers=workers(len(near)),
        dtype=np.float32,
        **cutoff,
    )
    return sims


def _of_value_pairs(per_pair: np.ndarray, inverse: np.ndarray | None, distinct: int) -> np.ndarray:
    """A value per unequal pair (one for all pairs of the same two values) as a value per distinct pair."""
    if inverse is None:
        return per_pair
    out = np.empty(distinct, dtype=per_pair.dtype)
    out[inverse] = per_pair
    return out


def reach_above(sim: np.ndarray, thresholds: tuple[float, ...]) -> np.ndarray:
    """Per pair, in a scorer's 0-100, what another similarity of the pair must reach to lift the level `sim`
    gives (see `_cut`): one point below the lowest threshold above `sim` (a float32 score rounds up to the
    threshold only within a hair of it), infinite where `sim` reached the highest threshold already."""
    out = np.full(len(sim), np.inf)
    for t in sorted(thresholds, reverse=True):
        out[~(sim >= t)] = 100.0 * t - 1.0
    return out


WORD_SIMILARITY = 85.0
"""fuzz.ratio at which two words of company names are one word with a typo ("philips" / "phillips": 93)."""


GLUED_WORD = 5
"""Letters a word needs to be found at the start or end of a longer one ("philips" in
"philipsgloeilampenfabrieken": a space lost between two words)."""


def share_a_word(ca: np.ndarray, cb: np.ndarray, names: Coded) -> np.ndarray:
    """bool per pair of codes into `names`: the two names have a word in common, one typo allowed
    ("philips" / "phillips"), also when glued to the next word ("phillips" / "philipsgloeilampenfabrieken");
    False where either is missing. Decided once per distinct pair of names, and word against word once
    per distinct pair of words (see `_words_meet`): a pair of names shares a word when any pair of
    their words meets."""
    out = np.zeros(len(ca), dtype=bool)
    valid = (ca >= 0) & (cb >= 0)
    same = valid & (ca == cb)
    out[same] = True
    diff = np.flatnonzero(valid & ~same)
    if not len(diff):
        return out
    a, b = ca[diff].astype(np.int64), cb[diff].astype(np.int64)
    size = np.int64(len(names.uniques))
    inverse, keys = pd.factorize(np.minimum(a, b) * size + np.maximum(a, b))
    left, right = keys // size, keys % size
    # each name's words, as codes into one vocabulary of words; the names used are marked in an array the size
    # of the vocabulary, not found by a sort or hash of every pair's two names
    marked = np.zeros(int(size), dtype=bool)
    marked[left], marked[right] = True, True
    used = np.flatnonzero(marked)
    split = [text.split() for text in names.values(used)]
    counts = np.array([len(w) for w in split], dtype=np.int64)
    word_codes, vocabulary = pd.factorize(np.array([w for words in split for w in words] or [""], dtype=object))
    words = Words(word_codes, np.r_[0, np.cumsum(counts)[:-1]], counts, np.asarray(vocabulary, dtype=object))
    place = np.cumsum(marked) - 1  # a used name's position among the used ones
    pa, pb = place[left], place[right]
    shared = np.zeros(len(left), dtype=bool)
    for start in range(0, len(left), NAME_PAIRS_CHUNK):
        part = slice(start, start + NAME_PAIRS_CHUNK)
        shared[part] = _share_a_word(pa[part], pb[part], words)
    out[diff] = shared[inverse]
    return out


NAME_PAIRS_CHUNK = 1 << 17
"""Pairs of names whose words are paired at once: a million pairs of company names make some ten million
pairs of words, whose index arrays would otherwise coexist (hundreds of MB)."""


@dataclass
class Words:
    """The words of some names: codes into `vocabulary`, name by name (`offsets`, `counts` per name)."""

    codes: np.ndarray
    offsets: np.ndarray
    counts: np.ndarray
    vocabulary: np.ndarray
    decided: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    """The pairs of words decided so far (sorted keys lo * len(vocabulary) + hi), and whether each meets
    (`meet`): the chunks of name pairs ask for the same pairs of words again and again (at a million
    contacts' accounts, 1.3 million pairs of words asked chunk by chunk, 0.27 million distinct)."""
    meet: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))

    def meets(self, keys: np.ndarray) -> np.ndarray:
        """bool per distinct pair of words (see `decided`): `_words_meet`, each pair decided once."""
        at = np.searchsorted(self.decided, keys)
        known = at < len(self.decided)
        known[known] = self.decided[at[known]] == keys[known]
        out = np.empty(len(keys), dtype=bool)
        out[known] = self.meet[at[known]]
        new = keys[~known]
        if len(new):
            width = np.int64(len(self.vocabulary))
            out[~known] = fresh = _words_meet(self.vocabulary[new // width], self.vocabulary[new % width])
            order = np.argsort(np.concatenate([self.decided, new]), kind="stable")
            self.decided = np.concatenate([self.decided, new])[order]
            self.meet = np.concatenate([self.meet, fresh])[order]
        return out


def _share_a_word(pa: np.ndarray, pb: np.ndarray, words: Words) -> np.ndarray:
    """bool per pair of names (positions into `words`): some word of one meets some word of the other,
    each distinct pair of words decided once."""
    # every word of one name against every word of the other
    na, nb = words.counts[pa], words.counts[pb]
    per_pair = na * nb
    pair = np.repeat(np.arange(len(pa)), per_pair)
    within = np.arange(int(per_pair.sum())) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    wa = words.codes[words.offsets[pa][pair] + within // nb[pair]].astype(np.int64)
    wb = words.codes[words.offsets[pb][pair] + within % nb[pair]].astype(np.int64)
    width = np.int64(len(words.vocabulary))
    word_inverse, word_keys = pd.factorize(np.minimum(wa, wb) * width + np.maximum(wa, wb))
    return np.bincount(pair, weights=words.meets(word_keys)[word_inverse], minlength=len(pa)) > 0


def _words_meet(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """bool per aligned pair of words: the same, or one typo apart (fuzz.ratio of at least WORD_SIMILARITY),
    or the shorter, of GLUED_WORD letters or more, is the start or end of the longer one, one typo allowed.
    The typo may be a dropped or added letter ("philps" in "philipsgloeilampenfabrieken"), so the part of
    the longer word it is held against may be one letter shorter or longer than the shorter word."""
    meet = (
        process.cpdist(
            xs.tolist(),
            ys.tolist(),
            scorer=fuzz.ratio,
            score_cutoff=WORD_SIMILARITY,
            dtype=np.float64,
            workers=workers(len(xs)),
        )
        > 0
    )
    lx = np.fromiter(map(len, xs), dtype=np.int64, count=len(xs))
    ly = np.fromiter(map(len, ys), dtype=np.int64, count=len(ys))
    short = np.where(lx <= ly, xs, ys)
    long = np.where(lx <= ly, ys, xs)
    n, m = np.minimum(lx, ly), np.maximum(lx, ly)
    glue = np.flatnonzero(~meet & (n >= GLUED_WORD) & (m > n))
    if len(glue):
        owner, queries, parts = [], [], []
        for at in glue.tolist():
            word, longer, k0 = short[at], long[at], int(n[at])
            for k in (k0 - 1, k0, k0 + 1):
                if k < len(longer):
                    owner += (at, at)
                    queries += (word, word)
                    parts += (longer[:k], longer[-k:])
        ratio = process.cpdist(queries, parts, scorer=fuzz.ratio, dtype=np.float64, workers=workers(len(queries)))
        glued = np.bincount(np.array(owner), weights=ratio >= WORD_SIMILARITY, minlength=len(xs)) > 0
        meet |= glued
    return meet


def _cut(sim: np.ndarray, thresholds: tuple[float, ...]) -> np.ndarray:
    """NaN -> -1, 1.0 -> len(thresholds)+1 (exact), >= t0 -> len(thresholds), ... , else 0."""
    top = len(thresholds) + 1
    level = np.zeros(len(sim), dtype=np.int8)
    for k, t in enumerate(sorted(thresholds)):
        level[sim >= t] = k + 1
    level[sim >= 1.0] = top
    level[np.isnan(sim)] = NULL
    return level


@dataclass
class ValueCounts:
    """How many distinct records hold each value of the term-frequency features, over the whole table.

    A distinct record is a distinct combination of all compared features: exact copies of one record
    count once, so that a value is not made common by the duplicates that repeat it (a company listed
    200 times under one spelling is one company, not a common name). `counts` holds the values held by
    two or more distinct records (any other value is held by one); `totals` the distinct records with a
    value at all."""

    counts: dict[str, pd.Series] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    by_country: dict[str, pd.Series] = field(default_factory=dict)
    """For names: the same counts within each country, indexed by 'country<US>value' (see STRATIFIED)."""
    country_totals: dict[str, pd.Series] = field(default_factory=dict)
    """For names: distinct records with a value, per country."""


STRATIFIED = frozenset({"person_first", "person_last", "name", "company"})
"""Names are common or rare within a population: two records of one country that share a name are weighed
by how many of that country's records hold it ('Paul Meyer' is common in Germany however rare German
names are in a Polish CRM). Other records, and any table without a country, by the whole table."""
SEPARATOR = "\x1f"


def tf_feature(comparison: Comparison) -> str:
    """The feature whose value frequencies weigh a comparison's exact agreement."""
    return {"person_first": "first", "person_last": "last"}.get(comparison.kind, comparison.columns[0])


def tf_columns(prepared: Prepared, comparison: Comparison) -> list[str]:
    return list(comparison.columns) if comparison.kind == "phone" else [tf_feature(comparison)]


def profile_codes(prepared: Prepared, columns: list[str]) -> np.ndarray:
    """One integer per distinct combination of the compared features (exact copies share it)."""
    return combined_codes(len(prepared.features), ((c, len(u)) for c, u in map(prepared.codes, columns)))


def profile_columns(prepared: Prepared) -> list[str]:
    """The features whose distinct combinations are the distinct records: every compared one but flags."""
    features = prepared.features
    return list(
        dict.fromkeys(
            c
            for comp in prepared.comparisons
            for c in comp.columns
            if c in features.columns and features[c].dtype != bool
        )
    )


def counted_features(prepared: Prepared) -> dict[str, tuple[list[str], bool]]:
    """Per term-frequency feature (`tf_feature`, the first comparison naming it decides): the columns
    holding its values (a phone: all of them, one vocabulary) and whether it is counted per country too."""
    out: dict[str, tuple[list[str], bool]] = {}
    for comparison in prepared.comparisons:
        name = tf_feature(comparison)
        if comparison.term_frequency and name not in out:
            out[name] = (
                tf_columns(prepared, comparison),
                comparison.kind in STRATIFIED and "country" in prepared.features.columns,
            )
    return out


def value_counts(prepared: Prepared) -> ValueCounts:
    """The term-frequency table of a whole prepared table (a distributed engine computes the same
    counts with its own aggregates over `profile_columns` and `counted_features`)."""
    features = prepared.features
    profile = profile_codes(prepared, profile_columns(prepared))
    # a distinct record holds every compared value of its own, so one record per distinct profile
    # counts each value once: counting values over those records is counting distinct holders
    first = first_rows(pd.factorize(profile)[0])
    country = nz.strings(features["country"].iloc[first]) if "country" in features.columns else None
    out = ValueCounts()
    for name, (columns, by_country) in counted_features(prepared).items():
        codes, uniques = _value_codes(prepared, columns, first)
        out.counts[name], out.totals[name] = _held(codes, uniques)
        if by_country and country is not None:
            ccodes, arrow_countries = pd.factorize(country, use_na_sentinel=True)
            countries = np.asarray(arrow_countries, dtype=object)
            keyed = np.where(
                (codes >= 0) & (ccodes[:, None] >= 0), ccodes[:, None].astype(np.int64) * (len(uniques) + 1) + codes, -1
            )
            key_codes, key_values = pd.factorize(keyed.ravel(), use_na_sentinel=False)
            key_codes = key_codes.reshape(keyed.shape)
            key_codes[keyed < 0] = -1
            names = np.asarray(uniques, dtype=object)
            # 'country<US>name' per key, as Python strings joined element by element (a key read from the
            # Arrow-backed countries one at a time cost a Python-level lookup per key)
            key = np.asarray(key_values, dtype=np.int64)
            real = key >= 0
            labels = np.full(len(key), "", dtype=object)
            width = len(uniques) + 1
            labels[real] = countries[key[real] // width] + SEPARATOR + names[key[real] % width]
            out.by_country[name] = _held(key_codes, labels)[0]
            present = (codes >= 0).any(axis=1) & (ccodes >= 0)
            per_country = np.bincount(ccodes[present], minlength=len(countries))
            out.country_totals[name] = pd.Series(per_country, index=pd.Index(countries))[per_country > 0]
    return out


def _value_codes(prepared: Prepared, columns: list[str], rows: np.ndarray) -> tuple[np.ndarray, Any]:
    """Codes (records at `rows` x columns, -1 missing) over one vocabulary of several columns; a value
    written in two columns of one record appears once (-1 in the later column). The vocabulary is the
    whole table's, in which `rows`, one record per distinct profile, hold every value; as the features'
    codes hold it (Arrow-backed texts: `_held` makes Python strings of the values held twice only)."""
    flat, uniques = prepared.codes(*columns)
    n = len(prepared.features)
    codes = np.stack([flat[k * n : (k + 1) * n][rows] for k in range(len(columns))], axis=1).astype(np.int64)
    for k in range(1, codes.shape[1]):
        seen = (codes[:, :k] == codes[:, [k]]).any(axis=1)
        codes[seen, k] = -1
    return codes, uniques


def others(held: np.ndarray) -> np.ndarray:
    """How many records besides a given one hold its value (at least the one it is compared with): the
    chance that another record shares a value is (holders - 1) / records, so a value only the two
    compared records hold is as telling as a unique one."""
    return np.maximum(held - 1, 1)


def _held(codes: np.ndarray, uniques: Any) -> tuple[pd.Series, int]:
    """Holders per value (values held by two or more only, indexed by the values as Python objects) and the
    holders of any value, from codes of one record per distinct profile (records x columns, -1 missing, each
    value once per record)."""
    ok = codes >= 0
    held = np.bincount(codes[ok], minlength=len(uniques))
    common = np.flatnonzero(held >= 2)
    values = np.asarray(uniques[common], dtype=object)
    return pd.Series(held[common], index=pd.Index(values)), int(ok.any(axis=1).sum())


def counted(counts: pd.Series, values: Any, missing: float) -> np.ndarray:
    """`counts` (indexed by text) of each of `values` (texts, Arrow-backed or not) as floats, `missing` where a
    value is not counted or missing. Looked up by Arrow's hash of the texts: a Python string per value was
    2.8 million strings held for a million contacts' scoring, or a conversion each time."""
    keys = pa.array(np.asarray(counts.index, dtype=object), type=pa.large_string())
    texts = pa.array(pd.Series(values, copy=False).astype(nz.STRING)).cast(pa.large_string())
    at = pc.index_in(texts, value_set=keys).to_numpy(zero_copy_only=False)
    found = ~np.isnan(at)
    out = np.full(len(at), missing, dtype=float)
    out[found] = counts.to_numpy(dtype=float)[at[found].astype(np.int64)]
    return out


class Comparator:
    """Compares pairs of records of one prepared table (or of two, concatenated, for linkage)."""

    def __init__(self, prepared: Prepared, *, frequencies: ValueCounts | None = None) -> None:
        """`frequencies`: the term-frequency table of the whole table, when the records compared are a
        slice of it (a distributed engine's batch); by default counted on `prepared`."""
        self.prepared = prepared
        self.comparisons = prepared.comparisons
        f = prepared.features
        # what the comparisons read of the features besides their codes: the table may let go of their values
        # once compared (`Prepared.let_go_of_values`)
        self.records = len(f)
        self.cannot_columns = [c for c in f.columns if c.startswith("cl:")]
        self.coded: dict[str, Coded] = {}
        if "first" in f and "last" in f:
            first, last = _encode(prepared, ["first", "last"])
            self.coded["first"], self.coded["last"] = first, last
        for c in self.comparisons:
            if c.kind == "phone":
                for col, coded in zip(c.columns, _encode(prepared, list(c.columns)), strict=True):
                    self.coded[col] = coded
        for col in f.columns:
            if col not in self.coded and f[col].dtype != bool:
                self.coded[col] = _encode(prepared, [col])[0]
        self.role = {
            col: f[col].to_numpy(dtype=bool) for col in f.columns if col.endswith("_role") or col == "email_named"
        }
        frequencies = frequencies if frequencies is not None else value_counts(prepared)
        self.surprise: dict[str, np.ndarray] = {}
        """per term-frequency feature: -log2(share of distinct records holding the value) by code (last: missing)"""
        self.country_surprise: dict[str, np.ndarray] = {}
        """per name feature: the same within the record's country, per record (NaN without a country)"""
        self.country = self.coded["country"].codes if "country" in self.coded else None
        for c in self.comparisons:
            name = tf_feature(c)
            if not c.term_frequency or name in self.surprise or name not in frequencies.counts:
                continue
            column = tf_columns(prepared, c)[0]
            held = others(counted(frequencies.counts[name], self.coded[column].uniques, 1.0))
            total = max(frequencies.totals[name], 1)
            self.surprise[name] = np.append(-np.log2(np.minimum(held, total) / total), np.nan).astype(np.float32)
            if name in frequencies.by_country and "country" in f.columns:
                self.country_surprise[name] = self._within_country(frequencies, name, column)
        self._compacted: dict[str, Coded] = {}
        self._derived: dict[tuple[str, str], Any] = {}
        """per feature, what a comparison reads of each distinct value (`_date_parts`, `_area_codes`)"""
        self._copy_codes: tuple[np.ndarray, np.ndarray] | None = None
        """per record, one integer per distinct combination of its compared values, and whether it holds two
        pieces of evidence (see `copies`); made on first use"""
        self.free_domain = None
        if "email_domain" in self.coded:
            dom = self.coded["email_domain"]
            # by Arrow: a Python string per distinct domain was 0.3 s at a million contacts
            free = pd.Index(dom.uniques).isin(list(nz.FREE_MAIL))
            self.free_domain = np.append(np.asarray(free, dtype=bool), False)
        self.rule_names = list(CANNOT_LINK_RULES) + [f"different {c.removeprefix('cl:')}" for c in self.cannot_columns]

    def _within_country(self, frequencies: ValueCounts, name: str, column: str) -> np.ndarray:
        """Per record, -log2 of the share of its country's distinct records that hold its value of `column`
        (NaN without a country or a value). The 'country<US>value' keys are written and looked up once per
        distinct (country, value) of the table, not once per record."""
        country, value = self.coded["country"], self.coded[column]
        held = (country.codes >= 0) & (value.codes >= 0)
        size = np.int64(len(value.uniques) + 1)
        combination, combined = pd.factorize(np.where(held, country.codes.astype(np.int64) * size + value.codes, -1))
        present = combined >= 0
        countries = nz.strings(pd.Series(country.uniques))
        key = countries.take(combined[present] // size).reset_index(drop=True) + SEPARATOR
        key += nz.strings(pd.Series(value.uniques)).take(combined[present] % size).reset_index(drop=True)
        within = np.ones(len(combined))
        within[present] = others(counted(frequencies.by_country[name], key, 1.0))
        totals = np.append(counted(frequencies.country_totals[name], countries, np.nan), np.nan)[country.codes]
        share = np.minimum(within[combination], totals) / totals
        return np.where(held & (totals > 0), -np.log2(share), np.nan).astype(np.float32)

    # -- one comparison -----------------------------------------------------------------------

    def _compact(self, col: str) -> Coded:
        """The distinct values of a feature without their spaces, numbered as the feature's (cached, with
        its similarity matrices)."""
        if col not in self._compacted:
            uniques = pd.Series(self.coded[col].objects, dtype=object)
            compact = uniques.str.replace(" ", "", regex=False).to_numpy(dtype=object)
            self._compacted[col] = Coded(np.empty(0, np.int32), compact)
        return self._compacted[col]

    def other_numbers(self, c: Comparison, pairs: Pairs) -> np.ndarray:
        """bool per pair: the company names hold other numbers (Rivera395 Inc / Rivera251 Inc, branch 12 /
        branch 14: another company); False for a comparison without the names' numbers."""
        if len(c.columns) < 2:
            return np.zeros(len(pairs.i), dtype=bool)
        na, nb = pairs.codes(c.columns[1])
        return (na >= 0) & (nb >= 0) & (na != nb)

    def _name(self, col_a: str, col_b: str, pairs: Pairs) -> np.ndarray:
        return pair_similarity(
            pairs.codes(col_a)[0],
            pairs.codes(col_b)[1],
            self.coded[col_a],
            JaroWinkler.normalized_similarity,
            sample=pairs.sample,
        )

    def _surprise_of(
        self, c: Comparison, codes: np.ndarray, exact: np.ndarray, pairs: Pairs | None = None
    ) -> np.ndarray:
        """The surprise of the value `codes` holds where `exact`; within the two records' country when both are
        of one country and the feature is counted per country (`pairs` given), NaN elsewhere. Looked up for the
        exact pairs only (a chunk's million pairs gathered for every comparison, most of them to be NaN)."""
        out = np.full(len(codes), np.nan, dtype=np.float32)
        table = self.surprise.get(tf_feature(c))
        if table is None:
            return out
        rows = np.flatnonzero(exact)
        found = table[codes[rows]]
        within = self.country_surprise.get(tf_feature(c))
        if within is not None and pairs is not None and self.country is not None:
            ours = within[pairs.i[rows]]
            found = np.where(pairs.same_country()[rows] & ~np.isnan(ours), ours, found)
        out[rows] = found
        return out

    def levels(self, i: np.ndarray, j: np.ndarray, chunk: int = CHUNK) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Levels (int8, pairs x comparisons), cannot-link masks and term-frequency surprises (float16,
        pairs x comparisons) of many pairs, compared chunk by chunk: the per-field similarities and
        value-pair keys of millions of pairs never coexist."""
        surprise = np.empty((len(i), len(self.comparisons)), dtype=np.float16, order="F")

        def keep(start: int, part: Compared) -> None:
            surprise[start : start + chunk] = part.surprise

        levels, cannot = self._levels(i, j, chunk, keep)
        return levels, cannot, surprise

    def exact_levels(
        self, i: np.ndarray, j: np.ndarray, chunk: int = CHUNK
    ) -> tuple[np.ndarray, np.ndarray, ExactSurprises]:
        """`levels`, with the surprises kept where `field_weights` reads them only (`ExactSurprises`)."""
        surprise = ExactSurprises.of(self.comparisons)
        levels, cannot = self._levels(i, j, chunk, lambda start, part: surprise.add(part.levels, part.surprise))
        surprise.close()
        return levels, cannot, surprise

    def _levels(
        self, i: np.ndarray, j: np.ndarray, chunk: int, keep: Callable[[int, Compared], None]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Levels and cannot-link masks of many pairs, chunk by chunk; `keep(start, chunk's Compared)` takes
        each chunk's surprises."""
        k = len(self.comparisons)
        # column-major, as `compare` makes them and their readers (weights, patterns) read them: by column
        levels = np.empty((len(i), k), dtype=np.int8, order="F")
        cannot = np.empty(len(i), dtype=np.uint16)
        for start in range(0, len(i), chunk):
            pairs = Pairs.of(self, i[start : start + chunk], j[start : start + chunk], levels_only=True)
            part = self._compare(pairs, scores=False)
            levels[start : start + chunk] = part.levels
            cannot[start : start + chunk] = part.cannot
            keep(start, part)
        return levels, cannot

    def copies(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Bool per pair: the two records are identical in every compared field (empty in both counts as
        identical) and hold at least two independent pieces of evidence (a name and an e-mail, say). They
        are one record entered twice, however common their values: when a table holds 500 copies of one
        contact, every record holds its values, its term-frequency weights fall to 0 bits, and only this
        rule keeps the copies one cluster.

        Read per pair from two per-record arrays made once (`_copy_codes`), not from every compared column's
        codes of both records gathered for every call (at a million contacts, some 15 columns of 8 million
        candidate pairs on each of three calls). A chunk of pairs at a time: two int64 gathers of every candidate
        pair were a peak of the step at a million contacts."""
        if self._copy_codes is None:
            self._copy_codes = self._copy_profile()
        combination, two_pieces = self._copy_codes
        out = np.empty(len(i), dtype=bool)
        for start in range(0, len(i), CHUNK):
            a, b = i[start : start + CHUNK], j[start : start + CHUNK]
            out[start : start + CHUNK] = (combination[a] == combination[b]) & two_pieces[a]
        return out

    def _copy_profile(self) -> tuple[np.ndarray, np.ndarray]:
        """Per record: one integer per distinct combination of its compared features' codes (the role flags of
        an e-mail follow from its value: not among them), equal for two records exactly when every compared
        value is (missing in both counts as equal); and whether it holds values of two pieces of evidence."""
        n = self.records
        columns = dict.fromkeys(col for c in self.comparisons for col in c.columns if col in self.coded)
        combination = combined_codes(n, ((self.coded[col].codes, len(self.coded[col].uniques)) for col in columns))
        held: dict[str, np.ndarray] = {}
        for c in self.comparisons:
            if c.group in COARSE_GROUPS:
                continue
            present = held.setdefault(c.group, np.zeros(n, dtype=bool))
            for col in c.columns:
                if col in self.coded:
                    present |= self.coded[col].codes >= 0
        pieces = np.sum(list(held.values()), axis=0) if held else np.zeros(n, dtype=np.int64)
        return combination, pieces >= 2

    def disagree(self, i: np.ndarray, j: np.ndarray, levels: np.ndarray) -> np.ndarray:
        """bool per pair: some field disagrees outright (its lowest level), where two company names that
        share a word (one typo allowed: "philips" / "phillips") do not: "Philips Electronics" and
        "Koninklijke Philips" are far apart as strings, but nothing in them says two companies."""
        out = levels == 0
        names = [col for col, c in enumerate(self.comparisons) if c.kind == "company"]
        # a pair that disagrees outright in another field disagrees whatever its names share: of the 2.4 million
        # pairs of the 1M export's accounts whose names were split into words, 4,409 had no such field
        decided = np.delete(out, names, axis=1).any(axis=1)
        for col in names:
            c = self.comparisons[col]
            rows = np.flatnonzero(out[:, col] & ~decided)
            if not len(rows):
                continue
            some = Pairs.of(self, i[rows], j[rows])
            kin = share_a_word(*some.codes(c.columns[0]), self.coded[c.columns[0]])
            kin &= ~self.other_numbers(c, some)
            out[rows[kin], col] = False
        return out.any(axis=1) if out.shape[1] else np.zeros(len(i), dtype=bool)

    def compare(self, i: np.ndarray, j: np.ndarray) -> Compared:
        """Every comparison of the pairs (i, j), each by the function its kind names in `KINDS`."""
        return self._compare(Pairs.of(self, i, j))

    def sample_levels(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """The levels of u's random pairs (i, j), as `compare` gives them; their similarities are not kept, so
        that each pair of values is scored as it comes, and far apart ones need not be scored in full (see
        `pair_similarity`)."""
        return self._compare(Pairs.of(self, i, j, sample=True)).levels

    def _compare(self, pairs: Pairs, scores: bool = True) -> Compared:
        """`compare`; without `scores` the similarities are not kept (the candidate pairs' weights read their
        levels and surprises: a matrix of a million-pair chunk's similarities was written and let go)."""
        n, k = len(pairs.i), len(self.comparisons)
        # column-major: each comparison writes a column, contiguous here (a row-major column is strided, and a
        # million-pair chunk's three matrices were written at three to four times the cost)
        levels = np.full((n, k), NULL, dtype=np.int8, order="F")
        kept = 0 if pairs.sample else n  # u's sample keeps its levels alone
        similarities = np.full((kept if scores else 0, k), np.nan, dtype=np.float32, order="F")
        surprise = np.full((kept, k), np.nan, dtype=np.float32, order="F")
        for col, c in enumerate(self.comparisons):
            compared = KINDS[c.kind](self, c, pairs)
            levels[:, col] = compared.levels
            if kept:
                if scores:
                    similarities[:, col] = compared.scores
                if compared.surprise is not None:
                    surprise[:, col] = compared.surprise
        for bit, column in enumerate(self.cannot_columns):
            ca, cb = pairs.codes(column)
            pairs.cannot |= ((ca >= 0) & (cb >= 0) & (ca != cb)).astype(np.uint16) << (len(CANNOT_LINK_RULES) + bit)
        return Compared(levels, similarities, pairs.swapped, pairs.cannot, surprise)

    def _date_parts(self, col: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per distinct date of a feature (last: missing): the code of the date with day and month swapped,
        its year and a code of its month and day; made once per feature, not for every chunk of pairs."""
        if ("date", col) not in self._derived:
            coded = self.coded[col]
            values = pd.Series(coded.objects, dtype=object)
            eight = values.map(lambda v: isinstance(v, str) and len(v) == 8 and v.isdigit()).to_numpy(dtype=bool)
            text = values.where(eight, "00000000").astype(str)
            swapped_text = (text.str[:4] + text.str[6:8] + text.str[4:6]).where(eight)
            swap_code = np.append(pd.Index(coded.uniques).get_indexer(swapped_text.to_numpy()), -2)
            year = np.append(np.where(eight, pd.to_numeric(text.str[:4], errors="coerce").fillna(-99), -99), -99)
            month_day = np.append(np.where(eight, pd.factorize(text.str[4:])[0], -1), -2)
            self._derived["date", col] = (swap_code, year, month_day)
        return self._derived["date", col]

    def _date(self, c: Comparison, pairs: Pairs) -> tuple[np.ndarray, np.ndarray]:
        """Graded: exact, one edit (a typo), the year off by one or day and month swapped, within two
        edits, different."""
        ca, cb = pairs.codes(c.columns[0])
        dist = pair_similarity(
            ca, cb, self.coded[c.columns[0]], Levenshtein.distance, distance=True, sample=pairs.sample
        )
        swap_code, year, month_day = self._date_parts(c.columns[0])
        valid = (ca >= 0) & (cb >= 0)
        near_year = valid & (month_day[ca] == month_day[cb]) & (month_day[ca] >= 0) & (np.abs(year[ca] - year[cb]) == 1)
        swap = valid & (swap_code[ca] == cb) & (ca != cb)
        lv = np.select([dist == 0, dist <= 1, swap | near_year, dist <= 2], [4, 3, 2, 1], 0).astype(np.int8)
        lv[np.isnan(dist)] = NULL
        return lv, np.where(np.isnan(dist), np.nan, np.clip(1 - dist / 8.0, 0, 1)).astype(np.float32)

    def _area_codes(self, col: str) -> np.ndarray:
        """Per distinct postal code (last: missing), a code of its area (first three characters); made once."""
        if ("postal", col) not in self._derived:
            prefix = nz.strings(pd.Series(self.coded[col].uniques)).str.slice(0, 3)
            self._derived["postal", col] = np.append(pd.factorize(prefix)[0], -1)
        return self._derived["postal", col]

    def _email(self, c: Comparison, pairs: Pairs) -> tuple[np.ndarray, np.ndarray]:
        i, j = pairs.i, pairs.j
        col, role_col = c.columns
        ca, cb = pairs.codes(col)
        role = self.role[role_col]
        ra, rb = role[i], role[j]
        valid = (ca >= 0) & (cb >= 0)
        same = valid & (ca == cb)
        lv = np.zeros(len(i), dtype=np.int8)
        score = np.where(same, 1.0, 0.0).astype(np.float32)
        if col == "email" and "email_local" in self.coded:
            la, lb = pairs.codes("email_local")
            # u's sample reads the level alone, which asks whether the similarity reaches the threshold: a
            # cutoff a little below it (float32 rounding) spares rapidfuzz the rest of the pairs' work
            local_sim = pair_similarity(
                la,
                lb,
                self.coded["email_local"],
                JaroWinkler.normalized_similarity,
                sample=pairs.sample,
                cutoff=EMAIL_LOCAL_THRESHOLD - 0.01,
            )
            lv[local_sim >= EMAIL_LOCAL_THRESHOLD] = 2
            lv[(la >= 0) & (la == lb)] = 3
            score = np.where(same, 1.0, np.nan_to_num(local_sim, nan=0.0) * 0.9).astype(np.float32)
        named = self.role.get("email_named")
        if named is not None:
            # the same name-made local part at two domains is what namesakes have: no evidence
            # beyond the names, which are compared on their own
            lv[(lv >= 2) & ~same & (named[i] | named[j])] = NULL
        lv[same] = 4
        lv[same & ra & rb] = 1
        either_role = (ra | rb) & ~same
        lv[~valid | either_role] = NULL
        score[~valid | either_role] = np.nan
        return lv, score

    def _phone(self, c: Comparison, pairs: Pairs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Same number (in any of the phone fields of either record) or different; the rarer the shared
        number among the table's records, the more it weighs (a switchboard weighs little)."""
        n = len(pairs.i)
        has_a = np.zeros(n, dtype=bool)
        has_b = np.zeros(n, dtype=bool)
        same = np.zeros(n, dtype=bool)
        table = self.surprise.get(tf_feature(c))
        best = np.full(n, np.nan, dtype=np.float32)
        for x in c.columns:
            ca = pairs.codes(x)[0]
            has_a |= ca >= 0
            has_b |= pairs.codes(x)[1] >= 0
            for y in c.columns:
                cb = pairs.codes(y)[1]
                eq = (ca >= 0) & (ca == cb)
                same |= eq
                if table is not None:  # the shared number's surprise, read at the pairs that share it only
                    rows = np.flatnonzero(eq)
                    best[rows] = np.fmax(best[rows], table[ca[rows]])
        valid = has_a & has_b
        lv = np.where(same, 1, 0).astype(np.int8)
        lv[~valid] = NULL
        return lv, np.where(valid, lv.astype(np.float32), np.nan).astype(np.float32), best


# -- the comparison kinds ------------------------------------------------------------------------------


@dataclass
class Pairs:
    """The pairs one `Comparator.compare` call compares, and what one comparison tells the next."""

    i: np.ndarray
    j: np.ndarray
    swapped: np.ndarray
    """bool per pair: first and last names matched crosswise (set by the first name, read by the last)"""
    cannot: np.ndarray
    """uint16 cannot-link bits per pair (the e-mail comparison sets the corporate-domain rule)"""
    coded: dict[str, Coded]
    """the comparator's features, whose codes `codes` gathers"""
    last_name: tuple[np.ndarray, np.ndarray] | None = None
    """levels and scores of the last name as the first-name comparison matched it (crosswise or not)"""
    sample: bool = False
    """the pairs are u's random sample, of which the levels alone are read (see `pair_similarity`)"""
    levels_only: bool = False
    """the pairs' levels alone are read (u's sample and the candidate pairs' `Comparator.levels`): a similarity
    may read 0 where it is known to be below what would change a level (see `pair_similarity`'s `reach`)"""
    gathered: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    _same_country: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def of(
        cls, comparator: Comparator, i: np.ndarray, j: np.ndarray, sample: bool = False, levels_only: bool = False
    ) -> Pairs:
        n = len(i)
        return cls(
            i,
            j,
            np.zeros(n, dtype=bool),
            np.zeros(n, dtype=np.uint16),
            comparator.coded,
            sample=sample,
            levels_only=levels_only or sample,
        )

    def codes(self, col: str) -> tuple[np.ndarray, np.ndarray]:
        """The two records' codes of a feature (read-only), gathered once per call: several comparisons read
        the same feature (the country in every name's surprise, the first and last names crosswise, each phone
        field against every other), a gather of a million random positions each time."""
        if col not in self.gathered:
            codes = self.coded[col].codes
            ca, cb = codes[self.i], codes[self.j]
            ca.flags.writeable = cb.flags.writeable = False
            self.gathered[col] = ca, cb
        return self.gathered[col]

    def same_country(self) -> np.ndarray:
        """bool per pair: both records are of one country (the within-country surprise applies); made once."""
        if self._same_country is None:
            ca, cb = self.codes("country")
            self._same_country = (ca >= 0) & (ca == cb)
        return self._same_country


@dataclass
class FieldLevels:
    """One comparison of every pair: its level, similarity and term-frequency surprise (None: not a
    term-frequency comparison)."""

    levels: np.ndarray
    scores: np.ndarray
    surprise: np.ndarray | None = None


def _first_name(cmp: Comparator, c: Comparison, pairs: Pairs) -> FieldLevels:
    """Jaro-Winkler levels with a nickname level (the canonical first name), and first and last names
    matched crosswise when that agrees better: the better crosswise match speaks for the first name, the
    other for the last, so that (a, b) and (b, a) compare alike."""
    i, j = pairs.i, pairs.j
    sim = cmp._name("first", "first", pairs)
    lv = _cut(sim, NAME_THRESHOLDS)
    lv[lv == 3] = 4
    ca, cb = pairs.codes("first_canon")
    lv[(ca >= 0) & (ca == cb) & (lv < 3)] = 3
    swapped = pairs.swapped
    if any(other.name == "last_name" for other in cmp.comparisons):
        last = cmp._name("last", "last", pairs)
        llv = _cut(last, NAME_THRESHOLDS)
        s_fl = cmp._name("first", "last", pairs)
        # names are matched crosswise only when both crosswise pairs are at least very similar (a missing
        # one aside), so the second is scored only where the first can be: a few of the pairs
        s_lf = np.full(len(i), np.nan, dtype=np.float32)
        maybe = np.flatnonzero((s_fl >= max(NAME_THRESHOLDS)) | np.isnan(s_fl))
        s_lf[maybe] = cmp._name("last", "first", Pairs.of(cmp, i[maybe], j[maybe], pairs.sample))
        s_fl, s_lf = np.fmax(s_fl, s_lf), np.fmin(s_fl, s_lf)
        lfl, llf = _cut(s_fl, NAME_THRESHOLDS), _cut(s_lf, NAME_THRESHOLDS)
        straight = np.maximum(lv, 0) + np.maximum(llv, 0)
        cross = np.where(lfl == 3, 4, lfl) + llf
        swapped = (lfl >= 2) & (llf >= 2) & (cross > straight)
        lv = np.where(swapped, np.where(lfl == 3, 4, lfl), lv).astype(np.int8)
        sim = np.where(swapped, s_fl, sim)
        pairs.swapped = swapped
        pairs.last_name = (np.where(swapped, llf, llv).astype(np.int8), np.where(swapped, s_lf, last))
    surprise = cmp._surprise_of(c, pairs.codes("first")[0], (lv == c.top) & ~swapped, pairs)
    return FieldLevels(lv, sim, surprise)


def _last_name(cmp: Comparator, c: Comparison, pairs: Pairs) -> FieldLevels:
    """Jaro-Winkler levels, or the crosswise match the first-name comparison made."""
    if pairs.last_name is not None:
        lv, sim = pairs.last_name
    else:
        sim = cmp._name("last", "last", pairs)
        lv = _cut(sim, NAME_THRESHOLDS)
    exact = (lv == c.top) & ~pairs.swapped
    return FieldLevels(lv, sim, cmp._surprise_of(c, pairs.codes("last")[0], exact, pairs))


def _whole_name(cmp: Comparator, c: Comparison, pairs: Pairs) -> FieldLevels:
    """A full name in one field: Jaro-Winkler levels."""
    src = c.columns[0]
    sim = cmp._name(src, src, pairs)
    lv = _cut(sim, NAME_THRESHOLDS)
    return FieldLevels(lv, sim, cmp._surprise_of(c, pairs.codes(src)[0], lv == c.top, pairs))


def _text(cmp: Comparator, c: Comparison, pairs: Pairs) -> FieldLevels:
    """Token-set ratio levels; exact only when the values are equal. A company name also by the ratio of
    the names without their spaces, and at 'different' when the names hold other numbers."""
    ca, cb = pairs.codes(c.columns[0])
    values = ValuePairs.of(ca, cb)
    text = cmp.coded[c.columns[0]]
    # where the levels alone are read, a pair below the lowest threshold need not be scored in full
    lowest = 100.0 * min(TEXT_THRESHOLDS) - 1.0 if pairs.levels_only else None
    sim = pair_similarity(
        ca, cb, text, fuzz.token_set_ratio, values=values, sample=pairs.sample, reach=lowest
    ) / np.float32(100.0)
    if c.kind == "company":
        # word breaks in company names are unreliable: "Hitachiglobal Storage", "DSMIP Assets",
        # "Gloeilamphen Fabrieken" are the same names with a space lost or added. Where the levels alone are
        # read, the names without spaces are scored only where they could lift the token-set ratio's level
        reach = reach_above(sim, TEXT_THRESHOLDS) if pairs.levels_only else None
        compact = pair_similarity(
            ca, cb, cmp._compact(c.columns[0]), fuzz.ratio, values=values, sample=pairs.sample, reach=reach
        )
        sim = np.fmax(sim, compact / 100.0)
    lv = _cut(np.where(np.isnan(sim) | (ca == cb), sim, np.minimum(sim, 0.999)), TEXT_THRESHOLDS)
    if c.kind == "company":
        lv[cmp.other_numbers(c, pairs) & (lv > 0)] = 0
    return FieldLevels(lv, sim, cmp._surprise_of(c, ca, lv == c.top, pairs))


def _email(cmp: Comparator, c: Comparison, pairs: Pairs) -> FieldLevels:
    """See `Comparator._email`; two different addresses at one corporate domain are a cannot-link rule."""
    lv, sim = cmp._email(c, pairs)
    surprise = cmp._surprise_of(c, pairs.codes(c.columns[0])[0], lv == c.top)
    if c.columns[0] == "email" and cmp.free_domain is not None:
        da, db = pairs.codes("email_domain")
        corporate = (da >= 0) & (da == db) & ~cmp.free_domain[da]
        pairs.cannot |= ((lv == 0) & corporate).astype(np.uint16) << 0
    return FieldLevels(lv, sim, surprise)


def _phone(cmp: Comparator, c: Comparison, pairs: Pairs) -> FieldLevels:
    return FieldLevels(*cmp._phone(c, pairs))


def _exact(cmp: Comparator, c: Comparison, pairs: Pairs) -> FieldLevels:
    """Same or different (ids, domains, extra fields compared exactly)."""
    ca, cb = pairs.codes(c.columns[0])
    valid = (ca >= 0) & (cb >= 0)
    same = valid & (ca == cb)
    lv = np.where(valid, same.astype(np.int8), NULL)
    return FieldLevels(lv, np.where(valid, same.astype(np.float32), np.nan), cmp._surprise_of(c, ca, same))


def _postal(cmp: Comparator, c: Comparison, pairs: Pairs) -> FieldLevels:
    """Exact, the same area (first three characters), different."""
    ca, cb = pairs.codes(c.columns[0])
    pcodes = cmp._area_codes(c.columns[0])
    valid = (ca >= 0) & (cb >= 0)
    lv = np.where(ca == cb, 2, np.where(pcodes[ca] == pcodes[cb], 1, 0)).astype(np.int8)
    return FieldLevels(
        np.where(valid, lv, NULL), np.where(valid, lv / 2.0, np.nan), cmp._surprise_of(c, ca, valid & (ca == cb))
    )


def _date(cmp: Comparator, c: Comparison, pairs: Pairs) -> FieldLevels:
    lv, sim = cmp._date(c, pairs)
    return FieldLevels(lv, sim, cmp._surprise_of(c, pairs.codes(c.columns[0])[0], lv == c.top))


def _number(cmp: Comparator, c: Comparison, pairs: Pairs) -> FieldLevels:
    """Equal, within 10% of the larger, different."""
    ca, cb = pairs.codes(c.columns[0])
    uniq = cmp.coded[c.columns[0]].uniques
    nums = np.append(pd.to_numeric(pd.Series(uniq, dtype=object), errors="coerce").to_numpy(float), np.nan)
    a, b = nums[ca], nums[cb]
    valid = (ca >= 0) & (cb >= 0) & ~np.isnan(a) & ~np.isnan(b)
    scale = np.maximum(np.abs(a), np.abs(b))
    close = np.abs(a - b) <= 0.1 * np.where(scale == 0, 1, scale)
    lv = np.where(a == b, 2, np.where(close, 1, 0)).astype(np.int8)
    return FieldLevels(np.where(valid, lv, NULL), np.where(valid, lv / 2.0, np.nan))


KINDS: dict[str, Callable[[Comparator, Comparison, Pairs], FieldLevels]] = {
    "person_first": _first_name,
    "person_last": _last_name,
    "name": _whole_name,
    "text": _text,
    "company": _text,
    "email": _email,
    "phone": _phone,
    "exact": _exact,
    "domain": _exact,
    "postal": _postal,
    "date": _date,
    "number": _number,
}
"""How each kind of comparison (`features.LEVEL_LABELS` names its levels) compares pairs: a new kind is one
function here and its labels there."""
