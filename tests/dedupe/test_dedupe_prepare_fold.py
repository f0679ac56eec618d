"""A text is prepared for company names, streets and cities (`normalize._prepare`) by looking up each character's
folded form, made once per character, instead of folding the whole text in rounds until it settles."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

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
