"""A feature's distinct values as the scorers get them: Python strings made once for a vocabulary that a
call asks for in full, and equal to the Arrow values either way."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import JaroWinkler

from auditor.dedupe.compare import Coded, Comparator, pair_similarity
from auditor.dedupe.features import prepare


def _coded(words: list[str]) -> Coded:
    codes, uniques = pd.factorize(pd.Series(words, dtype="string[pyarrow]"))
    return Coded(codes.astype(np.int32), uniques)


def test_a_small_call_converts_only_its_values_and_a_full_one_the_vocabulary_once() -> None:
    coded = _coded(["anna", "jan", "piotr", "ewa"])
    assert coded.values(np.array([2, 0])) == ["piotr", "anna"]
    assert coded._objects is None
    assert coded.values(np.array([3, 3, 1, 0])) == ["ewa", "ewa", "jan", "anna"]
    made = coded._objects
    assert made is not None and made.tolist() == ["anna", "jan", "piotr", "ewa"]
    coded.values(np.array([1]))
    assert coded._objects is made


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["anna", "anne", "jan", "janek", "żaneta", "zaneta", "ewa"]), min_size=2, max_size=40))
def test_similarities_are_the_same_from_a_coded_feature_and_from_its_values(words: list[str]) -> None:
    coded = _coded(words)
    rng = np.random.default_rng(len(words))
    i, j = rng.integers(0, len(words), 60), rng.integers(0, len(words), 60)
    plain = np.asarray(coded.uniques, dtype=object)
    expected = pair_similarity(coded.codes[i], coded.codes[j], plain, JaroWinkler.normalized_similarity)
    got = pair_similarity(coded.codes[i], coded.codes[j], coded, JaroWinkler.normalized_similarity)
    np.testing.assert_array_equal(got, expected)


def test_what_a_date_or_postal_comparison_reads_of_each_value_is_made_once_per_feature() -> None:
    """The swapped dates, years and areas of a feature's distinct values are made on the first comparison and
    read by every later one (each chunk of a million pairs made them again)."""
    frame = pd.DataFrame(
        {
            "first_name": ["Anna", "Anna", "Jan"],
            "last_name": ["Nowak", "Nowak", "Kos"],
            "birth_date": ["1980-02-03", "1980-03-02", "1981-02-03"],
            "postal_code": ["31-675", "31-600", "00-950"],
        }
    )
    comparator = Comparator(prepare(frame, "contacts"))
    i, j = np.array([0, 0, 1]), np.array([1, 2, 2])
    first = comparator.compare(i, j).levels
    made = dict(comparator._derived)
    assert {kind for kind, _ in made} == {"date", "postal"}
    again = comparator.compare(i, j).levels
    np.testing.assert_array_equal(first, again)
    assert all(comparator._derived[key] is value for key, value in made.items())
