"""Normalizers for matching: examples per CRM spelling, and hypothesis for their invariants."""

from __future__ import annotations

import pandas as pd
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_examples import examples

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
    [
        ("Bob", "Robert"),
        ("Kasia", "Katarzyna"),
        ("Gosia", "Małgorzata"),
        ("Bill", "William"),
        ("Kuba", "Jakub"),
        ("Beppe", "Giuseppe"),
        ("Paco", "Francisco"),
        ("Fritz", "Friedrich"),
        ("Wojtek", "Wojciech"),
    ],
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
    fmt=st.sampled_from(
        [
            phonenumbers.PhoneNumberFormat.E164,
            phonenumbers.PhoneNumberFormat.INTERNATIONAL,
            phonenumbers.PhoneNumberFormat.NATIONAL,
        ]
    ),
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
    [
        ("https://www.Example.co.uk/about?x", "example.co.uk"),
        ("example.com", "example.com"),
        ("http://shop.example.com:8080/", "shop.example.com"),
        ("sales@Firma.pl", "firma.pl"),
        ("n/a", None),
    ],
)
def test_website_domain(raw: str, expected) -> None:
    assert nz.website_domain(raw) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ul. Świętokrzyska 114", "Ulica Swietokrzyska 114"),
        ("126 Elm Street", "126 elm st."),
        ("Schillerstraße 122", "Schiller Str. 122"),
        ("Main St 5 Apt 3", "main street 5 apartment 3"),
    ],
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
@given(
    local=st.from_regex(r"[a-z][a-z0-9.]{0,10}[a-z0-9]", fullmatch=True),
    domain=st.sampled_from(["gmail.com", "firma.pl", "outlook.com", "web.de"]),
)
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


# --- company names: legal forms, places, abbreviations, numbers ---------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Nokia Oy", "NOKIA OYJ"),  # FI
        ("Volvo AB", "AB Volvo"),  # SE, written first
        ("Maersk A/S", "MAERSK AS"),  # DK
        ("Statoil ASA", "Statoil"),  # NO
        ("Siemens SE", "Siemens AG"),  # EU, DE
        ("Toyota K.K.", "Toyota Kabushiki Kaisha"),  # JP
        ("Acme Pty Ltd", "Acme (Pty) Ltd"),  # AU, ZA
        ("Natura Cosméticos Ltda.", "Natura Cosmeticos LTDA"),  # BR
        ("Grupo Bimbo S.A.B. de C.V.", "Grupo Bimbo SAB de CV"),  # MX
        ("Bimbo S.A. de C.V.", "BIMBO"),  # MX
        ("Ferrari S.p.A.", "FERRARI SPA"),  # IT
        ("Hochtief GmbH & Co. KG", "Hochtief GmbH u. Co. KG"),  # DE
        ("Nowak Sp. z o.o.", "NOWAK SP.Z O.O."),  # PL
        ("Nowak Sp. z o.o.", "Nowak spółka z o.o."),  # PL
        ("Philips N.V.", "N.V. Philips"),  # NL, both sides
        ("AKZO NOBEL N V", "Akzo Nobel NV."),  # NL, spaced
        ("Heineken B.V.", "Heineken BV"),  # NL
        ("Skoda a.s.", "Skoda"),  # CZ
        ("Richter Gedeon Nyrt.", "Richter Gedeon"),  # HU
        ("ООО Ромашка", "Ромашка ООО"),  # RU, Cyrillic
        ("OOO Romashka", "Romashka LLC"),  # RU, transliterated
        ("PT Bank Central Asia Tbk", "Bank Central Asia"),  # ID
        ("Maybank Berhad Sdn. Bhd.", "Maybank Berhad"),  # MY
        ("Acme Inc.", "ACME, INC"),  # US
        ("Acme Public Limited Company", "Acme plc"),  # GB
        ("Société Générale S.A.", "Societe Generale"),  # FR
        ("Airbus SAS", "Airbus S.A.S."),  # FR
        ("Türk Telekom A.Ş.", "Turk Telekom"),  # TR
    ],
)
def test_legal_forms_of_many_countries(a: str, b: str) -> None:
    assert nz.company_name(a) == nz.company_name(b)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("* AKZO NOBEL N.V.", "akzo nobel"),
        ("AKZO NOBEL NV", "akzo nobel"),
        ("AKZO NOBEL N.V.,", "akzo nobel"),
        ("KONINKLIJKE PHILIPS ELECTRONICS, N.V.", "koninklijke philips electronics"),
        ("KONINKLIJKE PHILIPS ELECTRONICS N,V,", "koninklijke philips electronics"),
        ("DSM N.V., HEERLEN, NL", "dsm"),
        ("D S M N. V.", "dsm"),
        ("UNILEVER N.V. (NL)", "unilever"),
        ("UNILEVER NV., ROTTERDAM", "unilever"),
        ("N.V. PHILIPS' GLOEILAMPENFABRIEKEN", "philips gloeilampenfabrieken"),
        ('"Acme" Ltd.', "acme"),
        ("Acme Ltd (United Kingdom)", "acme"),
        ("Acme, Inc., New York", "acme"),
        ("Acme GmbH (Berlin)", "acme"),
        ("SCHLUMBERGER TECHNOLOGY B.V. (STBV)", "schlumberger technology"),
        ("The Palm", "palm"),
        ("Palm, The", "palm"),
        ("Amazon.com, Inc.", "amazon"),
        ("AG", "ag"),
        ("", None),
        ("  *** ", None),
    ],
)
def test_company_name_markers_places_and_legal_forms(raw: str, expected) -> None:
    assert nz.company_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Le Chardonnay (Los Angeles)", "le chardonnay los angeles"),  # a place that is not a country stays
        ("Palm, The (Los Angeles)", "palm the los angeles"),  # 'the' is no legal form: the place stays
        ("Acme UK", "acme uk"),  # an unparenthesised country code is part of the name
        ("Acme Holdings", "acme holdings"),  # not a legal form: a holding is another company
        ("Tan & Ong", "tan ong"),  # cleanco's 'ong' (NGO) is not stripped
    ],
)
def test_company_name_keeps_what_may_tell_companies_apart(raw: str, expected: str) -> None:
    assert nz.company_name(raw) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("arts delicatessen", "arts deli"),
        ("Panos & Pauls", "panos and pauls"),
        ("Smith + Wollensky", "Smith and Wollensky"),
        ("Kowalski i Nowak Sp. j.", "Kowalski Nowak spółka jawna"),
        ("Johnson und Partner GmbH", "Johnson & Partner GmbH"),
        ("Community Health Ctr", "Community Health Center"),
        ("Community Health Centre", "Cmty Health Center"),
        ("Intl Business Machines Corp", "International Business Machines Corporation"),
        ("Int'l Business Machines", "International Business Machines"),
        ("National Assn of Realtors", "Natl Association of Realtors"),
        ("Realtors Assoc", "Realtors Association"),
        ("Dept of Transport", "Department of Transport"),
        ("Univ of Warsaw", "University of Warsaw"),
        ("Inst for Research", "Institute for Research"),
        ("Acme Mfg Co", "Acme Manufacturing Company"),
        ("Warner Bros", "Warner Brothers"),
        ("Acme Svcs", "Acme Services"),
        ("Acme Svc", "Acme Service"),
        ("Acme Tech", "Acme Technologies"),
        ("Mt Sinai Hospital", "Mount Sinai Hosp"),
        ("Ft Worth Ltd", "Fort Worth Limited"),
        ("St. James Bistro", "Saint James Bistro"),
        ("Main St Bakery", "Main Street Bakery"),
        ("Second Avenue Deli", "2nd Ave Delicatessen"),
        ("U.S. Steel", "US Steel"),
        ("Morton's of Chicago", "mortons of chicago"),
    ],
)
def test_company_abbreviations_and_connectors(a: str, b: str) -> None:
    assert nz.company_name(a) == nz.company_name(b)


def test_com_is_community_but_not_a_domain() -> None:
    assert nz.company_name("Acme Com Center") == nz.company_name("Acme Community Center")
    assert nz.company_name("Booking.com B.V.") == "booking"


@pytest.mark.parametrize(
    ("raw", "name", "numbers"),
    [
        ("Rivera395 Inc", "rivera 395", "395"),
        ("Rivera251 Inc", "rivera 251", "251"),
        ("Rivera Inc.", "rivera", None),
        ("Studio 54 & 2 Brothers", "studio 54 2 brothers", "2 54"),
        ("Capital Partners III LP", "capital partners iii", "3"),
        ("Vi Holdings", "vi holdings", None),
        ("3M Company", "3 m", "3"),
        ("B2B Solutions", "b 2 b solutions", "2"),
        ("21st Century Fox", "21st century fox", "21"),
        ("First National Bank", "1st national bank", "1"),
        ("Agent 007 Ltd", "agent 007", "7"),
        ("Acme Sp. z o.o. (PL)", "acme", None),
    ],
)
def test_name_numbers(raw: str, name: str, numbers) -> None:
    assert nz.company_name(raw) == name
    assert nz.name_numbers(raw) == numbers


def test_numbers_tell_alike_names_apart() -> None:
    assert nz.company_name("Rivera395") == "rivera 395" and nz.company_name("Rivera 395") == "rivera 395"
    assert nz.name_numbers("Rivera395 Inc") != nz.name_numbers("Rivera251 Inc")
    assert nz.name_numbers("Rivera Inc") == nz.name_numbers("Rivera Inc.") is None
    assert nz.name_numbers("Route 66 & 7 Diner") == nz.name_numbers("7 & 66 Route Diner") == "7 66"
    assert nz.names_numbers(pd.Series(["A1 Ltd", None, "  "])).tolist() == ["1", None, None]


def test_legal_forms_come_from_cleanco_and_our_table() -> None:
    forms = set(nz.legal_forms())
    assert {"gmbh", "nv", "bv", "sp zoo", "spa", "oy", "ab", "kk", "ltda", "sa de cv", "pty ltd"} <= forms
    assert {"sagl", "ehf", "sicav"} <= forms  # only in cleanco's data
    assert "ong" not in forms and "unlimited" not in forms and "holdings" not in forms
    assert nz.legal_forms() == nz.LEGAL_FORMS


def test_abbreviation_table_is_data_with_scopes() -> None:
    name, address, unit, city = (nz.abbreviations(s) for s in ("name", "address", "unit", "city"))
    assert name["intl"] == "international" and name["and"] == ""
    assert name["saint"] == name["street"] == "st" and address["street"] == address["saint"] == "st"
    assert address["boulevard"] == address["blv"] == "blvd" and address["avenue"] == "ave"
    assert unit["suite"] == "ste" and city["st"] == "saint"
    for table in (name, address, unit, city):
        assert all(table.get(c, c) == c for c in table.values() if c), "a canonical is itself rewritten"


# --- addresses, house numbers, cities ---------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("435 s. la cienega blv.", "435 s. la cienega blvd."),
        ("12224 ventura blvd.", "12224 Ventura Boulevard"),
        ("102 fifth ave.", "102 5th Avenue"),
        ("3130 piedmont road", "3130 Piedmont Rd."),
        ("240 central park s", "240 Central Park S."),
        ("10 N.E. 5th Street", "10 Northeast 5th St"),
        ("10 North East 5th Street", "10 NE 5th St"),
        ("7 Claude Lane", "7 claude ln."),
        ("1 Market Sq", "1 Market Square"),
        ("5 Park Pl", "5 Park Place"),
        ("5 Oak Terrace", "5 Oak Ter"),
        ("5 Oak Circle", "5 Oak Cir."),
        ("1 Pacific Hwy", "1 Pacific Highway"),
        ("1 Garden State Pkwy", "1 Garden State Parkway"),
        ("1 Civic Center", "1 Civic Ctr"),
        ("1 St. Marks Place", "1 Saint Marks Pl"),
        ("ul. Słoneczna 121 m. 5", "ulica Sloneczna 121/5"),
        ("ul. Słoneczna 121 lok. 5", "ul. Słoneczna 121/5"),
        ("Main St 5, Suite 200", "Main Street 5 #200"),
        ("Main St 5 Apt B", "main street 5 apartment b"),
        ("Lindenstraße 128", "Linden Str. 128"),
        ("ul. Długa nr 5", "ul. Długa 5"),
    ],
)
def test_address_spellings_agree(a: str, b: str) -> None:
    assert nz.address(a) == nz.address(b)
    assert nz.addresses(pd.Series([a, b])).nunique() == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("435 s. la cienega blvd.", "436 s. la cienega blvd."),
        ("Main St 5 Apt 3", "Main St 5 Apt 4"),
        ("1 Oak Street", "1 Oak Avenue"),
    ],
)
def test_address_keeps_numbers_and_street_types_apart(a: str, b: str) -> None:
    assert nz.address(a) != nz.address(b)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("435 s. la cienega blv.", "435"),
        ("ul. Długa 12a/3", "12"),
        ("293-b peachtree rd.", "293"),
        ("Suite 200, 1 Main St", "1"),
        ("Apt 4, 0012 Elm St", "12"),
        ("ul. 3 Maja 5", "5"),
        ("Avenida 9 de Julio 1000", "1000"),
        ("Straße des 17. Juni 135", "135"),
        ("PO Box 12", None),
        ("Route 66", None),
        ("5th Avenue", None),
        ("Schillerstraße 122", "122"),
        ("", None),
    ],
)
def test_house_number(raw: str, expected) -> None:
    assert nz.house_number(raw) == expected
    assert nz.house_numbers(pd.Series([raw])).iloc[0] == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("St. Louis", "Saint Louis"),
        ("Ft. Worth", "Fort Worth"),
        ("Mt. Vernon", "Mount Vernon"),
        ("N. Hollywood", "North Hollywood"),
        ("St. Gallen", "Sankt Gallen"),
        ("Kraków", "KRAKOW"),
    ],
)
def test_city(a: str, b: str) -> None:
    assert nz.city(a) == nz.city(b)


# --- invariants -------------------------------------------------------------------------------

_NAME_WORDS = st.sampled_from(
    [
        "Acme",
        "Nord",
        "Kowalski",
        "Rivera",
        "Bros",
        "Intl",
        "and",
        "&",
        "i",
        "Co",
        "Inc.",
        "N.V.",
        "B.V.",
        "GmbH",
        "Sp. z o.o.",
        "S.A.",
        "(NL)",
        ",",
        "the",
        "St.",
        "Ctr",
        "Com",
        "3M",
        "B2B",
        "II",
        "A",
        "B",
        "Łódź",
        "Müller",
    ]
)
_ADDRESS_WORDS = st.sampled_from(
    [
        "435",
        "12a",
        "5/3",
        "s.",
        "N.E.",
        "la",
        "Cienega",
        "Blvd.",
        "Boulevard",
        "blv",
        "Ave",
        "ul.",
        "Świętokrzyska",
        "m.",
        "Apt",
        "#",
        "Suite",
        "nr",
        "Fifth",
        "3rd",
        "St.",
        "Straße",
        "Lindenstr.",
        "PO",
        "Box",
        "Hwy",
    ]
)
_NAMES = st.lists(_NAME_WORDS, min_size=1, max_size=7).map(" ".join)
_ADDRESSES = st.lists(_ADDRESS_WORDS, min_size=1, max_size=7).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_NAMES, st.text(max_size=40)))
def test_company_name_and_numbers_are_idempotent(text: str) -> None:
    once = nz.company_name(text)
    assert once is None or nz.company_name(once) == once
    if once is not None:
        assert once == once.strip() and "  " not in once
        assert nz.name_numbers(once) == nz.name_numbers(text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_ADDRESSES, st.text(max_size=40)))
def test_address_and_city_are_idempotent(text: str) -> None:
    once = nz.address(text)
    assert once is None or nz.address(once) == once
    city = nz.city(text)
    assert city is None or nz.city(city) == city
    assert nz.house_number(text) is None or nz.house_number(text).isdecimal()


def _respell(text: str, data) -> str:
    """The same words with other case, punctuation and spacing (dots, commas and hyphens between
    words, never inside one)."""
    words = text.split()
    seps = data.draw(
        st.lists(st.sampled_from([" ", "  ", " - ", ". ", " / ", "\t"]), min_size=len(words), max_size=len(words))
    )
    case = data.draw(st.sampled_from([str.upper, str.lower, str.title, lambda s: s]))
    return case("".join(w + s for w, s in zip(words, seps, strict=True))).strip(" -/.\t")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "acme",
                "nord",
                "rivera",
                "kowalski",
                "bros",
                "intl",
                "gmbh",
                "ltd",
                "spa",
                "395",
                "251",
                "center",
                "mount",
                "tech",
            ]
        ),
        min_size=1,
        max_size=5,
    ).map(" ".join),
    st.data(),
)
def test_case_punctuation_and_spacing_never_change_a_company(text: str, data) -> None:
    respelled = _respell(text, data)
    assert nz.company_name(respelled) == nz.company_name(text)
    assert nz.name_numbers(respelled) == nz.name_numbers(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "435",
                "south",
                "la",
                "cienega",
                "boulevard",
                "blvd",
                "ventura",
                "apt",
                "12",
                "ul",
                "dluga",
                "street",
                "road",
                "5th",
            ]
        ),
        min_size=1,
        max_size=6,
    ).map(" ".join),
    st.data(),
)
def test_case_punctuation_and_spacing_never_change_an_address(text: str, data) -> None:
    assert nz.address(_respell(text, data)) == nz.address(text)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["Rivera", "Acme Intl", "Nord Bros", "Studio"]),
    st.lists(st.integers(0, 5000), min_size=1, max_size=3),
    st.integers(1, 5000),
    st.sampled_from(["Inc.", "GmbH", "Sp. z o.o.", ""]),
)
def test_changed_numbers_change_name_numbers(base: str, numbers: list[int], delta: int, form: str) -> None:
    changed = [*numbers[:-1], numbers[-1] + delta]
    a = f"{base} {' '.join(map(str, numbers))} {form}"
    b = f"{base} {' '.join(map(str, changed))} {form}"
    assert nz.name_numbers(a) != nz.name_numbers(b)
    glued = f"{base}{numbers[0]} {form}"
    assert nz.name_numbers(glued) == str(numbers[0])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=20), _NAMES, _ADDRESSES), max_size=15))
def test_new_column_forms_match_scalar_forms_and_never_raise(values: list) -> None:
    series = pd.Series(values, dtype=object)
    assert nz.addresses(series).tolist() == [nz.address(v) for v in values]
    assert nz.house_numbers(series).tolist() == [nz.house_number(v) for v in values]
    assert nz.names_numbers(series).tolist() == [nz.name_numbers(v) for v in values]
    numbers = nz.numbers_of_company_names(nz.strings(nz.company_names(series)))
    assert numbers.tolist() == [nz.name_numbers(v) for v in values]
    assert nz.cities(series).tolist() == [nz.city(v) for v in values]


def _phones_region_by_region(values: pd.Series, regions: pd.Series) -> pd.Series:
    """The national numbers of `nz.phones` as it made them before, one region at a time (the oracle)."""
    s = nz.strings(values).str.strip()
    region = nz.strings(regions).str.strip().str.upper()
    simple = s.str.fullmatch("\\+?[0-9 \\-./()\u00a0]{3,30}").fillna(False)
    digits = s.str.replace(r"[^0-9]", "", regex=True)
    plus = s.str.startswith("+").fillna(False)
    idd = (~plus) & digits.str.startswith("00").fillna(False)
    digits = digits.mask(idd, digits.str.slice(2))
    out = pd.Series(pd.NA, index=s.index, dtype=nz.STRING).mask((plus | idd) & simple, "+" + digits)
    national = simple & ~(plus | idd)
    for reg in pd.unique(region[national].fillna("").astype(object)):
        in_region = national & (region.fillna("") == reg)
        cc, prefix = nz._dialling(str(reg)) if reg else ("", "")
        if not cc:
            continue
        d = digits[in_region]
        if prefix:
            d = d.mask(d.str.startswith(prefix) & (d.str.len() > len(prefix) + 5), d.str.slice(len(prefix)))
        out = out.mask(in_region, "+" + cc + d)
    out = out.mask(out.str.len() < 8)
    # values of other spellings ('000000+') go through phonenumbers one by one, as `nz.phones` sends them
    rest = (~simple) & s.notna() & (s.str.len() > 0)
    if rest.any():
        out[rest] = [nz.phone(v, r) for v, r in zip(s[rest], region.fillna("PL")[rest], strict=True)]
    return out.astype(object).where(out.notna(), None)


@examples(120)
@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.none(),
                st.text(alphabet="0123456789 -+()./\u00a0x", max_size=18),
                st.sampled_from(["+48 22 350 71 95", "0048 22 350 71 95", "(030) 1234567", " 12-589-23-02 "]),
                st.text(max_size=6),
            ),
            st.one_of(st.none(), st.sampled_from(["PL", "DE", "FR", "GB", "US", "RU", "HU", "XX", "", " pl"])),
        ),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(["PL", "de", "US", "XX"]),
)
def test_oracle_national_numbers_as_region_by_region(rows: list[tuple[str | None, str | None]], one: str) -> None:
    """Oracle test (it holds on the code before the change too): the national numbers of many regions, put
    in E.164 in one pass per national prefix (by Arrow's kernels on the Arrow text since the seventeenth
    session, by pandas' string methods before), are those of one pass per region; so are those of one region
    for all."""
    values = pd.Series([v for v, _ in rows], dtype=object)
    regions = pd.Series([r for _, r in rows], dtype=object)
    got = nz.phones(values, nz.strings(regions).str.strip().str.upper())
    assert got.tolist() == _phones_region_by_region(values, regions).tolist()
    every = pd.Series([one] * len(rows), dtype=object)
    assert nz.phones(values, one).tolist() == _phones_region_by_region(values, every).tolist()


@examples(100)
@given(st.lists(st.one_of(st.none(), st.text(max_size=16), _NAMES, _ADDRESSES), max_size=15))
def test_text_forms_oracle_equal_the_object_forms_as_arrow_text(values: list) -> None:
    """Oracle: the Arrow-text forms the features are made with hold what the object forms hold."""
    series = pd.Series(values, dtype=object)
    pairs = [
        (nz.by_unique_text(series, nz.company_name), nz.company_names(series)),
        (nz.by_unique_text(series, nz.address), nz.addresses(series)),
        (nz.email_texts(series), nz.emails(series)),
        (nz.phone_texts(series, "PL"), nz.phones(series, "PL")),
        (nz.exact_texts(series), nz.exacts(series)),
        (nz.postal_code_texts(series), nz.postal_codes(series)),
    ]
    for text, objects in pairs:
        assert text.dtype == nz.STRING
        pd.testing.assert_series_equal(text, nz.strings(objects))


def _company_every_round(value: str) -> str | None:
    """`company_name` as it was first written: legal forms off and the words again for every round, whether
    or not the round can change anything (the reference the skipped rounds are held to)."""
    text = nz._DOMAIN.sub(nz._domain_labels, nz._drop_trailing_place(nz._prepare(value)))
    tokens = nz._name_tokens(text, nz._legal_tails())
    for _ in range(8):
        out = nz._name_words(nz._strip_legal_forms(tokens), nz._legal_tails())
        if out == tokens:
            break
        tokens = out
    return " ".join(tokens) or None


def _address_every_round(value: str) -> str | None:
    """`address` with every round of dropping unit words made (the reference, as for the company names)."""
    table, units, markers = nz._address_tables()
    tokens = nz._address_words(nz._tokens(nz._GLUED_STRASSE.sub(r" \1", nz._prepare(value))), table)[0]
    for _ in range(8):
        kept = [
            t
            for i, t in enumerate(tokens)
            if not (
                i + 1 < len(tokens)
                and ((t in units and nz._is_identifier(tokens[i + 1])) or (t in markers and tokens[i + 1].isdecimal()))
            )
        ]
        out = nz._address_words(kept, table)[0]
        if out == tokens:
            break
        tokens = out
    return " ".join(tokens) or None


_ORACLE_COMPANIES = [
    "Żółkiewski i Wspólnicy sp.k.",
    "The Witkowski Sp. z o.o.",
    "D S M N V",
    "Kowalski i Nowak",
    "Thomas & Stewart, L.L.C.",
    "UNILEVER N.V. (NL)",
    "Arts Deli & BBQ Co",
    "N.V. Philips Gloeilampenfabrieken",
    "AB Volvo i u",
    "s.p.a. s.r.l. gmbh",
    "Amazon.com, Inc.",
]


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.sampled_from(_ORACLE_COMPANIES), _NAMES, st.text(max_size=40)))
def test_oracle_company_name_skips_only_rounds_that_change_nothing(text: str) -> None:
    assert nz.company_name(text) == (None if nz._blank(text) else _company_every_round(text))


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.sampled_from(["ul. Długa 12 m. 3", "Main St 5 Apt 3", "5 Apt Ste 3", "nr 5 m 3"]), _ADDRESSES))
def test_oracle_address_skips_only_rounds_that_change_nothing(text: str) -> None:
    assert nz.address(text) == (None if nz._blank(text) else _address_every_round(text))


def _soundex_every_letter(value: str) -> str | None:
    """American Soundex coding every letter of the name, then cut to four characters (the reference)."""
    letters = [c for c in nz.person_name(value) or "" if "a" <= c <= "z"]
    if not letters:
        return None
    out, last = letters[0].upper(), nz._SOUNDEX.get(letters[0], "")
    for c in letters[1:]:
        code = nz._SOUNDEX.get(c, "")
        out += code if code and code != last else ""
        last = code if c not in "hw" else last
    return (out + "000")[:4]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.sampled_from(["Ashcraft", "Tymczak", "Pfister", "Honeyman", "Lee", "Wu"]), _NAMES, st.text()))
def test_oracle_soundex_stops_at_four_characters_as_the_full_coding_cuts(text: str) -> None:
    assert nz.soundex(text) == _soundex_every_letter(text)


def _strip_every_length(tokens: list[str]) -> list[str]:
    """Legal forms off both ends, every form length tried at each end (the reference for the edge words)."""
    end, start, longest = nz._legal_form_table()
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for k in range(min(longest, len(tokens) - 1), 0, -1):
            if tuple(tokens[-k:]) in end:
                tokens, changed = tokens[:-k], True
                break
        else:
            for k in range(min(longest, len(tokens) - 1), 0, -1):
                if tuple(tokens[:k]) in start:
                    tokens, changed = tokens[k:], True
                    break
    return tokens


_FORM_WORDS = sorted({w for form in nz.legal_forms() for w in form.split()} | {"the", "acme", "kowalski", "nowak"})


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_FORM_WORDS), max_size=9))
def test_oracle_legal_forms_stripped_as_every_length_strips_them(tokens: list[str]) -> None:
    assert nz._strip_legal_forms(list(tokens)) == _strip_every_length(list(tokens))
