"""The merge plan against the straightforward reading of its rule, cluster by cluster and field by field."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.dedupe import normalize as nz
from auditor.dedupe.survive import _joined, merge_plan

TEXTS = [None, "", " ", "\u00a0", "\t", "\u2003x", "a", "a ", "b", "Ż", "10", "ż"]


def _reference(frame: pd.DataFrame, ids: pd.Series, labels: np.ndarray, is_master: np.ndarray, cluster_ids) -> list:
    """One row per cluster and field whose members disagree or whose master is empty: the master's value (else
    the most recently updated member's that has one) survives, the others are listed as 'id: value'."""
    updated = pd.to_datetime(frame["updated_at"], utc=True)
    rows = []
    for cluster in sorted({c for c in cluster_ids if c is not None}):
        members = [k for k in range(len(frame)) if cluster_ids[k] == cluster]
        # the master first, then the most recently updated (missing: last), then the row order
        members.sort(key=lambda k: (not is_master[k], -(updated[k].value if pd.notna(updated[k]) else -1e30), k))
        master = next(k for k in members if is_master[k])
        for field in sorted(c for c in frame.columns if c != "updated_at"):
            text = nz.strings(frame[field])
            held = [(k, text[k]) for k in members if pd.notna(text[k]) and text[k].strip()]
            if not held:
                continue
            source, value = held[0]
            if source == master and all(v == value for _, v in held):
                continue
            lost = sorted(f"{ids[k]}: {v}" for k, v in held if v != value)
            rows.append((cluster, ids[master], ";".join(sorted(ids[k] for k in members)), field, value, ids[source]))
            rows[-1] += ("; ".join(lost),)
    return rows


@examples(80)
@given(
    st.lists(
        st.tuples(st.integers(-1, 4), st.sampled_from(TEXTS), st.sampled_from(TEXTS), st.integers(-1, 5)),
        min_size=1,
        max_size=30,
    )
)
def test_oracle_the_plan_is_the_rule_read_member_by_member(records) -> None:
    """Oracle test (it holds on the code before too): every row, value, source and discarded list of the plan."""
    labels = np.array([r[0] for r in records], dtype=np.int64)
    frame = pd.DataFrame(
        {
            "name": pd.Series([r[1] for r in records], dtype="string[pyarrow]"),
            "note": [r[2] for r in records],
            "size": [float(r[3]) if r[3] >= 0 else np.nan for r in records],
            "updated_at": [f"2024-01-0{1 + r[3]}" if r[3] >= 0 else None for r in records],
        }
    )
    ids = pd.Series([f"r{k:02d}" for k in range(len(records))])
    cluster_ids = np.array([f"c{9 - lab}" if lab >= 0 else None for lab in labels], dtype=object)
    is_master = np.zeros(len(records), dtype=bool)
    for lab in set(labels[labels >= 0].tolist()):
        is_master[np.flatnonzero(labels == lab)[0]] = True
    plan = merge_plan(frame, ids, labels, is_master, cluster_ids, "most_complete", ("updated_at",))
    got = list(plan.drop(columns="reason").itertuples(index=False, name=None))
    assert got == _reference(frame, ids, labels, is_master, cluster_ids)
    assert all(pd.api.types.is_string_dtype(plan[c]) for c in plan.columns) or not len(plan)


def test_a_column_of_several_arrow_chunks_is_one_vocabulary() -> None:
    """A column joined from two files holds two Arrow chunks: the same text in both is one value (the members of
    each cluster agree)."""
    name = pd.concat([pd.Series(["Anna", "Ewa"], dtype="string[pyarrow]")] * 2, ignore_index=True)
    frame = pd.DataFrame({"name": name, "updated_at": ["2024-01-01"] * 4})
    labels = np.array([0, 1, 0, 1])
    cluster_ids = np.array(["c0", "c1", "c0", "c1"], dtype=object)
    is_master = np.array([True, True, False, False])
    ids = pd.Series(["r0", "r1", "r2", "r3"])
    plan = merge_plan(frame, ids, labels, is_master, cluster_ids, "most_complete", ("updated_at",))
    assert plan.empty  # every cluster's members agree


def _joined_by_numpy(keys: np.ndarray, values: np.ndarray, sep: str) -> dict:
    """`_join_groups` as first written (numpy's sort of the texts made fixed-width): the oracle."""
    order = np.lexsort((values.astype(str), keys.astype(str)))
    k, v = keys[order], values[order].tolist()
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    ends = np.r_[starts[1:], len(k)]
    return {k[a]: sep.join(v[a:b]) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)}


# no lone surrogate: the texts joined are Arrow text (the plan's values are read as such), which cannot hold one
TEXTS = st.text(alphabet=st.sampled_from("ab: ;\x00\u00e9\U0001f600Z"), max_size=5)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.integers(0, 12), st.sampled_from(["c1", "c10", "c2", "\x00", "c1\x00"])), TEXTS),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(["ints", "texts", "mixed"]),
)
def test_oracle_groups_joined_as_numpy_sorted_them(rows: list[tuple[object, str]], keys_as: str) -> None:
    """Oracle test: each group's values joined in the order numpy's sort of the texts gave (keys of ints or of
    texts, texts with NULs, which numpy's texts drop at the end, characters beyond the BMP)."""
    keys = [k if keys_as == "mixed" else (str(k) if keys_as == "texts" else hash(k) % 13) for k, _ in rows]
    keys_array, values = _objects(keys), _objects([v for _, v in rows])
    assert _joined_dict(keys_array, values, "; ") == _joined_by_numpy(keys_array, values, "; ")


def _joined_dict(keys: np.ndarray, values: np.ndarray, sep: str) -> dict:
    """`_joined` of texts given as Python strings, as a dict of key to its joined texts."""
    distinct, joined = _joined(keys, pa.array(values.tolist(), type=pa.large_string()), sep)
    return dict(zip(distinct.tolist(), joined.to_pylist(), strict=True))


def _objects(items: list) -> np.ndarray:
    """`items` as an object array, whatever they are (numpy would make texts of texts and ints of ints)."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out
