"""The misspelt kind's dictionaries: the fast paths answer as the slow ones they replaced (pyspellchecker's
checker read from the file as a local dictionary, and each other language's keys as written)."""

from __future__ import annotations

import gzip
import json
import re
from importlib.resources import files
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import DamerauLevenshtein
from spellchecker import SpellChecker

from auditor.checks.kinds._dictionary import Words, cache_directory, cached_words, correction, keys_as_written
from auditor.checks.kinds.misspelt import LANGUAGES, _english, _words

_RESOURCES = files("spellchecker") / "resources"


@pytest.fixture(scope="module")
def german_keys() -> set[str]:
    with gzip.open(str(files("spellchecker") / "resources" / "de.json.gz"), "rt", encoding="utf-8") as handle:
        return set(json.load(handle))


@pytest.fixture(scope="module")
def two_edits() -> SpellChecker:
    return SpellChecker(language="en")  # the library's default distance


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_each_other_language_is_read_as_sorted_words(language: str) -> None:
    assert isinstance(_words(language), Words)


def test_a_file_word_is_known_exactly_as_the_parsed_file_knows_it(german_keys: set[str]) -> None:
    words = _words("de")
    for word in ["aachen", "aachenerin", "üppigstes", "straße", "häuser", "hauser", "aache", "achen", "zzzzz", ""]:
        assert (word in words) == (word in german_keys), word
    assert 42 not in words


def test_oracle_every_key_of_a_file_is_known_and_no_other(german_keys: set[str]) -> None:
    words = _words("de")
    assert words.known(sorted(german_keys)) == sorted(german_keys)
    others = [w + "x" for w in sorted(german_keys)[::97]] + [w[1:] for w in sorted(german_keys)[::89]]
    assert words.known(others) == [w for w in others if w in german_keys]


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(sorted(["aachener", "grundstück", "übermäßig", "wohnung", "strasse"])), st.text(max_size=3))
def test_a_word_is_known_only_whole(german_keys: set[str], word: str, noise: str) -> None:
    for candidate in (word, word + noise, noise + word, word[:-1]):
        assert (candidate in _words("de")) == (candidate in german_keys)


def _parsed_words(parsed: tuple) -> list[bytes]:  # type: ignore[type-arg]
    text, starts, lengths = parsed[:3]
    return [text[start : start + length] for start, length in zip(starts.tolist(), lengths.tolist(), strict=True)]


def test_another_format_is_parsed_and_its_keys_lower_cased_as_the_language_s_loader_reads_them() -> None:
    assert _parsed_words(keys_as_written(b'{"a": 1, "B": 2}')) == [b"a", b"b"]
    assert _parsed_words(keys_as_written(b'{\n"caf\\u00e9": 1\n}')) == ["café".encode()]
    assert _parsed_words(keys_as_written(b'{\n"Caf": 1,\n"b": 2\n}')) == [b"Caf", b"b"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"\n", b'"', b":", b"a", b"\xc3\xa9", b" ", b"1", b","]), max_size=40))
def test_oracle_keys_are_read_off_the_lines_as_the_regex_reads_them(pieces: list[bytes]) -> None:
    raw = b"{\n" + b"".join(pieces)
    assert _parsed_words(keys_as_written(raw)) == re.findall(rb'\n"([^"\n]*)":', raw)


@pytest.mark.parametrize(
    "word",
    # found one edit away; two edits away (rejected); none within two; another first letter; a long word
    ["surburban", "newsleter", "webinarr", "cammpaign", "xqzvbnmkl", "urbann", "fwebinar", "multichanel"],
)
def test_a_distance_one_correction_corrects_as_the_default_checker_after_its_filter(
    two_edits: SpellChecker, word: str
) -> None:
    """The kind keeps a correction only one edit away with the same first letter: a checker looking two
    edits away (the library's default, half a second for a word with no neighbour) keeps the same ones."""

    def kept(fixed: str | None) -> str | None:
        ok = fixed and fixed[0] == word[0] and DamerauLevenshtein.distance(fixed, word) == 1
        return fixed if ok else None

    assert kept(correction(_english(), word)) == kept(two_edits.correction(word))


@pytest.fixture(scope="module")
def english_checker() -> SpellChecker:
    """The checker the kind used before its dictionaries were cached: the file read as a local one, distance 1."""
    return SpellChecker(language=None, local_dictionary=str(_RESOURCES / "en.json.gz"), distance=1)


def test_oracle_the_cached_english_words_are_the_local_checker_s(english_checker: SpellChecker) -> None:
    own = english_checker.word_frequency
    words = _english()
    assert words.known(list(own.dictionary)) == list(own.dictionary)
    assert all(words.count(w) == c for w, c in list(own.dictionary.items())[::53])
    assert set(words.letters) == own.letters and words.longest == own.longest_word_length
    assert "zzzqqq" not in words and words.count("zzzqqq") == 0


def _edited(word: str, edit: int, at: int, letter: str) -> str:
    at %= len(word) + 1
    return [
        word[:at] + word[at + 1 :],
        word[:at] + letter + word[at + 1 :],
        word[:at] + letter + word[at:],
        word[:at] + word[at + 1 : at + 2] + word[at : at + 1] + word[at + 2 :],
    ][edit]


def _tied(checker: SpellChecker, word: str) -> set[str] | None:
    """The corrections pyspellchecker may give `word` (several when its candidates tie on frequency)."""
    fixed = checker.correction(word)
    candidates = checker.candidates(word)
    if fixed is None or candidates is None or fixed == word:
        return {fixed}
    pool = [c for c in candidates if checker._remove_diacritics(c) == checker._remove_diacritics(word)] or candidates
    return {c for c in pool if checker[c] == checker[fixed]}


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["suburban", "proposal", "negotiation", "qualification", "webinar", "campaign", "naïve", "a"]),
    st.integers(0, 3),
    st.integers(0, 20),
    st.sampled_from("aeiouxyzäé1-' "),
)
def test_oracle_a_correction_is_the_local_checker_s(
    english_checker: SpellChecker, word: str, edit: int, at: int, letter: str
) -> None:
    for asked in (word, _edited(word, edit, at, letter), word.upper(), "1.5", "nan", "!"):
        assert correction(_english(), asked) in _tied(english_checker, asked), asked


def _gzipped_json(path: Path, words: dict[str, int]) -> Path:
    path.write_bytes(gzip.compress(("{\n" + ",\n".join(f'"{w}": {c}' for w, c in words.items()) + "\n}").encode()))
    return path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.text(st.sampled_from("abcAéÉß"), min_size=1, max_size=5), st.integers(1, 4), min_size=1, max_size=25
    ),
    st.lists(st.text(st.sampled_from("abcAéÉßx"), max_size=6), max_size=8),
)
def test_oracle_a_small_dictionary_corrects_as_the_local_checker(
    tmp_path_factory, monkeypatch, words: dict[str, int], asked: list[str]
) -> None:
    """Words that differ only in case (the later count kept), accents, ties on frequency, unknown letters."""
    folder = tmp_path_factory.mktemp("words")
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder / "cache"))  # set again for each example: its own directory
    source = _gzipped_json(folder / "xx.json.gz", words)
    checker = SpellChecker(language=None, local_dictionary=str(source), distance=1)
    cached = cached_words("xx", source.read_bytes(), "lowered")
    assert cached.known(list(checker.word_frequency.dictionary)) == list(checker.word_frequency.dictionary)
    for word in [*asked, *words]:
        assert (word.lower() in cached) == (word in checker), word
        assert correction(cached, word) in _tied(checker, word), word


def test_a_dictionary_is_made_once_then_read_from_the_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    source = _gzipped_json(tmp_path / "xx.json.gz", {"Alpha": 3, "beta": 2, "gamma": 1})
    first = cached_words("xx", source.read_bytes(), "keys")
    assert [p.name.split("-")[:2] for p in cache_directory().iterdir()] == [["xx", "keys"]]
    monkeypatch.setattr(gzip, "decompress", lambda *a: pytest.fail("parsed again"))
    again = cached_words("xx", source.read_bytes(), "keys")
    assert [w in again for w in ("Alpha", "alpha", "beta", "gamm")] == [
        w in first for w in ("Alpha", "alpha", "beta", "gamm")
    ]
    assert [w in again for w in ("Alpha", "alpha", "beta", "gamm")] == [True, False, True, False]


def test_another_content_another_cache_file_and_a_broken_one_made_again(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    one = _gzipped_json(tmp_path / "one.json.gz", {"alpha": 1})
    two = _gzipped_json(tmp_path / "two.json.gz", {"beta": 1})
    assert "alpha" in cached_words("xx", one.read_bytes(), "lowered")
    assert "beta" in cached_words("xx", two.read_bytes(), "lowered")
    files_made = sorted(cache_directory().iterdir())
    assert len(files_made) == 2
    for made in files_made:
        made.write_bytes(b"truncated")
    assert "alpha" in cached_words("xx", one.read_bytes(), "lowered")
    assert sorted(cache_directory().iterdir()) == files_made
    assert sorted(made.read_bytes() == b"truncated" for made in files_made) == [False, True]


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path, monkeypatch) -> None:
    (tmp_path / "file").write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    source = _gzipped_json(tmp_path / "xx.json.gz", {"alpha": 2, "alphas": 1})
    words = cached_words("xx", source.read_bytes(), "lowered")
    assert "alpha" in words and words.count("alphas") == 1 and correction(words, "alpga") == "alpha"


def test_columns_are_judged_per_distinct_cell_not_as_rows_of_objects(run, monkeypatch) -> None:
    monkeypatch.setattr(pd.Series, "isna", lambda self: pytest.fail("a row's correction read as an object"))
    judged = ["Urban", "Rural", "Webinar", "Upsell"] * 30 + ["Surburban", None]
    assert run("misspelt", judged, field="zip_code") == [True] * 120 + [False, True]
    assert all(run("misspelt", [f"C{i:05d}" for i in range(200)], field="zip_code"))
