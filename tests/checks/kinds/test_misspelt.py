"""The misspelt kind's dictionaries: the fast paths answer as the slow ones they replaced."""

from __future__ import annotations

import gzip
import json
from importlib.resources import files

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import DamerauLevenshtein
from spellchecker import SpellChecker
from spellchecker.spellchecker import WordFrequency

from auditor.checks.kinds.misspelt import LANGUAGES, _checker, _FileWords, _words


@pytest.fixture(scope="module")
def german_keys() -> set[str]:
    with gzip.open(str(files("spellchecker") / "resources" / "de.json.gz"), "rt", encoding="utf-8") as handle:
        return set(json.load(handle))


@pytest.fixture(scope="module")
def two_edits() -> SpellChecker:
    return SpellChecker(language="en")  # the library's default distance


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_each_other_language_is_searched_in_its_file(language: str) -> None:
    assert isinstance(_words(language), _FileWords)


def test_a_file_word_is_known_exactly_as_the_parsed_file_knows_it(german_keys: set[str]) -> None:
    words = _words("de")
    for word in ["aachen", "aachenerin", "üppigstes", "straße", "häuser", "hauser", "aache", "achen", "zzzzz"]:
        assert (word in words) == (word in german_keys), word
    assert 42 not in words


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(sorted(["aachener", "grundstück", "übermäßig", "wohnung", "strasse"])), st.text(max_size=3))
def test_a_word_is_known_only_whole(german_keys: set[str], word: str, noise: str) -> None:
    for candidate in (word, word + noise, noise + word, word[:-1]):
        assert (candidate in _words("de")) == (candidate in german_keys)


def test_another_format_falls_back_to_the_parsed_dictionary() -> None:
    with pytest.raises(ValueError, match="format"):
        _FileWords(b'{"a": 1, "b": 2}')
    with pytest.raises(ValueError, match="format"):
        _FileWords(b'{\n"caf\\u00e9": 1\n}')


@pytest.mark.parametrize(
    "word",
    # found one edit away; two edits away (rejected); none within two; another first letter; a long word
    ["surburban", "newsleter", "webinarr", "cammpaign", "xqzvbnmkl", "urbann", "fwebinar", "multichanel"],
)
def test_a_distance_one_checker_corrects_as_the_default_one_after_its_filter(
    two_edits: SpellChecker, word: str
) -> None:
    """The kind keeps a correction only one edit away with the same first letter: a checker looking two
    edits away (the library's default, half a second for a word with no neighbour) keeps the same ones."""

    def kept(checker: SpellChecker) -> str | None:
        fixed = checker.correction(word)
        ok = fixed and fixed[0] == word[0] and DamerauLevenshtein.distance(fixed, word) == 1
        return fixed if ok else None

    assert kept(_checker("en")) == kept(two_edits)


def test_columns_are_judged_per_distinct_cell_not_as_rows_of_objects(run, monkeypatch) -> None:
    monkeypatch.setattr(pd.Series, "isna", lambda self: pytest.fail("a row's correction read as an object"))
    judged = ["Urban", "Rural", "Webinar", "Upsell"] * 30 + ["Surburban", None]
    assert run("misspelt", judged, field="zip_code") == [True] * 120 + [False, True]
    assert all(run("misspelt", [f"C{i:05d}" for i in range(200)], field="zip_code"))


def test_oracle_the_english_checker_read_as_a_local_file_has_the_language_s_own_dictionary() -> None:
    """Its text lower-cased at once, not its words key by key: the same words in the same order, the same counts
    and letters, as long as no two words of the file differ only in case (the language's loader sums those)."""
    own = SpellChecker(language="en", distance=1).word_frequency
    read = _checker("en").word_frequency
    assert list(read.dictionary.items()) == list(own.dictionary.items())
    assert read.letters == own.letters and read.total_words == own.total_words


def test_the_english_dictionary_is_not_lower_cased_word_by_word(monkeypatch) -> None:
    monkeypatch.setattr(WordFrequency, "load_json", lambda *a: pytest.fail("lower-cased word by word"))
    _checker.cache_clear()
    try:
        assert "suburban" in _checker("en")
    finally:
        _checker.cache_clear()
