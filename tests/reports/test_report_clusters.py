"""report.html's duplicate clusters (auditor.reports.html._duplicates): each cluster's members, pairs and merge plan
taken out of the frames once, not selected, sorted and iterated per cluster. An oracle against the frames' own
way: a cluster's rows filtered, sorted (stable, the master first, the most probable pair first, a missing
probability last) and read by iterrows and to_dict, as the page's context was made before."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest

from auditor.reports import html


def _by_frames(dup, entity: str, cluster_id: str) -> dict:
    """A cluster shown, the frames' way."""
    c = dup.clusters
    mine = c[(c["entity"] == entity) & (c["cluster_id"] == cluster_id)]
    ids = set(mine["record_id"].astype(str))
    compared = [f for f in dup.stats.get(entity, {}).get("comparisons", []) if f"{f}_score" in dup.pairs.columns]
    p = dup.pairs
    both = (p["entity"] == entity) & p["id_a"].astype(str).isin(ids) & p["id_b"].astype(str).isin(ids)
    shown = ["id_a", "id_b", "match_probability", "band", "evidence", *(f"{f}_score" for f in compared)]
    pairs = p[both][shown].sort_values("match_probability", ascending=False, kind="stable")
    plan = dup.merge_plan
    plan = plan[(plan["entity"] == entity) & (plan["cluster_id"] == cluster_id)]
    return {
        "band": mine["band"].iloc[0],
        "members": mine.sort_values("is_master", ascending=False, kind="stable")
        .head(html.MEMBERS_PER_CLUSTER)[["record_id", "is_master"]]
        .to_dict("records"),
        "more_members": max(len(mine) - html.MEMBERS_PER_CLUSTER, 0),
        "fields": compared,
        "pairs": [
            {
                "a": r["id_a"],
                "b": r["id_b"],
                "probability": r["match_probability"],
                "band": r["band"],
                "evidence": r["evidence"],
                "scores": [r[f"{f}_score"] for f in compared],
            }
            for _, r in pairs.head(html.PAIRS_PER_CLUSTER).iterrows()
        ],
        "more_pairs": max(len(pairs) - html.PAIRS_PER_CLUSTER, 0),
        "plan": plan.head(html.MERGE_ROWS_PER_CLUSTER).to_dict("records"),
        "more_plan": max(len(plan) - html.MERGE_ROWS_PER_CLUSTER, 0),
    }


def _printed(value: object) -> str:
    """As the page prints it: NaN and None apart, a number by its value."""
    return json.dumps(value, default=str, sort_keys=True)


@pytest.mark.parametrize("ties", [False, True])
def test_oracle_each_cluster_is_what_the_frames_give(acme_audit, ties: bool) -> None:
    dup = acme_audit.duplicates
    if ties:  # equal and missing probabilities: the stable order and the missing ones last must hold
        dup = copy.copy(dup)
        probability = dup.pairs["match_probability"].round(1).to_numpy(dtype=float, copy=True)
        probability[::4] = np.nan
        dup.pairs = dup.pairs.assign(match_probability=probability)
    shown = html._duplicates(dup, acme_audit.data)["clusters"]
    assert len(shown) == html.TOP_CLUSTERS
    for cluster in shown:
        expected = _by_frames(dup, cluster["entity"], cluster["cluster_id"])
        members = [{k: m[k] for k in ("record_id", "is_master")} for m in cluster["members"]]
        got = {**{k: cluster[k] for k in expected if k != "members"}, "members": members}
        assert _printed(got) == _printed(expected)
    assert any(len(c["pairs"]) > 1 for c in shown) and any(c["plan"] for c in shown)


def test_the_members_labels_are_their_records_names(acme_audit) -> None:
    cluster = html._duplicates(acme_audit.duplicates, acme_audit.data)["clusters"][0]
    assert all(isinstance(m["label"], str) for m in cluster["members"]) and any(m["label"] for m in cluster["members"])
    assert isinstance(pd.Series([m["is_master"] for m in cluster["members"]]).iloc[0], (bool, np.bool_))
