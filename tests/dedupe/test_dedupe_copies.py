"""Records entered several times, identical in every compared field: one cluster however many copies there
are and however common their values, and nothing more than that rule (a name alone, or a field one of the
two records lacks, leaves the pair to the model)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_dedupe_engine import T, _background

from auditor.dedupe import DedupeSettings, find_duplicates
from auditor.dedupe.compare import Comparator
from auditor.dedupe.features import prepare


def _copies(n: int, **values: str) -> pd.DataFrame:
    return pd.DataFrame({"contact_id": [f"K{k:04d}" for k in range(n)], **{k: [v] * n for k, v in values.items()}})


ANNA = {"first_name": "Anna", "last_name": "Kowalska", "email": "anna.k@example.com", "phone": "+48 601 234 567"}


@pytest.mark.parametrize("n", [2, 51, 400])
def test_a_table_of_nothing_but_copies_is_one_cluster(n: int) -> None:
    # every record holds every value: term-frequency weights are 0 bits, yet the copies are one record
    result = find_duplicates({"contacts": T("contacts", _copies(n, **ANNA, company="Acme"))}, entities=("contacts",))
    clusters = result.clusters
    assert len(clusters) == n and clusters["cluster_id"].nunique() == 1
    assert set(clusters["band"]) == {"auto_merge"} and clusters["is_master"].sum() == 1
    pair = result.pairs.iloc[0]
    assert pair["match_probability"] == 1.0 and "one record entered twice" in pair["evidence"]


def test_copies_among_other_records_stay_one_cluster_beyond_the_cluster_size_guard() -> None:
    frame = pd.concat([_background(), _copies(80, **ANNA, country="PL")], ignore_index=True)
    settings = DedupeSettings(max_cluster_size=50)
    clusters = find_duplicates({"contacts": T("contacts", frame)}, entities=("contacts",), settings=settings).clusters
    mine = clusters[clusters["record_id"].str.startswith("K")]
    assert len(mine) == 80 and mine["cluster_id"].nunique() == 1
    assert not clusters[clusters["cluster_id"] == mine["cluster_id"].iloc[0]]["record_id"].str.startswith("B").any()


def _copy_flags(frame: pd.DataFrame) -> np.ndarray:
    prepared = prepare(frame, "contacts")
    return Comparator(prepared).copies(np.zeros(len(frame) - 1, dtype=np.int64), np.arange(1, len(frame)))


def test_only_full_identity_on_two_pieces_of_evidence_is_a_copy() -> None:
    frame = pd.DataFrame(
        {
            "contact_id": ["A", "same", "no phone", "other phone", "name only 1"],
            "first_name": ["Anna"] * 5,
            "last_name": ["Kowalska"] * 5,
            "email": ["anna.k@example.com"] * 4 + [None],
            "phone": ["+48 601 234 567", "+48601234567", None, "+48 601 234 568", None],
        }
    )
    # against record A: the same values (a phone written otherwise is the same number), a phone that only
    # A holds, a different phone, and a record holding only the name
    assert _copy_flags(frame).tolist() == [True, False, False, False]
    names_only = pd.DataFrame({"contact_id": ["A", "B"], "first_name": ["Jan"] * 2, "last_name": ["Nowak"] * 2})
    # one piece of evidence (a first and a last name are one), however identical: the model decides
    assert _copy_flags(names_only).tolist() == [False]


def test_copies_in_an_oversized_block_cost_one_pair_each_and_the_common_value_is_named() -> None:
    frame = pd.concat([_background(), _copies(1000, **ANNA, country="PL")], ignore_index=True)
    result = find_duplicates({"contacts": T("contacts", frame)}, entities=("contacts",))
    pairs = result.pairs
    mine = pairs[pairs["id_a"].str.startswith("K") & pairs["id_b"].str.startswith("K")]
    # a star around the first copy, not a window of neighbours around each
    assert len(mine) == 999 and mine["id_a"].nunique() == 1
    warnings = result.stats["contacts"]["warnings"]
    assert any(
        w.startswith("blocking on email: 1 value held by more than 25 records (the most common by 1,000)")
        for w in warnings
    )


def test_oracle_copies_equal_every_compared_column_pair_by_pair() -> None:
    """The copies read from per-record profiles equal the column-by-column definition: every compared code
    equal in both records, values of two pieces of evidence in the first."""
    rng = np.random.default_rng(11)
    frame = pd.concat([_background(60), _copies(5, **ANNA, country="PL"), _copies(4, **ANNA)], ignore_index=True)
    frame.loc[rng.random(len(frame)) < 0.2, "phone"] = None
    frame.loc[rng.random(len(frame)) < 0.1, "email"] = None
    comparator = Comparator(prepare(frame, "contacts"))
    i, j = np.triu_indices(len(frame), 1)
    same = np.ones(len(i), dtype=bool)
    held: dict[str, np.ndarray] = {}
    for c in comparator.comparisons:
        for col in (col for col in c.columns if col in comparator.coded):
            codes = comparator.coded[col].codes
            same &= codes[i] == codes[j]
            if c.group != "locality":
                held[c.group] = held.get(c.group, np.zeros(len(i), dtype=bool)) | (codes[i] >= 0)
    expected = same & (np.sum(list(held.values()), axis=0) >= 2)
    assert expected.sum() >= 16  # the copies among themselves, and the background's own
    assert comparator.copies(i, j).tolist() == expected.tolist()
