"""First and last names matched crosswise (Anna Kowalska / Kowalska Anna): the second crosswise similarity
is scored only for the pairs whose first one lets them be swapped, and every level, score and swap is what
scoring both for every pair gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.dedupe.compare import NAME_THRESHOLDS, Comparator, Pairs, _cut
from auditor.dedupe.features import prepare

NAMES = st.sampled_from(["Anna", "Anne", "Kowalska", "Kowalski", "Jan", "Jana", "Nowak", "Nowack", "Ewa", None])


def _comparator(first: list[str | None], last: list[str | None]) -> Comparator:
    frame = pd.DataFrame({"contact_id": [f"C{k}" for k in range(len(first))], "first_name": first, "last_name": last})
    return Comparator(prepare(frame, "contacts"))


def _all_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    i, j = np.triu_indices(n, 1)
    return i.astype(np.int64), j.astype(np.int64)


def test_the_second_crosswise_similarity_is_scored_only_where_a_swap_is_possible() -> None:
    first = ["Anna", "Kowalska", "Jan", "Ewa", "Piotr", None]
    last = ["Kowalska", "Anna", "Nowak", "Lis", "Zielinski", "Kowalska"]
    comparator = _comparator(first, last)
    asked: list[tuple[str, str, int]] = []
    name = comparator._name

    def recorded(col_a: str, col_b: str, pairs: Pairs) -> np.ndarray:
        asked.append((col_a, col_b, len(pairs.i)))
        return name(col_a, col_b, pairs)

    comparator._name = recorded  # type: ignore[method-assign]
    i, j = _all_pairs(len(first))
    compared = comparator.compare(i, j)
    assert [n for a, b, n in asked if (a, b) == ("first", "last")] == [len(i)]
    # the first name of one is the other's last name: Anna Kowalska / Kowalska Anna, Kowalska Anna / _ Kowalska
    assert [n for a, b, n in asked if (a, b) == ("last", "first")] == [2]
    assert (
        np.flatnonzero(compared.swapped).tolist()
        == np.flatnonzero(((i == 0) & (j == 1)) | ((i == 1) & (j == 5))).tolist()
    )


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(NAMES, NAMES), min_size=2, max_size=10))
def test_oracle_levels_scores_and_swaps_as_both_crosswise_similarities_for_every_pair_give(
    names: list[tuple[str | None, str | None]],
) -> None:
    """Oracle test (it holds on the code before the change too): the crosswise rule applied to both
    similarities of every pair, as the comparison did before it scored the second one for a few pairs."""
    comparator = _comparator([f for f, _ in names], [last for _, last in names])
    i, j = _all_pairs(len(names))
    compared = comparator.compare(i, j)
    k_first = next(k for k, c in enumerate(comparator.comparisons) if c.name == "first_name")
    k_last = next(k for k, c in enumerate(comparator.comparisons) if c.name == "last_name")

    pairs = Pairs.of(comparator, i, j)
    sim = comparator._name("first", "first", pairs)
    lv = _cut(sim, NAME_THRESHOLDS)
    lv[lv == 3] = 4
    ca, cb = pairs.codes("first_canon")
    lv[(ca >= 0) & (ca == cb) & (lv < 3)] = 3
    last = comparator._name("last", "last", pairs)
    llv = _cut(last, NAME_THRESHOLDS)
    s_fl, s_lf = comparator._name("first", "last", pairs), comparator._name("last", "first", pairs)
    s_fl, s_lf = np.fmax(s_fl, s_lf), np.fmin(s_fl, s_lf)
    lfl, llf = _cut(s_fl, NAME_THRESHOLDS), _cut(s_lf, NAME_THRESHOLDS)
    cross = np.where(lfl == 3, 4, lfl) + llf
    swapped = (lfl >= 2) & (llf >= 2) & (cross > np.maximum(lv, 0) + np.maximum(llv, 0))

    np.testing.assert_array_equal(compared.swapped, swapped)
    np.testing.assert_array_equal(compared.levels[:, k_first], np.where(swapped, np.where(lfl == 3, 4, lfl), lv))
    np.testing.assert_array_equal(compared.levels[:, k_last], np.where(swapped, llf, llv))
    np.testing.assert_array_equal(compared.scores[:, k_first], np.where(swapped, s_fl, sim))
    np.testing.assert_array_equal(compared.scores[:, k_last], np.where(swapped, s_lf, last))
