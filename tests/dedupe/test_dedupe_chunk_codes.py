"""A chunk of pairs reads each feature's codes once: gathered once per `Comparator.compare` call however many
comparisons read them, the distinct pairs of a company name's values hashed once for both its scorers, and
the term-frequency surprise looked up for the exact pairs only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditor.dedupe import compare
from auditor.dedupe.compare import Comparator
from auditor.dedupe.features import prepare


class _Gathers(np.ndarray):
    """Codes that count how often they are gathered at an array of positions, and how many positions."""

    count = 0
    positions = 0

    def __getitem__(self, key):
        if isinstance(key, np.ndarray) and key.dtype.kind in "iu":
            _Gathers.count += 1
            _Gathers.positions += len(key)
        return np.asarray(super().__getitem__(key))


def test_the_country_is_gathered_once_a_side_though_every_name_reads_it() -> None:
    """Fails on the code before: the country was gathered for the first and last names' and the city's
    within-country surprise and for its own comparison (eight gathers a call)."""
    n = 40
    frame = pd.DataFrame(
        {
            "contact_id": [f"C{k}" for k in range(n)],
            "first_name": [("Anna", "Jan", "Ewa", "Piotr")[k % 4] for k in range(n)],
            "last_name": [("Nowak", "Kowalska", "Lis")[k % 3] for k in range(n)],
            "city": [("Warszawa", "Gdansk")[k % 2] for k in range(n)],
            "country": [("PL", "DE", "PL", "FR", "PL")[k % 5] for k in range(n)],
        }
    )
    comparator = Comparator(prepare(frame, "contacts"))
    assert comparator.country_surprise, "the names are counted per country"
    coded = comparator.coded["country"]
    coded.codes = comparator.country = coded.codes.view(_Gathers)
    i, j = np.triu_indices(n, 1)
    _Gathers.count = 0
    comparator.compare(i, j)
    assert _Gathers.count == 2


def test_a_company_names_value_pairs_are_hashed_once_for_both_its_scorers(monkeypatch) -> None:
    """Fails on the code before: the token-set ratio and the ratio without spaces each factorized the same
    million value-pair keys of a chunk."""
    names = [f"{word} {k} holding" for k in range(100) for word in ("acme", "globex")]
    frame = pd.DataFrame({"account_id": [f"A{k}" for k in range(len(names))], "name": names})
    comparator = Comparator(prepare(frame, "accounts"))
    rng = np.random.default_rng(3)
    i, j = rng.integers(0, len(names), 500), rng.integers(0, len(names), 500)
    hashed: list[int] = []
    factorize = pd.factorize

    def counting(values, *args, **kwargs):
        hashed.append(len(values))
        return factorize(values, *args, **kwargs)

    monkeypatch.setattr(compare.pd, "factorize", counting)
    compared = comparator.compare(i, j)
    assert len(hashed) == 1 and hashed[0] == int((i != j).sum())
    k = next(k for k, c in enumerate(comparator.comparisons) if c.kind == "company")
    assert not np.isnan(compared.scores[i != j, k]).any()


def test_the_surprise_of_a_shared_value_is_looked_up_for_the_exact_pairs_only() -> None:
    """Fails on the code before: every pair's surprise was looked up, then all but the exact pairs' dropped."""
    n = 60
    frame = pd.DataFrame(
        {
            "contact_id": [f"C{k}" for k in range(n)],
            "first_name": [chr(97 + k % 26) * 3 + "ra" for k in range(n)],
            "last_name": [chr(97 + k % 13) * 4 + "ski" for k in range(n)],
        }
    )
    comparator = Comparator(prepare(frame, "contacts"))
    comparator.surprise["first"] = comparator.surprise["first"].view(_Gathers)
    i, j = np.triu_indices(n, 1)
    _Gathers.positions = 0
    compared = comparator.compare(i, j)
    k = next(k for k, c in enumerate(comparator.comparisons) if c.name == "first_name")
    exact = int((compared.levels[:, k] == comparator.comparisons[k].top).sum())
    assert 0 < exact < len(i) and _Gathers.positions == exact


def test_a_shared_phones_surprise_is_looked_up_at_the_pairs_that_share_it_only() -> None:
    """Fails on the code before: every pair's surprise was looked up for each pair of phone fields."""
    n = 50
    frame = pd.DataFrame(
        {
            "contact_id": [f"C{k}" for k in range(n)],
            "first_name": ["Anna"] * n,
            "phone": [f"+48 600 100 {k % 20:03d}" for k in range(n)],
        }
    )
    comparator = Comparator(prepare(frame, "contacts"))
    name = next(c for c in comparator.comparisons if c.kind == "phone").columns[0]
    comparator.surprise[name] = comparator.surprise[name].view(_Gathers)
    i, j = np.triu_indices(n, 1)
    _Gathers.positions = 0
    compared = comparator.compare(i, j)
    k = next(k for k, c in enumerate(comparator.comparisons) if c.kind == "phone")
    shared = int((compared.levels[:, k] == 1).sum())
    assert 0 < shared < len(i) and _Gathers.positions == shared


def test_the_candidate_pairs_levels_keep_no_similarities(monkeypatch) -> None:
    """Fails on the code before: `levels` kept each chunk's similarities in a matrix and let it go. Its levels,
    cannot-link bits and surprises are those of `compare` (an oracle of the same pairs)."""
    n = 30
    frame = pd.DataFrame(
        {
            "contact_id": [f"C{k}" for k in range(n)],
            "first_name": [("Anna", "Anne", "Jan", "Ewa")[k % 4] for k in range(n)],
            "last_name": [("Nowak", "Nowack", "Lis")[k % 3] for k in range(n)],
            "email": [f"{('anna', 'jan')[k % 2]}.{k % 5}@acme.com" for k in range(n)],
            "country": [("PL", "DE")[k % 2] for k in range(n)],
        }
    )
    comparator = Comparator(prepare(frame, "contacts"))
    i, j = np.triu_indices(n, 1)
    whole = comparator.compare(i, j)
    kept: list[tuple[int, ...]] = []
    made = compare.Compared
    monkeypatch.setattr(
        compare, "Compared", lambda levels, scores, *rest: kept.append(scores.shape) or made(levels, scores, *rest)
    )
    levels, cannot, surprise = comparator.levels(i, j, chunk=100)
    assert kept == [(0, len(comparator.comparisons))] * 5
    np.testing.assert_array_equal(levels, whole.levels)
    np.testing.assert_array_equal(cannot, whole.cannot)
    np.testing.assert_array_equal(surprise, whole.surprise.astype(np.float16))
