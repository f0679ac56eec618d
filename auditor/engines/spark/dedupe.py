"""Duplicate detection on Spark: `auditor.dedupe.find_duplicates` with the work over records and
candidate pairs done in Spark, the pandas stage functions as the unit of work.

    features          per partition (mapInPandas): the typed rows -> `auditor.dedupe.features.prepare`
    shared phones     a Spark aggregate (records per number), the only feature statistic over the whole table
    blocking          key rows per partition (`auditor.dedupe.blocking.key_rows`, the key as text), then
                      per blocking key (groupBy(bucket of key).applyInPandas) `block_pairs`, sorted
                      neighbourhood included; distinct pairs per key and over all keys
    levels            each pair joined with the features of both records, the `Comparator` per batch
    EM                the distinct comparison vectors and their counts (a Spark aggregate) fitted on the
                      driver by `auditor.dedupe.scoring.fit_model`; u from the same seeded random pairs
    weights           per pair on Spark; only the pairs at or above the listing threshold are collected
    clusters, plan    on the driver, from the listed pairs and the typed rows and features of their
                      records only (`auditor.dedupe.clusters_and_plan`)

The result equals the pandas engine's on the same typed data (tests/engines/test_spark_dedupe_parity.py),
with two documented differences: `records` (owner, file and row of each record, to place findings and
tasks) holds the records of the clusters and links (both ends), and every other record sharing one of
their ids, not the whole table; and `member_rows` holds the typed rows of the listed pairs' records,
from which the reports name a cluster's members (the pandas engine's reports read the whole tables).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditor.dedupe import (
    KEEP_PAIRS_ABOVE,
    DedupeResult,
    DedupeSettings,
    Progress,
    _ids,
    _record_meta,
    clusters_and_plan,
    converted_contacts,
    label_positions,
    link_fields,
    link_frame,
    links_of,
    read_labels,
)
from auditor.dedupe import normalize as nz
from auditor.dedupe.blocking import BlockingStats, block_pairs, key_rows, possible_pairs, usable_keys
from auditor.dedupe.compare import Comparator
from auditor.dedupe.features import Prepared, prepare
from auditor.dedupe.scoring import (
    ORDER_PARTS,
    Scored,
    _order,
    blocking_keys,
    fit_model,
    pair_weights,
    random_pairs,
    u_start,
)
from auditor.engines.spark.load import POS, SparkTable
from auditor.errors import InputError
from auditor.sources.table import Table

__all__ = ["find_duplicates_spark"]

KEY_SEPARATOR = "\x1f"
KEY_ROWS_PER_BUCKET = 200_000
"""About this many key rows go to one applyInPandas call (whole blocks: a bucket is a hash of the key)."""


@dataclass
class _Side:
    """One table as the compared records see it: its position offset among them and the frame
    `prepare` reads from a typed partition."""

    table: SparkTable
    offset: int
    frame_of: Callable[[Table], pd.DataFrame]


@dataclass
class _Shape:
    """What the tasks need to know of a comparison (small, no Spark objects: it is shipped with them)."""

    entity: str
    template: Prepared
    """`prepare` on the tables' typed templates (no rows): feature columns, comparisons, profile."""
    names: list[str]
    """feature column names; in Spark they are f0..fN"""
    booleans: set[str]
    settings: DedupeSettings
    fields: dict[str, str]


@dataclass
class _Run:
    """One scored comparison (an entity, or leads against contacts) as it lives in Spark."""

    sides: list[_Side]
    shape: _Shape
    n: int

    @property
    def n_new(self) -> int:
        return self.sides[1].offset if len(self.sides) > 1 else self.n

    @property
    def linkage(self) -> bool:
        return len(self.sides) > 1


def find_duplicates_spark(
    tables: Mapping[str, SparkTable],
    settings: DedupeSettings | None = None,
    *,
    entities: Sequence[str] = ("contacts", "accounts", "leads"),
    progress: Progress | None = None,
) -> DedupeResult:
    """What `auditor.dedupe.find_duplicates` returns on the same tables, computed on Spark: duplicates
    within each entity, and leads that duplicate an existing contact."""
    settings = settings or DedupeSettings()
    todo = [e for e in entities if e in tables and tables[e].count]
    cross = "leads" in todo and "contacts" in tables and "leads" in entities
    total = len(todo) + int(cross)
    pairs, clusters, plans, stats = [], [], [], {}
    wanted: dict[str, set[str]] = {}
    features: dict[str, object] = {}
    member_rows: dict[str, Table] = {}
    for step, entity in enumerate(todo):
        if progress:
            progress(f"dedupe {entity} on spark", step, total)
        table = tables[entity]
        run = _run(entity, [_Side(table, 0, lambda typed: typed.frame.reset_index(drop=True))],
                   settings.fields.get(entity), settings)
        scored, positions, features[entity] = _score(run)
        typed = _typed_rows(table, positions)
        p, c, m, s = clusters_and_plan(entity, typed.frame.reset_index(drop=True), _ids(typed), scored, settings,
                                       table.count)
        member_rows[entity] = typed
        pairs.append(p)
        clusters.append(c)
        plans.append(m)
        stats[entity] = s
        wanted[entity] = set(c["record_id"]) if len(c) else set()
    links = pd.DataFrame()
    if cross:
        if progress:
            progress("dedupe leads~contacts on spark", len(todo), total)
        links, stats["leads~contacts"] = _links(tables["leads"], tables["contacts"], settings)
        if len(links):
            wanted["leads"].update(links["record_id"])
            # the worklist places a link's task by the contact it points to
            wanted.setdefault("contacts", set()).update(links["other_id"])
    records = {entity: _record_meta_of(tables[entity], features[entity], ids)
               for entity, ids in wanted.items() if entity in todo}
    for frame in features.values():
        frame.unpersist()
    if progress:
        progress("dedupe done", total, total)
    return DedupeResult.combined(pairs, clusters, plans, links=links, stats=stats, records=records,
                                 settings=settings, member_rows=member_rows)


def _links(leads: SparkTable, contacts: SparkTable, settings: DedupeSettings) -> tuple[pd.DataFrame, dict]:
    """`auditor.dedupe._links` of leads against contacts: the best contact per lead at or above review."""
    new_template, old_template = leads.spec.template().frame, contacts.spec.template().frame
    sides = [
        _Side(leads, 0, lambda typed: link_frame(typed.frame.reset_index(drop=True), old_template)),
        _Side(contacts, leads.count, lambda typed: link_frame(new_template, typed.frame.reset_index(drop=True))),
    ]
    run = _run("contacts", sides, link_fields(settings, "leads", "contacts"), settings)
    if not run.shape.template.comparisons:
        raise InputError("leads and contacts share no column that can be compared")
    scored, positions, features = _score(run)
    features.unpersist()
    new = positions[positions < leads.count]
    typed_leads = _typed_rows(leads, new)
    ids = pd.concat([_ids(typed_leads), _ids(_typed_rows(contacts, positions[positions >= leads.count] - leads.count))],
                    ignore_index=True)
    _, links, stats = links_of("leads", "contacts", scored, ids, settings, exclude=converted_contacts(typed_leads),
                               records=leads.count, existing=contacts.count)
    return links, stats


# -- features ---------------------------------------------------------------------------------------


def _run(entity: str, sides: list[_Side], fields: Mapping[str, str] | None, settings: DedupeSettings) -> _Run:
    frame = sides[0].frame_of(sides[0].table.spec.template())
    template = prepare(frame, entity, fields, ids=pd.Series([], dtype=str), default_region=settings.default_region,
                       cannot_link_fields=settings.cannot_link_fields)
    names = list(template.features.columns)
    booleans = {c for c in names if template.features[c].dtype == bool}
    n = sum(side.table.count for side in sides)
    return _Run(sides, _Shape(entity, template, names, booleans, settings, dict(fields or {})), n)


def _feature_schema(shape: _Shape):
    from pyspark.sql.types import BooleanType, LongType, StringType, StructField, StructType

    return StructType(
        [StructField(POS, LongType()), StructField("__id", StringType())]
        + [StructField(f"f{k}", BooleanType() if c in shape.booleans else StringType())
           for k, c in enumerate(shape.names)]
    )


def _features(run: _Run):
    """One row per record: its position among the compared records, its id and its features."""
    shape = run.shape
    settings, entity, fields = shape.settings, shape.entity, shape.fields
    names, booleans = shape.names, shape.booleans
    out = None
    for side in run.sides:
        spec, offset, frame_of = side.table.spec, side.offset, side.frame_of

        def features(batches: Iterator[pd.DataFrame], spec=spec, offset=offset, frame_of=frame_of
                     ) -> Iterator[pd.DataFrame]:
            for batch in batches:
                typed = spec.typed(batch)
                ids = _ids(typed)
                prepared = prepare(frame_of(typed), entity, fields, ids=ids, default_region=settings.default_region,
                                   cannot_link_fields=settings.cannot_link_fields)
                part = {POS: batch[POS].to_numpy(dtype=np.int64) + offset, "__id": ids.astype(object).to_numpy()}
                for k, name in enumerate(names):
                    values = prepared.features[name]
                    part[f"f{k}"] = values.to_numpy(dtype=bool) if name in booleans else _objects(values)
                yield pd.DataFrame(part)

        frame = side.table.rows.mapInPandas(features, schema=_feature_schema(shape))
        out = frame if out is None else out.unionByName(frame)
    return out


def _objects(values: pd.Series) -> np.ndarray:
    return values.astype(object).where(values.notna(), None).to_numpy()


def _feature_frame(shape: _Shape, part: pd.DataFrame, suffix: str = "") -> pd.DataFrame:
    """The features of collected rows (f0..fN, optionally suffixed) as `prepare` made them."""
    cols = {}
    for k, name in enumerate(shape.names):
        values = part[f"f{k}{suffix}"]
        as_bool = name in shape.booleans
        cols[name] = values.to_numpy(dtype=bool) if as_bool else nz.strings(values.reset_index(drop=True))
    return pd.DataFrame(cols, index=pd.RangeIndex(len(part)))


def _prepared(shape: _Shape, features: pd.DataFrame, ids: pd.Series | None = None) -> Prepared:
    t = shape.template
    ids = ids if ids is not None else pd.Series([""] * len(features), dtype=str)
    return Prepared(t.entity, features, t.comparisons, t.profile, ids.astype(str), t.cannot_link_fields)


def _shared_phones(run: _Run, features) -> list[str]:
    """Numbers held by `shared_phone_limit` or more records (a number in two fields of one record counts
    once), over all compared records: the Comparator's switchboard test needs the whole table's count."""
    from pyspark.sql import functions as F

    phones = [f"f{k}" for k, c in enumerate(run.shape.names) if c.startswith("phone_")]
    if not phones:
        return []
    numbers = features.select(F.explode(F.array_distinct(F.array(*phones))).alias("phone")).where("phone is not null")
    counts = numbers.groupBy("phone").count().where(F.col("count") >= run.shape.settings.shared_phone_limit)
    return [r["phone"] for r in counts.collect()]


# -- blocking --------------------------------------------------------------------------------------


def _blocking(run: _Run, features, spark) -> tuple[object, BlockingStats]:
    """Candidate pairs (a < b, positions) as a Spark DataFrame and the blocking statistics, as
    `auditor.dedupe.blocking.candidate_pairs` computes them."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import IntegerType, LongType, StringType, StructField, StructType

    shape = run.shape
    settings = shape.settings
    keys = blocking_keys(run.shape.template, settings)
    usable = [(k, keys[k]) for k in usable_keys(shape.names, keys)]
    order_parts = [c for c in ORDER_PARTS if c in run.shape.names]
    key_schema = StructType(
        [StructField("k", IntegerType()), StructField("text", StringType()), StructField("pos", LongType()),
         StructField("variant", LongType())] + [StructField(f"o_{c}", StringType()) for c in order_parts]
    )

    def key_values(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            feats = _feature_frame(shape, batch)
            pos = batch[POS].to_numpy(dtype=np.int64)
            cache: dict = {}
            for k, key in usable:
                rows = key_rows(feats, key, cache)
                if rows is None or not len(rows.records):
                    continue
                part = {"k": np.full(len(rows.records), k, dtype=np.int32), "text": _objects(rows.texts(KEY_SEPARATOR)),
                        "pos": pos[rows.records], "variant": rows.variant}
                for c in order_parts:
                    part[f"o_{c}"] = _objects(feats[c].iloc[rows.records].reset_index(drop=True))
                yield pd.DataFrame(part)

    max_block, window = settings.max_block_size, settings.window

    def blocks(group: pd.DataFrame) -> pd.DataFrame:
        # the tie order inside a block is the pandas one: variant by variant, records in order
        group = group.sort_values(["k", "variant", "pos"], kind="stable", ignore_index=True)
        order = _order(pd.DataFrame({c: nz.strings(group[f"o_{c}"]) for c in order_parts}, index=group.index))
        out = []
        for k, rows in group.groupby("k", sort=True):
            at = rows.index.to_numpy()
            codes = pd.factorize(rows["text"])[0].astype(np.int64)
            a, b, oversized = block_pairs(rows["pos"].to_numpy(dtype=np.int64), codes, order[at], max_block, window)
            out.append(pd.DataFrame({"k": np.int32(k), "a": a, "b": b}))
            if oversized:
                # the count of oversized blocks rides along as a row with a = -1
                out.append(pd.DataFrame({"k": [np.int32(k)], "a": [np.int64(-1)], "b": [np.int64(oversized)]}))
        if not out:
            return pd.DataFrame({"k": np.empty(0, np.int32), "a": np.empty(0, np.int64), "b": np.empty(0, np.int64)})
        return pd.concat(out, ignore_index=True)

    rows = features.mapInPandas(key_values, schema=key_schema)
    buckets = max(int(spark.conf.get("spark.sql.shuffle.partitions")),
                  run.n * max(len(usable), 1) // KEY_ROWS_PER_BUCKET)
    rows = rows.withColumn("bucket", F.pmod(F.xxhash64("k", "text"), F.lit(buckets)))
    keyed = rows.groupBy("bucket").applyInPandas(blocks, schema="k int, a long, b long").persist()
    found = keyed.where("a >= 0")
    if run.linkage:
        found = found.where((F.col("a") < run.n_new) != (F.col("b") < run.n_new))
    per_key = found.distinct().persist()
    stats = BlockingStats()
    counts = {r["k"]: r["count"] for r in per_key.groupBy("k").count().collect()}
    oversized = keyed.where("a < 0").agg(F.sum("b")).collect()[0][0]
    for k, key in usable:
        label = "+".join(key)
        stats.keys.append(label)
        stats.pairs_per_key[label] = int(counts.get(k, 0))
    stats.oversized_blocks = int(oversized or 0)
    pairs = per_key.select("a", "b").distinct().persist()
    stats.candidate_pairs = pairs.count()
    per_key.unpersist()
    keyed.unpersist()
    stats.possible_pairs = possible_pairs(run.n, _source(run))
    return pairs, stats


def _source(run: _Run) -> np.ndarray | None:
    """0 for a new record, 1 for an existing one (linkage), in position order; None for one table."""
    if not run.linkage:
        return None
    return np.r_[np.zeros(run.n_new, dtype=np.int64), np.ones(run.n - run.n_new, dtype=np.int64)]


# -- comparison and scoring ------------------------------------------------------------------------


def _with_features(pairs, features):
    """`pairs` (a, b, ...) with the features of record a (suffix _a) and of record b (suffix _b)."""
    from pyspark.sql import functions as F

    cols = [c for c in features.columns if c.startswith("f")]
    side_a = features.select(F.col(POS).alias("a"), *(F.col(c).alias(f"{c}_a") for c in cols))
    side_b = features.select(F.col(POS).alias("b"), *(F.col(c).alias(f"{c}_b") for c in cols))
    return pairs.join(side_a, "a").join(side_b, "b")


def _levels(run: _Run, pairs, features, shared: list[str], keep: Sequence[str] = ("a", "b")):
    """Levels (l0..lK) and cannot-link mask of each pair, the `Comparator` on each batch of pairs."""
    from pyspark.sql.types import ByteType, IntegerType, LongType, StructField, StructType

    shape = run.shape
    n_comp = len(shape.template.comparisons)
    schema = StructType([StructField(c, LongType()) for c in keep]
                        + [StructField(f"l{k}", ByteType()) for k in range(n_comp)]
                        + [StructField("cannot", IntegerType())])
    limit = run.shape.settings.shared_phone_limit

    def compare(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            m = len(batch)
            both = pd.concat([_feature_frame(shape, batch, "_a"), _feature_frame(shape, batch, "_b")],
                             ignore_index=True)
            comparator = Comparator(_prepared(shape, both), shared_phone_limit=limit, shared_phones=shared)
            at = np.arange(m)
            levels, cannot = comparator.levels(at, at + m)
            out = {c: batch[c].to_numpy(dtype=np.int64) for c in keep}
            for k in range(n_comp):
                out[f"l{k}"] = levels[:, k]
            out["cannot"] = cannot.astype(np.int32)
            yield pd.DataFrame(out)

    return _with_features(pairs, features).mapInPandas(compare, schema=schema)


def _patterns(rows: pd.DataFrame, n_comp: int) -> tuple[np.ndarray, np.ndarray]:
    """Collected (l0..lK, count) rows as the distinct comparison vectors in `fellegi_sunter.patterns`
    order (lexicographic) and their counts."""
    if not len(rows):
        return np.empty((0, n_comp), dtype=np.int8), np.empty(0, dtype=np.int64)
    pats = rows[[f"l{k}" for k in range(n_comp)]].to_numpy(dtype=np.int8).reshape(len(rows), n_comp)
    order = np.lexsort(pats.T[::-1]) if n_comp else np.arange(len(rows))
    return pats[order], rows["count"].to_numpy(dtype=np.int64)[order]


def _pack(levels: np.ndarray, radix: Sequence[int]) -> np.ndarray:
    key = np.zeros(len(levels), dtype=np.int64)
    for k, r in enumerate(radix):
        key = key * r + levels[:, k].astype(np.int64) + 1
    return key


def _score(run: _Run) -> tuple[Scored, np.ndarray, object]:
    """The pairs at or above the listing threshold, scored as `auditor.dedupe.scoring.score` scores them,
    as a `Scored` over only their records (numbered in position order); those records' positions; and
    the (persisted) features of all records, for a later look-up."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, IntegerType, StructField, StructType

    shape = run.shape
    settings = shape.settings
    spark = run.sides[0].table.rows.sparkSession
    features = _features(run).persist()
    shared = _shared_phones(run, features)
    pairs, stats = _blocking(run, features, spark)
    n_comp = len(shape.template.comparisons)
    n_levels = [len(c.labels) for c in shape.template.comparisons]
    level_cols = [f"l{k}" for k in range(n_comp)]
    # u starts from the very pairs the pandas engine draws (same seed, same positions); they and any
    # labelled pairs are compared in the same pass as the candidate pairs (kind 1 and 2, in list order)
    ra, rb = random_pairs(run.n, settings, _source(run))
    extra = [pd.DataFrame({"kind": 1, "row": np.arange(len(ra), dtype=np.int64), "a": ra, "b": rb})]
    label_frame = read_labels(settings) if not run.linkage else None
    lab_y = None
    if label_frame is not None:
        known = pd.concat([label_frame["id_a"], label_frame["id_b"]]).dropna().unique().tolist()
        found = features.where(F.col("__id").isin(known)).groupBy("__id").agg(F.min(POS).alias("pos")).toPandas()
        li, lj, lab_y = label_positions(label_frame, pd.Series(found["pos"].to_numpy(), index=found["__id"].to_numpy()))
        extra.append(pd.DataFrame({"kind": 2, "row": np.arange(len(li), dtype=np.int64), "a": li, "b": lj}))
    extra_frame = pd.concat(extra, ignore_index=True).astype(np.int64)
    compared = pairs.select(F.lit(0).cast("long").alias("kind"), F.lit(-1).cast("long").alias("row"), "a", "b")
    if len(extra_frame):
        compared = compared.unionByName(spark.createDataFrame(extra_frame))
    levels = _levels(run, compared, features, shared, keep=("kind", "row", "a", "b")).persist()
    counted = levels.where("kind < 2").groupBy("kind", *level_cols).count().toPandas()
    pats, counts = _patterns(counted[counted["kind"] == 0], n_comp)
    rand, rand_counts = _patterns(counted[counted["kind"] == 1], n_comp)
    lab_levels = None
    if lab_y is not None and len(lab_y):
        got = levels.where("kind = 2").select("row", *level_cols).toPandas().sort_values("row")
        lab_levels = got[level_cols].to_numpy(dtype=np.int8).reshape(len(got), n_comp)
    model = fit_model(shape.template, pats, counts, u_start(rand, n_levels, rand_counts), settings,
                      labelled=lab_levels, labels=lab_y if lab_levels is not None else None)
    radix = [int(pats[:, k].max()) + 2 if len(pats) else 1 for k in range(n_comp)]
    keys = _pack(pats, radix)
    floor = min(KEEP_PAIRS_ABOVE, settings.review)
    penalty = settings.penalty
    candidates = levels.where("kind = 0").drop("kind", "row")
    schema = StructType([*candidates.schema.fields, StructField("pattern", IntegerType()),
                         StructField("weight", DoubleType()), StructField("probability", DoubleType())])

    def weigh(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            lv = batch[level_cols].to_numpy(dtype=np.int8).reshape(len(batch), n_comp)
            index = np.searchsorted(keys, _pack(lv, radix)).astype(np.int32)
            weight, probability = pair_weights(model, pats, index, batch["cannot"].to_numpy(), penalty)
            keep = probability >= floor
            out = batch[keep].reset_index(drop=True)
            out["pattern"], out["weight"], out["probability"] = index[keep], weight[keep], probability[keep]
            yield out

    listed = candidates.mapInPandas(weigh, schema=schema).toPandas().sort_values(["a", "b"], ignore_index=True)
    levels.unpersist()
    pairs.unpersist()
    a, b = listed["a"].to_numpy(dtype=np.int64), listed["b"].to_numpy(dtype=np.int64)
    positions = np.unique(np.r_[a, b])
    mine = _rows_at(features, positions, POS).sort_values(POS, ignore_index=True) if len(positions) \
        else features.limit(0).toPandas()
    prepared = _prepared(shape, _feature_frame(shape, mine), mine["__id"].astype(str))
    comparator = Comparator(prepared, shared_phone_limit=settings.shared_phone_limit, shared_phones=shared)
    index = np.int32 if run.n < np.iinfo(np.int32).max else np.int64
    scored = Scored(
        prepared, comparator,
        np.searchsorted(positions, a).astype(index), np.searchsorted(positions, b).astype(index),
        listed[level_cols].to_numpy(dtype=np.int8).reshape(len(listed), n_comp),
        listed["cannot"].to_numpy().astype(np.uint16),
        listed["weight"].to_numpy(dtype=np.float64), listed["probability"].to_numpy(dtype=np.float64),
        model, stats, listed["pattern"].to_numpy(dtype=np.int32), pats,
    )
    return scored, positions, features


# -- collecting a few rows -------------------------------------------------------------------------


def _rows_at(frame, positions: np.ndarray, column: str) -> pd.DataFrame:
    """The rows of a Spark DataFrame whose `column` is one of `positions` (a broadcast semi-join)."""
    from pyspark.sql import functions as F

    spark = frame.sparkSession
    wanted = spark.createDataFrame(pd.DataFrame({column: np.asarray(positions, dtype=np.int64)}))
    return frame.join(F.broadcast(wanted), column, "left_semi").toPandas()


def _typed_rows(table: SparkTable, positions: np.ndarray) -> Table:
    """The typed Table of the records at `positions` (export order), as `collect_table` types a whole table."""
    rows = _rows_at(table.rows, positions, POS) if len(positions) else table.rows.limit(0).toPandas()
    return table.spec.typed(rows.sort_values(POS, kind="stable", ignore_index=True))


def _record_meta_of(table: SparkTable, features, ids: set[str]) -> pd.DataFrame:
    """owner, file and row of every record whose id is one of `ids` (a repeated id: all its records,
    in export order, so that the first one speaks for it as in the pandas engine). `features`: the
    table's features (POS, __id), positions from 0."""
    from pyspark.sql import functions as F

    positions = np.empty(0, dtype=np.int64)
    if ids:
        wanted = table.rows.sparkSession.createDataFrame(pd.DataFrame({"__id": sorted(ids)}))
        found = features.select(POS, "__id").join(F.broadcast(wanted), "__id", "left_semi").toPandas()
        positions = np.sort(found[POS].to_numpy(dtype=np.int64))
    typed = _typed_rows(table, positions)
    return _record_meta(typed, _ids(typed))
