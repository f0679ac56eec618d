"""Normalizers for matching: examples per CRM spelling, and hypothesis for their invariants."""

from __future__ import annotations

import pandas as pd
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.dedupe import normalize as nz


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" DR.  Łukasz ", "lukasz"),
        ("O'Brien", "obrien"),
        ("Anne-Marie", "anne marie"),
        ("Żółkiewska", "zolkiewska"),
        ("Pani Małgorzata", "malgorzata"),
        ("MÜLLER", "muller"),
        ("   ", None),
        (None, None),
    ],
)
def test_person_name(raw, expected) -> None:
    assert nz.person_name(raw) == expected


@pytest.mark.parametrize(
    ("nick", "formal"),
    [("Bob", "Robert"), ("Kasia", "Katarzyna"), ("Gosia", "Małgorzata"), ("Bill", "William"), ("Kuba", "Jakub"),
     ("Beppe", "Giuseppe"), ("Paco", "Francisco"), ("Fritz", "Friedrich"), ("Wojtek", "Wojciech")],
)
def test_nicknames_meet_their_formal_name(nick: str, formal: str) -> None:
    assert nz.canonical_first_name(nick) == nz.canonical_first_name(formal)


def test_nickname_table_covers_the_generators() -> None:
    from auditor.synth import data

    for formal, nicks in data.nicknames().items():
        for nick in nicks:
            assert nz.canonical_first_name(nick) == nz.canonical_first_name(formal), (nick, formal)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("John.Smith+crm@GMail.com ", "johnsmith@gmail.com"),
        ("j.smith@googlemail.com", "jsmith@gmail.com"),
        ("jan.kowalski+x@firma.pl", "jan.kowalski+x@firma.pl"),
        ("Anna@Outlook.com", "anna@outlook.com"),
        ("anna+news@outlook.com", "anna@outlook.com"),
        ("not an email", None),
        ("", None),
    ],
)
def test_email(raw, expected) -> None:
    assert nz.email(raw) == expected
    assert nz.emails(pd.Series([raw])).iloc[0] == expected


def test_role_addresses() -> None:
    assert nz.is_role_email("Biuro@firma.pl") and nz.is_role_email("sales.team@acme.com")
    assert not nz.is_role_email("jan.kowalski@firma.pl")


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("12-589-23-02", "PL", "+48125892302"),
        ("+48 795 224 664", "PL", "+48795224664"),
        ("0048 795 224 664", "PL", "+48795224664"),
        ("030 89373285", "DE", "+493089373285"),
        ("01 57 97 57 09", "FR", "+33157975709"),
        ("(415) 498-6388", "US", "+14154986388"),
        ("07882 778730", "GB", "+447882778730"),
        ("06 1234 5678", "IT", "+390612345678"),
    ],
)
def test_phone_e164(raw: str, region: str, expected: str) -> None:
    assert nz.phone(raw, region) == expected
    assert nz.phones(pd.Series([raw]), pd.Series([region])).iloc[0] == expected


@settings(max_examples=150, deadline=None)
@given(
    region=st.sampled_from(["PL", "DE", "FR", "GB", "US", "ES", "IT"]),
    kind=st.sampled_from([phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE]),
    fmt=st.sampled_from([phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                         phonenumbers.PhoneNumberFormat.NATIONAL]),
)
def test_vectorized_phones_agree_with_phonenumbers(region: str, kind, fmt) -> None:
    example = phonenumbers.example_number_for_type(region, kind)
    text = phonenumbers.format_number(example, fmt)
    assert nz.phones(pd.Series([text]), region).iloc[0] == nz.phone(text, region)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Witkowski Sp. z o.o.", "Witkowski spółka z ograniczoną odpowiedzialnością"),
        ("Thomas & Stewart LLC", "Thomas & Stewart, L.L.C."),
        ("Simon & Garcia S.A.", "SIMON & GARCIA SA"),
        ("Wassertechnik GmbH", "Wassertechnik G.m.b.H."),
        ("The Acme Corporation", "Acme Corp."),
        ("Borkowski sp.k.", "Borkowski spółka komandytowa"),
        ("Costa & Gallo S.r.l.", "Costa & Gallo SRL"),
        ("Northwind Ltd", "Northwind Limited"),
    ],
)
def test_company_legal_forms(a: str, b: str) -> None:
    assert nz.company_name(a) == nz.company_name(b)


def test_company_name_keeps_a_name_that_is_only_a_legal_form() -> None:
    assert nz.company_name("AG") == "ag"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("https://www.Example.co.uk/about?x", "example.co.uk"), ("example.com", "example.com"),
     ("http://shop.example.com:8080/", "shop.example.com"), ("sales@Firma.pl", "firma.pl"), ("n/a", None)],
)
def test_website_domain(raw: str, expected) -> None:
    assert nz.website_domain(raw) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [("ul. Świętokrzyska 114", "Ulica Swietokrzyska 114"), ("126 Elm Street", "126 elm st."),
     ("Schillerstraße 122", "Schiller Str. 122"), ("Main St 5 Apt 3", "main street 5 apartment 3")],
)
def test_address(a: str, b: str) -> None:
    assert nz.address(a) == nz.address(b)


def test_postal_codes_and_dates() -> None:
    assert nz.postal_code("31-675") == "31675" and nz.postal_code("b1 9qb") == "B19QB"
    assert nz.postal_codes(pd.Series(["31-675", None, " "])).tolist() == ["31675", None, None]
    assert nz.date("2020-01-02T10:00:00") == "2020-01-02"
    assert nz.dates(pd.Series(["2020-01-02", None, "garbage"])).tolist() == ["2020-01-02", None, None]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_person_name_is_idempotent_and_ascii(text: str) -> None:
    once = nz.person_name(text)
    if once is not None:
        assert nz.person_name(once) == once
        assert once == once.strip() and "  " not in once


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_company_name_is_idempotent(text: str) -> None:
    once = nz.company_name(text)
    if once is not None:
        assert nz.company_name(once) == once


@settings(max_examples=200, deadline=None)
@given(local=st.from_regex(r"[a-z][a-z0-9.]{0,10}[a-z0-9]", fullmatch=True),
       domain=st.sampled_from(["gmail.com", "firma.pl", "outlook.com", "web.de"]))
def test_email_ignores_case_and_agrees_with_the_column_form(local: str, domain: str) -> None:
    value = f"{local}@{domain}"
    assert nz.email(value.upper()) == nz.email(value)
    assert nz.emails(pd.Series([value.upper()])).iloc[0] == nz.email(value)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=20))
def test_column_forms_match_scalar_forms(values: list) -> None:
    series = pd.Series(values, dtype=object)
    assert nz.person_names(series).tolist() == [nz.person_name(v) for v in values]
    assert nz.company_names(series).tolist() == [nz.company_name(v) for v in values]
    assert nz.postal_codes(series).tolist() == [nz.postal_code(v) for v in values]


def test_soundex() -> None:
    assert nz.soundex("Robert") == nz.soundex("Rupert") == "R163"
    assert nz.soundex("Kowalski") == nz.soundex("Kowalsky")
    assert nz.soundex("") is None
