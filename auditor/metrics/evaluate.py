"""Compute metrics with their confidence: value, interval, flag, reasons, worklist, breakdowns.

    results = evaluate_metrics(frames, findings, as_of="2026-10-31", clusters=clusters)

`frames` are the typed frames per entity (the loader's `Table.frame`); `findings` the audit's
findings; `clusters` an optional (entity, record_id, cluster_id) frame of duplicate clusters.
Each metric is computed up to four more times: without its failing records (sensitivity), with
them back in and their unknown cells taken from passing records of their kind (`impute.py`; shares,
means, medians and NPS), with duplicate clusters merged, and per breakdown group (`breakdowns.py`);
and, when coverage or sensitivity holds its flag below HIGH, once per probe of the bound (`bounds.py`).
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from auditor.checks.kinds.currency import codes
from auditor.errors import ConfigError, InputError, did_you_mean
from auditor.lookups import NOT_TEXT, index_in, is_in, large_text
from auditor.metrics.activity import RID, record_ids
from auditor.metrics.bounds import bound, finite_numbers, median_bound
from auditor.metrics.breakdowns import Coverage, breakdowns
from auditor.metrics.common import (
    CODE,
    KEPT_RESULTS,
    Params,
    arrow_text,
    code_findings,
    coded,
    id_codes,
    id_codes_and_positions,
    kept,
    put_text,
    rows_coded,
    text,
)
from auditor.metrics.confidence import Flag, MetricsSettings, distance, interval
from auditor.metrics.impute import alike_draw, like_their_kind, strata_columns, telling_column
from auditor.metrics.language import PART_FROM_ROWS
from auditor.metrics.registry import Estimate, Metric, get_metric, registry, value_of
from auditor.metrics.screening import reads_of, screen, suspects
from auditor.model import ENTITIES, DType, Role
from auditor.money import Money
from auditor.sources.convert import parse_bool

FRESHNESS_FIELDS = ("updated_at", "created_at", "entered_at", "occurred_at", "responded_at", "period")


@dataclass
class MetricResult:
    id: str
    title: str
    unit: str
    value: Any
    interval: tuple[float, float] | None
    flag: Flag
    reasons: list[str]
    """most serious first; the first explains the flag"""
    n: int | None = None
    coverage: float | None = None
    sensitivity: float | None = None
    """relative change of the value with the failing records excluded"""
    duplicates: float | None = None
    """relative change of the value with duplicate clusters merged (None: not checked)"""
    value_excluding_failing: Any = None
    value_duplicates_merged: Any = None
    trusted_value: Any = None
    """the value a reader can lean on: with the failing records excluded when that moves it beyond
    the HIGH threshold (else with duplicates merged when that does, else the value itself)"""
    warning: str | None = None
    """said before the value when the raw value and the trusted one differ beyond the HIGH threshold"""
    freshness_days: float | None = None
    worklist: list[dict[str, Any]] = field(default_factory=list)
    """what to fix to raise the flag: {action, entity, field, rule_id, records}"""
    breakdowns: dict[str, dict[str, Any]] = field(default_factory=dict)
    formula: str = ""
    inputs: dict[str, list[str]] = field(default_factory=dict)
    bound: float | None = None
    """largest relative move of the value over the failing records' possible values (computed
    when coverage is below its HIGH threshold; see `bounds.py`)"""
    breakdown_confidence: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """per breakdown and group: {confidence, n, coverage, reasons} (see `breakdowns.py`)"""

    @property
    def confidence(self) -> str:
        return self.flag.name

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "value": _round(self.value),
            "unit": self.unit,
            "interval": [_round(x) for x in self.interval] if self.interval else None,
            "confidence": self.flag.name,
            "reasons": self.reasons,
            "n": self.n,
            "coverage": _round(self.coverage),
            "sensitivity": _round(self.sensitivity),
            "duplicates": _round(self.duplicates),
            "value_excluding_failing": _round(self.value_excluding_failing),
            "value_duplicates_merged": _round(self.value_duplicates_merged),
            "trusted_value": _round(self.trusted_value),
            "warning": self.warning,
            "freshness_days": _round(self.freshness_days),
            "worklist": self.worklist,
            "breakdowns": {k: {g: _round(v) for g, v in b.items()} for k, b in self.breakdowns.items()},
            "formula": self.formula,
            "inputs": self.inputs,
            "bound": _round(self.bound),
            "breakdown_confidence": {
                k: {g: {**c, "coverage": _round(c["coverage"])} for g, c in b.items()}
                for k, b in self.breakdown_confidence.items()
            },
        }


def _round(v: Any, digits: int = 6) -> Any:
    if isinstance(v, dict):
        return {k: _round(x, digits) for k, x in v.items()}
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return None
        return round(v, digits)
    return v


# --- preparing the tables ---------------------------------------------------------------------


def _empty_column(dtype: DType, index: pd.Index) -> pd.Series:
    if dtype in (DType.DATE, DType.DATETIME):
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if dtype in (DType.NUMBER, DType.INTEGER):
        return pd.Series(np.nan, index=index, dtype="float64")
    if dtype is DType.BOOL:
        return pd.Series(pd.NA, index=index, dtype="boolean")
    return pd.Series(None, index=index, dtype="object")


def prepare(
    frames: Mapping[str, pd.DataFrame], ids: Mapping[str, pd.Series] | None = None, money: Money | None = None
) -> tuple[dict[str, pd.DataFrame], dict[str, set[str]]]:
    """Every model entity as a frame with every model field (missing ones all-empty) and the
    record id column `_rid`; and, per entity, the fields the export did not have (entity
    missing: every field). A table without a currency column is in `money.default` when the
    config names one (the column is then not absent)."""
    out: dict[str, pd.DataFrame] = {}
    absent: dict[str, set[str]] = {}
    default = money.default if money is not None else None
    for name, entity in ENTITIES.items():
        frame = frames.get(name)
        if frame is None:
            frame = pd.DataFrame(index=pd.RangeIndex(0))
            absent[name] = set(entity.field_names)
        else:
            absent[name] = {f for f in entity.field_names if f not in frame.columns}
        extra = {f: _empty_column(entity.field(f).dtype, frame.index) for f in sorted(absent[name])}
        if default and frames.get(name) is not None:
            for f in [f for f in absent[name] if entity.field(f).role is Role.CURRENCY]:
                extra[f] = pd.Series(default, index=frame.index, dtype="object")
                absent[name].discard(f)
        frame = frame.assign(**extra) if extra else frame.copy(deep=False)
        rid = ids.get(name) if ids else None
        frame[RID] = text(rid) if rid is not None else text(record_ids(frame, name))
        out[name] = frame
    return out, absent


def merge_clusters(
    tables: Mapping[str, pd.DataFrame],
    clusters: pd.DataFrame,
    reads: Mapping[str, set[str]],
    coded: Callable[[str], tuple[np.ndarray, pa.Array]] | None = None,
) -> tuple[dict[str, pd.DataFrame], dict]:
    """The tables with each duplicate cluster merged into one record: the cluster's survivor (its
    master, `is_master`, when the clusters say and it is in the table, as the duplicate stage's merge
    plan keeps it; else the first of the cluster's records in the table) stays, the others are dropped
    and every foreign key to them points at the survivor.
    Returns the tables and, per entity, (clusters that merge records, records dropped). `reads`: entity ->
    the columns the metrics read (`screening.reads_of`); a table that loses records keeps only those and
    its ids, since each copy of a million-row table with all its columns held hundreds of MB for the
    stage's length.
    `coded(entity)`: its table's record ids hashed (`common.id_codes`), when the caller has them."""
    out = dict(tables)
    stats: dict[str, tuple[int, int]] = {}
    for entity, group in clusters.groupby(text(clusters["entity"])):
        if entity not in out:
            continue
        frame = out[entity]
        rid = frame[RID]
        members = pd.DataFrame({"rid": text(group["record_id"]), "cluster": text(group["cluster_id"])}).drop_duplicates(
            "rid"
        )
        codes, distinct = coded(entity) if coded else id_codes(rid)
        at = index_in(members["rid"], distinct)
        present = members[at >= 0].assign(code=at[at >= 0])
        present = present.assign(pos=_first_rows(codes, len(distinct))[present["code"].to_numpy()])
        order = ["pos"]
        if "is_master" in group.columns:
            # the master the duplicate stage chose leads its cluster, as the merge plan keeps it
            # a bool column, or its text as clusters.csv holds it ("True"), read as the loader reads a flag
            master = parse_bool(group.loc[present.index, "is_master"]).fillna(False).to_numpy(bool)
            present = present.assign(member=~master)
            order = ["member", "pos"]
        present = present.sort_values(order, kind="stable")
        # each cluster's first record in that order survives; grouped in Arrow, where mapping 450,000 cluster ids
        # at 1M contacts through a dict walked them one Python string at a time
        survivor_of = present.groupby("cluster", sort=False, dropna=False)["rid"].transform("first")
        dropped = (survivor_of.notna() & (present["rid"] != survivor_of)).to_numpy(bool)
        if not dropped.any():
            continue
        # each dropped id once (the members are distinct ids), with its survivor: kept as two arrays, where a dict
        # of them walked 260,000 Arrow values one Python string at a time at 1M contacts
        remap = (present["rid"][dropped], survivor_of[dropped])
        kept = ~rows_coded(codes, len(distinct), present["code"].to_numpy()[dropped])
        out[entity] = frame.loc[kept, [c for c in frame.columns if c in reads.get(entity, set()) | {RID}]]
        # a cluster of which one record is in the table merges nothing: not counted
        stats[entity] = (int(present["cluster"][dropped].nunique()), int(dropped.sum()))
        for other, spec in ENTITIES.items():
            for f in spec.fields:
                if f.role is Role.FOREIGN_KEY and f.references == entity and other in out:
                    col = out[other][f.name]
                    if col.notna().any():
                        out[other] = out[other].assign(**{f.name: _repointed(text(col), *remap)})
    return out, stats


def _first_rows(codes: np.ndarray, distinct: int) -> np.ndarray:
    """The row of each code's first appearance (`id_codes`: codes numbered in the order they first appear, -1 for a
    missing id): the rows where a code exceeds every code before it, in one pass, where `np.unique(codes,
    return_index=True)` sorted a million codes."""
    if not distinct:
        return np.zeros(0, dtype=np.intp)
    before = np.maximum.accumulate(np.concatenate(([-1], codes[:-1])))
    return np.flatnonzero(codes > before)


def _repointed(keyed: pd.Series, dropped: pd.Series, survivors: pd.Series) -> pd.Series:
    """The foreign keys `keyed` with each key to a `dropped` record (distinct ids) pointing at its survivor (the same
    position of `survivors`). Only those keys change: mapping a million keys through a dict to change a few thousand
    costs more than finding those few. Arrow text is looked up and put back in Arrow (`lookups.index_in`,
    `put_text`): its keys mapped through a dict one Python string at a time, and set back through pandas, cost 0.4 s
    per key column at a million deals."""
    if arrow_text(keyed):
        at = index_in(keyed, dropped)
        hit = at >= 0
        return put_text(keyed, hit, large_text(survivors).take(pa.array(at[hit]))) if hit.any() else keyed
    hit = is_in(keyed, dropped)
    if hit.any():
        remap = dict(zip(dropped.tolist(), survivors.tolist(), strict=True))
        keyed = keyed.copy()
        keyed.iloc[np.flatnonzero(hit)] = keyed[hit].map(remap).to_numpy()
    return keyed


def read_clusters(path: str | Path) -> pd.DataFrame:
    """Duplicate clusters from a CSV with the columns entity, record_id, cluster_id (the dedupe
    stage's clusters.csv, or a synthetic export's truth/duplicates.csv)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read duplicate clusters: {error}", file=str(path)) from None
    missing = {"entity", "record_id", "cluster_id"} - set(frame.columns)
    if missing:
        raise InputError(f"duplicate clusters need the columns {', '.join(sorted(missing))}", file=str(path))
    return frame


# --- evaluation ------------------------------------------------------------------------------


@dataclass
class _Failing:
    entity: str
    label: str
    population: int
    failing: int
    fail_mask: pd.Series
    found: pd.DataFrame | None
    """the findings on the metric's fields of the failing records"""
    strict: int = 0
    """records the scope's mask selects (without the unsure ones)"""
    strict_failing: int = 0
    """failing records among those the scope's mask selects"""
    scope_mask: pd.Series | None = None
    """the scope's records (the unsure ones included)"""

    @functools.cached_property
    def told(self) -> tuple[str, str, list[tuple[str, str, int]]]:
        """(the fields that fail, the three rules failed by most records, the five (field, rule, records) most
        failed): said of these records by every metric that reads their fields (`_failing` shares them); counted
        only when said (a scope's failing records are counted again, and a third of them were never said)."""
        rules = _rule_counts(self.found)
        fields_ = ", ".join(dict.fromkeys(f for f, _, _ in rules))
        most: dict[str, int] = {}
        for _, rule, n in rules:
            most[rule] = max(n, most.get(rule, 0))
        by_rule = sorted(sorted(most.items()), key=lambda rn: rn[1], reverse=True)  # ties by rule id, as before
        top = ", ".join(f"{r} {n:,}" for r, n in by_rule[:3])
        return fields_, top, rules[:5]


def _rule_counts(found: pd.DataFrame | None) -> list[tuple[str, str, int]]:
    """(field, rule_id, records) per field and rule of `found`, most records first (ties in the order of field and
    rule id): a record is counted once per rule, under the field of its first finding of the rule. As
    `drop_duplicates(["record_id", "rule_id"]).groupby(["field", "rule_id"]).size()` sorted stably, without its
    frames and MultiIndex, which cost more than the counting on a small export."""
    if found is not None:
        found = found[found["rule_id"].notna()]  # a groupby leaves out a missing key
    if found is None or not len(found):
        return []
    record = pd.factorize(found["record_id"])[0]  # a missing record id is one record, as drop_duplicates has it
    # codes in the order of their values, as a groupby sorts them
    rule, rules = pd.factorize(found["rule_id"], sort=True)
    field_, fields_ = pd.factorize(found["field"], sort=True)
    first = np.unique(record.astype(np.int64) * len(rules) + rule, return_index=True)[1]
    keys, counts = np.unique(field_[first].astype(np.int64) * len(rules) + rule[first], return_counts=True)
    order = np.argsort(-counts, kind="stable")
    return [
        (str(fields_[k // len(rules)]), str(rules[k % len(rules)]), int(n))
        for k, n in zip(keys[order].tolist(), counts[order].tolist(), strict=True)
    ]


def _failing(
    m: Metric, tables: Mapping[str, pd.DataFrame], findings: pd.DataFrame | None, cache: dict
) -> list[_Failing]:
    out = []
    for entity, fields_ in m.inputs.items():
        if entity not in ENTITIES:
            continue
        whole = ("failing", entity, tuple(sorted(fields_)), m.scope.get(entity))
        if whole not in cache:
            cache[whole] = _failing_one(m, entity, fields_, tables, findings, cache)
        out.append(cache[whole])
    return out


def _record_codes(entity: str, frame: pd.DataFrame, cache: dict) -> tuple[np.ndarray, pa.Array]:
    """A code per row of `entity` for its record id, and the distinct ids (`common.id_codes`; hashed once
    per entity: hashing a million ids costs more than a metric)."""
    key = ("codes", entity)
    if key not in cache:
        cache[key] = id_codes(frame[RID])
    return cache[key]


def _looked_up(entity: str, frame: pd.DataFrame, ids: np.ndarray, cache: dict) -> np.ndarray:
    """The position of each of the record `ids` among the distinct ids of `entity` (`_record_codes`), -1 for none: the
    first ids looked up are hashed with the table's (`common.id_codes_and_positions`), which are coded then."""
    key = ("codes", entity)
    if key not in cache:
        with contextlib.suppress(*NOT_TEXT):  # ids that are not all text are coded by pandas, as before
            cache[key], at = id_codes_and_positions(frame[RID], ids)
            return at
    return index_in(ids, _record_codes(entity, frame, cache)[1])


def _rows(entity: str, frame: pd.DataFrame, coded: pd.Series, cache: dict) -> np.ndarray:
    """The rows of `entity` whose record id is one of `coded` (a CODE column of findings)."""
    codes, index = _record_codes(entity, frame, cache)
    return rows_coded(codes, len(index), coded.to_numpy())


def _failing_one(
    m: Metric,
    entity: str,
    fields_: tuple[str, ...],
    tables: Mapping[str, pd.DataFrame],
    findings: pd.DataFrame | None,
    cache: dict,
) -> _Failing:
    """The records of `entity` in the metric's scope, and those failing rules on `fields_`."""
    frame = tables[entity]
    f, fail = _failing_fields(entity, frame, fields_, findings, cache)
    if entity in m.scope:
        sc = m.scope[entity]
        scope = sc.mask(frame).fillna(False).to_numpy(bool)
        strict = scope
        label = sc.label
        if f is not None and len(f):
            scope = scope | _rows(entity, frame, f.loc[f["field"].isin(sc.fields), CODE], cache)
        fail = fail & scope
        if f is not None and len(f):
            codes, index = _record_codes(entity, frame, cache)
            failing_id = np.zeros(len(index) + 1, dtype=bool)
            failing_id[codes[fail]] = True
            f = f[failing_id[f[CODE].to_numpy()]]
    else:
        scope = strict = np.ones(len(frame), dtype=bool)
        label = entity
    if not fail.flags.writeable:
        fail = fail.copy()  # the shared mask stays as made; a _Failing's is its own
    return _Failing(
        entity,
        label,
        int(scope.sum()),
        int(fail.sum()),
        pd.Series(fail, index=frame.index),
        f,
        int(strict.sum()),
        int((fail & strict).sum()),
        pd.Series(scope, index=frame.index),
    )


def _failing_fields(
    entity: str, frame: pd.DataFrame, fields_: tuple[str, ...], findings: pd.DataFrame | None, cache: dict
) -> tuple[pd.DataFrame | None, np.ndarray]:
    """(the findings on `fields_` of `entity`, the rows of the records they name): made once per entity and fields for
    every metric that reads them, whatever its scope (the metrics of a table read the same fields under many scopes;
    the mask is made read-only, as it is shared)."""

    def make() -> tuple[pd.DataFrame | None, np.ndarray]:
        f = findings
        if f is not None and len(f):
            f = _of_entity(entity, f, cache)
            f = f[f["field"].isin(fields_)]
        fail = np.zeros(len(frame), dtype=bool) if f is None or not len(f) else _rows(entity, frame, f[CODE], cache)
        fail.flags.writeable = False
        return f, fail

    return _kept_with(cache, ("fail", entity, tuple(sorted(fields_))), (findings,), make)


def _of_entity(entity: str, findings: pd.DataFrame, cache: dict) -> pd.DataFrame:
    """The findings on `entity`'s records, taken once per entity for every metric that reads it (kept with the findings
    table, which is checked to be the same object: a metric with suspects of its own has findings of its own)."""
    return _kept_with(cache, ("findings of", entity), (findings,), lambda: findings[findings["entity"] == entity])


def _kept_with(cache: dict, key: Any, objects: tuple[object, ...], make: Callable[[], Any], keep: bool = True) -> Any:
    """`make()`, kept in the run's `cache` under `key` for the same `objects` (checked to be those objects, and held
    with the result, so that their ids cannot be other objects' while it is kept); made again for other objects, and
    not kept at all unless `keep`."""
    held = cache.get(key)
    if held is not None and all(a is b for a, b in zip(held[0], objects, strict=True)):
        return held[1]
    made = make()
    if keep:
        cache[key] = (objects, made)
    return made


def _field_masks(
    m: Metric,
    tables: Mapping[str, pd.DataFrame],
    findings: pd.DataFrame | None,
    failing: list[_Failing],
    cache: dict,
    questioned: dict[tuple[str, str], np.ndarray] | None = None,
) -> dict[tuple[str, str], np.ndarray]:
    """(entity, field) -> the cells of the metric's failing records whose value is unknown: those
    with a finding on the field, and the field's missing values on any failing record (a missing
    cancellation date is expected of an active subscription, not known of one whose status is
    garbled). `questioned`, when given, receives per (entity, field) every cell with a finding on
    the field, in the metric's scope or not: what a probe must not take for a passing value."""
    out: dict[tuple[str, str], np.ndarray] = {}
    if findings is None or not len(findings):
        return out
    for x in failing:
        if not x.failing:
            continue
        frame = tables[x.entity]
        fail = x.fail_mask.to_numpy(bool)
        flagged = _flagged(x.entity, frame, findings, cache)
        for name in m.inputs[x.entity]:
            if name in frame.columns:
                told = flagged.get(name, np.zeros(len(frame), dtype=bool))
                out[(x.entity, name)] = (told | frame[name].isna().to_numpy(bool)) & fail
                if questioned is not None:
                    questioned[(x.entity, name)] = told
    return out


def _flagged(entity: str, frame: pd.DataFrame, findings: pd.DataFrame, cache: dict) -> dict[str, np.ndarray]:
    """field -> the rows of `entity` with a finding on the field: found once per entity, for every
    metric that reads the field."""
    key = ("flagged", entity)
    if key not in cache:
        f = findings[findings["entity"] == entity]
        cache[key] = {str(name): _rows(entity, frame, codes, cache) for name, codes in f.groupby("field")[CODE]}
    return cache[key]


def _compute(m: Metric, tables: Mapping[str, pd.DataFrame], params: Params) -> Any:
    return m.compute(tables, params)


def _compute_probe(m: Metric, tables: Mapping[str, pd.DataFrame], params: Params) -> Any:
    """`m` on a bound's probe, kept per run for the same table objects when every table it reads has fewer than
    PART_FROM_ROWS rows (`common.kept`, under `m.compute` as a derived metric's operand is: `clv / cac` probes the
    deals as `clv`'s bound did, on the same probed tables (`bounds._probed_table`), and finds `clv` made). A larger
    table's probe is recomputed, as before (its copy is not held)."""
    frames = tuple(tables[entity] for entity in m.inputs if entity in tables)
    if any(len(frame) >= PART_FROM_ROWS for frame in frames):
        return m.compute(tables, params)
    return kept(params, m.compute, frames, None, lambda: m.compute(tables, params), KEPT_RESULTS)


def _fmt(v: Any, unit: str = "") -> str:
    if v is None:
        return "none"
    if isinstance(v, dict):
        return f"{len(v)} groups"
    v = float(v)
    if unit == "share":
        return f"{100 * v:.1f}%"
    if abs(v) >= 1000 or (v.is_integer() and unit not in ("ratio",)):
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"


def _move(v_from: Any, v_to: Any, unit: str, shift: float) -> str:
    if isinstance(v_from, dict) or isinstance(v_to, dict):
        return f"changes {100 * shift:.1f}% of its distribution" if math.isfinite(shift) else "changes it completely"
    # The flag judges `shift` (relative to the cleaner value); a person reads "from A to B" as a
    # change relative to A, so that is the percentage shown: 107M -> 117k is -99.9%, not -91843%.
    pct = ""
    if math.isfinite(shift) and isinstance(v_from, Real) and isinstance(v_to, Real) and v_from:
        pct = f" ({100 * (v_to - v_from) / abs(v_from):+.1f}%)"
    shown = "" if unit in ("share", "ratio") else f" {unit}"
    return f"moves it from {_fmt(v_from, unit)} to {_fmt(v_to, unit)}{shown}{pct}"


Readings = Mapping[str, np.ndarray]
"""field -> what the rule questioning each row's cell reads it as (None where none does): `_suggested`"""


def _read_failing(
    m: Metric,
    x: _Failing,
    tables: Mapping[str, pd.DataFrame],
    cells: Mapping[str, np.ndarray],
    told: Readings,
    unread_rows: np.ndarray,
) -> pd.DataFrame | None:
    """The failing records of the metric's table whose every questioned cell (`cells`: field -> the
    failing records' unknown cells, `_field_masks`) the rule that questions it reads (`told`:
    `_suggested`; "customer" as Customer, "pln" as PLN), with those readings, as a fix would: their
    values are then known, and only the others are imputed. The columns the metric reads; None when
    there are none (a number or a date is never read: a suggestion is text, and a missing value has no
    reading; `unread_rows`: `_unread_rows`, the others)."""
    frame = tables[m.primary]
    readable = x.fail_mask.to_numpy(bool) & ~unread_rows
    if not readable.any():
        return None
    read = frame.loc[readable, [c for c in frame.columns if c in {*m.reads(m.primary), RID}]]
    return _as_read(read, {name: unknown[readable] for name, unknown in cells.items()}, told, readable)


def _unread_rows(x: _Failing, unread: Mapping[str, np.ndarray]) -> np.ndarray:
    """The failing records of `x` with a questioned cell no rule reads (`unread`: `_unread`): those whose
    values stay unknown once every reading is taken (`_read_failing` reads the others)."""
    rows = np.zeros(len(x.fail_mask), dtype=bool)
    for cell in unread.values():
        rows |= cell
    return x.fail_mask.to_numpy(bool) & rows


def _unread(cells: Mapping[str, np.ndarray], told: Readings) -> dict[str, np.ndarray]:
    """field -> the `cells` (a mask over the table's rows) that stay unknown once every cell a rule reads
    is taken at its reading (`told`)."""
    return {name: unknown & ~pd.notna(told[name]) if name in told else unknown for name, unknown in cells.items()}


def _as_read(
    rows: pd.DataFrame, cells: Mapping[str, np.ndarray], told: Readings, at: np.ndarray | None
) -> pd.DataFrame:
    """`rows` (the table's rows where `at` holds; None: every row) with each of their `cells` (field -> a mask over
    `rows`) that a rule reads taken at its reading (`told`: field -> a reading per row of the table). Each reading is
    taken at the rows once (three copies of a million readings per field had been taken, and two tests of them)."""
    for name, unknown in cells.items():
        reading = told.get(name)
        if reading is None or name not in rows.columns:
            continue
        reading = reading if at is None else reading[at]
        taken = unknown & pd.notna(reading)
        if taken.any() and arrow_text(rows[name]):
            rows = rows.assign(**{name: put_text(rows[name], taken, reading[taken])})
        elif taken.any():
            values = rows[name].astype("object").to_numpy(copy=True)
            values[taken] = reading[taken]
            rows = rows.assign(**{name: pd.Series(values, index=rows.index, dtype=rows[name].dtype)})
    return rows


def _records_counted(raw: Any) -> float:
    """The records a count holds: its value, or, for a count per day, the records it counted (its n)."""
    return float(raw.n) if isinstance(raw, Estimate) else float(value_of(raw))


def _belonging(
    m: Metric,
    x: _Failing,
    tables: Mapping[str, pd.DataFrame],
    questioned: Mapping[tuple[str, str], np.ndarray],
    told: Readings,
) -> tuple[np.ndarray, np.ndarray] | None:
    """(the records a rule puts in doubt about belonging to the scope: a questioned cell of a field the
    scope reads (`questioned`, from `_field_masks`), the chance each belongs): 1 or 0 as the rule reads
    the cells (`told`), as a fix would ("Closed-Lost" is a lost deal, "closed won" is not), or, where a
    questioned cell has no reading (a ticket whose resolution date is missing though it must have one, a
    blank stage), the share of the table that belongs. None when there are none. Leaving the doubtful
    ones out of a scaled count as if none belonged made a count of resolved tickets 3-7% short and HIGH:
    the ten without a date were resolved, as the rule said."""
    frame = tables[x.entity]
    scope = m.scope.get(x.entity)
    if scope is None or x.scope_mask is None or x.population == x.strict or not len(frame):
        return None
    strict = scope.mask(frame).fillna(False).to_numpy(bool)
    unsure = x.scope_mask.to_numpy(bool) & ~strict
    read = frame.loc[unsure, [c for c in frame.columns if c in scope.fields]]
    cells = {name: questioned[(x.entity, name)][unsure] for name in read.columns if (x.entity, name) in questioned}
    unread = np.zeros(len(read), dtype=bool)
    for name, questioned_cells in cells.items():
        reading = told.get(name)
        said = pd.notna(reading[unsure]) if reading is not None else np.zeros(len(read), dtype=bool)
        unread |= questioned_cells & ~said
    belongs = scope.mask(_as_read(read, cells, told, unsure)).fillna(False).to_numpy(bool)
    return unsure, np.where(unread, strict.sum() / len(frame), belongs.astype("float64"))


def _coverage(
    m: Metric, x: _Failing, tables: Mapping[str, pd.DataFrame], findings: pd.DataFrame | None, cache: dict
) -> tuple[float, str]:
    """(the share of the scope's records expected to pass the rules on the fields the metric reads, what
    it says of the doubtful ones): a record a rule puts in doubt about belonging counts at its chance of
    belonging (`_belonging`), in the population and among the failing records. Counted whole, ten deals
    with a blank stage made a third of the failing "won" deals though a quarter of them would be won."""
    questioned: dict[tuple[str, str], np.ndarray] = {}
    if x.population != x.strict and x.entity in m.scope:
        _field_masks(m, tables, findings, [x], cache, questioned)
    scope = m.scope.get(x.entity)
    told = _suggested(x.entity, tables[x.entity], findings, set(scope.fields), cache) if scope and questioned else {}
    doubtful = _belonging(m, x, tables, questioned, told) if questioned else None
    if doubtful is None:
        return 1 - x.failing / x.population, ""
    unsure, chance = doubtful
    failing = x.strict_failing + chance[x.fail_mask.to_numpy(bool)[unsure]].sum()
    population = x.strict + chance.sum()
    said = f"; {int(unsure.sum()):,} of them may not be {x.label}, counted as the {chance.sum():.1f} expected to be"
    return (1 - failing / population if population else 1.0), said


def _scale(value: Any, factor: float) -> Any:
    if value is None or factor == 1:
        return value
    if isinstance(value, dict):
        return {k: (v * factor if v is not None else None) for k, v in value.items()}
    return value * factor


EXTRAPOLATION_DRAWS = (2, 16)
"""the fewest and the most random draws averaged to extrapolate a count of distinct values: more until
their mean's standard error is within a tenth of the HIGH threshold (a few thousand failing deals
among a million vary little from draw to draw; forty among a thousand do)"""


def _extrapolate(
    m: Metric,
    tables: Mapping[str, pd.DataFrame],
    excluded: Mapping[str, pd.DataFrame],
    params: Params,
    settings: MetricsSettings,
    v_excl: Any,
    prim: _Failing,
    broken: Mapping[str, np.ndarray],
    suggested: Mapping[str, np.ndarray] | None = None,
) -> float | None:
    """A count of distinct values (customers among deals) with its failing records excluded,
    extrapolated back to all records. It does not grow in proportion to its records, so it is not
    scaled like a sum. Instead each failing record keeps the values no rule questioned and takes its
    `broken` cells (field -> failing cells of the primary entity) from a passing record drawn at
    random: one of the scope when its recorded values put it there, any record when a rule questions
    what would (a misspelt stage); a text cell for which the rule that questions it suggests a value
    (`suggested`: field -> a value per row, None where none) takes that value instead, as a fix
    would ("closed won" is read as Closed Won, not as a random deal's stage). The value gains what
    these records add to the passing ones without their donors, v_excl + v(passing - donors +
    imputed) - v(passing - donors), averaged over a few draws. The donors leave so that a borrowed
    value is new as often as a passing record's is at the margin (kept, it would always be counted
    already); the kept cells are why a failing record is not a random one: a deal whose stage is
    misspelt adds no customer its account does not, and one without an account adds none when it is
    not won. (An unquestioned value that only a donor holds counts as new: an error of the order of
    the failing share squared.) None when there are too few passing records to draw from."""
    if not isinstance(v_excl, (int, float)):
        return None
    frame = tables[m.primary]
    fail = prim.fail_mask.to_numpy(bool)
    scope = m.scope.get(m.primary)
    strict = scope.mask(frame).fillna(False).to_numpy(bool) if scope else np.ones(len(frame), dtype=bool)
    sure, unsure = np.flatnonzero(fail & strict), np.flatnonzero(fail & ~strict)
    if len(np.flatnonzero(~fail & strict)) <= len(sure) or int((~fail).sum()) <= len(sure) + len(unsure):
        return None
    imputed = np.concatenate([sure, unsure])
    # only the columns the metric reads: taking rows of every column of a million would cost more than it
    read = frame[[c for c in frame.columns if c in m.reads(m.primary)]]
    recorded = read.iloc[imputed]
    pool, rng = np.flatnonzero(~fail & strict), np.random.default_rng(settings.seed)
    kinds = _scope_kinds(m, frame, fail, unsure, broken)
    fewest, most = EXTRAPOLATION_DRAWS
    gains: list[float] = []
    while len(gains) < most:
        like = rng.choice(pool, len(sure), replace=False)
        rest = ~fail
        rest[like] = False
        donors = np.concatenate([like, alike_draw(rng, rest, unsure, kinds)])
        keep = ~fail
        keep[donors] = False
        passing = read[keep]
        filled = recorded
        for name, cells in broken.items():
            which = cells[imputed]
            if name in read.columns and which.any():
                values = recorded[name].to_numpy(copy=True)
                fixed = (suggested or {}).get(name)
                fixed = fixed[imputed] if fixed is not None else np.full(len(imputed), None, dtype=object)
                told = which & pd.notna(fixed)
                values[told] = fixed[told]
                which = which & ~told
                values[which] = read[name].iloc[donors[which]].to_numpy()
                filled = filled.assign(**{name: pd.Series(values, index=filled.index, dtype=read[name].dtype)})
        fewer = value_of(_compute(m, {**excluded, m.primary: passing}, params))
        more = value_of(_compute(m, {**excluded, m.primary: pd.concat([passing, filled])}, params))
        if not isinstance(fewer, (int, float)) or not isinstance(more, (int, float)):
            return None
        gains.append(more - fewer)
        spread = _gain_spread(gains, len(imputed))
        if len(gains) >= fewest and spread <= settings.shift_high / 10 * max(abs(float(v_excl)), 1.0):
            break
    return float(v_excl + np.mean(gains))


def _gain_spread(gains: Sequence[float], imputed: int) -> float:
    """The standard error of the mean of the extrapolation's `gains` (what the `imputed` records add to a count of
    distinct values, one per draw). A few draws can agree by chance, a count's gains being whole numbers: two draws
    that both add 2 of 40 customers say nothing of how much the next would differ. So the spread is at least the one
    of a count of records that each add a new value at the draws' mean rate, independently (binomial), the spread
    the draws' own would show over many."""
    if len(gains) < 2:
        return math.inf
    mean = float(np.mean(gains))
    rate = min(max(mean / imputed, 0.0), 1.0) if imputed else 0.0
    variance = max(float(np.var(gains, ddof=1)), imputed * rate * (1 - rate))
    return math.sqrt(variance / len(gains))


def _scope_kinds(
    m: Metric, frame: pd.DataFrame, fail: np.ndarray, unsure: np.ndarray, broken: Mapping[str, np.ndarray]
) -> np.ndarray | None:
    """A kind code per record of `frame` for the draw of the `unsure` failing records' donors (a blank stage: in the
    scope or not is unknown), by the column that tells the scope's questioned field among the passing records
    (`impute.telling_column`: a deal's win probability tells its stage); None when none does. A random passing
    deal's stage counted a fifth of the blank stages of open deals as won."""
    column = _scope_teller(m, frame, fail, {name: cells[unsure] for name, cells in broken.items()})
    return None if column is None else _kinds_told(frame, column)


def _scope_teller(m: Metric, frame: pd.DataFrame, fail: np.ndarray, unknown: Mapping[str, np.ndarray]) -> str | None:
    """The column of `frame` that tells the first of the metric's scope fields some failing records leave `unknown`
    (field -> a mask over those records), among the passing ones (`impute.telling_column`); None when no scope field
    is unknown or no column tells it."""
    scope = m.scope.get(m.primary)
    asked = [name for name in (scope.fields if scope else ()) if name in unknown and unknown[name].any()]
    if not asked:
        return None
    candidates = sorted(telling_fields(m.primary) & set(frame.columns))
    # the passing records of the columns read only: not a copy of the whole table's (a million deals')
    return telling_column(frame.loc[~fail, list(dict.fromkeys([asked[0], *candidates]))], asked[0], candidates)


def _kinds_told(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Per record, a code of its value of `column` (the column `_scope_teller` picks; a missing value a kind of its
    own): the kinds of record that column tells, for the extrapolation's and the fill's strata alike."""
    return pd.factorize(frame[column], use_na_sentinel=False)[0]


def telling_fields(entity: str) -> set[str]:
    """The model's fields of `entity` that may tell a record's scope (`_scope_teller`): its enums, scores and flags
    (a deal's type and win probability; not a name, a date or an amount). The Spark engine projects them with a
    count, average, share or median that has a scope (`engines.spark.metrics.metric_columns`)."""
    model = ENTITIES.get(entity)
    return {f.name for f in model.fields if f.role in (Role.ENUM, Role.SCORE, Role.BOOL)} if model else set()


def _suggested(
    entity: str, frame: pd.DataFrame, findings: pd.DataFrame | None, fields_: set[str], cache: dict
) -> dict[str, np.ndarray]:
    """Per text field of `fields_`, the value the findings on `entity` suggest for each row (None where
    none does): a rule that reads "closed won" as Closed Won says what the record holds."""
    if findings is None or "suggested_value" not in findings.columns:
        return {}
    key = ("suggested", entity)
    if key not in cache:
        cache[key] = _suggestions(entity, frame, findings, cache)
    return {name: told for name, told in cache[key].items() if name in fields_}


def _suggestions(entity: str, frame: pd.DataFrame, findings: pd.DataFrame, cache: dict) -> dict[str, np.ndarray]:
    """`_suggested` for every text field of `entity` a finding suggests a value for (once per entity)."""
    told = findings[(findings["entity"] == entity) & findings["suggested_value"].notna()]
    out = {}
    codes, index = _record_codes(entity, frame, cache)
    for name, rows in told.groupby("field"):
        column = frame.get(str(name))
        if column is None:
            continue
        if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_datetime64_any_dtype(column.dtype):
            continue  # a suggestion is text: a number or a date would need parsing to be compared
        by_record = np.full(len(index) + 1, None, dtype=object)
        at = rows[CODE].to_numpy()
        by_record[at[at >= 0]] = rows["suggested_value"].astype("object").to_numpy()[at >= 0]
        by_record[-1] = None
        out[str(name)] = by_record[codes]
    return out


UNKNOWN_KINDS = ("proportion", "nps", "mean", "median")
"""the kinds of metric whose failing records are left out and their unknown values' spread estimated
(`_unknown_share`), not scaled or extrapolated: the ones `_like_their_kind` also fills from their kind"""


def _like_their_kind(
    m: Metric,
    tables: Mapping[str, pd.DataFrame],
    excluded: Mapping[str, pd.DataFrame],
    findings: pd.DataFrame | None,
    params: Params,
    prim: _Failing,
    cache: dict,
) -> tuple[Any, str] | None:
    """(the value with the failing records of the metric's table back in, each unknown cell taken from
    passing records of its kind, the columns that made the kinds): `impute.like_their_kind`. Leaving
    them out takes them to be like all passing records; their known cells may say otherwise (a
    subscription cancelled without a date is a churner though most passing ones are not), and the
    sensitivity must see that bias as well as the spread `_unknown_share` allows for. A cell a rule
    reads ("closed won") is taken at its reading, as a fix would. None when no column the metric reads
    sorts its records into kinds: the fill would then be like the passing records, as leaving them out
    already assumes."""
    frame, fail = tables[m.primary], prim.fail_mask.to_numpy(bool)
    passing = excluded[m.primary]
    sizes = _group_sizes(m, frame, fail, params)  # `passing` holds the records of `frame` where `fail` is False
    if sizes is not None:
        passing = passing.assign(**{GROUP_SIZE: sizes[0]})
    strata = strata_columns(passing, [c for c in passing.columns if c in m.reads(m.primary) or c == GROUP_SIZE])
    if not strata:
        return None
    cells = {f: c for (e, f), c in _field_masks(m, tables, findings, [prim], cache).items()}
    told = _suggested(m.primary, frame, findings, set(cells), cache)
    columns = [c for c in passing.columns if c != GROUP_SIZE]
    failing = _as_read(frame.loc[fail, columns], {f: c[fail] for f, c in cells.items()}, told, fail)
    if sizes is not None:
        failing = failing.assign(**{GROUP_SIZE: sizes[1][fail]})
    unread = _unread(cells, told)
    unknown = {f: c[fail] for f, c in unread.items() if not _names_a_record(m.primary, f)}
    # a record whose scope is unknown (a blank stage) takes it from records of the kind the column that tells the
    # scope says (a deal's win probability), the coarsest kind and so the last given up: a stage drawn from all
    # deals made a fifth of the blank stages of open deals won, with an open deal's amount and expected close
    teller = _scope_teller(m, frame, fail, unknown)
    if teller is not None and teller not in strata:  # a kind the metric reads already (a status) sorts them as it is
        said = _kinds_told(frame, teller)
        passing, failing = passing.assign(**{TELLER: said[~fail]}), failing.assign(**{TELLER: said[fail]})
        strata = [TELLER, *strata]
    filled = like_their_kind(passing, failing, unknown, strata, m.spans)
    if m.per in unread and _names_a_record(m.primary, m.per):
        # a record whose group is unknown cannot go back into its group's total: it stays out
        filled = filled[~unread[m.per][fail]]
    back = pd.concat([passing, filled]).drop(columns=[GROUP_SIZE, TELLER], errors="ignore")
    value = value_of(_compute(m, {**excluded, m.primary: back}, params))
    names = {GROUP_SIZE: f"number of records per {m.per}", TELLER: str(teller)}
    return value, " and ".join(names.get(s, s) for s in strata)


TELLER = "\x00the column that tells the scope"
"""the coarsest stratum of a fill whose failing records leave the scope unknown: the values of `_scope_teller`'s
column"""


GROUP_SIZE = "\x00records in the group"
"""the stratum of a per-group mean or median's fill: its group's size, coarsened to powers of two"""


def _group_sizes(
    m: Metric, frame: pd.DataFrame, fail: np.ndarray, params: Params | None = None
) -> tuple[np.ndarray, np.ndarray] | None:
    """(for the passing records, those of `frame` where `fail` is False; for every record of `frame`) the
    size class of its `per:` group in `frame` ("2^k" for 2^k to 2^(k+1) - 1 records; "none" for a record
    in no group). A mean or median of groups' totals reads a group's records together: a customer's only
    deal and one of a repeat customer's many differ as their customers do (a larger account buys more
    often and more), which a record-level fill would not see - it would give a one-deal customer a deal
    drawn mostly from the many-deal ones'. `params`: the run's, whose codes of the key column (`common.coded`) are
    shared with the metric's other uses of it."""
    if m.per is None or m.per not in frame.columns:
        return None
    # each key coded once and its group counted from the codes: counting the keys' values and mapping
    # every record's key to its count hashed 750,000 texts three times
    codes, groups = coded(params, frame[m.per]) if params is not None else pd.factorize(frame[m.per])
    sizes = np.bincount(codes + 1, minlength=len(groups) + 1)[codes + 1]  # a missing key's code is -1
    power = np.floor(np.log2(sizes.astype("float64"))).astype("int64")
    # text, as a kind is (`impute.strata_columns` takes no numbers), looked up by the class's number
    classes = _SIZE_CLASSES[np.where(codes >= 0, power + 1, 0)]
    return classes[~fail], classes


_SIZE_CLASSES = np.array(["none", *(f"2^{power}" for power in range(64))], dtype=object)
"""`_group_sizes`' classes by number: none, then 2^0 to 2^63 (a count of records is below 2^63). As objects: a
record's class is then a reference to one of these texts, where numpy's fixed-width text copied 92 bytes per record and
pandas made a Python str of each when the column was assigned (0.3 CPU s per fill at 750,000 deals)"""

KEY_ROLES = (Role.PRIMARY_KEY, Role.FOREIGN_KEY)


def _names_a_record(entity: str, name: str) -> bool:
    """Whether `entity.name` is a key: it names one record (a deal's account), which a passing record of
    the same kind says nothing about. A donor's key would add a deal to another customer's total while its
    own customer still lacks it, so a failing key keeps what it holds (a missing one joins no group)."""
    model = ENTITIES.get(entity)
    return model is not None and model.has_field(name) and model.field(name).role in KEY_ROLES


def _unknown_share(
    m: Metric,
    estimate: Estimate | None,
    prim: _Failing | None,
    v_excl: Any,
    ci: tuple[float, float] | None,
    settings: MetricsSettings,
    unread: int | None = None,
    groups: tuple[int, int] | None = None,
) -> float | None:
    """How far the failing records' unknown true values could move the value (one standard
    error), relative to the value without them; None where it is not estimated (counts, sums,
    ratios, distributions: their failing records are imputed by scaling).

    If the failing records' true values are like the passing ones, the k failing records among
    N (k = `unread` when those whose every questioned cell a rule reads are taken at that reading)
    move a statistic by about se x sqrt(n) x sqrt(k) / N, where se is the standard error of the
    statistic on its n values (se x sqrt(n) is the spread of one value's contribution): for a
    share p, se x sqrt(n) = sqrt(p (1 - p)); for NPS, the sd of +1/0/-1; for means and medians,
    the bootstrap standard error (the 95% interval's half-width / z), which for a median of
    skewed durations is far smaller than the sd of the values. A mean or median of groups' totals
    (`per:`) has a value per group, so k and N count groups (`groups`, `_unknown_groups`): the k
    groups holding unread failing records among the N groups of its records, se x sqrt(n) x sqrt(k) / N
    with n groups too. Counted in records (861 won deals of 551 customers), one unknown deal moved
    the median of the customers' totals by 1/861 where its customer's unknown total moves it by 1/551."""
    if estimate is None or not estimate.n or prim is None or not prim.failing or not isinstance(v_excl, float):
        return None
    if not v_excl:
        return 0.0
    k, population = (prim.failing if unread is None else unread), max(prim.population, 1)
    if groups is not None:
        k, population = groups[0], max(groups[1], 1)
    if m.kind == "proportion" and estimate.value is not None and estimate.scale:
        p = min(max(estimate.value / estimate.scale, 0.0), 1.0)
        spread = estimate.scale * math.sqrt(p * (1 - p))
    elif m.kind == "nps" and estimate.sample is not None and len(estimate.sample) > 1:
        spread = 100 * float(((estimate.sample >= 9).astype(float) - (estimate.sample <= 6)).std())
    elif m.kind in ("mean", "median") and ci is not None:
        se = (ci[1] - ci[0]) / 2 / settings.z
        spread = se * math.sqrt(estimate.n)
    else:
        return None
    return spread * math.sqrt(k) / population / abs(float(v_excl))


def _unknown_groups(
    m: Metric,
    frame: pd.DataFrame,
    prim: _Failing,
    unread: Mapping[str, np.ndarray],
    unread_rows: np.ndarray,
    params: Params,
) -> tuple[int, int] | None:
    """(the `per:` groups holding the failing records of `frame` whose values stay unknown (`_unread_rows`), the
    groups of the metric's records, its scope's unsure ones included) for `_unknown_share`; None for a metric
    not of groups' totals. Ten unknown deals of one customer make one unknown total. A record whose key is
    missing or questioned (and not read) is a group of its own: it belongs to one group, which is unknown, and
    moves that group's total however many records share the key it shows."""
    if m.per is None or m.per not in frame.columns:
        return None
    codes = coded(params, frame[m.per])[0]  # a missing key's code is -1
    key_unknown = unread.get(m.per)
    if key_unknown is not None:
        codes = np.where(key_unknown, -1, codes)
    scope = prim.scope_mask.to_numpy(bool) if prim.scope_mask is not None else np.ones(len(frame), dtype=bool)
    return _groups_among(codes[unread_rows]), _groups_among(codes[scope])


def _groups_among(codes: np.ndarray) -> int:
    """The number of groups of records coded `codes` (-1: a group of its own)."""
    keyless = codes < 0
    return len(np.unique(codes[~keyless])) + int(keyless.sum())


def _count_unknown(counted: float, passing: int, failing: int, scaled: float) -> float:
    """How far the failing records' unknown true values could move a count (one standard deviation),
    relative to the count scaled to all records: each of the `failing` records is counted with the
    probability a passing one is, by Laplace's rule of succession (counted + 1) / (passing + 2), so that
    a count of none among the passing records still leaves its failing records a chance; the sum of
    their Bernoulli draws has the standard deviation sqrt(failing p (1 - p)). inf when the count is
    0: a relative move of nothing is not defined, and whether any failing record counts is unknown.
    (A count of 0 cancellations in the window, 7 subscriptions whose cancellation date is missing:
    scaling by the passing records' rate says 0, the truth may be 7.)"""
    if not failing:
        return 0.0
    p = (counted + 1) / (passing + 2)
    spread = math.sqrt(failing * p * (1 - p))
    return spread / abs(scaled) if scaled else math.inf


def _freshness(
    m: Metric, tables: Mapping[str, pd.DataFrame], as_of: pd.Timestamp, cache: dict | None = None
) -> tuple[float | None, str]:
    newest: pd.Timestamp | None = None
    where = ""
    for entity in m.inputs:
        frame = tables.get(entity)
        if frame is None or not len(frame):
            continue
        for col, latest in _latest(entity, frame, as_of, {} if cache is None else cache):
            if pd.notna(latest) and (newest is None or latest > newest):
                newest, where = pd.Timestamp(latest), f"{entity}.{col}"
    if newest is None:
        return None, ""
    return max(0.0, (as_of - newest.normalize()) / pd.Timedelta(days=1)), where


def _latest(entity: str, frame: pd.DataFrame, as_of: pd.Timestamp, cache: dict) -> list[tuple[str, Any]]:
    """(column, its latest date up to the end of as_of's day) per date column of FRESHNESS_FIELDS the table has: found
    once per table for every metric that reads it (kept with the frame, which is checked to be the same object)."""

    def make() -> list[tuple[str, Any]]:
        limit = as_of + pd.Timedelta(days=1)
        found = []
        for col in FRESHNESS_FIELDS:
            if col in frame.columns and pd.api.types.is_datetime64_any_dtype(frame[col]):
                s = frame[col]
                found.append((col, s[s <= limit].max()))
        return found

    return _kept_with(cache, ("latest", entity, as_of), (frame,), make)


def resolve_request(
    as_of: pd.Timestamp | str,
    period: str | None,
    metrics: Iterable[str | Metric] | None,
    money: Money | None = None,
    defined: Mapping[str, Metric] | None = None,
    by: Sequence[str] = (),
) -> tuple[Params, list[Metric]]:
    """The window and the metrics asked for (ids of the registry or of `defined`, the metrics the
    config defines, or Metric objects; default: every registered and defined metric), each broken
    down by the `by` columns too; a ConfigError for a bad period or metric id (call it before a
    long audit to fail fast)."""
    params = Params.make(as_of, period, money)
    defined = defined or {}
    if not metrics:
        chosen = [*registry().values(), *defined.values()]
    else:
        chosen = []
        for item in metrics:
            if isinstance(item, Metric):
                chosen.append(item)
            elif item in defined:
                chosen.append(defined[item])
            else:
                try:
                    chosen.append(get_metric(item))
                except KeyError:
                    hint = did_you_mean(item, [*registry(), *defined], cutoff=0.5, aside=False)
                    raise ConfigError(f"unknown metric {item!r}{hint}") from None
    return params, [_by(m, by).in_period(params) for m in chosen]


def _by(m: Metric, columns: Sequence[str]) -> Metric:
    """`m` also broken down by each of `columns` (`column` or `entity.column`) of its primary entity;
    a column of another entity is left for the metrics that have it."""
    extra = {}
    for column in columns:
        entity, _, name = column.rpartition(".")
        if entity and entity != m.primary:
            continue
        extra[name] = name
    return replace(m, breakdowns={**m.breakdowns, **extra}) if extra else m


Runner = Callable[[list[Callable[[], MetricResult]], list[int]], list[MetricResult]]
"""runs the metrics' evaluations and returns their results in their order (`evaluate_metrics`' `run`), given
each one's expected work (`work_of`), by which processes sharing them choose (`auditor.beside`)"""


def one_after_another(evaluations: list[Callable[[], MetricResult]], work: Sequence[int] = ()) -> list[MetricResult]:
    return [evaluate() for evaluate in evaluations]


def work_of(m: Metric, tables: Mapping[str, pd.DataFrame]) -> int:
    """A metric's evaluation's expected work: the rows of the tables it reads. Taken last by either of two
    processes, a heavy evaluation leaves the other idle while it runs: at 300,000 contacts the days in each stage
    over 668,000 history rows were 2.2 of 7.5 CPU s of evaluations, and sat in the middle of the list, where both
    ends meet."""
    return sum(len(tables[entity]) for entity in m.inputs if entity in tables)


def evaluate_metrics(
    frames: Mapping[str, pd.DataFrame],
    findings: pd.DataFrame | None = None,
    *,
    as_of: pd.Timestamp | str,
    period: str | None = None,
    clusters: pd.DataFrame | None = None,
    settings: MetricsSettings | None = None,
    ids: Mapping[str, pd.Series] | None = None,
    metrics: Iterable[str | Metric] | None = None,
    breakdowns: bool = True,
    money: Money | None = None,
    defined: Mapping[str, Metric] | None = None,
    by: Sequence[str] = (),
    run: Runner = one_after_another,
) -> list[MetricResult]:
    """Every registered metric and every metric of `defined` (those the config defines,
    auditor.metrics.language), or those in `metrics` (ids or Metric objects), with its confidence,
    each also broken down by the `by` columns its primary entity has. Money metrics are in
    `money`'s base currency (auditor.money: without one, the most common currency).
    `run`: how the metrics' evaluations run, given in the metrics' order; by default one after another
    here (an audit shares them with a forked process, `auditor.beside`). Each reads what is made before
    them and writes nothing but its cache of values made once, so any order and any process gives the
    same results."""
    settings = settings or MetricsSettings()
    money = money or Money()
    tables, absent = prepare(frames, ids, money)
    money = settle_money(frames, money)
    params, chosen = resolve_request(as_of, period, metrics, money, defined, by)
    if findings is not None:
        tables["findings"] = findings
    cache: dict = {}

    def coded(entity: str) -> tuple[np.ndarray, pa.Array]:
        return _record_codes(entity, tables[entity], cache)

    def look_up(entity: str, ids: np.ndarray) -> np.ndarray:
        return _looked_up(entity, tables[entity], ids, cache)

    entities = ENTITIES.keys() & tables.keys()
    if findings is not None:
        findings = code_findings(findings, look_up, entities)
    # the screens join the rules' findings for the confidence, never the findings table a metric counts
    screened = code_findings(screen(tables, reads_of(chosen), params.as_of, findings, coded), look_up, entities)
    # a cell a rule already reports is that rule's: the screens add what no rule looked at
    screened = _unreported(screened, findings)
    if len(screened):
        findings = screened if findings is None else pd.concat([findings, screened], ignore_index=True)
    suspected = _unreported(
        code_findings(suspects(tables, reads_of(chosen), params.money), look_up, entities), findings
    )
    merged, merge_stats = (None, {})
    if clusters is not None and len(clusters):
        merged, merge_stats = merge_clusters(tables, clusters, reads_of(chosen), coded)
    return run(
        [
            functools.partial(
                _evaluate,
                m,
                tables,
                findings,
                params,
                settings,
                absent,
                merged,
                merge_stats,
                breakdowns,
                cache,
                suspected,
            )
            for m in chosen
        ],
        [work_of(m, tables) for m in chosen],
    )


def _unreported(found: pd.DataFrame, findings: pd.DataFrame | None) -> pd.DataFrame:
    """The cells of `found` no finding already reports. Both hold their records' CODE (`code_findings`): a cell is
    three integers (entity, record, field), where a MultiIndex of the texts of 750,000 findings cost 0.3 s at a
    million contacts, twice per audit."""
    if not len(found) or findings is None or not len(findings):
        return found
    entity, field = (_joint_codes(findings[c], found[c]) for c in ("entity", "field"))
    records = int(max(findings[CODE].max(), found[CODE].max())) + 2
    fields = int(max(field[0].max(), field[1].max())) + 1
    codes = (findings[CODE].to_numpy(), found[CODE].to_numpy())
    reported, cells = ((e * fields + f) * records + r + 1 for e, f, r in zip(entity, field, codes, strict=True))
    # pandas hashes the reported cells once; numpy's isin took 0.7 s for 60,000 cells among 750,000 (its unique of
    # both sides), at a million contacts twice per audit
    return found[~pd.Index(cells).isin(reported)]


def _joint_codes(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of two columns' values, equal where the values are (a missing value is one of them)."""
    codes, _ = pd.factorize(pd.concat([a, b], ignore_index=True).astype("object"), use_na_sentinel=False)
    return codes[: len(a)], codes[len(a) :]


def _evaluate(
    m: Metric,
    tables: dict[str, pd.DataFrame],
    findings: pd.DataFrame | None,
    params: Params,
    settings: MetricsSettings,
    absent: dict[str, set[str]],
    merged: dict[str, pd.DataFrame] | None,
    merge_stats: dict[str, tuple[int, int]],
    with_breakdowns: bool,
    cache: dict,
    suspected: pd.DataFrame | None = None,
) -> MetricResult:
    base = MetricResult(
        m.id,
        m.title,
        params.money.unit(m.unit),
        None,
        None,
        Flag.UNRELIABLE,
        [],
        formula=m.formula,
        inputs={e: list(f) for e, f in m.inputs.items()},
    )
    missing = [
        f"{e}.{f}" if f not in ENTITIES[e].field_names or len(absent[e]) < len(ENTITIES[e].field_names) else e
        for e, fs in m.inputs.items()
        if e in ENTITIES
        for f in fs
        # a column the model does not have (a defined metric's extra field) is absent when the frame lacks it
        if f in absent.get(e, set()) or (not ENTITIES[e].has_field(f) and f not in tables[e].columns)
    ]
    if missing:
        shown = sorted(set(missing))
        currency = any(
            ENTITIES[e].field(f).role is Role.CURRENCY
            for e, _, f in (x.partition(".") for x in shown)
            if f and ENTITIES[e].has_field(f)
        )
        hint = " (or name the currency of its amounts: currency.default in the config)" if currency else ""
        base.flag = Flag.NOT_EVALUATED
        base.reasons.append("not evaluated: the export has no " + ", ".join(shown) + hint)
        base.worklist.append({"action": "map or export", "fields": shown})
        return base
    raw = _compute(m, tables, params)
    value = value_of(raw)
    estimate = raw if isinstance(raw, Estimate) else None
    base.value = value
    base.n = estimate.n if estimate is not None else None
    verdicts: list[tuple[Flag, str]] = []

    # suspects that move the value count as failing records from here on
    influential = _influential(m, tables, suspected, params, settings, value, base.unit, cache)
    named: list[tuple[Flag, str]] = []
    if influential is not None:
        verdict, found = influential
        named.append(verdict)
        findings = found if findings is None else pd.concat([findings, found], ignore_index=True)
        # the failing records differ from other metrics' on the same fields: not from the shared cache
        cache = {k: v for k, v in cache.items() if k[0] in ("codes", "without rate")}

    # coverage
    failing = _failing(m, tables, findings, cache)
    population = sum(x.population for x in failing)
    coverages = [(*_coverage(m, x, tables, findings, cache), x) for x in failing if x.population]
    base.coverage = min((c for c, _, _ in coverages), default=1.0)
    covered: list[tuple[Flag, str]] = []
    for cov, doubt, x in sorted(coverages, key=lambda c: c[0]):
        if not x.failing:
            continue
        fields_, top, most = x.told
        said = f"{x.failing:,} of {x.population:,} {x.label} fail rules on {fields_} ({top}){doubt}"
        covered.append((settings.coverage_flag(cov), said))
        for fld, rule, n in most:
            base.worklist.append({"action": "fix", "entity": x.entity, "field": fld, "rule_id": rule, "records": n})
        if x.entity == m.primary and m.kind == "count" and m.extensive and finite_numbers(value) and value >= 0:
            # each failing record may count or not, so a count of records moves by up to as many as it
            # has failing records: their share of the records it holds or may hold is its coverage (a
            # count of distinct values is not: many failing lines may name one customer, and what they
            # add is extrapolated)
            records = _records_counted(raw)
            held = records / (records + x.failing) if records + x.failing else 1.0
            if settings.coverage_flag(held) < settings.coverage_flag(cov):
                said = f"{x.failing:,} failing {x.label} against a count of {_fmt(records, '')}: each may count or not"
                covered.append((settings.coverage_flag(held), said))

    for flag, said in _without_rate(m, tables, params.money, settings, cache):
        verdicts.append((flag, said))
        base.worklist.append({"action": "add exchange rates", "currency": params.money.base})

    # sensitivity
    sensitive: list[tuple[Flag, str, float, float, bool]] = []
    passing_sample: np.ndarray | None = None
    ci = interval(m.kind, estimate, settings) if estimate is not None and value is not None else None
    n_fail = sum(x.failing for x in failing)
    if n_fail and value is not None:
        excluded = dict(tables)
        for x in failing:
            if x.failing:
                excluded[x.entity] = _passing(m, x, tables[x.entity], cache)
        prim = next((x for x in failing if x.entity == m.primary), None)
        scaled = m.extensive and prim is not None and prim.strict > prim.strict_failing
        read = None
        groups = None
        if scaled or (m.kind in UNKNOWN_KINDS and prim is not None and prim.failing):
            questioned: dict[tuple[str, str], np.ndarray] = {}
            cells = {f: c for (e, f), c in _field_masks(m, tables, findings, [prim], cache, questioned).items()}
            told = _suggested(m.primary, tables[m.primary], findings, set(cells), cache)
            # the cells and records whose values stay unknown, made once for the reading and the groups' count
            unread = _unread(cells, told)
            unread_rows = _unread_rows(prim, unread)
            read = _read_failing(m, prim, tables, cells, told, unread_rows)
            groups = _unknown_groups(m, tables[m.primary], prim, unread, unread_rows, params)
        # the records a rule reads are counted as read, in place of leaving them out
        basis = excluded if read is None else {**excluded, m.primary: pd.concat([excluded[m.primary], read])}
        raw_excl = _compute(m, basis, params)
        v_excl = value_of(raw_excl)
        how = ""
        counted: float | None = None
        unread = prim.failing if prim is not None else 0
        if read is not None:
            unread -= len(read)
            how = f" ({len(read):,} read as their rules suggest instead)"
        if scaled:
            within = prim.strict - prim.strict_failing
            if read is not None:
                scope = m.scope.get(m.primary)
                rows = basis[m.primary]
                within = int(scope.mask(rows).fillna(False).sum()) if scope else len(rows)
            doubtful = _belonging(m, prim, tables, questioned, told)
            members = prim.strict + (doubtful[1].sum() if doubtful is not None else 0.0)
            factor = float(members) / within if within else 1.0
            counted = _records_counted(raw_excl) if m.kind == "count" and isinstance(v_excl, (int, float)) else None
            v_excl = _scale(v_excl, factor)
            read_said = f"{len(read):,} read as their rules suggest instead, the rest " if read is not None else ""
            how = f" ({read_said}scaled to all records)"
        elif m.kind == "count" and prim is not None and prim.failing:
            broken = {f: cells for (e, f), cells in _field_masks(m, tables, findings, [prim], cache).items()}
            suggested = _suggested(m.primary, tables[m.primary], findings, set(broken), cache)
            extrapolated = _extrapolate(m, tables, excluded, params, settings, v_excl, prim, broken, suggested)
            if extrapolated is not None:
                v_excl, how = extrapolated, " (extrapolated to all records)"
        shift = distance(value, v_excl)
        base.value_excluding_failing, base.sensitivity = v_excl, shift
        said = f"excluding them{how} {_move(value, v_excl, base.unit, shift)}"
        if not scaled and m.kind in UNKNOWN_KINDS and prim is not None and prim.failing:
            kind = _like_their_kind(m, tables, excluded, findings, params, prim, cache)
            kind_shift = distance(value, kind[0]) if kind is not None else 0.0
            # a mean or median of groups' totals is not cleaner without a failing record: its group's total then
            # lacks the record's part, or a one-record group drops out (from the bottom, its amount read as 0), so
            # there the fill is the cleaner value, however far leaving them out moves it
            in_place = kind is not None and m.per is not None and kind_shift < shift
            if kind is not None and (kind_shift > shift or in_place):
                shift = kind_shift
                moved = _move(value, kind[0], base.unit, shift)
                said += f"; taking their unknown cells from passing {prim.label} with the same {kind[1]} {moved}"
                if in_place:
                    said += f", which is judged: left out, a record would take its part out of its {m.per}'s total"
        if counted is not None and prim is not None:
            unknown = _count_unknown(counted, within, unread, counted * factor)
        else:
            unknown = _unknown_share(m, estimate, prim, v_excl, ci, settings, unread, groups) or 0.0
        if math.isinf(unknown):
            said += f"; it counts none of the passing records, and any of the {prim.failing:,} failing ones may count"
        elif unknown >= 0.0005:  # what rounds to 0.0% says nothing
            said += f"; their true values could move it a further {100 * unknown:.1f}%"
        sensitive = [(settings.sensitivity_flag(shift, unknown), said, shift, unknown, bool(how))]
        if m.kind == "median":
            # the order statistics' bound puts every failing record back itself, read ones included
            passing = raw_excl if read is None else _compute(m, excluded, params)
            if isinstance(passing, Estimate) and passing.sample is not None:
                passing_sample = passing.sample
    elif population:
        verdicts.append((Flag.HIGH, f"all {population:,} input records pass the rules on its fields"))
        base.sensitivity = 0.0

    # duplicates
    touched = [e for e in merge_stats if e in m.inputs or _references(m, e)]
    if merged is not None and value is not None:
        v_merged = _merged_value(m, tables, merged, params, value)
        shift = distance(value, v_merged)
        base.value_duplicates_merged, base.duplicates = v_merged, shift
        if shift > 0:
            what = ", ".join(f"{merge_stats[e][1]:,} duplicate {e} in {merge_stats[e][0]:,} clusters" for e in touched)
            verdicts.append(
                (
                    settings.shift_flag(shift),
                    f"merging {what or 'duplicates'} {_move(value, v_merged, base.unit, shift)}",
                )
            )
            for e in touched:
                base.worklist.append(
                    {"action": "merge", "entity": e, "clusters": merge_stats[e][0], "records": merge_stats[e][1]}
                )
        elif touched:
            verdicts.append((Flag.HIGH, "merging duplicate clusters does not change it"))

    # sample size and interval
    if value is None:
        verdicts.append(
            (
                Flag.UNRELIABLE,
                "no data: "
                + ("the denominator is 0" if estimate is not None and estimate.n else "no records to compute it from"),
            )
        )
    elif estimate is not None:
        base.interval = ci
        if estimate.n < settings.sample_high:
            verdicts.append((settings.sample_flag(estimate.n), f"based on only {estimate.n:,} records"))
        if base.interval is not None and isinstance(value, float):
            lo, hi = base.interval
            half = (hi - lo) / 2
            rel = half / abs(value) if value else math.inf
            level = f"{100 * settings.confidence_level:.0f}%"
            text_ = f"{level} interval {_fmt(lo, base.unit)} to {_fmt(hi, base.unit)} (n = {estimate.n:,})"
            verdicts.append((settings.interval_flag(rel), text_))

    # freshness
    age, where = _freshness(m, tables, params.as_of, cache)
    base.freshness_days = age
    if age is not None and age > settings.freshness_medium_days:
        verdicts.append(
            (settings.freshness_flag(age), f"stale: the newest record ({where}) is {age:.0f} days before as_of")
        )

    _trust(base, settings)
    judged = _bounded(
        m, tables, findings, params, settings, value, failing, covered, sensitive, verdicts, base, cache, passing_sample
    )
    verdicts = named + judged + verdicts  # stable sort below: the verdict naming the records leads its level
    base.flag = min((f for f, _ in verdicts), default=Flag.HIGH) if value is not None else Flag.UNRELIABLE
    verdicts.sort(key=lambda v: v[0])
    base.reasons = [r for _, r in verdicts]
    if merged is None:
        base.reasons.append("duplicates not checked (no duplicate clusters given)")
    if with_breakdowns and m.breakdowns and value is not None:
        prim = next((x for x in failing if x.entity == m.primary), None)
        coverage = (
            Coverage(prim.label, prim.scope_mask.to_numpy(bool), prim.fail_mask.to_numpy(bool))
            if prim is not None and prim.scope_mask is not None
            else None
        )
        notes: list[str] = []
        base.breakdowns, base.breakdown_confidence = breakdowns(
            m, tables, params, settings, _compute, coverage, base.flag, cache, notes
        )
        base.reasons.extend(notes)
    return base


def _merged_value(
    m: Metric, tables: Mapping[str, pd.DataFrame], merged: Mapping[str, pd.DataFrame], params: Params, value: Any
) -> Any:
    """The metric's value with duplicate clusters merged: its value itself when merging left every table it reads
    the same object (the clusters are of other entities and no key it reads points at them: 7 of acme's 40
    metrics), as computing it again on the same tables gives; else computed on the merged tables."""
    if all(merged.get(e) is tables.get(e) for e in (*m.inputs, "findings")):
        return dict(value) if isinstance(value, dict) else value  # a copy, as a computation would give
    return value_of(_compute(m, merged, params))


def _passing(m: Metric, x: _Failing, frame: pd.DataFrame, cache: dict) -> pd.DataFrame:
    """`frame` without the failing records `x`, of the columns the metric reads: filtering every column of a million
    rows would cost more than the metric. A table of fewer than PART_FROM_ROWS rows is kept for the next metrics of
    the same failing records and columns (kept with `x` and the frame, checked to be those objects), and so are the
    values and conditions made on it (`language._Runtime._once`); a larger one is made for this metric alone: kept,
    a million deals' copies held 430 MB to the stage's end for few reuses."""
    columns = [c for c in frame.columns if c in {*m.reads(x.entity), RID}]
    return _kept_with(
        cache,
        ("passing", x.entity, tuple(columns)),
        (x, frame),
        lambda: frame.loc[~x.fail_mask.to_numpy(bool), columns],
        keep=len(frame) < PART_FROM_ROWS,
    )


def _influential(
    m: Metric,
    tables: Mapping[str, pd.DataFrame],
    suspected: pd.DataFrame | None,
    params: Params,
    settings: MetricsSettings,
    value: Any,
    unit: str,
    cache: dict,
) -> tuple[tuple[Flag, str], pd.DataFrame] | None:
    """The verdict on the metric's suspects (screening.suspects: amounts unusual for their column on
    the fields it reads) and those suspects as findings, when the value without them is beyond the
    HIGH threshold from the value (counts and sums scaled back to all records); None when they do
    not move it that far. A typo and a true record deal look alike; one that holds the value is not
    HIGH either way, and the reason names it."""
    if value is None or suspected is None or not len(suspected):
        return None
    mine = suspected[
        [e in m.inputs and f in m.inputs[e] for e, f in zip(suspected["entity"], suspected["field"], strict=True)]
    ]
    if not len(mine):
        return None
    without = dict(tables)
    removed: dict[str, np.ndarray] = {}
    for entity, ids in mine.groupby("entity")[CODE]:
        rows = _rows(str(entity), tables[str(entity)], ids, cache)
        without[str(entity)] = tables[str(entity)][~rows]
        removed[str(entity)] = rows
    v_without = value_of(_compute(m, without, params))
    if m.extensive and m.primary in removed:
        frame = tables[m.primary]
        scope = m.scope[m.primary].mask(frame).fillna(False).to_numpy(bool) if m.primary in m.scope else None
        population = int(scope.sum()) if scope is not None else len(frame)
        gone = int((removed[m.primary] & scope).sum()) if scope is not None else int(removed[m.primary].sum())
        if population > gone:
            v_without = _scale(v_without, population / (population - gone))
    shift = distance(value, v_without)
    if shift <= settings.shift_high:
        return None
    named = [
        _name_suspects(str(e), str(f), tables, cells[CODE], cache)
        for (e, f), cells in mine.groupby(["entity", "field"], sort=False)
    ]
    said = (
        f"{'; '.join(named)}: far from the bulk of their column (typed wrong, or true?);"
        f" excluding them {_move(value, v_without, unit, shift)}"
    )
    return (settings.shift_flag(shift), said), mine.reset_index(drop=True)


def _name_suspects(entity: str, name: str, tables: Mapping[str, pd.DataFrame], coded: pd.Series, cache: dict) -> str:
    """ "2 campaigns with an unusual attributed_revenue (CMP10 4,951,590 PLN, CMP32 4,166,490 PLN)"."""
    frame = tables[entity]
    rows = frame[_rows(entity, frame, coded, cache)]
    spec = ENTITIES[entity].field(name)
    currency = rows[spec.currency_field] if spec.currency_field in rows.columns else pd.Series(None, index=rows.index)
    shown = [
        f"{rid} {_fmt(amount)}" + (f" {cur}" if isinstance(cur, str) else "")
        for rid, amount, cur in zip(rows[RID][:5], rows[name][:5], currency[:5], strict=True)
    ]
    more = f" and {len(rows) - 5:,} more" if len(rows) > 5 else ""
    return f"{len(rows):,} {entity} with an unusual {name} ({', '.join(shown)}{more})"


def _trust(result: MetricResult, settings: MetricsSettings) -> None:
    """The trusted value and, when it is far from the raw one, the warning a report leads with: a
    revenue of 23 billion from ten mistyped amounts is shown as a warning with the believable figure,
    not as the headline."""
    result.trusted_value = result.value
    for other, why in (
        (result.value_excluding_failing, "without the records that fail rules"),
        (result.value_duplicates_merged, "with duplicates merged"),
    ):
        if other is None or result.value is None:
            continue
        shift = distance(result.value, other)
        if shift > settings.shift_high:
            result.trusted_value = other
            if isinstance(result.value, dict):
                result.warning = f"its distribution changes by {100 * shift:.1f}% {why}"
            else:
                unit = "" if result.unit in ("share", "ratio") else f" {result.unit}"
                result.warning = (
                    f"{why} it is {_fmt(other, result.unit)}{unit}, not the raw {_fmt(result.value, result.unit)}{unit}"
                )
            return


def settle_money(frames: Mapping[str, pd.DataFrame], money: Money) -> Money:
    """`money` with its base currency known (Money.settled over every currency column)."""
    currency_fields = [(e.name, f.name) for e in ENTITIES.values() for f in e.fields if f.role is Role.CURRENCY]
    return money.settled(frames[e][f] for e, f in currency_fields if e in frames and f in frames[e].columns)


def _without_rate(
    m: Metric, tables: Mapping[str, pd.DataFrame], money: Money, settings: MetricsSettings, cache: dict
) -> list[tuple[Flag, str]]:
    """A verdict per money table the metric reads where records are in a currency (or none) that
    has no rate to the base currency: those amounts are left out of the value. A code that is not
    ISO 4217 at all is the currency rule's finding, and counted in coverage already. Judged once
    per currency column (a dozen metrics read the deals' currency)."""
    out = []
    for entity, fields_ in m.inputs.items():
        for name in fields_:
            spec = ENTITIES.get(entity)
            if spec is None or not spec.has_field(name) or spec.field(name).role is not Role.CURRENCY:
                continue
            key = ("without rate", entity, name)
            if key not in cache:
                cache[key] = _left_out(entity, tables[entity][name], money, settings)
            out.extend(cache[key])
    return out


def _left_out(entity: str, currency: pd.Series, money: Money, settings: MetricsSettings) -> list[tuple[Flag, str]]:
    left_out = money.without_rate(currency)
    left_out = left_out[left_out.isin([*codes(), "(none)"])]
    if not len(left_out):
        return []
    which = ", ".join(f"{c} {n:,}" for c, n in left_out.value_counts().head(5).items())
    total = len(currency)
    return [
        (
            settings.coverage_flag(1 - len(left_out) / total),
            f"{len(left_out):,} of {total:,} {entity} are in a currency without a rate to"
            f" {money.base or 'a base currency'} ({which}): their amounts are left out; add the rates"
            " under currency.rates in the config",
        )
    ]


def _bounded(
    m: Metric,
    tables: dict[str, pd.DataFrame],
    findings: pd.DataFrame | None,
    params: Params,
    settings: MetricsSettings,
    value: Any,
    failing: list[_Failing],
    covered: list[tuple[Flag, str]],
    sensitive: list[tuple[Flag, str, float, float, bool]],
    others: list[tuple[Flag, str]],
    base: MetricResult,
    cache: dict,
    passing_sample: np.ndarray | None = None,
) -> list[tuple[Flag, str]]:
    """The coverage and sensitivity verdicts, judged with the bound (bounds.py): how far the
    failing records can move the value whatever their true values. Coverage is a proxy for that
    harm, so it does not lower the flag when the bound is within `bound_high`; and the
    sensitivity estimate (exclusion shift plus the unknown-values term) cannot exceed the bound.
    The bound is computed only where it can change the flag: when coverage or sensitivity is what
    holds the flag below HIGH. A median whose failing records are all of its own entity is bounded
    by order statistics (`passing_sample`: its values without them; bounds.median_bound) rather than
    by probing its fields one by one."""
    judged = covered + [(f, r) for f, r, *_ in sensitive]
    held = min((f for f, _ in judged), default=Flag.HIGH)
    if value is None or not covered or held >= min((f for f, _ in others), default=Flag.HIGH):
        return judged
    questioned: dict[tuple[str, str], np.ndarray] = {}
    masks = _field_masks(m, tables, findings, failing, cache, questioned)
    own = next((x for x in failing if x.entity == m.primary), None)
    if passing_sample is not None and own is not None and own.failing == sum(x.failing for x in failing):
        free, known, certain = _membership_only(m, tables, findings, params, own, masks, cache)
        base.bound, most = median_bound(np.concatenate([passing_sample, certain]), free, value, known)
    else:
        base.bound, most = bound(
            m, tables, params, value, masks, _compute_probe, questioned, _readings(tables, findings, masks, cache)
        )
    where = f" (the most: {most})" if most else ""
    if base.bound <= settings.bound_high:
        said = f"; whatever their true values, they move it at most {100 * base.bound:.1f}%{where}"
        covered = [(Flag.HIGH, r + said) for _, r in covered]
    else:
        said = f"; their true values could move it by up to {100 * base.bound:.1f}%{where}"
        covered = [(f, r + said) for f, r in covered]
    sensitivity = [
        (settings.sensitivity_flag(shift, unknown, base.bound, imputed=imputed), r)
        for _, r, shift, unknown, imputed in sensitive
    ]
    return covered + sensitivity


def _readings(
    tables: Mapping[str, pd.DataFrame],
    findings: pd.DataFrame | None,
    masks: Mapping[tuple[str, str], np.ndarray],
    cache: dict,
) -> dict[tuple[str, str], tuple[pd.Series, np.ndarray]]:
    """(entity, field) -> (the column with the failing cells (`masks`) a rule reads taken at their
    reading, those cells), for the fields with any (`bounds.bound`'s `read`)."""
    out = {}
    for entity in dict.fromkeys(e for e, _ in masks):
        frame = tables[entity]
        cells = {name: mask for (e, name), mask in masks.items() if e == entity and mask.any()}
        told = _suggested(entity, frame, findings, set(cells), cache)
        for name, reading in told.items():
            taken = cells[name] & pd.notna(reading)
            if taken.any():
                out[(entity, name)] = (_as_read(frame[[name]], {name: taken}, told, None)[name], taken)
    return out


def _membership_only(
    m: Metric,
    tables: Mapping[str, pd.DataFrame],
    findings: pd.DataFrame | None,
    params: Params,
    x: _Failing,
    masks: Mapping[tuple[str, str], np.ndarray],
    cache: dict,
) -> tuple[int, np.ndarray, np.ndarray]:
    """(how many failing records of the metric's entity could hold any value, the values of those that
    may be in or out, the values of those surely in): a record whose only questioned cells are the
    scope's fields, where belonging to the scope pins each of them to one value (stage == Closed Won),
    has a known value if it belongs. Whether it belongs is unknown, unless the rules that question
    those cells suggest what they hold, as a fix would: "closed won" is in, "Closed-Lost" is out. Its
    value is computed with those fields set to what the scope pins them to."""
    frame = tables[m.primary]
    fail = x.fail_mask.to_numpy(bool)
    scope = m.scope.get(m.primary)
    none = np.empty(0)
    if scope is None:
        return x.failing, none, none
    inside = scope.mask(frame).fillna(False).to_numpy(bool) & ~fail
    pinned: dict[str, Any] = {}
    for name in scope.fields:
        values = pd.unique(frame.loc[inside, name].dropna().astype("object"))
        if len(values) == 1:
            pinned[name] = values[0]
    free = np.zeros(len(frame), dtype=bool)
    for (entity, name), cells in masks.items():
        if entity == m.primary and name not in pinned:
            free |= cells
    known = fail & ~free
    if not known.any():
        return x.failing, none, none
    questioned = {name: cells for (entity, name), cells in masks.items() if entity == m.primary and name in pinned}
    suggested = _suggested(m.primary, frame, findings, set(questioned), cache)
    surely_in, surely_out = known.copy(), np.zeros(len(frame), dtype=bool)
    for name, cells in questioned.items():
        told = suggested.get(name)
        if told is None:  # no rule reads these cells: in or out
            surely_in &= ~cells
            continue
        said = pd.notna(told)
        agrees = said & (told == pinned[name])
        surely_in &= ~cells | agrees
        surely_out |= cells & said & ~agrees
    surely_in &= ~surely_out

    def values(rows: np.ndarray) -> np.ndarray:
        if not rows.any():
            return none
        pinned_rows = frame[rows].assign(
            **{name: pd.Series(v, index=frame.index[rows], dtype=frame[name].dtype) for name, v in pinned.items()}
        )
        estimate = _compute(m, {**tables, m.primary: pinned_rows}, params)
        return estimate.sample if isinstance(estimate, Estimate) and estimate.sample is not None else none

    return int((fail & free).sum()), values(known & ~surely_in & ~surely_out), values(surely_in)


def _references(m: Metric, entity: str) -> bool:
    """True when one of the metric's input fields is a foreign key to `entity`."""
    for e, fs in m.inputs.items():
        spec = ENTITIES.get(e)
        if spec is None:
            continue
        for f in fs:
            if spec.has_field(f) and spec.field(f).references == entity:
                return True
    return False
