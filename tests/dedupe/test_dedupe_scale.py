"""The memory-saving forms give the same answers as the plain ones: patterns packed into one key,
pairs compared chunk by chunk, the blocking union by sorting, features as Arrow strings, counts looked up in Arrow."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from auditor.dedupe import fellegi_sunter as fs
from auditor.dedupe.blocking import candidate_pairs
from auditor.dedupe.compare import Comparator, counted
from auditor.dedupe.features import prepare


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.int8, st.tuples(st.integers(1, 60), st.integers(1, 9)), elements=st.integers(-1, 4)))
def test_patterns_are_the_distinct_rows_in_sorted_order(levels: np.ndarray) -> None:
    pats, inverse, counts = fs.patterns(levels)
    rows = sorted({tuple(r) for r in levels.tolist()})
    assert [tuple(r) for r in pats.tolist()] == rows
    assert (pats[inverse] == levels).all()
    assert counts.tolist() == [sum(tuple(r) == p for r in levels.tolist()) for p in rows]


def test_chunked_levels_equal_one_comparison(acme) -> None:
    frame = acme.tables["contacts"].frame.reset_index(drop=True)
    comparator = Comparator(prepare(frame, "contacts"))
    rng = np.random.default_rng(3)
    i, j = rng.integers(0, len(frame), 5000), rng.integers(0, len(frame), 5000)
    whole = comparator.compare(i, j)
    levels, cannot, surprise = comparator.levels(i, j, chunk=777)
    assert (levels == whole.levels).all() and (cannot == whole.cannot).all()
    np.testing.assert_array_equal(surprise, whole.surprise.astype(np.float16))


def test_candidate_pairs_are_sorted_unique_int32_and_complete() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["Jan", "Jan", "Anna", "Jan", "Anna"],
            "last_name": ["Nowak", "Nowak", "Nowak", "Kowal", "Nowak"],
            "postal_code": ["00-001", "00-001", "00-001", None, "00-002"],
        }
    )
    features = prepare(frame, "contacts").features
    assert all(features[c].dtype == "string[pyarrow]" for c in features.columns if features[c].dtype != bool)
    i, j, stats = candidate_pairs(features, [["last"], ["first"], ["last", "postal_code"]])
    assert i.dtype == np.int32 and j.dtype == np.int32
    got = list(zip(i.tolist(), j.tolist(), strict=True))
    codes = [frame["last_name"], frame["first_name"]]
    want = sorted({(a, b) for a, b in itertools.combinations(range(len(frame)), 2) if any(c[a] == c[b] for c in codes)})
    assert got == want and stats.candidate_pairs == len(want)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.text(max_size=4), st.integers(2, 50), max_size=8),
    st.lists(st.one_of(st.none(), st.text(max_size=4)), max_size=30),
    st.sampled_from([1.0, np.nan]),
)
def test_counted_reads_the_counts_as_reindexing_by_the_texts_does(counts, values, missing) -> None:
    series = pd.Series(counts, dtype=np.int64, index=pd.Index(list(counts), dtype=object))
    want = series.reindex(pd.Series(values, dtype=object)).astype(float).fillna(missing).to_numpy()
    for texts in (pd.Series(values, dtype=object), pd.Series(values, dtype="string[pyarrow]")):
        np.testing.assert_array_equal(counted(series, texts, missing), want)
