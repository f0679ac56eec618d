"""Block, compare and score one prepared table (or two for linkage): the pairs with their evidence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditor.dedupe import fellegi_sunter as fs
from auditor.dedupe.blocking import BlockingStats, candidate_pairs
from auditor.dedupe.compare import Comparator
from auditor.dedupe.features import DEFAULT_BLOCKING, Prepared
from auditor.dedupe.settings import DedupeSettings


@dataclass
class Scored:
    prepared: Prepared
    comparator: Comparator
    i: np.ndarray
    j: np.ndarray
    levels: np.ndarray
    """int8 (pairs x comparisons); the similarity scores are recomputed for the pairs that are listed"""
    cannot: np.ndarray
    weight: np.ndarray
    probability: np.ndarray
    model: fs.Model
    stats: BlockingStats
    pattern_index: np.ndarray
    patterns: np.ndarray

    def n_levels(self) -> list[int]:
        return [len(c.labels) for c in self.prepared.comparisons]


def blocking_keys(prepared: Prepared, settings: DedupeSettings) -> list[list[str]]:
    keys = settings.blocking.get(prepared.entity)
    if keys:
        return [list(k) for k in keys]
    keys = [list(k) for k in DEFAULT_BLOCKING[prepared.profile]]
    for name, kind in settings.fields.get(prepared.entity, {}).items():
        if kind == "exact" and name in prepared.features.columns:
            keys.append([name])
    return keys


ORDER_PARTS = ("last", "first", "company", "email", "postal_code")
"""The features an oversized block is sorted by (those a table has), in this order."""


def _order(features: pd.DataFrame) -> np.ndarray:
    """Secondary sort key for sorted neighbourhood inside oversized blocks: the dense rank of the
    tuple of ORDER_PARTS, so that it orders any subset of the records as it orders the whole table."""
    parts = [c for c in ORDER_PARTS if c in features.columns]
    if not parts:
        return np.arange(len(features))
    # dense rank of the tuple of parts (missing first), from per-column sorted codes
    codes = [pd.factorize(features[c], sort=True, use_na_sentinel=True)[0] for c in parts]
    idx = np.lexsort(codes[::-1])
    change = np.zeros(len(idx), dtype=bool)
    if len(idx):
        change[0] = True
        for col in codes:
            s = col[idx]
            change[1:] |= s[1:] != s[:-1]
    rank = np.empty(len(idx), dtype=np.int64)
    rank[idx] = np.cumsum(change) - 1
    return rank


def _random_pairs(
    n: int, size: int, rng: np.random.Generator, source: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    if source is not None:
        left, right = np.flatnonzero(source == 0), np.flatnonzero(source == 1)
        if not len(left) or not len(right):
            return np.empty(0, np.int64), np.empty(0, np.int64)
        total = len(left) * len(right)
        if total <= size:
            a, b = np.repeat(left, len(right)), np.tile(right, len(left))
        else:
            a, b = left[rng.integers(0, len(left), size)], right[rng.integers(0, len(right), size)]
        return a, b
    total = n * (n - 1) // 2
    if total <= size:
        a, b = np.triu_indices(n, 1)
        return a.astype(np.int64), b.astype(np.int64)
    a, b = rng.integers(0, n, size), rng.integers(0, n, size)
    keep = a != b
    return a[keep], b[keep]


def random_pairs(n: int, settings: DedupeSettings, source: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The record pairs whose levels start u (non-match level shares): drawn with the settings' seed, so
    that every engine compares the very same pairs."""
    return _random_pairs(n, settings.u_sample, np.random.default_rng(settings.seed), source)


def u_start(levels: np.ndarray, n_levels: list[int], counts: np.ndarray | None = None) -> list[np.ndarray]:
    """Starting u per comparison from the levels of the random pairs (`counts`: multiplicity per row)."""
    return [c + 1.0 for c in fs.level_counts(levels, n_levels, counts)]


def fit_model(
    prepared: Prepared,
    pats: np.ndarray,
    counts: np.ndarray,
    u_begin: list[np.ndarray],
    settings: DedupeSettings,
    *,
    labelled: np.ndarray | None = None,
    labels: np.ndarray | None = None,
) -> fs.Model:
    """EM over the distinct comparison vectors of the candidate pairs and their counts (all an engine
    has to gather from its partitions), with the prior set by the deterministic rules."""
    n_levels = [len(c.labels) for c in prepared.comparisons]
    # The share of matches among the candidate pairs comes from deterministic rules, not from EM:
    # left free, EM on large data (many people sharing a common name) converges to a degenerate
    # model that calls most same-name pairs matches (synth100k: prior 0.58, city "different" +9 bits).
    n_det = int(counts[deterministic_matches(prepared, pats)].sum()) if len(pats) else 0
    n_pairs = int(counts.sum())
    prior_fixed = n_det >= DETERMINISTIC_MIN_PAIRS
    prior = float(np.clip(n_det / DETERMINISTIC_RECALL / max(n_pairs, 1), 1e-6, 0.5)) if prior_fixed else 0.05
    model = fs.fit(pats, counts, n_levels, u_begin, labelled=labelled, labels=labels,
                   max_iterations=settings.max_iterations, prior=prior, fix_prior=prior_fixed)
    model.deterministic_pairs = n_det
    return model


def pair_weights(model: fs.Model, pats: np.ndarray, pattern_index: np.ndarray, cannot: np.ndarray,
                 penalty: float) -> tuple[np.ndarray, np.ndarray]:
    """Match weight and probability of pairs given as rows of the distinct patterns `pats`."""
    weight = fs.match_weight(model, pats)[pattern_index] if len(pattern_index) else np.empty(0)
    weight = weight - penalty * (cannot != 0)
    return weight, fs.probability(weight)


def order_and_blocking(prepared: Prepared, settings: DedupeSettings, source: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray, BlockingStats]:
    features = prepared.features
    return candidate_pairs(
        features,
        blocking_keys(prepared, settings),
        max_block=settings.max_block_size,
        window=settings.window,
        order=_order(features),
        source=source,
    )


def score(
    prepared: Prepared,
    settings: DedupeSettings,
    *,
    source: np.ndarray | None = None,
    labels: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> Scored:
    """Candidate pairs with levels, match weights and probabilities. `labels` = (i, j, is_match)."""
    comparator = Comparator(prepared, shared_phone_limit=settings.shared_phone_limit)
    i, j, stats = order_and_blocking(prepared, settings, source)
    levels, cannot = comparator.levels(i, j)
    n_levels = [len(c.labels) for c in prepared.comparisons]
    ra, rb = random_pairs(len(prepared.features), settings, source)
    rand = comparator.compare(ra, rb).levels if len(ra) else np.empty((0, len(n_levels)), np.int8)
    pats, inverse, counts = fs.patterns(levels)
    lab_levels = lab_y = None
    if labels is not None and len(labels[0]):
        lab_levels = comparator.compare(labels[0], labels[1]).levels
        lab_y = labels[2]
    model = fit_model(prepared, pats, counts, u_start(rand, n_levels), settings, labelled=lab_levels, labels=lab_y)
    weight, probability = pair_weights(model, pats, inverse, cannot, settings.penalty)
    return Scored(prepared, comparator, i, j, levels, cannot, weight, probability, model, stats, inverse, pats)


DETERMINISTIC_MIN_PAIRS = 20
"""Below this many rule matches the estimate is noise (a handful of import rows): EM estimates the share."""
DETERMINISTIC_RECALL = 0.6
"""Assumed share of the true pairs that the deterministic rules find (Splink asks the user for this
`recall`); the prior is (pairs the rules find) / DETERMINISTIC_RECALL / (candidate pairs)."""


def deterministic_matches(prepared: Prepared, levels: np.ndarray) -> np.ndarray:
    """Pairs a person would call the same without a model: the same first and last name (company
    name) and the same e-mail address, personal phone, website or date (birth date), each exact.
    Splink estimates the share of matches the same way (`estimate_probability_two_random_records_match`)."""
    n = len(levels)
    contact = np.zeros(n, dtype=bool)
    name = np.ones(n, dtype=bool)
    has_name = False
    for k, c in enumerate(prepared.comparisons):
        col = levels[:, k]
        top = len(c.labels) - 1
        if c.kind in ("email", "phone", "domain", "date"):
            contact |= col == top
        elif c.kind == "person_first":
            name &= col >= top - 1
            has_name = True
        elif c.kind in ("person_last", "company") or (c.kind == "name" and not has_name):
            name &= col == top
            has_name = True
    return contact & name if has_name else contact


def score_pairs(scored: Scored, i: np.ndarray, j: np.ndarray, penalty: float) -> tuple[np.ndarray, np.ndarray]:
    """Probability and cannot-link mask of arbitrary pairs under a fitted model (used by the cluster guard)."""
    levels, cannot = scored.comparator.levels(i, j)
    w = fs.match_weight(scored.model, levels) - penalty * (cannot != 0)
    return fs.probability(w), cannot
