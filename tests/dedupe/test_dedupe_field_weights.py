"""A field's bits per pair read by one lookup of its level, the sessions' counts per pattern hashed and the pieces of
evidence read column by column: oracles against the masked form, the sort and the NaN-filled gather they replaced."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.dedupe import fellegi_sunter as fs
from auditor.dedupe import scoring
from auditor.dedupe.features import LEVEL_LABELS, Comparison
from auditor.dedupe.scoring import field_weights

_COMPARISONS = [Comparison("first_name", "person_first", ("first",)), Comparison("city", "exact", ("city",))]


def _masked(model: fs.Model, levels: np.ndarray, surprise: np.ndarray) -> np.ndarray:
    """The definition: a level's weight where the level is known, NaN where missing, and at exact agreement of a
    term-frequency field the value's own weight, never below 0."""
    out = np.full(levels.shape, np.nan, dtype=np.float32)
    for k, c in enumerate(_COMPARISONS):
        lv = levels[:, k]
        ok = lv >= 0
        w = np.asarray(model.weights[k], dtype=np.float32)
        col = np.where(ok, w[np.maximum(lv, 0)], np.float32(np.nan))
        if c.term_frequency:
            top = ok & (lv == c.top) & ~np.isnan(surprise[:, k])
            adjusted = w[-1] + np.log2(model.u[k][-1]) + surprise[top, k].astype(np.float32)
            col[top] = np.maximum(adjusted, np.float32(0.0))
        out[:, k] = col
    return out


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_field_weights_oracle_the_masked_lookup(data) -> None:
    sizes = [len(LEVEL_LABELS[c.kind]) for c in _COMPARISONS]
    n = data.draw(st.integers(0, 40))
    probabilities = st.floats(0.001, 0.999)
    m = [np.array(data.draw(st.lists(probabilities, min_size=s, max_size=s))) for s in sizes]
    u = [np.array(data.draw(st.lists(probabilities, min_size=s, max_size=s))) for s in sizes]
    model = fs.Model(m, u, 0.01, 1, True)
    levels = np.array([[data.draw(st.integers(-1, s - 1)) for s in sizes] for _ in range(n)], dtype=np.int8).reshape(
        n, len(sizes)
    )
    surprise = np.array(
        data.draw(st.lists(st.one_of(st.just(np.nan), st.floats(0, 20)), min_size=2 * n, max_size=2 * n)),
        dtype=np.float16,
    ).reshape(n, 2)
    got = field_weights(model, _COMPARISONS, levels, surprise)
    np.testing.assert_array_equal(got, _masked(model, levels, surprise))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.sampled_from([0, 1, 5, 1 << 31, (1 << 32) - 1])), max_size=60))
def test_pattern_keys_oracle_numpy_unique(rows: list[tuple[int, int]]) -> None:
    """The sessions' counts per (pattern, blocking-key mask), hashed and counted: those of `np.unique`'s sort."""
    inverse = np.array([p for p, _ in rows], dtype=np.int32)
    masks = np.array([m for _, m in rows], dtype=np.uint32)
    got, counts = fs.pattern_keys(inverse, masks, 7)
    key = inverse.astype(np.int64) << 32 | masks.astype(np.int64)
    want, want_counts = np.unique(key, return_counts=True)
    if not len(rows):
        assert got.shape == (0, 2) and len(counts) == 0
        return
    np.testing.assert_array_equal(got, np.stack([want >> 32, want & 0xFFFFFFFF], axis=1))
    np.testing.assert_array_equal(counts, want_counts)
    assert got.dtype == np.int64 and counts.dtype == want_counts.dtype


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 60), st.lists(st.integers(0, 4), min_size=1, max_size=4))
def test_oracle_pieces_of_evidence_equal_the_nan_filled_form(seed: int, n: int, cols: list[int]) -> None:
    """Oracle test against the form it replaced: the group's weights gathered, NaN read as -1, and any field at
    EVIDENCE_BITS or above, or holding a value in a pair of copies."""
    rng = np.random.default_rng(seed)
    fw = rng.choice(np.array([np.nan, -2.0, 0.0, 0.99, 1.0, 3.5], dtype=np.float32), (n, 5))
    lv = np.asfortranarray(rng.integers(-1, 4, (n, 5)).astype(np.int8))
    copy = rng.random(n) < 0.3
    agree = np.nan_to_num(fw[:, cols], nan=-1.0) >= scoring.EVIDENCE_BITS
    expected = (agree | (copy[:, None] & (lv[:, cols] >= 0))).any(axis=1)
    np.testing.assert_array_equal(scoring._agrees(fw, lv, copy, cols), expected)
