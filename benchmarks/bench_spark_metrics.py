"""What the metrics stage of a Spark audit holds on the driver: the columns the metrics read
(`auditor.engines.spark.metrics`) against the whole typed tables (`check(..., collect_tables=True)`).

    .venv/bin/python benchmarks/bench_spark_metrics.py benchmarks/data/audit1m
    .venv/bin/python benchmarks/bench_spark_metrics.py benchmarks/data/audit1m --spark local[2]

Without --spark it loads the export with the pandas loader (the same typed frames `collect_table`
builds on the driver) and measures both in memory (deep: string contents included). With --spark it
also runs the projection on Spark (no checks), times it and checks that it equals the pandas one.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import pandas as pd

from auditor.checks.engine import record_ids
from auditor.engines.spark.metrics import metric_columns, project_frame, projection
from auditor.metrics.registry import registry
from auditor.model import ENTITIES
from auditor.pipeline import resolve_config
from auditor.sources import load_export


def _bytes(frame: pd.DataFrame | pd.Series) -> int:
    usage = frame.memory_usage(index=True, deep=True)
    return int(usage.sum() if isinstance(usage, pd.Series) else usage)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--spark", metavar="MASTER", help="also project on Spark with this master")
    args = parser.parse_args()
    config = resolve_config(args.path, None)
    wanted = metric_columns(registry().values())
    clock = time.perf_counter()
    export = load_export(args.path, config.source_options())
    rows: dict[str, dict] = {}
    projected = {}
    for name, table in export.tables.items():
        ids = record_ids(ENTITIES[name], table.frame, table.row_numbers)
        columns = projection(table.frame, name, wanted.get(name, set()))
        frame, _ = project_frame(table, columns)
        projected[name] = frame
        rows[name] = {
            "rows": len(table.frame),
            "columns": len(table.frame.columns),
            "columns_read": len(columns),
            "whole_bytes": _bytes(table.raw) + _bytes(table.frame) + _bytes(table.row_numbers),
            "typed_bytes": _bytes(table.frame),
            "projected_bytes": _bytes(frame) + _bytes(ids),
        }
    report: dict = {
        "path": args.path,
        "pandas_load_seconds": round(time.perf_counter() - clock, 1),
        "tables": rows,
        "whole_bytes": sum(r["whole_bytes"] for r in rows.values()),
        "typed_bytes": sum(r["typed_bytes"] for r in rows.values()),
        "projected_bytes": sum(r["projected_bytes"] for r in rows.values()),
    }
    if args.spark:
        from auditor.engines.spark import spark_session
        from auditor.engines.spark.load import load_tables
        from auditor.engines.spark.metrics import metric_inputs

        spark = spark_session(args.spark)
        del export  # what the driver holds from here on is the projection only
        clock = time.perf_counter()
        tables = load_tables(spark, args.path, config.source_options(), [])
        frames, ids = metric_inputs(tables, {}, registry().values())
        report["spark_projection_seconds"] = round(time.perf_counter() - clock, 1)
        report["spark_projected_bytes"] = sum(_bytes(f) + _bytes(ids[n]) for n, f in frames.items())
        for name, frame in frames.items():
            pd.testing.assert_frame_equal(frame, projected[name])
        report["spark_equals_pandas"] = True
    report["process_max_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
