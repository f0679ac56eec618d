"""Normalizers for matching, reused by the worklist's suggested fixes.

Each normalizer has a scalar form (`person_name("Dr. Łukasz  Nowak")`) and a column form
(`person_names(series)`). The column forms work on the distinct values and map back (names,
companies and streets repeat a lot), or with Arrow string kernels (emails, phones, postal
codes), so that a million rows cost seconds, not minutes. None and blank give None.

Folding (accents, Polish diacritics, case) is for matching only: the data is never changed.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from auditor.text import fold as fold_text


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or str(value).strip() == ""


def fold(text: str) -> str:
    """Łukasz -> lukasz, Müller -> muller, Żółkiewska -> zolkiewska (lower case, no accents)."""
    return fold_text(text).lower()


STRING = "string[pyarrow]"
"""Arrow-backed strings with NA semantics: the `.str` methods run as Arrow kernels on pandas 2 and 3."""


def strings(values: pd.Series) -> pd.Series:
    """`values` as Arrow-backed strings (missing stays <NA>; other cells become their `str`)."""
    s = pd.Series(values, copy=False)
    if s.dtype == STRING:
        return s
    if s.dtype == object:
        s = s.where(s.notna(), None)
    return s.astype(STRING)


def by_unique(values: pd.Series, fn: Callable[[str], str | None]) -> pd.Series:
    """Apply a scalar normalizer to the distinct non-blank values and map back (object dtype, None for blanks)."""
    s = pd.Series(values, copy=False)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    mapped = np.array([None if _blank(u) else fn(str(u)) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=s.index, dtype=object)


# --- person names -----------------------------------------------------------------------------

_HONORIFICS = (
    "mr mrs ms miss mx dr prof sir madam dame rev fr mgr inz inzynier pan pani herr frau sr sra srta don dona "
    "sig sigra dott dottssa ing mme mlle m monsieur madame jr sr ii iii phd mba md esq"
)
HONORIFICS = frozenset(_HONORIFICS.split())
_NON_NAME = re.compile(r"[^a-z\s'\-]")
_SPACES = re.compile(r"\s+")


def person_name(value: str | None) -> str | None:
    """' DR.  Łukasz ' -> 'lukasz'; 'O'Brien' -> 'obrien'; 'Anne-Marie' -> 'anne marie'; honorifics dropped."""
    if _blank(value):
        return None
    text = _NON_NAME.sub(" ", fold(str(value)).replace(".", " "))
    text = text.replace("'", "").replace("-", " ")
    words = [w for w in _SPACES.split(text) if w and w not in HONORIFICS]
    return " ".join(words) or None


def person_names(values: pd.Series) -> pd.Series:
    return by_unique(values, person_name)


@cache
def nickname_table() -> dict[str, str]:
    """Folded name or nickname -> folded canonical (formal) name: bob -> robert, kasia -> katarzyna.

    A nickname shared by several formal names (Chris: Christopher, Christian, Christine) maps to
    the alphabetically first of them, and so do those formal names, so that they all meet.
    """
    text = resources.files("auditor.dedupe").joinpath("data/nicknames.csv").read_text(encoding="utf-8")
    parent: dict[str, str] = {}
    rows = list(csv.DictReader(text.splitlines()))
    formal = {person_name(row["name"]) for row in rows}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for row in rows:
        a, b = person_name(row["name"]), person_name(row["nickname"])
        if a and b:
            ra, rb = find(a), find(b)
            if ra != rb:
                root = min((ra, rb), key=lambda r: (r not in formal, r))
                parent[rb if root == ra else ra] = root
    return {name: find(name) for name in list(parent)}


def canonical_first_name(value: str | None) -> str | None:
    """Normalized first name with nicknames resolved: 'Bob' -> 'robert', 'Kasia' -> 'katarzyna'."""
    name = person_name(value)
    if name is None:
        return None
    table = nickname_table()
    first = name.split(" ")[0]
    return table.get(name, table.get(first, name))


def canonical_first_names(values: pd.Series) -> pd.Series:
    return by_unique(values, canonical_first_name)


def soundex(value: str | None) -> str | None:
    """American Soundex of the folded name ('Kowalski' -> 'K424'); a cheap phonetic blocking key."""
    name = person_name(value)
    if not name:
        return None
    letters = [c for c in name if "a" <= c <= "z"]
    if not letters:
        return None
    codes = {
        **dict.fromkeys("bfpv", "1"),
        **dict.fromkeys("cgjkqsxz", "2"),
        **dict.fromkeys("dt", "3"),
        "l": "4",
        **dict.fromkeys("mn", "5"),
        "r": "6",
    }
    out, last = letters[0].upper(), codes.get(letters[0], "")
    for c in letters[1:]:
        code = codes.get(c, "")
        if code and code != last:
            out += code
        if c not in "hw":
            last = code
    return (out + "000")[:4]


# --- emails -----------------------------------------------------------------------------------

DOT_BLIND = frozenset({"gmail.com", "googlemail.com"})
"""Providers that ignore dots in the local part."""
PLUS_TAGS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "icloud.com",
        "me.com",
        "protonmail.com",
        "proton.me",
        "fastmail.com",
        "yahoo.com",
        "outlook.fr",
        "outlook.es",
        "outlook.it",
        "hotmail.co.uk",
        "hotmail.es",
    }
)
"""Providers that deliver local+tag@ to local@."""
FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "protonmail.com",
        "proton.me",
        "gmx.de",
        "gmx.net",
        "web.de",
        "t-online.de",
        "wp.pl",
        "onet.pl",
        "o2.pl",
        "interia.pl",
        "op.pl",
        "gazeta.pl",
        "hotmail.co.uk",
        "btinternet.com",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "outlook.fr",
        "hotmail.es",
        "outlook.es",
        "yahoo.es",
        "libero.it",
        "virgilio.it",
        "outlook.it",
        "ukr.net",
        "i.ua",
        "mail.ru",
        "yandex.ru",
        "yahoo.co.uk",
        "yahoo.fr",
        "hotmail.fr",
        "tlen.pl",
        "poczta.fm",
    }
)
_ROLES = (
    "info office biuro sales sprzedaz kontakt contact contacts hello hi admin administrator support help helpdesk "
    "marketing hr jobs careers kariera rekrutacja billing invoices faktury accounts accounting ksiegowosc finance "
    "noreply no-reply mail post service serwis team enquiries inquiries webmaster postmaster reception recepcja "
    "zamowienia orders shop sklep bok secretariat sekretariat vertrieb kontakt anfrage ventas contacto informazioni "
    "commerciale"
)
ROLE_LOCAL_PARTS = frozenset(_ROLES.split())


def email(value: str | None) -> str | None:
    """'John.Smith+crm@GMail.com ' -> 'johnsmith@gmail.com'; other providers keep dots and tags."""
    if _blank(value):
        return None
    text = str(value).strip().lower().removeprefix("mailto:")
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        return None
    domain = domain.strip(".")
    if domain == "googlemail.com":
        domain = "gmail.com"
    if domain in PLUS_TAGS:
        local = local.split("+", 1)[0]
    if domain in DOT_BLIND:
        local = local.replace(".", "")
    return f"{local}@{domain}" if local else None


def emails(values: pd.Series) -> pd.Series:
    """Column form of `email` with Arrow string kernels."""
    s = strings(values).str.strip().str.lower().str.removeprefix("mailto:")
    # regex replacements are Arrow kernels; rpartition and split fall back to Python per value
    at = s.str.contains("@", regex=False)
    local, domain = local_parts(s), domain_parts(s).str.strip(".")
    domain = domain.mask(domain == "googlemail.com", "gmail.com")
    tagged = domain.isin(PLUS_TAGS)
    local = local.mask(tagged, local.str.replace(r"\+.*$", "", regex=True))
    local = local.mask(domain.isin(DOT_BLIND), local.str.replace(".", "", regex=False))
    ok = at & (local.str.len() > 0) & (domain.str.len() > 0)
    out = (local + "@" + domain).where(ok.fillna(False))
    return out.astype(object).where(out.notna(), None)


def local_parts(values: pd.Series) -> pd.Series:
    """What comes before the last '@' (the whole text when there is none)."""
    return strings(values).str.replace(r"@[^@]*$", "", regex=True)


def domain_parts(values: pd.Series) -> pd.Series:
    """What comes after the last '@' (the whole text when there is none)."""
    return strings(values).str.replace(r"^.*@", "", regex=True)


def role_local_parts(local: pd.Series) -> pd.Series:
    """True where a local part's first segment (before '.', '_' or '-') is a role (info, sales, biuro...)."""
    return strings(local).str.replace(r"[._\-].*$", "", regex=True).isin(ROLE_LOCAL_PARTS)


def email_domain(value: str | None) -> str | None:
    e = email(value)
    return e.rpartition("@")[2] if e else None


def is_role_email(value: str | None) -> bool:
    """info@, sales@, biuro@...: an address of a function, not of a person."""
    e = email(value)
    return bool(e) and e.rpartition("@")[0].replace("_", ".").replace("-", ".").split(".")[0] in ROLE_LOCAL_PARTS


# --- phones -----------------------------------------------------------------------------------


def phone(value: str | None, region: str = "PL") -> str | None:
    """E.164 through phonenumbers: '12-589-23-02' (PL) -> '+48125892302'; None when it cannot be parsed."""
    import phonenumbers

    if _blank(value):
        return None
    try:
        number = phonenumbers.parse(str(value), (region or "PL").upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@cache
def _dialling(region: str) -> tuple[str, str]:
    """(country calling code, national prefix) of a region, from the phonenumbers metadata."""
    import phonenumbers
    from phonenumbers import PhoneMetadata

    code = phonenumbers.country_code_for_region(region)
    meta = PhoneMetadata.metadata_for_region(region)
    prefix = meta.national_prefix if meta is not None and meta.national_prefix else ""
    return (str(code) if code else "", prefix)


def phones(values: pd.Series, regions: pd.Series | str = "PL") -> pd.Series:
    """Column form of `phone`: E.164 for the usual spellings (digits, spaces, dashes, dots, slashes,
    parentheses, a leading + or 00), computed with Arrow kernels from the region's calling code and
    national prefix. Values with letters (extensions, 'n/a') go through phonenumbers one by one."""
    s = strings(values).str.strip()
    n = len(s)
    if isinstance(regions, str):
        region = pd.Series(regions.upper(), index=s.index, dtype=STRING)
    else:
        region = strings(regions).str.strip().str.upper()
    simple = s.str.fullmatch("\\+?[0-9 \\-./()\u00a0]{3,30}").fillna(False)
    digits = s.str.replace(r"[^0-9]", "", regex=True)
    plus = s.str.startswith("+").fillna(False)
    idd = (~plus) & digits.str.startswith("00").fillna(False)
    digits = digits.mask(idd, digits.str.slice(2))
    international = plus | idd
    out = pd.Series(pd.NA, index=s.index, dtype=STRING)
    out = out.mask(international & simple, "+" + digits)
    national = simple & ~international
    if national.any():
        for reg in pd.unique(region[national].fillna("").astype(object)):
            in_region = national & (region.fillna("") == reg)
            cc, prefix = _dialling(str(reg)) if reg else ("", "")
            if not cc:
                continue
            d = digits[in_region]
            if prefix:
                d = d.mask(d.str.startswith(prefix) & (d.str.len() > len(prefix) + 5), d.str.slice(len(prefix)))
            out = out.mask(in_region, "+" + cc + d)
    out = out.mask(out.str.len() < 8)
    rest = (~simple) & s.notna() & (s.str.len() > 0)
    if rest.any():
        reg = region.fillna("PL")
        out[rest] = [phone(v, r) for v, r in zip(s[rest], reg[rest], strict=True)]
    result = out.astype(object)
    return result.where(result.notna(), None) if n else result


# --- companies, websites, addresses, postal codes, dates --------------------------------------

LEGAL_FORMS = (
    "spolka z ograniczona odpowiedzialnoscia",
    "sp z o o",
    "spz oo",
    "sp zoo",
    "spolka z o o",
    "spolka akcyjna",
    "spolka komandytowa",
    "spolka jawna",
    "spolka komandytowo akcyjna",
    "sp k",
    "sp j",
    "s j",
    "s k",
    "ska",
    "s k a",
    "s a",
    "sa",
    "inc",
    "incorporated",
    "llc",
    "l l c",
    "limited liability company",
    "ltd",
    "limited",
    "plc",
    "p l c",
    "public limited company",
    "llp",
    "l l p",
    "limited liability partnership",
    "corp",
    "corporation",
    "co",
    "company",
    "gmbh",
    "g m b h",
    "gesellschaft mit beschrankter haftung",
    "ag",
    "a g",
    "aktiengesellschaft",
    "gmbh co kg",
    "gmbh u co kg",
    "gmbh und co kg",
    "kg",
    "ohg",
    "ug",
    "e k",
    "sas",
    "s a s",
    "sarl",
    "s a r l",
    "sasu",
    "eurl",
    "sl",
    "s l",
    "sociedad limitada",
    "slu",
    "sociedad anonima",
    "srl",
    "s r l",
    "spa",
    "s p a",
    "snc",
    "sas di",
    "tov",
    "t o v",
    "tov llc",
    "prat",
    "pjsc",
    "pp",
    "bv",
    "b v",
    "nv",
    "n v",
    "oy",
    "ab",
    "as",
    "a s",
    "aps",
    "sro",
    "s r o",
    "kft",
    "zrt",
    "doo",
    "d o o",
    "pty",
    "pty ltd",
    "group",
    "holding",
    "holdings",
)
_LEGAL_RE = re.compile(
    r"(?:\s+(?:" + "|".join(sorted((re.escape(f) for f in LEGAL_FORMS), key=len, reverse=True)) + r"))+$"
)
_NON_WORD = re.compile(r"[^a-z0-9]+")


def company_name(value: str | None) -> str | None:
    """'The Witkowski Sp. z o.o.' -> 'witkowski'; 'Thomas & Stewart, L.L.C.' -> 'thomas stewart'."""
    if _blank(value):
        return None
    text = _NON_WORD.sub(" ", fold(str(value)).replace("&", " ").replace("+", " ")).strip()
    text = text.removeprefix("the ")
    text = " ".join(w for w in text.split(" ") if w not in {"and", "und", "et", "i", "y", "e"}) or text
    stripped = _LEGAL_RE.sub("", " " + text).strip()
    return stripped or text or None


def company_names(values: pd.Series) -> pd.Series:
    return by_unique(values, company_name)


def website_domain(value: str | None) -> str | None:
    """'https://www.Example.co.uk/about?x' -> 'example.co.uk'; an email gives its domain."""
    if _blank(value):
        return None
    text = fold(str(value).strip())
    if "@" in text and "/" not in text.split("@")[0]:
        text = text.rpartition("@")[2]
    text = re.sub(r"^[a-z][a-z0-9+.\-]*://", "", text)
    text = re.split(r"[/?#]", text, maxsplit=1)[0].split(":")[0].strip(".")
    text = text.removeprefix("www.")
    return text if "." in text else None


def website_domains(values: pd.Series) -> pd.Series:
    return by_unique(values, website_domain)


_STREET_WORDS = {
    "ulica": "ul",
    "ul": "ul",
    "aleja": "al",
    "aleje": "al",
    "al": "al",
    "plac": "pl",
    "pl": "pl",
    "osiedle": "os",
    "os": "os",
    "street": "st",
    "st": "st",
    "str": "str",
    "strasse": "str",
    "avenue": "ave",
    "ave": "ave",
    "av": "ave",
    "road": "rd",
    "rd": "rd",
    "drive": "dr",
    "dr": "dr",
    "lane": "ln",
    "ln": "ln",
    "boulevard": "blvd",
    "blvd": "blvd",
    "square": "sq",
    "sq": "sq",
    "place": "pl",
    "court": "ct",
    "ct": "ct",
    "calle": "c",
    "c": "c",
    "via": "via",
    "viale": "vle",
    "vle": "vle",
    "rue": "rue",
    "platz": "pl",
    "weg": "weg",
    "apartment": "apt",
    "apt": "apt",
    "mieszkanie": "m",
    "m": "m",
    "lok": "m",
    "lokal": "m",
    "suite": "ste",
    "ste": "ste",
    "unit": "unit",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}


def address(value: str | None) -> str | None:
    """'ul. Świętokrzyska 114 m. 5' -> 'ul swietokrzyska 114 m 5'; 'Main Street' -> 'main st';
    'Schillerstraße' -> 'schiller str'."""
    if _blank(value):
        return None
    text = fold(str(value))
    text = re.sub(r"(?<=[a-z])(strasse|str\.)(?=\s|\d|$)", r" \1", text)
    text = re.sub(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)", " ", text)
    words = [_STREET_WORDS.get(w, w) for w in _NON_WORD.split(text) if w]
    return " ".join(words) or None


def addresses(values: pd.Series) -> pd.Series:
    return by_unique(values, address)


def city(value: str | None) -> str | None:
    if _blank(value):
        return None
    return _NON_WORD.sub(" ", fold(str(value))).strip() or None


def cities(values: pd.Series) -> pd.Series:
    return by_unique(values, city)


def postal_code(value: str | None) -> str | None:
    """'31-675' -> '31675'; 'b1 9qb' -> 'B19QB'."""
    if _blank(value):
        return None
    text = re.sub(r"[^0-9A-Za-z]", "", str(value)).upper()
    return text or None


def postal_codes(values: pd.Series) -> pd.Series:
    s = strings(values).str.replace(r"[^0-9A-Za-z]", "", regex=True).str.upper()
    s = s.mask(s.str.len() == 0)
    out = s.astype(object)
    return out.where(out.notna(), None)


def date(value: object) -> str | None:
    """Any date or datetime -> 'YYYY-MM-DD' (None when it cannot be read)."""
    if value is None or value is pd.NaT or _blank(value):
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    return None if pd.isna(stamp) else stamp.strftime("%Y-%m-%d")


def dates(values: pd.Series) -> pd.Series:
    s = pd.Series(values, copy=False)
    if not pd.api.types.is_datetime64_any_dtype(s):
        s = pd.to_datetime(strings(s), errors="coerce", format="mixed")
    out = s.dt.strftime("%Y-%m-%d").astype(object)
    return out.where(s.notna(), None)


def text(value: object) -> str | None:
    """Generic free text for fuzzy comparison: folded, punctuation to spaces."""
    if _blank(value):
        return None
    return _NON_WORD.sub(" ", fold(str(value))).strip() or None


def texts(values: pd.Series) -> pd.Series:
    return by_unique(values, text)


def exact(value: object) -> str | None:
    """Identifiers and codes: trimmed, case-folded."""
    if _blank(value):
        return None
    return str(value).strip().lower()


def exacts(values: pd.Series) -> pd.Series:
    s = strings(values).str.strip().str.lower()
    s = s.mask(s.str.len() == 0)
    out = s.astype(object)
    return out.where(out.notna(), None)
