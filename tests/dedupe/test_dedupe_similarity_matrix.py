"""A small vocabulary's similarities as one matrix: made once per scorer when a call asks for enough pairs
(the 200,000 random pairs of a table of a few thousand records), and equal to scoring each pair alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler, Levenshtein

from auditor.dedupe.compare import Coded, pair_similarity

SCORERS = (JaroWinkler.normalized_similarity, fuzz.ratio, Levenshtein.distance, fuzz.token_set_ratio)
WORDS = st.text(alphabet="abcdeéł ", min_size=0, max_size=12)


def _coded(words: list[str]) -> Coded:
    codes, uniques = pd.factorize(pd.Series(words, dtype="string[pyarrow]"))
    return Coded(codes.astype(np.int32), uniques)


def test_a_call_with_enough_pairs_makes_the_matrix_once_and_a_small_one_does_not() -> None:
    coded = _coded(["anna", "anne", "jan", "janek", "ewa", "ewelina"])
    few = np.array([0, 2], dtype=np.int32), np.array([1, 3], dtype=np.int32)
    pair_similarity(*few, coded, JaroWinkler.normalized_similarity)
    assert coded.matrices == {}
    rng = np.random.default_rng(0)
    i, j = rng.integers(0, 6, 200).astype(np.int32), rng.integers(0, 6, 200).astype(np.int32)
    pair_similarity(i, j, coded, JaroWinkler.normalized_similarity)
    made = coded.matrices[JaroWinkler.normalized_similarity]
    assert made.shape == (6, 6)
    pair_similarity(*few, coded, JaroWinkler.normalized_similarity)  # a later small call reads it
    assert coded.matrices[JaroWinkler.normalized_similarity] is made


@settings(max_examples=40, deadline=None)
@given(st.lists(WORDS, min_size=2, max_size=30), st.sampled_from(SCORERS))
def test_oracle_each_pair_scored_alone(words: list[str], scorer) -> None:
    """Oracle test (it holds on the code before the matrix too): whichever way a call goes, every pair of
    two different values gets rapidfuzz's score of the two, and a pair with a missing value NaN."""
    words = [w or None for w in words]
    coded = _coded(words)
    rng = np.random.default_rng(len(words))
    i, j = rng.integers(0, len(words), 400), rng.integers(0, len(words), 400)
    distance = scorer is Levenshtein.distance
    got = pair_similarity(coded.codes[i], coded.codes[j], coded, scorer, distance=distance)
    alone = process.cpdist(
        [words[k] or "" for k in i], [words[k] or "" for k in j], scorer=scorer, dtype=np.float32, workers=1
    )
    missing = np.array([words[a] is None or words[b] is None for a, b in zip(i, j, strict=True)])
    differ = ~missing & np.array([words[a] != words[b] for a, b in zip(i, j, strict=True)])
    np.testing.assert_array_equal(got[differ], alone[differ])
    assert np.isnan(got[missing]).all()
