"""The owner, file and row of the records a merge names (auditor.worklist._meta) are looked up among the rows
of the wanted ids only: the same as among every record the dedupe stage saw."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.worklist import _evidence_of, _member_evidence, _merge_tasks, _meta

IDS = st.one_of(st.none(), st.sampled_from(["c1", "c2", "c3", "a1", "a2", "é", ""]))


def _every_record(dup: SimpleNamespace) -> pd.DataFrame:
    """The straightforward lookup table: every record's first row, whatever is wanted."""
    frames = [
        meta.drop_duplicates("record_id").assign(entity=entity).rename(columns={"record_id": "master_id"})
        for entity, meta in dup.records.items()
        if len(meta)
    ]
    return pd.concat(frames, ignore_index=True)[["entity", "master_id", "owner", "file", "row"]]


@examples(120)
@given(
    st.dictionaries(
        st.sampled_from(["contacts", "accounts"]),
        st.lists(st.tuples(IDS, st.sampled_from(["ann", "bob", None]), st.integers(2, 9)), max_size=12),
        min_size=1,
    ),
    st.lists(st.tuples(st.sampled_from(["contacts", "accounts", "leads"]), IDS), min_size=1, max_size=8),
    st.booleans(),
)
def test_oracle_the_wanted_ids_rows_are_every_records_rows(records: dict, tasks: list, as_text: bool) -> None:
    dtype = "str" if as_text else object
    dup = SimpleNamespace(
        records={
            entity: pd.DataFrame(
                {
                    "record_id": pd.Series([r[0] for r in rows], dtype=dtype),
                    "owner": pd.Series([r[1] for r in rows], dtype=dtype),
                    "file": pd.Series([f"{entity}.csv"] * len(rows), dtype=dtype),
                    "row": np.array([r[2] for r in rows], dtype=np.int64),
                }
            )
            for entity, rows in records.items()
        }
    )
    if not any(len(meta) for meta in dup.records.values()):
        return
    wanted = pd.DataFrame({"entity": [t[0] for t in tasks], "master_id": pd.Series([t[1] for t in tasks], dtype=dtype)})
    found = wanted.merge(_meta(dup, "entity", "master_id", wanted["master_id"]), on=["entity", "master_id"], how="left")
    expected = wanted.merge(_every_record(dup), on=["entity", "master_id"], how="left")
    pd.testing.assert_frame_equal(found, expected, check_exact=True)


def _evidence_among_every_pair(pairs: pd.DataFrame, members: pd.DataFrame) -> pd.Series:
    """The straightforward way: every pair naming a member, both ways, its duplicates dropped, then merged."""
    cols = ["entity", "id_a", "id_b", "match_probability", "evidence"]
    ids = members["record_id"]
    p = pairs.loc[pairs["id_a"].isin(ids) | pairs["id_b"].isin(ids), cols]
    both = pd.concat([p, p.rename(columns={"id_a": "id_b", "id_b": "id_a"})], ignore_index=True)
    return _evidence_of(members, both.drop_duplicates(["entity", "id_a", "id_b"]))


CONTACTS = st.sampled_from(["c1", "c2", "c3", "c4", "c5"])


@examples(120)
@given(
    st.lists(
        st.tuples(st.sampled_from(["contacts", "accounts"]), CONTACTS, CONTACTS, st.floats(0, 1), st.text(max_size=4)),
        max_size=14,
    ),
    st.lists(st.tuples(st.sampled_from(["contacts", "accounts"]), CONTACTS, CONTACTS), min_size=1, max_size=6),
)
def test_oracle_a_members_evidence_is_found_among_its_pairs_with_a_master(pairs: list, members: list) -> None:
    """_member_evidence keeps only the pairs of a member and a master before it drops their duplicates: the
    same evidence as among every pair naming a member (one member's pair at least: with none the evidence
    column is all missing, which neither way writes)."""
    pairs = [*pairs, (*members[0], 0.9, "e")]
    frame = pd.DataFrame(
        {
            "entity": pd.Series([p[0] for p in pairs], dtype=object),
            "id_a": pd.Series([p[1] for p in pairs], dtype="str"),
            "id_b": pd.Series([p[2] for p in pairs], dtype="str"),
            "match_probability": np.array([p[3] for p in pairs], dtype=float),
            "evidence": pd.Series([p[4] for p in pairs], dtype=object),
        }
    )
    shown = pd.DataFrame(
        {
            "entity": pd.Series([m[0] for m in members], dtype="str"),
            "record_id": pd.Series([m[1] for m in members], dtype="str"),
            "master_id": pd.Series([m[2] for m in members], dtype="str"),
        }
    ).set_axis(np.arange(10, 10 + len(members)))  # a selection of the members, as the shown ones are
    pd.testing.assert_series_equal(
        _member_evidence(frame, shown), _evidence_among_every_pair(frame, shown), check_exact=True
    )


def test_the_merge_tasks_texts_are_objects_not_arrow_text(acme_audit) -> None:
    """_merge_tasks hands its texts on as the objects they were made (pandas would make an object array of
    texts Arrow text, which _prioritize makes objects again), the same values as the worklist's."""
    merges = _merge_tasks(acme_audit.duplicates)
    assert len(merges)
    for column in ("task_id", "action", "entity", "issue", "severity", "field", "members", "evidence", "merge_plan"):
        assert merges[column].dtype == object, column
    shown = acme_audit.worklist.set_index("task_id").loc[merges["task_id"]]
    assert merges["evidence"].tolist() == shown["evidence"].tolist()
