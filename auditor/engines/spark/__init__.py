"""The Spark engine (`SparkEngine`, an `auditor.engines.base.Engine`): the same audit as the pandas engine,
with loading, the rule checks and duplicate detection run on Spark.

Distributed: reading and typing the files, every rule check (per partition, keyed joins and shuffles
for uniqueness, foreign keys, outliers and staleness), row counts. Collected to the driver: the
findings (as the pandas engine holds them). Duplicate detection runs on Spark too
(`auditor.engines.spark.dedupe`): only the listed pairs and their records come back to the driver.
The full audit (`auditor.pipeline.audit(..., engine=SparkEngine())`) then runs the metrics stage on the
driver over only the columns the metrics read, projected on Spark (`metric_frames`,
`auditor.engines.spark.metrics`); `collect_tables=True` brings every whole table to the driver instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from auditor.checks.engine import CheckResult
from auditor.checks.rule import Rule
from auditor.config import AuditConfig
from auditor.dedupe import DedupeResult
from auditor.dedupe.settings import DedupeSettings
from auditor.engines.base import Loaded, Progress
from auditor.engines.spark.checks import run_checks_spark
from auditor.engines.spark.dedupe import find_duplicates_spark
from auditor.engines.spark.load import POS, SparkTable, load_tables
from auditor.engines.spark.metrics import metric_inputs
from auditor.engines.spark.session import spark_session
from auditor.sources.table import Table

__all__ = ["SparkEngine", "collect_table", "spark_session"]


class SparkEngine:
    """`spark`: a session to use (else one on `master`, default local[*], started when first needed).
    `collect_tables`: bring every typed table to the driver (`result.data`; the full audit does not
    need it: the metrics read only their columns, see `metric_frames`)."""

    name = "spark"

    def __init__(self, master: str | None = None, spark: Any = None, collect_tables: bool = False) -> None:
        self.master, self._spark, self.collect_tables = master, spark, collect_tables

    @property
    def spark(self) -> Any:
        if self._spark is None:
            self._spark = spark_session(self.master)
        return self._spark

    def load(self, path: str | Path, config: AuditConfig, progress: Progress | None) -> Loaded:
        notes: list[str] = []
        tables = load_tables(self.spark, path, config.source_options(), notes)
        if progress and self.collect_tables:
            progress("collecting tables to the driver", 0, 1)
        data = {name: collect_table(t) for name, t in tables.items()} if self.collect_tables else {}
        return Loaded(
            handles=tables,
            data=data,
            counts={name: t.count for name, t in tables.items()},
            summary=[_summary(t) for t in tables.values()],
            notes=notes,
        )

    def run_checks(
        self, loaded: Loaded, rules: Sequence[Rule], config: AuditConfig, progress: Progress | None
    ) -> CheckResult:
        return run_checks_spark(dict(loaded.handles), list(rules), progress=progress, **config.check_options())

    def find_duplicates(self, loaded: Loaded, settings: DedupeSettings, progress: Progress | None) -> DedupeResult:
        return find_duplicates_spark(dict(loaded.handles), settings, progress=progress)

    def duplicate_steps(self, loaded: Loaded, settings: DedupeSettings, progress: Progress | None) -> None:
        return None  # one search on the cluster: its steps are Spark's jobs, not this process's

    def metric_frames(
        self, loaded: Loaded, metrics: Iterable[Any]
    ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.Series]]:
        """The columns the metrics read, collected from Spark (or taken from a table already collected)."""
        return metric_inputs(dict(loaded.handles), dict(loaded.data), list(metrics))


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
