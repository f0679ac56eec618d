"""Block, compare and score one prepared table (or two for linkage): the pairs with their evidence."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditor.dedupe import fellegi_sunter as fs
from auditor.dedupe.blocking import BlockingStats, Factorize, candidate_pairs, sorted_codes
from auditor.dedupe.compare import Comparator, ExactSurprises, tf_feature
from auditor.dedupe.features import COARSE_GROUPS, DEFAULT_BLOCKING, Comparison, Prepared
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
    """its `pair_keys` are let go once `score` has counted them"""
    pattern_index: np.ndarray | None
    """per pair, its row of `patterns`; None where `score` let them go once counted"""
    patterns: np.ndarray
    conflict: np.ndarray
    """bool per pair: the identities disagree (different first or last name, company or birth date)"""
    evidence: np.ndarray
    """int8 per pair: independent pieces of evidence that agree (name, e-mail, phone, birth date, street...)"""
    weak: np.ndarray | None = None
    surprise: np.ndarray | None = None
    """float16 (pairs x comparisons) term-frequency surprises, or None: `score` reads them once, for the
    weights, and keeps none (two bytes per pair and comparison, 211 MB at a million contacts);
    `Comparator.levels` recomputes them for any pairs"""

    def n_levels(self) -> list[int]:
        return [len(c.labels) for c in self.prepared.comparisons]

    def auto_ok(self) -> np.ndarray:
        """Pairs that may be merged without review when probable enough (see `auto_mergeable`)."""
        weak = self.weak if self.weak is not None else np.zeros(len(self.conflict), dtype=bool)
        return auto_mergeable(self.conflict, self.evidence, self.cannot, weak)


def blocking_keys(
    prepared: Prepared, settings: DedupeSettings, distinct: Mapping[str, tuple[int, int]] | None = None
) -> list[list[str]]:
    """`distinct`: per field of `exact_fields`, its values present and distinct over the whole table,
    when `prepared` holds only part of it (a distributed engine counts them)."""
    keys = settings.blocking.get(prepared.entity)
    if keys:
        return [list(k) for k in keys]
    keys = [list(k) for k in DEFAULT_BLOCKING[prepared.profile]]
    for name in exact_fields(prepared, settings):
        if identifier_like(*(distinct[name] if distinct is not None else _distinct(prepared.features[name]))):
            keys.append([name])
    return keys


def exact_fields(prepared: Prepared, settings: DedupeSettings) -> list[str]:
    """The extra fields compared exactly: each blocks when it is `identifier_like`."""
    return [
        name
        for name, kind in settings.fields.get(prepared.entity, {}).items()
        if kind == "exact" and name in prepared.features.columns
    ]


IDENTIFIER_SHARE = 0.5
"""An extra field compared exactly blocks only when at least this share of its values is distinct (an
id such as a tax or social-security number), not a category such as a gender or a job title."""


def identifier_like(present: int, distinct: int) -> bool:
    return present > 0 and distinct >= IDENTIFIER_SHARE * present


def _distinct(values: pd.Series) -> tuple[int, int]:
    present = values.dropna()
    return len(present), int(present.nunique())


ORDER_PARTS = ("last", "first", "company", "email", "postal_code")
"""The features an oversized block is sorted by (those a table has), in this order."""


def _order(features: pd.DataFrame, rank: np.ndarray | None = None, factorize: Factorize | None = None) -> np.ndarray:
    """Secondary sort key for sorted neighbourhood inside oversized blocks: the dense rank of the
    tuple of ORDER_PARTS and then `rank` (each record's place in `canonical_order`), so that it orders
    any subset of the records as it orders the whole table, and the same records alike whatever order
    they come in. `factorize`: the features' codes, made already (`Prepared.codes`)."""
    codes = [_sorted_codes(features, c, factorize) for c in ORDER_PARTS if c in features.columns]
    if rank is not None:
        codes.append(np.asarray(rank, dtype=np.int64))
    if not codes:
        return np.arange(len(features))
    # dense rank of the tuple of parts (missing first), from per-column sorted codes, packed into as few int64
    # columns as hold them: each column np.lexsort takes is a stable sort of every record of its own
    if not len(features):
        return np.empty(0, dtype=np.int64)
    codes = packed_columns(codes)
    idx = np.lexsort(codes[::-1])
    change = np.zeros(len(idx), dtype=bool)
    change[0] = True
    for col in codes:
        s = col[idx]
        change[1:] |= s[1:] != s[:-1]
    out = np.empty(len(idx), dtype=np.int64)
    out[idx] = np.cumsum(change) - 1
    return out


def packed_columns(columns: list[np.ndarray]) -> list[np.ndarray]:
    """Integer columns (of one length, not empty) as fewer int64 columns that sort alike: consecutive columns
    joined in mixed radix (each shifted to start at 0) while the number stays below 2**62, so that two rows'
    tuples compare as their packed tuples do (and are equal where those are)."""
    out: list[np.ndarray] = []
    code, bound = None, 1
    for column in columns:
        column = np.asarray(column, dtype=np.int64)
        low, size = int(column.min()), int(column.max()) - int(column.min()) + 1
        if size >= 1 << 62:  # too wide to shift: a column of its own, as it is
            out += [code, column] if code is not None else [column]
            code, bound = None, 1
        elif code is not None and bound * size < 1 << 62:
            code, bound = code * size + (column - low), bound * size
        else:
            if code is not None:
                out.append(code)
            code, bound = column - low, size
    return out if code is None else [*out, code]


def _sorted_codes(features: pd.DataFrame, column: str, factorize: Factorize | None) -> np.ndarray:
    """`pd.factorize(features[column], sort=True)`'s codes, from the column's codes when they are made: the
    distinct values sorted as pandas sorts them, and each code turned into its value's place."""
    if factorize is None:
        return pd.factorize(features[column], sort=True, use_na_sentinel=True)[0]
    codes, uniques = factorize(column)
    place = np.append(sorted_codes(pd.Series(uniques, copy=False)), -1)
    return place[codes]


def places(order: np.ndarray) -> np.ndarray:
    """Each record's place in an order of positions (the inverse permutation)."""
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
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


def canonical_order(ids: pd.Series | np.ndarray, features: pd.DataFrame | None = None) -> np.ndarray:
    """Record positions sorted by record id, then (a repeated or missing id) by the records' features:
    the order random pairs are drawn in, so that the same records give the same u whatever order a file
    or a database returns them in."""
    named = pd.Series(np.asarray(ids, dtype=object)).astype(str)
    # a record without an id is named by its row, which another source numbers otherwise
    named = named.mask(named.str.startswith("row:"), "")
    codes = sorted_codes(named)
    order = np.argsort(codes, kind="stable")
    tied = np.flatnonzero(np.bincount(codes)[codes] > 1)
    if features is None or not len(tied):
        return order.astype(np.int64)
    # only records that share an id need their features to be told apart
    subset = features.iloc[tied]
    keys = [codes[tied]] + [sorted_codes(subset[c]) for c in subset.columns if subset[c].dtype != bool]
    rank = np.empty(len(codes), dtype=np.float64)
    rank[:] = codes
    inner = np.lexsort(keys[::-1])
    rank[tied[inner]] = codes[tied[inner]] + np.arange(len(inner)) / (len(inner) + 1)
    return np.argsort(rank, kind="stable").astype(np.int64)


def random_pairs(
    n: int, settings: DedupeSettings, source: np.ndarray | None = None, order: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The record pairs u (how often two different records reach each level) is measured on: drawn with
    the settings' seed over the records in `order` (see `canonical_order`), so that every engine and
    every row order compares the very same pairs."""
    if order is None:
        order = np.arange(n, dtype=np.int64)
    side = None if source is None else source[order]
    a, b = _random_pairs(n, settings.u_sample, np.random.default_rng(settings.seed), side)
    return order[a], order[b]


def u_start(levels: np.ndarray, n_levels: list[int], counts: np.ndarray | None = None) -> list[np.ndarray]:
    """Starting u per comparison from the levels of the random pairs (`counts`: multiplicity per row)."""
    return [c + 1.0 for c in fs.level_counts(levels, n_levels, counts)]


DERIVED_FEATURES = {
    "name_sorted": ("first", "last"),
    "email_local": ("email", "first", "last"),
    "last_sx": ("last",),
    "company_sx": ("company",),
    "company_word": ("company",),
    "company_compact": ("company",),
    "first_canon": ("first",),
}
"""Blocking features made from a compared feature: a key on them fixes that feature's comparison. An
e-mail's local part is most often made of the names, so pairs sharing one share the names too."""
ADDRESS_FAMILY = frozenset({"address", "site", "locality"})
"""Parts of one address: pairs that share a postcode share a city too, so a session on any of them
leaves all of them out (they would look like evidence the key itself created)."""
EXACT_PARTS = frozenset(
    {
        "email",
        "phone",
        "last",
        "first",
        "postal_code",
        "birth_date",
        "street",
        "city",
        "company",
        "website",
        "country",
        "name_sorted",
    }
)
"""Key parts that mean exact agreement of one comparison: sessions on them can measure lambda."""
DETERMINISTIC_MIN_PAIRS = 20
"""Below this many rule matches the estimate is noise (a handful of import rows)."""
DETERMINISTIC_RECALL = 0.6
"""Share of the true pairs the deterministic rules are assumed to find when no session measures
lambda (Splink asks its user for this `recall`)."""
DEFAULT_DUPLICATE_SHARE = 0.1
"""When nothing measures lambda: assume one record in ten has a duplicate."""
MONOTONE_WARNING_BITS = 1.0
"""A monotone repair that moves a level's weight this much (or fixes a sign) is reported as a warning."""
PURE_SESSION = 0.5
"""Sessions where matches are at least this share of the pairs teach m first (see fellegi_sunter)."""
STRONG_NAME_LEVEL = 2
"""The level a name must reach for a merge without review: 'very similar' (a typo) or better; the first
name's 'nickname' and 'exact' are above it, 'similar or initial' below."""
EVIDENCE_BITS = 1.0
"""A field counts as a piece of agreeing evidence when its level weighs at least this (twice as likely
for a match as for two different records)."""
COPY_BITS = 32.0
"""The least weight of a pair of exact copies (see `Comparator.copies`): a match by rule, short of a label."""


def primary_features(comparison: Comparison) -> tuple[str, ...]:
    """The features whose agreement a comparison measures (blocking on them fixes it)."""
    if comparison.kind == "phone":
        return (*comparison.columns, "phone")
    return (tf_feature(comparison),)


def key_fixes(prepared: Prepared, key: list[str]) -> list[int]:
    """Indices of the comparisons a session on `key` leaves out."""
    wanted: set[str] = set()
    for part in key:
        base = part.partition(":")[0]
        for name in DERIVED_FEATURES.get(base, (base,)):
            wanted.add(name)
            wanted.add(prepared.aliases.get(name, name))
    comps = prepared.comparisons
    fixed = {k for k, c in enumerate(comps) if wanted & set(primary_features(c))}
    if any(comps[k].group in ADDRESS_FAMILY for k in fixed):
        fixed |= {k for k, c in enumerate(comps) if c.group in ADDRESS_FAMILY}
    if prepared.profile == "person" and any(comps[k].group == "name" for k in fixed):
        # people's names belong to a population: two people sharing a name share a country and often a
        # city far more than two random records do, which EM would read as evidence of a match
        fixed |= {k for k, c in enumerate(comps) if c.group in COARSE_GROUPS}
    return sorted(fixed)


def _key_share_among_matches(prepared: Prepared, key: list[str], m: list[np.ndarray]) -> float | None:
    """P(a true pair agrees on the key), from the m of the comparisons the key's parts are exact on."""
    comps = prepared.comparisons
    share = 1.0
    for part in key:
        if ":" in part or part not in EXACT_PARTS:
            return None
        if part == "name_sorted":
            first = next((k for k, c in enumerate(comps) if c.kind == "person_first"), None)
            last = next((k for k, c in enumerate(comps) if c.kind == "person_last"), None)
            if first is None or last is None:
                return None
            share *= float(m[first][3:].sum() * m[last][-1])
            continue
        name = prepared.aliases.get(part, part)
        hits = [k for k, c in enumerate(comps) if name in primary_features(c) or part in primary_features(c)]
        if len(hits) != 1:
            return None
        share *= float(m[hits[0]][-1])
    return share


def fit_model(
    prepared: Prepared,
    pats: np.ndarray,
    counts: np.ndarray,
    u_begin: list[np.ndarray],
    settings: DedupeSettings,
    *,
    keys: list[list[str]] | None = None,
    key_rows: np.ndarray | None = None,
    key_counts: np.ndarray | None = None,
    pairs_per_key: list[int] | None = None,
    all_pairs: int = 0,
    labelled: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    rule_pairs: int | None = None,
    random_levels: list[np.ndarray] | None = None,
) -> fs.Model:
    """m by EM sessions (one per blocking key, u fixed), lambda measured through them, monotone
    weights; everything an engine has to gather is the distinct comparison vectors with their counts
    per blocking-key mask (`key_rows`: pattern index and mask; `key_counts`), and the pairs per key."""
    comps = prepared.comparisons
    n_levels = [len(c.labels) for c in comps]
    u = [fs._normalize(x) for x in u_begin]
    if labelled is not None and labels is not None and len(labelled):
        non = fs.level_counts(labelled[labels == 0], n_levels)
        u = [fs._normalize(x + y) for x, y in zip(u_begin, non, strict=True)]
    keys = keys or []
    sessions: list[fs.Session] = []
    learnt: list[tuple[fs.Session, int, list[np.ndarray], np.ndarray, np.ndarray, list[int]]] = []
    for b, key in enumerate(keys[:32]):
        fixed = key_fixes(prepared, key)
        free = [k for k in range(len(comps)) if k not in fixed]
        label = "+".join(key)
        if key_rows is None or not len(key_rows):
            break
        rows = (key_rows[:, 1] >> b) & 1 == 1
        session_counts = np.bincount(key_rows[rows, 0], weights=key_counts[rows], minlength=len(pats))
        n_pairs = int(session_counts.sum())
        session = fs.Session(label, n_pairs, [comps[k].name for k in fixed])
        sessions.append(session)
        if n_pairs < fs.MIN_SESSION_PAIRS or not free:
            session.note = "too few pairs" if free else "no field left to learn"
            continue
        m, lam, it, converged, seen, gain = fs.fit_session(
            pats,
            session_counts,
            n_levels,
            u,
            free,
            labelled=labelled,
            labels=labels,
            max_iterations=settings.max_iterations,
        )
        session.lam, session.iterations, session.converged = lam, it, converged
        if lam <= fs.LAMBDA_BOUNDS[0]:
            session.note = f"match share {lam:.2g}: no matches to learn from"
            continue
        if not converged:
            # still drifting after max_iterations: the likelihood is flat along some direction, and where
            # EM stopped says nothing
            session.note = f"did not converge in {it} iterations"
            continue
        if gain <= fs.parameters(n_levels, free):
            # the mixture explains the pairs no better than "all different" (Akaike): m and lambda are
            # not identified (EM can drift to every pair a match, with m equal to u)
            session.note = f"found no matches the other fields tell apart (log-likelihood gain {gain:.1f})"
            continue
        session.usable = True
        learnt.append((session, b, m, seen, session_counts, free))
    m_final, sources = [], []
    defaults = fs.default_m(n_levels)
    for k in range(len(comps)):
        fits = [
            (s_, m_[k], seen_[k])
            for s_, _, m_, seen_, _, free_ in learnt
            if k in free_ and seen_[k] >= fs.MIN_EXPECTED_MATCHES
        ]
        pure = [f for f in fits if f[0].lam >= PURE_SESSION]
        chosen = pure or fits
        if chosen:
            total = sum(seen_k for _, _, seen_k in chosen)
            m_final.append(fs._normalize(sum(seen_k * m_k for _, m_k, seen_k in chosen) / total))
            sources.append("em")
            for s_, _, _ in chosen:
                s_.learnt.append(comps[k].name)
        else:
            m_final.append(defaults[k])
            sources.append("default")
    measured = []
    for session, b, _, _, session_counts, free in learnt:
        session.lam = fs.fit_lambda(pats, session_counts, m_final, u, free)
        measured.append((b, session))
    warnings: list[str] = []
    for session in sessions:
        if session.note.startswith(("did not converge", "match share")):
            warnings.append(f"EM on the pairs agreeing on {session.key}: {session.note}; left out")
    defaulted = [comps[k].name for k in range(len(comps)) if sources[k] == "default"]
    if defaulted and comps:
        warnings.append(
            "no training session could learn "
            + ", ".join(defaulted)
            + ": their levels keep the documented default weights"
        )
    # lambda through each session: matches it found / all pairs / P(a match agrees on its key)
    estimates: dict[str, float] = {}
    for b, session in measured:
        share = _key_share_among_matches(prepared, keys[b], m_final)
        if share is None or share <= 0 or not all_pairs or pairs_per_key is None:
            continue
        estimates[session.key] = min(session.lam * pairs_per_key[b] / all_pairs / share, 0.99)
    n_det = int(counts[deterministic_matches(prepared, pats)].sum()) if len(pats) else 0
    if rule_pairs is not None:
        # the rules' matches among all pairs, not only among those blocking compared (a block cap walks
        # a large block of one name by sorted neighbourhood and compares a few of its pairs)
        n_det = max(n_det, rule_pairs)
    floor = n_det / all_pairs if all_pairs else 0.0
    if estimates:
        prior = float(np.exp(np.median(np.log(list(estimates.values())))))
        source = "measured by the training sessions (median)"
        if prior < floor:
            prior, source = floor, "the deterministic rules' matches (the sessions measured less)"
    elif n_det >= DETERMINISTIC_MIN_PAIRS and all_pairs:
        prior = n_det / DETERMINISTIC_RECALL / all_pairs
        source = f"deterministic rules with an assumed recall of {DETERMINISTIC_RECALL}"
        warnings.append(
            "no training session measured the share of matches: it is estimated from the "
            f"deterministic rules ({n_det:,} pairs) with an assumed recall of {DETERMINISTIC_RECALL}"
        )
    else:
        n = len(prepared.features)
        prior = DEFAULT_DUPLICATE_SHARE * n / max(all_pairs, 1)
        source = f"default: one record in {round(1 / DEFAULT_DUPLICATE_SHARE)} has a duplicate"
        warnings.append("nothing measured the share of matches: " + source)
    prior = float(np.clip(prior, 1e-12, 0.99))
    if len(comps) == 1 and sources == ["default"] and rule_pairs is not None and source.startswith("deterministic"):
        m_final[0], u[0] = fs.one_field(u_begin[0], prior)
        sources[0] = "one field"
    if n_det:
        estimates["deterministic rules (floor)"] = floor
    # monotone levels, each level weighed by its candidate pairs
    support = fs.level_counts(pats, n_levels, counts.astype(float)) if len(pats) else [np.ones(n) for n in n_levels]
    adjusted, repaired = [], []
    for k, c in enumerate(comps):
        learnt = np.log2(m_final[k] / u[k])
        fixed_w = fs.monotone(learnt, support[k] + 1.0)
        moved = np.abs(fixed_w - learnt)
        repaired.append(bool(moved.max() > 0.05))
        # a weight of the wrong sign at the ends, or a repair of a bit or more, is worth a warning; the
        # smaller ones are in the model's diagnostics
        wrong_sign = learnt[0] > 0 or learnt[-1] < 0
        if wrong_sign or moved.max() >= MONOTONE_WARNING_BITS:
            changed = [
                f"{c.labels[v]} {learnt[v]:+.1f} -> {fixed_w[v]:+.1f}" for v in range(len(learnt)) if moved[v] > 0.05
            ]
            warnings.append(
                f"{c.name}: EM learnt weights against their order, made monotone ({'; '.join(changed)} bits)"
            )
        adjusted.append(fixed_w)
    model = fs.Model(
        m_final,
        u,
        prior,
        sum(s.iterations for s in sessions),
        all(s.converged for s in sessions if s.iterations) and bool(measured),
        n_det,
        adjusted,
        sessions,
        estimates,
        source,
        sources,
        warnings,
        repaired,
    )
    return model


@dataclass
class PairScores:
    weight: np.ndarray
    probability: np.ndarray
    conflict: np.ndarray
    """the identities disagree: a name-like field (or the birth date) at its 'different' level"""
    evidence: np.ndarray
    weak: np.ndarray
    """the names agree only loosely (below 'very similar'): not enough to merge without review"""


def combined_weight(comparisons: list[Comparison], fw: np.ndarray) -> np.ndarray:
    """Sum of the fields' bits, the agreement of each joint family (see features.JOINT_FAMILIES) counted
    once: its strongest agreeing field, plus every disagreeing one."""
    rest = [k for k, c in enumerate(comparisons) if not c.joint]
    total = np.nansum(fw[:, rest], axis=1) if rest else np.zeros(len(fw))
    for family in sorted({c.joint for c in comparisons if c.joint}):
        part = fw[:, [k for k, c in enumerate(comparisons) if c.joint == family]]
        best = np.max(np.where(part > 0, part, 0.0), axis=1)
        against = np.sum(np.where(part < 0, part, 0.0), axis=1)
        total = total + best + against
    return total


def field_weights(
    model: fs.Model, comparisons: list[Comparison], levels: np.ndarray, surprise: np.ndarray | None
) -> np.ndarray:
    """Bits of evidence per pair and field (float32, NaN where a value is missing): the level's weight,
    or at exact agreement of a term-frequency field the weight of that value (Splink's term-frequency
    adjustment: log2(u_exact / share of records holding it)), never below 0: agreement never counts
    against a match. The levels' own weights are monotone; agreement on a very common value may weigh
    less than the average looser agreement (the same 'Anna' says less than a rare nickname pair)."""
    out = np.full(levels.shape, np.nan, dtype=np.float32)
    weights = model.weights
    for k, c in enumerate(comparisons):
        lv = levels[:, k]
        w = np.asarray(weights[k], dtype=np.float32)
        # one lookup: the missing level (-1) reads the NaN after the levels' weights
        col = np.append(w, np.float32(np.nan))[lv]
        if c.term_frequency and surprise is not None:
            top = (lv == c.top) & ~np.isnan(surprise[:, k])
            if top.any():
                adjusted = w[-1] + np.log2(model.u[k][-1]) + surprise[top, k].astype(np.float32)
                col[top] = np.maximum(adjusted, np.float32(0.0))
        out[:, k] = col
    return out


def pair_weights(
    model: fs.Model,
    comparisons: list[Comparison],
    levels: np.ndarray,
    cannot: np.ndarray,
    surprise: np.ndarray | ExactSurprises | None,
    penalty: float,
    copies: np.ndarray | None = None,
    chunk: int = 1 << 20,
) -> PairScores:
    """Match weight, probability, identity conflict and pieces of agreeing evidence per pair. `copies`:
    the pairs `Comparator.copies` finds, a match by rule (at least COPY_BITS, every piece they hold);
    `surprise`: as `Comparator.levels` or `Comparator.exact_levels` give them."""
    n = len(levels)
    weight = np.empty(n, dtype=np.float64)
    conflict = np.zeros(n, dtype=bool)
    weak = np.zeros(n, dtype=bool)
    evidence = np.zeros(n, dtype=np.int8)
    groups = evidence_groups(comparisons)
    identity = [k for k, c in enumerate(comparisons) if c.group in ("name", "birth_date")]
    names = [k for k, c in enumerate(comparisons) if c.group == "name"]
    surprises = _surprise_chunks(surprise, levels, chunk)
    for start in range(0, n, chunk):
        part = slice(start, start + chunk)
        lv = levels[part]
        fw = field_weights(model, comparisons, lv, next(surprises))
        weight[part] = model.prior_weight + combined_weight(comparisons, fw) - penalty * (cannot[part] != 0)
        copy = np.zeros(len(lv), dtype=bool) if copies is None else copies[part] & (cannot[part] == 0)
        weight[part] = np.where(copy, np.maximum(weight[part], COPY_BITS), weight[part])
        for k in identity:
            conflict[part] |= lv[:, k] == 0
        for k in names:
            weak[part] |= (lv[:, k] >= 0) & (lv[:, k] < STRONG_NAME_LEVEL)
        for g in groups:
            evidence[part] += _agrees(fw, lv, copy, [k for k, c in enumerate(comparisons) if c.group == g])
    return PairScores(weight, fs.probability(weight), conflict, evidence, weak)


def _surprise_chunks(
    surprise: np.ndarray | ExactSurprises | None, levels: np.ndarray, chunk: int
) -> Iterator[np.ndarray | None]:
    """`chunk` pairs' surprises (pairs x comparisons) at a time, or None without surprises."""
    if isinstance(surprise, ExactSurprises):
        yield from surprise.chunks(levels, chunk)
        return
    for start in range(0, len(levels), chunk):
        yield None if surprise is None else surprise[start : start + chunk]


def _agrees(fw: np.ndarray, lv: np.ndarray, copy: np.ndarray, cols: list[int]) -> np.ndarray:
    """bool per pair: some field of `cols` weighs at least EVIDENCE_BITS (a missing field's NaN weighs below any
    bits, as the -1 it was read as did), or holds a value in a pair of copies. Column by column: the weights'
    columns gathered and NaN replaced in a copy of them were most of the pieces' cost."""
    out = np.zeros(len(lv), dtype=bool)
    for k in cols:
        out |= fw[:, k] >= EVIDENCE_BITS
        out |= copy & (lv[:, k] >= 0)
    return out


def evidence_groups(comparisons: list[Comparison]) -> list[str]:
    """The independent pieces of evidence the comparisons make up (a city or a country is none)."""
    return sorted({c.group for c in comparisons if c.group not in COARSE_GROUPS})


def auto_mergeable(conflict: np.ndarray, evidence: np.ndarray, cannot: np.ndarray, weak: np.ndarray) -> np.ndarray:
    """A merge applied without review must rest on two independent agreeing pieces of evidence, with no
    cannot-link rule, no disagreeing identity (a shared e-mail or phone between two different names is
    a family, a shared mailbox or a reseller: it goes to review at most) and names that agree closely
    (the café and the dining room of one hotel share its address, its phone and half their name)."""
    return (evidence >= 2) & ~conflict & ~weak & (cannot == 0)


def order_and_blocking(
    prepared: Prepared, settings: DedupeSettings, source: np.ndarray | None = None, canonical: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, BlockingStats]:
    features = prepared.features
    if canonical is None:
        canonical = canonical_order(prepared.ids, features)
    return candidate_pairs(
        features,
        blocking_keys(prepared, settings),
        max_block=settings.max_block_size,
        window=settings.window,
        order=_order(features, places(canonical), prepared.codes),
        source=source,
        factorize=prepared.codes,
    )


def score(
    prepared: Prepared,
    settings: DedupeSettings,
    *,
    source: np.ndarray | None = None,
    labels: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    keep_values: bool = True,
) -> Scored:
    """Candidate pairs with levels, match weights and probabilities. `labels` = (i, j, is_match). Without
    `keep_values` the prepared table is handed over: its features' values are let go once the pairs are
    blocked and the rules counted (`Prepared.let_go_of_values`), before the pairs are compared."""
    comparator = Comparator(prepared)
    canonical = canonical_order(prepared.ids, prepared.features)
    i, j, stats = order_and_blocking(prepared, settings, source, canonical)
    rule_pairs = rule_pairs_all(prepared, source)
    if not keep_values:
        prepared.let_go_of_values()
    levels, cannot, surprise = comparator.exact_levels(i, j)
    copies = comparator.copies(i, j)
    n_levels = [len(c.labels) for c in prepared.comparisons]
    ra, rb = random_pairs(len(prepared.features), settings, source, canonical)
    rand = comparator.sample_levels(ra, rb) if len(ra) else np.empty((0, len(n_levels)), np.int8)
    pats, inverse, counts = fs.patterns(levels)
    lab_levels = lab_y = None
    pattern_of, pair_keys = inverse, stats.pair_keys
    if labels is not None and len(labels[0]):
        lab_levels = comparator.compare(labels[0], labels[1]).levels
        lab_y = labels[2]
        # a labelled pair enters the training sessions once, as its label says (fit_session), not again
        # with an estimated match probability among the unlabelled pairs
        lab = labelled_mask(i, j, labels[0], labels[1], len(prepared.features))
        pattern_of, pair_keys = inverse[~lab], pair_keys[~lab]
    key_rows, key_counts = fs.pattern_keys(pattern_of, pair_keys, len(pats))
    # every candidate pair's pattern and key bits are read by the sessions' counts alone: let go here, not held
    # with the scored pairs through the clusters (62 MB at a million contacts)
    del inverse, pattern_of, pair_keys
    stats.pair_keys = stats.pair_keys[:0]
    model = fit_model(
        prepared,
        pats,
        counts,
        u_start(rand, n_levels),
        settings,
        keys=blocking_keys_used(stats),
        key_rows=key_rows,
        key_counts=key_counts,
        pairs_per_key=[stats.pairs_per_key[k] for k in stats.keys],
        all_pairs=stats.possible_pairs,
        labelled=lab_levels,
        labels=lab_y,
        rule_pairs=rule_pairs,
    )
    model.warnings[:0] = prepared.warnings
    scores = pair_weights(model, prepared.comparisons, levels, cannot, surprise, settings.penalty, copies)
    return Scored(
        prepared,
        comparator,
        i,
        j,
        levels,
        cannot,
        scores.weight,
        scores.probability,
        model,
        stats,
        None,
        pats,
        scores.conflict,
        scores.evidence,
        scores.weak,
    )


def labelled_mask(i: np.ndarray, j: np.ndarray, li: np.ndarray, lj: np.ndarray, n: int) -> np.ndarray:
    """Which of the pairs (i, j) are labelled pairs (li, lj), in either order."""
    pairs = np.minimum(i, j).astype(np.int64) * n + np.maximum(i, j).astype(np.int64)
    labelled = np.minimum(li, lj).astype(np.int64) * n + np.maximum(li, lj).astype(np.int64)
    return np.isin(pairs, labelled)


def blocking_keys_used(stats: BlockingStats) -> list[list[str]]:
    """The usable blocking keys in the order of the pair-key bits."""
    return [label.split("+") for label in stats.keys]


def rule_pairs_all(prepared: Prepared, source: np.ndarray | None = None) -> int | None:
    """The pairs the deterministic rules call matches among all pairs of the table (linkage: across the
    two sources), when the rules are names alone (`deterministic_matches` of a table of names): the
    records of one exact name make C(n, 2) pairs, counted from the names' frequencies without listing a
    pair. None when the rules ask for more than equal names."""
    comps = prepared.comparisons
    if any(c.kind in ("email", "phone", "domain", "date", "person_first") for c in comps):
        return None
    names: list[str] = []
    for c in comps:  # the name part of deterministic_matches, field by field in the same order
        if c.kind in ("person_last", "company") or (c.kind == "name" and not names):
            names.append(tf_feature(c))
    if not names:
        return None
    frame = prepared.features[names]
    present = frame.notna().all(axis=1).to_numpy()
    codes = np.zeros(len(frame), dtype=np.int64)
    for column in names:
        part, uniques = pd.factorize(frame[column], use_na_sentinel=True)
        codes = pd.factorize(codes * (len(uniques) + 1) + (part + 1))[0].astype(np.int64)
    codes = codes[present]
    if source is None:
        held = np.bincount(codes).astype(np.int64)
        return int((held * (held - 1) // 2).sum())
    side = np.asarray(source)[present]
    left = np.bincount(codes[side == 0], minlength=codes.max() + 1 if len(codes) else 0).astype(np.int64)
    right = np.bincount(codes[side == 1], minlength=len(left)).astype(np.int64)
    return int((left * right).sum())


def deterministic_matches(prepared: Prepared, levels: np.ndarray) -> np.ndarray:
    """Pairs a person would call the same without a model: the same first and last name (company
    name) and the same e-mail address, personal phone, website or date (birth date), each exact.
    A table with names only (a list of company names) has its exact names."""
    n = len(levels)
    contact = np.zeros(n, dtype=bool)
    name = np.ones(n, dtype=bool)
    has_name = has_contact = False
    for k, c in enumerate(prepared.comparisons):
        col = levels[:, k]
        top = len(c.labels) - 1
        if c.kind in ("email", "phone", "domain", "date"):
            contact |= col == top
            has_contact = True
        elif c.kind == "person_first":
            name &= col >= top - 1
            has_name = True
        elif c.kind in ("person_last", "company") or (c.kind == "name" and not has_name):
            name &= col == top
            has_name = True
    if not has_name:
        return contact
    return contact & name if has_contact else name


DECIDED_BITS = 64.0
"""The weight of a labelled pair (+ a match, - a non-match): beyond what any field's evidence reaches."""
AGAINST_BIT = 15
"""Bit of the cluster guard's veto mask for records whose own evidence says they differ."""


def against(
    weight: np.ndarray, prior_weight: float, auto_merge: float, disagree: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Records whose fields say they differ as surely as the auto-merge band asks for agreement: their
    bits, without the prior (inside one cluster two records are not two random records), are at most
    -log2(auto_merge / (1 - auto_merge)), and at least one field disagrees outright (`disagree(rows)`:
    see `Comparator.disagree`, asked only for those rows). Such a pair vetoes a cluster that would hold
    both. Values that are only "similar" are no contradiction: a typo and a dropped word ("Koninklijke
    Philips" / "Koninklijke Phillips Electronics") weigh against a match between random records, but say
    nothing against two members of one cluster."""
    out = weight <= -DECIDED_BITS  # a person said so (auditor.dedupe.labels)
    rows = np.flatnonzero((weight - prior_weight) <= -np.log2(auto_merge / (1 - auto_merge)))
    if len(rows):
        out[rows] |= disagree(rows)
    return out


def veto_mask(scored: Scored, auto_merge: float) -> np.ndarray:
    """Cannot-link rules of the candidate pairs, and AGAINST_BIT where their evidence is against."""
    return _vetoes(scored, scored.i, scored.j, scored.levels, scored.cannot, scored.weight, auto_merge)


def _vetoes(
    scored: Scored,
    i: np.ndarray,
    j: np.ndarray,
    levels: np.ndarray,
    cannot: np.ndarray,
    weight: np.ndarray,
    auto_merge: float,
) -> np.ndarray:
    """The veto mask of pairs (i, j): their cannot-link bits, and AGAINST_BIT (see `against`)."""
    bad = against(
        weight,
        scored.model.prior_weight,
        auto_merge,
        lambda rows: scored.comparator.disagree(i[rows], j[rows], levels[rows]),
    )
    return cannot | (bad.astype(np.uint16) << AGAINST_BIT)


def score_pairs(
    scored: Scored, i: np.ndarray, j: np.ndarray, penalty: float, auto_merge: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Probability and veto mask (see `veto_mask`) of arbitrary pairs under a fitted model (used by the
    cluster guard)."""
    levels, cannot, surprise = scored.comparator.levels(i, j)
    copies = scored.comparator.copies(i, j)
    scores = pair_weights(scored.model, scored.prepared.comparisons, levels, cannot, surprise, penalty, copies)
    return scores.probability, _vetoes(scored, i, j, levels, cannot, scores.weight, auto_merge)
