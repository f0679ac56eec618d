"""One local SparkSession for every Spark test (skipped where Java is absent unless CI requires it), and one
pandas (the suite's, tests/conftest.py) and one Spark audit of fixtures/acme through the command, shared by
every module that compares the engines on it (each Spark audit costs about a minute)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUBMIT_ARGS = (
    "--conf 'spark.driver.extraJavaOptions=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC'"
    " --conf spark.ui.enabled=false pyspark-shell"
)
"""How the test session's JVM starts (unless PYSPARK_SUBMIT_ARGS is set already): a short-lived driver on
a small machine. With the C1 compiler only and the serial collector, no C2 or parallel GC threads compete
for the cores, which cuts the JVM's CPU time for the Spark audit of fixtures/acme by about a third; and no
web UI. None of it changes what Spark computes."""


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

    with pytest.MonkeyPatch.context() as patch:
        if "PYSPARK_SUBMIT_ARGS" not in os.environ:
            patch.setenv("PYSPARK_SUBMIT_ARGS", SUBMIT_ARGS)  # read only when the JVM starts
        session = spark_session("local[2]", driver_memory="1g", shuffle_partitions=2)
    yield session
    session.stop()


def audit_command(out: Path, *options: str, spark=None):
    """`crm-audit audit fixtures/acme --out OUT` from the repository root (relative paths, as a user
    types them): its exit code and the AuditResult it rendered. With `spark`, the Spark audit runs on
    that session (the test session) instead of starting one."""
    import auditor.pipeline
    from auditor.cli import main
    from auditor.engines.spark import SparkEngine

    ran = []
    run = auditor.pipeline.audit

    def recorded(*args, **kwargs):
        if spark is not None and getattr(kwargs.get("engine"), "name", None) == "spark":
            kwargs["engine"] = SparkEngine(spark=spark)
        ran.append(run(*args, **kwargs))
        return ran[-1]

    previous = Path.cwd()
    os.chdir(ROOT)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auditor.pipeline, "audit", recorded)
        try:
            code = main(["audit", "fixtures/acme", "--out", str(out), "--no-history", "--no-mask-pii", *options])
        finally:
            os.chdir(previous)
    assert len(ran) == 1
    return code, ran[0]


@pytest.fixture(scope="session")
def pandas_run(acme_run):
    """The pandas audit of fixtures/acme, through the command: (exit code, output folder, AuditResult).
    The suite's shared one (tests/conftest.py: the same options but `--format json`, which changes
    only what is printed). Read-only."""
    return acme_run.code, acme_run.out, acme_run.result


@pytest.fixture(scope="session")
def spark_run(spark, tmp_path_factory):
    """The Spark audit of fixtures/acme, through the command: (exit code, output folder, AuditResult)."""
    out = tmp_path_factory.mktemp("spark")
    code, result = audit_command(out, "--engine", "spark", spark=spark)
    return code, out, result
