"""Duplicate detection on Spark: `auditor.dedupe.find_duplicates` with the work over records and
candidate pairs done in Spark, the pandas stage functions as the unit of work.

    features          per partition (mapInPandas): the typed rows -> `auditor.dedupe.match_frame` (birth
                      dates as the file wrote them) -> `auditor.dedupe.features.prepare`
    table statistics  what no partition sees alone, as Spark aggregates over all compared records, so that
                      nothing depends on how the rows are split or ordered:
                      - each record's place in `scoring.canonical_order` (a sort, numbered partition by
                        partition): the tie order of sorted neighbourhood, and the order the random pairs
                        are drawn in, of which only the drawn places are looked up;
                      - the term-frequency table (`compare.ValueCounts`, over `compare.profile_columns`
                        and `compare.counted_features`): one row per distinct record (with the country of
                        its first record), the values two or more of them hold, how many hold any value,
                        and the same within each country for names;
                      - the unreadable-date warning of each compared date column: values present, values
                        that are no date, the first of them in table order (`features.date_warning`);
                      - values present and distinct of the extra fields compared exactly, which
                        `scoring.blocking_keys` makes keys of when they look like identifiers
    blocking          key rows per partition (`auditor.dedupe.blocking.key_rows`, the key as text, with the
                      record's canonical place), then per blocking key (groupBy(bucket of key).applyInPandas)
                      `block_pairs`, sorted neighbourhood included; one aggregate gives the distinct pairs
                      and per pair the mask of the keys that produced it (bit_or)
    levels            each pair joined with the features of both records, the `Comparator` per batch with
                      the whole table's term frequencies (a broadcast): levels, cannot-link mask and the
                      term-frequency surprise per comparison (the float16 the pandas engine stores)
    EM                the counts per (comparison vector, key mask) (a Spark aggregate) fitted on the driver
                      by `auditor.dedupe.scoring.fit_model`, one training session per key; u from the very
                      record pairs the pandas engine draws
    weights           per pair on Spark (`scoring.pair_weights`: weight, probability, conflict, evidence);
                      only the pairs at or above the listing threshold are collected
    clusters, plan    on the driver, from the listed pairs and the typed rows and features of their
                      records only (`auditor.dedupe.clusters_and_plan`)

The result equals the pandas engine's on the same typed data (tests/engines/test_spark_dedupe_parity.py,
test_spark_dedupe_statistics.py), with two documented differences: `records` (owner, file and row of
each record, to place findings and tasks) holds the records of the clusters and links (both ends), and
every other record sharing one of their ids, not the whole table; and `member_rows` holds the typed rows
of the listed pairs' records, from which the reports name a cluster's members (the pandas engine's
reports read the whole tables). The blocking statistics of `Scored.stats` lack the per-pair key masks,
which stay in Spark; nothing after the model reads them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    ByteType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from auditor.dedupe import (
    DEDUPE_ENTITIES,
    KEEP_PAIRS_ABOVE,
    DedupeResult,
    DedupeSettings,
    NothingToCompare,
    Progress,
    _ids,
    _record_meta,
    clusters_and_plan,
    converted_contacts,
    link_fields,
    link_frame,
    links_of,
    match_frame,
    require_comparable,
    skipped_stats,
)
from auditor.dedupe import fellegi_sunter as fs
from auditor.dedupe import normalize as nz
from auditor.dedupe.blocking import (
    BlockingStats,
    block_pairs,
    head_pairs,
    key_rows,
    largest_block,
    possible_pairs,
    signatures,
    usable_keys,
)
from auditor.dedupe.compare import SEPARATOR, Comparator, ValueCounts, counted_features, profile_columns
from auditor.dedupe.features import UNPARSABLE_WARNING_SHARE, Prepared, date_warning, prepare, unreadable_dates
from auditor.dedupe.labels import Labelled, check_ids, decided_clusters, positions_at, read_labels_file
from auditor.dedupe.scoring import (
    ORDER_PARTS,
    Scored,
    _order,
    blocking_keys,
    blocking_keys_used,
    exact_fields,
    fit_model,
    pair_weights,
    random_pairs,
    u_start,
)
from auditor.engines.spark.load import POS, SparkTable, number_rows
from auditor.errors import ConfigError
from auditor.sources.table import Table

__all__ = ["find_duplicates_spark"]

KEY_SEPARATOR = "\x1f"
RANK = "__rank"
KEY_ROWS_PER_BUCKET = 200_000
"""About this many key rows go to one applyInPandas call (whole blocks: a bucket is a hash of the key)."""
MASK_KEYS = 63
"""Blocking keys one pair's key mask (a Spark long) can name; the EM sessions use the first 32."""


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
    dates: list[str]
    """the compared date columns whose unreadable values `prepare` warns about; in Spark w0..wD"""


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
    entities: Sequence[str] = DEDUPE_ENTITIES,
    progress: Progress | None = None,
    strict: bool = False,
) -> DedupeResult:
    """What `auditor.dedupe.find_duplicates` returns on the same tables, computed on Spark: duplicates
    within each entity, and leads that duplicate an existing contact; a table with no column to compare
    skipped with a warning in its stats, or (`strict`) a NothingToCompare error naming it."""
    settings = settings or DedupeSettings()
    todo = [e for e in entities if e in tables and tables[e].count]
    cross = "leads" in todo and "contacts" in tables and "leads" in entities
    total = len(todo) + int(cross)
    pairs, clusters, plans, stats = [], [], [], {}
    wanted: dict[str, set[str]] = {}
    features: dict[str, _Records] = {}
    member_rows: dict[str, Table] = {}
    for step, entity in enumerate(todo):
        if progress:
            progress(f"dedupe {entity} on spark", step, total)
        table = tables[entity]
        run = _run(entity, [_Side(table, 0, match_frame)], settings.fields.get(entity), settings)
        try:
            scored, positions, features[entity], labelled = _score(run)
        except NothingToCompare as error:
            if strict:
                raise
            stats[entity] = skipped_stats(table.count, str(error))
            continue
        typed = _typed_rows(table, positions)
        if labelled is None:
            p, c, m, s = clusters_and_plan(entity, match_frame(typed), _ids(typed), scored, settings, table.count)
        else:
            p, c, m, s = decided_clusters(
                entity, match_frame(typed), _ids(typed), scored, settings, table.count, labelled
            )
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
        try:
            links, stats["leads~contacts"] = _links(tables["leads"], tables["contacts"], settings)
        except NothingToCompare as error:
            if strict:
                raise
            stats["leads~contacts"] = skipped_stats(tables["leads"].count, str(error))
        if len(links):
            wanted.setdefault("leads", set()).update(links["record_id"])
            # the worklist places a link's task by the contact it points to
            wanted.setdefault("contacts", set()).update(links["other_id"])
    records = {
        entity: _record_meta_of(tables[entity], features[entity].frame, ids)
        for entity, ids in wanted.items()
        if entity in features
    }
    for done in features.values():
        done.unpersist()
    if progress:
        progress("dedupe done", total, total)
    return DedupeResult.combined(
        pairs, clusters, plans, links=links, stats=stats, records=records, settings=settings, member_rows=member_rows
    )


def _links(leads: SparkTable, contacts: SparkTable, settings: DedupeSettings) -> tuple[pd.DataFrame, dict]:
    """`auditor.dedupe._links` of leads against contacts: the best contact per lead at or above review."""
    new_template, old_template = match_frame(leads.spec.template()), match_frame(contacts.spec.template())
    sides = [
        _Side(leads, 0, lambda typed: link_frame(match_frame(typed), old_template)),
        _Side(contacts, leads.count, lambda typed: link_frame(new_template, match_frame(typed))),
    ]
    run = _run("contacts", sides, link_fields(settings, "leads", "contacts"), settings)
    if not run.shape.template.comparisons:
        raise NothingToCompare(
            "leads and contacts share no column that can be compared", file=leads.spec.source or None
        )
    scored, positions, features, _ = _score(run)
    features.unpersist()
    new = positions[positions < leads.count]
    typed_leads = _typed_rows(leads, new)
    ids = pd.concat(
        [_ids(typed_leads), _ids(_typed_rows(contacts, positions[positions >= leads.count] - leads.count))],
        ignore_index=True,
    )
    _, links, stats = links_of(
        "leads",
        "contacts",
        scored,
        ids,
        settings,
        exclude=converted_contacts(typed_leads),
        records=leads.count,
        existing=contacts.count,
    )
    return links, stats


# -- features ---------------------------------------------------------------------------------------


def _run(entity: str, sides: list[_Side], fields: Mapping[str, str] | None, settings: DedupeSettings) -> _Run:
    frame = sides[0].frame_of(sides[0].table.spec.template())
    template = prepare(
        frame,
        entity,
        fields,
        ids=pd.Series([], dtype=str),
        default_region=settings.default_region,
        cannot_link_fields=settings.cannot_link_fields,
    )
    names = list(template.features.columns)
    booleans = {c for c in names if template.features[c].dtype == bool}
    dates = [c.name for c in template.comparisons if c.kind == "date"]
    n = sum(side.table.count for side in sides)
    return _Run(sides, _Shape(entity, template, names, booleans, settings, dict(fields or {}), dates), n)


def _feature_schema(shape: _Shape):
    return StructType(
        [StructField(POS, LongType()), StructField("__id", StringType())]
        + [
            StructField(f"f{k}", BooleanType() if c in shape.booleans else StringType())
            for k, c in enumerate(shape.names)
        ]
        + [StructField(f"w{d}", StringType()) for d in range(len(shape.dates))]
    )


def _features(run: _Run):
    """One row per record: its position among the compared records, its id, its features, and per
    compared date column what the unreadable-date warning counts (`_date_texts`)."""
    shape = run.shape
    settings, entity, fields = shape.settings, shape.entity, shape.fields
    names, booleans, dates = shape.names, shape.booleans, shape.dates
    out = None
    for side in run.sides:
        spec, offset, frame_of = side.table.spec, side.offset, side.frame_of

        def features(
            batches: Iterator[pd.DataFrame], spec=spec, offset=offset, frame_of=frame_of
        ) -> Iterator[pd.DataFrame]:
            for batch in batches:
                typed = spec.typed(batch)
                ids = _ids(typed)
                frame = frame_of(typed)
                prepared = prepare(
                    frame,
                    entity,
                    fields,
                    ids=ids,
                    default_region=settings.default_region,
                    cannot_link_fields=settings.cannot_link_fields,
                )
                part = {POS: batch[POS].to_numpy(dtype=np.int64) + offset, "__id": ids.astype(object).to_numpy()}
                for k, name in enumerate(names):
                    values = prepared.features[name]
                    part[f"f{k}"] = values.to_numpy(dtype=bool) if name in booleans else _objects(values)
                for d, name in enumerate(dates):
                    part[f"w{d}"] = _date_texts(frame[name])
                yield pd.DataFrame(part)

        frame = side.table.rows.mapInPandas(features, schema=_feature_schema(shape))
        out = frame if out is None else out.unionByName(frame)
    return out


def _objects(values: pd.Series) -> np.ndarray:
    return values.astype(object).where(values.notna(), None).to_numpy()


def _date_texts(values: pd.Series) -> np.ndarray:
    """Per record, what `prepare`'s unreadable-date warning counts of a date column: None for a blank
    value, '' for a date, the (stripped) value itself for one that is no date."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return np.full(len(values), None, dtype=object)  # typed by the loader: prepare warns about none
    # dates repeat: each distinct text is judged once
    codes, distinct = pd.factorize(nz.strings(values).str.strip(), use_na_sentinel=True)
    text = nz.strings(pd.Series(np.asarray(distinct, dtype=object)))
    text = text.mask(text.str.len() == 0)
    judged = np.where(unreadable_dates(text), text.astype(object).to_numpy(), "")
    judged[text.isna().to_numpy()] = None
    return np.append(judged.astype(object), None)[codes]


def _date_warnings(run: _Run, features) -> list[str]:
    """The warnings `prepare` gives the whole table's compared date columns, from one aggregate: values
    present, values that are no date, and the first of those in table order as the example."""

    dates = run.shape.dates
    if not dates:
        return []
    aggregates = []
    for d in range(len(dates)):
        text = F.col(f"w{d}")
        bad = text != F.lit("")
        aggregates += [F.count(text), F.count(F.when(bad, 1)), F.min(F.when(bad, F.struct(F.col(POS), text)))]
    row = features.agg(*aggregates).collect()[0]
    warnings = []
    for d, name in enumerate(dates):
        present, unreadable, first = row[3 * d], row[3 * d + 1], row[3 * d + 2]
        if present and unreadable > UNPARSABLE_WARNING_SHARE * present:
            warnings.append(date_warning(name, int(unreadable), int(present), str(first[1])))
    return warnings


def _value_counts(run: _Run, features) -> ValueCounts:
    """`auditor.dedupe.compare.value_counts` of all compared records: every count counts rows of one
    record per distinct profile (a distinct combination of the profile features), which holds each of
    its values once and speaks for the profile's records with the country of the first of them."""

    shape = run.shape
    out = ValueCounts()
    counted = counted_features(shape.template)
    if not counted:
        return out
    col = {name: f"f{k}" for k, name in enumerate(shape.names)}
    profile = [col[c] for c in profile_columns(shape.template)]
    country = col.get("country")
    if any(by_country for _, by_country in counted.values()) and country not in profile:
        first = F.min(F.struct(F.col(POS), F.col(country))).alias("first")
        records = features.groupBy(*profile).agg(first).select(*profile, F.col(f"first.{country}").alias(country))
    else:
        records = features.select(*profile).distinct()
    records = records.persist()
    rows, totals, places = [], [], []
    for t, (columns, by_country) in enumerate(counted.values()):
        # a value in two columns of one record (a phone in phone and mobile) is held once
        value = F.explode(F.array_distinct(F.array(*(col[c] for c in columns)))).alias("v")
        holds = F.coalesce(*(F.col(col[c]) for c in columns)).isNotNull()
        rows.append(records.select(F.lit(2 * t).alias("t"), F.lit(None).cast("string").alias("c"), value))
        totals.append(F.count(F.when(holds, 1)))
        if by_country:
            placed = F.col(country).isNotNull()
            rows.append(records.where(placed).select(F.lit(2 * t + 1).alias("t"), F.col(country).alias("c"), value))
            places.append(records.where(placed & holds).select(F.lit(t).alias("t"), F.col(country).alias("c")))
    common = (
        _union(rows).where(F.col("v").isNotNull()).groupBy("t", "c", "v").count().where(F.col("count") >= 2).toPandas()
    )
    with_values = records.agg(*totals).collect()[0]
    per_country = _union(places).groupBy("t", "c").count().toPandas() if places else None
    records.unpersist()
    for t, (name, (_, by_country)) in enumerate(counted.items()):
        mine = common[common["t"] == 2 * t]
        out.counts[name] = _series(mine["v"], mine["count"])
        out.totals[name] = int(with_values[t])
        if by_country:
            mine = common[common["t"] == 2 * t + 1]
            out.by_country[name] = _series(mine["c"] + SEPARATOR + mine["v"], mine["count"])
            mine = per_country[per_country["t"] == t]
            out.country_totals[name] = _series(mine["c"], mine["count"])
    return out


def _union(frames: list):
    out = frames[0]
    for more in frames[1:]:
        out = out.unionByName(more)
    return out


def _series(index: pd.Series, counts: pd.Series) -> pd.Series:
    """Counts by value, as `compare._held` keeps them (object index of Python strings, int64)."""
    return pd.Series(counts.to_numpy(dtype=np.int64), index=pd.Index(index.to_numpy(dtype=object), dtype=object))


def _feature_frame(shape: _Shape, part: pd.DataFrame, suffix: str = "") -> pd.DataFrame:
    """The features of collected rows (f0..fN, optionally suffixed) as `prepare` made them."""
    cols = {}
    for k, name in enumerate(shape.names):
        values = part[f"f{k}{suffix}"]
        as_bool = name in shape.booleans
        cols[name] = values.to_numpy(dtype=bool) if as_bool else nz.strings(values.reset_index(drop=True))
    return pd.DataFrame(cols, index=pd.RangeIndex(len(part)))


def _prepared(shape: _Shape, features: pd.DataFrame, ids: pd.Series | None = None) -> Prepared:
    """A slice of the compared records as `prepare` describes the whole table; its warnings are the
    table's, and they go to the model."""
    ids = ids if ids is not None else pd.Series([""] * len(features), dtype=str)
    return dataclasses.replace(shape.template, features=features, ids=ids.astype(str), warnings=[])


# -- the canonical order -------------------------------------------------------------------------


@dataclass
class _Records:
    """The compared records in Spark, one row each: POS, __id, RANK, f0..fN, w0..wD, read from the
    cache their ranks were counted on (`unpersist` releases it)."""

    frame: object
    cache: object

    def unpersist(self) -> None:
        self.cache.unpersist()


def _records(run: _Run) -> _Records:
    """The features of every compared record with its place in `scoring.canonical_order` (RANK): by
    record id (a `row:` id as empty), then each feature's value (missing first), ties by position;
    sorted neighbourhood and the random pairs depend on it, so that they do not on the rows' order."""

    shape = run.shape
    # the sort reads its input twice (a sample for its ranges, then the shuffle): prepare runs once
    features = _features(run).persist()
    named = F.when(F.col("__id").startswith("row:"), F.lit("")).otherwise(F.col("__id"))
    by = [named.asc()] + [
        F.col(f"f{k}").asc_nulls_first() for k, c in enumerate(shape.names) if c not in shape.booleans
    ]
    frame, _, cache = number_rows(features.orderBy(*by, F.col(POS).asc()), 0, RANK)
    features.unpersist()
    return _Records(frame, cache)


def _drawn(run: _Run, records: _Records, ranks: np.ndarray) -> np.ndarray:
    """The positions of the records at `ranks` in the order `scoring.random_pairs` draws over when it
    is given `_source(run)` and no order: the canonical order, in a linkage each side's records
    together, the new ones first. A side's records keep their canonical order without the other
    side's, so `random_pairs` picks there the records the pandas engine picks in the canonical order."""

    if not len(ranks):
        return np.empty(0, dtype=np.int64)
    frame, column, cache = records.frame, RANK, None
    if run.linkage:
        column = "__draw"
        by_side = frame.select(POS, RANK).orderBy((F.col(POS) >= run.n_new).asc(), F.col(RANK).asc()).select(POS)
        frame, _, cache = number_rows(by_side, 0, column)
    wanted = np.unique(ranks)
    lookup = frame.sparkSession.createDataFrame(pd.DataFrame({column: wanted.astype(np.int64)}))
    found = frame.join(F.broadcast(lookup), column).select(column, POS).toPandas().sort_values(column)
    if cache is not None:
        cache.unpersist()
    return found[POS].to_numpy(dtype=np.int64)[np.searchsorted(wanted, ranks)]


# -- blocking --------------------------------------------------------------------------------------


def _blocking(run: _Run, features, spark, distinct: dict[str, tuple[int, int]] | None) -> tuple[object, BlockingStats]:
    """Candidate pairs (a < b, positions, and `keys`: bit k set when usable key k produced the pair) as
    a Spark DataFrame and the blocking statistics, as `auditor.dedupe.blocking.candidate_pairs`
    computes them."""

    shape = run.shape
    settings = shape.settings
    keys = blocking_keys(shape.template, settings, distinct)
    usable = [keys[k] for k in usable_keys(shape.names, keys)]
    if len(usable) > MASK_KEYS:
        raise ConfigError(f"blocking: the spark engine takes at most {MASK_KEYS} blocking keys ({len(usable)} given)")
    order_parts = [c for c in ORDER_PARTS if c in shape.names]
    key_schema = StructType(
        [
            StructField("k", IntegerType()),
            StructField("text", StringType()),
            StructField("pos", LongType()),
            StructField("variant", LongType()),
            StructField("rank", LongType()),
            StructField("sig", LongType()),
        ]
        + [StructField(f"o_{c}", StringType()) for c in order_parts]
    )

    def key_values(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            feats = _feature_frame(shape, batch)
            pos = batch[POS].to_numpy(dtype=np.int64)
            rank = batch[RANK].to_numpy(dtype=np.int64)
            signature = signatures(feats).view(np.int64)
            cache: dict = {}
            for k, key in enumerate(usable):
                rows = key_rows(feats, key, cache)
                if rows is None or not len(rows.records):
                    continue
                part = {
                    "k": np.full(len(rows.records), k, dtype=np.int32),
                    "text": _objects(rows.texts(KEY_SEPARATOR)),
                    "pos": pos[rows.records],
                    "variant": rows.variant,
                    "rank": rank[rows.records],
                    "sig": signature[rows.records],
                }
                for c in order_parts:
                    part[f"o_{c}"] = _objects(feats[c].iloc[rows.records].reset_index(drop=True))
                yield pd.DataFrame(part)

    max_block, window = settings.max_block_size, settings.window

    def blocks(group: pd.DataFrame) -> pd.DataFrame:
        # the tie order inside a block is the pandas one: variant by variant, records in order
        group = group.sort_values(["k", "variant", "pos"], kind="stable", ignore_index=True)
        order = _order(
            pd.DataFrame({c: nz.strings(group[f"o_{c}"]) for c in order_parts}, index=group.index),
            group["rank"].to_numpy(dtype=np.int64),
        )
        out = []
        for k, rows in group.groupby("k", sort=True):
            at = rows.index.to_numpy()
            codes = pd.factorize(rows["text"])[0].astype(np.int64)
            positions, signature = rows["pos"].to_numpy(dtype=np.int64), rows["sig"].to_numpy(dtype=np.int64)
            a, b, oversized = block_pairs(positions, codes, order[at], max_block, window, signature)
            out.append(pd.DataFrame({"k": np.int32(k), "a": a, "b": b, "own": True}))
            if oversized:
                ha, hb = head_pairs(positions, codes, order[at], max_block, window, signature)
                out.append(pd.DataFrame({"k": np.int32(k), "a": ha, "b": hb, "own": False}))
                # the count of oversized blocks rides along as a row with a = -1, the largest's size with a = -2
                largest = largest_block(positions, codes)
                sizes = np.array([oversized, largest], dtype=np.int64)
                out.append(
                    pd.DataFrame({"k": np.int32(k), "a": np.array([-1, -2], dtype=np.int64), "b": sizes, "own": True})
                )
        if not out:
            empty = np.empty(0, np.int64)
            return pd.DataFrame({"k": np.empty(0, np.int32), "a": empty, "b": empty, "own": np.empty(0, bool)})
        return pd.concat(out, ignore_index=True)

    rows = features.mapInPandas(key_values, schema=key_schema)
    buckets = max(
        int(spark.conf.get("spark.sql.shuffle.partitions")), run.n * max(len(usable), 1) // KEY_ROWS_PER_BUCKET
    )
    rows = rows.withColumn("bucket", F.pmod(F.xxhash64("k", "text"), F.lit(buckets)))
    keyed = rows.groupBy("bucket").applyInPandas(blocks, schema="k int, a long, b long, own boolean").persist()
    found = keyed.where("a >= 0")
    if run.linkage:
        found = found.where((F.col("a") < run.n_new) != (F.col("b") < run.n_new))
    # one shuffle gives the distinct pairs and which keys found each; a key's own pairs are its bit's, the
    # pairs with a block's common values (blocking.head_pairs) no key's
    bit = F.when(F.col("own"), F.expr("shiftleft(1L, k)")).otherwise(F.lit(0).cast("long"))
    pairs = found.groupBy("a", "b").agg(F.bit_or(bit).alias("keys")).persist()
    per_key = pairs.agg(F.count(F.lit(1)), *(F.sum(F.shiftright("keys", k).bitwiseAND(1)) for k in range(len(usable))))
    counts = per_key.collect()[0]
    oversized = {
        row["k"]: (int(row["blocks"]), int(row["largest"]))
        for row in keyed.where("a < 0")
        .groupBy("k")
        .agg(
            F.sum(F.when(F.col("a") == -1, F.col("b"))).alias("blocks"),
            F.max(F.when(F.col("a") == -2, F.col("b"))).alias("largest"),
        )
        .collect()
    }
    keyed.unpersist()
    stats = BlockingStats()
    for k, key in enumerate(usable):
        label = "+".join(key)
        stats.keys.append(label)
        stats.pairs_per_key[label] = int(counts[k + 1] or 0)
        if k in oversized:
            stats.oversized[label] = oversized[k]
    stats.oversized_blocks = sum(blocks for blocks, _ in oversized.values())
    stats.candidate_pairs = int(counts[0])
    stats.possible_pairs = possible_pairs(run.n, _source(run))
    return pairs, stats


def _distinct_values(run: _Run, features) -> dict[str, tuple[int, int]] | None:
    """Values present and distinct of each extra field compared exactly, over all compared records:
    `blocking_keys` makes a key of those that look like identifiers."""

    fields = exact_fields(run.shape.template, run.shape.settings)
    if not fields:
        return None
    col = {name: f"f{k}" for k, name in enumerate(run.shape.names)}
    row = features.agg(*(F.count(col[c]) for c in fields), *(F.count_distinct(col[c]) for c in fields)).collect()[0]
    return {c: (int(row[k]), int(row[len(fields) + k])) for k, c in enumerate(fields)}


def _source(run: _Run) -> np.ndarray | None:
    """0 for a new record, 1 for an existing one (linkage), in position order; None for one table."""
    if not run.linkage:
        return None
    return np.r_[np.zeros(run.n_new, dtype=np.int64), np.ones(run.n - run.n_new, dtype=np.int64)]


# -- comparison and scoring ------------------------------------------------------------------------


def _with_features(pairs, features, n_features: int):
    """`pairs` (a, b, ...) with the features of record a (suffix _a) and of record b (suffix _b)."""

    cols = [f"f{k}" for k in range(n_features)]
    side_a = features.select(F.col(POS).alias("a"), *(F.col(c).alias(f"{c}_a") for c in cols))
    side_b = features.select(F.col(POS).alias("b"), *(F.col(c).alias(f"{c}_b") for c in cols))
    return pairs.join(side_a, "a").join(side_b, "b")


def _levels(run: _Run, pairs, features, frequencies, keep: Sequence[str]):
    """Levels (l0..lK), cannot-link mask and term-frequency surprises (s0..sK: the float16 of
    `Comparator.levels`, carried as float32, which holds it exactly) of each pair, the `Comparator` on
    each batch of pairs with the whole table's term frequencies (`frequencies`: a broadcast)."""

    shape = run.shape
    n_comp = len(shape.template.comparisons)
    schema = StructType(
        [StructField(c, LongType()) for c in keep]
        + [StructField(f"l{k}", ByteType()) for k in range(n_comp)]
        + [StructField("cannot", IntegerType())]
        + [StructField(f"s{k}", FloatType()) for k in range(n_comp)]
        + [StructField("copy", BooleanType())]
    )

    def compare(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        counts = frequencies.value
        for batch in batches:
            m = len(batch)
            both = pd.concat(
                [_feature_frame(shape, batch, "_a"), _feature_frame(shape, batch, "_b")], ignore_index=True
            )
            comparator = Comparator(_prepared(shape, both), frequencies=counts)
            at = np.arange(m)
            levels, cannot, surprise = comparator.levels(at, at + m)
            out = {c: batch[c].to_numpy(dtype=np.int64) for c in keep}
            for k in range(n_comp):
                out[f"l{k}"] = levels[:, k]
            out["cannot"] = cannot.astype(np.int32)
            for k in range(n_comp):
                out[f"s{k}"] = surprise[:, k].astype(np.float32)
            out["copy"] = comparator.copies(at, at + m)
            yield pd.DataFrame(out)

    return _with_features(pairs, features, len(shape.names)).mapInPandas(compare, schema=schema)


def _patterns(rows: pd.DataFrame, n_comp: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Collected (l0..lK, keys, count) rows, one per distinct comparison vector and key mask: the
    distinct vectors in `fellegi_sunter.patterns` order with their counts, and the (pattern index,
    mask) rows with their counts in `fellegi_sunter.pattern_keys` order."""
    level_cols = [f"l{k}" for k in range(n_comp)]
    if not len(rows):
        return (
            np.empty((0, n_comp), dtype=np.int8),
            np.empty(0, dtype=np.int64),
            np.empty((0, 2), dtype=np.int64),
            np.empty(0, dtype=np.int64),
        )
    # sorted by the vector (the patterns' order), then the mask: the order of (pattern index, mask)
    rows = rows.sort_values([*level_cols, "keys"], ignore_index=True)
    pats, inverse, _ = fs.patterns(rows[level_cols].to_numpy(dtype=np.int8).reshape(len(rows), n_comp))
    counts = rows["count"].to_numpy(dtype=np.int64)
    totals = np.bincount(inverse, weights=counts, minlength=len(pats)).astype(np.int64)
    key_rows = np.stack([inverse.astype(np.int64), rows["keys"].to_numpy(dtype=np.int64)], axis=1)
    return pats, totals, key_rows, counts


def _without(
    pats: np.ndarray, key_rows: np.ndarray, key_counts: np.ndarray, rows: pd.DataFrame, level_cols: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The (pattern index, mask) rows and counts of `_patterns` less the collected (l0..lK, keys, count)
    `rows` (pairs among them), in the same order; rows left with no pair are dropped."""
    index = {tuple(p): k for k, p in enumerate(pats.tolist())}
    at = {(int(p), int(m)): k for k, (p, m) in enumerate(key_rows.tolist())}
    counts = key_counts.copy()
    for levels, mask, n in zip(
        rows[level_cols].to_numpy(dtype=np.int64).tolist(), rows["keys"].tolist(), rows["count"].tolist(), strict=True
    ):
        counts[at[(index[tuple(levels)], int(mask))]] -= int(n)
    keep = counts > 0
    return key_rows[keep], counts[keep]


def _pack(levels: np.ndarray, radix: Sequence[int]) -> np.ndarray:
    key = np.zeros(len(levels), dtype=np.int64)
    for k, r in enumerate(radix):
        key = key * r + levels[:, k].astype(np.int64) + 1
    return key


def _score(run: _Run) -> tuple[Scored, np.ndarray, _Records, Labelled | None]:
    """The pairs at or above the listing threshold, scored as `auditor.dedupe.scoring.score` scores them,
    as a `Scored` over only their records (numbered in position order); those records' positions; the
    (cached) features of all records, for a later look-up; and the labelled pairs (with the settings'
    `labels`), by position among those records."""

    shape = run.shape
    settings = shape.settings
    comparisons = shape.template.comparisons
    spark = run.sides[0].table.rows.sparkSession
    # the table a NothingToCompare names (in a linkage the new one), as the pandas engine names it
    named = run.sides[0].table.spec.template()
    if not exact_fields(shape.template, settings):
        # nothing require_comparable reads then depends on the rows: a skipped table costs no pass over them
        require_comparable(shape.template, settings, named)
    records = _records(run)
    features = records.frame
    distinct = _distinct_values(run, features)
    if distinct is not None:
        try:
            require_comparable(shape.template, settings, named, distinct)
        except Exception:
            records.unpersist()
            raise
    warnings = _date_warnings(run, features)
    frequencies = _value_counts(run, features)
    pairs, stats = _blocking(run, features, spark, distinct)
    n_comp = len(comparisons)
    n_levels = [len(c.labels) for c in comparisons]
    level_cols = [f"l{k}" for k in range(n_comp)]
    surprise_cols = [f"s{k}" for k in range(n_comp)]
    # u from the very pairs the pandas engine draws (same seed, same records); they and any labelled
    # pairs are compared in the same pass as the candidate pairs (kind 1 and 2, in list order)
    ranks_a, ranks_b = random_pairs(run.n, settings, _source(run))
    at = _drawn(run, records, np.r_[ranks_a, ranks_b])
    extra = [
        pd.DataFrame(
            {
                "kind": 1,
                "row": np.arange(len(ranks_a), dtype=np.int64),
                "a": at[: len(ranks_a)],
                "b": at[len(ranks_a) :],
                "keys": 0,
            }
        )
    ]
    lab_y = labelled = None
    if settings.labels and not run.linkage:
        label_file = read_labels_file(settings.labels)
        of_entity = label_file.for_entity(shape.entity)
        known = pd.concat([of_entity["id_a"], of_entity["id_b"]]).unique().tolist()
        found = features.where(F.col("__id").isin(known)).groupBy("__id").agg(F.min(POS).alias("pos")).toPandas()
        ids_found = found["__id"].astype(str)
        rows = check_ids(label_file, shape.entity, ids_found)
        li, lj, lab_y = positions_at(rows, pd.Series(found["pos"].to_numpy(dtype=np.int64), index=ids_found.to_numpy()))
        labelled = Labelled(li, lj, lab_y, len(rows))
        extra.append(pd.DataFrame({"kind": 2, "row": np.arange(len(li), dtype=np.int64), "a": li, "b": lj, "keys": 0}))
    extra_frame = pd.concat(extra, ignore_index=True).astype(np.int64)
    # the sessions read the first 32 keys' bits, as `blocking.PairUnion` records them
    compared = pairs.select(
        F.lit(0).cast("long").alias("kind"),
        F.lit(-1).cast("long").alias("row"),
        "a",
        "b",
        F.col("keys").bitwiseAND(0xFFFFFFFF).alias("keys"),
    )
    if len(extra_frame):
        compared = compared.unionByName(spark.createDataFrame(extra_frame))
    shared = spark.sparkContext.broadcast(frequencies)
    levels = _levels(run, compared, features, shared, keep=("kind", "row", "a", "b", "keys")).persist()
    counted = levels.where("kind < 2").groupBy("kind", *level_cols, "keys").count().toPandas()
    pats, counts, key_rows, key_counts = _patterns(counted[counted["kind"] == 0], n_comp)
    if labelled is not None and len(labelled.i):
        # a labelled pair enters the training sessions once, as its label says (as scoring.score does)
        both = pd.DataFrame({"kind": 0, "a": np.r_[labelled.i, labelled.j], "b": np.r_[labelled.j, labelled.i]})
        mine = spark.createDataFrame(both.astype(np.int64))
        lab_counted = (
            levels.join(F.broadcast(mine), ["kind", "a", "b"], "left_semi")
            .groupBy(*level_cols, "keys")
            .count()
            .toPandas()
        )
        key_rows, key_counts = _without(pats, key_rows, key_counts, lab_counted, level_cols)
    rand, rand_counts, _, _ = _patterns(counted[counted["kind"] == 1], n_comp)
    lab_levels = None
    if lab_y is not None and len(lab_y):
        got = levels.where("kind = 2").select("row", *level_cols).toPandas().sort_values("row")
        lab_levels = got[level_cols].to_numpy(dtype=np.int8).reshape(len(got), n_comp)
    # fit_model reads the table's size from its features: the template's columns, the table's length
    sized = dataclasses.replace(shape.template, features=pd.DataFrame(index=pd.RangeIndex(run.n)))
    model = fit_model(
        sized,
        pats,
        counts,
        u_start(rand, n_levels, rand_counts),
        settings,
        keys=blocking_keys_used(stats),
        key_rows=key_rows,
        key_counts=key_counts,
        pairs_per_key=[stats.pairs_per_key[k] for k in stats.keys],
        all_pairs=stats.possible_pairs,
        labelled=lab_levels,
        labels=lab_y if lab_levels is not None else None,
    )
    model.warnings[:0] = warnings
    radix = [int(pats[:, k].max()) + 2 if len(pats) else 1 for k in range(n_comp)]
    packed = _pack(pats, radix)
    floor = min(KEEP_PAIRS_ABOVE, settings.review)
    penalty = settings.penalty
    candidates = levels.where("kind = 0").drop("kind", "row", "keys")
    schema = StructType(
        [
            *candidates.schema.fields,
            StructField("pattern", IntegerType()),
            StructField("weight", DoubleType()),
            StructField("probability", DoubleType()),
            StructField("conflict", BooleanType()),
            StructField("evidence", ByteType()),
            StructField("weak", BooleanType()),
        ]
    )

    def weigh(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            lv = batch[level_cols].to_numpy(dtype=np.int8).reshape(len(batch), n_comp)
            surprise = _surprise(batch, surprise_cols)
            index = np.searchsorted(packed, _pack(lv, radix)).astype(np.int32)
            cannot = batch["cannot"].to_numpy().astype(np.uint16)
            copies = batch["copy"].to_numpy(dtype=bool)
            scores = pair_weights(model, comparisons, lv, cannot, surprise, penalty, copies)
            keep = scores.probability >= floor
            out = batch[keep].reset_index(drop=True)
            out["pattern"] = index[keep]
            for name in ("weight", "probability", "conflict", "evidence", "weak"):
                out[name] = getattr(scores, name)[keep]
            yield out

    listed = candidates.mapInPandas(weigh, schema=schema).toPandas().sort_values(["a", "b"], ignore_index=True)
    levels.unpersist()
    pairs.unpersist()
    shared.unpersist()
    a, b = listed["a"].to_numpy(dtype=np.int64), listed["b"].to_numpy(dtype=np.int64)
    # and the records of the labelled pairs, which are decided as labelled whether listed or not
    positions = np.unique(np.r_[a, b] if labelled is None else np.r_[a, b, labelled.i, labelled.j])
    mine = (
        _rows_at(features, positions, POS).sort_values(POS, ignore_index=True)
        if len(positions)
        else features.limit(0).toPandas()
    )
    prepared = _prepared(shape, _feature_frame(shape, mine), mine["__id"].astype(str))
    index = np.int32 if run.n < np.iinfo(np.int32).max else np.int64
    scored = Scored(
        prepared,
        Comparator(prepared, frequencies=frequencies),
        np.searchsorted(positions, a).astype(index),
        np.searchsorted(positions, b).astype(index),
        listed[level_cols].to_numpy(dtype=np.int8).reshape(len(listed), n_comp),
        listed["cannot"].to_numpy().astype(np.uint16),
        listed["weight"].to_numpy(dtype=np.float64),
        listed["probability"].to_numpy(dtype=np.float64),
        model,
        stats,
        listed["pattern"].to_numpy(dtype=np.int32),
        pats,
        listed["conflict"].to_numpy(dtype=bool),
        listed["evidence"].to_numpy(dtype=np.int8),
        listed["weak"].to_numpy(dtype=bool),
        _surprise(listed, surprise_cols),
    )
    if labelled is not None:
        labelled.i, labelled.j = np.searchsorted(positions, labelled.i), np.searchsorted(positions, labelled.j)
    return scored, positions, records, labelled


def _surprise(rows: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """The s0..sK columns back as the float16 matrix `Comparator.levels` made (a missing one is NaN)."""
    return rows[columns].to_numpy(dtype=np.float32).reshape(len(rows), len(columns)).astype(np.float16)


# -- collecting a few rows -------------------------------------------------------------------------


def _rows_at(frame, positions: np.ndarray, column: str) -> pd.DataFrame:
    """The rows of a Spark DataFrame whose `column` is one of `positions` (a broadcast semi-join)."""

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

    positions = np.empty(0, dtype=np.int64)
    if ids:
        wanted = table.rows.sparkSession.createDataFrame(pd.DataFrame({"__id": sorted(ids)}))
        found = features.select(POS, "__id").join(F.broadcast(wanted), "__id", "left_semi").toPandas()
        positions = np.sort(found[POS].to_numpy(dtype=np.int64))
    typed = _typed_rows(table, positions)
    return _record_meta(typed, _ids(typed))
