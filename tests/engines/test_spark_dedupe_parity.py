"""Duplicate detection on Spark (auditor.engines.spark.dedupe) gives what the pandas engine gives on the
same export: the same pairs with the same probabilities, weights and evidence (compared exactly: every
float is computed by the same numpy expression on the same inputs), clusters, merge plan, links of
leads to contacts, findings and statistics (with oversized blocks, labelled pairs and shuffled partitions:
test_spark_dedupe_statistics.py)."""

from __future__ import annotations

import pandas as pd
import pytest

FRAMES = ("pairs", "clusters", "merge_plan", "links")


@pytest.fixture(scope="module")
def acme(pandas_run, spark_run):
    # the duplicate detection of the shared audits of fixtures/acme (conftest.py), default settings
    return pandas_run[2].duplicates, spark_run[2].duplicates


@pytest.mark.parametrize("name", FRAMES)
def test_frames_are_identical(acme, name):
    pandas_result, spark_result = acme
    expected = getattr(pandas_result, name)
    assert len(expected)
    pd.testing.assert_frame_equal(getattr(spark_result, name), expected, check_exact=True)


def test_every_entity_and_the_leads_links_took_part(acme):
    pandas_result, _ = acme
    assert set(pandas_result.clusters["entity"]) == {"contacts", "accounts", "leads"}
    assert set(pandas_result.links["other_entity"]) == {"contacts"}


def test_findings_and_stats_are_identical(acme):
    pandas_result, spark_result = acme
    pd.testing.assert_frame_equal(spark_result.findings(), pandas_result.findings(), check_exact=True)
    assert spark_result.stats == pandas_result.stats
    assert spark_result.auto_merge_count == pandas_result.auto_merge_count > 0


def test_record_places_cover_the_findings(acme):
    # Spark brings back the places (owner, file, row) of the clustered and linked records only
    pandas_result, spark_result = acme
    for entity, meta in spark_result.records.items():
        full = pandas_result.records[entity]
        assert 0 < len(meta) < len(full)
        expected = full[full["record_id"].isin(meta["record_id"])].reset_index(drop=True)
        pd.testing.assert_frame_equal(meta.reset_index(drop=True), expected)
