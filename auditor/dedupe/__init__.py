"""Duplicate detection: normalize -> block -> compare (rapidfuzz) -> Fellegi-Sunter/EM -> clusters
-> survivorship and a merge plan.

    result = find_duplicates(export.tables, DedupeSettings.from_dict(config["dedupe"]))
    result.pairs, result.clusters, result.merge_plan, result.findings()
    link(new_table, existing_table, settings)      # an import against the existing CRM

Nothing here modifies the data: the merge plan says what an admin (or a script) should do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from auditor.dedupe.blocking import first_rows, oversized_warnings, usable_keys
from auditor.dedupe.cluster import build_clusters, components
from auditor.dedupe.features import prepare
from auditor.dedupe.normalize import remembered
from auditor.dedupe.scoring import auto_mergeable, blocking_keys, field_weights, score, score_pairs, veto_mask
from auditor.dedupe.settings import DedupeSettings
from auditor.dedupe.survive import choose_masters, merge_plan
from auditor.errors import ConfigError, InputError
from auditor.findings import FINDING_COLUMNS, compact, concat_findings, empty_findings, shared_values
from auditor.lookups import index_in
from auditor.model import ENTITIES
from auditor.sources.table import record_ids

__all__ = [
    "DedupeResult",
    "DedupeSettings",
    "Share",
    "Step",
    "assemble",
    "assembled_findings",
    "find_duplicates",
    "link",
    "search_steps",
    "share_findings",
]

Progress = Callable[[str, int, int], None]
BANDS = ("auto_merge", "review", "distinct")
DEDUPE_ENTITIES = ("contacts", "accounts", "leads")
"""The entities an audit looks for duplicates in (leads are also linked to contacts)."""
KEEP_PAIRS_ABOVE = 0.01
"""Pairs below this probability are counted but not listed in `pairs` (they are plainly distinct)."""


@dataclass
class DedupeResult:
    pairs: pd.DataFrame
    """entity, id_a, id_b, match_probability, match_weight, band, cannot_link, evidence,
    then <field>_score (similarity 0-1) and <field>_weight (bits of evidence) per compared field"""
    clusters: pd.DataFrame
    """entity, record_id, cluster_id, is_master, band"""
    merge_plan: pd.DataFrame
    """entity, cluster_id, master_id, merged_ids, field, surviving_value, source_record_id, reason, discarded_values"""
    links: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Cross-table matches (lead -> contact, or import row -> existing record): entity, record_id, other_entity,
    other_id, match_probability, band, evidence."""
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    records: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Per entity: record_id, owner, file, row (to place findings)."""
    settings: DedupeSettings = field(default_factory=DedupeSettings)
    member_rows: dict[str, Any] = field(default_factory=dict)
    """Per entity, the typed Table of the records of the listed pairs, from an engine that holds no
    whole table on the driver (Spark); empty from the pandas engine, whose tables are in hand. The
    reports name a cluster's members from it."""

    @classmethod
    def combined(
        cls, pairs: list[pd.DataFrame], clusters: list[pd.DataFrame], plans: list[pd.DataFrame], **rest: Any
    ) -> DedupeResult:
        """One result from the per-entity pairs, clusters and merge plans (either engine)."""

        def joined(frames: list[pd.DataFrame]) -> pd.DataFrame:
            return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

        return cls(pairs=joined(pairs), clusters=joined(clusters), merge_plan=joined(plans), **rest)

    @property
    def auto_merge_count(self) -> int:
        """Records that would be merged away in the auto-merge band (the CI gate counts these)."""
        n = 0
        if len(self.clusters):
            c = self.clusters
            n += int(((c["band"] == "auto_merge") & ~c["is_master"]).sum())
        if len(self.links):
            n += int((self.links["band"] == "auto_merge").sum())
        return n

    def exit_code(self, fail_on: str = "error") -> int:
        """1 when duplicates of that severity or worse were found (error: auto-merge band; warning: review too)."""
        if fail_on == "never":
            return 0
        if fail_on == "warning":
            return int(bool(len(self.findings())))
        return int(self.auto_merge_count > 0)

    def findings(self) -> pd.DataFrame:
        """Duplicates as findings (dimension uniqueness): error in the auto-merge band, warning in review."""
        return _as_findings(self._cluster_findings() + self._link_findings())

    def link_findings(self) -> pd.DataFrame:
        """The findings of the links alone (the last of `findings()`' rows)."""
        return _as_findings(self._link_findings())

    def _cluster_findings(self) -> list[pd.DataFrame]:
        parts = []
        if len(self.clusters):
            dup = self.clusters[~self.clusters["is_master"]]
            masters = self.clusters[self.clusters["is_master"]]
            best = _best_evidence(self.pairs, self.clusters)
            texts = _shared_texts(self.pairs["evidence"]) if best else None
            for entity, rows in dup.groupby("entity", sort=False):
                master = _masters_of(masters[masters["entity"] == entity], rows["cluster_id"])
                ev = best.get(entity, pd.DataFrame())
                prob: np.ndarray | float = np.nan
                evidence: np.ndarray | str = ""
                if len(ev):
                    at = ev.index.get_indexer(rows["record_id"])  # -1: no pair in its cluster
                    prob = np.append(ev["match_probability"].to_numpy(), np.nan)[at]
                    evidence = _texts_at(texts, np.append(ev["pair"].to_numpy(), -1)[at])
                said: dict[str, str] = {}  # one str per distinct message: the copies of one record share theirs
                message = [
                    said.setdefault(text, text)
                    for text in (
                        f"likely duplicate of {m} (match probability {p:.3f}"
                        + (f"; {e}" if e else "")
                        + "); merge it into the master record"
                        for m, p, e in zip(
                            master, np.broadcast_to(prob, len(rows)), np.broadcast_to(evidence, len(rows)), strict=True
                        )
                    )
                ]
                parts.append(
                    self._finding_rows(entity, rows["record_id"], f"{entity}.duplicate", rows["band"], message, master)
                )
        return parts

    def _link_findings(self) -> list[pd.DataFrame]:
        parts = []
        if len(self.links):
            for (entity, other), rows in self.links.groupby(["entity", "other_entity"], sort=False):
                rule = f"{entity}.duplicate_of_{other.removesuffix('s')}" if other != entity else f"{entity}.duplicate"
                message = [
                    f"duplicates existing {other.removesuffix('s')} {o} (match probability {p:.3f}; {e})"
                    for o, p, e in zip(rows["other_id"], rows["match_probability"], rows["evidence"], strict=True)
                ]
                parts.append(
                    self._finding_rows(
                        entity, rows["record_id"], rule, rows["band"], message, rows["other_id"].to_numpy()
                    )
                )
        return parts

    def _finding_rows(
        self, entity: str, record_ids: pd.Series, rule: str, bands: pd.Series, message: list[str], suggested: np.ndarray
    ) -> pd.DataFrame:
        meta = self.records.get(entity)
        ids = record_ids.to_numpy()
        if meta is not None and len(meta):
            # a record id is repeated only where the ids are themselves a defect: the first record speaks for it
            m, at = meta, _first_places(meta["record_id"], record_ids)
            if at is None:  # not Arrow text: the table's own index answers (no copy of a meta without repeats)
                index = pd.Index(meta["record_id"])
                m = meta if index.is_unique else meta.drop_duplicates("record_id")
                at = (index if m is meta else pd.Index(m["record_id"])).get_indexer(ids)
            if (at >= 0).all():  # by position: an owner or file is one str, not one per record on the way
                owner, file = shared_values(m["owner"].take(at)), shared_values(m["file"].take(at))
                row = m["row"].to_numpy()[at]
            else:
                m = m.drop_duplicates("record_id").set_index("record_id").reindex(ids)
                owner, file, row = m["owner"].to_numpy(), m["file"].to_numpy(), m["row"].to_numpy()
        else:
            owner = file = row = np.full(len(ids), None, dtype=object)
        pk = ENTITIES[entity].primary_key if entity in ENTITIES else "record_id"
        n = len(ids)
        severity = np.array(["warning", "error"], dtype=object)[(bands.to_numpy() == "auto_merge").astype(np.intp)]
        columns = {
            "entity": _repeated(entity, n),
            "record_id": ids,
            "field": _repeated(pk, n),
            "rule_id": _repeated(rule, n),
            "severity": severity,
            "dimension": _repeated("uniqueness", n),
            "message": message,
            "value": ids,
            "suggested_value": suggested,
            "owner": owner,
            "file": file,
        }
        # as objects: pandas would store a million copies' same message as Arrow text, every row's bytes
        frame = pd.DataFrame({k: pd.Series(np.asarray(v, dtype=object), dtype=object) for k, v in columns.items()})
        frame["row"] = row
        return frame


def _as_findings(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return empty_findings()
    return compact(pd.concat(parts, ignore_index=True)[list(FINDING_COLUMNS)])


def _first_places(ids: pd.Series, wanted: pd.Series) -> np.ndarray | None:
    """Per wanted id, the place of the first record with it among `ids` (-1: none), by Arrow's hash of the ids,
    when both are Arrow text (else None). pandas hashed a million ids twice, to learn whether they repeat and to
    look them up, after a copy of the records' meta without the repeats (1 s of the findings of a million
    contacts, whose export repeats some ids); a missing id is found at the first missing one, as pandas finds it."""
    if not isinstance(ids.array, pd.arrays.ArrowStringArray) or not isinstance(
        wanted.array, pd.arrays.ArrowStringArray
    ):
        return None
    return index_in(wanted, ids, nulls_match=True).astype(np.intp, copy=False)


def _places(ids: pd.Series, wanted: pd.Series) -> np.ndarray:
    """`pd.Index(ids).get_indexer(wanted)` of unique `ids`, where each id's first place is its place: by Arrow's
    hash when both are Arrow text (the 700,000 pairs' ids of a million contacts were hashed as Python strings)."""
    at = _first_places(ids, wanted)
    return pd.Index(ids).get_indexer(wanted) if at is None else at


def _repeated(text: str, n: int) -> np.ndarray:
    """`text` in `n` rows, one str shared by all."""
    out = np.empty(n, dtype=object)
    out.fill(text)
    return out


def _masters_of(masters: pd.DataFrame, cluster_ids: pd.Series) -> np.ndarray:
    """The master record id of each cluster id (NaN for a cluster without one), looked up by the integer
    cluster id: a MultiIndex of (entity, cluster) per duplicate cost hundreds of MB on a million copies."""
    at = pd.Index(masters["cluster_id"]).get_indexer(cluster_ids)
    return np.append(masters["record_id"].to_numpy(dtype=object), np.nan)[at]


def _shared_texts(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A text column as (code per row, one str per distinct value), made without a str per row: the
    evidence of a million pairs of copies is one text written a million times (half a gigabyte as strs)."""
    codes, uniques = pd.factorize(column)
    return codes, np.asarray(uniques, dtype=object)


def _texts_at(texts: tuple[np.ndarray, np.ndarray] | None, positions: np.ndarray) -> np.ndarray:
    """The texts of the rows at `positions` (-1: no row), "" where there is none."""
    codes, uniques = texts if texts is not None else (np.zeros(0, dtype=np.intp), np.zeros(0, dtype=object))
    code = np.where(positions >= 0, np.append(codes, -1)[positions], -1)
    return np.append(uniques, "")[code]  # a missing text (code -1) is "" too


def _best_evidence(pairs: pd.DataFrame, clusters: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per entity and non-master record: its pair with the master (else its strongest pair in the cluster),
    as its match probability and the pair's position in `pairs` (its evidence is read from there: the
    text is not copied along). Records are matched by their position among the entity's record ids, not
    by the id text: every sort and copy of a million copies' pairs carried their ids as Arrow text."""
    out: dict[str, pd.DataFrame] = {}
    if not len(pairs) or not len(clusters):
        return out
    pair_entity = pairs["entity"].to_numpy()
    for entity, c in clusters.groupby("entity", sort=False):
        mine = np.flatnonzero(pair_entity == entity)
        # a record id may be repeated (itself a defect): its first cluster speaks for it
        first = c.drop_duplicates("record_id")
        ids = pd.Index(first["record_id"])
        cluster = first["cluster_id"].to_numpy()
        masters = c[c["is_master"]].drop_duplicates("cluster_id")
        master = pd.Series(_places(first["record_id"], masters["record_id"]), index=masters["cluster_id"].to_numpy())
        a = _places(first["record_id"], pairs["id_a"].iloc[mine])
        b = _places(first["record_id"], pairs["id_b"].iloc[mine])
        both = (a >= 0) & (b >= 0)
        both[both] = cluster[a[both]] == cluster[b[both]]
        mine, a, b = mine[both], a[both], b[both]
        probability = pairs["match_probability"].to_numpy()[mine]
        record, other = np.concatenate([a, b]), np.concatenate([b, a])
        allp = pd.DataFrame(
            {
                "match_probability": np.concatenate([probability, probability]),
                "pair": np.concatenate([mine, mine]),
                "record": record,
                "to_master": master.reindex(cluster[record]).to_numpy() == other,
            }
        )
        allp = allp.sort_values(["to_master", "match_probability"], ascending=False)
        best = allp.drop_duplicates("record")
        out[entity] = best[["match_probability", "pair"]].set_axis(ids[best["record"].to_numpy()])
    return out


BAND_NAMES = np.array(BANDS, dtype=object)


def _band(prob: np.ndarray, auto_ok: np.ndarray, settings: DedupeSettings) -> np.ndarray:
    """Band name per pair (object array of three shared strings). `auto_ok`: the pair may be merged
    without review (two agreeing pieces of evidence, no conflict, no cannot-link rule)."""
    code = np.where((prob >= settings.auto_merge) & auto_ok, 0, np.where(prob >= settings.review, 1, 2))
    return BAND_NAMES[code]


def _evidence_strings(
    scored,
    levels: np.ndarray,
    fw: np.ndarray,
    cannot: np.ndarray,
    conflict: np.ndarray,
    evidence: np.ndarray,
    weak: np.ndarray,
    copies: np.ndarray,
    penalty: float,
) -> np.ndarray:
    """Readable evidence per pair: each field's level and bits, strongest first, then what keeps it out of
    the auto-merge band (a cannot-link rule, a conflicting identity, a single piece of evidence). Written
    once per distinct combination of those and shared by its pairs."""
    comps = scored.prepared.comparisons
    if not len(levels):
        return np.empty(0, dtype=object)
    rounded = np.round(np.nan_to_num(fw, nan=0.0), 1)
    copies = copies & (cannot == 0)
    k = len(comps)
    writer = _EvidenceWriter([(c.name, c.labels) for c in comps], scored.comparator.rule_names, penalty)
    flags = (cannot, conflict, evidence, weak, copies)
    # The combinations are grouped column by column (a few integers per pair) instead of sorting a float row
    # of 2k+5 columns per pair (half a gigabyte on a million pairs); a combination whose pairs hold the same
    # bits reads the same from any of them.
    group = _combinations((*levels.T, *rounded.T, *flags))
    negative_zero = (rounded == 0) & np.signbit(rounded)
    if negative_zero.any() and _combinations((group, *negative_zero.T)).max() > group.max():
        # -0.0 equals 0.0 yet prints "-0.0": where one combination holds both, numpy's grouping of the float
        # rows decides which is shown
        key = np.concatenate([levels.astype(np.float64), rounded, *(f[:, None] for f in flags)], axis=1)
        uniques, combo = np.unique(key, axis=0, return_inverse=True)
        texts = [
            writer.text(
                row[:k],
                row[k : 2 * k],
                int(row[2 * k]),
                bool(row[2 * k + 1]),
                int(row[2 * k + 2]),
                bool(row[2 * k + 3]),
                bool(row[2 * k + 4]),
            )
            for row in uniques
        ]
        return np.array(texts, dtype=object)[np.asarray(combo).ravel()]
    firsts = first_rows(group)
    fields = writer.fields_in_order(levels[firsts], rounded[firsts])
    rest = zip(*(f[firsts].tolist() for f in (cannot, conflict, evidence, weak, copies)), strict=True)
    texts = [head + writer.tail(*row) for head, row in zip(fields, rest, strict=True)]
    return np.array(texts, dtype=object)[group]


@dataclass
class _EvidenceWriter:
    """The evidence texts of one table's pairs (see `_evidence_strings`)."""

    fields: list[tuple[str, Sequence[str]]]
    """per comparison, its name and its levels' labels"""
    rule_names: list[str]
    penalty: float

    def item(self, k: int, level: int, bits: float) -> str:
        name, labels = self.fields[k]
        return f"{name} {labels[level]} ({bits:+.1f})"

    def text(
        self,
        level: Sequence[float],
        bits: Sequence[float],
        mask: int,
        conflicting: bool,
        pieces: int,
        loose: bool,
        same: bool,
    ) -> str:
        """One combination's text, field by field (the straightforward form of `fields_in_order`)."""
        items = [
            (abs(b), self.item(k, int(lv), b)) for k, (lv, b) in enumerate(zip(level, bits, strict=True)) if lv >= 0
        ]
        return ", ".join(s for _, s in sorted(items, reverse=True)) + self.tail(mask, conflicting, pieces, loose, same)

    def fields_in_order(self, levels: np.ndarray, bits: np.ndarray) -> list[str]:
        """Per row of levels and rounded bits (one per combination), `text`'s fields: each field's text written
        once per distinct (level, bits) of its column (the bits compared as their bytes: -0.0 prints apart from
        0.0), and the rows' fields ordered at once, by bits and then text, strongest first (a Python sort of ten
        fields' texts per combination, each written again, was most of the pairs frame's time at a million
        contacts)."""
        n, k = levels.shape
        made: list[tuple[list[str], np.ndarray]] = []
        for col in range(k):
            b = np.ascontiguousarray(bits[:, col])
            group = _combinations((levels[:, col], b.view(f"u{b.itemsize}")))
            first = first_rows(group)
            pairs = zip(levels[first, col].tolist(), b[first].tolist(), strict=True)
            made.append(([self.item(col, lv, x) if lv >= 0 else "" for lv, x in pairs], group))
        place = {text: r for r, text in enumerate(sorted({t for texts, _ in made for t in texts}))}
        texts = np.empty((n, k), dtype=object)
        rank = np.empty((n, k), dtype=np.int64)
        for col, (written, group) in enumerate(made):
            texts[:, col] = np.array(written, dtype=object)[group]
            rank[:, col] = np.array([place[t] for t in written], dtype=np.int64)[group]
        strength = np.where(levels >= 0, np.abs(bits.astype(np.float64)), -1.0)
        order = np.lexsort((rank, strength), axis=-1)[:, ::-1]
        shown = (levels >= 0).sum(axis=1).tolist()
        rows = np.take_along_axis(texts, order, axis=1).tolist()
        return [", ".join(row[:count]) for row, count in zip(rows, shown, strict=True)]

    def tail(self, mask: int, conflicting: bool, pieces: int, loose: bool, same: bool) -> str:
        """What keeps a combination out of the auto-merge band."""
        out = ""
        if mask:
            out += (
                "; cannot-link: "
                + ", ".join(n for b, n in enumerate(self.rule_names) if mask >> b & 1)
                + f" ({-self.penalty:+.1f})"
            )
        if same:
            out += "; identical in every compared field: one record entered twice"
        elif conflicting:
            out += "; conflicting identity: review only"
        elif pieces < 2:
            out += "; one piece of evidence: review only"
        elif loose:
            out += "; names agree only loosely: review only"
        return out


def _combinations(columns) -> np.ndarray:
    """One integer per distinct row of aligned columns (0.0 and -0.0 are one value)."""
    group = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(column)
        group, _ = pd.factorize(group * (len(uniques) + 1) + codes)
    return group


def _pairs_frame(
    entity: str, scored, ids_a: np.ndarray, ids_b: np.ndarray, settings: DedupeSettings, keep: np.ndarray
) -> pd.DataFrame:
    """The kept pairs, strongest first. Built column by column in the final order (no sort copy);
    text columns are references to a few shared strings; per-field scores and weights are float32."""

    comps = scored.prepared.comparisons
    rows = np.flatnonzero(keep)
    rows = rows[np.argsort(-np.round(scored.probability[rows], 6), kind="stable")]
    i, j = scored.i[rows], scored.j[rows]
    prob = scored.probability[rows]
    cannot = scored.cannot[rows]
    detail = scored.comparator.compare(i, j)
    levels = scored.levels[rows]
    fw = field_weights(scored.model, comps, levels, detail.surprise)
    conflict, evidence = scored.conflict[rows], scored.evidence[rows]
    weak = scored.weak[rows] if scored.weak is not None else np.zeros(len(rows), dtype=bool)
    names = scored.comparator.rule_names
    mask_codes, masks = pd.factorize(cannot.astype(np.int64))
    lookup = np.array([", ".join(n for b, n in enumerate(names) if int(m) >> b & 1) for m in masks], dtype=object)
    entities = np.empty(len(rows), dtype=object)
    entities.fill(entity)  # one str in every row (np.full would make a str per row)
    columns = {
        "entity": entities,
        "id_a": ids_a[i],
        "id_b": ids_b[j],
        "match_probability": np.round(prob, 6),
        "match_weight": np.round(scored.weight[rows], 3),
        "band": _band(prob, auto_mergeable(conflict, evidence, cannot, weak), settings),
        "cannot_link": lookup[mask_codes] if len(lookup) else np.empty(0, dtype=object),
        "conflict": conflict,
        "evidence_pieces": evidence,
        "names_swapped": detail.swapped,
        "evidence": _evidence_strings(
            scored, levels, fw, cannot, conflict, evidence, weak, scored.comparator.copies(i, j), settings.penalty
        ),
    }
    for k, c in enumerate(comps):
        columns[f"{c.name}_score"] = np.round(detail.scores[:, k], 4)
        columns[f"{c.name}_weight"] = np.round(fw[:, k], 3)
    # pandas would store an object column of strs as Arrow text, every row's bytes: the evidence of a
    # million pairs of copies took 350 MB for one distinct text. Pointers to the shared strs take 8 MB.
    for name in ("entity", "band", "cannot_link", "evidence"):
        columns[name] = pd.Series(columns[name], dtype=object)
    return pd.DataFrame(columns, copy=False)


def model_stats(scored) -> dict[str, Any]:
    """What the model learnt, for the run's diagnostics: the match share and how it was measured, the
    training sessions, each field's levels with m, u and bits, and every warning."""
    model = scored.model
    comparisons = {}
    for k, c in enumerate(scored.prepared.comparisons):
        comparisons[c.name] = {
            "levels": list(c.labels),
            "m": [float(f"{x:.6g}") for x in model.m[k]],
            "u": [float(f"{x:.6g}") for x in model.u[k]],
            "bits": [round(float(x), 3) for x in model.weights[k]],
            "learnt_by": model.sources[k] if k < len(model.sources) else "em",
            "made_monotone": model.repaired[k] if k < len(model.repaired) else False,
            "term_frequency": c.term_frequency,
            "evidence": c.group,
        }
    return {
        "em_iterations": model.iterations,
        "em_converged": model.converged,
        "prior": model.prior,
        "deterministic_pairs": model.deterministic_pairs,
        "model": {
            "match_share": float(f"{model.prior:.6g}"),
            "match_share_from": model.prior_source,
            "match_share_estimates": {k: float(f"{v:.6g}") for k, v in model.prior_estimates.items()},
            "sessions": [s.as_dict() for s in model.sessions],
            "comparisons": comparisons,
        },
        "warnings": list(model.warnings),
    }


def _record_meta(table, ids: pd.Series) -> pd.DataFrame:
    frame = table.frame
    sources = getattr(table, "sources", None)
    files = sources.fillna(table.source).astype(object).to_numpy() if sources is not None else table.source
    return pd.DataFrame(
        {
            "record_id": _inferred_text(ids, ids.to_numpy),
            "owner": (
                _inferred_text(frame["owner"], lambda: frame["owner"].astype(object).to_numpy())
                if "owner" in frame.columns
                else None
            ),
            "file": files,
            "row": table.row_numbers.astype("int64").to_numpy(),
        }
    )


def _inferred_text(values: pd.Series, objects: Callable[[], np.ndarray]) -> Any:
    """A column for a new frame: an Arrow-backed text column whose dtype is the one pandas infers for Python
    strings as it is, else `objects()`, which the frame infers as before. A million ids and owners were made
    Python strings, and the frame made them the same Arrow text again (0.4 s at a million contacts). A column
    without a text (every value missing, or none) is inferred as objects: it goes that way too."""
    inferred = values.dtype == pd.api.types.pandas_dtype("str") and values.count() > 0
    return values.array if inferred else objects()


def match_frame(table) -> pd.DataFrame:
    """The typed frame the matcher reads, with the birth dates as the file wrote them: a birth date
    outside a pandas timestamp's range (1630) or in a format the typing missed still compares."""
    frame = table.frame.reset_index(drop=True)
    raw = getattr(table, "raw", None)
    if raw is None:
        return frame
    dates = [
        c for c in frame.columns if "birth" in c and c in raw.columns and pd.api.types.is_datetime64_any_dtype(frame[c])
    ]
    if not dates:
        return frame
    frame = frame.copy()
    for column in dates:
        frame[column] = raw[column].reset_index(drop=True)
    return frame


def _ids(table) -> pd.Series:
    if table.entity in ENTITIES:
        return record_ids(ENTITIES[table.entity], table.frame, table.row_numbers).reset_index(drop=True)
    return pd.Series([f"row:{r}" for r in table.row_numbers], dtype=object)


class NothingToCompare(InputError):
    """A table without any column duplicates could be found by (no name, e-mail, phone, address...)."""


def require_comparable(
    prepared, settings: DedupeSettings, table, distinct: Mapping[str, tuple[int, int]] | None = None
) -> None:
    """NothingToCompare when no default blocking key of the table can be built (keys the config names
    and cannot be built stay a ConfigError from blocking.usable_keys). `distinct`: as for
    `scoring.blocking_keys`, when `prepared` holds only part of the table."""

    if settings.blocking.get(prepared.entity):
        return
    keys = blocking_keys(prepared, settings, distinct)
    try:
        usable = usable_keys(list(prepared.features.columns), keys)
    except ConfigError:  # no default key can be built: nothing to compare, not a misconfiguration
        usable = []
    if prepared.comparisons and usable:
        return
    columns = ", ".join(str(c) for c in table.frame.columns) or "none"
    raise NothingToCompare(
        f"{prepared.entity}: no column to look for duplicates by; matching needs a name, an e-mail, a phone, a "
        f"website or an address (mapped columns: {columns})",
        file=str(getattr(table, "source", "")) or None,
    )


def _dedupe_one(
    entity: str, table, settings: DedupeSettings
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    frame = match_frame(table)
    ids = _ids(table)
    prepared = prepare(
        frame,
        entity,
        settings.fields.get(entity),
        ids=ids,
        default_region=settings.default_region,
        cannot_link_fields=settings.cannot_link_fields,
    )
    require_comparable(prepared, settings, table)
    if not settings.labels:
        scored = score(prepared, settings, keep_values=False)
        del prepared
        found = _clustered(entity, frame, ids, scored, settings, len(frame))
        # the features, the comparator and the candidate pairs let go before the merge plan is made: its peak
        # was the step's, with 0.8 GB of them still held at a million contacts
        del scored
        return found.with_plan(entity, frame, ids, settings)
    # labelled pairs: learnt from, decided as labelled, and the bands' precision measured by them
    from auditor.dedupe import labels as lab  # here, not at the top: it imports this package

    rows = lab.check_ids(lab.read_labels_file(settings.labels), entity, ids)
    i, j, y = lab.positions(rows, ids)
    scored = score(prepared, settings, labels=(i, j, y), keep_values=False)
    return lab.decided_clusters(entity, frame, ids, scored, settings, len(frame), lab.Labelled(i, j, y, len(rows)))


def clusters_and_plan(
    entity: str, frame: pd.DataFrame, ids: pd.Series, scored, settings: DedupeSettings, records: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Pairs, clusters, merge plan and stats of one scored table.

    `frame`, `ids` and the pairs of `scored` may cover only some of the table's records (a distributed
    engine passes the records of the listed pairs, with every listed pair): whatever this reads of a
    pair below the listing threshold, `score_pairs` recomputes to the same value. `records`: the size
    of the whole table."""
    return _clustered(entity, frame, ids, scored, settings, records).with_plan(entity, frame, ids, settings)


@dataclass
class _Clustered:
    """What `clusters_and_plan` reads of the scored pairs: its merge plan needs none of them."""

    pairs: pd.DataFrame
    clusters: pd.DataFrame
    stats: dict[str, Any]
    labels: np.ndarray
    is_master: np.ndarray
    cluster_ids: np.ndarray

    def with_plan(
        self, entity: str, frame: pd.DataFrame, ids: pd.Series, settings: DedupeSettings
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
        exclude = ((ENTITIES[entity].primary_key,) if entity in ENTITIES else ()) + ("created_at", "updated_at")
        plan = merge_plan(frame, ids, self.labels, self.is_master, self.cluster_ids, settings.survivorship, exclude)
        plan.insert(0, "entity", entity)
        return self.pairs, self.clusters, plan, self.stats


def smallest_of_each(values: np.ndarray, groups: np.ndarray) -> pd.Series:
    """`pd.Series(values).groupby(groups).min()` of text values without a missing one, by each group's least code
    among the values factorized in sorted order: pandas' grouped `min` of Arrow text runs Arrow's query engine,
    whose import alone (`pyarrow.acero`, 0.05 CPU s) was most of the step on a small export."""
    series = pd.Series(values)
    codes, in_order = pd.factorize(series, sort=True)
    keys, group_of = np.unique(groups, return_inverse=True)
    least = np.full(len(keys), len(in_order), dtype=codes.dtype)
    np.minimum.at(least, group_of, codes)
    return pd.Series(in_order.take(least), index=keys, dtype=series.dtype)


def _clustered(
    entity: str, frame: pd.DataFrame, ids: pd.Series, scored, settings: DedupeSettings, records: int
) -> _Clustered:
    n = len(frame)
    labels = build_clusters(
        n,
        scored.i,
        scored.j,
        scored.probability,
        veto_mask(scored, settings.auto_merge),
        settings.review,
        lambda a, b: score_pairs(scored, a, b, settings.penalty, settings.auto_merge),
        settings.max_cluster_size,
    )
    is_master = choose_masters(frame, labels, settings.survivorship)
    id_arr = ids.to_numpy(dtype=object)
    member = labels >= 0
    # stable cluster ids: the smallest record id of the cluster
    cluster_ids = np.full(n, None, dtype=object)
    if member.any():
        smallest = smallest_of_each(id_arr[member], labels[member]).sort_values(kind="stable")
        # a duplicated record id (itself a defect) must not merge two clusters' ids
        repeat = smallest.groupby(smallest).cumcount().to_numpy()
        smallest = smallest.where(repeat == 0, smallest + "~" + (repeat + 1).astype(str))
        cluster_ids[member] = smallest.reindex(labels[member]).to_numpy()
    # the auto-merge edges inside a cluster, looked up among the few pairs probable enough (the labels of every
    # candidate pair's two records were two copies of the pairs at a million contacts, the step's peak)
    auto = np.flatnonzero((scored.probability >= settings.auto_merge) & scored.auto_ok())
    a, b = scored.i[auto], scored.j[auto]
    inside = (labels[a] == labels[b]) & (labels[a] >= 0)
    auto_comp = components(n, a[inside], b[inside])
    master_of = pd.Series(np.flatnonzero(is_master), index=labels[is_master])
    band = np.full(n, None, dtype=object)
    if member.any():
        m = master_of.reindex(labels[member]).to_numpy()
        band[member] = np.where(auto_comp[member] == auto_comp[m], "auto_merge", "review")
        # the master carries its cluster's strongest band
        autos = np.bincount(labels[member], weights=(band[member] == "auto_merge").astype(float))
        has_auto = autos[labels[member]] > 1
        band[np.flatnonzero(member)[is_master[member]]] = np.where(has_auto[is_master[member]], "auto_merge", "review")
    clusters = pd.DataFrame(
        {
            "entity": entity,
            "record_id": id_arr[member],
            "cluster_id": cluster_ids[member],
            "is_master": is_master[member],
            "band": band[member],
        }
    ).sort_values(["cluster_id", "is_master", "record_id"], ascending=[True, False, True], ignore_index=True)
    keep = scored.probability >= min(KEEP_PAIRS_ABOVE, settings.review)
    pairs = _pairs_frame(entity, scored, id_arr, id_arr, settings, keep)
    stats = {
        "records": records,
        "blocking_keys": scored.stats.keys,
        "pairs_per_key": scored.stats.pairs_per_key,
        "candidate_pairs": scored.stats.candidate_pairs,
        "possible_pairs": scored.stats.possible_pairs,
        "reduction_ratio": scored.stats.reduction_ratio,
        "oversized_blocks": scored.stats.oversized_blocks,
        **model_stats(scored),
        "clusters": int(clusters["cluster_id"].nunique()) if len(clusters) else 0,
        "duplicates": int((~clusters["is_master"]).sum()) if len(clusters) else 0,
        "comparisons": [c.name for c in scored.prepared.comparisons],
    }
    stats["warnings"] += oversized_warnings(scored.stats, settings.max_block_size, settings.window)
    return _Clustered(pairs, clusters, stats, labels, is_master, cluster_ids)


def link_frame(new: pd.DataFrame, old: pd.DataFrame) -> pd.DataFrame:
    """The columns both tables have (in the existing table's order), new rows first; a date column
    on either side is read as dates on both."""
    common = [c for c in old.columns if c in new.columns]
    both = pd.concat([new[common], old[common]], ignore_index=True)
    for column in common:
        if pd.api.types.is_datetime64_any_dtype(old[column]) or pd.api.types.is_datetime64_any_dtype(new[column]):
            both[column] = pd.to_datetime(both[column], errors="coerce", utc=True)
    return both


def link_fields(settings: DedupeSettings, new_entity: str, entity: str) -> dict[str, str]:
    return {**settings.fields.get(new_entity, {}), **settings.fields.get(entity, {})}


def _link_frames(new_table, existing_table, settings: DedupeSettings):
    new, old = match_frame(new_table), match_frame(existing_table)
    entity = existing_table.entity
    both = link_frame(new, old)
    ids_new, ids_old = _ids(new_table), _ids(existing_table)
    ids = pd.concat([ids_new, ids_old], ignore_index=True)
    source = np.r_[np.zeros(len(new), dtype=np.int64), np.ones(len(old), dtype=np.int64)]
    prepared = prepare(
        both,
        entity,
        link_fields(settings, new_table.entity, entity),
        ids=ids,
        default_region=settings.default_region,
        cannot_link_fields=settings.cannot_link_fields,
    )
    if not prepared.comparisons:
        raise NothingToCompare(
            f"{new_table.entity} and {entity} share no column that can be compared",
            file=str(getattr(new_table, "source", "")) or None,
        )
    require_comparable(prepared, settings, new_table)
    scored = score(prepared, settings, source=source, keep_values=False)
    return scored, ids, len(new)


def _links(
    new_table, existing_table, settings: DedupeSettings, *, exclude: pd.Series | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Best existing match per new record at or above the review threshold (plus all scored pairs)."""
    scored, ids, n_new = _link_frames(new_table, existing_table, settings)
    return links_of(
        new_table.entity,
        existing_table.entity,
        scored,
        ids,
        settings,
        exclude=exclude,
        records=n_new,
        existing=len(ids) - n_new,
    )


def links_of(
    new_entity: str,
    entity: str,
    scored,
    ids: pd.Series,
    settings: DedupeSettings,
    *,
    exclude: pd.Series | None,
    records: int,
    existing: int,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The links (and listed pairs) of scored linkage pairs; `ids` and the pairs may cover only the
    records of the listed pairs (`records`, `existing`: the sizes of the two tables)."""
    id_arr = ids.to_numpy(dtype=object)
    keep = scored.probability >= min(KEEP_PAIRS_ABOVE, settings.review)
    pairs = _pairs_frame(new_entity, scored, id_arr, id_arr, settings, keep)
    if exclude is not None and len(pairs):
        known = set(zip(exclude.index.astype(str), exclude.astype(str), strict=True))
        pairs = pairs[[(a, b) not in known for a, b in zip(pairs["id_a"], pairs["id_b"], strict=True)]]
    best = pairs[pairs["band"] != "distinct"].drop_duplicates("id_a")
    links = pd.DataFrame(
        {
            "entity": new_entity,
            "record_id": best["id_a"].to_numpy(),
            "other_entity": entity,
            "other_id": best["id_b"].to_numpy(),
            "match_probability": best["match_probability"].to_numpy(),
            "band": best["band"].to_numpy(),
            "evidence": best["evidence"].to_numpy(),
        }
    )
    stats = {
        "records": records,
        "existing_records": existing,
        "blocking_keys": scored.stats.keys,
        "candidate_pairs": scored.stats.candidate_pairs,
        "possible_pairs": scored.stats.possible_pairs,
        "reduction_ratio": scored.stats.reduction_ratio,
        **model_stats(scored),
        "linked": len(links),
    }
    return pairs, links, stats


def converted_contacts(leads) -> pd.Series | None:
    """Contact id by lead id of converted leads: a lead matching the contact it became is no duplicate."""
    if "converted_contact_id" not in leads.frame.columns:
        return None
    conv = leads.frame["converted_contact_id"]
    return pd.Series(conv.to_numpy(), index=_ids(leads).to_numpy())[conv.notna().to_numpy()]


def find_duplicates(
    tables: Mapping[str, Any],
    settings: DedupeSettings | None = None,
    *,
    entities: Sequence[str] = DEDUPE_ENTITIES,
    progress: Progress | None = None,
    strict: bool = False,
) -> DedupeResult:
    """Duplicates within each entity, and leads that duplicate an existing contact. A table with no column
    to compare is skipped with a warning in its stats, or (`strict`, the one table a user asked for) a
    NothingToCompare error naming it."""
    settings = settings or DedupeSettings()
    steps = search_steps(tables, settings, entities=entities, progress=progress, strict=strict)
    with remembered():  # the linkage normalizes the leads' and contacts' values again
        shares = [step.run() for step in steps]
    if progress:
        progress("dedupe done", len(steps), len(steps))
    return assemble(shares, settings)


@dataclass
class Share:
    """What one step of a duplicate search finds (an entity's duplicates, or the leads' links to contacts):
    its parts of the DedupeResult, which `assemble` joins in the steps' order."""

    pairs: list[pd.DataFrame] = field(default_factory=list)
    clusters: list[pd.DataFrame] = field(default_factory=list)
    plans: list[pd.DataFrame] = field(default_factory=list)
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    records: dict[str, pd.DataFrame] = field(default_factory=dict)
    links: pd.DataFrame | None = None


@dataclass(frozen=True)
class Step:
    """One step of a duplicate search, which may run in any process and in any order: the steps read the
    loaded tables only, never each other's results."""

    name: str
    """the entity, or "leads~contacts" for the linkage"""
    run: Callable[[], Share]
    linked: bool
    """whether the step normalizes the values the linkage normalizes again (the contacts', the leads', the
    linkage's own): done in one process, under one `remembered()`, they are normalized once"""
    records: int
    """the records the step reads (the linkage: the leads and the contacts), the measure of its work by which
    the processes sharing the steps choose (`auditor.beside`)"""


def assemble(shares: Sequence[Share], settings: DedupeSettings) -> DedupeResult:
    """One result from the shares of `search_steps`' steps, given in the steps' order: the same frames,
    row and column order and stats order whichever process ran which step."""
    pairs, clusters, plans, stats, records = [], [], [], {}, {}
    links = pd.DataFrame()
    for share in shares:
        pairs += share.pairs
        clusters += share.clusters
        plans += share.plans
        stats |= share.stats
        records |= share.records
        if share.links is not None:
            links = share.links
    return DedupeResult.combined(pairs, clusters, plans, links=links, stats=stats, records=records, settings=settings)


def share_findings(share: Share, settings: DedupeSettings) -> pd.DataFrame:
    """The findings of one step's share made where the step ran: its entity's duplicates. A linkage's
    findings name its records by what the entity's own step read of them, so they are made from the
    assembled result (`assembled_findings`)."""
    return empty_findings() if share.links is not None else assemble([share], settings).findings()


def assembled_findings(result: DedupeResult, shares: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """`result.findings()` from the steps' `share_findings`, given in the steps' order."""
    parts = [frame for frame in (*shares, result.link_findings()) if len(frame)]
    if not parts:
        return empty_findings()
    return parts[0] if len(parts) == 1 else concat_findings(parts)


def search_steps(
    tables: Mapping[str, Any],
    settings: DedupeSettings,
    *,
    entities: Sequence[str] = DEDUPE_ENTITIES,
    progress: Progress | None = None,
    strict: bool = False,
) -> list[Step]:
    """The steps of `find_duplicates`, in the order their shares are assembled. A bad labels file fails
    here, naming its row and column, before any step runs."""
    if settings.labels:
        from auditor.dedupe.labels import read_labels_file  # it imports this package

        read_labels_file(settings.labels, entities=entities)
    todo = [e for e in entities if e in tables and len(tables[e].frame)]
    cross = "leads" in todo and "contacts" in tables and "leads" in entities
    total = len(todo) + int(cross)

    def said(label: str, step: int) -> None:
        if progress:
            progress(label, step, total)

    def own(entity: str, step: int) -> Callable[[], Share]:
        def run() -> Share:
            said(f"dedupe {entity}", step)
            table = tables[entity]
            try:
                p, c, m, s = _dedupe_one(entity, table, settings)
            except NothingToCompare as error:
                if strict:
                    raise
                return Share(stats={entity: skipped_stats(len(table.frame), str(error))})
            return Share([p], [c], [m], {entity: s}, {entity: _record_meta(table, _ids(table))})

        return run

    def linkage() -> Share:
        said("dedupe leads~contacts", len(todo))
        leads = tables["leads"]
        links = pd.DataFrame()
        try:
            _, links, s = _links(leads, tables["contacts"], settings, exclude=converted_contacts(leads))
        except NothingToCompare as error:
            if strict:
                raise
            s = skipped_stats(len(leads.frame), str(error))
        return Share(stats={"leads~contacts": s}, links=links)

    steps = [Step(e, own(e, i), cross and e in ("contacts", "leads"), len(tables[e].frame)) for i, e in enumerate(todo)]
    if cross:
        steps.append(Step("leads~contacts", linkage, True, len(tables["leads"].frame) + len(tables["contacts"].frame)))
    return steps


def link(new_table: Any, existing_table: Any, settings: DedupeSettings | None = None) -> DedupeResult:
    """Record linkage of an import against the existing base: which new rows duplicate existing records.

    `pairs` holds the scored cross pairs (id_a new, id_b existing), `links` the best existing match
    of each new record at or above the review threshold, and `findings()` one finding per such record.
    Duplicates inside the import itself are found by `find_duplicates` on the import.
    """
    settings = settings or DedupeSettings()
    pairs, links, stats = _links(new_table, existing_table, settings)
    if new_table.entity == existing_table.entity:
        links["other_entity"] = existing_table.entity
    return DedupeResult(
        pairs=pairs,
        clusters=pd.DataFrame(columns=["entity", "record_id", "cluster_id", "is_master", "band"]),
        merge_plan=pd.DataFrame(),
        links=links,
        stats={f"{new_table.entity}~{existing_table.entity}": stats},
        records={new_table.entity: _record_meta(new_table, _ids(new_table))},
        settings=settings,
    )


def skipped_stats(records: int, reason: str) -> dict[str, Any]:
    """The stats of a table duplicate detection could not look at: counted, with the reason as a warning."""
    return {
        "records": records,
        "candidate_pairs": 0,
        "possible_pairs": 0,
        "reduction_ratio": 0.0,
        "clusters": 0,
        "duplicates": 0,
        "skipped": reason,
        "warnings": [f"duplicates not checked: {reason}"],
    }
