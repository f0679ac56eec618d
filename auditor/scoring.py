"""Accuracy scores per record, field, entity and data-quality dimension, and the overall score.

The formulas (also in README.md, "Scores"):

- Each finding carries a severity weight w: error 0.5, warning 0.2, info 0.05 (configurable).
  A (record, field, rule) counts once.
- record score  = 100 * prod(1 - w) over the record's findings. No finding: 100; one error: 50;
  two errors: 25; one warning: 80.
- field score   = mean over the entity's records of 100 * prod(1 - w) over findings on that field.
- entity score  = mean of its record scores.
- dimension score (per entity, and overall) = the same mean, counting only findings of rules in
  that dimension (completeness, validity, uniqueness, consistency, timeliness, accuracy).
- overall hygiene score = mean record score over all records of all entities (record-weighted),
  or the weighted mean of entity scores when `entity_weights` are configured.
- A required column that is missing from a table counts as an error finding on every record
  of that table (its factor multiplies every record score), so a table cannot score well by
  leaving out a column.

Scores are computed only over what was evaluated: a field with no evaluated rule has no score,
and a dimension with no evaluated rule is absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from auditor.checks.base import Severity
from auditor.checks.engine import RuleOutcome, StructuralIssue

DEFAULT_WEIGHTS: dict[str, float] = {Severity.ERROR: 0.5, Severity.WARNING: 0.2, Severity.INFO: 0.05}


@dataclass
class EntityScore:
    score: float
    records: int
    records_with_findings: int
    fields: dict[str, float] = field(default_factory=dict)
    dimensions: dict[str, float] = field(default_factory=dict)


@dataclass
class Scores:
    overall: float | None
    entities: dict[str, EntityScore]
    dimensions: dict[str, float]
    weights: dict[str, float]
    records: pd.DataFrame
    """One row per record that has findings: entity, record_id, score, findings."""

    def to_dict(self) -> dict:
        return {
            "overall": self.overall,
            "weights": dict(self.weights),
            "dimensions": self.dimensions,
            "entities": {
                name: {
                    "score": e.score,
                    "records": e.records,
                    "records_with_findings": e.records_with_findings,
                    "fields": e.fields,
                    "dimensions": e.dimensions,
                }
                for name, e in self.entities.items()
            },
        }


Block = tuple[float, int]
"""(the sum of some records' products of factors, how many records)"""


def _mean_with_clean(block: Block, total: int, base: float) -> float:
    """Mean of 100 * factor over `total` records, where the records of `block` have their products and the others
    factor 1."""
    if total == 0:
        return 100.0
    summed, count = block
    clean = total - count
    return round(float(100.0 * base * (summed + clean) / total), 2)


def compute_scores(
    findings: pd.DataFrame,
    record_counts: Mapping[str, int],
    outcomes: Sequence[RuleOutcome],
    structural: Sequence[StructuralIssue] = (),
    *,
    weights: Mapping[str, float] | None = None,
    entity_weights: Mapping[str, float] | None = None,
) -> Scores:
    weights = {str(k): float(v) for k, v in (weights or DEFAULT_WEIGHTS).items()}
    unique = findings.drop_duplicates(["entity", "record_id", "field", "rule_id"])
    factor = 1.0 - unique["severity"].map(weights).fillna(0.0).astype("float64")
    scored = unique.assign(factor=factor.to_numpy())

    # A missing required column is an error on every record of its table.
    base = dict.fromkeys(record_counts, 1.0)
    for issue in structural:
        if issue.entity in base:
            base[issue.entity] *= 1.0 - weights.get(issue.severity, 0.0)

    evaluated_fields: dict[str, set[str]] = {}
    evaluated_dims: dict[str, set[str]] = {}
    for o in outcomes:
        if o.status in ("passed", "failed"):
            evaluated_fields.setdefault(o.entity, set()).update(o.fields)
            evaluated_dims.setdefault(o.entity, set()).add(o.dimension)

    per_record = scored.groupby(["entity", "record_id"], sort=False).agg(
        factor=("factor", "prod"), findings=("rule_id", "size")
    )
    per_field = scored.groupby(["entity", "field", "record_id"])["factor"].prod()
    per_dim = scored.groupby(["entity", "dimension", "record_id"])["factor"].prod()

    field_blocks, dim_blocks = _blocks(per_field), _blocks(per_dim)
    entities: dict[str, EntityScore] = {}
    for name, total in record_counts.items():
        records = per_record.loc[name]["factor"] if name in per_record.index.get_level_values(0) else pd.Series()
        fields = {
            f: _mean_with_clean(field_blocks.get((name, f), _NONE), total, 1.0)
            for f in sorted(evaluated_fields.get(name, ()))
        }
        for issue in structural:
            if issue.entity == name:
                fields[issue.field] = round(100.0 * (1.0 - weights.get(issue.severity, 0.0)), 2)
        dims = {
            d: _mean_with_clean(dim_blocks.get((name, d), _NONE), total, 1.0)
            for d in sorted(evaluated_dims.get(name, ()))
        }
        if any(i.entity == name for i in structural):
            dims["completeness"] = round(dims.get("completeness", 100.0) * base[name], 2)
        entities[name] = EntityScore(
            score=_mean_with_clean((records.sum(), len(records)), total, base[name]),
            records=int(total),
            records_with_findings=len(records),
            fields=fields,
            dimensions=dims,
        )

    dimensions = _overall_dimensions(entities)
    overall = _overall(entities, entity_weights)
    record_scores = per_record.reset_index()
    factors = record_scores["factor"].astype("float64") * record_scores["entity"].map(base).astype("float64")
    record_scores["score"] = (100.0 * factors).round(2)
    return Scores(
        overall=overall,
        entities=entities,
        dimensions=dimensions,
        weights=weights,
        records=record_scores[["entity", "record_id", "score", "findings"]],
    )


_NONE: Block = (0.0, 0)


def _blocks(products: pd.Series) -> dict[tuple[Any, Any], Block]:
    """Per (entity, key) of `products`, a Series indexed by entity, key and record id as a sorted grouping makes it
    (each pair's records one after the other): the sum of the pair's products and their number, what selecting the
    pair by `.loc` and summing gave, each block summed as it lies (186 selections of a MultiIndex were over half of
    fixtures/acme's scores)."""
    if not len(products):
        return {}
    index = products.index
    entity, key = index.codes[0], index.codes[1]
    values = products.to_numpy(dtype="float64")
    starts = np.flatnonzero(np.r_[True, (entity[1:] != entity[:-1]) | (key[1:] != key[:-1])])
    ends = np.r_[starts[1:], len(values)]
    return {
        (index.levels[0][entity[start]], index.levels[1][key[start]]): (values[start:end].sum(), int(end - start))
        for start, end in zip(starts, ends, strict=True)
    }


def _overall_dimensions(entities: Mapping[str, EntityScore]) -> dict[str, float]:
    totals: dict[str, list[tuple[float, int]]] = {}
    for e in entities.values():
        for dim, score in e.dimensions.items():
            totals.setdefault(dim, []).append((score, e.records))
    result = {}
    for dim, pairs in sorted(totals.items()):
        records = sum(n for _, n in pairs)
        result[dim] = round(sum(s * n for s, n in pairs) / records, 2) if records else 100.0
    return result


def _overall(entities: Mapping[str, EntityScore], entity_weights: Mapping[str, float] | None) -> float | None:
    if not entities:
        return None
    if entity_weights:
        pairs = [(e.score, float(entity_weights.get(name, 0.0))) for name, e in entities.items()]
    else:
        pairs = [(e.score, float(e.records)) for e in entities.values()]
    total = sum(w for _, w in pairs)
    if total == 0:
        return round(float(np.mean([s for s, _ in pairs])), 2)
    return round(sum(s * w for s, w in pairs) / total, 2)
