"""A text is prepared for company names, streets and cities (`normalize._prepare`) by looking up each character's
folded form, made once per character, instead of folding the whole text in rounds until it settles; a name's
one-letter tokens are glued without an end marker (`normalize._glue_initials`); a company name's numbers are read
word by word only when a digit or a Roman numeral may be there; its key words are ranked once for both keys."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.dedupe import features
from auditor.dedupe import normalize as nz

_TRICKY = "ŁłßøÆœıİÅåḈ\u0301\u0327\u0323ǅǄﬁﬃŉΣσςﾊﾟ가각\u1100\u1161\u11a8Ωℌ①½ǰ'’`"


def _straightforward(text: str) -> str:
    """`_prepare` as it was: the whole text folded until it settles (four rounds at most)."""
    if text.isascii():
        return nz._APOSTROPHES.sub("", text.lower())
    return nz._APOSTROPHES.sub("", nz._fold_rounds(text))


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.one_of(st.sampled_from(_TRICKY), st.characters(codec="utf-8")), max_size=30))
def test_oracle_prepared_text_equals_the_text_folded_in_rounds(text: str) -> None:
    """Oracle test against the whole text folded in rounds (combining marks before and after their letters,
    letters that case-fold or decompose into several, Hangul, ligatures, final sigma)."""
    assert nz._prepare(text) == _straightforward(text)


def test_oracle_every_character_of_the_basic_plane_prepares_as_before() -> None:
    for point in range(0x10000):
        if 0xD800 <= point <= 0xDFFF:  # surrogates are no text
            continue
        c = chr(point)
        assert nz._prepare(c + "a" + c) == _straightforward(c + "a" + c), hex(point)


def test_a_character_is_folded_once(monkeypatch) -> None:
    """Fails on the code before: every text folded its characters again, in up to four rounds."""
    calls: list[str] = []
    real = nz.fold_text

    def counting(text: str) -> str:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(nz, "fold_text", counting)
    monkeypatch.setattr(nz, "_FOLDED", nz._FoldedCharacters())
    for _ in range(3):
        nz._prepare("Żółkiewski i Wspólnicy")
    assert len(calls) <= 2 * len(set("żółkiewski i wspólnicy"))
    assert all(len(text) == 1 for text in calls)


def _glue_initials_as_written(tokens: list[str], tails: frozenset[str] = frozenset()) -> list[str]:
    """`_glue_initials` as it was first written: the tokens and an end marker, each run ended by the next token."""
    out: list[str] = []
    run: list[str] = []
    for i, t in enumerate([*tokens, ""]):
        if len(t) == 1 and t.isalpha():
            run.append(t)
            continue
        if len(run) > 1:
            word = "".join(run)
            if tails and i == len(tokens):
                cut = next((k for k in range(len(run) - 2, 1, -1) if word[-k:] in tails), 0)
                out.extend([word[:-cut], word[-cut:]] if cut else [word])
            else:
                out.append(word)
        else:
            out.extend(run)
        run = []
        if t:
            out.append(t)
    return out


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(["a", "b", "n", "v", "z", "o", "1", "é", "_", ""]), st.text(max_size=4))),
    st.sampled_from([frozenset(), frozenset({"nv", "ab", "zoo", "oo"}), nz._legal_tails()]),
)
def test_oracle_initials_glued_as_first_written(tokens: list[str], tails: frozenset[str]) -> None:
    """Oracle test against the form with an end marker (runs inside and at the end, digits and '_' that are no
    letters, empty tokens, legal forms kept apart at the end)."""
    assert nz._glue_initials(tokens, tails) == _glue_initials_as_written(tokens, tails)


def _numbers_word_by_word(name: str) -> str | None:
    """`numbers_of_name` reading every name's words (the form before the digit-or-numeral test)."""
    numbers: list[int] = []
    for i, token in enumerate(name.split(" ")):
        digits = token[:-2] if token[-2:] in ("st", "nd", "rd", "th") and token[:-2].isdecimal() else token
        if digits.isdecimal():
            numbers.append(int(digits))
        elif i > 0 and (r := nz._roman(token)) is not None:
            numbers.append(r)
    return " ".join(str(n) for n in sorted(numbers)) or None


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from("ivxlab 12\u0663\n\u00b2st"), max_size=14))
def test_oracle_numbers_of_a_name_equal_its_words_read_one_by_one(name: str) -> None:
    """Oracle test: Roman numerals after the first word, ordinals, digits of other scripts, line breaks, a
    superscript two (a digit to `str.isdigit`, no decimal)."""
    assert nz.numbers_of_name(name) == _numbers_word_by_word(name)


@examples(150)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["philips electronics", "ab cd efgh", "", " "]), st.text())))
def test_oracle_key_words_equal_one_column_per_word(values: list[str | None]) -> None:
    """Oracle test against one `by_unique_text` per key word, as the keys were made before."""
    names = nz.strings(pd.Series(values, dtype=object))
    expected = [
        nz.by_unique_text(names, lambda v, k=k: w[k] if len(w := features._ranked_words(v)) > k else None)
        for k in range(features.WORD_KEYS)
    ]
    for got, want in zip(features._key_words(names, features.WORD_KEYS), expected, strict=True):
        pd.testing.assert_series_equal(got, want)
