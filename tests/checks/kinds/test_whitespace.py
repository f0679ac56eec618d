"""`whitespace`: stray, doubled and unusual whitespace."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.kinds.whitespace import tidy


def test_examples(examples_hold) -> None:
    examples_hold("whitespace")


def test_defects(run) -> None:
    bad = [
        " Jan",
        "Jan ",
        "Anna  Maria",
        "Anna\tMaria",
        "Anna\nMaria",
        "Jan\u00a0Kowalski",
        "\u3000Jan",
        "Jan\u200bKowalski",
        "\ufeffJan",
        "Jan\r",
        " ",
    ]
    ok = ["Jan", "Anna Maria", "Jan Kowalski-Nowak", "", "Łódź", None]
    assert run("whitespace", bad) == [False] * len(bad)
    assert run("whitespace", ok) == [True] * len(ok)


def test_suggestions(suggest) -> None:
    got = suggest("whitespace", ["  Anna \t Maria\n", "Jan\u00a0Kowalski", "Jan\u200bKowalski"])
    assert got == ["Anna Maria", "Jan Kowalski", "JanKowalski"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(list("ab \t\n\r\x0b\x0c\x1c\x85\u00a0\u2003\u3000\u200b\ufeffł")), max_size=8),
        min_size=1,
        max_size=25,
    )
)
def test_a_value_passes_exactly_when_tidying_leaves_it_alone(run, values: list[str]) -> None:
    assert run("whitespace", values) == [tidy(v) == v for v in values]
