"""Duplicate detection on Spark (auditor.engines.spark.dedupe) gives what the pandas engine gives on the
same export: the same pairs with the same probabilities, weights and evidence (compared exactly: every
float is computed by the same numpy expression on the same inputs), clusters, merge plan, links of
leads to contacts, findings and statistics."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from auditor.dedupe import find_duplicates
from auditor.pipeline import resolve_config
from auditor.sources import load_export

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"
FRAMES = ("pairs", "clusters", "merge_plan", "links")


def _run_both(spark, settings, entities=("contacts", "accounts", "leads")):
    from auditor.engines.spark.dedupe import find_duplicates_spark
    from auditor.engines.spark.load import load_tables

    config = resolve_config(ACME, None)
    export = load_export(ACME, config.source_options())
    tables = load_tables(spark, ACME, config.source_options(), [])
    return (
        find_duplicates(export.tables, settings, entities=entities),
        find_duplicates_spark(tables, settings, entities=entities),
    )


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


def test_sorted_neighbourhood_and_labelled_pairs(spark, acme, tmp_path):
    # blocks above 3 records are walked by sorted neighbourhood (its order is global in pandas),
    # and labelled pairs steer EM
    pandas_result, _ = acme
    some = pandas_result.pairs[pandas_result.pairs["entity"] == "contacts"].iloc[::7]
    labels = tmp_path / "labels.csv"
    some.assign(is_match=(some["match_probability"] > 0.9).map({True: "yes", False: "no"}))[
        ["id_a", "id_b", "is_match"]
    ].to_csv(labels, index=False)
    settings = dataclasses.replace(resolve_config(ACME, None).dedupe, max_block_size=3, window=2, labels=str(labels))
    expected, got = _run_both(spark, settings, entities=("contacts",))
    assert expected.stats["contacts"]["oversized_blocks"] > 20
    assert expected.stats["contacts"]["candidate_pairs"] != pandas_result.stats["contacts"]["candidate_pairs"]
    assert got.stats == expected.stats
    for name in ("pairs", "clusters", "merge_plan"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), check_exact=True)
