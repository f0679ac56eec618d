"""The SparkSession the engine runs on: `local[*]` unless a master URL is given."""

from __future__ import annotations

import os
import sys

from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
_ARROW_BATCH = 20_000


def spark_session(
    master: str | None = None,
    *,
    driver_memory: str | None = None,
    shuffle_partitions: int | None = None,
    app_name: str = "crm-audit",
) -> SparkSession:
    """The active session when one exists (spark-submit, Databricks, a test fixture), else a new one.

    Under spark-submit or on Databricks the session and its memory are the cluster's; settings here
    apply only to a session this function creates. `driver_memory` (default: CRM_AUDIT_SPARK_DRIVER_MEMORY
    or 4g) matters because findings are collected to the driver.
    """
    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    builder = SparkSession.builder.appName(app_name)
    master = master or os.environ.get("CRM_AUDIT_SPARK_MASTER")
    if master is None and "PYSPARK_GATEWAY_PORT" in os.environ:
        # under spark-submit the JVM is already up with the master and memory given on its command line
        master = ""
    else:
        master = master or DEFAULT_MASTER
        memory = driver_memory or os.environ.get("CRM_AUDIT_SPARK_DRIVER_MEMORY", "4g")
        builder = builder.master(master).config("spark.driver.memory", memory)
    builder = (
        builder
        # findings come back as one pickled payload per partition; the default 1g cap is too tight
        .config("spark.driver.maxResultSize", "0")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(_ARROW_BATCH))
        # timestamps cross the Arrow boundary as UTC, like the pandas engine's tz-naive UTC values
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if master.startswith("local"):
        # local workers are this interpreter (its virtualenv holds auditor and pandas), not the system python
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if shuffle_partitions is None and master.startswith("local"):
        # every partition runs the pandas engine once; Spark's default of 200 is for clusters
        shuffle_partitions = 2 * (os.cpu_count() or 1)
    if shuffle_partitions is not None:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    session = builder.getOrCreate()
    # Spark's INFO/WARN lines (a CSV header that differs from the c0..cN names we give, for one) are noise here
    session.sparkContext.setLogLevel(os.environ.get("CRM_AUDIT_SPARK_LOG_LEVEL", "ERROR"))
    return session
