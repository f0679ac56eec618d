"""Duplicate detection on Spark (local mode) beside the pandas engine, on one synthetic export.

    .venv/bin/python benchmarks/bench_spark_dedupe.py                      # benchmarks/data/synth100k
    .venv/bin/python benchmarks/bench_spark_dedupe.py --data DIR --master 'local[2]' --memory 4g

What runs: contacts, accounts and leads deduplicated and leads linked to contacts, with the export's
`crm-audit.yaml` (`auditor.dedupe.find_duplicates` against `auditor.engines.spark.dedupe.find_duplicates_spark`).
Make the export with `crm-audit synth --out benchmarks/data/synth100k --contacts 100000` when it is missing.

Each engine runs in a fresh process (a fresh JVM for Spark). `load s`: pandas reads and types the files;
Spark reads the CSV headers and numbers the rows (typing happens inside the dedupe, per partition).
`dedupe s`: the duplicate detection alone. Peak memory and CPU are those of the whole process tree (the
JVM and Spark's Python workers included; benchmarks/bench_spark.py samples them); `driver Python peak`
is the peak RSS of the engine's own Python process (for Spark: the driver). Both runs print a
digest of pairs, clusters, merge plan, links and findings: equal digests mean identical results.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_spark import measure  # noqa: E402 - the process-tree sampler of the checks benchmark

DEFAULT_DATA = HERE / "data" / "synth100k"


def digest(result) -> str:
    """One hash over every frame the dedupe returns (text of every cell, column names, order)."""
    import pandas as pd

    h = hashlib.sha256()
    for frame in (result.pairs, result.clusters, result.merge_plan, result.links, result.findings()):
        h.update(repr(list(frame.columns)).encode())
        h.update(pd.util.hash_pandas_object(frame.astype(str), index=True).to_numpy().tobytes())
    return h.hexdigest()[:16]


def child(engine: str, path: str, master: str, memory: str) -> None:
    from auditor.pipeline import resolve_config

    config = resolve_config(path, None)
    if engine == "spark":
        from auditor.engines.spark import spark_session
        from auditor.engines.spark.dedupe import find_duplicates_spark
        from auditor.engines.spark.load import load_tables

        spark = spark_session(master or None, driver_memory=memory)  # the JVM's start-up is not counted
        clock = time.perf_counter()
        tables = load_tables(spark, path, config.source_options(), [])
        loaded = time.perf_counter()
        result = find_duplicates_spark(tables, config.dedupe)
    else:
        from auditor.dedupe import find_duplicates
        from auditor.sources import load_export

        clock = time.perf_counter()
        export = load_export(path, config.source_options())
        loaded = time.perf_counter()
        result = find_duplicates(export.tables, config.dedupe)
    done = time.perf_counter()
    import resource

    print(
        json.dumps(
            {
                # this Python process alone: for Spark the driver, which holds only the listed pairs' records
                "driver_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "load_s": round(loaded - clock, 1),
                "dedupe_s": round(done - loaded, 1),
                "records": sum(s["records"] for k, s in result.stats.items() if "~" not in k),
                "candidate_pairs": sum(s["candidate_pairs"] for s in result.stats.values()),
                "pairs": len(result.pairs),
                "clusters": int(result.clusters["cluster_id"].nunique()) if len(result.clusters) else 0,
                "links": len(result.links),
                "digest": digest(result),
            }
        )
    )


def run_once(engine: str, path: Path, master: str, memory: str) -> dict:
    cmd = [sys.executable, __file__, "--child", engine, "--data", str(path), "--master", master, "--memory", memory]
    return {**measure(cmd), "engine": engine}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--engines", default="pandas,spark")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--memory", default="4g", help="Spark driver memory")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, str(args.data), args.master, args.memory)
        return
    if not args.data.exists():
        raise SystemExit(f"{args.data} is missing: crm-audit synth --out {args.data} --contacts 100000")
    os.environ.setdefault("CRM_AUDIT_SPARK_LOG_LEVEL", "ERROR")
    results = [run_once(engine, args.data, args.master, args.memory) for engine in args.engines.split(",")]
    print(f"\ndata: {args.data} ({results[0]['records']:,} records deduplicated)\n")
    print(
        "| engine | load s | dedupe s | process s | CPU s (tree) | peak RSS MB (tree) | driver Python peak MB | "
        "candidate pairs | listed pairs | clusters | links | digest |"
    )
    print("|---" * 12 + "|")
    for r in results:
        print(
            f"| {r['engine']} | {r['load_s']} | {r['dedupe_s']} | {r['process_seconds']} | {r['cpu_s']} | "
            f"{r['peak_rss_mb']:,.0f} | {r['driver_rss_mb']:,} | {r['candidate_pairs']:,} | {r['pairs']:,} | "
            f"{r['clusters']:,} | {r['links']:,} | {r['digest']} |"
        )


if __name__ == "__main__":
    main()
