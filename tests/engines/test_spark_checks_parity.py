"""The Spark engine returns what the pandas engine returns on fixtures/acme: same findings in the same
order, same rule outcomes, structural issues, duplicate clusters and scores (the metrics: see
test_spark_audit_parity.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from auditor.engines import get_engine
from auditor.errors import ConfigError

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"


@pytest.fixture(scope="module")
def both(pandas_run, spark_run):
    # the shared audits of fixtures/acme (conftest.py): the check stage is their first part
    return pandas_run[2], spark_run[2]


def test_findings_are_identical(both):
    pandas_result, spark_result = both
    assert len(spark_result.findings) == len(pandas_result.findings) == 2350  # tests/golden/acme.result.json
    pd.testing.assert_frame_equal(spark_result.findings, pandas_result.findings)


def test_every_rule_kind_with_findings_took_part(both):
    # the keyed kinds (unique, outlier) and those fed by joins (foreign_key, staleness) are all exercised
    _, spark_result = both
    failed = {o.kind for o in spark_result.outcomes if o.status == "failed"}
    assert {"unique", "foreign_key", "staleness", "outlier"} <= failed


def test_outcomes_and_structural_issues_are_identical(both):
    pandas_result, spark_result = both
    assert spark_result.outcomes == pandas_result.outcomes
    assert spark_result.structural == pandas_result.structural


def test_duplicate_clusters_and_scores_are_identical(both):
    pandas_result, spark_result = both
    pd.testing.assert_frame_equal(spark_result.duplicates.clusters, pandas_result.duplicates.clusters)
    pd.testing.assert_frame_equal(spark_result.duplicates.pairs, pandas_result.duplicates.pairs)
    assert spark_result.scores.to_dict() == pandas_result.scores.to_dict()
    pd.testing.assert_frame_equal(spark_result.scores.records, pandas_result.scores.records)
    assert spark_result.gate == pandas_result.gate


def test_row_counts_in_the_table_summary(both):
    pandas_result, spark_result = both
    rows = {t["entity"]: t["rows"] for t in pandas_result.tables}
    assert {t["entity"]: t["rows"] for t in spark_result.tables} == rows


def test_unknown_engine_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown engine 'dask'"):
        get_engine("dask")


def test_spark_master_needs_the_spark_engine():
    with pytest.raises(ConfigError, match="--spark-master needs --engine spark"):
        get_engine("pandas", master="local[2]")
