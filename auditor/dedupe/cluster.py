"""Clusters, bands, master records and the field-level merge plan.

Clusters are connected components of the pairs at or above the review threshold. A component
of three or more records is checked against chaining (A~B and B~C although A and C cannot be
the same: different birth dates, different addresses at one corporate domain...): all its
internal pairs are scored, and it is rebuilt by agglomeration over its edges, strongest first,
that refuses to join two groups when any pair across them is cannot-link. A component larger
than `max_cluster_size` (a chain through a common name or a switchboard number) first loses its
weakest edges, the bar rising (0.9, 0.99, 0.999...) until every part is small enough to check.

Cluster ids are the smallest record id of the cluster, so they are stable across runs on the
same data. The auditor never merges anything in the source: it writes the plan.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

PairScorer = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Component label per node (0..n-1) of the undirected graph with edges (a, b)."""
    if n == 0:
        return np.empty(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _agglomerate(members: np.ndarray, prob: dict[tuple[int, int], float], cannot: set[tuple[int, int]],
                 threshold: float) -> list[list[int]]:
    groups: dict[int, list[int]] = {int(m): [int(m)] for m in members}
    owner = {int(m): int(m) for m in members}
    edges = sorted(((p, a, b) for (a, b), p in prob.items() if p >= threshold), reverse=True)
    for _, a, b in edges:
        ga, gb = owner[a], owner[b]
        if ga == gb:
            continue
        cross = [(x, y) if x < y else (y, x) for x in groups[ga] for y in groups[gb]]
        if any(c in cannot for c in cross):
            continue
        if not any(c in prob for c in cross):
            continue
        keep, gone = (ga, gb) if len(groups[ga]) >= len(groups[gb]) else (gb, ga)
        for x in groups[gone]:
            owner[x] = keep
        groups[keep].extend(groups.pop(gone))
    return list(groups.values())


def build_clusters(
    n: int,
    i: np.ndarray,
    j: np.ndarray,
    probability: np.ndarray,
    cannot: np.ndarray,
    threshold: float,
    scorer: PairScorer | None,
    max_cluster_size: int = 50,
) -> np.ndarray:
    """Cluster label per record (-1 = no duplicate), after the chaining guard."""
    keep = probability >= threshold
    a, b, p = i[keep], j[keep], probability[keep]
    labels = components(n, a, b)
    sizes = np.bincount(labels, minlength=labels.max() + 1 if n else 0)
    # oversized components (chains through common names or shared numbers): keep only their
    # strongest edges, raising the bar until every part is small enough to check pair by pair
    for bar in (0.9, 0.99, 0.999, 0.9999, 0.99999, 1.0):
        big_edge = sizes[labels[a]] > max_cluster_size
        if not big_edge.any():
            break
        drop = big_edge & (p < bar) if bar < 1.0 else big_edge
        a, b, p = a[~drop], b[~drop], p[~drop]
        labels = components(n, a, b)
        sizes = np.bincount(labels, minlength=labels.max() + 1 if n else 0)
    out = np.where(sizes[labels] >= 2, labels, -1)
    big = np.flatnonzero(sizes >= 3)
    if not len(big):
        return out
    next_label = int(labels.max()) + 1
    inside = (sizes[labels[i]] >= 3) & (labels[i] == labels[j])
    known = {(int(x), int(y)): (float(p), int(c)) for x, y, p, c in zip(
        i[inside].tolist(), j[inside].tolist(), probability[inside].tolist(), cannot[inside].tolist(), strict=True)}
    missing_a, missing_b = [], []
    groups = {int(g): np.flatnonzero(labels == g) for g in big} if len(big) < 2000 else None
    if groups is None:
        order = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[order], big)
        groups = {int(g): order[s:s + sizes[g]] for g, s in zip(big, bounds, strict=True)}
    for members in groups.values():
        if len(members) > max_cluster_size or scorer is None:
            continue
        for x_pos in range(len(members)):
            for y_pos in range(x_pos + 1, len(members)):
                pair = (int(members[x_pos]), int(members[y_pos]))
                if pair not in known:
                    missing_a.append(pair[0])
                    missing_b.append(pair[1])
    if missing_a and scorer is not None:
        pa, pc = scorer(np.array(missing_a), np.array(missing_b))
        for x, y, p, c in zip(missing_a, missing_b, pa, pc, strict=True):
            known[(x, y)] = (float(p), int(c))
    by_group: dict[int, dict[tuple[int, int], float]] = {}
    cannot_by_group: dict[int, set[tuple[int, int]]] = {}
    for (x, y), (p, c) in known.items():
        g = int(labels[x])
        by_group.setdefault(g, {})[(x, y)] = p
        if c and p < threshold:  # a cannot-link pair that still matches despite its penalty does not veto
            cannot_by_group.setdefault(g, set()).add((x, y))
    for g, members in groups.items():
        if not cannot_by_group.get(g) and len(members) <= max_cluster_size:
            out[members] = next_label  # no cannot-link inside: the component stands as it is
            next_label += 1
            continue
        parts = _agglomerate(members, by_group.get(g, {}), cannot_by_group.get(g, set()), threshold)
        for part in parts:
            if len(part) < 2:
                out[part] = -1
            else:
                out[part] = next_label
                next_label += 1
    return out


def choose_masters(frame: pd.DataFrame, labels: np.ndarray, rule: str) -> np.ndarray:
    """Bool per record: the master of its cluster by the survivorship rule (ties: oldest, then id order)."""
    n = len(frame)
    is_master = np.zeros(n, dtype=bool)
    member = np.flatnonzero(labels >= 0)
    if not len(member):
        return is_master
    sub = frame.iloc[member]
    completeness = sub.notna().sum(axis=1).to_numpy()
    created = _times(sub, "created_at")
    updated = _times(sub, "updated_at")
    updated = np.where(np.isnan(updated), created, updated)
    big = np.float64(1e18)
    if rule == "most_recent":
        keys = (np.arange(len(member)), np.nan_to_num(created, nan=big), -completeness,
                -np.nan_to_num(updated, nan=-big))
    elif rule == "oldest":
        keys = (np.arange(len(member)), -completeness, np.nan_to_num(created, nan=big))
    else:
        keys = (np.arange(len(member)), np.nan_to_num(created, nan=big), -completeness)
    order = np.lexsort((*keys, labels[member]))
    lab = labels[member][order]
    first = np.r_[True, lab[1:] != lab[:-1]]
    is_master[member[order[first]]] = True
    return is_master


def _times(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    stamps = pd.to_datetime(frame[column], errors="coerce", utc=True)
    out = stamps.astype("int64").to_numpy(dtype=float) if len(stamps) else np.empty(0)
    out[stamps.isna().to_numpy()] = np.nan
    return out


def merge_plan(frame: pd.DataFrame, ids: pd.Series, labels: np.ndarray, is_master: np.ndarray,
               cluster_ids: np.ndarray, rule: str, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per cluster and field where the members disagree or the master is empty.

    The master's value survives; an empty master field is filled from the most recently updated
    member that has it. Discarded values are listed so that nothing is lost silently.
    """
    columns = ["cluster_id", "master_id", "merged_ids", "field", "surviving_value", "source_record_id", "reason",
               "discarded_values"]
    member = np.flatnonzero(labels >= 0)
    if not len(member):
        return pd.DataFrame(columns=columns)
    fields = [c for c in frame.columns if c not in exclude]
    sub = frame.iloc[member][fields].astype("string")
    recency = _times(frame.iloc[member], "updated_at")
    long = pd.DataFrame({
        "pos": np.repeat(np.arange(len(member)), len(fields)),
        "field": np.tile(np.array(fields, dtype=object), len(member)),
        "value": sub.to_numpy(dtype=object).ravel(),
    })
    long["value"] = long["value"].where(pd.notna(long["value"]), None)
    long["cluster_id"] = cluster_ids[member][long["pos"].to_numpy()]
    long["record_id"] = ids.to_numpy()[member][long["pos"].to_numpy()]
    long["is_master"] = is_master[member][long["pos"].to_numpy()]
    long["recency"] = np.nan_to_num(recency, nan=-1e30)[long["pos"].to_numpy()]
    long = long[long["value"].notna() & (long["value"].astype(str).str.strip() != "")]
    stats = long.groupby(["cluster_id", "field"], sort=False)["value"].nunique()
    master_has = long[long["is_master"]].set_index(["cluster_id", "field"])["value"]
    interesting = stats[(stats > 1) | ~stats.index.isin(master_has.index)].index
    if not len(interesting):
        return pd.DataFrame(columns=columns)
    long = long.set_index(["cluster_id", "field"]).loc[interesting].reset_index()
    long = long.sort_values(["cluster_id", "field", "is_master", "recency"], ascending=[True, True, False, False])
    win = long.drop_duplicates(["cluster_id", "field"])
    masters = pd.Series(ids.to_numpy()[is_master], index=cluster_ids[is_master])
    members_by_cluster = _join_groups(cluster_ids[member], ids.to_numpy()[member], ";")
    joined = long.merge(win[["cluster_id", "field", "value"]].rename(columns={"value": "win"}),
                        on=["cluster_id", "field"])
    lost = joined[joined["value"] != joined["win"]]
    discarded = _join_groups(lost["cluster_id"].astype(str).to_numpy() + "\x1f" + lost["field"].astype(str).to_numpy(),
                             (lost["record_id"] + ": " + lost["value"].astype(str)).to_numpy(dtype=object), "; ")
    label = {"most_complete": "most complete", "most_recent": "most recently active", "oldest": "oldest"}[rule]
    plan = pd.DataFrame({
        "cluster_id": win["cluster_id"].to_numpy(),
        "master_id": masters.reindex(win["cluster_id"]).to_numpy(),
        "merged_ids": members_by_cluster.reindex(win["cluster_id"]).to_numpy(),
        "field": win["field"].to_numpy(),
        "surviving_value": win["value"].to_numpy(),
        "source_record_id": win["record_id"].to_numpy(),
        "reason": np.where(win["is_master"].to_numpy(), f"value of the master record ({label})",
                           "master is empty: most recently updated member that has it"),
    })
    key = plan["cluster_id"].astype(str) + "\x1f" + plan["field"].astype(str)
    plan["discarded_values"] = discarded.reindex(key).fillna("").to_numpy()
    return plan[columns].sort_values(["cluster_id", "field"], ignore_index=True)


def _join_groups(keys: np.ndarray, values: np.ndarray, sep: str) -> pd.Series:
    """Sorted values joined per key (np.add.reduceat on object arrays: a C loop, no Python per group)."""
    if not len(keys):
        return pd.Series(dtype=object)
    keys = np.asarray(keys, dtype=object)
    values = np.asarray(values, dtype=object)
    order = np.lexsort((values.astype(str), keys.astype(str)))
    k, v = keys[order], values[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    joined = np.add.reduceat(v + sep, starts)
    return pd.Series([t[: -len(sep)] for t in joined], index=k[starts], dtype=object)
