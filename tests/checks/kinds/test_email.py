"""`email`: edge cases, suggestions, and the fast path against email-validator itself."""

from __future__ import annotations

import email_validator
from hypothesis import given
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.checks.kinds.email import SPECIAL_USE_DOMAIN_NAMES, is_valid_email, repair

FAST = examples(150)


def library(value: str) -> bool:
    try:
        email_validator.validate_email(value.strip(), check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return True


def test_special_use_domains_are_the_librarys() -> None:
    """The patterns leave addresses in these domains to the library, whose list is copied so that start-up need not
    import it: a library release that changes its list fails here."""
    assert tuple(email_validator.SPECIAL_USE_DOMAIN_NAMES) == SPECIAL_USE_DOMAIN_NAMES


def test_examples(examples_hold) -> None:
    examples_hold("email")


def test_edge_cases(run) -> None:
    ok = ["jan@wp.pl", "JAN.KOWALSKI@ONET.PL", "  anna@interia.pl\t", "a+b@o2.pl", "x@sub.domain.co.uk", None]
    bad = [
        "",
        "jan",
        "@wp.pl",
        "jan@",
        "jan@wp",
        "jan@@wp.pl",
        "jan@wp..pl",
        ".jan@wp.pl",
        "jan.@wp.pl",
        "jan@wp.pl.",
        "jan@-wp.pl",
        "jan@wp,pl",
        "jan kowalski@wp.pl",
        "jan@wp.123",
        "a@b@c.pl",
        "Jan <jan@wp.pl>",
        "jan@example.test",
        "jan@[1.2.3.4]",
    ]
    assert run("email", ok) == [True] * len(ok)
    assert run("email", bad) == [False] * len(bad)


def test_international_addresses_go_to_the_library(run) -> None:
    values = ["łukasz@poczta.pl", "jan@żółw.pl", "jan@xn--w-uga1v.pl", "用户@例子.广告"]
    assert run("email", values) == [library(v) for v in values]


def test_suggestions(suggest) -> None:
    got = suggest("email", ["Jan.Kowalski@@GMIAL,com.", "anna nowak@wp.pl", "piotr(at)onet.pl", "x", "jan@gmail"])
    assert got == ["jan.kowalski@gmail.com", "annanowak@wp.pl", "piotr@onet.pl", None, None]


_LOCAL = st.from_regex(r"[a-zA-Z0-9ł](?:[a-zA-Z0-9._+'\-łóéüßŉĿ×÷\u0300]{0,20}[a-zA-Z0-9ż])?", fullmatch=True)
_LABEL = st.from_regex(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,12}[a-zA-Z0-9])?", fullmatch=True)
_DOMAIN = st.lists(_LABEL, min_size=1, max_size=3)
_TLD = st.sampled_from(["pl", "com", "de", "co.uk", "io", "local", "test", "x", "c0m", "ONION", "museum"])


@FAST
@given(
    st.lists(
        st.builds(lambda local, d, t: f"{local}@{'.'.join(d)}.{t}", _LOCAL, _DOMAIN, _TLD), min_size=1, max_size=20
    )
)
def test_realistic_addresses_match_the_library(run, values: list[str]) -> None:
    assert run("email", values) == [library(v) for v in values]


_LONG_LABEL = st.from_regex(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{40,70}[a-zA-Z0-9])?", fullmatch=True)
_LONG_LOCAL = st.from_regex(r"[a-zA-Z0-9_+'](?:[a-zA-Z0-9._+'\-]{0,90}[a-zA-Z0-9])?", fullmatch=True)


@FAST
@given(
    st.lists(
        st.builds(
            lambda local, d, t: f"{local}@{'.'.join(d)}.{t}",
            _LONG_LOCAL,
            st.lists(_LONG_LABEL, min_size=1, max_size=4),
            st.sampled_from(["pl", "com", "co.uk", "local"]),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_long_addresses_match_the_library(run, values: list[str]) -> None:
    """Oracle: addresses of 64 to 400 characters, labels about the 63 limit, around the 254 limit in all."""
    assert run("email", values) == [library(v) for v in values]


_PIECES = st.sampled_from([*'ab.@-_+ ,;"<>\\()[]\t0Złé', "xn--", "@@", "..", "wp.pl", "com", "test"])
_NOISY = st.lists(_PIECES, max_size=12).map("".join)


@FAST
@given(st.lists(_NOISY, min_size=1, max_size=20))
def test_noisy_text_matches_the_library(run, values: list[str]) -> None:
    assert run("email", values) == [library(v) for v in values]


@FAST
@given(st.lists(st.emails(), min_size=1, max_size=10))
def test_rfc_addresses_match_the_library(run, values: list[str]) -> None:
    assert run("email", values) == [library(v) for v in values]


def test_the_library_helper_strips() -> None:
    assert is_valid_email(" jan@wp.pl ") and not is_valid_email("jan@wp")


def test_common_addresses_never_reach_the_library(run, monkeypatch) -> None:
    def fail(value: str) -> bool:
        raise AssertionError(f"library called for {value!r}")

    monkeypatch.setattr("auditor.checks.kinds.email.is_valid_email", fail)
    values = ["jan.kowalski@wp.pl", "A.Nowak@Firma.com.pl", "jan@@wp.pl", "jan kowalski@wp.pl", "jan@wp", "jan@wp.pl."]
    assert run("email", values) == [True, True, False, False, False, False]


def test_long_ascii_addresses_never_reach_the_library(run, monkeypatch) -> None:
    def fail(value: str) -> bool:
        raise AssertionError(f"library called for {value!r}")

    monkeypatch.setattr("auditor.checks.kinds.email.is_valid_email", fail)
    company = "przedsiebiorstwo-handlowe-wroclaw-trans-summit"
    values = [f"jan.kowalski@{company}.pl", f"J_K@{company}-{company}.com.pl", f"{'a' * 200}@{company}.pl"]
    assert run("email", values) == [True, False, True]


def test_repaired_addresses_are_judged_as_the_check_judges(suggest, monkeypatch) -> None:
    def fail(value: str) -> bool:
        raise AssertionError(f"library called for {value!r}")

    monkeypatch.setattr("auditor.checks.kinds.email.is_valid_email", fail)
    got = suggest("email", ["Jan.Kowalski@@GMIAL,com.", "anna nowak@wp.pl", "piotr(at)onet.pl", "x", "jan@gmail"])
    assert got == ["jan.kowalski@gmail.com", "annanowak@wp.pl", "piotr@onet.pl", None, None]


@FAST
@given(st.lists(st.text(alphabet="aZ.@ ,(at)-_łü", max_size=14), min_size=1, max_size=10))
def test_repaired_addresses_are_those_the_library_accepts(suggest, values: list[str]) -> None:
    expected = [c if c is not None and library(c) else None for c in map(repair, values)]
    assert suggest("email", values) == expected
