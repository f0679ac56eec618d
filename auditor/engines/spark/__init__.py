"""The Spark engine: the same audit as `auditor.pipeline.check`, with the rule checks run on Spark.

Distributed: reading and typing the files, every rule check (per partition, keyed joins and shuffles
for uniqueness, foreign keys, outliers and staleness), row counts. Collected to the driver: the
findings (as the pandas engine holds them). Duplicate detection runs on Spark too
(`auditor.engines.spark.dedupe`): only the listed pairs and their records come back to the driver.
The full audit (`audit`) then runs the metrics stage on the driver over only the columns the metrics
read, projected on Spark (`auditor.engines.spark.metrics`); `collect_tables=True` brings every whole
table to the driver instead.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from auditor.checks.packs import config_rules
from auditor.config import AuditConfig
from auditor.engines.spark.checks import run_checks_spark
from auditor.engines.spark.dedupe import find_duplicates_spark
from auditor.engines.spark.load import POS, SparkTable, load_tables
from auditor.engines.spark.session import spark_session
from auditor.pipeline import Progress, finish_check
from auditor.result import AuditResult
from auditor.sources.table import Table
from auditor.timing import Stopwatch

__all__ = ["audit", "check", "collect_table", "spark_session"]

DEDUPE_ENTITIES = ("contacts", "accounts", "leads")


def check(
    path: str | Path,
    config: AuditConfig,
    *,
    master: str | None = None,
    spark=None,
    extra_rules: Sequence[str | Path] = (),
    progress: Progress | None = None,
    collect_tables: bool = False,
    loaded: dict[str, SparkTable] | None = None,
) -> AuditResult:
    """Audit the CSV/Parquet export at `path` on Spark (`spark`, or a session on `master`, default local[*]).
    `collect_tables`: bring every typed table to the driver (`result.data`; the full audit does not
    need it, see `audit`). `loaded`: filled with the tables as Spark holds them, for a later stage."""
    spark = spark or spark_session(master)
    started = pd.Timestamp.now(tz="UTC")
    clock = time.perf_counter()
    rule_paths = [*config.rule_paths, *map(Path, extra_rules)]
    rules = config_rules(config, rule_paths)
    notes: list[str] = []
    watch = Stopwatch()
    with watch.stage("load"):
        tables = load_tables(spark, path, config.source_options(), notes)
    if loaded is not None:
        loaded.update(tables)
    with watch.stage("checks"):
        checked = run_checks_spark(
            tables,
            rules,
            as_of=config.as_of,
            default_region=config.default_region,
            progress=progress,
            required=config.required,
        )
    duplicates = None
    if config.dedupe is not None:
        with watch.stage("duplicates"):
            duplicates = find_duplicates_spark(tables, config.dedupe, entities=DEDUPE_ENTITIES, progress=progress)
    wanted = list(tables) if collect_tables else []
    if progress and wanted:
        progress("collecting tables to the driver", 0, 1)
    with watch.stage("collecting tables"):
        data: dict[str, Table] = {e: collect_table(tables[e]) for e in wanted if e in tables}
    return finish_check(
        path,
        config,
        checked,
        started=started,
        clock=clock,
        rule_paths=rule_paths,
        data=data,
        counts={name: t.count for name, t in tables.items()},
        tables=[_summary(t) for t in tables.values()],
        notes=notes,
        progress=progress,
        duplicates=duplicates,
        watch=watch,
    )


def collect_table(table: SparkTable) -> Table:
    """The whole table on the driver, typed, in export order: what the pandas loader returns."""
    rows = table.rows.toPandas().sort_values(POS, kind="stable").reset_index(drop=True)
    return table.spec.typed(rows)


def _summary(table: SparkTable) -> dict:
    template = table.spec.template()
    files = table.files
    return {
        "entity": table.entity,
        "source": ", ".join(f.source for f in files),
        "format": files[0].format,
        "rows": table.count,
        "encoding": files[0].encoding,
        "delimiter": files[0].delimiter,
        "columns": [
            {"source_column": c.source_column, "field": c.field, "how": c.how, "confidence": c.confidence}
            for c in template.columns
        ],
        "values": [],
        "detection": template.detection.as_dict() if template.detection else {},
    }


def audit(
    path: str | Path,
    config: AuditConfig,
    *,
    master: str | None = None,
    spark=None,
    period: str | None = None,
    extra_rules: Sequence[str | Path] = (),
    progress: Progress | None = None,
) -> AuditResult:
    """The full audit (`auditor.pipeline.audit`) on Spark: `check`, then the metrics on the columns
    they read (collected from Spark, or taken from a table the checks already collected), then the
    worklist, which reads the findings, clusters and metrics only."""
    from auditor.engines.spark.metrics import metric_inputs
    from auditor.metrics.evaluate import resolve_request
    from auditor.pipeline import finish_audit

    _, metrics = resolve_request(config.as_of, period, None, defined=config.defined_metrics)  # fails before the checks
    spark = spark or spark_session(master)
    tables: dict[str, SparkTable] = {}
    result = check(path, config, spark=spark, extra_rules=extra_rules, progress=progress, loaded=tables)
    if progress:
        progress("collecting the metrics' columns", 0, 1)
    with result.timings.stage("collecting the metrics' columns"):
        frames, ids = metric_inputs(tables, result.data, metrics)
    return finish_audit(result, config, period=period, progress=progress, frames=frames, ids=ids)
