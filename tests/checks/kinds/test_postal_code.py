"""`postal_code`: per-country patterns, countries without one are not evaluated."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.kinds._countries import resolve_country
from auditor.checks.kinds.postal_code import PATTERNS

P = {"country_field": "country"}


def test_examples(examples_hold) -> None:
    examples_hold("postal_code")


def test_patterns_per_country(run) -> None:
    rows = [
        ("00-950", "PL", True),
        ("00950", "PL", False),
        ("12345", "US", True),
        ("12345-6789", "US", True),
        ("1234", "US", False),
        ("SW1A 1AA", "GB", True),
        ("sw1a1aa", "GB", True),
        ("EC1A 1BB", "UK", True),
        ("SW1A 1A", "GB", False),
        ("10115", "Deutschland", True),
        ("1011", "DE", False),
        ("75008", "FR", True),
        ("110 00", "CZ", True),
        ("11000", "Czechy", True),
        ("1012 AB", "NL", True),
        ("1012ab", "NL", True),
        ("28013", "ES", True),
        ("60000", "ES", False),
        ("00184", "IT", True),
        ("1010", "AT", True),
        ("8001", "CH", True),
        ("114 55", "SE", True),
        ("K1A 0B1", "CA", True),
        ("D02 X285", "IE", True),
        ("1000-001", "PT", True),
        ("anything", "MN", True),
        ("31-042", None, True),
        ("31042", None, False),
        (" 00-950 ", "PL", True),
        (None, "PL", True),
    ]
    got = run("postal_code", [r[0] for r in rows], P, country=[r[1] for r in rows])
    assert got == [r[2] for r in rows]


def test_default_region_is_used_without_a_country_field(run) -> None:
    assert run("postal_code", ["00-950", "10115"], {}) == [True, False]
    assert run("postal_code", ["00-950", "10115"], {}, default_region="DE") == [False, True]


def test_patterns_parameter_overrides(run) -> None:
    got = run(
        "postal_code",
        ["123", "ABC"],
        {"country_field": "country", "patterns": {"mn": "[0-9]{3}"}},
        country=["MN", "MN"],
    )
    assert got == [True, False]


def test_suggestions(suggest) -> None:
    got = suggest(
        "postal_code",
        ["00950", "sw1a1aa", "SW1A-1AA", "1234", "123456789", "1012ab", "k1a0b1", "9"],
        P,
        country=["PL", "GB", "GB", "US", "US", "NL", "CA", "PL"],
    )
    assert got == ["00-950", "SW1A 1AA", "SW1A 1AA", None, "12345-6789", "1012 AB", "K1A 0B1", None]


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet="0123456789- ABDEGNSWXaw", max_size=9),
            st.sampled_from(["PL", "US", "GB", "DE", "NL", "CZ", "ES", "CA", "IE", "PT", "LT", "Polska", "MN", None]),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_vectorized_check_equals_python_re(run, rows: list[tuple[str, str | None]]) -> None:
    def reference(value: str, country: str | None) -> bool:
        region = (resolve_country(country) if country else None) or "PL"
        pattern = PATTERNS.get(region)
        return pattern is None or re.fullmatch(f"(?:{pattern})", value.strip(" \t\n\r\x0b\x0c"), re.I) is not None

    got = run("postal_code", [v for v, _ in rows], P, country=[c for _, c in rows])
    assert got == [reference(v, c) for v, c in rows]
