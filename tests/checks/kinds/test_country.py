"""`country`: codes and names in many spellings; fuzzy suggestions."""

from __future__ import annotations

import pycountry
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.kinds._countries import ALTERNATE_NAMES, known_names, resolve_country


def test_examples(examples_hold) -> None:
    examples_hold("country")


def test_codes_and_names_pass(run) -> None:
    ok = [
        "PL",
        "pl",
        "POL",
        "Poland",
        "Republic of Poland",
        "Polska",
        "DEUTSCHLAND",
        "Niemcy",
        "Francja",
        "Wielka Brytania",
        "UK",
        "USA",
        "U.S.A.",
        "United States of America",
        "Czechy",
        "Czech Republic",
        "Holland",
        "España",
        "Italia",
        "Schweiz",
        "Österreich",
        "  Germany ",
        "Bolivia",
        "Viet Nam",
        None,
    ]
    assert run("country", ok) == [True] * len(ok)


def test_non_countries_fail(run) -> None:
    bad = ["Polnad", "XX", "Mars", "n/a", "", "-", "Warszawa", "Europe", "P L"]
    assert run("country", bad) == [False] * len(bad)


def test_fuzzy_suggestions(suggest) -> None:
    got = suggest("country", ["Polnad", "Germny", "Frnace", "Untied States", "Austrai", "Mars", "XX", "n/a", "pl"])
    assert got == ["PL", "DE", "FR", "US", None, None, None, None, "PL"]


_NAMES = sorted(known_names())


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(_NAMES).map(lambda n: n.upper()),
            st.sampled_from(_NAMES).map(lambda n: f"  {n.title()} "),
            st.text(alphabet="abcdeilnopsuyz. ", max_size=8),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_vectorized_check_equals_the_lookup(run, values: list[str]) -> None:
    assert run("country", values) == [resolve_country(v) is not None for v in values]


def test_every_alternate_name_is_a_real_code() -> None:
    codes = {c.alpha_2 for c in pycountry.countries}
    assert set(ALTERNATE_NAMES.values()) <= codes
