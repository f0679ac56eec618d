"""Fellegi-Sunter match weights, estimated without labels by expectation-maximisation.

Each candidate pair is a comparison vector (one level per field). Pairs are first reduced to
their distinct vectors with counts (a few thousand patterns for millions of pairs), and EM runs
over the patterns in numpy:

    P(match | vector) = lambda * prod m[k][level] / (lambda * prod m + (1 - lambda) * prod u)

m (level distribution among matches) and u (among non-matches) start from sensible priors (u
from randomly sampled record pairs, m rising with the level), and both are re-estimated on the
candidate pairs, so that the agreement blocking itself induces is not mistaken for evidence.
lambda can be held fixed (`fix_prior`): the caller sets it from deterministic rules, because a free
lambda drifts to a degenerate fit on large data where many distinct people share a common name.
A missing value contributes nothing. Labelled pairs, when given, enter with their known class.
The match weight of a level is log2(m/u): the bits of evidence it adds, shown with each pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

EPS = 1e-6


@dataclass
class Model:
    m: list[np.ndarray]
    u: list[np.ndarray]
    prior: float
    """lambda: share of matches among the candidate pairs"""
    iterations: int
    converged: bool
    deterministic_pairs: int = 0
    """candidate pairs the deterministic rules call matches (they set `prior` when > 0)"""

    @property
    def weights(self) -> list[np.ndarray]:
        return [np.log2(m / u) for m, u in zip(self.m, self.u, strict=True)]

    @property
    def prior_weight(self) -> float:
        return float(np.log2(self.prior / (1 - self.prior)))


def patterns(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows of a level matrix: (patterns in sorted order, inverse index per pair, counts).

    Each row is packed into one int64 (mixed radix) column by column and hashed, so that millions
    of pairs cost one int64 key and one int32 index each, not an int64 copy of the whole matrix."""
    if levels.shape[1] == 0 or len(levels) == 0:
        return levels[:1], np.zeros(len(levels), dtype=np.int32), np.array([len(levels)])
    radix = [int(levels[:, k].max()) + 2 for k in range(levels.shape[1])]
    key = np.zeros(len(levels), dtype=np.int64)
    for k, r in enumerate(radix):
        key *= r
        key += levels[:, k]
        key += 1
    inverse, keys = pd.factorize(key, sort=True)
    del key
    counts = np.bincount(inverse, minlength=len(keys))
    pats = np.empty((len(keys), len(radix)), dtype=levels.dtype)
    rest = np.asarray(keys, dtype=np.int64)
    for k in range(len(radix) - 1, -1, -1):
        rest, digit = np.divmod(rest, radix[k])
        pats[:, k] = digit - 1
    return pats, inverse.astype(np.int32), counts


def level_counts(levels: np.ndarray, n_levels: list[int], weights: np.ndarray | None = None) -> list[np.ndarray]:
    out = []
    for k, size in enumerate(n_levels):
        col = levels[:, k]
        ok = col >= 0
        out.append(np.bincount(col[ok], weights=None if weights is None else weights[ok], minlength=size)[:size])
    return out


def _normalize(counts: np.ndarray, floor: float = EPS) -> np.ndarray:
    total = counts.sum()
    if total <= 0:
        return np.full(len(counts), 1.0 / len(counts))
    p = np.maximum(counts / total, floor)
    return p / p.sum()


def initial_m(n_levels: list[int]) -> list[np.ndarray]:
    """Matches mostly agree: probability rising with the level (top level ~ 0.7)."""
    out = []
    for size in n_levels:
        w = np.array([0.05] + [2.0 ** (k - 1) for k in range(1, size)], dtype=float)
        w[-1] *= 3
        out.append(w / w.sum())
    return out


def fit(
    pats: np.ndarray,
    counts: np.ndarray,
    n_levels: list[int],
    u_start: list[np.ndarray],
    *,
    labelled: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    max_iterations: int = 60,
    tolerance: float = 1e-5,
    prior: float = 0.05,
    fix_u: bool = False,
    fix_prior: bool = False,
) -> Model:
    """EM over distinct comparison vectors `pats` (int8, -1 missing) with multiplicities `counts`."""
    m = initial_m(n_levels)
    u = [_normalize(x) for x in u_start]
    lam = prior
    k_count = len(n_levels)
    onehots = []
    for k, size in enumerate(n_levels):
        col = pats[:, k]
        oh = np.zeros((len(pats), size))
        ok = col >= 0
        oh[np.flatnonzero(ok), col[ok]] = 1.0
        onehots.append(oh)
    lab_oh = []
    if labelled is not None and len(labelled):
        for k, size in enumerate(n_levels):
            col = labelled[:, k]
            oh = np.zeros((len(labelled), size))
            ok = col >= 0
            oh[np.flatnonzero(ok), col[ok]] = 1.0
            lab_oh.append(oh)
    counts = counts.astype(float)
    if counts.sum() <= 0:
        return Model(m, u, lam, 0, False)
    converged, it = False, 0
    for it in range(1, max_iterations + 1):  # noqa: B007
        log_m = np.zeros(len(pats))
        log_u = np.zeros(len(pats))
        for k in range(k_count):
            log_m += onehots[k] @ np.log(m[k])
            log_u += onehots[k] @ np.log(u[k])
        logit = np.log(lam) - np.log1p(-lam) + log_m - log_u
        p = 1.0 / (1.0 + np.exp(-np.clip(logit, -700, 700)))
        wm, wu = counts * p, counts * (1 - p)
        new_m, new_u = [], []
        for k in range(k_count):
            cm, cu = onehots[k].T @ wm, onehots[k].T @ wu
            if lab_oh:
                cm = cm + lab_oh[k].T @ labels.astype(float)
                cu = cu + lab_oh[k].T @ (1 - labels.astype(float))
            new_m.append(_normalize(cm))
            new_u.append(u[k] if fix_u else _normalize(cu))
        new_lam = lam if fix_prior else float(np.clip(wm.sum() / counts.sum(), 1e-7, 1 - 1e-7))
        delta = max(
            abs(new_lam - lam),
            max(float(np.abs(a - b).max()) for a, b in zip(new_m + new_u, m + u, strict=True)) if k_count else 0.0,
        )
        m, u, lam = new_m, new_u, new_lam
        if delta < tolerance:
            converged = True
            break
    return Model(m, u, lam, it, converged)


def match_weight(model: Model, pats: np.ndarray) -> np.ndarray:
    """Prior weight plus the bits of every non-missing level, per pattern."""
    w = np.full(len(pats), model.prior_weight)
    for k, weights in enumerate(model.weights):
        col = pats[:, k]
        ok = col >= 0
        w[ok] += weights[col[ok]]
    return w


def probability(weight: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp2(-np.clip(weight, -1000, 1000)))
