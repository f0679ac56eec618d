"""u's random pairs are compared for their levels alone (`Comparator.sample_levels`): each pair of values scored
as it comes, an e-mail's far apart local parts given up early, no similarities kept; and a small vocabulary's
token-set matrix is made from each value's words. Every level equals `compare`'s."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_examples import examples
from rapidfuzz import fuzz, process

from auditor.dedupe import compare
from auditor.dedupe import fellegi_sunter as fs
from auditor.dedupe.compare import Coded, Comparator, ValuePairs, pair_similarity
from auditor.dedupe.features import prepare

FIRST = ("Anna", "Jan", "Ewa", "Piotr", "Anne", "Jon", "Eva", "Petr", "")
LAST = ("Nowak", "Kowalska", "Lis", "Nowack", "Kowalski", "Liss", "")
STREETS = ("ul. Długa 5", "Długa 5 m. 3", "Main Street 12", "Main St 12", "Rue de la Paix 1", "", "12 Main")
DOMAINS = ("acme.com", "gmail.com", "globex.pl")


def _contacts(rng: np.random.Generator, n: int) -> pd.DataFrame:
    first = rng.choice(FIRST, n)
    last = rng.choice(LAST, n)
    locals_ = [
        f"{f[:k]}.{la}{d}".lower()
        for f, la, k, d in zip(first, last, rng.integers(0, 5, n), rng.integers(0, 99, n), strict=True)
    ]
    return pd.DataFrame(
        {
            "contact_id": [f"C{k}" for k in range(n)],
            "first_name": first,
            "last_name": last,
            "email": [
                f"{loc}@{dom}" if k % 7 else ""
                for k, (loc, dom) in enumerate(zip(locals_, rng.choice(DOMAINS, n), strict=True))
            ],
            "street": rng.choice(STREETS, n),
            "birth_date": [f"19{d:02d}-0{1 + d % 9}-1{d % 10}" if d % 5 else "" for d in rng.integers(0, 99, n)],
            "country": rng.choice(("PL", "DE", ""), n),
        }
    )


@examples(25)
@given(st.integers(0, 2**32 - 1), st.integers(5, 120))
def test_oracle_sample_levels_equal_compares_levels(seed: int, n: int) -> None:
    """Oracle test (`compare`, the straightforward path, holds on the code before too): the sample's levels are
    `compare`'s, whichever way each similarity went (a matrix, each pair, a cutoff)."""
    rng = np.random.default_rng(seed)
    prepared = prepare(_contacts(rng, n), "contacts")
    i, j = rng.integers(0, n, 300), rng.integers(0, n, 300)
    expected = Comparator(prepared).compare(i, j).levels
    np.testing.assert_array_equal(Comparator(prepared).sample_levels(i, j), expected)


def test_the_sample_scores_each_pair_of_values_as_it_comes(monkeypatch) -> None:
    """Fails on the code before: the random pairs' value pairs were hashed to score each distinct pair once,
    though nearly all of them are met once."""
    rng = np.random.default_rng(7)
    prepared = prepare(_contacts(rng, 60), "contacts")
    comparator = Comparator(prepared)
    hashed: list[int] = []
    distinct = ValuePairs.distinct

    def counting(self, size):
        hashed.append(size)
        return distinct(self, size)

    monkeypatch.setattr(ValuePairs, "distinct", counting)
    i, j = rng.integers(0, 60, 40), rng.integers(0, 60, 40)
    comparator.sample_levels(i, j)
    assert hashed == []
    comparator.compare(i, j)
    assert hashed, "compare scores each distinct pair of values once"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="ab cdé\t\xa0", max_size=10), min_size=2, max_size=25), st.floats(0.0, 0.99))
def test_oracle_a_cutoff_keeps_every_similarity_at_or_above_it(words: list[str], cutoff: float) -> None:
    """Oracle test against rapidfuzz pair by pair: with `sample` and a cutoff, a similarity at or above the
    cutoff is rapidfuzz's and one below it reads below the cutoff."""
    codes, uniques = pd.factorize(pd.Series(words, dtype="string[pyarrow]"))
    coded = Coded(codes.astype(np.int32), uniques)
    rng = np.random.default_rng(len(words))
    i, j = rng.integers(0, len(words), 30), rng.integers(0, len(words), 30)
    scorer = compare.JaroWinkler.normalized_similarity
    got = pair_similarity(coded.codes[i], coded.codes[j], coded, scorer, sample=True, cutoff=cutoff)
    alone = process.cpdist([words[k] for k in i], [words[k] for k in j], scorer=scorer, dtype=np.float32, workers=1)
    differ = np.array([words[a] != words[b] for a, b in zip(i, j, strict=True)])
    # rapidfuzz compares with the cutoff in doubles, the float32 results are a rounding away from them
    high, low = differ & (alone > cutoff + 1e-6), differ & (alone < cutoff - 1e-6)
    np.testing.assert_array_equal(got[high], alone[high])
    assert (got[low] < cutoff).all()


def test_the_token_set_matrix_is_made_from_the_values_words(monkeypatch) -> None:
    """Fails on the code before: rapidfuzz's cdist split both values of every pair into words again. The
    matrix equals rapidfuzz's token-set ratio of every two values."""
    names = [f"{a} {b}" for a in ("acme", "globex", "initech", "umbrella") for b in ("holding", "sp z o o", "gmbh", "")]
    codes, uniques = pd.factorize(pd.Series(names, dtype="string[pyarrow]"))
    coded = Coded(codes.astype(np.int32), uniques)
    cdist = process.cdist

    def refusing(queries, choices, **kwargs):
        assert kwargs["scorer"] is not fuzz.token_set_ratio
        return cdist(queries, choices, **kwargs)

    monkeypatch.setattr(compare.process, "cdist", refusing)
    matrix = coded.similarity_matrix(fuzz.token_set_ratio, pairs=10**6)
    expected = cdist(names, names, scorer=fuzz.token_set_ratio, dtype=np.float32)
    lo, hi = np.triu_indices(len(names), 1)
    np.testing.assert_array_equal(matrix[lo, hi], expected[lo, hi])
    np.testing.assert_array_equal(matrix[hi, lo], expected[hi, lo])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-1, 4), st.integers(-1, 2), st.floats(0, 1e6)), max_size=60), st.booleans())
def test_oracle_level_counts_are_the_counts_of_the_present_levels(rows, weighted: bool) -> None:
    """Oracle test against the masked count (the code before): per comparison, how many pairs (or how much
    weight) reach each level, a missing level (-1) left out, in the same floating-point sums."""
    levels = np.array([r[:2] for r in rows], dtype=np.int8).reshape(len(rows), 2)
    weights = np.array([r[2] for r in rows]) if weighted else None
    got = fs.level_counts(np.asfortranarray(levels), [5, 3], weights)
    for k, size in enumerate((5, 3)):
        ok = levels[:, k] >= 0
        want = np.bincount(levels[ok, k], weights=None if weights is None else weights[ok], minlength=size)[:size]
        np.testing.assert_array_equal(got[k], want)
        # numpy counts no values in integers, weighted or not: the type is the same where some level is present
        assert got[k].dtype == want.dtype or not ok.any()


LETTERS = st.text(alphabet=st.sampled_from("abcab.-_1\u00e9\u0142Aa\u3042 "), max_size=12)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.one_of(LETTERS, st.builds(lambda k: "a" * k, st.integers(250, 300))), min_size=2, max_size=20),
    st.floats(0.5, 1.0),
    st.booleans(),
)
def test_oracle_letters_rule_out_only_pairs_below_the_similarity(
    words: list[str], similarity: float, ratio: bool
) -> None:
    """Oracle test against rapidfuzz pair by pair, Jaro-Winkler (`may_reach`) and the Indel ratio
    (`ratio_may_reach`, 0-100): a pair the letters rule out is below the similarity (long values, empty ones,
    letters of one bin)."""
    codes, uniques = pd.factorize(pd.Series(words, dtype="string[pyarrow]"))
    coded = Coded(codes.astype(np.int32), uniques)
    values = coded.objects.tolist()
    left, right = np.triu_indices(len(values), 1)
    if ratio:
        similarity *= 100.0
        may, scorer = coded.ratio_may_reach(left, right, similarity), fuzz.ratio
    else:
        may, scorer = coded.may_reach(left, right, similarity), compare.JaroWinkler.normalized_similarity
    sims = process.cpdist([values[k] for k in left], [values[k] for k in right], scorer=scorer, dtype=np.float64)
    assert (sims[~may] < similarity).all()


def test_letters_rule_out_most_random_pairs_of_e_mail_local_parts() -> None:
    """The bound is tight enough to spare rapidfuzz: random pairs of distinct local parts are mostly ruled out
    at the e-mail's cutoff, and a typo is not."""
    rng = np.random.default_rng(5)
    locals_ = sorted({f"{rng.choice(FIRST[:-1]).lower()}.{rng.choice(LAST[:-1]).lower()}{k}" for k in range(300)})
    locals_ += ["anna.nowak", "anna.nowka"]
    coded = Coded(np.arange(len(locals_), dtype=np.int32), pd.array(locals_, dtype="string[pyarrow]"))
    left, right = rng.integers(0, len(locals_), 2000), rng.integers(0, len(locals_), 2000)
    assert coded.may_reach(left, right, 0.91).mean() < 0.5
    assert coded.may_reach(np.array([len(locals_) - 2]), np.array([len(locals_) - 1]), 0.91).all()


def test_a_small_call_scores_on_one_core_and_a_large_one_on_all(monkeypatch) -> None:
    """Fails on the code before: every call started rapidfuzz's threads, which cost a small table's few hundred
    candidate pairs more than scoring them."""
    asked: list[int] = []
    cpdist = process.cpdist

    def recording(*args, **kwargs):
        asked.append(kwargs["workers"])
        return cpdist(*args, **kwargs)

    monkeypatch.setattr(compare.process, "cpdist", recording)
    words = [f"name{k}" for k in range(30_000)]
    coded = Coded(np.arange(len(words), dtype=np.int32), pd.array(words, dtype="string[pyarrow]"))
    few, many = np.arange(0, 20, 2), np.arange(0, 30_000, 2)
    scorer = compare.JaroWinkler.normalized_similarity
    pair_similarity(few.astype(np.int32), (few + 1).astype(np.int32), coded, scorer)
    pair_similarity(many.astype(np.int32), (many + 1).astype(np.int32), coded, scorer)
    assert asked == [1, -1]


def _shared_by_counting(a: str, b: str) -> float:
    """The letters two values share as `Coded.shared_letters` defines them, counted per pair: per bin of code
    points (mod 32) the smaller of the two counts, summed; infinite for a value of more than 255 characters."""
    if len(a) > 255 or len(b) > 255:
        return np.inf
    bins_a, bins_b = (np.bincount([ord(c) % compare.LETTER_BINS for c in v], minlength=32) for v in (a, b))
    return float(np.minimum(bins_a, bins_b).sum())


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(
            LETTERS,
            st.builds(lambda c, k: c * k, st.sampled_from("a@\u0101 "), st.integers(200, 300)),
            st.text(max_size=260),
        ),
        min_size=1,
        max_size=16,
    )
)
def test_oracle_shared_letters_against_counting_each_pair(words: list[str]) -> None:
    """Oracle test: the letters two values share, summed as bytes of four words, equal the counts compared bin by
    bin pair by pair (values of 255 characters of one bin, of more, empty ones, any code point)."""
    codes, uniques = pd.factorize(pd.Series(words, dtype="string[pyarrow]"))
    coded = Coded(codes.astype(np.int32), uniques)
    values = coded.objects.tolist()
    left, right = (side.ravel() for side in np.indices((len(values), len(values))))
    shared, la, lb = coded.shared_letters(left, right)
    want = [_shared_by_counting(values[a], values[b]) for a, b in zip(left, right, strict=True)]
    np.testing.assert_array_equal(shared, np.array(want, dtype=np.float32))
    assert shared.dtype == np.float32
    np.testing.assert_array_equal(la, [len(values[a]) for a in left])
    np.testing.assert_array_equal(lb, [len(values[b]) for b in right])
