"""Fellegi-Sunter match weights, estimated without labels, in the way Splink estimates them.

Each candidate pair is a comparison vector (one level per field). Pairs are reduced to their
distinct vectors with counts (a few thousand patterns for millions of pairs), and all the
arithmetic runs over the patterns in numpy:

    weight(pair) = log2(lambda / (1 - lambda)) + sum over fields of log2(m[level] / u[level])
    P(match | pair) = 1 / (1 + 2 ** -weight)

- u (how often two different records reach each level) comes from randomly sampled record pairs,
  which are nearly all non-matches, and is held fixed.
- m (how often two records of one entity reach each level) is learnt by expectation-maximisation
  in training sessions, one per blocking key: the pairs that agree on a key, with the fields of the
  key left out (they agree by construction), and the share of matches among them free. A field's m
  comes from the sessions where matches are the majority (their m is close to the plain level counts
  and needs no delicate separation), weighted by the matches they saw; only a field no such session
  saw takes it from the others. A field no session learnt keeps the documented defaults
  (`default_m`). A session whose mixture explains its pairs no better than "all different" (Akaike)
  has not identified anything and is left out.
- lambda, the share of matches among all pairs, is measured through each session: its share of
  matches re-estimated with the final m, times its pairs, divided by every pair of the table and by how
  often a match agrees on the key at all; the median over the sessions.
- The weights of a field's levels are made monotone (pool-adjacent-violators over the levels, each
  weighed by its pairs): agreement never counts against a match and disagreement never for it. Every
  adjustment, an EM that did not converge or hit a bound, and a field left at its defaults are
  reported as warnings with the run.

A missing value contributes nothing. Labelled pairs, when given, enter every session with their
known class, and their non-matches enter u.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

EPS = 1e-6
EM_TOLERANCE = 1e-4
"""EM has converged when no m and not lambda moves by more than this in an iteration (Splink's default
`em_convergence`)."""
LAMBDA_BOUNDS = (1e-4, 1 - 1e-4)
"""A session whose match share ends at or below the lower bound found no matches to learn m from: it
is reported and left out. One at the upper bound saw matches only (pairs sharing a street and a
postcode often are): its m is their levels, and it is reported."""
PSEUDO_MATCHES = 1.0
"""m is learnt with this many pseudo-matches distributed as u (Bayesian shrinkage towards weight 0)."""
MIN_SESSION_PAIRS = 20
"""Fewer pairs than this agree on a key: too few to learn from."""
MIN_EXPECTED_MATCHES = 5.0
"""A session teaches a field only when it saw at least this many (expected) matches with a value in it."""


@dataclass
class Session:
    """One EM training session: the pairs agreeing on a blocking key."""

    key: str
    pairs: int
    fixed: list[str]
    """fields left out (the key's own, and those that agree with them by construction)"""
    lam: float = float("nan")
    """share of matches among the session's pairs"""
    iterations: int = 0
    converged: bool = False
    learnt: list[str] = field(default_factory=list)
    usable: bool = False
    note: str = ""

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "pairs": self.pairs,
            "fixed": self.fixed,
            "match_share": _rounded(self.lam),
            "iterations": self.iterations,
            "converged": self.converged,
            "learnt": self.learnt,
            "used": self.usable,
            **({"note": self.note} if self.note else {}),
        }


@dataclass
class Model:
    m: list[np.ndarray]
    u: list[np.ndarray]
    prior: float
    """lambda: share of matches among all pairs of records (not only the candidate pairs)"""
    iterations: int
    converged: bool
    deterministic_pairs: int = 0
    """candidate pairs the deterministic rules call matches (a floor for the prior)"""
    adjusted: list[np.ndarray] | None = None
    """the weights after the monotone repair (None: log2(m/u) as learnt)"""
    sessions: list[Session] = field(default_factory=list)
    prior_estimates: dict[str, float] = field(default_factory=dict)
    """how each usable session (and the deterministic rules) measured lambda"""
    prior_source: str = ""
    sources: list[str] = field(default_factory=list)
    """per field: 'em' (learnt by the sessions), 'labels' or 'default'"""
    warnings: list[str] = field(default_factory=list)
    repaired: list[bool] = field(default_factory=list)
    """per field: its learnt weights were made monotone"""

    @property
    def weights(self) -> list[np.ndarray]:
        if self.adjusted is not None:
            return self.adjusted
        return [np.log2(m / u) for m, u in zip(self.m, self.u, strict=True)]

    @property
    def prior_weight(self) -> float:
        return float(np.log2(self.prior / (1 - self.prior)))


def _rounded(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else float(f"{value:.6g}")


CHUNK = 1 << 20
"""Pairs whose int64 keys `patterns` makes and hashes at once: the keys of every candidate pair and pandas' int64
codes of them were 130 MB, the peak of the scoring at a million contacts."""


def patterns(levels: np.ndarray, chunk: int = CHUNK) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows of a level matrix: (patterns in sorted order, inverse index per pair (int32), counts).

    Each row is packed into one int64 (mixed radix) column by column and hashed, so that millions
    of pairs cost one int64 key and one int32 index each, not an int64 copy of the whole matrix; a
    chunk of pairs at a time (`_sorted_distinct`)."""
    if levels.shape[1] == 0 or len(levels) == 0:
        return levels[:1], np.zeros(len(levels), dtype=np.int32), np.array([len(levels)])
    radix = [int(levels[:, k].max()) + 2 for k in range(levels.shape[1])]

    def packed(start: int) -> np.ndarray:
        part = levels[start : start + chunk]
        key = np.zeros(len(part), dtype=np.int64)
        for k, r in enumerate(radix):
            key *= r
            key += part[:, k]
            key += 1
        return key

    inverse, keys, counts = _sorted_distinct(len(levels), packed, chunk)
    pats = np.empty((len(keys), len(radix)), dtype=levels.dtype)
    rest = keys
    for k in range(len(radix) - 1, -1, -1):
        rest, digit = np.divmod(rest, radix[k])
        pats[:, k] = digit - 1
    return pats, inverse, counts


def _sorted_distinct(
    n: int, keys_of: Callable[[int], np.ndarray], chunk: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`pd.factorize(keys, sort=True)` of n int64 keys made `chunk` at a time (`keys_of(start)`), with each
    distinct key's count: (per key its distinct key's place (int32), the distinct keys sorted, their counts).
    Each chunk is hashed on its own and its codes turned into places among every chunk's keys."""
    inverse = np.empty(n, dtype=np.int32)
    local: list[np.ndarray] = []
    for start in range(0, n, chunk):
        codes, distinct = pd.factorize(keys_of(start))
        inverse[start : start + chunk] = codes
        local.append(distinct)
    keys = np.unique(np.concatenate(local))
    for start, distinct in zip(range(0, n, chunk), local, strict=True):
        part = inverse[start : start + chunk]
        part[:] = np.searchsorted(keys, distinct).astype(np.int32)[part]
    return inverse, keys, np.bincount(inverse, minlength=len(keys))


def pattern_keys(inverse: np.ndarray, pair_keys: np.ndarray, n_patterns: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts per (pattern, blocking-key mask): the sessions' data. Returns (pattern index, mask) rows
    as an int64 array of shape (rows, 2) and their counts."""
    if not len(inverse):
        return np.empty((0, 2), dtype=np.int64), np.empty(0, dtype=np.int64)
    key = inverse.astype(np.int64) << 32 | pair_keys.astype(np.int64)
    # hashed, counted and the few distinct keys sorted: `np.unique` sorts every pair's key (millions)
    codes, distinct = pd.factorize(key)
    counts = np.bincount(codes, minlength=len(distinct))
    order = np.argsort(distinct)
    uniq = distinct[order]
    return np.stack([uniq >> 32, uniq & 0xFFFFFFFF], axis=1), counts[order]


def level_counts(levels: np.ndarray, n_levels: list[int], weights: np.ndarray | None = None) -> list[np.ndarray]:
    out = []
    for k, size in enumerate(n_levels):
        # a missing level (-1) counted in bin 0 and dropped, rather than masked out of the column first (a
        # gather of 200,000 random pairs' levels per comparison); each bin adds the same values in the same order
        col = levels[:, k] + np.int8(1)
        out.append(np.bincount(col, weights=weights, minlength=size + 1)[1 : size + 1])
    return out


def _normalize(counts: np.ndarray, floor: float = EPS) -> np.ndarray:
    total = counts.sum()
    if total <= 0:
        return np.full(len(counts), 1.0 / len(counts))
    p = np.maximum(counts / total, floor)
    return p / p.sum()


def default_m(n_levels: list[int]) -> list[np.ndarray]:
    """The m a field keeps when no session could learn it (and EM's starting point): matches mostly
    agree, the share rising with the level, 5% "different", the exact level about 0.6-0.7."""
    out = []
    for size in n_levels:
        w = np.array([0.05] + [2.0 ** (k - 1) for k in range(1, size)], dtype=float)
        w[-1] *= 3
        out.append(w / w.sum())
    return out


def _onehots(pats: np.ndarray, n_levels: list[int]) -> list[np.ndarray]:
    out = []
    for k, size in enumerate(n_levels):
        col = pats[:, k]
        oh = np.zeros((len(pats), size))
        ok = col >= 0
        oh[np.flatnonzero(ok), col[ok]] = 1.0
        out.append(oh)
    return out


def fit_session(
    pats: np.ndarray,
    counts: np.ndarray,
    n_levels: list[int],
    u: list[np.ndarray],
    free: list[int],
    *,
    m_start: list[np.ndarray] | None = None,
    labelled: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    lam: float = 0.5,
    max_iterations: int = 60,
    tolerance: float = EM_TOLERANCE,
) -> tuple[list[np.ndarray], float, int, bool, np.ndarray, float]:
    """EM over the patterns of one session with u fixed: only the fields in `free` enter the
    likelihood and are re-estimated. Returns (m, lambda, iterations, converged, expected matches with a
    value per field, log-likelihood gain over "every pair is a non-match")."""
    m = [x.copy() for x in (m_start or default_m(n_levels))]
    onehots = _onehots(pats, n_levels)
    lab_oh = _onehots(labelled, n_levels) if labelled is not None and len(labelled) else []
    y = labels.astype(float) if labels is not None else None
    counts = counts.astype(float)
    seen = np.zeros(len(n_levels))
    if counts.sum() <= 0 or not free:
        return m, float("nan"), 0, False, seen, 0.0
    log_u = [np.log(x) for x in u]
    converged, it, total = False, 0, counts.sum()
    for it in range(1, max_iterations + 1):  # noqa: B007
        logit = np.full(len(pats), np.log(lam) - np.log1p(-lam))
        for k in free:
            logit += onehots[k] @ (np.log(m[k]) - log_u[k])
        p = 1.0 / (1.0 + np.exp(-np.clip(logit, -700, 700)))
        wm = counts * p
        new_m = list(m)
        for k in free:
            cm = onehots[k].T @ wm
            if lab_oh:
                cm = cm + lab_oh[k].T @ y
            seen[k] = cm.sum()
            # one pseudo-match spread as u (a prior of "no evidence"): a level no match reached among n
            # weighs about -log2(n), never minus infinity, and a rare level unseen is not made evidence
            new_m[k] = _normalize(cm + PSEUDO_MATCHES * u[k])
        # clipped in Python: numpy's clip of one number costs more than the rest of an iteration on a few patterns
        new_lam = min(max(float(wm.sum() / total), 1e-9), 1 - 1e-9)
        delta = max(abs(new_lam - lam), max(float(np.abs(new_m[k] - m[k]).max()) for k in free))
        m, lam = new_m, new_lam
        if delta < tolerance:
            converged = True
            break
    log_ratio = np.zeros(len(pats))
    for k in free:
        log_ratio += onehots[k] @ (np.log(m[k]) - log_u[k])
    # log(lam * prod m + (1 - lam) * prod u) - log(prod u), per pattern
    gain = float(counts @ np.logaddexp(np.log(lam) + log_ratio, np.log1p(-lam)))
    return m, lam, it, converged, seen, gain


def fit_lambda(
    pats: np.ndarray,
    counts: np.ndarray,
    m: list[np.ndarray],
    u: list[np.ndarray],
    free: list[int],
    *,
    max_iterations: int = 200,
    tolerance: float = 1e-7,
) -> float:
    """The share of matches among a session's pairs with m and u held fixed (EM over lambda alone)."""
    counts = counts.astype(float)
    if counts.sum() <= 0 or not free:
        return float("nan")
    onehots = _onehots(pats, [len(x) for x in m])
    log_ratio = np.zeros(len(pats))
    for k in free:
        log_ratio += onehots[k] @ (np.log(m[k]) - np.log(u[k]))
    lam = 0.5
    for _ in range(max_iterations):
        logit = np.clip(np.log(lam) - np.log1p(-lam) + log_ratio, -700, 700)
        new = float(np.clip(counts @ (1.0 / (1.0 + np.exp(-logit))) / counts.sum(), 1e-12, 1 - 1e-12))
        if abs(new - lam) < tolerance:
            return new
        lam = new
    return lam


def parameters(n_levels: list[int], free: list[int]) -> int:
    """Free parameters of a session's model: lambda and m of each free field."""
    return 1 + sum(n_levels[k] - 1 for k in free)


def monotone(weights: np.ndarray, support: np.ndarray) -> np.ndarray:
    """The closest non-decreasing sequence (pool adjacent violators, each level weighed by `support`),
    then 'different' at most 0 and 'exact' at least 0 bits."""
    values = [float(w) for w in weights]
    sizes = [max(float(s), 1e-9) for s in support]
    blocks: list[list[float]] = []  # [value, weight, length]
    for v, s in zip(values, sizes, strict=True):
        blocks.append([v, s, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, s2, n2 = blocks.pop()
            v1, s1, n1 = blocks.pop()
            blocks.append([(v1 * s1 + v2 * s2) / (s1 + s2), s1 + s2, n1 + n2])
    out = np.concatenate([np.full(int(n), v) for v, _, n in blocks])
    out[0] = min(out[0], 0.0)
    out[-1] = max(out[-1], 0.0)
    return out


def match_weight(model: Model, pats: np.ndarray) -> np.ndarray:
    """Prior weight plus the bits of every non-missing level, per pattern."""
    w = np.full(len(pats), model.prior_weight)
    for k, weights in enumerate(model.weights):
        col = pats[:, k]
        ok = col >= 0
        w[ok] += weights[col[ok]]
    return w


def probability(weight: np.ndarray) -> np.ndarray:
    """1 / (1 + 2^-weight), computed in one array: each step of the formula made a copy of the 8 million
    candidate pairs' weights at a million contacts."""
    out = np.clip(weight, -1000, 1000)
    np.negative(out, out=out)
    np.exp2(out, out=out)
    out += 1.0
    return np.divide(1.0, out, out=out)


def one_field(share: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """m and u of a table's only comparison, from the share of all pairs at each level (`share`, measured
    on random pairs, matches included) and the share of matches among all pairs (`lam`).

    With one field every pair's evidence is its level, so share = lam * m + (1 - lam) * u is all the data
    says: m is not identified by EM. The matches are placed on the most agreeing levels first (a match
    is never less alike than a non-match of a higher level: the monotone order of the levels), which is
    the one m with monotone weights that explains `share` with `lam`; u is what is left."""
    share = _normalize(np.asarray(share, dtype=float), floor=0.0)
    left = float(np.clip(lam, 0.0, 1.0))
    matches = np.zeros(len(share))
    for level in range(len(share) - 1, -1, -1):
        matches[level] = min(share[level], left)
        left -= matches[level]
    m = _normalize(matches + EPS * share, floor=EPS * EPS)
    u = _normalize(np.maximum(share - matches, 0.0) + EPS * share, floor=EPS * EPS)
    # a level no pair reached says nothing: it takes the weight of its neighbours (pool adjacent violators)
    bits = monotone(np.log2(m / u), share + EPS * EPS)
    return _normalize(u * np.exp2(bits), floor=0.0), u
