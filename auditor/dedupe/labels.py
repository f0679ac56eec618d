"""Pairs a person has labelled (the review page's labels.csv, or the config's `labels:` file), fed back
into duplicate detection.

    entity,id_a,id_b,label
    contacts,C000720,C002049,match
    contacts,C001718,C002101,non_match

- *Decided as labelled*: a `match` pair is merged (it joins the auto-merge band whatever its evidence),
  a `non_match` pair is never merged and vetoes any cluster that would hold both records, like a
  cannot-link rule.
- *Learnt from* (`scoring.fit_model`): the labelled matches enter every EM training session as known
  matches, with their match probability fixed at 1 instead of estimated, and the non-matches enter u.
- *Measured by*: each band's precision is estimated from the labelled pairs the model put in it (the
  band the pair has without its label), with a Wilson score interval.

The file is checked as a whole before anything else is done: a missing column, an unknown label value,
an empty or unknown record id is one error naming the file, the row and the column. Columns beyond
these (the review page also writes each pair's match probability and band when labelled) are ignored.
The `is_match` column of older files (1/0, yes/no, true/false) is read as `label`.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from auditor.dedupe import BANDS, _band, clusters_and_plan
from auditor.dedupe.scoring import DECIDED_BITS, pair_weights
from auditor.errors import InputError, did_you_mean

LABELS = ("match", "non_match")
COLUMNS = ("entity", "id_a", "id_b", "label")
"""What the review page writes (and this reads): the pair's entity, its two record ids and the label."""
FORMULA_STARTS = ("=", "+", "-", "@")
LEGACY_TRUE = ("1", "true", "yes", "y")
LEGACY_FALSE = ("0", "false", "no", "n")
PAIR_ARRAYS = ("i", "j", "levels", "cannot", "weight", "probability", "pattern_index", "conflict", "evidence")
PAIR_ARRAYS += ("weak", "surprise")
"""The per-pair arrays of a `scoring.Scored`."""
Z95 = 1.959964
"""The normal quantile of a two-sided 95% interval."""


@dataclass
class LabelFile:
    """A checked labels file: one row per labelled pair (entity, id_a, id_b, label, row)."""

    path: str
    frame: pd.DataFrame
    """entity (None when the file has no entity column), id_a, id_b, label (match/non_match), row
    (the file's line number, header = 1)"""

    def for_entity(self, entity: str) -> pd.DataFrame:
        """The rows of one entity (every row when the file names no entity)."""
        entities = self.frame["entity"]
        return self.frame[entities.isna() | (entities == entity)]


def _label(value: str) -> str | None:
    text = "_".join(value.strip().lower().replace("-", " ").split())
    if text in ("match", "non_match", "nonmatch", "not_a_match", "no_match"):
        return "match" if text == "match" else "non_match"
    return None


def read_labels_file(path: str | Path, entities: Iterable[str] | None = None) -> LabelFile:
    """The labels at `path`, checked row by row; an InputError names the file, row and column of the
    first problem (exit 2). `entities`: the entity names a row may give (None: any)."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise InputError("labels file not found", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the labels: {error}", file=str(path)) from None
    except csv.Error as error:
        raise InputError(f"not a CSV file: {error}", file=str(path)) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputError("the labels file is empty; it needs a header entity,id_a,id_b,label", file=str(path))
    header = [cell.strip().lower() for cell in rows[0]]
    at = {name: header.index(name) for name in dict.fromkeys(header)}
    wanted = "label" if "label" in at or "is_match" not in at else "is_match"
    for name in ("id_a", "id_b", wanted):
        if name not in at:
            raise InputError(
                f"missing column; a labels file has the columns {', '.join(COLUMNS)}"
                + did_you_mean(name, [h for h in header if h not in COLUMNS]).replace("did you mean", "rename"),
                file=str(path),
                row=1,
                column=name,
            )
    known = None if entities is None else list(entities)
    out: dict[str, list[Any]] = {"entity": [], "id_a": [], "id_b": [], "label": [], "row": []}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line

        def cell(name: str, cells: list[str] = cells) -> str:
            k = at.get(name)
            text = cells[k].strip() if k is not None and k < len(cells) else ""
            # the review page writes a cell a spreadsheet would run as a formula with a leading quote
            return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_STARTS else text

        for name in ("id_a", "id_b"):
            if not cell(name):
                raise InputError("empty record id", file=str(path), row=number, column=name)
        raw = cell(wanted)
        if wanted == "is_match":
            flag = raw.lower()
            if flag not in LEGACY_TRUE + LEGACY_FALSE:
                raise InputError(
                    f"unknown value {raw!r}; is_match is 1 or 0 (yes/no, true/false)",
                    file=str(path),
                    row=number,
                    column="is_match",
                )
            label = "match" if flag in LEGACY_TRUE else "non_match"
        else:
            label = _label(raw)
            if label is None:
                raise InputError(
                    f"unknown label {raw!r}; a label is match or non_match" + did_you_mean(raw, LABELS),
                    file=str(path),
                    row=number,
                    column="label",
                )
        entity = cell("entity") or None
        if entity is not None and known is not None and entity not in known:
            raise InputError(
                f"unknown entity {entity!r}" + did_you_mean(entity, known), file=str(path), row=number, column="entity"
            )
        out["entity"].append(entity)
        out["id_a"].append(cell("id_a"))
        out["id_b"].append(cell("id_b"))
        out["label"].append(label)
        out["row"].append(number)
    text = dict.fromkeys(("entity", "id_a", "id_b", "label"), object)
    frame = pd.DataFrame(out, columns=list(out)).astype({**text, "row": "int64"})
    return LabelFile(str(path), frame)


def with_labels(settings: Any, path: str | Path | None) -> Any:
    """`settings` with the labels file of --labels (which replaces the config's `labels:`), checked
    before any work: an InputError names the file, row and column of its first problem."""
    if path is None:
        return settings
    read_labels_file(path)
    return dataclasses.replace(settings, labels=str(path))


def audit_with_labels(config: Any, path: str | Path) -> None:
    """The audit config (changed in place) with --labels: an InputError when the config turned
    duplicate detection off."""
    if config.dedupe is None:
        raise InputError("--labels needs duplicate detection, which the config turns off (dedupe: false)")
    config.dedupe = with_labels(config.dedupe, path)


def check_ids(labels: LabelFile, entity: str, ids: Iterable[Any]) -> pd.DataFrame:
    """The rows of `entity`, each id checked against the entity's record ids: an InputError names the
    first row and column whose id is not a record of the entity. A file without an entity column names
    pairs of any entity: its rows whose ids are not both records of this one are left to the others."""
    rows = labels.for_entity(entity)
    known = pd.Index(pd.Series(list(ids), dtype=object).astype(str).unique())
    has_a, has_b = rows["id_a"].isin(known).to_numpy(), rows["id_b"].isin(known).to_numpy()
    named = rows["entity"].notna().to_numpy()
    bad = named & ~(has_a & has_b)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        column = "id_a" if not has_a[k] else "id_b"
        value = rows[column].iloc[k]
        raise InputError(
            f"unknown record id {value!r}: no {entity} record has it",
            file=labels.path,
            row=int(rows["row"].iloc[k]),
            column=column,
        )
    return rows[has_a & has_b]


def positions(rows: pd.DataFrame, ids: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, is_match as 1.0/0.0) of labelled rows, by record position (a repeated id speaks by its
    first record); the last label of a pair given twice wins."""
    return positions_at(rows, pd.Series(np.arange(len(ids)), index=ids.astype(str).to_numpy()))


def positions_at(rows: pd.DataFrame, pos: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`positions` with `pos`: record position by record id (an engine that holds no whole table
    looks up the labelled ids only); pairs of the same record are left out, i < j, in the order of
    each pair's last row."""
    pos = pos[~pos.index.duplicated()]
    a = pos.reindex(rows["id_a"]).to_numpy(dtype=np.int64)
    b = pos.reindex(rows["id_b"]).to_numpy(dtype=np.int64)
    y = (rows["label"] == "match").to_numpy(dtype=float)
    i, j = np.minimum(a, b), np.maximum(a, b)
    keep = i != j
    i, j, y = i[keep], j[keep], y[keep]
    if not len(i):
        return i, j, y
    key = pd.Series(np.arange(len(i)), index=pd.MultiIndex.from_arrays([i, j]))
    last = np.sort(key.groupby(level=[0, 1]).last().to_numpy())
    return i[last], j[last], y[last]


@dataclass
class Labelled:
    """The labelled pairs of one entity, by position among the scored records."""

    i: np.ndarray
    j: np.ndarray
    y: np.ndarray
    rows: int
    """the file's rows for the entity"""


def decided_clusters(
    entity: str, frame: pd.DataFrame, ids: pd.Series, scored: Any, settings: Any, records: int, labelled: Labelled
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """`clusters_and_plan` with the labelled pairs decided as labelled (either engine): the pairs with
    their labels, the clusters, the merge plan and the stats with `labels`."""
    decided = decide(scored, labelled.i, labelled.j, labelled.y, settings)
    pairs, clusters, plan, stats = clusters_and_plan(entity, frame, ids, scored, settings, records)
    stats["labels"] = label_stats(decided, labelled.rows, BANDS)
    return annotate(pairs, ids.to_numpy(dtype=object), decided), clusters, plan, stats


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (successes of n); (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


def band_precision(bands: Iterable[str], is_match: Iterable[float], band_names: Iterable[str]) -> dict[str, Any]:
    """Per band: the labelled pairs the model put in it, how many of them are matches, the precision
    (matches / labelled) and its 95% Wilson interval (None without labelled pairs)."""
    frame = pd.DataFrame({"band": list(bands), "y": list(is_match)})
    out: dict[str, Any] = {}
    for band in band_names:
        y = frame.loc[frame["band"] == band, "y"]
        n, k = len(y), int((y > 0.5).sum())
        low, high = wilson(k, n)
        out[band] = {
            "labelled": n,
            "matches": k,
            "precision": round(k / n, 4) if n else None,
            "interval": [round(low, 4), round(high, 4)] if n else None,
        }
    return out


@dataclass
class Decided:
    """What the labels did to one entity's pairs."""

    i: np.ndarray
    j: np.ndarray
    is_match: np.ndarray
    model_probability: np.ndarray
    """the pair's match probability without its label"""
    model_band: np.ndarray
    added: int = 0
    """labelled pairs blocking had not compared (scored and added to the pairs)"""
    stats: dict[str, Any] = field(default_factory=dict)


def decide(scored: Any, i: np.ndarray, j: np.ndarray, y: np.ndarray, settings: Any) -> Decided:
    """Give the labelled pairs their labels in `scored` (changed in place): a match gets probability 1 and
    may be merged without review, a non-match probability 0 and vetoes any cluster holding both records.
    A labelled pair blocking did not compare is scored and added first. Each pair's band without its
    label is kept for the precision estimate."""
    n = len(scored.prepared.features)
    key = scored.i.astype(np.int64) * n + scored.j.astype(np.int64)
    key_swapped = scored.j.astype(np.int64) * n + scored.i.astype(np.int64)
    order = pd.Series(np.arange(len(key)), index=key)
    order = order[~order.index.duplicated()]
    swapped = pd.Series(np.arange(len(key)), index=key_swapped)
    swapped = swapped[~swapped.index.duplicated()]
    wanted = i.astype(np.int64) * n + j.astype(np.int64)
    at = order.reindex(wanted).to_numpy(dtype=float)
    at = np.where(np.isnan(at), swapped.reindex(wanted).to_numpy(dtype=float), at)
    missing = np.isnan(at)
    added = int(missing.sum())
    if added:
        mi, mj = i[missing], j[missing]
        levels, cannot, surprise = scored.comparator.levels(mi, mj)
        copies = scored.comparator.copies(mi, mj)
        s = pair_weights(scored.model, scored.prepared.comparisons, levels, cannot, surprise, settings.penalty, copies)
        start = len(scored.i)
        scored.i = np.r_[scored.i, mi.astype(scored.i.dtype)]
        scored.j = np.r_[scored.j, mj.astype(scored.j.dtype)]
        scored.levels = np.concatenate([scored.levels, levels.astype(scored.levels.dtype)])
        scored.cannot = np.r_[scored.cannot, cannot.astype(scored.cannot.dtype)]
        scored.weight = np.r_[scored.weight, s.weight]
        scored.probability = np.r_[scored.probability, s.probability]
        scored.conflict = np.r_[scored.conflict, s.conflict]
        scored.evidence = np.r_[scored.evidence, s.evidence.astype(scored.evidence.dtype)]
        if scored.weak is not None:
            scored.weak = np.r_[scored.weak, s.weak]
        if scored.surprise is not None:
            scored.surprise = np.concatenate([scored.surprise, surprise.astype(scored.surprise.dtype)])
        if scored.pattern_index is not None:
            scored.pattern_index = np.r_[scored.pattern_index, np.full(added, -1, dtype=scored.pattern_index.dtype)]
        at[missing] = start + np.arange(added)
        # back in pair order, so that either engine lists ties alike (an engine holds only the listed pairs)
        order = np.lexsort((scored.j, scored.i))
        for name in PAIR_ARRAYS:
            value = getattr(scored, name)
            if value is not None:
                setattr(scored, name, value[order])
        at = np.argsort(order)[at.astype(np.int64)]
    at = at.astype(np.int64)
    for name in ("probability", "weight", "conflict", "cannot", "evidence", "weak"):
        value = getattr(scored, name)
        if value is not None and not value.flags.writeable:  # an engine's arrays may be read-only views
            setattr(scored, name, value.copy())
    prob = scored.probability[at].copy()
    band = _band(prob, scored.auto_ok()[at], settings)
    match = y > 0.5
    yes, no = at[match], at[~match]
    scored.probability[yes], scored.weight[yes] = 1.0, DECIDED_BITS
    scored.conflict[yes], scored.cannot[yes] = False, 0
    scored.evidence[yes] = np.maximum(scored.evidence[yes], 2)
    if scored.weak is not None:
        scored.weak[yes] = False
    scored.probability[no], scored.weight[no] = 0.0, -DECIDED_BITS
    return Decided(i, j, y, prob, band, added)


def annotate(pairs: pd.DataFrame, ids: np.ndarray, decided: Decided) -> pd.DataFrame:
    """The pairs frame with `label` (match, non_match or empty) and `model_probability` (the pair's
    match probability without its label) after `match_probability`. The labelled non-matches are not
    listed (probability 0)."""
    labelled = pd.DataFrame(
        {
            "id_a": ids[decided.i],
            "id_b": ids[decided.j],
            "label": np.where(decided.is_match > 0.5, "match", "non_match"),
            "model_probability": np.round(decided.model_probability, 6),
        }
    )
    both = pd.concat([labelled, labelled.rename(columns={"id_a": "id_b", "id_b": "id_a"})], ignore_index=True)
    both = both.drop_duplicates(["id_a", "id_b"])
    merged = pairs[["id_a", "id_b"]].merge(both, on=["id_a", "id_b"], how="left")
    out = pairs.copy()
    at = out.columns.get_loc("match_probability") + 1
    out.insert(at, "model_probability", merged["model_probability"].fillna(out["match_probability"]).to_numpy())
    out.insert(at, "label", merged["label"].fillna("").to_numpy())
    is_match = out["label"].to_numpy() == "match"
    out.loc[is_match, "evidence"] = out.loc[is_match, "evidence"] + "; labelled a match"
    return out


def label_stats(decided: Decided, rows: int, band_names: Iterable[str]) -> dict[str, Any]:
    """What result.json and the terminal say about one entity's labels."""
    match = decided.is_match > 0.5
    return {
        "file_rows": rows,
        "pairs": len(decided.i),
        "matches": int(match.sum()),
        "non_matches": int((~match).sum()),
        "not_compared_before": decided.added,
        "band_precision": band_precision(decided.model_band, decided.is_match, band_names),
    }


def report_lines(stats: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The label lines of every entity of a run's duplicate stats that has labelled pairs (for
    `audit --labels`)."""
    lines = []
    for entity, s in stats.items():
        if s.get("labels", {}).get("pairs"):
            lines.append(f"{entity}:")
            lines.extend(summary_lines(entity, s["labels"]))
    return lines


def summary_lines(entity: str, stats: Mapping[str, Any]) -> list[str]:
    """Terminal lines: the labelled decisions, then each band's precision estimated from the labels."""
    if not stats["pairs"]:
        return [f"  labels: no labelled pair of {entity}"]
    lines = [
        f"  labels: {stats['pairs']:,} labelled pairs decided as labelled: {stats['matches']:,} match (merged), "
        f"{stats['non_matches']:,} non_match (never merged)"
    ]
    for band, p in stats["band_precision"].items():
        if not p["labelled"]:
            lines.append(f"  {band} band precision: no labelled pairs")
            continue
        low, high = p["interval"]
        lines.append(
            f"  {band} band precision from labels: {p['matches']:,} of {p['labelled']:,} labelled pairs are "
            f"matches = {p['precision']:.0%} (95% Wilson interval {low:.0%}-{high:.0%})"
        )
    return lines
