"""The working set of one step of the duplicate search (issue 17: a million contacts audited in 3 GB): the merge
plan is made once the scored candidate pairs are let go, and the pairs' probabilities are computed in one array.
"""

from __future__ import annotations

import weakref

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import auditor.dedupe as dedupe
from auditor.dedupe import fellegi_sunter as fs


def test_the_merge_plan_is_made_after_the_scored_pairs_and_the_features_are_let_go(acme, monkeypatch) -> None:
    """The features, the comparator and the candidate pairs' arrays were held through the merge plan, whose peak
    was the step's: at a million contacts 0.8 GB of them (refcounts alone must free them: the audit pauses the
    collector)."""
    scored_refs: list[weakref.ref] = []
    held_at_plan: list[bool] = []
    score, merge_plan = dedupe.score, dedupe.merge_plan

    def kept_score(prepared, settings, **rest):
        scored = score(prepared, settings, **rest)
        scored_refs.append(weakref.ref(scored))
        scored_refs.append(weakref.ref(prepared))
        return scored

    def watched_plan(*args, **rest):
        held_at_plan.append(any(ref() is not None for ref in scored_refs))
        return merge_plan(*args, **rest)

    monkeypatch.setattr(dedupe, "score", kept_score)
    monkeypatch.setattr(dedupe, "merge_plan", watched_plan)
    result = dedupe.find_duplicates(acme.tables, entities=("contacts",))
    assert len(result.merge_plan) and held_at_plan == [False]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), max_size=30))
def test_probability_oracle_the_formula(weights: list[float]) -> None:
    """Oracle test: computed in place, the probabilities are the formula's, bit for bit."""
    weight = np.array(weights, dtype=np.float64)
    want = 1.0 / (1.0 + np.exp2(-np.clip(weight, -1000, 1000)))
    got = fs.probability(weight)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype and got is not weight


def test_copies_oracle_read_a_chunk_at_a_time_as_at_once(acme, monkeypatch) -> None:
    """Oracle test: the copies read a chunk of pairs at a time are those of every pair read at once."""
    from auditor.dedupe import _ids, compare, match_frame
    from auditor.dedupe.features import prepare

    table = acme.tables["contacts"]
    comparator = compare.Comparator(prepare(match_frame(table), "contacts", ids=_ids(table)))
    rng = np.random.default_rng(7)
    n = len(table.frame)
    i, j = rng.integers(0, n, 500), rng.integers(0, n, 500)
    i[:50] = j[:50]  # a record against itself is a copy whenever it holds two pieces of evidence
    combination, two_pieces = comparator._copy_codes or comparator._copy_profile()
    want = (combination[i] == combination[j]) & two_pieces[i]
    monkeypatch.setattr(compare, "CHUNK", 7)
    got = comparator.copies(i, j)
    np.testing.assert_array_equal(got, want)
    assert want[:50].any() and got.dtype == bool
