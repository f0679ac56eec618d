"""Partitions that see only part of the picture: a slice of contacts none of which has an activity (a data
lake's later row groups often hold records nobody has touched yet). The staleness rule failed with an
error on such a partition (pandas' Series.map on an empty datetime look-up) and the Spark engine then
dropped all of that rule's findings; seen at 3,000,000 contacts, where pandas gave 390,568 of them."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from auditor.pipeline import check, resolve_config

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"
ROWS = 100
COPIES = 7


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    """acme's first 100 contacts, then seven copies of them, last touched in 2019, with new ids that no
    activity names, as Parquet in row groups of 100 rows. Spark spreads the eight row groups over eight
    partitions (local[2]: two slices of four, each slice on four different partitions), so at least three
    partitions hold copies only."""
    out = tmp_path_factory.mktemp("partitions")
    strings = pacsv.ConvertOptions(strings_can_be_null=True)
    contacts = pacsv.read_csv(ACME / "contacts.csv", convert_options=strings).slice(0, ROWS)
    contacts = contacts.cast(pa.schema([pa.field(n, pa.string()) for n in contacts.column_names]))
    old = contacts
    # untouched for years: stale unless an activity says otherwise
    for column, date in (("created_at", "2019-01-01"), ("updated_at", "2019-01-02")):
        old = old.set_column(old.schema.get_field_index(column), column, pa.array([date] * ROWS, pa.string()))
    ids = old.schema.get_field_index("contact_id")
    copies = [
        old.set_column(ids, "contact_id", pc.binary_join_element_wise(old["contact_id"], f"new{k}", "-"))
        for k in range(COPIES)
    ]
    pq.write_table(pa.concat_tables([contacts, *copies]), out / "contacts.parquet", row_group_size=ROWS)
    for name in ("accounts", "activities"):
        pq.write_table(pacsv.read_csv(ACME / f"{name}.csv"), out / f"{name}.parquet")
    (out / "crm-audit.yaml").write_text("as_of: 2026-10-31\ndefault_region: PL\ndedupe: false\n")
    return out


def test_staleness_on_partitions_without_activities(spark, lake, monkeypatch):
    from auditor.engines.spark import SparkEngine, collect

    # findings come back in slices of 7: the outcomes must be counted once and no slice lost
    monkeypatch.setattr(collect, "ROWS_PER_PAYLOAD", 7)
    config = resolve_config(lake, None)
    expected = check(lake, config)
    got = check(lake, config, engine=SparkEngine(spark=spark))
    stale = {o.rule_id: o for o in got.outcomes}["contacts.staleness"]
    assert stale.status == "failed", stale.reason
    mine = expected.findings[expected.findings["rule_id"] == "contacts.staleness"]
    # (a few acme contacts have no id, so their findings name the row instead)
    assert mine["record_id"].str.contains("-new", regex=False).sum() > ROWS * (COPIES - 1)
    assert got.outcomes == expected.outcomes
    assert len(got.findings) == len(expected.findings)
    keys = ["rule_id", "record_id", "field", "row"]
    assert got.findings[keys].values.tolist() == expected.findings[keys].values.tolist()
