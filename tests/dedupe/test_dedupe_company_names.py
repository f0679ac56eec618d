"""Company names as real exports hold them: a short name far from its long spellings in an oversized
block, words glued or split, and names that share a word without being far apart as strings; and the
merge-plan cells of a cluster however large."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.dedupe import compare
from auditor.dedupe.blocking import candidate_pairs, head_pairs
from auditor.dedupe.compare import GLUED_WORD, KINDS, WORD_SIMILARITY, Coded, Comparator, share_a_word
from auditor.dedupe.features import LEVEL_LABELS, prepare
from auditor.dedupe.survive import _joined


def _block(common: int, unique: int, rare: int, few: int = 0) -> np.ndarray:
    """Signatures of one block in sort order: `common` copies of value 1, `unique` values held once,
    `few` copies of value 3, `rare` copies of value 2."""
    return np.array([1] * common + list(range(100, 100 + unique)) + [3] * few + [2] * rare, dtype=np.uint64)


def test_every_record_of_an_oversized_block_meets_its_common_values() -> None:
    sig = _block(20, 12, 8, few=5)
    n = len(sig)
    a, b = head_pairs(np.arange(n), np.zeros(n, np.int64), np.arange(n), 25, 5, sig)
    got = set(zip(a.tolist(), b.tolist(), strict=True))
    first_b = 37  # the first copy of value 2 in sort order
    want = {(0, r) for r in range(20, n)} | {(r, first_b) for r in range(first_b)}
    # the values held once, and the five copies of value 3 (no more than the window reaches past), head nothing
    assert got == want


def test_heads_are_the_most_common_values_and_only_in_oversized_blocks() -> None:
    sig = _block(20, 12, 8)
    n = len(sig)
    a, b = head_pairs(np.arange(n), np.zeros(n, np.int64), np.arange(n), 25, 1, sig)
    assert set(a.tolist()) == {0} and set(b.tolist()) == set(range(20, n))
    a, b = head_pairs(np.arange(n), np.zeros(n, np.int64), np.arange(n), n, 5, sig)
    assert len(a) == 0 and len(b) == 0


def test_pairs_with_a_common_value_train_no_session() -> None:
    sig = _block(20, 12, 8)
    features = pd.DataFrame({"key": ["philips"] * len(sig), "value": [f"v{s}" for s in sig.tolist()]})
    i, j, stats = candidate_pairs(features, [["key"]], max_block=25, window=2)
    bits = dict(zip(zip(i.tolist(), j.tolist(), strict=True), stats.pair_keys.tolist(), strict=True))
    assert bits[(0, 39)] == 0  # found only as the first copy of value 1 against value 2
    assert bits[(20, 21)] == 1  # sorted neighbours: the key's own pair
    assert stats.pairs_per_key["key"] == sum(1 for v in bits.values() if v)


def _compare(pairs: list[tuple[str, str]]) -> tuple[Comparator, np.ndarray, np.ndarray, np.ndarray]:
    names = [name for pair in pairs for name in pair]
    frame = pd.DataFrame({"account_id": [f"A{k}" for k in range(len(names))], "name": names})
    comparator = Comparator(prepare(frame, "accounts"))
    i = np.arange(0, len(names), 2)
    j = i + 1
    return comparator, i, j, comparator.compare(i, j).levels


def test_names_sharing_a_word_are_no_contradiction_but_other_numbers_are() -> None:
    comparator, i, j, levels = _compare(
        [
            ("Philips Electronics N.V.", "Koninklijke Philips N.V."),
            ("Phillips Electronics B.V.", "Philips Gloeilampenfabrieken N.V."),  # one typo in the shared word
            ("Koninklijke Phillips Electronics", "N.V. PHILIPS'GLOEILAMPENFABRIEKEN"),  # and glued to the next
            ("Koninklijke Philps Electronics", "N.V. PHILIPS'GLOEILAMPENFABRIEKEN"),  # a dropped letter, glued
            ("Global Foods Ltd", "Acme Logistics Ltd"),
            ("Rivera 395 Inc", "Rivera 251 Inc"),
            ("Acme Holding", "Acmeco Logistics"),  # a short word inside a longer one is no shared word
        ]
    )
    assert levels[:, 0].tolist() == [0, 0, 0, 0, 0, 0, 0]  # far apart as strings, all of them
    assert comparator.disagree(i, j, levels).tolist() == [False, False, False, False, True, True, True]


def _accounts_comparator(names: list[str]) -> Comparator:
    cities = ["Eindhoven", "Utrecht", "Delft"]
    frame = pd.DataFrame(
        {
            "account_id": [f"A{k}" for k in range(len(names))],
            "name": names,
            "city": [cities[k % 3] for k in range(len(names))],
        }
    )
    return Comparator(prepare(frame, "accounts"))


def _disagree_field_by_field(comparator: Comparator, i: np.ndarray, j: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """The definition `disagree` must keep: every company-name field at its lowest level is asked whether the names
    share a word, whatever the other fields say."""
    out = levels == 0
    for col, c in enumerate(comparator.comparisons):
        if c.kind == "company":
            rows = np.flatnonzero(out[:, col])
            some = compare.Pairs.of(comparator, i[rows], j[rows])
            kin = share_a_word(*some.codes(c.columns[0]), comparator.coded[c.columns[0]])
            out[rows[kin & ~comparator.other_numbers(c, some)], col] = False
    return out.any(axis=1)


_PHILIPS = ["Philips Electronics N.V.", "Koninklijke Philips N.V.", "Rivera 395 Inc", "Rivera 251 Inc", "Acme Ltd"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=30), st.data())
def test_disagreement_oracle_field_by_field(pairs: list[tuple[int, int]], data) -> None:
    """Oracle: the names' words are not looked at where another field disagrees outright, and the verdicts are
    those of asking every pair."""
    comparator = _accounts_comparator(_PHILIPS)
    i, j = np.array([a for a, _ in pairs]), np.array([b for _, b in pairs])
    k = len(comparator.comparisons)
    cells = data.draw(st.lists(st.integers(-1, 3), min_size=len(pairs) * k, max_size=len(pairs) * k))
    levels = np.array(cells, dtype=np.int8).reshape(len(pairs), k)
    assert comparator.disagree(i, j, levels).tolist() == _disagree_field_by_field(comparator, i, j, levels).tolist()


def test_names_are_not_split_where_another_field_disagrees(monkeypatch) -> None:
    comparator = _accounts_comparator(_PHILIPS[:2] * 2)
    name = next(col for col, c in enumerate(comparator.comparisons) if c.kind == "company")
    i, j = np.array([0, 2]), np.array([1, 3])
    levels = np.full((2, len(comparator.comparisons)), 0, dtype=np.int8)  # every field apart
    levels[1, :] = 3
    levels[1, name] = 0  # the second pair apart by its names alone
    asked: list[int] = []
    shared = compare.share_a_word
    monkeypatch.setattr(compare, "share_a_word", lambda ca, cb, names: asked.append(len(ca)) or shared(ca, cb, names))
    assert comparator.disagree(i, j, levels).tolist() == [True, False]
    assert asked == [1]  # the first pair's other fields decide it


def test_a_lost_or_added_space_leaves_names_very_similar() -> None:
    _, _, _, levels = _compare(
        [
            ("Hitachiglobal Storage Technologies BV", "Hitachi Global Storage Technologies B.V."),
            ("DSMIP Assets B.V.", "DSM IP Assets B.V."),
            ("Gist Brocades N.V.", "GISTBROCADES N.V."),
        ]
    )
    assert levels[:, 0].tolist() == [2, 2, 2]  # 'very similar'


def test_every_kind_with_levels_has_a_comparison() -> None:
    assert set(KINDS) == set(LEVEL_LABELS)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["c1", "c2", "c3"]), st.text(alphabet="ab;:", max_size=4)), max_size=30))
def test_groups_are_joined_sorted_per_key(rows: list[tuple[str, str]]) -> None:
    """Merge-plan cells (members of a cluster, discarded values) join each group's sorted values once."""
    keys, joined = _joined(
        np.array([k for k, _ in rows], dtype=object), pa.array([v for _, v in rows], pa.large_string()), "; "
    )
    want = {key: "; ".join(sorted(v for k, v in rows if k == key)) for key in {k for k, _ in rows}}
    assert dict(zip(keys.tolist(), joined.to_pylist(), strict=True)) == want


def _share_word_scalar(a: str, b: str) -> bool:
    """The former per-pair scorer `share_a_word` replaced: the oracle it must agree with."""
    from rapidfuzz import fuzz, process

    def glued_in(word: str, longer: str) -> bool:
        n = len(word)
        if len(longer) <= n:
            return False
        return any(
            fuzz.ratio(word, part) >= WORD_SIMILARITY
            for k in (n - 1, n, n + 1)
            if k < len(longer)
            for part in (longer[:k], longer[-k:])
        )

    words_a, words_b = a.split(), b.split()
    for x in words_a:
        if process.extractOne(x, words_b, scorer=fuzz.ratio, score_cutoff=WORD_SIMILARITY) is not None:
            return True
    return any(
        len(x) >= GLUED_WORD and any(glued_in(x, y) for y in long)
        for short, long in ((words_a, words_b), (words_b, words_a))
        for x in short
    )


_WORDS = st.sampled_from(
    [
        "philips",
        "phillips",
        "philps",
        "philipsgloeilampenfabrieken",
        "gloeilampen",
        "acme",
        "acmeco",
        "ab",
        "abcde",
        "abcdef",
        "abcdefg",
        "xabcde",
        "abcdex",
        "koninklijke",
        "electronics",
        "żółw",
        "żółwik",
        "e",
        "ü",
    ]
)
_NAME = st.lists(st.one_of(_WORDS, st.text(alphabet="abcdeżł", min_size=1, max_size=9)), min_size=1, max_size=4)


@examples(200)
@given(st.lists(st.tuples(_NAME, _NAME), min_size=1, max_size=25), st.data())
def test_shared_words_are_the_pairwise_scorers(pairs: list[tuple[list[str], list[str]]], data) -> None:
    names = [" ".join(words) for pair in pairs for words in pair]
    codes, uniques = pd.factorize(pd.Series(names, dtype="string[pyarrow]"))
    coded = Coded(codes.astype(np.int32), uniques)
    i = np.arange(0, len(names), 2)
    j = i + 1
    missing = data.draw(st.lists(st.booleans(), min_size=len(i), max_size=len(i)))
    ca = np.where(missing, -1, codes[i]).astype(np.int32)
    got = share_a_word(ca, codes[j].astype(np.int32), coded)
    want = [not gone and _share_word_scalar(names[a], names[b]) for a, b, gone in zip(i, j, missing, strict=True)]
    assert got.tolist() == want


def test_shared_words_at_each_edge_of_the_glued_rule(monkeypatch) -> None:
    pairs = [
        ("abcdex co", "abcdefg"),  # the start of the longer word one letter shorter: meets
        ("xabcde", "gfabcde"),  # its end one letter shorter: meets
        ("abcd", "abcdefgh"),  # a word shorter than GLUED_WORD: no
        ("abcdef", "abcdefx"),  # one typo apart as whole words: meets
        ("abcdef", "abcdxyzw"),  # no
    ]
    names = [name for pair in pairs for name in pair]
    codes, uniques = pd.factorize(pd.Series(names, dtype="string[pyarrow]"))
    i = np.arange(0, len(names), 2)
    got = share_a_word(codes[i].astype(np.int32), codes[i + 1].astype(np.int32), Coded(codes, uniques))
    assert got.tolist() == [_share_word_scalar(a, b) for a, b in pairs] == [True, True, False, True, False]
    monkeypatch.setattr(compare, "NAME_PAIRS_CHUNK", 2)  # the pairs of names in three parts: the same verdicts
    chunked = share_a_word(codes[i].astype(np.int32), codes[i + 1].astype(np.int32), Coded(codes, uniques))
    assert chunked.tolist() == got.tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_NAME, _NAME), min_size=1, max_size=25), st.integers(1, 4))
def test_each_pair_of_words_is_decided_once_across_chunks(pairs, chunk: int) -> None:
    """The chunks of name pairs ask for the same pairs of words again: each is decided once per call, and
    the verdicts are those of one chunk."""
    names = [" ".join(words) for pair in pairs for words in pair]
    codes, uniques = pd.factorize(pd.Series(names, dtype="string[pyarrow]"))
    i = np.arange(0, len(names), 2)
    whole = share_a_word(codes[i].astype(np.int32), codes[i + 1].astype(np.int32), Coded(codes, uniques))
    asked: list[tuple[str, str]] = []
    decide = compare._words_meet

    def counted(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        asked.extend(zip(xs.tolist(), ys.tolist(), strict=True))
        return decide(xs, ys)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compare, "NAME_PAIRS_CHUNK", chunk)
        patch.setattr(compare, "_words_meet", counted)
        chunked = share_a_word(codes[i].astype(np.int32), codes[i + 1].astype(np.int32), Coded(codes, uniques))
    assert chunked.tolist() == whole.tolist()
    assert len(asked) == len(set(asked))
