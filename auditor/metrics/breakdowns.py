"""Breakdowns: a metric recomputed per group (owner, segment, source, month...), each group with
its own confidence flag.

The group keys of a breakdown are computed once per (entity, breakdown) and shared by every
metric that breaks down the same way: integer codes from one factorize (months from year and
month numbers, a referenced column such as the account's segment through one index lookup),
and the rows of each group from one stable sort of the codes. A single measure of the metric
language (a count, sum, mean, median, NPS or share of one table: `Metric.grouped`) makes its
conditions and values once over the whole table and reduces each group's rows; any other metric
is recomputed on each group's rows, reduced to the columns the metric declares, so the cost of
a breakdown is about that of one computation of the metric on all records.

A group's flag is the lowest of: the metric's own flag (duplicates, sensitivity and freshness
are judged on the whole metric, so no group is trusted more than its metric), the coverage of
the group (its records in the metric's scope that pass the rules on the metric's fields,
judged by the coverage thresholds) and its sample size (judged by the sample-size thresholds).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from auditor.metrics.activity import RID
from auditor.metrics.common import Params, coded, month_label, month_numbers, positions
from auditor.metrics.confidence import Flag, MetricsSettings
from auditor.metrics.registry import Estimate, Metric, value_of
from auditor.model import ENTITIES


@dataclass(frozen=True)
class Groups:
    """The largest (months: the latest) groups of a breakdown and where their rows are."""

    labels: list[str]
    picked: np.ndarray
    """the row positions of every chosen group, group after group (each in the table's order)"""
    spans: list[tuple[int, int]]
    """each group's slice of `picked`"""
    codes: np.ndarray
    """group code per row (-1: in no group); the i-th label is code `chosen[i]`"""
    chosen: np.ndarray


@dataclass(frozen=True)
class Coverage:
    """The metric's scope and failing records on its primary entity, as row masks."""

    label: str
    scope: np.ndarray
    failing: np.ndarray


def _codes(frame: pd.DataFrame, tables: Mapping[str, pd.DataFrame], entity: str, spec: str, params: Params):
    """(code per row, label per code, is_month) for the breakdown `spec` of `entity`."""
    if "->" in spec:
        fk, col = spec.split("->")
        ref = tables[ENTITIES[entity].field(fk).references or ""]
        ref = ref.drop_duplicates(RID, keep="last")
        ref_codes, labels = pd.factorize(_factorizable(ref[col]))
        # each distinct key looked up once, from the key column's codes kept per run (`common.coded`)
        keys, distinct = coded(params, frame[fk])
        at = np.append(positions(pd.Series(distinct), ref[RID]), -1)[keys]  # a missing key (-1) is no record
        codes = np.append(ref_codes, -1)[at]  # at = -1 (no such record) picks the appended -1
        return codes, [str(x) for x in labels], False
    keys = frame[spec]
    if pd.api.types.is_datetime64_any_dtype(keys):
        keys = keys.where(keys <= params.end)
        month = month_numbers(keys)
        present = ~np.isnan(month)
        first = int(np.nanmin(month)) if present.any() else 0
        codes = np.where(present, np.nan_to_num(month) - first, -1).astype("int64")
        labels = [month_label(first + i) for i in range(int(codes.max(initial=-1)) + 1)]
        return codes, labels, True
    codes, labels = pd.factorize(_factorizable(keys))
    return codes, [str(x) for x in labels], False


def _factorizable(values: pd.Series) -> pd.Series:
    """Text as it is (Arrow factorizes a million strings without making one Python str each), anything
    else as objects, so that numbers and flags are labelled as they were written."""
    return values if isinstance(values.dtype, pd.StringDtype) else values.astype("object")


def groups(
    frame: pd.DataFrame, tables: Mapping[str, pd.DataFrame], entity: str, spec: str, params: Params, limit: int
) -> Groups:
    """The `limit` largest groups (months: the latest `limit` months with records), sorted by label."""
    codes, labels, months = _codes(frame, tables, entity, spec, params)
    sizes = np.bincount(codes[codes >= 0], minlength=len(labels))
    present = np.flatnonzero(sizes)
    if months:
        chosen = present[-limit:]
    else:
        # largest first, ties in order of first appearance (like value_counts)
        chosen = present[np.argsort(-sizes[present], kind="stable")][:limit]
        chosen = chosen[np.argsort([labels[c] for c in chosen], kind="stable")]
    order = stable_order(codes, len(labels))
    ordered = codes[order]
    starts = np.searchsorted(ordered, chosen, "left")
    ends = np.searchsorted(ordered, chosen, "right")
    sizes_chosen = ends - starts
    edges = np.concatenate([[0], np.cumsum(sizes_chosen)])
    return Groups(
        [labels[c] for c in chosen],
        np.concatenate([order[s:e] for s, e in zip(starts, ends, strict=True)] or [np.empty(0, dtype=np.intp)]),
        [(int(a), int(b)) for a, b in pairwise(edges)],
        codes,
        chosen,
    )


SHORT_CODES = np.iinfo(np.int16).max
"""codes below this fit 16 bits, which numpy sorts stably by radix (`stable_order`)"""


def stable_order(codes: np.ndarray, width: int) -> np.ndarray:
    """`np.argsort(codes, kind="stable")` of codes from -1 to `width` - 1: the same order (a stable sort has one), by
    numpy's radix sort where they fit 16 bits, 5 times faster on a million rows than its merge sort of 64-bit
    integers (each breakdown's groups are sorted once per run, 8 of them at a million deals)."""
    return np.argsort(codes.astype(np.int16) if width < SHORT_CODES else codes, kind="stable")


def breakdowns(
    m: Metric,
    tables: Mapping[str, pd.DataFrame],
    params: Params,
    settings: MetricsSettings,
    compute: Callable[[Metric, Mapping[str, pd.DataFrame], Params], Any],
    coverage: Coverage | None,
    overall: Flag,
    cache: dict,
    notes: list[str] | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, dict[str, Any]]]]:
    """(values, confidence) per breakdown and group: values[name][group] is the metric on the
    group's records; confidence[name][group] = {confidence, n, coverage, reasons}. A group with
    fewer records (observations: the responses of an NPS) than the metric's `min_n` (else the
    settings' `breakdown_min_n`) is left out, as an analyst leaves out regions with too few
    responses; `notes` gets a line per breakdown that left groups out or whose column the export
    does not have."""
    values: dict[str, dict[str, Any]] = {}
    confidence: dict[str, dict[str, dict[str, Any]]] = {}
    notes = notes if notes is not None else []
    frame = tables[m.primary]
    if not len(frame):
        return values, confidence
    needed = {*m.reads(m.primary), RID}
    lean = [c for c in frame.columns if c in needed]
    min_n = m.min_n if m.min_n is not None else settings.breakdown_min_n
    chosen: dict[str, tuple[str, Groups]] = {}
    for name, spec in m.breakdowns.items():
        if not _has_column(tables, m.primary, spec):
            notes.append(f"breakdown by {name}: the export has no {spec.split('->')[-1]} column")
            continue
        key = ("groups", m.primary, spec)
        if key not in cache:
            cache[key] = groups(frame, tables, m.primary, spec, params, settings.breakdown_limit)
        chosen[name] = (spec, cache[key])
    results = _per_group(m, tables, params, compute, chosen, lean, cache)
    for name, (_, g) in chosen.items():
        in_scope = failing = None
        if coverage is not None:
            valid = g.codes >= 0
            width = int(g.codes.max(initial=-1)) + 1
            in_scope = np.bincount(g.codes[valid & coverage.scope], minlength=width)
            failing = np.bincount(g.codes[valid & coverage.failing], minlength=width)
        values[name], confidence[name] = {}, {}
        small = 0
        for label, code, (start, end), raw in zip(g.labels, g.chosen, g.spans, results[name], strict=True):
            n = raw.n if isinstance(raw, Estimate) else None
            counts = (int(in_scope[code]), int(failing[code])) if coverage is not None else None
            size = n if n is not None else counts[0] if counts is not None else end - start
            if size < min_n:
                small += 1
                continue
            values[name][label] = value_of(raw)
            confidence[name][label] = _group_confidence(values[name][label], n, counts, coverage, overall, settings)
        if small:
            notes.append(f"breakdown by {name}: {small} of {len(g.labels)} groups under {min_n:,} records left out")
    return values, confidence


def _per_group(
    m: Metric,
    tables: Mapping[str, pd.DataFrame],
    params: Params,
    compute: Callable[[Metric, Mapping[str, pd.DataFrame], Params], Any],
    chosen: Mapping[str, tuple[str, Groups]],
    lean: list[str],
    cache: dict,
) -> dict[str, list[Any]]:
    """The metric's result on each chosen group of each breakdown (name -> results in the order of its labels): where
    the metric can (`Metric.grouped`), from its conditions and values made once over the whole table for every
    breakdown; else recomputed on each group's rows."""
    if m.grouped is not None:
        every = [g.picked[start:end] for _, g in chosen.values() for start, end in g.spans]
        results = iter(m.grouped(tables, params, every) if every else [])
        return {name: [next(results) for _ in g.spans] for name, (_, g) in chosen.items()}
    frame = tables[m.primary]
    out: dict[str, list[Any]] = {}
    for name, (spec, g) in chosen.items():
        # each column's rows taken once, group after group, for every metric broken down the same way:
        # a group is then a slice of them, where taking its rows anew per metric and group was most of
        # the breakdowns' time on a million text values
        taken = cache.setdefault(("grouped rows", m.primary, spec), {})
        for c in lean:
            if c not in taken:
                taken[c] = frame[c].array.take(g.picked)
        grouped = pd.DataFrame({c: taken[c] for c in lean}, index=frame.index.take(g.picked), copy=False)
        out[name] = [compute(m, {**tables, m.primary: grouped.iloc[start:end]}, params) for start, end in g.spans]
    return out


def _has_column(tables: Mapping[str, pd.DataFrame], entity: str, spec: str) -> bool:
    if "->" in spec:
        fk, col = spec.split("->", 1)
        ref = ENTITIES[entity].field(fk).references if ENTITIES[entity].has_field(fk) else None
        return fk in tables[entity].columns and ref in tables and col in tables[ref].columns
    return spec in tables[entity].columns


def _group_confidence(
    value: Any,
    n: int | None,
    counts: tuple[int, int] | None,
    coverage: Coverage | None,
    overall: Flag,
    settings: MetricsSettings,
) -> dict[str, Any]:
    verdicts: list[tuple[Flag, str]] = []
    if overall < Flag.HIGH:
        verdicts.append((overall, f"the metric as a whole is {overall.name}"))
    share = None
    if counts is not None and coverage is not None:
        population, failing = counts
        share = 1 - failing / population if population else 1.0
        if failing:
            said = f"{failing:,} of {population:,} {coverage.label} fail rules on its fields"
            verdicts.append((settings.coverage_flag(share), said))
        if n is None:
            n = population
    if value is None:
        verdicts.append((Flag.UNRELIABLE, "no data in this group"))
    elif n is not None and n < settings.sample_high:
        verdicts.append((settings.sample_flag(n), f"based on only {n:,} records"))
    flag = min((f for f, _ in verdicts), default=Flag.HIGH)
    verdicts.sort(key=lambda v: v[0])
    return {"confidence": flag.name, "n": n, "coverage": share, "reasons": [r for _, r in verdicts]}
