"""The metrics stage of a Spark audit: the columns the metrics read, projected on Spark, and the
unchanged pandas metrics (`auditor.metrics.evaluate_metrics`) on the driver.

Why a projection and not partial aggregates combined on the driver. A metric's value alone could
be combined from per-partition sufficient statistics (a proportion's successes and n, a sum's
sums, a ratio's numerator and denominator), but the value is the smallest part of what the
metrics stage computes, and most of the rest needs the records themselves:

- the interval of a mean or a median is a bootstrap over the metric's sample, and the NPS interval
  and the "true values could move it" term read the sample too: the observations, not a summary;
- a median (lead response, time to resolution) and the Pareto share (the top 20% of accounts by
  revenue) have no exact combinable partial aggregate;
- sensitivity recomputes every metric without its failing records, the duplicate check with each
  cluster merged into its survivor (foreign keys remapped across tables), the bound once per probe
  with candidate values substituted into the failing records' cells, and every breakdown once per
  group with that group's own coverage: each is the metric again on a different record set, so
  partial aggregates would have to be computed per (metric x exclusion x cluster merge x probe x
  group), and the duplicate merge needs the records' foreign keys anyway;
- and every one of the about 40 formulas would need a second, Spark implementation that must stay
  identical to the pandas one, value for value and flag for flag.

Limiting the record-level part to the failing records does not work either: excluding, probing and
resampling all recompute the metric over the whole population, failing and passing records alike.

So the design is (b). What is distributed: reading and typing every table (per partition, the
pandas loader's code, as for the checks) and dropping every column no requested metric reads.
What the driver holds: per entity, only the columns some metric reads (its inputs, its scope's
fields, its breakdown columns, including the referenced column of an "account_id->segment"
breakdown, and the date columns its freshness looks at), the primary key and the row number
(record ids: the metrics' coverage joins findings to records by id), collected one partition at a
time; plus the findings and duplicate clusters, which the driver holds after the checks anyway.
Wide columns no metric reads (names, e-mails, phones, addresses, notes, descriptions) stay in
Spark. On the 1,000,000-contact audit (benchmarks/data/audit1m, `benchmarks/bench_spark_metrics.py`)
the driver holds 247 MB (contacts 5 of 18 columns, accounts 7 of 19, opportunities 12 of 17) instead
of 1.26 GB for the whole collected tables (567 MB typed plus their text copies, `Table.raw`); the
projection took 65 s in local[2]. The projection keeps the stage's values, intervals, flags and
reasons identical to the pandas audit's, since the same code runs on the same cells
(tests/engines/test_spark_audit_parity.py).

A table already on the driver (`check(..., collect_tables=True)`) is projected, not collected again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from auditor.engines.spark import collect
from auditor.engines.spark.collect import fetch, payloads, union_all
from auditor.engines.spark.load import POS, ROW, SparkTable
from auditor.metrics.evaluate import FRESHNESS_FIELDS, UNKNOWN_KINDS, telling_fields
from auditor.metrics.registry import Metric
from auditor.metrics.screening import kind_fields, order_fields, screened_amounts
from auditor.model import ENTITIES
from auditor.sources.table import Table, record_ids


def metric_columns(metrics: Iterable[Metric]) -> dict[str, set[str]]:
    """Per entity, every model field the metrics' evaluation reads (`auditor.metrics.evaluate`):
    inputs and scope fields (value, coverage, sensitivity, bound), the step dates the plausibility
    screen orders them by (`auditor.metrics.screening.order_fields`) and the enum columns it groups
    amounts by (`kind_fields`), breakdown columns of the primary
    entity and the referenced entity's column of an `fk->column` breakdown, the freshness dates of
    every input entity, and the primary key (record ids)."""
    wanted: dict[str, set[str]] = {}
    for m in metrics:
        for entity in m.inputs:
            if entity not in ENTITIES:  # `findings`: the audit's findings, already on the driver
                continue
            model = ENTITIES[entity]
            wanted.setdefault(entity, set()).update(
                m.reads(entity), (f for f in FRESHNESS_FIELDS if model.has_field(f))
            )
            # the plausibility screen compares a date the metric reads with the entity's other step dates
            if m.reads(entity) & order_fields(entity):
                wanted[entity].update(order_fields(entity))
            # ... and judges an amount among the records of its kind (its enum columns)
            if m.reads(entity) & screened_amounts(entity):
                wanted[entity].update(kind_fields(entity))
            # ... and a count draws the donors of a record whose scope is unknown by the column that tells it, as an
            # average, share or median fills it
            if (m.kind == "count" or m.kind in UNKNOWN_KINDS) and entity in m.scope:
                wanted[entity].update(telling_fields(entity))
            # merging duplicate clusters of an entity an input refers to moves the metric: that
            # entity's record ids must be there for the merge to find its clusters' records
            for f in m.inputs[entity]:
                referenced = model.field(f).references if model.has_field(f) else None
                if referenced:
                    wanted.setdefault(referenced, set())
        for spec in m.breakdowns.values():
            if "->" in spec:
                fk, column = spec.split("->")
                wanted.setdefault(m.primary, set()).add(fk)
                referenced = ENTITIES[m.primary].field(fk).references
                if referenced:
                    wanted.setdefault(referenced, set()).add(column)
            else:
                wanted.setdefault(m.primary, set()).add(spec)
    out = {}
    for entity, fields_ in wanted.items():
        model = ENTITIES[entity]
        # a column the model does not have is one a defined metric reads (an extra field): kept when the export has it
        out[entity] = set(fields_) | {model.primary_key}
    return out


def projection(template: pd.DataFrame, entity: str, wanted: set[str]) -> list[str]:
    """The columns of `entity`'s typed frame to keep: the wanted ones the export has. When it has none
    of them but has other model fields, one of those too, so that the metrics tell "the export has
    no accounts.status" (a column missing) from "the export has no accounts" (a table missing) as
    they do on the whole table."""
    model = ENTITIES[entity]
    keep = [c for c in template.columns if c in wanted]
    if not keep:
        keep = [c for c in template.columns if model.has_field(c)][:1]
    return keep


def project_frame(table: Table, columns: Sequence[str]) -> tuple[pd.DataFrame, pd.Series]:
    """(the projected typed frame, its record ids) of a table already on the driver."""
    frame = table.frame[list(columns)]
    return frame, record_ids(ENTITIES[table.entity], table.frame, table.row_numbers)


def collect_projection(table: SparkTable, columns: Sequence[str]) -> tuple[pd.DataFrame, pd.Series]:
    """(the typed frame with only `columns`, in export order, and its record ids), typed on the
    executors and brought to the driver in slices (`auditor.engines.spark.collect`)."""
    return _in_export_order(table, columns, [piece for _, piece, _ in fetch(_projected(table, columns, 0))])


def _projected(table: SparkTable, columns: Sequence[str], key: int):
    """The slices (`collect.SCHEMA`, keyed `key`) of `table`'s typed `columns`, its record ids and positions."""
    spec = table.spec
    keep = list(columns)
    entity = ENTITIES[table.entity]

    def project(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        whole = spec.typed_partition(batches)
        if whole is None:
            return
        part, typed = whole
        out = typed.frame[keep].copy()
        # the id is computed here, from the whole typed row, as the pandas engine computes it
        out["__rid"] = record_ids(entity, typed.frame, pd.Series(typed.row_numbers))
        out[POS] = part[POS].to_numpy(dtype=np.int64)
        yield from payloads(key, out, rows=size)

    size = collect.ROWS_PER_PAYLOAD
    return table.rows.mapInPandas(project, schema=collect.SCHEMA)


def _in_export_order(
    table: SparkTable, columns: Sequence[str], parts: list[pd.DataFrame]
) -> tuple[pd.DataFrame, pd.Series]:
    if not parts:
        return table.spec.template().frame[list(columns)].reset_index(drop=True), pd.Series([], dtype="object")
    frame = pd.concat(parts, ignore_index=True).sort_values(POS, kind="stable").reset_index(drop=True)
    ids = frame.pop("__rid")
    frame = frame.drop(columns=POS)
    return frame, ids


def metric_inputs(
    tables: Mapping[str, SparkTable],
    collected: Mapping[str, Table],
    metrics: Iterable[Metric],
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.Series]]:
    """(frames, record ids) per entity for `evaluate_metrics`: the columns `metrics` read, from the
    table already on the driver when there is one, else collected from Spark, every table's in one
    fetch (a Spark action per table cost about a second each on a small export, each planned and
    scheduled anew, however few its rows)."""
    wanted = metric_columns(metrics)
    frames: dict[str, pd.DataFrame] = {}
    ids: dict[str, pd.Series] = {}
    remote: dict[str, list[str]] = {}
    for name, table in tables.items():
        if name not in wanted:
            continue
        if name in collected:
            columns = projection(collected[name].frame, name, wanted[name])
            frames[name], ids[name] = project_frame(collected[name], columns)
        else:
            remote[name] = projection(table.spec.template().frame, name, wanted[name])
    if remote:
        projected = [_projected(tables[name], columns, key) for key, (name, columns) in enumerate(remote.items())]
        parts: list[list[pd.DataFrame]] = [[] for _ in remote]
        for key, piece, _ in fetch(union_all(projected)):
            parts[key].append(piece)
        for (name, columns), mine in zip(remote.items(), parts, strict=True):
            frames[name], ids[name] = _in_export_order(tables[name], columns, mine)
    # in the tables' order, as before
    order = [name for name in tables if name in frames]
    return {n: frames[n] for n in order}, {n: ids[n] for n in order}


def frame_bytes(frames: Mapping[str, pd.DataFrame]) -> int:
    """Memory of the frames (deep: string contents included)."""
    return int(sum(f.memory_usage(index=True, deep=True).sum() for f in frames.values()))


__all__ = ["ROW", "collect_projection", "frame_bytes", "metric_columns", "metric_inputs", "projection"]
