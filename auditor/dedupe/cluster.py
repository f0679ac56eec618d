"""Clusters: connected components of the likely pairs, guarded against chaining.

Clusters are connected components of the pairs at or above the review threshold. A component
of three or more records is checked against chaining (A~B and B~C although A and C cannot be
the same: different birth dates, different addresses at one corporate domain...): all its
internal pairs are scored, and it is rebuilt by agglomeration over its edges, strongest first,
that refuses to join two groups when any pair across them is cannot-link. A component larger
than `max_cluster_size` (a chain through a common name or a switchboard number) first loses its
weakest edges, the bar rising (0.9, 0.99, 0.999...) until every part is small enough to check; a part
that still holds together at 0.99999 stays one cluster.

Cluster ids are the smallest record id of the cluster, so they are stable across runs on the
same data. Each cluster's master and merge plan are `auditor.dedupe.survive`'s.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

OVERSIZED_BARS = (0.9, 0.99, 0.999, 0.9999, 0.99999)
"""The edge bars an oversized component is cut at in turn. What still holds together at the last one
is kept as one cluster (records that near-certainly match each other, such as 600 spellings of one
company), checked against cannot-link pairs over its known pairs only, never broken into singletons."""
PairScorer = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Component label per node (0..n-1) of the undirected graph with edges (a, b), numbered in the order of
    the components' smallest nodes (as scipy's `connected_components` numbers them).

    Union-find over whole arrays: each round hooks the larger root of every edge whose ends lie in two trees
    onto the smallest root it meets, then halves every path until each node points at its root (the
    smallest node of its tree); the edges inside one tree are dropped. Every root that meets a smaller one is
    hooked in each round, so a component takes a few rounds (a chain of 5,000 shuffled nodes: 8). Not
    scipy's sparse graphs: importing them cost 0.16 s of every audit."""
    if n == 0:
        return np.empty(0, dtype=np.int64)
    root = np.arange(n, dtype=np.int64)
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    while len(a):
        ra, rb = root[a], root[b]
        apart = ra != rb
        if not apart.any():
            break
        a, b, ra, rb = a[apart], b[apart], ra[apart], rb[apart]
        np.minimum.at(root, np.maximum(ra, rb), np.minimum(ra, rb))
        while not np.array_equal(up := root[root], root):
            root = up
    # a root points at itself: its place among the roots is a count of the roots up to it, not a sort of every node
    return (np.cumsum(root == np.arange(n)) - 1)[root]


def _agglomerate(a: np.ndarray, b: np.ndarray, p: np.ndarray, veto: np.ndarray) -> list[list[int]]:
    """Groups built over the edges (a, b, p), strongest first (ties: larger ids first), refusing
    to join two groups when a veto pair lies across them. `veto` holds the cannot-link pairs as
    (x, y) rows; edges and vetoes of many components may be given at once."""
    order = np.lexsort((-b, -a, -p))
    members = np.unique(np.concatenate([a, b, veto.ravel()]))
    la = np.searchsorted(members, a[order]).tolist()
    lb = np.searchsorted(members, b[order]).tolist()
    m = len(members)
    groups: list[list[int] | None] = [[k] for k in range(m)]
    owner = list(range(m))
    vetoed: list[set[int]] = [set() for _ in range(m)]
    for x, y in np.searchsorted(members, veto).tolist():
        vetoed[x].add(y)
        vetoed[y].add(x)
    for x, y in zip(la, lb, strict=True):
        gx, gy = owner[x], owner[y]
        if gx == gy or gy in vetoed[gx]:
            continue
        keep, gone = (gx, gy) if len(groups[gx]) >= len(groups[gy]) else (gy, gx)
        moving = groups[gone]
        for z in moving:
            owner[z] = keep
        groups[keep].extend(moving)
        groups[gone] = None
        moved = vetoed[gone]
        if moved:
            vetoed[keep] |= moved
            for h in moved:
                vh = vetoed[h]
                vh.discard(gone)
                vh.add(keep)
            vetoed[gone] = set()
    ids = members.tolist()
    return [[ids[k] for k in g] for g in groups if g is not None]


def _internal_pairs(labels: np.ndarray, groups: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (x < y) of records inside the given components, generated size class by size class."""
    member = np.flatnonzero(np.isin(labels, groups))
    order = member[np.argsort(labels[member], kind="stable")]
    lab = labels[order]
    starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]]) if len(lab) else np.empty(0, np.int64)
    counts = sizes[lab[starts]] if len(starts) else np.empty(0, np.int64)
    out_a, out_b = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for size in np.unique(counts):
        first = starts[counts == size]
        ta, tb = np.triu_indices(int(size), 1)
        out_a.append(order[(first[:, None] + ta).ravel()])
        out_b.append(order[(first[:, None] + tb).ravel()])
    x, y = np.concatenate(out_a).astype(np.int64), np.concatenate(out_b).astype(np.int64)
    return np.minimum(x, y), np.maximum(x, y)


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
    """Cluster label per record (-1 = no duplicate), after the chaining guard.

    Everything is done on whole arrays: components by `components`, the internal pairs of every
    component of three or more by size class, their scores in one call of `scorer`; only the
    components that hold a vetoing cannot-link pair go through the (small) agglomeration loop.
    """
    keep = probability >= threshold
    a, b, p = i[keep], j[keep], probability[keep]
    labels = components(n, a, b)
    sizes = np.bincount(labels, minlength=labels.max() + 1 if n else 0)
    # oversized components (chains through common names or shared numbers): keep only their
    # strongest edges, raising the bar until every part is small enough to check pair by pair
    for bar in OVERSIZED_BARS:
        big_edge = sizes[labels[a]] > max_cluster_size
        if not big_edge.any():
            break
        drop = big_edge & (p < bar)
        a, b, p = a[~drop], b[~drop], p[~drop]
        labels = components(n, a, b)
        sizes = np.bincount(labels, minlength=labels.max() + 1 if n else 0)
    out = np.where(sizes[labels] >= 2, labels, -1)
    big = np.flatnonzero(sizes >= 3)
    if not len(big):
        return out
    # the known pairs inside those components (any probability): a record's label gathered once per pair, the
    # records outside them labelled -1 first (four gathers of every candidate pair were two)
    in_big = np.where(sizes[labels] >= 3, labels, -1)[i]
    inside = (in_big >= 0) & (in_big == labels[j])
    del in_big
    ka = np.minimum(i[inside], j[inside]).astype(np.int64)
    kb = np.maximum(i[inside], j[inside]).astype(np.int64)
    kp = probability[inside].astype(np.float64)
    kc = cannot[inside].astype(np.int64)
    # ... and the missing ones, scored in bulk
    if scorer is not None:
        checkable = big[sizes[big] <= max_cluster_size]
        xa, xb = _internal_pairs(labels, checkable, sizes)
        known = np.unique(ka * np.int64(n) + kb)
        wanted = xa * np.int64(n) + xb
        pos = np.searchsorted(known, wanted)
        missing = (
            (pos >= len(known)) | (known[np.minimum(pos, max(len(known) - 1, 0))] != wanted)
            if len(known)
            else np.ones(len(wanted), dtype=bool)
        )
        if missing.any():
            ma, mb = xa[missing], xb[missing]
            mp, mc = scorer(ma, mb)
            ka, kb = np.r_[ka, ma], np.r_[kb, mb]
            kp = np.r_[kp, np.asarray(mp, dtype=np.float64)]
            kc = np.r_[kc, np.asarray(mc, dtype=np.int64)]
    # a cannot-link pair that still matches despite its penalty does not veto
    veto = (kc != 0) & (kp < threshold)
    troubled = np.unique(labels[ka[veto]])
    troubled = np.union1d(troubled, big[sizes[big] > max_cluster_size])
    if not len(troubled):
        return out  # no cannot-link inside any component: they all stand as they are
    in_troubled = np.isin(labels[ka], troubled)
    edge = in_troubled & (kp >= threshold)
    groups = _agglomerate(
        ka[edge], kb[edge], kp[edge], np.stack([ka[in_troubled & veto], kb[in_troubled & veto]], axis=1)
    )
    members = np.flatnonzero(np.isin(labels, troubled))
    out[members] = -1
    next_label = int(labels.max()) + 1
    for part in groups:
        if len(part) >= 2:
            out[part] = next_label
            next_label += 1
    return out
