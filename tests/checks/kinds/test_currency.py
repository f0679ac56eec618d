"""`currency`: ISO 4217 codes, upper case and exact."""

from __future__ import annotations


def test_examples(examples_hold) -> None:
    examples_hold("currency")


def test_codes(run) -> None:
    assert run("currency", ["PLN", "EUR", "USD", "CHF", "JPY", None]) == [True] * 6
    assert run("currency", ["pln", "Eur", "zł", "zl", "$", "€", "£", "US$", "XYZ", " PLN", "", "PLN "]) == [False] * 12


def test_suggestions(suggest) -> None:
    got = suggest("currency", ["pln", "zł", "zl", "$", "€", "£", "US$", "XYZ", " eur ", "kr", "¥"])
    assert got == ["PLN", "PLN", "PLN", "USD", "EUR", "GBP", "USD", None, "EUR", None, None]
