"""Per-field comparison of candidate pairs, in bulk.

Every feature column is factorized once into integer codes. A comparison of a pair array
(i, j) looks at the codes: equal codes are exact agreement, a null code is "no evidence",
and the similarity of unequal values is computed once per distinct pair of values with
rapidfuzz's `process.cpdist` (aligned lists, C++ loop, all cores). The similarity is then
cut into levels (exact, very similar, similar, different...) as in Splink, so that every
pair carries its per-field evidence and the Fellegi-Sunter model can weigh each level.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler, Levenshtein

from auditor.dedupe import normalize as nz
from auditor.dedupe.features import Comparison, Prepared

NULL = -1
NAME_THRESHOLDS = (0.92, 0.80)
TEXT_THRESHOLDS = (0.90, 0.70)
EMAIL_LOCAL_THRESHOLD = 0.92
CANNOT_LINK_RULES = ("corporate_email", "birth_date")
CHUNK = 1 << 20
"""Pairs compared at once by `Comparator.levels` (about 100 MB of temporaries)."""


@dataclass
class Coded:
    codes: np.ndarray
    uniques: np.ndarray | pd.api.extensions.ExtensionArray
    """The distinct values; Arrow-backed for string features, turned into Python strings only
    for the value pairs a similarity is computed on."""


@dataclass
class Compared:
    levels: np.ndarray
    """int8 (pairs x comparisons), -1 where either value is missing"""
    scores: np.ndarray
    """float32 (pairs x comparisons) similarity in [0, 1], NaN where either value is missing"""
    swapped: np.ndarray
    """bool per pair: first and last names matched crosswise"""
    cannot: np.ndarray
    """uint16 bit mask per pair of the cannot-link rules that fired (bit k = rule_names[k])"""


def _encode(values: list[pd.Series]) -> list[Coded]:
    """Factorize columns with one shared vocabulary."""
    joined = pd.concat(values, ignore_index=True) if len(values) > 1 else values[0]
    codes, uniques = pd.factorize(joined, use_na_sentinel=True)
    codes = codes.astype(np.int32)
    out, start = [], 0
    for v in values:
        out.append(Coded(codes[start:start + len(v)], uniques))
        start += len(v)
    return out


def pair_similarity(
    ca: np.ndarray, cb: np.ndarray, uniques: np.ndarray, scorer, *, distance: bool = False
) -> np.ndarray:
    """Similarity of aligned code arrays: NaN where null, 1 where equal (or 0 distance), scorer otherwise,
    evaluated once per distinct unordered pair of values."""
    out = np.full(len(ca), np.nan, dtype=np.float32)
    valid = (ca >= 0) & (cb >= 0)
    same = valid & (ca == cb)
    out[same] = 0.0 if distance else (100.0 if scorer is fuzz.token_set_ratio else 1.0)
    diff = np.flatnonzero(valid & ~same)
    if len(diff):
        a, b = ca[diff].astype(np.int64), cb[diff].astype(np.int64)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        size = np.int64(len(uniques))
        inverse, keys = pd.factorize(lo * size + hi)
        left, right = uniques[keys // size].tolist(), uniques[keys % size].tolist()
        sims = process.cpdist(left, right, scorer=scorer, workers=-1, dtype=np.float32)
        out[diff] = np.asarray(sims, dtype=np.float32)[inverse]
    return out


def _cut(sim: np.ndarray, thresholds: tuple[float, ...]) -> np.ndarray:
    """NaN -> -1, 1.0 -> len(thresholds)+1 (exact), >= t0 -> len(thresholds), ... , else 0."""
    top = len(thresholds) + 1
    level = np.zeros(len(sim), dtype=np.int8)
    for k, t in enumerate(sorted(thresholds)):
        level[sim >= t] = k + 1
    level[sim >= 1.0] = top
    level[np.isnan(sim)] = NULL
    return level


class Comparator:
    """Compares pairs of records of one prepared table (or of two, concatenated, for linkage)."""

    def __init__(self, prepared: Prepared, *, shared_phone_limit: int = 3,
                 shared_phones: Collection[str] | None = None) -> None:
        """`shared_phones`: the numbers held by `shared_phone_limit` or more records, when the
        records compared are a slice of the table (the count is over the whole table); by default
        they are counted on `prepared`."""
        self.prepared = prepared
        self.comparisons = prepared.comparisons
        f = prepared.features
        self.coded: dict[str, Coded] = {}
        if "first" in f and "last" in f:
            first, last = _encode([f["first"], f["last"]])
            self.coded["first"], self.coded["last"] = first, last
        for c in self.comparisons:
            if c.kind == "phone":
                for col, coded in zip(c.columns, _encode([f[col] for col in c.columns]), strict=True):
                    self.coded[col] = coded
        for col in f.columns:
            if col not in self.coded and f[col].dtype != bool:
                self.coded[col] = _encode([f[col]])[0]
        self.role = {col: f[col].to_numpy(dtype=bool) for col in f.columns if col.endswith("_role")}
        self.shared_phone_limit = shared_phone_limit
        self.phone_common: np.ndarray | None = None
        """bool per phone code (and False for the missing code -1): a shared number (switchboard)"""
        phone_cols = [col for c in self.comparisons if c.kind == "phone" for col in c.columns]
        if phone_cols and shared_phones is not None:
            uniques = pd.Series(self.coded[phone_cols[0]].uniques, dtype=object)
            self.phone_common = np.append(uniques.isin(set(shared_phones)).to_numpy(dtype=bool), False)
        elif phone_cols:
            vocab = len(self.coded[phone_cols[0]].uniques)
            per_record = np.stack([self.coded[col].codes for col in phone_cols], axis=1)
            counts = np.zeros(vocab + 1, dtype=np.int64)
            for k in range(per_record.shape[1]):
                codes = per_record[:, k]
                # a number written in both fields of one record counts once
                dup = np.zeros(len(codes), dtype=bool)
                for m in range(k):
                    dup |= per_record[:, m] == codes
                np.add.at(counts, codes[(codes >= 0) & ~dup], 1)
            self.phone_common = counts >= shared_phone_limit
        self.free_domain = None
        if "email_domain" in self.coded:
            dom = self.coded["email_domain"]
            self.free_domain = np.array([u in nz.FREE_MAIL for u in dom.uniques] + [False], dtype=bool)
        self.rule_names = list(CANNOT_LINK_RULES) + [f"different {c.removeprefix('cl:')}" for c in f.columns
                                                      if c.startswith("cl:")]

    # -- one comparison -----------------------------------------------------------------------

    def _codes(self, col: str, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        coded = self.coded[col]
        return coded.codes[i], coded.codes[j], coded.uniques

    def _name(self, col_a: str, col_b: str, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        a, b = self.coded[col_a], self.coded[col_b]
        return pair_similarity(a.codes[i], b.codes[j], a.uniques, JaroWinkler.normalized_similarity)

    def levels(self, i: np.ndarray, j: np.ndarray, chunk: int = CHUNK) -> tuple[np.ndarray, np.ndarray]:
        """Levels (int8, pairs x comparisons) and cannot-link masks of many pairs, compared chunk by
        chunk: the per-field similarities and value-pair keys of millions of pairs never coexist."""
        levels = np.empty((len(i), len(self.comparisons)), dtype=np.int8)
        cannot = np.empty(len(i), dtype=np.uint16)
        for start in range(0, len(i), chunk):
            part = self.compare(i[start:start + chunk], j[start:start + chunk])
            levels[start:start + chunk] = part.levels
            cannot[start:start + chunk] = part.cannot
        return levels, cannot

    def compare(self, i: np.ndarray, j: np.ndarray) -> Compared:
        n, k = len(i), len(self.comparisons)
        levels = np.full((n, k), NULL, dtype=np.int8)
        scores = np.full((n, k), np.nan, dtype=np.float32)
        swapped = np.zeros(n, dtype=bool)
        cannot = np.zeros(n, dtype=np.uint16)
        names = [c.name for c in self.comparisons]
        for col, c in enumerate(self.comparisons):
            kind = c.kind
            if kind == "person_first":
                sim = self._name("first", "first", i, j)
                lv = _cut(sim, NAME_THRESHOLDS)
                lv[lv == 3] = 4
                ca, cb, _ = self._codes("first_canon", i, j)
                lv[(ca >= 0) & (ca == cb) & (lv < 3)] = 3
                if "last_name" in names:
                    last = self._name("last", "last", i, j)
                    llv = _cut(last, NAME_THRESHOLDS)
                    s_fl = self._name("first", "last", i, j)
                    s_lf = self._name("last", "first", i, j)
                    lfl, llf = _cut(s_fl, NAME_THRESHOLDS), _cut(s_lf, NAME_THRESHOLDS)
                    straight = np.maximum(lv, 0) + np.maximum(llv, 0)
                    cross = np.where(lfl == 3, 4, lfl) + llf
                    swapped = (lfl >= 2) & (llf >= 2) & (cross > straight)
                    lv = np.where(swapped, np.where(lfl == 3, 4, lfl), lv).astype(np.int8)
                    sim = np.where(swapped, s_fl, sim)
                    self._last = (np.where(swapped, llf, llv).astype(np.int8), np.where(swapped, s_lf, last))
                levels[:, col], scores[:, col] = lv, sim
            elif kind == "person_last":
                if getattr(self, "_last", None) is not None and "first_name" in names:
                    levels[:, col], scores[:, col] = self._last
                    self._last = None
                else:
                    sim = self._name("last", "last", i, j)
                    levels[:, col], scores[:, col] = _cut(sim, NAME_THRESHOLDS), sim
            elif kind == "name":
                src = c.columns[0]
                sim = self._name(src, src, i, j)
                levels[:, col], scores[:, col] = _cut(sim, NAME_THRESHOLDS), sim
            elif kind in ("text", "company"):
                ca, cb, uniq = self._codes(c.columns[0], i, j)
                sim = pair_similarity(ca, cb, uniq, fuzz.token_set_ratio) / np.float32(100.0)
                lv = _cut(np.where(np.isnan(sim) | (ca == cb), sim, np.minimum(sim, 0.999)), TEXT_THRESHOLDS)
                levels[:, col], scores[:, col] = lv, sim
            elif kind == "email":
                levels[:, col], scores[:, col] = self._email(c, i, j)
                if c.columns[0] == "email" and self.free_domain is not None:
                    da, db, _ = self._codes("email_domain", i, j)
                    corporate = (da >= 0) & (da == db) & ~self.free_domain[da]
                    cannot |= ((levels[:, col] == 0) & corporate).astype(np.uint16) << 0
            elif kind == "phone":
                levels[:, col], scores[:, col] = self._phone(c, i, j)
            elif kind in ("exact", "domain"):
                ca, cb, _ = self._codes(c.columns[0], i, j)
                valid = (ca >= 0) & (cb >= 0)
                same = valid & (ca == cb)
                levels[:, col] = np.where(valid, same.astype(np.int8), NULL)
                scores[:, col] = np.where(valid, same.astype(np.float32), np.nan)
            elif kind == "postal":
                ca, cb, uniq = self._codes(c.columns[0], i, j)
                prefix = nz.strings(pd.Series(uniq)).str.slice(0, 3)
                pcodes = np.append(pd.factorize(prefix)[0], -1)
                valid = (ca >= 0) & (cb >= 0)
                lv = np.where(ca == cb, 2, np.where(pcodes[ca] == pcodes[cb], 1, 0)).astype(np.int8)
                levels[:, col] = np.where(valid, lv, NULL)
                scores[:, col] = np.where(valid, lv / 2.0, np.nan)
            elif kind == "date":
                ca, cb, uniq = self._codes(c.columns[0], i, j)
                dist = pair_similarity(ca, cb, uniq, Levenshtein.distance, distance=True)
                swapped_text = pd.Series(uniq, dtype=object).map(
                    lambda v: v[:4] + v[6:8] + v[4:6] if isinstance(v, str) and len(v) == 8 else None)
                swap_code = np.append(pd.Index(uniq).get_indexer(swapped_text.to_numpy()), -2)
                swap = (ca >= 0) & (swap_code[ca] == cb)
                lv = np.select([dist == 0, dist <= 1, (dist <= 2) | swap], [3, 2, 1], 0).astype(np.int8)
                lv[np.isnan(dist)] = NULL
                levels[:, col] = lv
                scores[:, col] = np.where(np.isnan(dist), np.nan, np.clip(1 - dist / 8.0, 0, 1))
                if "birth" in c.name:
                    cannot |= (lv == 0).astype(np.uint16) << 1
            elif kind == "number":
                ca, cb, uniq = self._codes(c.columns[0], i, j)
                nums = np.append(pd.to_numeric(pd.Series(uniq, dtype=object), errors="coerce").to_numpy(float), np.nan)
                a, b = nums[ca], nums[cb]
                valid = (ca >= 0) & (cb >= 0) & ~np.isnan(a) & ~np.isnan(b)
                scale = np.maximum(np.abs(a), np.abs(b))
                close = np.abs(a - b) <= 0.1 * np.where(scale == 0, 1, scale)
                lv = np.where(a == b, 2, np.where(close, 1, 0)).astype(np.int8)
                levels[:, col] = np.where(valid, lv, NULL)
                scores[:, col] = np.where(valid, lv / 2.0, np.nan)
        for bit, column in enumerate(c for c in self.prepared.features.columns if c.startswith("cl:")):
            ca, cb, _ = self._codes(column, i, j)
            cannot |= ((ca >= 0) & (cb >= 0) & (ca != cb)).astype(np.uint16) << (len(CANNOT_LINK_RULES) + bit)
        return Compared(levels, scores, swapped, cannot)

    def _email(self, c: Comparison, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        col, role_col = c.columns
        ca, cb, _ = self._codes(col, i, j)
        role = self.role[role_col]
        ra, rb = role[i], role[j]
        valid = (ca >= 0) & (cb >= 0)
        same = valid & (ca == cb)
        lv = np.zeros(len(i), dtype=np.int8)
        score = np.where(same, 1.0, 0.0).astype(np.float32)
        if col == "email" and "email_local" in self.coded:
            la, lb, luniq = self._codes("email_local", i, j)
            local_sim = pair_similarity(la, lb, luniq, JaroWinkler.normalized_similarity)
            lv[local_sim >= EMAIL_LOCAL_THRESHOLD] = 2
            lv[(la >= 0) & (la == lb)] = 3
            score = np.where(same, 1.0, np.nan_to_num(local_sim, nan=0.0) * 0.9).astype(np.float32)
        lv[same] = 4
        lv[same & ra & rb] = 1
        either_role = (ra | rb) & ~same
        lv[~valid | either_role] = NULL
        score[~valid | either_role] = np.nan
        return lv, score

    def _phone(self, c: Comparison, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        has_a = np.zeros(len(i), dtype=bool)
        has_b = np.zeros(len(i), dtype=bool)
        personal = np.zeros(len(i), dtype=bool)
        shared = np.zeros(len(i), dtype=bool)
        common_code = self.phone_common
        for x in c.columns:
            ca = self.coded[x].codes[i]
            has_a |= ca >= 0
            has_b |= self.coded[x].codes[j] >= 0
            for y in c.columns:
                cb = self.coded[y].codes[j]
                eq = (ca >= 0) & (ca == cb)
                common = common_code[ca]
                personal |= eq & ~common
                shared |= eq & common
        lv = np.where(personal, 2, np.where(shared, 1, 0)).astype(np.int8)
        valid = has_a & has_b
        lv[~valid] = NULL
        return lv, np.where(valid, lv / 2.0, np.nan).astype(np.float32)
