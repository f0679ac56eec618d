"""Blocking: the pairs of a key are exactly the pairs sharing it (small blocks), oversized blocks stay
linear, and no true pair of the acme fixture is lost."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.dedupe import blocking
from auditor.dedupe.blocking import (
    KeyRows,
    PairUnion,
    block_pairs,
    candidate_pairs,
    first_rows,
    head_pairs,
    largest_block,
    record_codes,
    signatures,
    sorted_codes,
)
from auditor.dedupe.features import prepare
from auditor.dedupe.scoring import _order, blocking_keys, packed_columns
from auditor.dedupe.settings import DedupeSettings

ROOT = Path(__file__).resolve().parents[2]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=-1, max_value=6), min_size=0, max_size=40))
def test_small_blocks_give_every_pair_sharing_a_key(codes: list[int]) -> None:
    codes_arr = np.array(codes, dtype=np.int64)
    a, b, oversized = block_pairs(np.arange(len(codes)), codes_arr, np.arange(len(codes)), 1000, 5)
    got = set(zip(a.tolist(), b.tolist(), strict=True))
    want = {(x, y) for x, y in itertools.combinations(range(len(codes)), 2) if codes[x] >= 0 and codes[x] == codes[y]}
    assert got == want and oversized == 0


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=3, max_value=300), st.integers(min_value=1, max_value=8))
def test_oversized_blocks_use_a_sliding_window(size: int, window: int) -> None:
    codes = np.zeros(size, dtype=np.int64)
    a, b, oversized = block_pairs(np.arange(size), codes, np.arange(size), 2, window)
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    assert oversized == 1
    assert pairs == {(x, y) for x in range(size) for y in range(x + 1, min(size, x + window + 1))}
    assert len(pairs) <= size * window


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.sets(st.integers(0, 60)), st.sampled_from([None, 0, 1, 5, 31, 32])), max_size=6),
    st.sampled_from([61, 1 << 29]),  # pairs packed with their tags in one int64, and (too many records) not
)
def test_the_union_of_the_keys_pairs_holds_each_pair_once_with_the_bits_of_its_keys(keys, n: int) -> None:
    union = PairUnion(n)
    want: dict[int, int] = {}
    for pairs, bit in keys:
        union.add(np.array(sorted(pairs), dtype=np.int64), bit)
        for p in pairs:
            want[p] = want.get(p, 0) | (1 << bit if bit is not None and bit < 32 else 0)
    pairs, bits = union.merged()
    assert pairs.tolist() == sorted(want)
    assert bits.dtype == np.uint32 and bits.tolist() == [want[p] for p in sorted(want)]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["a", "A", "é", "e\u0301", "\U0001f600"]))),
    st.sampled_from(["string[pyarrow]", "str", "object"]),
    st.booleans(),
)
def test_sorted_codes_oracle_against_pandas_sorted_factorize(values: list, dtype: str, index: bool) -> None:
    column = pd.Series(values, dtype=dtype)
    column = pd.Index(column) if index else column
    want = pd.factorize(column, sort=True)[0]
    got = sorted_codes(column)
    assert got.dtype == np.int64 and got.tolist() == want.tolist()


def test_one_common_surname_cannot_blow_up_the_pairs() -> None:
    n = 20_000
    frame = pd.DataFrame(
        {
            "first_name": [f"n{i}" for i in range(n)],
            "last_name": ["Nowak"] * n,
            "email": [f"x{i}@firma.pl" for i in range(n)],
        }
    )
    prepared = prepare(frame, "contacts")
    i, _, stats = candidate_pairs(prepared.features, [["last"]], max_block=100, window=10)
    assert len(i) <= n * 10 and stats.oversized_blocks == 1


def test_multi_valued_phone_key_links_phone_to_mobile() -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["A", "B", "C"],
            "last_name": ["X", "Y", "Z"],
            "phone": ["+48 601 234 567", None, "+48 12 000 00 00"],
            "mobile": [None, "601234567", None],
            "country": ["PL"] * 3,
        }
    )
    prepared = prepare(frame, "contacts")
    i, j, _ = candidate_pairs(prepared.features, [["phone"]])
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 1)]


def test_linkage_keeps_only_cross_pairs() -> None:
    frame = pd.DataFrame({"first_name": ["Jan"] * 4, "last_name": ["Kowalski"] * 4})
    prepared = prepare(frame, "contacts")
    i, j, stats = candidate_pairs(prepared.features, [["last"]], source=np.array([0, 0, 1, 1]))
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == {(0, 2), (0, 3), (1, 2), (1, 3)}
    assert stats.possible_pairs == 4


def test_unusable_keys_are_a_config_error() -> None:
    from auditor.errors import ConfigError

    prepared = prepare(pd.DataFrame({"first_name": ["a"], "last_name": ["b"]}), "contacts")
    with pytest.raises(ConfigError, match="none of the keys"):
        candidate_pairs(prepared.features, [["loyalty_id"]])


@pytest.mark.parametrize("entity", ["contacts", "accounts", "leads"])
def test_blocking_loses_no_more_true_pairs_of_the_acme_fixture_than_stated(acme, entity: str) -> None:
    table = acme.tables[entity]
    truth = pd.read_csv(ROOT / "fixtures/acme/truth/duplicates.csv", dtype=str, keep_default_na=False)
    truth = truth[truth["entity"] == entity]
    frame = table.frame.reset_index(drop=True)
    ids = frame[table.frame.columns[0]].astype(str)
    prepared = prepare(frame, entity, ids=ids)
    i, j, stats = candidate_pairs(prepared.features, blocking_keys(prepared, DedupeSettings()))
    pos: dict[str, list[int]] = {}
    for k, v in enumerate(ids):
        pos.setdefault(v, []).append(k)  # the fixture has a few duplicated ids (defects): any copy counts
    compared = set(zip(i.tolist(), j.tolist(), strict=True))
    true_pairs = [(a, b) for _, g in truth.groupby("cluster_id") for a, b in itertools.combinations(g["record_id"], 2)]
    found = [any((min(x, y), max(x, y)) in compared for x in pos[a] for y in pos[b]) for a, b in true_pairs]
    recall = sum(found) / len(true_pairs)
    # stated blocking recall: 99% of true pairs directly; the rest (two copies of one original that share
    # no key, e.g. one with swapped names, the other with a typo) are joined through the original
    assert recall >= 0.99
    # accounts are blocked on each of the two longest words of the name as well: "X i Wspólnicy sp.k."
    # (51 of 536 names) makes one oversized block, walked by sorted neighbourhood
    assert stats.reduction_ratio > (0.98 if entity == "accounts" else 0.99)


def _head_pairs_with_pandas(records, codes, order, max_block, heads, signature):
    """The pandas form `head_pairs` had (sort, groupby, merge): the oracle of the numpy one."""
    valid = codes >= 0
    records, codes, order, signature = records[valid], codes[valid], order[valid], signature[valid]
    large = np.bincount(codes, minlength=1)[codes] > max_block if len(codes) else np.zeros(0, dtype=bool)
    frame = pd.DataFrame({"block": codes[large], "sig": signature[large], "order": order[large]})
    frame["record"] = records[large].astype(np.int64)
    frame = frame.sort_values(["block", "order"], kind="stable")
    values = frame.groupby(["block", "sig"], sort=False).agg(
        size=("record", "size"), first=("order", "first"), record=("record", "first")
    )
    values = values.reset_index().sort_values(["block", "size", "first"], ascending=[True, False, True], kind="stable")
    top = values[(values.groupby("block").cumcount() < heads) & (values["size"] > heads)][["block", "sig", "record"]]
    joined = frame.merge(top, on="block", suffixes=("", "_head"))
    joined = joined[joined["sig"] != joined["sig_head"]]
    a, b = joined["record"].to_numpy(dtype=np.int64), joined["record_head"].to_numpy(dtype=np.int64)
    return {(min(x, y), max(x, y)) for x, y in zip(a.tolist(), b.tolist(), strict=True) if x != y}


@examples(150)
@given(
    st.lists(st.tuples(st.integers(-1, 2), st.integers(0, 5)), max_size=80),
    st.integers(0, 6),
    st.integers(1, 3),
    st.booleans(),
)
def test_head_pairs_oracle_against_the_pandas_form(rows, max_block: int, heads: int, repeated: bool) -> None:
    """Oracle: the numpy `head_pairs` gives the pairs of its former pandas form (sort, groupby, merge); a
    record may come twice (two phones), as `repeated` makes the first ten."""
    n = len(rows)
    records = np.arange(n, dtype=np.int64)
    if repeated:
        records[: min(n, 10)] //= 2
    codes = np.array([c for c, _ in rows], dtype=np.int64)
    signature = np.array([s for _, s in rows], dtype=np.int64)
    signature[: min(n, 10)] = signature[records[: min(n, 10)]]  # one record, one signature
    order = (records * 7919) % 101  # any order of the records, one place per record
    a, b = head_pairs(records, codes, order, max_block, heads, signature)
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == _head_pairs_with_pandas(
        records, codes, order, max_block, heads, signature
    )


def test_record_codes_oracle_tell_records_apart_as_the_hash_does(acme) -> None:
    """Oracle: the code of each record (`record_codes`, from the features' codes) is equal for the same
    records as the hash of all its features (`signatures`)."""
    table = acme.tables["contacts"]
    prepared = prepare(pd.concat([table.frame, table.frame.iloc[::3]], ignore_index=True), "contacts")  # copies
    codes = record_codes(prepared.features, prepared.codes)
    hashes = signatures(prepared.features)
    assert len(np.unique(codes)) < len(codes)
    assert (pd.factorize(codes)[0] == pd.factorize(hashes)[0]).all()


def _key_rows(parts: list[list[int]], sizes: list[int]) -> KeyRows:
    n = len(parts[0]) if parts else 0
    arrays = [np.array(p, dtype=np.int64) for p in parts]
    return KeyRows(np.arange(n), np.zeros(n, dtype=np.int64), arrays, sizes, [None] * len(parts))


@settings(max_examples=150, deadline=None)
@given(st.data(), st.lists(st.sampled_from([1, 2, 7, 1 << 20, 1 << 40]), min_size=1, max_size=4))
def test_key_codes_oracle_one_value_per_distinct_combination(data, sizes: list[int]) -> None:
    """Oracle against compacting after every part: the same values told apart, and few enough to be counted."""
    n = data.draw(st.integers(0, 30))
    parts = [data.draw(st.lists(st.integers(0, min(size, 5) - 1), min_size=n, max_size=n)) for size in sizes]
    rows = _key_rows(parts, sizes)
    want = np.zeros(n, dtype=np.int64)
    for part, size in zip(rows.parts, sizes, strict=True):
        want = pd.factorize(want * size + part)[0].astype(np.int64)
    got = rows.codes()
    assert pd.factorize(got)[0].tolist() == want.tolist()
    assert got.max(initial=0) < max(n, sizes[0], 1)


def test_key_codes_of_one_part_are_its_codes(monkeypatch) -> None:
    """Fails on the code before: a key of one part hashed its codes again to number them."""
    hashed: list[int] = []
    factorize = pd.factorize
    monkeypatch.setattr(
        pd, "factorize", lambda values, *a, **k: hashed.append(len(values)) or factorize(values, *a, **k)
    )
    rows = _key_rows([[3, 0, 3, 2]], [5])
    assert rows.codes().tolist() == [3, 0, 3, 2] and hashed == []


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-1, 5), max_size=40))
def test_largest_block_of_records_held_once_oracle(codes: list[int]) -> None:
    codes_arr = np.array(codes, dtype=np.int64)
    records = np.arange(len(codes))
    assert largest_block(records, codes_arr, once=True) == largest_block(records, codes_arr)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-3, 6), max_size=40))
def test_first_rows_oracle_numpy_unique(values: list[int]) -> None:
    """The first row of each value, from codes numbered as they first come: those of `np.unique`'s sort."""
    numbered = pd.factorize(np.array(values, dtype=np.int64))[0]
    want = np.unique(numbered, return_index=True)[1]
    got = first_rows(numbered)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype


def test_a_keys_rows_are_sorted_once_for_its_blocks_and_their_heads(monkeypatch) -> None:
    """Fails on the code before: a key with oversized blocks sorted its rows for its block pieces and again for
    the heads of its oversized blocks (`head_pairs`), and hashed the records' signatures once per such key."""
    sorts: list[int] = []
    by_code = blocking._by_code_then_order
    monkeypatch.setattr(
        blocking, "_by_code_then_order", lambda codes, order: sorts.append(len(codes)) or by_code(codes, order)
    )
    n = 300
    features = pd.DataFrame(
        {
            "last": pd.Series(["smith"] * 250 + [f"n{k}" for k in range(50)], dtype="string[pyarrow]"),
            "city": pd.Series(["paris"] * 200 + [f"c{k % 7}" for k in range(100)], dtype="string[pyarrow]"),
            "first": pd.Series([f"f{k % 40}" for k in range(n)], dtype="string[pyarrow]"),
        }
    )
    i, j, stats = candidate_pairs(features, [["last"], ["city"], ["first"]], max_block=20, window=3)
    assert stats.oversized_blocks >= 2 and len(stats.oversized) == 2
    assert len(sorts) == 3  # one sort per key
    assert len(i) == len(set(zip(i.tolist(), j.tolist(), strict=True)))


@settings(max_examples=150, deadline=None)
@given(
    st.data(),
    st.lists(
        st.sampled_from([(-1, 2), (0, 1), (0, 9), (-5, 1 << 40), (0, 1 << 61), (-(1 << 62), 1 << 62)]), max_size=5
    ),
)
def test_packed_columns_oracle_sort_and_tell_apart_as_the_columns(data, bounds: list[tuple[int, int]]) -> None:
    """Oracle: the packed columns (`packed_columns`) sort the rows as `np.lexsort` of the columns does, and two
    rows are equal in them where they are equal in every column; columns too wide to shift stay as they are."""
    n = data.draw(st.integers(1, 25))
    columns = [
        np.array(data.draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n)), dtype=np.int64) for lo, hi in bounds
    ] or [np.zeros(n, dtype=np.int64)]
    packed = packed_columns(columns)
    assert len(packed) <= len(columns)
    np.testing.assert_array_equal(np.lexsort(packed[::-1]), np.lexsort(columns[::-1]))
    rows = list(zip(*(c.tolist() for c in columns), strict=True))
    packed_rows = list(zip(*(c.tolist() for c in packed), strict=True))
    assert (
        pd.factorize(pd.Series(packed_rows, dtype=object))[0].tolist()
        == pd.factorize(pd.Series(rows, dtype=object))[0].tolist()
    )


def _dense_rank(codes: list[np.ndarray]) -> list[int]:
    """Each row's place among the distinct tuples of its codes, sorted (the secondary order before its columns were
    packed), by Python's own tuple order."""
    rows = list(zip(*(c.tolist() for c in codes), strict=True))
    place = {row: k for k, row in enumerate(sorted(set(rows)))}
    return [place[row] for row in rows]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([None, "b", "a", "ab"]), st.sampled_from([None, "x", "y"])), max_size=30),
    st.booleans(),
)
def test_the_secondary_order_oracle_against_its_unpacked_columns(rows, ranked: bool) -> None:
    """Oracle: `_order` of packed columns is the dense rank of the columns' tuples ranked one column a sort."""
    features = pd.DataFrame(
        {
            "last": pd.Series([r[0] for r in rows], dtype="string[pyarrow]"),
            "email": pd.Series([r[1] for r in rows], dtype="string[pyarrow]"),
        }
    )
    rank = np.arange(len(rows))[::-1].copy() if ranked else None
    codes = [pd.factorize(features[c], sort=True, use_na_sentinel=True)[0].astype(np.int64) for c in ("last", "email")]
    if rank is not None:
        codes.append(rank)
    assert _order(features, rank).tolist() == _dense_rank(codes)
