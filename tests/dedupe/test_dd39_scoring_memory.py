"""The scoring's working set at a million contacts (issue 17: audited in 3 GB): the candidate pairs' term-frequency
surprises kept where the weights read them only, the level patterns hashed a chunk of pairs at a time, each pair's
pattern and key bits let go once counted. Oracle tests: the same weights and patterns as the whole arrays gave."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.dedupe import _ids, match_frame, scoring
from auditor.dedupe import fellegi_sunter as fs
from auditor.dedupe.compare import Comparator, ExactSurprises
from auditor.dedupe.features import prepare
from auditor.dedupe.settings import DedupeSettings


@pytest.fixture(scope="module")
def contacts(acme):
    table = acme.tables["contacts"]
    return prepare(match_frame(table), "contacts", ids=_ids(table))


def test_exact_surprises_oracle_the_weights_of_the_whole_matrix(contacts) -> None:
    """Oracle test: the pairs' weights from the surprises kept at their exact levels, read in chunks of another
    size than they were kept in, are those of the whole pairs x comparisons matrix, bit for bit."""
    comparator = Comparator(contacts)
    i, j, _ = scoring.order_and_blocking(contacts, DedupeSettings())
    levels, cannot, dense = comparator.levels(i, j, chunk=97)
    exact_levels, exact_cannot, exact = comparator.exact_levels(i, j, chunk=97)
    assert isinstance(exact, ExactSurprises) and exact.values
    np.testing.assert_array_equal(exact_levels, levels)
    np.testing.assert_array_equal(exact_cannot, cannot)
    held = sum(a.nbytes for (a,) in exact.values.values())
    assert 0 < held < dense.nbytes / 2, "the surprises at the exact levels only, not a cell per comparison"
    model = scoring.score(contacts, DedupeSettings()).model
    copies = comparator.copies(i, j)
    want = scoring.pair_weights(model, contacts.comparisons, levels, cannot, dense, 3.0, copies, chunk=53)
    got = scoring.pair_weights(model, contacts.comparisons, levels, cannot, exact, 3.0, copies, chunk=53)
    for name in ("weight", "probability", "conflict", "evidence", "weak"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    tf = [k for k, c in enumerate(contacts.comparisons) if c.term_frequency]
    read = np.concatenate(list(exact.chunks(levels, 53)))
    for k in tf:
        top = levels[:, k] == contacts.comparisons[k].top
        np.testing.assert_array_equal(read[top, k], dense[top, k])
        assert np.isnan(read[~top, k]).all()


def test_the_score_holds_no_pairs_by_comparisons_surprise_matrix(contacts, monkeypatch) -> None:
    """`score` reads the candidate pairs' surprises where they weigh: a float16 matrix of every pair and comparison
    was 155 MB held through the model's fit at a million contacts."""
    seen: list[object] = []
    pair_weights = scoring.pair_weights

    def watched(model, comparisons, levels, cannot, surprise, *rest):
        seen.append(surprise)
        return pair_weights(model, comparisons, levels, cannot, surprise, *rest)

    monkeypatch.setattr(scoring, "pair_weights", watched)
    scoring.score(contacts, DedupeSettings())
    assert len(seen) == 1 and isinstance(seen[0], ExactSurprises)


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(st.lists(st.integers(-1, 3), min_size=3, max_size=3), min_size=1, max_size=60),
    chunk=st.integers(1, 8),
)
def test_patterns_oracle_hashed_a_chunk_at_a_time_as_at_once(rows: list[list[int]], chunk: int) -> None:
    """Oracle test: the distinct level rows, each pair's row index and the counts, made a chunk of pairs at a time,
    are pandas' sorted factorization of every pair's packed row at once."""
    levels = np.asarray(rows, dtype=np.int8, order="F")
    radix = [int(levels[:, k].max()) + 2 for k in range(levels.shape[1])]
    key = np.zeros(len(levels), dtype=np.int64)
    for k, r in enumerate(radix):
        key = key * r + levels[:, k] + 1
    inverse = pd.factorize(key, sort=True)[0]
    pats, got_inverse, counts = fs.patterns(levels, chunk=chunk)
    np.testing.assert_array_equal(got_inverse, inverse)
    assert got_inverse.dtype == np.int32
    np.testing.assert_array_equal(counts, np.bincount(inverse))
    np.testing.assert_array_equal(pats, np.unique(levels, axis=0))
    np.testing.assert_array_equal(pats[got_inverse], levels)


def test_the_scored_pairs_hold_no_pattern_index_or_key_bits(contacts) -> None:
    """Each candidate pair's pattern index and blocking-key bits are read by the training sessions' counts alone:
    at a million contacts 62 MB held with the scored pairs through the clusters."""
    scored = scoring.score(contacts, DedupeSettings())
    assert len(scored.i) and len(scored.patterns)
    assert scored.pattern_index is None
    assert len(scored.stats.pair_keys) == 0 and scored.stats.keys
