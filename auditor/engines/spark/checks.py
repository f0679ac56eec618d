"""The rule packs on Spark: the pandas check engine runs unchanged on each partition.

A rule's verdict on a row depends on that row alone, except for what its kind declares, each given to the
partition by a keyed Spark operation so that the pandas code sees what it would see on the whole table:

- `RuleKind.partition` (`unique`, `outlier`, ...): the rows sharing a value or group are judged together,
  so the table is hash-partitioned by that key (one shuffle per rule and field);
- `RuleKind.lookups` (`foreign_key`, `staleness`): rows of another table, brought by a left join. An
  existence lookup brings each row the matching id, and the partition's copy of the other table holds
  exactly those ids; a latest-time lookup reduces the other table to (key, latest time) first.

No kind is named here: a new kind with either need is distributed by declaring it.

Every partition returns its findings and rule outcomes (pickled slices, `auditor.engines.spark.collect`);
the driver combines them: counts added, findings ordered as the pandas engine orders them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from pyspark import StorageLevel
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from auditor.checks.engine import CheckResult, RuleOutcome, run_checks
from auditor.checks.kinds import get_kind
from auditor.checks.rule import Rule
from auditor.dtypes import as_text
from auditor.engines.spark import collect
from auditor.engines.spark.collect import fetch, payloads, union_all
from auditor.engines.spark.load import POS, SparkTable
from auditor.errors import ConfigError
from auditor.model import ENTITIES
from auditor.sources.table import Table

_SELF = "__self"


@dataclass
class _Context:
    """A stand-in for another entity's table inside a partition: only `frame` is read by the checks."""

    entity: str
    frame: pd.DataFrame
    source: str = ""

    @property
    def raw(self) -> pd.DataFrame:
        return self.frame

    @property
    def row_numbers(self) -> pd.Series:
        return pd.Series(np.arange(len(self.frame)), index=self.frame.index)


@dataclass(frozen=True)
class _Lookup:
    """A column of joined values that becomes part of a context table in the partition."""

    column: str
    """The joined column in the partition's rows."""
    entity: str
    """The context table it feeds."""
    name: str
    """Its column name in that table."""
    time_column: str | None = None
    """For a latest-time lookup (staleness): the joined latest time (encoded) ..."""
    time_name: str = ""
    """... and its column name in the context table."""


@dataclass(frozen=True)
class _Pass:
    entity: str
    rules: tuple[Rule, ...]
    lookups: tuple[_Lookup, ...]
    contexts: tuple[str, ...]
    """Other entities present in the export, each given to the partition (possibly with no rows)."""


def run_checks_spark(
    tables: Mapping[str, SparkTable],
    rules: Sequence[Rule],
    *,
    as_of: pd.Timestamp,
    default_region: str = "US",
    progress: Callable[[str, int, int], None] | None = None,
    required: Mapping[str, Sequence[str]] | None = None,
) -> CheckResult:
    """What `auditor.checks.engine.run_checks` returns for the same tables, computed on Spark, except the
    rules whose kind judges a value against its whole column (`RuleKind.whole_column`: sentinels, odd
    formats, copies...): a partition does not see the column, so those run on the driver, on each table
    collected once (see `_with_whole_column_rules`)."""
    whole = {r.id for r in rules if get_kind(r.kind).whole_column}
    if whole:
        result = run_checks_spark(
            tables,
            [r for r in rules if r.id not in whole],
            as_of=as_of,
            default_region=default_region,
            progress=progress,
            required=required,
        )
        return _with_whole_column_rules(result, tables, rules, whole, as_of, default_region, required)
    templates = {name: t.spec.template() for name, t in tables.items()}
    # The rules on the empty tables: structural issues, absent fields, skip reasons and the outcome order of
    # the pandas engine.
    base = run_checks(templates, rules, as_of=as_of, default_region=default_region, required=required)
    by_entity: dict[str, list[Rule]] = {}
    for rule in rules:
        by_entity.setdefault(rule.entity, []).append(rule)
    runnable = {o.rule_id for o in base.outcomes if o.status != "not_evaluated"}
    todo = {
        entity: [r for r in entity_rules if r.id in runnable]
        for entity, entity_rules in by_entity.items()
        if entity in tables and tables[entity].count > 0
    }
    keys = _KeyPlan(tables, templates)
    row_passes: list[tuple[str, tuple[Rule, ...], list[_Join]]] = []
    keyed_passes: list[tuple[str, Rule, str]] = []
    for entity, mine in todo.items():
        row_rules = tuple(r for r in mine if not _keyed(r))
        if row_rules:
            row_passes.append((entity, row_rules, keys.lookups(entity, row_rules)))
        for rule in (r for r in mine if _keyed(r)):
            for field in (f for f in rule.fields if f in templates[entity].frame.columns):
                one = replace(rule, fields=(field,))
                keyed_passes.append((entity, one, keys.grouping(entity, one, field)))
    if not row_passes and not keyed_passes:
        return base
    keyed = keys.materialise(progress)
    try:
        frames, passes = [], []
        for entity, row_rules, joins in row_passes:
            rows, lookups = _joined(keyed[entity], joins, keyed, tables)
            passes.append(_Pass(entity, row_rules, lookups, tuple(e for e in tables if e != entity)))
            frames.append(_check_pass(rows, tables[entity], passes[-1], len(passes) - 1, as_of, default_region))
        for entity, rule, column in keyed_passes:
            passes.append(_Pass(entity, (rule,), (), tuple(e for e in tables if e != entity)))
            frames.append(
                _check_pass(
                    _grouped(keyed[entity], column), tables[entity], passes[-1], len(passes) - 1, as_of, default_region
                )
            )
        if progress:
            progress("checking on spark", 0, 1)
        parts = fetch(union_all(frames), release=keyed.values())
    finally:
        for rows in keyed.values():
            rows.unpersist()
    return _combine(base, rules, passes, parts)


def _with_whole_column_rules(
    result: CheckResult,
    tables: Mapping[str, SparkTable],
    rules: Sequence[Rule],
    whole: set[str],
    as_of: pd.Timestamp,
    default_region: str,
    required: Mapping[str, Sequence[str]] | None,
) -> CheckResult:
    """Adds the rules that judge a value against its whole column, run by the pandas engine on the driver
    over each table that has them, collected once. The table's other row rules run beside them there, so
    that a wildcard rule skips the cells they report, as in the pandas engine; only the whole-column
    rules' findings and outcomes are kept (rules that look at other tables are not evaluated there, but for
    the table a `reference` rule's `in:` names, collected for it)."""
    from auditor.engines.spark import collect_table  # the package imports this module

    found = [result.findings.assign(**{POS: _positions(result.findings, tables)})]
    outcomes = {o.rule_id: o for o in result.outcomes}
    for entity in dict.fromkeys(r.entity for r in rules if r.id in whole):
        mine = [r for r in rules if r.entity == entity]
        if entity not in tables:
            outcomes |= {o.rule_id: o for o in run_checks({}, [r for r in mine if r.id in whole], as_of=as_of).outcomes}
            continue
        table = collect_table(tables[entity]) if tables[entity].count else tables[entity].spec.template()
        # a `reference` rule with `in: entity.field` reads that other table whole: it is collected too
        read = {str(r.params["in"]).partition(".")[0] for r in mine if r.id in whole and r.params.get("in")}
        others = {name: collect_table(tables[name]) for name in read if name in tables and name != entity}
        driver = run_checks(
            {entity: table, **others}, mine, as_of=as_of, default_region=default_region, required=required
        )
        outcomes |= {o.rule_id: o for o in driver.outcomes if o.rule_id in whole}
        kept = driver.findings[driver.findings["rule_id"].isin(whole)]
        if len(kept):  # an empty frame of object columns would change the dtypes of the concatenation
            found.append(kept.assign(**{POS: _positions(kept, tables)}))
    findings = pd.concat(found, ignore_index=True) if len(found) > 1 else found[0]
    templates = {name: t.spec.template() for name, t in tables.items()}
    return CheckResult(
        findings=_in_pandas_order(findings, rules, templates),
        # the pandas engine's order: rules grouped by entity (in order of each entity's first rule)
        outcomes=[outcomes[r.id] for e in dict.fromkeys(r.entity for r in rules) for r in rules if r.entity == e],
        structural=result.structural,
        absent=result.absent,
    )


def _positions(findings: pd.DataFrame, tables: Mapping[str, SparkTable]) -> np.ndarray:
    """Each finding's place in its table's export order: its file's place among the table's files, then its row."""
    order = {(name, f.source): n for name, t in tables.items() for n, f in enumerate(t.files)}
    files = [order.get((e, f), 0) for e, f in zip(findings["entity"], findings["file"], strict=True)]
    return np.asarray(files, dtype=np.int64) * (1 << 40) + findings["row"].to_numpy(dtype=np.int64)


# -- keys: every key a table's passes and joins need, computed in one typed pass ------------------------------


@dataclass(frozen=True)
class _Join:
    """A left join that brings each row a value looked up in another table (see `_Lookup`)."""

    key: str
    """The key column of this table's rows."""
    target: str
    """The table looked in."""
    target_key: str
    """Its key column."""
    value: str | None
    """Its value column (None: the key itself, to test for existence)."""
    lookup: _Lookup
    aggregate_max: bool = False
    """Reduce the target to the latest value per key first (staleness)."""


def _keyed(rule: Rule) -> bool:
    """A rule whose verdicts need the rows that share a key (`RuleKind.partition`): its own pass."""
    return get_kind(rule.kind).partition is not None


class _KeyPlan:
    """Collects, table by table, the key columns that the check passes and the joins between tables read,
    so that each table is read and typed once to compute them all, then cached for every pass."""

    def __init__(self, tables: Mapping[str, SparkTable], templates: Mapping[str, Table]) -> None:
        self.tables = tables
        self.templates = templates
        self.columns: dict[str, dict[str, Callable[[Table], pd.Series]]] = {}

    def _key(self, entity: str, name: str, key: Callable[[Table], pd.Series]) -> str:
        self.columns.setdefault(entity, {}).setdefault(name, key)
        return name

    def grouping(self, entity: str, rule: Rule, field: str) -> str:
        """The column a keyed pass hash-partitions on: the key the kind says the rows of one verdict share
        (`RuleKind.partition`)."""
        partition = get_kind(rule.kind).partition
        assert partition is not None, rule.kind
        name, key = partition(rule.params, field)
        return self._key(entity, f"__{name}", lambda typed: key(typed.frame))

    def lookups(self, entity: str, rules: Sequence[Rule]) -> list[_Join]:
        """One join per other table a rule's verdicts read (`RuleKind.lookups`): the matching ids, or the
        latest time per key."""
        model = ENTITIES[entity]
        template = self.templates[entity]
        joins: list[_Join] = []
        for rule in rules:
            lookups = get_kind(rule.kind).lookups
            for lookup in lookups(rule.params, rule.fields, model) if lookups else ():
                target = self.templates.get(lookup.target)
                if lookup.key not in template.frame.columns or target is None or lookup.target not in self.tables:
                    continue
                if lookup.target == entity:
                    raise ConfigError(f"rule {rule.id}: the spark engine cannot check a table's references to itself")
                needed = (lookup.target_key,) if lookup.latest is None else (lookup.target_key, lookup.latest)
                if any(c not in target.frame.columns for c in needed):
                    continue
                n = len(joins)
                own = self._key(entity, f"__v_{lookup.key}", _column(lookup.key))
                theirs = self._key(lookup.target, f"__v_{lookup.target_key}", _column(lookup.target_key))
                if lookup.latest is None:
                    found = _Lookup(f"__fkm{n}", lookup.target, lookup.target_key)
                    joins.append(_Join(own, lookup.target, theirs, None, found))
                    continue
                times = self._key(lookup.target, f"__t_{lookup.latest}", _encoded_times(lookup.latest))
                latest = _Lookup(own, lookup.target, lookup.target_key, time_column=f"__st{n}", time_name=lookup.latest)
                joins.append(_Join(own, lookup.target, theirs, times, latest, aggregate_max=True))
        return joins

    def materialise(self, progress: Callable[[str, int, int], None] | None = None) -> dict[str, object]:
        """Each table's rows with its key columns, cached (memory, spilling to disk) for all its passes."""

        keyed: dict[str, object] = {}
        names = list(self.tables)
        for step, entity in enumerate(names):
            table = self.tables[entity]
            if progress:
                progress(f"typing {entity} on spark", step, len(names))
            columns = self.columns.get(entity)
            # a table without keys is read by one pass only: nothing to cache
            keyed[entity] = (
                _add_columns(table.rows, table, columns).persist(StorageLevel.MEMORY_AND_DISK)
                if columns
                else table.rows
            )
        # one action fills every table's cache (a count of their union: each cached frame is computed whole),
        # so the passes below read the caches instead of each re-reading the files; an action per table cost
        # about a second each on a small export, each planned and scheduled anew
        cached = [keyed[entity].select(F.lit(1).alias("one")) for entity in names if entity in self.columns]
        if cached:
            union_all(cached).count()
        return keyed


BROADCAST_ROWS = 2_000_000
"""Look-up tables up to this many rows (ids of accounts, latest activity per record) are sent whole to
every task instead of shuffling the checked table's full rows to meet them."""


def _joined(rows, joins: Sequence[_Join], keyed: Mapping[str, object], tables: Mapping[str, SparkTable]):
    for join in joins:
        found = keyed[join.target].where(F.col(join.target_key).isNotNull())
        if join.aggregate_max:
            found = found.where(F.col(join.value).isNotNull()).groupBy(join.target_key).agg(F.max(join.value))
        else:
            found = found.select(join.target_key).distinct()
        value = join.lookup.time_column or join.lookup.column
        right = found.toDF("__k", value) if join.aggregate_max else found.toDF("__k").withColumn(value, F.col("__k"))
        if tables[join.target].count <= BROADCAST_ROWS:
            right = F.broadcast(right)
        rows = rows.join(right, rows[join.key] == right["__k"], "left").drop("__k")
    return rows, tuple(j.lookup for j in joins)


def _grouped(rows, column: str):
    """The rows hash-partitioned by `column`, so that every row sharing a value or group meets in one partition."""

    # a missing value shares nothing with any row: spread those rows instead of piling them in one partition
    spread = F.coalesce(F.col(column), F.concat(F.lit("\0"), F.col(POS).cast("string")))
    return rows.repartition(F.xxhash64(spread))


# -- keys, computed by the pandas code on typed partitions ---------------------------------------------


def _add_columns(rows, table: SparkTable, columns: Mapping[str, Callable[[Table], pd.Series]]):
    """`rows` with string key columns computed on each typed partition (the raw cells stay as they are)."""

    schema = StructType([*rows.schema.fields, *(StructField(n, StringType()) for n in columns)])
    spec = table.spec

    def add(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            typed = spec.typed(batch)
            out = batch.reset_index(drop=True)
            for name, key in columns.items():
                out[name] = _text(key(typed))
            yield out

    return rows.mapInPandas(add, schema=schema)


def _text(values: pd.Series) -> pd.Series:
    return as_text(values).astype("object").where(values.notna(), None).reset_index(drop=True)


def _column(name: str) -> Callable[[Table], pd.Series]:
    return lambda typed: typed.frame[name]


_SIGN = np.uint64(1 << 63)


def _encoded_times(column: str) -> Callable[[Table], pd.Series]:
    """A time column as 20 digits of (nanoseconds + 2**63): exact, and ordered as text like the times are."""

    def encode(typed: Table) -> pd.Series:
        times = typed.frame[column]
        ns = times.to_numpy(dtype="datetime64[ns]").view(np.int64).view(np.uint64) ^ _SIGN
        return pd.Series([f"{v:020d}" for v in ns.tolist()], index=times.index, dtype="object").where(times.notna())

    return encode


def _decoded_times(codes: pd.Series) -> pd.Series:
    ns = np.array([int(c) for c in codes], dtype=np.uint64) ^ _SIGN
    return pd.Series(ns.view(np.int64).view("datetime64[ns]"), index=codes.index)


# -- the pass itself: the pandas engine on one partition ---------------------------------------------------


def _check_pass(rows, table: SparkTable, spec: _Pass, number: int, as_of: pd.Timestamp, region: str):
    types = table.spec

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        whole = types.typed_partition(batches)
        if whole is None:
            return
        part, typed = whole
        tables: dict[str, object] = {spec.entity: typed}
        tables.update(_contexts(part, spec))
        checked = run_checks(tables, list(spec.rules), as_of=as_of, default_region=region)  # type: ignore[arg-type]
        findings = _with_positions(checked.findings, typed, part)
        yield from payloads(number, findings, checked.outcomes, size)

    size = collect.ROWS_PER_PAYLOAD  # read here, on the driver, so that the closure carries it to the workers
    return rows.mapInPandas(run, schema=collect.SCHEMA)


def _contexts(part: pd.DataFrame, spec: _Pass) -> dict[str, _Context]:
    pieces: dict[str, list[pd.DataFrame]] = {e: [] for e in spec.contexts}
    for lookup in spec.lookups:
        if lookup.time_column is None:
            ids = part[lookup.column].dropna()
            pieces[lookup.entity].append(pd.DataFrame({lookup.name: ids.to_numpy(dtype=object)}))
        else:
            joined = part[part[lookup.time_column].notna()]
            pieces[lookup.entity].append(
                pd.DataFrame(
                    {
                        lookup.name: joined[lookup.column].to_numpy(dtype=object),
                        lookup.time_name: _decoded_times(joined[lookup.time_column]).to_numpy(),
                    }
                )
            )
    return {
        e: _Context(e, pd.concat(p, ignore_index=True) if p else pd.DataFrame(index=pd.RangeIndex(0)))
        for e, p in pieces.items()
    }


def _with_positions(findings: pd.DataFrame, typed: Table, part: pd.DataFrame) -> pd.DataFrame:
    """Each finding's record position in the export, found by its (file, row), for the final order."""
    files = typed.sources if typed.sources is not None else pd.Series(typed.source, index=typed.frame.index)
    where = pd.DataFrame(
        {"file": files.to_numpy(dtype=object), "row": typed.row_numbers.to_numpy(), POS: part[POS].to_numpy()}
    )
    positions = findings[["file", "row"]].astype({"file": object}).merge(where, on=["file", "row"], how="left")
    out = findings.copy()
    out[POS] = positions[POS].to_numpy()
    return out


# -- combining the partitions ----------------------------------------------------------------------------


def _combine(
    base: CheckResult, rules: Sequence[Rule], passes: Sequence[_Pass], parts: list[tuple[int, pd.DataFrame, Any]]
) -> CheckResult:
    primary: dict[str, int] = {}
    for number, spec in enumerate(passes):
        for rule in spec.rules:
            primary.setdefault(rule.id, number)
    outcomes_of: dict[str, list[tuple[int, RuleOutcome]]] = {}
    found = []
    for number, findings, outcomes in parts:
        found.append(findings)
        for outcome in outcomes or ():  # a partition's outcomes ride with its first slice of findings
            outcomes_of.setdefault(outcome.rule_id, []).append((number, outcome))
    findings = pd.concat(found, ignore_index=True) if found else base.findings
    combined = []
    failed_rules = set()
    for outcome in base.outcomes:
        seen = outcomes_of.get(outcome.rule_id)
        if not seen:
            combined.append(outcome)
            continue
        evaluated = sum(o.evaluated for n, o in seen if n == primary[outcome.rule_id])
        errors = [o for _, o in seen if o.status == "error"]
        if errors:
            failed_rules.add(outcome.rule_id)
            combined.append(replace(errors[0], evaluated=evaluated))
        elif all(o.status == "not_evaluated" for _, o in seen):
            combined.append(seen[0][1])
        else:
            mine = findings["rule_id"] == outcome.rule_id
            n = int(mine.sum())
            combined.append(
                replace(
                    outcome,
                    status="failed" if n else "passed",
                    evaluated=evaluated,
                    failed=int(findings.loc[mine, "record_id"].nunique()),
                    findings=n,
                    reason=None,
                )
            )
    findings = findings[~findings["rule_id"].isin(failed_rules)]
    return CheckResult(
        findings=_in_pandas_order(findings, rules), outcomes=combined, structural=base.structural, absent=base.absent
    )


def _in_pandas_order(
    findings: pd.DataFrame, rules: Sequence[Rule], templates: Mapping[str, Table] | None = None
) -> pd.DataFrame:
    """The pandas engine's order: entity by its first rule, then rule, field within the rule (a wildcard
    rule's in the table's column order), record."""
    entities: dict[str, int] = {}
    rule_rank: dict[str, int] = {}
    field_rank: dict[tuple[str, str], int] = {}
    for number, rule in enumerate(rules):
        entities.setdefault(rule.entity, len(entities))
        rule_rank.setdefault(rule.id, number)
        fields = rule.fields
        if rule.is_wildcard and templates and rule.entity in templates:
            fields = tuple(str(c) for c in templates[rule.entity].frame.columns)
        for place, field in enumerate(fields):
            field_rank.setdefault((rule.id, field), place)
    if POS not in findings.columns:
        return findings.reset_index(drop=True)
    order = pd.DataFrame(
        {
            "e": findings["entity"].map(entities).to_numpy(),
            "r": findings["rule_id"].map(rule_rank).to_numpy(),
            "f": [field_rank[(r, f)] for r, f in zip(findings["rule_id"], findings["field"], strict=True)],
            "p": findings[POS].to_numpy(),
        }
    )
    ranks = np.lexsort((order["p"], order["f"], order["r"], order["e"]))
    return findings.iloc[ranks].drop(columns=POS).reset_index(drop=True)
