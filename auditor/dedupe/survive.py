"""Survivorship: each cluster's master record, and the field-level merge plan.

The master is the most complete record (default), the most recently active (`most_recent`) or the oldest;
in the plan the master's value survives, and an empty master field is filled from the most recently
updated member, listing what is discarded. The auditor never merges anything in the source: it writes
the plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.dedupe import normalize as nz


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
        keys = (
            np.arange(len(member)),
            np.nan_to_num(created, nan=big),
            -completeness,
            -np.nan_to_num(updated, nan=-big),
        )
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


def merge_plan(
    frame: pd.DataFrame,
    ids: pd.Series,
    labels: np.ndarray,
    is_master: np.ndarray,
    cluster_ids: np.ndarray,
    rule: str,
    exclude: tuple[str, ...] = (),
) -> pd.DataFrame:
    """One row per cluster and field where the members disagree or the master is empty.

    The master's value survives; an empty master field is filled from the most recently updated
    member that has it. Discarded values are listed so that nothing is lost silently. Computed
    field by field over the cluster members sorted once (cluster, master first, most recent
    first), with reductions per cluster: no long table of every member and field.
    """
    columns = [
        "cluster_id",
        "master_id",
        "merged_ids",
        "field",
        "surviving_value",
        "source_record_id",
        "reason",
        "discarded_values",
    ]
    member = np.flatnonzero(labels >= 0)
    if not len(member):
        return pd.DataFrame(columns=columns)
    fields = [c for c in frame.columns if c not in exclude]
    recency = np.nan_to_num(_times(frame.iloc[member], "updated_at"), nan=-1e30)
    ccode, cuniq = pd.factorize(pd.Series(cluster_ids[member], dtype=object), sort=True)
    mast = is_master[member]
    order = np.lexsort((-recency, ~mast, ccode))
    rows_m = member[order]
    cc, ms = ccode[order], mast[order]
    # every text of the plan is Arrow text until the frame is made: a Python string per cell was made, added up,
    # joined and made Arrow text again by the frame (3.3 million cells of the 1M export's accounts)
    id_text = nz.arrow_text(nz.strings(ids))  # the records' ids are text (`record_ids`)
    rid = id_text.take(pa.array(rows_m))
    cuniq_text = pa.array(np.asarray(cuniq, dtype=object), type=pa.large_string())
    masters = pd.Series(id_text.filter(pa.array(is_master)).to_pylist(), index=cluster_ids[is_master], dtype=object)
    masters = masters[~masters.index.duplicated()].reindex(cuniq)
    masters_text = pa.array(masters.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
    merged_keys, merged = _joined(cluster_ids[member], id_text.take(pa.array(member)), ";")
    merged = merged.take(pa.array(pd.Index(merged_keys).get_indexer(cuniq)))
    label = {"most_complete": "most complete", "most_recent": "most recently active", "oldest": "oldest"}[rule]
    reasons = pa.array(
        ["master is empty: most recently updated member that has it", f"value of the master record ({label})"],
        type=pa.large_string(),
    )
    sub = frame.iloc[rows_m]  # the members' rows of every field taken at once, not field by field
    parts: dict[str, list] = {c: [] for c in columns}
    placed: list[tuple[np.ndarray, str]] = []  # per part, its rows' cluster codes and its field
    for name in fields:
        # compared as Arrow text by Arrow's kernels (pandas' string methods cost more than the work on a few
        # hundred members, field after field)
        text = nz.arrow_text(nz.strings(sub[name]))  # one array: the codes below number one dictionary
        has = pc.fill_null(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(text)), 0), False)
        rows = np.flatnonzero(has.to_numpy(zero_copy_only=False))
        if not len(rows):
            continue
        values = text.filter(has)
        codes = pc.dictionary_encode(values).indices.to_numpy(zero_copy_only=False)
        grp = cc[rows]
        gstart = np.flatnonzero(np.r_[True, grp[1:] != grp[:-1]])
        first = rows[gstart]
        differs = np.minimum.reduceat(codes, gstart) != np.maximum.reduceat(codes, gstart)
        interesting = differs | ~ms[first]
        if not interesting.any():
            continue
        win_row = gstart[interesting]
        g = grp[win_row]
        # discarded: the other values of the interesting clusters, "id: value" sorted and joined
        per_row_win = np.repeat(codes[gstart], np.diff(np.r_[gstart, len(rows)]))
        per_row_interesting = np.repeat(interesting, np.diff(np.r_[gstart, len(rows)]))
        lost = np.flatnonzero(per_row_interesting & (codes != per_row_win))
        discarded = pa.nulls(len(g), pa.large_string())
        if len(lost):
            said = pc.binary_join_element_wise(
                rid.take(pa.array(rows[lost])), values.take(pa.array(lost)), nz.text_scalar(": ")
            )
            keys, joined = _joined(grp[lost], said, "; ")
            at = pd.Index(keys).get_indexer(g)
            discarded = joined.take(pa.array(at, mask=at < 0))
        placed.append((g, name))
        at_g = pa.array(g)
        for column, part in (
            ("cluster_id", cuniq_text.take(at_g)),
            ("master_id", masters_text.take(at_g)),
            ("merged_ids", merged.take(at_g)),
            ("field", np.full(len(g), name, dtype=object)),
            ("surviving_value", values.take(pa.array(win_row))),
            ("source_record_id", rid.take(pa.array(first[interesting]))),
            ("reason", reasons.take(pa.array(ms[first[interesting]].astype(np.int8)))),
            ("discarded_values", pc.fill_null(discarded, "")),
        ):
            parts[column].append(part)
    if not placed:
        return pd.DataFrame(columns=columns)
    # by cluster id, then field: the cluster codes are the ids' places in sorted order (factorized sorted), the
    # fields are ranked by name, and a cluster holds a field once: the order sort_values on the two texts
    # gives, without comparing half a million pairs of strings
    rank = {name: r for r, name in enumerate(sorted(fields))}
    cluster = np.concatenate([g for g, _ in placed])
    field = np.concatenate([np.full(len(g), rank[name], dtype=np.int64) for g, name in placed])
    order = np.lexsort((field, cluster))
    return pd.DataFrame({column: _in_order(parts[column], order) for column in columns}, copy=False)


def _in_order(parts: list, order: np.ndarray) -> object:
    """A plan's column from its parts (object arrays, or Arrow text) put in `order`: Arrow text as the column
    pandas makes of Python strings, without making them."""
    if isinstance(parts[0], np.ndarray):
        return np.concatenate(parts)[order]
    text = pa.concat_arrays(parts).take(pa.array(order))
    if isinstance(_TEXT, pd.StringDtype) and _TEXT.storage == "pyarrow":
        return pd.arrays.ArrowStringArray(text, dtype=_TEXT)
    return np.array(text.to_pylist(), dtype=object)


_TEXT = pd.Series(["text"]).dtype
"""The dtype pandas gives a column of Python strings (Arrow's, or objects')."""


def _joined(keys: np.ndarray, text: pa.Array, sep: str) -> tuple[np.ndarray, pa.Array]:
    """Per distinct key (`keys`: one per text), its texts sorted and joined by `sep`: the keys, and the joined texts
    as Arrow text. Arrow's join of each group's list (adding the strings up, as np.add.reduceat does, copies the
    growing text once per member: hours for a cluster of a million copies; a str.join per group made each text a
    Python string)."""
    if not len(keys):
        return np.empty(0, dtype=object), pa.array([], type=pa.large_string())
    keys = np.asarray(keys, dtype=object)
    order = _key_value_order(keys, text)
    k = keys[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    grouped = pa.LargeListArray.from_arrays(
        pa.array(np.r_[starts, len(k)], type=pa.int64()), text.take(pa.array(order))
    )
    return k[starts], pc.binary_join(grouped, nz.text_scalar(sep))


def _key_value_order(keys: np.ndarray, text: pa.Array) -> np.ndarray:
    """The order of (key, text) pairs by key, then by text (keys: objects): a group's texts are joined in this order,
    and the groups' order does not matter. By Arrow's sort when every key is an int or every key a str and no text
    holds a NUL: UTF-8 sorts by code point as numpy's fixed-width texts do, which drop trailing NULs (and `astype(str)`
    made a copy of every text as wide as the longest). A key of ints groups as its text does (0.6 against 1.0 s for
    546,000 values in 224,000 groups)."""
    keys_arrow = _arrow_texts(keys)
    if keys_arrow is None or pc.any(pc.match_substring(text, "\x00")).as_py():
        return np.lexsort((np.array(text.to_pylist(), dtype=object).astype(str), keys.astype(str)))
    table = pa.table({"k": keys_arrow, "v": text})
    return pc.sort_indices(table, sort_keys=[("k", "ascending"), ("v", "ascending")]).to_numpy()


def _arrow_texts(values: np.ndarray) -> pa.Array | None:
    """`values` (objects) as Arrow text without NULs, or as Arrow integers; None otherwise."""
    try:
        array = pa.array(values.tolist())
    except (ValueError, TypeError, OverflowError):  # mixed types, a lone surrogate, a huge int
        return None
    if array.null_count:
        return None
    if pa.types.is_integer(array.type):
        return array
    if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
        return None
    return None if pc.any(pc.match_substring(array, "\x00")).as_py() else array
