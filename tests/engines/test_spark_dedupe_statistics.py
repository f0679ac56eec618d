"""What the Spark dedupe computes over a whole table because no partition sees it alone (the
unreadable-date warning, the term frequencies, the canonical order of sorted neighbourhood and random
pairs, which extra exact fields look like identifiers) equals what the pandas engine computes on the
whole table: here with the rows spread over partitions in shuffled order, birth dates that are no
dates, records without an id, ids given twice, oversized blocks walked by sorted neighbourhood, extra
fields compared exactly and labelled pairs that EM learns from. A table with nothing to compare is
skipped alike."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from auditor.dedupe import find_duplicates
from auditor.pipeline import resolve_config
from auditor.sources import load_export

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"
NOT_DATES = ("n/a", " unknown ", "1856-86-18", "19xx-05-01")


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("acme_edges")
    for name in ("crm-audit.yaml", "leads.csv"):
        shutil.copy(ACME / name, out / name)
    contacts = pd.read_csv(ACME / "contacts.csv", dtype=str, keep_default_na=False)
    rows = contacts.index.to_series()
    # about one birth date in ten is no date; the first of them (the warning's example) is not in
    # the first partition once the rows are shuffled
    bad = rows[(rows % 29 == 7)].to_numpy()
    contacts.loc[bad, "birth_date"] = [NOT_DATES[k % len(NOT_DATES)] for k in range(len(bad))]
    # records named by their row, and an id given to three records
    contacts.loc[rows % 37 == 5, "contact_id"] = ""
    contacts.loc[[11, 500, 1500], "contact_id"] = "C000011"
    # one contact entered 30 times more: copies inside oversized blocks
    copies = contacts.iloc[[40] * 30].assign(contact_id=[f"K{k:03d}" for k in range(30)])
    pd.concat([contacts, copies], ignore_index=True).to_csv(out / "contacts.csv", index=False)
    accounts = pd.read_csv(ACME / "accounts.csv", dtype=str, keep_default_na=False)
    accounts[["account_id", "industry", "employees"]].to_csv(out / "accounts.csv", index=False)
    return out


@pytest.fixture(scope="module")
def tables(spark, export):
    from auditor.engines.spark.load import load_tables

    config = resolve_config(export, None)
    tables = {
        name: replace(table, rows=table.rows.repartition(3))
        for name, table in load_tables(spark, export, config.source_options(), []).items()
    }
    assert tables["contacts"].rows.rdd.getNumPartitions() == 3
    return tables


@pytest.fixture(scope="module")
def labels(pandas_run, tmp_path_factory) -> Path:
    """Every seventh contact pair the shared pandas audit of acme listed (conftest.py), a match when its
    probability is above 0.9. Without an entity column, a pair whose ids are not both records of an
    entity is left to the others; a pair naming C000011 (given to three records here) speaks by its first."""
    pairs = pandas_run[2].duplicates.pairs
    some = pairs[pairs["entity"] == "contacts"].iloc[::7]
    path = tmp_path_factory.mktemp("labels") / "labels.csv"
    some.assign(is_match=(some["match_probability"] > 0.9).map({True: "yes", False: "no"}))[
        ["id_a", "id_b", "is_match"]
    ].to_csv(path, index=False)
    return path


def _settings(export: Path, labels: Path | None):
    # mobile numbers are nearly all distinct (a key of their own), account ids are not; blocks above 4
    # records are walked by sorted neighbourhood (its order is global in pandas)
    return replace(
        resolve_config(export, None).dedupe,
        max_block_size=4,
        window=2,
        fields={"contacts": {"mobile": "exact", "account_id": "exact"}},
        labels=str(labels) if labels else None,
    )


ENTITIES = ("contacts", "accounts", "leads")


def _pandas(export: Path, settings):
    config = resolve_config(export, None)
    return find_duplicates(load_export(export, config.source_options()).tables, settings, entities=ENTITIES)


@pytest.fixture(scope="module")
def both(export, tables, labels):
    # one Spark run for every edge at once: each Spark dedupe of acme's contacts costs tens of seconds
    from auditor.engines.spark.dedupe import find_duplicates_spark

    settings = _settings(export, labels)
    return _pandas(export, settings), find_duplicates_spark(tables, settings, entities=ENTITIES)


def test_the_date_warning_counts_the_whole_table(both):
    pandas_result, spark_result = both
    warning = pandas_result.stats["contacts"]["warnings"][0]
    assert warning.startswith("birth_date: ") and "(e.g. 'n/a')" in warning
    assert spark_result.stats["contacts"]["warnings"] == pandas_result.stats["contacts"]["warnings"]


def test_results_are_identical_with_shuffled_partitions_and_unnamed_records(both):
    pandas_result, spark_result = both
    stats = pandas_result.stats["contacts"]
    assert "mobile" in stats["blocking_keys"] and "account_id" not in stats["blocking_keys"]
    assert stats["oversized_blocks"] > 10
    assert any(w.startswith("blocking on ") for w in stats["warnings"])
    assert spark_result.stats == pandas_result.stats
    clusters = pandas_result.clusters
    copies = clusters[clusters["record_id"].str.startswith("K")]
    assert len(copies) == 30 and copies["cluster_id"].nunique() == 1
    assert pandas_result.pairs["id_a"].str.startswith("row:").any()
    for name in ("pairs", "clusters", "merge_plan", "links"):
        expected = getattr(pandas_result, name)
        assert len(expected)
        pd.testing.assert_frame_equal(getattr(spark_result, name), expected, check_exact=True)
    pd.testing.assert_frame_equal(spark_result.findings(), pandas_result.findings(), check_exact=True)


def test_the_labelled_pairs_steer_em(both, export):
    # the same export without the labels gives other contact pairs: so the identity above holds with EM
    # learning from the labels and the labelled pairs decided as labelled, on both engines
    pandas_result, _ = both
    assert pandas_result.stats["contacts"]["labels"]["pairs"] > 10
    unlabelled = _pandas(export, _settings(export, None))
    assert pandas_result.stats["contacts"]["candidate_pairs"] == unlabelled.stats["contacts"]["candidate_pairs"]
    contacts = [r.pairs[r.pairs["entity"] == "contacts"] for r in (pandas_result, unlabelled)]
    assert len(contacts[0]) and len(contacts[1])
    assert not contacts[0].reset_index(drop=True).equals(contacts[1].reset_index(drop=True))


def test_a_table_with_nothing_to_compare_is_skipped_or_named(both, tables):
    from auditor.dedupe import NothingToCompare
    from auditor.engines.spark.dedupe import find_duplicates_spark

    pandas_result, spark_result = both
    assert "accounts.csv: accounts: no column to look for duplicates by" in pandas_result.stats["accounts"]["skipped"]
    assert spark_result.stats["accounts"] == pandas_result.stats["accounts"]
    with pytest.raises(NothingToCompare, match="no column to look for duplicates by"):
        find_duplicates_spark({"accounts": tables["accounts"]}, entities=("accounts",), strict=True)
