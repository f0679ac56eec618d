"""`casing`: names in ALL CAPS or all lower case; name-aware title case suggestions."""

from __future__ import annotations

import pytest


def test_examples(examples_hold) -> None:
    examples_hold("casing")


def test_title_style(run) -> None:
    ok = [
        "Kowalski",
        "McDonald",
        "O'Brien",
        "van der Berg",
        "de la Cruz",
        "Kowalska-Nowak",
        "Łukasz",
        "J",
        "J.",
        "J.K.",
        "Li",
        "DiCaprio",
        " Anna ",
        "",
        "123",
        None,
    ]
    bad = ["KOWALSKI", "kowalski", "JAN KOWALSKI", "ŁUKASZ", "łukasz", "o'brien", "LI", "de la cruz", "JK"]
    assert run("casing", ok) == [True] * len(ok)
    assert run("casing", bad) == [False] * len(bad)


def test_other_styles(run) -> None:
    assert run("casing", ["ABC", "Abc", "abc"], {"style": "upper"}) == [True, False, False]
    assert run("casing", ["ABC", "Abc", "abc"], {"style": "lower"}) == [False, False, True]
    with pytest.raises(ValueError, match="style"):
        run("casing", ["x"], {"style": "camel"})


def test_title_suggestions(suggest) -> None:
    got = suggest(
        "casing", ["JAN KOWALSKI", "mcdonald", "o'brien", "VAN DER BERG", "kowalska-nowak", "ŁUKASZ", "de la cruz"]
    )
    assert got == ["Jan Kowalski", "McDonald", "O'Brien", "Van der Berg", "Kowalska-Nowak", "Łukasz", "De la Cruz"]
    assert suggest("casing", ["Abc"], {"style": "upper"}) == ["ABC"]
