"""The candidate pairs' levels (`Comparator.levels`) and u's sample read a text's similarity only as its level:
a pair that the letters of its two values show below what would change a level is not scored
(`pair_similarity`'s `reach`): a company name's ratio without spaces where the token-set ratio's level stands,
and the token-set ratio of two values that share no word where it is below the lowest threshold. Every level
equals `compare`'s."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from auditor.dedupe import compare
from auditor.dedupe.compare import TEXT_THRESHOLDS, Comparator, reach_above
from auditor.dedupe.features import prepare
from auditor.dedupe.word_sets import Indel

WORDS = ("Kowalski", "Nowak", "Budownictwo", "Trans", "Polska", "Handel", "Kowalsky", "Nowakowski", "1", "22")
FORMS = ("Sp. z o.o.", "S.A.", "sp.k.", "GmbH", "", "Inc")
STREETS = ("ul. Długa 5", "Długa 5 m. 3", "Main Street 12", "Main St 12", "Rue de la Paix 1", "", "12 Main")


def _accounts(rng: np.random.Generator, n: int) -> pd.DataFrame:
    names = [
        " ".join(rng.choice(WORDS, rng.integers(1, 4))) + " " + rng.choice(FORMS) if k % 9 else "" for k in range(n)
    ]
    return pd.DataFrame(
        {
            "account_id": [f"A{k}" for k in range(n)],
            "name": names,
            "street": rng.choice(STREETS, n),
            "city": rng.choice(("Warszawa", "Kraków", ""), n),
            "country": rng.choice(("PL", "DE", ""), n),
        }
    )


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(5, 150))
def test_oracle_candidate_levels_equal_compares_levels(seed: int, n: int) -> None:
    """Oracle test (`compare`, which scores every pair in full, holds on the code before too): the levels of the
    candidate pairs, chunk by chunk, and of u's sample are `compare`'s."""
    rng = np.random.default_rng(seed)
    prepared = prepare(_accounts(rng, n), "accounts")
    i, j = rng.integers(0, n, 400), rng.integers(0, n, 400)
    expected = Comparator(prepared).compare(i, j).levels
    levels, _, _ = Comparator(prepared).levels(i, j, chunk=97)
    np.testing.assert_array_equal(levels, expected)
    np.testing.assert_array_equal(Comparator(prepared).sample_levels(i, j), expected)


def test_reach_is_one_point_below_the_next_threshold() -> None:
    sim = np.array([0.95, 0.9, 0.89, 0.7, 0.69, 0.0, np.nan], dtype=np.float32)
    np.testing.assert_array_equal(reach_above(sim, TEXT_THRESHOLDS), [np.inf, np.inf, 89, 89, 69, 69, 69])


def test_candidate_levels_score_fewer_pairs_of_names_without_spaces(monkeypatch) -> None:
    """Fails on the code before: every distinct pair of company names was scored without its spaces too, also
    where the token-set ratio's level stands whatever that score is (at a million contacts' accounts, 93% of the
    pairs); and the token-set ratio of values that share no word was scored for pairs far below the threshold."""
    rng = np.random.default_rng(3)
    prepared = prepare(_accounts(rng, 300), "accounts")
    i, j = rng.integers(0, 300, 3000), rng.integers(0, 300, 3000)
    scored: dict[object, int] = {}
    real = process.cpdist

    def counting(a, b, *, scorer, **kwargs):
        scored[scorer] = scored.get(scorer, 0) + len(a)
        return real(a, b, scorer=scorer, **kwargs)

    monkeypatch.setattr(compare.process, "cpdist", counting)
    monkeypatch.setattr("auditor.dedupe.word_sets.process.cpdist", counting)
    monkeypatch.setattr(compare, "MATRIX_CELLS", 0)  # pairs scored one by one, not a vocabulary's matrix
    Comparator(prepared).compare(i, j)
    full = dict(scored)
    scored.clear()
    Comparator(prepared).levels(i, j)
    assert scored[fuzz.ratio] < full[fuzz.ratio] / 2
    assert scored.get(Indel.distance, 0) < full[Indel.distance]
