"""Merging duplicate clusters (evaluate.merge_clusters) equals a plain reading of its rule: the master (or the first of
a cluster's records in the table's order) survives, every other member's rows are dropped, and foreign keys
to a dropped record point at its survivor."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.metrics.activity import RID
from auditor.metrics.evaluate import merge_clusters

IDS = [f"A{i}" for i in range(8)]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(IDS), min_size=1, max_size=14),
    st.lists(st.tuples(st.sampled_from([*IDS, "A99"]), st.sampled_from(["D1", "D2", "D3"])), max_size=10),
    st.lists(st.one_of(st.none(), st.sampled_from([*IDS, "A99"])), max_size=8),
)
def test_the_first_record_of_a_cluster_in_the_tables_order_survives(
    rows: list[str], members: list[tuple[str, str]], keys: list[str | None]
) -> None:
    text = pd.StringDtype("pyarrow", na_value=float("nan"))
    accounts = pd.DataFrame({RID: pd.array(rows, dtype=text), "status": "Customer"})
    deals = pd.DataFrame({RID: [f"O{i}" for i in range(len(keys))], "account_id": pd.array(keys, dtype=text)})
    clusters = pd.DataFrame(
        {"entity": "accounts", "record_id": [m for m, _ in members], "cluster_id": [c for _, c in members]}
    )
    merged, stats = merge_clusters({"accounts": accounts, "opportunities": deals}, clusters, {"accounts": {"status"}})

    cluster_of: dict[str, str] = {}
    for record, cluster in members:
        cluster_of.setdefault(record, cluster)  # a record's first cluster
    survivor: dict[str, str] = {}
    for record in rows:  # the table's order
        if record in cluster_of:
            survivor.setdefault(cluster_of[record], record)
    dropped = {r: survivor[c] for r, c in cluster_of.items() if r in rows and survivor[c] != r}
    assert merged["accounts"][RID].tolist() == [r for r in rows if r not in dropped]
    assert merged["opportunities"]["account_id"].astype(object).where(lambda s: s.notna(), None).tolist() == [
        dropped.get(k, k) if k is not None else None for k in keys
    ]
    # the clusters counted are those that merge a record into another (one with a single record in the table
    # merges nothing)
    merging = {cluster_of[r] for r in dropped}
    assert stats.get("accounts", (0, 0)) == ((len(merging), len(dropped)) if dropped else (0, 0))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(IDS), min_size=1, max_size=14, unique=True),
    st.lists(st.tuples(st.sampled_from([*IDS, "A99"]), st.sampled_from(["D1", "D2", "D3"])), max_size=10),
    st.sampled_from([lambda b: b, lambda b: "True" if b else "False"]),
)
def test_a_clusters_master_survives_when_it_is_in_the_table(
    rows: list[str], members: list[tuple[str, str]], as_read: object
) -> None:
    # the duplicate stage names a master per cluster (its last member here, not the first in the table's
    # order), as a bool column or as clusters.csv's text
    text = pd.StringDtype("pyarrow", na_value=float("nan"))
    accounts = pd.DataFrame({RID: pd.array(rows, dtype=text), "status": "Customer"})
    members = list({record: (record, cluster) for record, cluster in members}.values())
    master_of = {cluster: record for record, cluster in members}
    clusters = pd.DataFrame(
        {
            "entity": "accounts",
            "record_id": [m for m, _ in members],
            "cluster_id": [c for _, c in members],
            "is_master": [as_read(master_of[c] == m) for m, c in members],  # type: ignore[operator]
        }
    )
    merged, _ = merge_clusters({"accounts": accounts}, clusters, {"accounts": {"status"}})

    survivor: dict[str, str] = {c: m for c, m in master_of.items() if m in rows}
    for record in rows:  # a cluster whose master is not in the table keeps its first record
        for member, cluster in members:
            if member == record:
                survivor.setdefault(cluster, record)
    kept = [r for r in rows if all(survivor.get(c) in (None, r) for m, c in members if m == r)]
    assert merged["accounts"][RID].tolist() == kept
