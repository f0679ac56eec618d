"""One local SparkSession for every Spark test; skipped where Java is absent unless CI requires it."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture(scope="session")
def spark():
    required = os.environ.get("CRM_AUDIT_SPARK_REQUIRED") == "1"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if required:
            pytest.fail("CRM_AUDIT_SPARK_REQUIRED=1 but no Java runtime is installed (.ci/java.sh installs one)")
        pytest.skip("the Spark engine needs Java 17 or later")
    if required:
        import pyspark  # noqa: F401 - a missing pyspark must fail in CI, not skip
    else:
        pytest.importorskip("pyspark")
    from auditor.engines.spark import spark_session

    session = spark_session("local[2]", driver_memory="1g", shuffle_partitions=2)
    yield session
    session.stop()
