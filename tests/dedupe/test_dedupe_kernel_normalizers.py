"""Normalizers run as Arrow's kernels over the distinct values (soundex, website domains), against their scalar
forms as oracles, and the company-name and street normalizers' shortcuts against the rounds they skip."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.dedupe import normalize as nz


def _pieces(text: str) -> st.SearchStrategy[str]:
    """One of the pieces of `text` between its '|'."""
    return st.sampled_from(text.split("|"))


_ODD = st.sampled_from(
    ["", " ", "   ", "\t", "\n", "\u00a0", "\x1c", "Ł", "ß", "é", "e\u0301", "İ", "ﬁ", "Ω", "日本", "\U0001f600"]
)
_NAME_PIECES = st.sampled_from(
    [
        *sorted(nz.HONORIFICS)[:12],
        "mr",
        "dr.",
        "Mrs",
        "o'brien",
        "O'",
        "'",
        "-",
        ".",
        "..",
        " - ",
        "&",
        "hw",
        "H",
        "w",
        "ashcraft",
        "Tymczak",
        "pfister",
        "lloyd",
        "gutierrez",
        "jackson",
        "aeiouy",
        "bfpv",
        "0",
        "12",
        "x2y",
        "_",
        "  ",
        "Kowalski",
        "Müller",
        "Żółć",
    ]
)
_WEB_PIECES = _pieces(
    "http://|HTTPS://|ftp://|mailto:|www.|WWW.|@|/|?|#|:|:8080|.|..|example|co.uk|.com|a|-|+| |1|Ünï|\t"
)


def _joined(pieces: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Texts of up to 14 pieces and odd characters (blanks, Unicode spaces, accents, other scripts)."""
    return st.lists(st.one_of(pieces, _ODD), max_size=14).map("".join)


def _texts(pieces: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    long = st.lists(pieces, min_size=100, max_size=300).map("".join)
    return st.lists(st.one_of(_joined(pieces), long, st.text(max_size=30)), max_size=25)


@examples(300)
@given(_texts(_NAME_PIECES))
def test_oracle_soundex_by_kernels_is_the_scalar_soundex(values: list[str]) -> None:
    got = nz.soundex_texts(pa.array(values, type=pa.large_string())).to_pylist()
    assert got == [None if nz._blank(v) else nz.soundex(v) for v in values]


@examples(300)
@given(_texts(_WEB_PIECES))
def test_oracle_website_domains_by_kernels_are_the_scalar_domains(values: list[str]) -> None:
    got = nz.website_domain_texts(pa.array(values, type=pa.large_string())).to_pylist()
    assert got == [None if nz._blank(v) else nz.website_domain(v) for v in values]


def test_soundex_sets_every_digit_as_the_standard_does() -> None:
    names = ["Robert", "Rupert", "Ashcraft", "Ashcroft", "Tymczak", "Pfister", "Honeyman", "Lee", "A", "Wu", "hhhh"]
    got = nz.soundex_texts(pa.array(names, type=pa.large_string())).to_pylist()
    assert got == ["R163", "R163", "A261", "A261", "T522", "P236", "H555", "L000", "A000", "W000", "H000"]


def test_a_fixed_sequence_normalizer_reads_only_its_odd_values_one_by_one(monkeypatch) -> None:
    calls: list[str] = []
    person_name = nz.person_name
    monkeypatch.setattr(nz, "person_name", lambda v: calls.append(v) or person_name(v))
    column = pd.Series(["Kowalski", "Nowak", "Żak", None, "Kowalski"], dtype=object)
    made = nz._distinct_mapped(column, nz.soundex)[2]
    assert isinstance(made, pa.Array)
    assert made.to_pylist() == ["K420", "N200", "Z200", None]
    assert calls == ["Żak"]  # the one text beyond printable ASCII


def test_kernel_forms_give_what_the_column_forms_gave() -> None:
    column = pd.Series(["www.Acme.com/x", None, "  ", "b@c.pl", 5, "acme.com"], dtype=object)
    # a column holding a number is not text: the values go one by one, as before
    assert nz.website_domains(column).tolist() == ["acme.com", None, None, "c.pl", None, "acme.com"]
    text = pd.Series(["www.Acme.com/x", None, "  ", "b@c.pl", "acme.com"], dtype="string[pyarrow]")
    assert nz.website_domains(text).tolist() == ["acme.com", None, None, "c.pl", "acme.com"]
    coded, (codes, uniques) = nz.by_unique_coded(text, nz.website_domain)
    assert coded.tolist() == ["acme.com", pd.NA, pd.NA, "c.pl", "acme.com"]
    assert codes.tolist() == [0, -1, -1, 1, 0] and list(uniques) == ["acme.com", "c.pl"]
    # a lone surrogate cannot be Arrow text: the values go one by one
    assert nz.website_domains(pd.Series(["a.com", "b\ud800.pl"], dtype=object)).tolist() == ["a.com", "b\ud800.pl"]


def _searched_by(monkeypatch, name: str) -> list[str]:
    """The texts the module's pattern `name` is asked to substitute in, from now on."""
    searched: list[str] = []
    pattern = getattr(nz, name)

    class Counting:
        def sub(self, repl: object, text: str) -> str:
            searched.append(text)
            return pattern.sub(repl, text)

    monkeypatch.setattr(nz, name, Counting())
    return searched


def test_a_name_without_a_top_level_domain_is_not_searched_for_domains(monkeypatch) -> None:
    searched = _searched_by(monkeypatch, "_DOMAIN")
    assert nz.company_name("Domański Sp. z o.o.") == "domanski"
    assert nz.company_name("Booking.com B.V.") == "booking"
    assert searched == ["booking.com b.v."]


def _company_tokens_by_rounds(value: str) -> list[str]:
    """`_company_tokens` as first written: the words again after every stripping, until nothing changes."""
    text = nz._DOMAIN.sub(nz._domain_labels, nz._drop_trailing_place(nz._prepare(value)))
    tails = nz._legal_tails()
    tokens, settled = nz._settled_name_words(nz._split_name(text), tails)
    for _ in range(8):
        stripped = nz._strip_legal_forms(tokens)  # its own oracle: test_dedupe_normalize's
        if settled and stripped == tokens:
            break
        out, settled = nz._settled_name_words(stripped, tails)
        if out == tokens:
            break
        tokens = out
        if settled and out == stripped:
            break
    return tokens


def _tokens_by_split(text: str) -> list[str]:
    return [t for t in nz._SEPARATORS.split(nz._LETTER_DIGIT.sub(" ", text)) if t]


_COMPANY_PIECES = _pieces(
    "Acme|Kowalski| |  |&|+|and| i | y |e|u|Sp. z o.o.|sp.k.|S.A.|N.V.|GmbH & Co. KG|Ltd|Inc.|The |AB |"
    "OOO |PT |D S M|a|b|c|Intl|Bros|Mfg|St|21st|395|B2B|(NL)|(Berlin)|, Heerlen, NL|booking.com|_|-|'|’|"
    "Ł|Ü|İ|٣"
)


@examples(400)
@given(_joined(_COMPANY_PIECES))
def test_oracle_company_tokens_are_the_rounds_made_to_the_end(value: str) -> None:
    assert nz._company_tokens(value) == _company_tokens_by_rounds(value)


@given(st.one_of(_joined(_COMPANY_PIECES), st.text(max_size=40)))
@settings(max_examples=400, deadline=None)
def test_oracle_tokens_are_the_split_at_separators(value: str) -> None:
    assert nz._tokens(value) == _tokens_by_split(value)


def _address_tokens_in_full(value: str) -> tuple[list[str], list[str]]:
    """`_address_tokens` as first written: the glued Strasse and the units looked for in every street."""
    table, units, markers = nz._address_tables()
    full, settled = nz._address_words(_tokens_by_split(nz._GLUED_STRASSE.sub(r" \1", nz._prepare(value))), table)
    tokens = full
    for _ in range(8):
        n = len(tokens)
        kept = [
            t
            for i, t in enumerate(tokens)
            if not (
                i + 1 < n
                and ((t in units and nz._is_identifier(tokens[i + 1])) or (t in markers and tokens[i + 1].isdecimal()))
            )
        ]
        if settled and kept == tokens:
            break
        out, settled = nz._address_words(kept, table)
        if out == tokens:
            break
        tokens = out
    return full, tokens


_STREET_PIECES = _pieces(
    "ul.|Ulica| |Schillerstraße|Hauptstr.|str|Str.|strasse|5|12a|/|3|m.|Apt|Suite|nr|No.|Main|St|Fifth|"
    "Avenue|N|S.|a|b|Box|-|Ł|ß"
)


@given(_joined(_STREET_PIECES))
@settings(max_examples=400, deadline=None)
def test_oracle_address_tokens_are_the_full_form(value: str) -> None:
    got = nz._address_tokens(value)
    assert got == _address_tokens_in_full(value)


def test_settled_words_stripped_of_a_legal_form_are_not_read_again(monkeypatch) -> None:
    calls = []
    settled_name_words = nz._settled_name_words
    monkeypatch.setattr(nz, "_settled_name_words", lambda *a: calls.append(a) or settled_name_words(*a))
    assert nz.company_name("Domański Sp. z o.o.") == "domanski"
    assert len(calls) == 1


def test_a_text_without_digits_is_not_searched_for_letters_meeting_digits(monkeypatch) -> None:
    searched = _searched_by(monkeypatch, "_LETTER_DIGIT")
    assert nz._tokens("acme polska") == ["acme", "polska"]
    assert nz._tokens("rivera395") == ["rivera", "395"]
    assert searched == ["rivera395"]


def _email_parts_by_expressions(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """`email_parts` as written before: both parts cut by their regular expressions from every text, the tags and
    dots taken out of every local part and kept where the provider ignores them."""
    s = nz.strings(values).str.strip().str.lower().str.removeprefix("mailto:")
    at = s.str.contains("@", regex=False)
    local, domain = nz.local_parts(s), nz.domain_parts(s).str.strip(".")
    domain = domain.mask(domain == "googlemail.com", "gmail.com")
    local = local.mask(domain.isin(nz.PLUS_TAGS), local.str.replace(r"\+.*$", "", regex=True))
    local = local.mask(domain.isin(nz.DOT_BLIND), local.str.replace(".", "", regex=False))
    ok = (at & (local.str.len() > 0) & (domain.str.len() > 0)).fillna(False)
    joined = (local + "@" + domain).where(ok)
    local, domain = local.where(ok), domain.where(ok)
    broken = s.str.contains("\n", regex=False).fillna(False).to_numpy(dtype=bool) & ok.to_numpy(dtype=bool)
    if broken.any():
        local = local.mask(broken, nz.local_parts(joined.where(broken)))
        domain = domain.mask(broken, nz.domain_parts(joined.where(broken)))
    return joined, local, domain


_EMAIL = st.one_of(
    st.none(),
    st.text(alphabet="aB.+@\n \t-_ółx", max_size=14),
    _pieces("j.kowalski+crm@GoogleMail.com|mailto:A@b.pl|x\ny@gmail.com|a+b\nc@gmail.com|a@b\nc@d.com|@|a@.|a@b@c"),
)


@examples(300)
@given(st.lists(_EMAIL, max_size=25), st.sampled_from([object, "string[pyarrow]"]))
def test_oracle_email_parts_are_the_expressions_over_every_text(values: list[str | None], dtype: object) -> None:
    series = pd.Series(values, dtype=dtype, name="email")
    for got, want in zip(nz.email_parts(series), _email_parts_by_expressions(series), strict=True):
        pd.testing.assert_series_equal(got, want)


def test_email_parts_split_each_text_once(monkeypatch) -> None:
    cut: list[str] = []
    for name in ("local_parts", "domain_parts"):
        cutter = getattr(nz, name)
        monkeypatch.setattr(nz, name, lambda values, name=name, cutter=cutter: cut.append(name) or cutter(values))
    joined, local, domain = nz.email_parts(pd.Series(["Jan.Kowalski+x@gmail.com", "a@b.pl", None]))
    assert joined.tolist() == ["jankowalski@gmail.com", "a@b.pl", pd.NA]
    assert local.tolist() == ["jankowalski", "a", pd.NA] and domain.tolist() == ["gmail.com", "b.pl", pd.NA]
    assert cut == []
