"""The token-set ratio of pairs whose words are disjoint, from each value's sorted words made once
(`auditor.dedupe.word_sets`): rapidfuzz's score of every pair, and rapidfuzz asked only for the others."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from auditor.dedupe import word_sets as ws
from auditor.dedupe.compare import Coded, pair_similarity

# words of a few letters (accented and not) between separators of every kind rapidfuzz and Python know
TEXTS = st.text(alphabet="abcé ł\xa0\x85\t\u3000", min_size=0, max_size=14)


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXTS, min_size=2, max_size=40, unique=True), st.integers(0, 2**32 - 1))
def test_oracle_every_pair_scored_as_rapidfuzz_scores_it(values: list[str], seed: int) -> None:
    """Oracle test: each pair's score is rapidfuzz's token_set_ratio of its two texts, bit for bit (float32),
    whether its words are disjoint (repeats, order, leading, trailing and double spaces) or not, and whatever
    the separators (U+00A0 and U+0085 split words in Python, not in rapidfuzz)."""
    rng = np.random.default_rng(seed)
    left, right = rng.integers(0, len(values), 300), rng.integers(0, len(values), 300)
    words = ws.word_sets(pa.array(values, type=pa.large_string()))
    got = ws.token_set_ratios(
        words, left, right, lambda at: [values[k] for k in at], lambda at: words.joined[at].tolist()
    )
    expected = process.cpdist(
        [values[k] for k in left], [values[k] for k in right], scorer=fuzz.token_set_ratio, dtype=np.float32
    )
    np.testing.assert_array_equal(got, expected)


def test_oracle_separators_hold_every_character_rapidfuzz_splits_words_at() -> None:
    """Oracle test of the premise of splitting a value at its single spaces only: any other character
    rapidfuzz or Python splits words at is in SEPARATORS (a value holding one is left to rapidfuzz). The Basic
    Multilingual Plane (no white space lies beyond it), scanned in a tenth of a second."""
    points = [c for c in range(0x10000) if not 0xD800 <= c < 0xE000]
    scores = process.cpdist([f"a{chr(c)}b" for c in points], ["a"] * len(points), scorer=fuzz.token_set_ratio)
    split_by_rapidfuzz = {chr(c) for c, score in zip(points, scores, strict=True) if score == 100}
    assert split_by_rapidfuzz <= set(ws.SEPARATORS)
    assert set(ws.SEPARATORS) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


def test_pairs_without_a_shared_word_are_not_split_into_words_by_rapidfuzz(monkeypatch) -> None:
    """Fails on the code before word_sets: every distinct pair went to rapidfuzz's token_set_ratio."""
    streets = [f"{n} {name} {kind}" for n in range(12) for name in ("oak", "elm", "main") for kind in ("st", "ave")]
    codes, uniques = pd.factorize(pd.Series(streets, dtype="string[pyarrow]"))
    coded = Coded(codes.astype(np.int32), uniques)
    rng = np.random.default_rng(7)
    i, j = rng.integers(0, len(streets), 60), rng.integers(0, len(streets), 60)
    asked: list[int] = []
    cpdist = process.cpdist

    def counting(a, b, *, scorer, **kwargs):
        if scorer is fuzz.token_set_ratio:
            asked.append(len(a))
        return cpdist(a, b, scorer=scorer, **kwargs)

    monkeypatch.setattr(process, "cpdist", counting)
    got = pair_similarity(codes[i].astype(np.int32), codes[j].astype(np.int32), coded, fuzz.token_set_ratio)
    disjoint = [not set(streets[a].split()) & set(streets[b].split()) for a, b in zip(i, j, strict=True)]
    assert any(disjoint)
    assert sum(asked) <= len(i) - sum(disjoint)
    expected = cpdist([streets[a] for a in i], [streets[b] for b in j], scorer=fuzz.token_set_ratio, dtype=np.float32)
    np.testing.assert_array_equal(got[i != j], expected[i != j])


# values of a few words of a small vocabulary, so that most pairs share some: one within the other, the same words
# repeated or reordered, more words than `SHARED_WORDS_UP_TO`, and now and then a separator rapidfuzz splits alike
WORD_TEXTS = st.lists(
    st.sampled_from(("ul", "nowa", "nowak", "kowalski", "a", "b", "12", "12a", "łódź", "trans", "polska", "ab")),
    min_size=0,
    max_size=8,  # beyond SHARED_WORDS_UP_TO
).flatmap(lambda words: st.sampled_from((" ", " ", " ", "  ", "\t")).map(lambda sep: sep.join(words)))


def _coded(values: list[str]) -> tuple[ws.WordSets, Coded]:
    words = ws.word_sets(pa.array(values, type=pa.large_string()))
    return words, Coded(np.empty(0, np.int32), words.joined)


@settings(max_examples=80, deadline=None)
@given(st.lists(WORD_TEXTS, min_size=2, max_size=40, unique=True), st.integers(0, 2**32 - 1), st.floats(0, 101))
def test_oracle_pairs_sharing_words_scored_as_rapidfuzz_scores_them(values: list[str], seed: int, reach: float) -> None:
    """Oracle test: pairs that share words (most of these), scored from their shared words' lengths where those
    settle the score, are rapidfuzz's token_set_ratio bit for bit (float32); with a `reach`, a pair reads 0 only
    where rapidfuzz scores it below, and every other pair reads rapidfuzz's score."""
    rng = np.random.default_rng(seed)
    left, right = rng.integers(0, len(values), 300), rng.integers(0, len(values), 300)
    expected = process.cpdist(
        [values[k] for k in left], [values[k] for k in right], scorer=fuzz.token_set_ratio, dtype=np.float32
    )
    words, joined = _coded(values)

    def texts(at: np.ndarray) -> list[str]:
        return [values[k] for k in at]

    exact = ws.token_set_ratios(words, left, right, texts, joined.values, joined.shared_letters)
    np.testing.assert_array_equal(exact, expected)
    got = ws.token_set_ratios(words, left, right, texts, joined.values, joined.shared_letters, reach)
    zero = (got == 0) & (expected != 0)
    assert (expected[zero] < reach).all()
    np.testing.assert_array_equal(got[~zero], expected[~zero])


def test_pairs_whose_shared_words_settle_the_score_are_not_scored_by_rapidfuzz(monkeypatch) -> None:
    """Fails on the code before: every pair whose words may meet went to rapidfuzz's token_set_ratio. Here one
    name's words hold the other's (100), or the shared words outweigh what the others could add, or (with a
    reach) the two names' other words share too few letters: none is asked of rapidfuzz."""
    names = ["kowalski trans", "kowalski", "kowalski trans polska", "nowak budownictwo", "nowak przemyslowy"]
    codes, uniques = pd.factorize(pd.Series(names, dtype="string[pyarrow]"))
    coded = Coded(codes.astype(np.int32), uniques)
    i, j = np.array([0, 0, 1, 3], dtype=np.int32), np.array([1, 2, 2, 4], dtype=np.int32)
    asked: list[int] = []
    cpdist = process.cpdist

    def counting(a, b, *, scorer, **kwargs):
        asked.append(len(a))
        return cpdist(a, b, scorer=scorer, **kwargs)

    monkeypatch.setattr(process, "cpdist", counting)
    got = pair_similarity(i, j, coded, fuzz.token_set_ratio, reach=69.0)
    assert asked == []
    expected = cpdist([names[a] for a in i], [names[b] for b in j], scorer=fuzz.token_set_ratio)
    np.testing.assert_array_equal(got[:3], expected[:3])
    assert got[3] == 0 and expected[3] < 69
