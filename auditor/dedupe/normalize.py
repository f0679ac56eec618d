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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.checks.kinds._fastpath import holds_byte, kept, utf8_bytes
from auditor.text import fold as fold_text


def _blank(value: object) -> bool:
    if isinstance(value, str):  # nearly every value asked: one test instead of four
        return not value.strip()
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


def objects(values: pd.Series) -> pd.Series:
    """Arrow-backed strings as Python objects, None where missing (what the column forms return)."""
    out = values.astype(object)
    return out.where(out.notna(), None)


_MADE: ContextVar[dict[Callable, dict[str, object]] | None] = ContextVar("normalized", default=None)
"""Per normalizer, its result per text, while `remembered` holds (else None)."""
REMEMBERED_VALUES = 1 << 16
"""The most distinct values of a column whose results `remembered` keeps: a small table's names, not a million
streets held for the whole run."""


@contextmanager
def remembered() -> Iterator[None]:
    """Within it, each normalizer's result for a text is made once and reused by a later column of no more than
    `REMEMBERED_VALUES` distinct values: duplicate detection normalizes the names, e-mails and postcodes of the
    contacts and the leads, then of both again for their linkage."""
    token = _MADE.set({})
    try:
        yield
    finally:
        _MADE.reset(token)


Coded = tuple[np.ndarray, Any]
"""A column's codes (-1 missing) and distinct values, as `pd.factorize(column, use_na_sentinel=True)` gives them."""


def _distinct_mapped(
    values: pd.Series, fn: Callable[[str], object], coded: Coded | None = None
) -> tuple[pd.Series, np.ndarray, list | pa.Array]:
    """(values as a Series, their codes (-1 missing), `fn` of each distinct non-blank value then None: a list, or
    Arrow text where `fn` has a form in Arrow's kernels, `_KERNEL_FORMS`). `coded`: the values' `pd.factorize`,
    when it is known already (a feature made by `by_unique_coded`)."""
    s = pd.Series(values, copy=False)
    codes, uniques = coded if coded is not None else pd.factorize(s, use_na_sentinel=True)
    column_form = _KERNEL_FORMS.get(fn)
    if column_form is not None and (text := _unique_text(uniques)) is not None:
        # a fixed sequence of text operations: Arrow's kernels over every distinct value at once (remembering is
        # not needed: it is as cheap as looking the texts up)
        return s, codes, pa.concat_arrays([column_form(text), pa.nulls(1, pa.large_string())])
    # tolist, not iteration: an Arrow-backed Index yields its values one by one through pandas (6x slower)
    texts = uniques.tolist()
    made = _MADE.get()
    if made is None or len(texts) > REMEMBERED_VALUES:
        return s, codes, [None if _blank(u) else fn(str(u)) for u in texts] + [None]
    known = made.setdefault(fn, {})
    mapped = []
    for u in texts:
        if _blank(u):
            mapped.append(None)
            continue
        text = str(u)
        if text not in known:
            known[text] = fn(text)
        mapped.append(known[text])
    return s, codes, [*mapped, None]


def _unique_text(uniques: Any) -> pa.Array | None:
    """The distinct values as one Arrow large_string array, or None when they are not all text (or a text holds
    a lone surrogate, which UTF-8 cannot)."""
    array = getattr(uniques, "array", uniques)
    if isinstance(array, pd.arrays.ArrowStringArray):
        text = pa.array(array)
    else:
        values = np.asarray(array, dtype=object)
        if pd.api.types.infer_dtype(values, skipna=False) != "string":
            return None
        try:
            text = pa.array(values, type=pa.large_string())
        except (UnicodeEncodeError, pa.ArrowException):
            return None
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    return text.cast(pa.large_string())


def _as_objects(mapped: list | pa.Array) -> np.ndarray:
    if isinstance(mapped, pa.Array):
        return mapped.to_numpy(zero_copy_only=False)
    return np.array(mapped, dtype=object)


def _as_arrow(mapped: list | pa.Array) -> pa.Array:
    return mapped if isinstance(mapped, pa.Array) else pa.array(mapped, type=pa.large_string())


def by_unique(values: pd.Series, fn: Callable[[str], str | None]) -> pd.Series:
    """Apply a scalar normalizer to the distinct non-blank values and map back (object dtype, None for blanks)."""
    s, codes, mapped = _distinct_mapped(values, fn)
    return pd.Series(_as_objects(mapped)[codes], index=s.index, dtype=object)


def by_unique_text(values: pd.Series, fn: Callable[[str], str | None]) -> pd.Series:
    """`by_unique` as Arrow-backed strings (<NA> for blanks), made by Arrow from the distinct results: a
    million rows are never a million Python objects to be turned into Arrow text (0.1-0.2 s a column)."""
    return _mapped_text(*_distinct_mapped(values, fn))


def by_unique_coded(
    values: pd.Series, fn: Callable[[str], str | None], coded: Coded | None = None
) -> tuple[pd.Series, Coded]:
    """`by_unique_text`, and its result's `pd.factorize` (codes, distinct values) made from the distinct values'
    results instead of a hash of every row's text (0.1-0.15 s a column of a million records, for each feature
    coded and each feature made from another). The values are numbered as they first come in the rows: the
    distinct values are numbered so, so a result first comes with the first value giving it."""
    s, codes, mapped = _distinct_mapped(values, fn, coded)
    results = pd.Series(pd.arrays.ArrowStringArray(_as_arrow(mapped)), copy=False)
    # the distinct values' results are few; factorized as a column of their own, each keeps the number and the
    # vocabulary's type the whole column's factorize gives it
    numbered, uniques = pd.factorize(results, use_na_sentinel=True)
    return _mapped_text(s, codes, mapped), (numbered[np.where(codes < 0, len(mapped) - 1, codes)], uniques)


def by_unique_parts(
    values: pd.Series, fn: Callable[[str], list[str]], count: int, coded: Coded | None = None
) -> list[pd.Series]:
    """`by_unique_text` of each of the first `count` texts `fn` gives a value (<NA> beyond its last), `fn` applied
    once per distinct value for all of them (the values found and turned into Python strings once)."""
    s, codes, made = _distinct_mapped(values, fn, coded)
    return [_mapped_text(s, codes, [None if m is None or len(m) <= k else m[k] for m in made]) for k in range(count)]


def _mapped_text(s: pd.Series, codes: np.ndarray, mapped: list | pa.Array) -> pd.Series:
    """Per row of `s`, the text `mapped` holds for its code (`_distinct_mapped`'s), as Arrow-backed strings."""
    taken = _as_arrow(mapped).take(pa.array(np.where(codes < 0, len(mapped) - 1, codes)))
    return pd.Series(pd.arrays.ArrowStringArray(taken), index=s.index, copy=False)


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


_SOUNDEX = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}


def soundex(value: str | None) -> str | None:
    """American Soundex of the folded name ('Kowalski' -> 'K424'); a cheap phonetic blocking key."""
    name = person_name(value)
    if not name:
        return None
    letters = [c for c in name if "a" <= c <= "z"]
    if not letters:
        return None
    out, last = letters[0].upper(), _SOUNDEX.get(letters[0], "")
    for c in letters[1:]:
        code = _SOUNDEX.get(c, "")
        if code and code != last:
            out += code
            if len(out) == 4:  # the code is complete: the letters after it can only add to what is cut off
                break
        if c not in "hw":
            last = code
    return (out + "000")[:4]


_SOUNDEX_DIGITS = np.zeros(26, dtype=np.uint8)
for _letter, _digit in _SOUNDEX.items():
    _SOUNDEX_DIGITS[ord(_letter) - ord("a")] = int(_digit)
_HW = np.isin(np.arange(26), [ord("h") - ord("a"), ord("w") - ord("a")])
_HONORIFIC_WORDS = r"\b(?:" + "|".join(sorted(HONORIFICS)) + r")\b"


def _plain(text: pa.Array) -> pa.Array:
    """True where a text is printable ASCII alone (U+0020-007E): there `str.lower`, `str.strip` and `fold` are
    Arrow's ASCII kernels, and whitespace is the space alone."""
    return pc.match_substring_regex(text, r"^[\x20-\x7e]*$")


def _with_odd_values(
    text: pa.Array, fn: Callable[[str], str | None], kernels: Callable[[pa.Array], pa.Array]
) -> pa.Array:
    """`fn` of each text: `kernels` of the printable-ASCII ones, `fn` itself of the others, value by value."""
    plain = _plain(text)
    out = kernels(text)
    odd = pc.invert(plain)
    if pc.any(odd).as_py():
        made = [None if _blank(v) else fn(v) for v in text.filter(odd).to_pylist()]
        out = pc.replace_with_mask(out, odd, pa.array(made, type=pa.large_string()))
    return out


def _soundex_letters(text: pa.Array) -> pa.Array:
    """The letters `soundex` reads of printable-ASCII texts: those of `person_name`'s words (lower case, an
    apostrophe dropped, any other non-letter a separator, honorifics dropped), one after the other."""
    text = pc.replace_substring(pc.ascii_lower(text), "'", "")
    words = pc.replace_substring_regex(text, "[^a-z]+", " ")
    return pc.replace_substring(pc.replace_substring_regex(words, _HONORIFIC_WORDS, ""), " ", "")


def _soundex_of_letters(letters: pa.Array) -> pa.Array:
    """American Soundex of texts of the letters a-z alone (null where empty), all texts a letter at a time: a
    letter's digit is written when it differs from the last digit kept before it, which an h or a w leaves as
    it is; a text leaves the rounds when its four characters are written or its letters run out (most within
    a few letters, so the rounds read only the texts' first letters)."""
    letters = letters.cast(pa.large_binary())
    n = len(letters)
    offsets = np.frombuffer(letters.buffers()[1], dtype=np.int64)[letters.offset : letters.offset + n + 1]
    data = letters.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
    starts, lengths = offsets[:-1], np.diff(offsets)
    out = np.full((n, 4), ord("0"), dtype=np.uint8)
    filled = np.flatnonzero(lengths > 0)
    first = raw[starts[filled]] - ord("a")
    out[filled, 0] = first + ord("A")
    last = np.zeros(n, dtype=np.uint8)
    last[filled] = _SOUNDEX_DIGITS[first]
    written = np.ones(n, dtype=np.int64)
    k, active = 1, np.flatnonzero(lengths > 1)
    while len(active):
        letter = raw[starts[active] + k] - ord("a")
        digit = _SOUNDEX_DIGITS[letter]
        new = (digit > 0) & (digit != last[active])
        at = active[new]
        out[at, written[at]] = digit[new] + ord("0")
        written[at] += 1
        kept = ~_HW[letter]
        last[active[kept]] = digit[kept]
        k += 1
        active = active[(lengths[active] > k) & (written[active] < 4)]
    valid = pa.py_buffer(np.packbits(lengths > 0, bitorder="little"))
    return pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(np.arange(0, 4 * n + 1, 4, dtype=np.int64)), pa.py_buffer(out), valid
    )


def soundex_texts(text: pa.Array) -> pa.Array:
    """`soundex` of each text of an Arrow text array (no nulls), by Arrow's kernels and numpy where the text is
    printable ASCII, value by value elsewhere."""
    return _with_odd_values(text, soundex, lambda t: _soundex_of_letters(_soundex_letters(t)))


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
    return objects(email_texts(values))


def email_texts(values: pd.Series) -> pd.Series:
    """`emails` as Arrow-backed strings."""
    return email_parts(values)[0]


def email_parts(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """`email_texts`, and its `local_parts` and `domain_parts` (<NA> where there is no e-mail): the parts it is
    joined from, not cut out of it again by two regular expressions over every value. Arrow's kernels on the
    column's Arrow text, as pandas' string methods call them, without pandas' masks, alignments and copies around
    each (half the time of a million e-mails)."""
    s = strings(values)
    text = pc.utf8_trim_whitespace(arrow_text(s))
    text = pc.utf8_lower(text)
    text = pc.if_else(pc.starts_with(text, "mailto:"), pc.utf8_slice_codeunits(text, len("mailto:")), text)
    local, domain = _parts_at_last_at(text)
    domain = pc.utf8_trim(domain, ".")
    domain = pc.if_else(pc.equal(domain, "googlemail.com"), text_scalar("gmail.com"), domain)
    # a tag or a dot is taken out only where the provider ignores it: those rows alone are rewritten
    tagged = pc.is_in(domain, pa.array(sorted(PLUS_TAGS), type=pa.large_string()))
    if pc.any(tagged).as_py():
        local = pc.replace_with_mask(local, tagged, pc.replace_substring_regex(local.filter(tagged), r"\+.*$", ""))
    blind = pc.is_in(domain, pa.array(sorted(DOT_BLIND), type=pa.large_string()))
    if pc.any(blind).as_py():
        local = pc.replace_with_mask(local, blind, pc.replace_substring(local.filter(blind), ".", ""))
    ok = pc.fill_null(
        pc.and_(
            pc.match_substring(text, "@"),
            pc.and_(pc.greater(pc.utf8_length(local), 0), pc.greater(pc.utf8_length(domain), 0)),
        ),
        False,
    )
    missing = text_scalar(None)
    joined = pc.if_else(ok, pc.binary_join_element_wise(local, domain, text_scalar("@")), missing)
    local, domain = pc.if_else(ok, local, missing), pc.if_else(ok, domain, missing)
    joined, local, domain = (
        pd.Series(pd.arrays.ArrowStringArray(part), index=s.index, name=s.name, copy=False)
        for part in (joined, local, domain)
    )
    # the regular expressions' '.' stops at a line break: a text holding one is cut as `local_parts` and
    # `domain_parts` cut it (its domain may keep an '@', or its local part lose a line)
    broken = pc.and_(pc.fill_null(pc.match_substring(text, "\n"), False), ok).to_numpy(zero_copy_only=False)
    if broken.any():
        local = local.mask(broken, local_parts(joined.where(broken)))
        domain = domain.mask(broken, domain_parts(joined.where(broken)))
    return joined, local, domain


def _parts_at_last_at(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """`local_parts` and `domain_parts` of Arrow text, by one split at each text's last '@' instead of two regular
    expressions over every text. `domain_parts`' '.' stops at a line break: a text holding one keeps the
    expression's domain."""
    valid = pc.is_valid(text)
    parts = pc.split_pattern(pc.fill_null(text, ""), "@", max_splits=1, reverse=True)
    ends = parts.offsets.to_numpy()
    flat = pc.list_flatten(parts)
    missing = text_scalar(None)
    local = pc.if_else(valid, flat.take(pa.array(ends[:-1])), missing)
    domain = pc.if_else(valid, flat.take(pa.array(ends[1:] - 1)), missing)
    broken = pc.fill_null(pc.match_substring(text, "\n"), False)
    if pc.any(broken).as_py():
        cut = domain_parts(pd.Series(pd.arrays.ArrowStringArray(text.filter(broken)), copy=False))
        domain = pc.replace_with_mask(domain, broken, arrow_text(cut))
    return local, domain


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
    # the check kind's module imports pyarrow and phonenumbers: only when a number is spelt one by one
    from auditor.checks.kinds.phone import possible_e164

    if _blank(value):
        return None
    return possible_e164(str(value), (region or "PL").upper())


@cache
def _dialling(region: str) -> tuple[str, str]:
    """(country calling code, national prefix) of a region, from the phonenumbers metadata."""
    import phonenumbers  # start-up time: its metadata loads when a number is first read
    from phonenumbers import PhoneMetadata

    code = phonenumbers.country_code_for_region(region)
    meta = PhoneMetadata.metadata_for_region(region)
    prefix = meta.national_prefix if meta is not None and meta.national_prefix else ""
    return (str(code) if code else "", prefix)


def _e164(digits: pa.Array, plus: np.ndarray, simple: np.ndarray, region: pa.Array) -> pa.Array:
    """The `simple` numbers in E.164 from their `digits` (`ascii_digits`), null elsewhere and where shorter than 8
    characters: '+' and the digits of an international number (a leading '+', or '00' dropped); the region's calling
    code before a national number, its national prefix dropped where it leads a number long enough to hold one.
    Every number is a range of the digits' bytes, cut by moving its ends and written with its head into one buffer
    by numpy (the Arrow kernels' slices, joins and choices made a column of a million texts each, 0.4 s a column)."""
    offsets, data = utf8_bytes(digits)
    start, length = offsets[:-1].copy(), np.diff(offsets)

    def leading(rows: np.ndarray, prefix: str) -> np.ndarray:
        """The places of `rows` whose digits (from their start) begin with `prefix`."""
        at = np.flatnonzero(rows & (length >= len(prefix)))
        for k, byte in enumerate(prefix.encode()):
            at = at[data[start[at] + k] == byte]
        return at

    international = plus.copy()
    idd = leading(simple & ~plus, "00")
    start[idd] += 2
    length[idd] -= 2
    international[idd] = True
    national = simple & ~international
    encoded = pc.dictionary_encode(pc.if_else(pa.array(national), region, text_scalar(None)))
    dialling = [_dialling(str(reg)) if reg else ("", "") for reg in encoded.dictionary.to_pylist()]
    code = pc.fill_null(encoded.indices, len(dialling)).to_numpy(zero_copy_only=False)
    calling_length = np.array([len(cc) for cc, _ in dialling] + [0])[code]
    known = national & (calling_length > 0)
    for prefix in {p for cc, p in dialling if cc and p}:
        with_prefix = np.array([bool(cc) and p == prefix for cc, p in dialling] + [False])[code]
        lead = leading(known & with_prefix & (length > len(prefix) + 5), prefix)
        start[lead] += len(prefix)
        length[lead] -= len(prefix)
    head = np.where(known, 1 + calling_length, 1)
    size = np.where((international & simple) | known, head + length, 0)
    valid = size >= 8
    size[~valid] = 0
    ends = np.cumsum(size)
    begins = ends - size
    rows = np.flatnonzero(valid)
    buffer = np.empty(int(ends[-1]) if len(ends) else 0, dtype=np.uint8)
    # the numbers' digits in row order, into the places after their heads in row order
    buffer[_ranges(len(buffer), begins[rows] + head[rows], ends[rows])] = data[
        _ranges(len(data), start[rows], start[rows] + length[rows])
    ]
    buffer[begins[rows]] = ord("+")
    for k, (cc, _) in enumerate(dialling):
        at = begins[rows[known[rows] & (code[rows] == k)]]
        for j, byte in enumerate(cc.encode()):
            buffer[at + 1 + j] = byte
    return pa.LargeStringArray.from_buffers(
        len(digits),
        pa.py_buffer(np.concatenate([np.zeros(1, dtype=np.int64), ends])),
        pa.py_buffer(buffer),
        pa.array(valid).buffers()[1],
        len(digits) - len(rows),
    )


def _ranges(size: int, begins: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """True at the places of `size` within the ranges [begins, ends): ascending, disjoint and none empty."""
    marks = np.zeros(size + 1, dtype=np.int8)
    marks[begins] += 1
    marks[ends] -= 1
    return np.cumsum(marks[:-1], dtype=np.int8).astype(bool)


def phones(values: pd.Series, regions: pd.Series | str = "PL") -> pd.Series:
    """Column form of `phone`: E.164 for the usual spellings (digits, spaces, dashes, dots, slashes,
    parentheses, a leading + or 00), computed with Arrow kernels from the region's calling code and
    national prefix. Values with letters (extensions, 'n/a') go through phonenumbers one by one."""
    out = phone_texts(values, regions)
    return objects(out) if len(out) else out.astype(object)


def phone_texts(values: pd.Series, regions: pd.Series | str = "PL") -> pd.Series:
    """`phones` as Arrow-backed strings, made by Arrow's kernels on the column's Arrow text (pandas' string
    methods and masks around the same kernels cost twice the kernels on a million numbers)."""
    s = strings(values).str.strip()
    text = arrow_text(s)
    if isinstance(regions, str):
        region = pa.array(np.full(len(text), regions.upper(), dtype=object), type=pa.large_string())
    else:
        region = arrow_text(strings(regions).str.strip().str.upper())
    simple = pc.fill_null(pc.match_substring_regex(text, "^(\\+?[0-9 \\-./()\u00a0]{3,30})$"), False)
    digits = ascii_digits(text)
    plus = pc.fill_null(pc.starts_with(text, "+"), False).to_numpy(zero_copy_only=False)
    out = _e164(digits, plus, simple.to_numpy(zero_copy_only=False), region)
    rest = pc.and_(pc.invert(simple), pc.fill_null(pc.greater(pc.utf8_length(text), 0), False))
    if pc.any(rest).as_py():
        at = pa.array(np.flatnonzero(rest.to_numpy(zero_copy_only=False)))
        spelt = zip(text.take(at).to_pylist(), pc.fill_null(region, "PL").take(at).to_pylist(), strict=True)
        out = pc.replace_with_mask(out, rest, pa.array([phone(v, r) for v, r in spelt], type=pa.large_string()))
    return pd.Series(pd.arrays.ArrowStringArray(out), index=s.index, copy=False)


def ascii_digits(text: pa.Array) -> pa.Array:
    """Each text's ASCII digits ('+48 (12) 589-23-02' -> '48125892302'), as `replace_substring_regex(text,
    "[^0-9]", "")` gives them (`ascii_between`: 0.25 against 0.05 s for a million phone numbers)."""
    return ascii_between(text, "0", "9")


def ascii_between(text: pa.Array, first: str, last: str) -> pa.Array:
    """Each text's characters from ASCII `first` to `last`, as `replace_substring_regex(text, f"[^{first}-{last}]",
    "")` gives them: the checks' `kept` over the texts' UTF-8 bytes (no other character's UTF-8 holds an ASCII
    byte), not a regular expression per text."""
    return kept(text, lambda data: (data >= ord(first)) & (data <= ord(last)))


def ascii_letters(values: pd.Series) -> pd.Series:
    """Each value's letters a-z, as `strings(values).str.replace("[^a-z]", "", regex=True)` gives them, by
    `ascii_between`."""
    s = strings(values)
    letters = ascii_between(arrow_text(s), "a", "z")
    return pd.Series(pd.arrays.ArrowStringArray(letters), index=s.index, name=s.name, copy=False)


def non_ascii(values: pd.Series) -> np.ndarray:
    """True where a value holds a character beyond ASCII (`str.contains("[^\\x00-\\x7f]")`, False where missing):
    where its UTF-8 holds a byte of 0x80 or more."""
    return holds_byte(arrow_text(strings(values)), lambda data: data >= 0x80)


def text_scalar(text: str | None) -> pa.Scalar:
    """`text` (or a missing text) as a large_string scalar, for Arrow's kernels on `arrow_text`."""
    return pa.scalar(text, pa.large_string())


def arrow_text(values: pd.Series) -> pa.Array:
    """The Arrow text of an Arrow-backed string column, as one large_string array."""
    text = pa.array(values.array)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    return text.cast(pa.large_string())


# --- companies, websites, addresses, postal codes, dates --------------------------------------
#
# Company names, addresses and cities are cut into tokens the same way: folded and case-folded,
# apostrophes dropped (Morton's = Mortons, Int'l = Intl), a letter glued to a digit split
# (Rivera395 = Rivera 395, but ordinals stay whole: 21st), every other non-letter non-digit a
# separator. Tokens are then rewritten through the table data/abbreviations.csv
# (variant,canonical,scope,source), one scope per use:
#
#   name     company-name words (Intl = International, Assn = Association, Bros = Brothers, Mfg =
#            Manufacturing, Deli = Delicatessen, St = Saint = Street -> st...): The Bluebook, Table
#            T6 (abbreviations of words in case names), a few common ones (own); connectors (and, und,
#            et, and the one-letter i, y, e, u) have an empty canonical: they are dropped.
#   address  street words: USPS Publication 28 Appendix C1 (street suffixes, 527 spellings,
#            as transcribed in usaddress-scourgify 0.7.1, MIT), the directionals of Pub 28
#            section 233 (North = N...), European street types (ul., al., Str., Avda....), ordinal
#            words (Fifth = 5th); saint is st there too.
#   unit     secondary unit designators: USPS Publication 28 Appendix C2 (Apartment = Apt, Suite =
#            Ste, Floor = Fl...) and European ones (m., lok., Whg., app.): dropped before their
#            identifier (Apt 3 -> 3), so that "5/3", "5 m. 3" and "5 Apt 3" agree.
#   marker   number markers (nr, no, numer): dropped before a number.
#   city     St. = Saint, Ft. = Fort, Mt. = Mount, N. = North...
#
# The source column says where a row comes from: usps-c1, usps-c2, usps-233 (USPS Publication 28,
# Postal Addressing Standards: Appendix C1, Appendix C2, section 233), bluebook-t6 (The Bluebook:
# A Uniform System of Citation, Table T6), eu-street (the usual national abbreviations of street
# types and unit words: PL, DE, NL, ES, IT, FR), connector, and own (common spellings that no
# standard lists: Deli, BBQ, Blv, Centre, St for Saint and Street in names...). Our rows win over
# USPS C1 where they disagree (Str. is the German Strasse, Flat a UK apartment).
#
# Runs of one-letter tokens are glued (N.V. = N V = NV, U.S. = US, S.p.A. = SpA), so that dotted
# and spaced initials agree.

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc\u02bb`\u00b4]")
_SEPARATORS = re.compile(r"[\W_]+")
_WORD = re.compile(r"[^\W_]+")
"""A run of characters that are no separator (`_SEPARATORS`)."""
_DIGIT = re.compile(r"\d")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?!(?:st|nd|rd|th)\b)(?=[^\W\d_])")
_TLDS = (
    "com|net|org|info|biz|io|ai|app|dev|online|shop|store|tech|co|eu|de|pl|nl|fr|it|es|ch|at|be|se|dk|no|fi|"
    "cz|uk|ru|ua|jp|cn|in|au|ca|us"
)
_DOMAIN = re.compile(r"\b(?:www\.)?((?:[a-z0-9-]+\.)*[a-z0-9-]{2,})\.(?:" + _TLDS + r")(?:\.[a-z]{2})?\b")
_TLD_AFTER_DOT = re.compile(r"\.(?:" + _TLDS + r")")
_TRAILING_GROUP = re.compile(r"[(\[]([^()\[\]]*)[)\]][\s.,;:]*$")


def _prepare(text: str) -> str:
    """Folded (accents, Polish letters) and case-folded, apostrophes dropped; a fixed point of itself.

    Each character's folded form is looked up (`_FOLDED`), not the text folded as a whole: case-folding, the
    letters' table and NFKD without its combining marks each map a character to a text of its own (NFKD's
    reordering moves only combining marks, which are dropped), so the text folded is its characters' folded
    forms one after the other, and so is each of its rounds. Four rounds of a text that settles earlier give
    the settled text, as its rounds did until they stopped (`_fold_rounds`)."""
    if text.isascii():
        return _APOSTROPHES.sub("", text.lower())
    return _APOSTROPHES.sub("", text.translate(_FOLDED))


def _fold_rounds(text: str) -> str:
    """Case-folded and folded until it settles, four rounds at most (the straightforward form of `_prepare`)."""
    for _ in range(4):
        folded = fold_text(text.casefold()).casefold()
        if folded == text:
            break
        text = folded
    return text


class _FoldedCharacters(dict):
    """Per code point, its character's `_fold_rounds`, made when `str.translate` first asks for it."""

    def __missing__(self, point: int) -> str:
        folded = self[point] = _fold_rounds(chr(point))
        return folded


_FOLDED = _FoldedCharacters()


def _tokens(text: str) -> list[str]:
    """The text's words: split where a letter meets a digit (`_LETTER_DIGIT`), and at every run of separators."""
    if _DIGIT.search(text):  # a letter meets a digit only where there is a digit (most names have none)
        text = _LETTER_DIGIT.sub(" ", text)
    # the runs between separators, without the empty ones at the ends: what the split at them leaves
    return _WORD.findall(text)


def _glue_initials(tokens: list[str], tails: frozenset[str] = frozenset()) -> list[str]:
    """['n', 'v'] -> ['nv']: a run of two or more one-letter tokens is one word. A run that ends
    the tokens and ends in one of `tails` (legal forms) keeps it apart when at least two letters
    remain before it: 'D S M N V' -> ['dsm', 'nv']."""
    if min(map(len, tokens), default=2) > 1:  # no one-letter token (most names): nothing to glue
        return tokens
    out: list[str] = []
    run: list[str] = []
    for t in tokens:
        if len(t) == 1 and t.isalpha():
            run.append(t)
            continue
        if run:  # a run ends before a longer token: one word, or the letter alone
            out.append("".join(run))
            run = []
        if t:
            out.append(t)
    if len(run) > 1:  # the run ends the tokens: a trailing legal form among `tails` stays apart
        word = "".join(run)
        cut = next((k for k in range(len(run) - 2, 1, -1) if word[-k:] in tails), 0) if tails else 0
        out.extend([word[:-cut], word[-cut:]] if cut else [word])
    else:
        out.extend(run)
    return out


@cache
def abbreviations(scope: str) -> dict[str, str]:
    """Variant -> canonical token of one scope of data/abbreviations.csv (name, address, unit,
    marker, city). An empty canonical drops the word. Chains are resolved (canonical of a canonical)."""
    text = resources.files("auditor.dedupe").joinpath("data/abbreviations.csv").read_text(encoding="utf-8")
    table: dict[str, str] = {}
    for row in csv.DictReader(text.splitlines()):
        if scope in row["scope"].split(";"):
            table.setdefault(row["variant"].strip(), row["canonical"].strip())
    for variant in list(table):
        seen = {variant}
        canonical = table[variant]
        while canonical in table and table[canonical] != canonical and canonical not in seen:
            seen.add(canonical)
            canonical = table[canonical]
        table[variant] = canonical
    return table


# company names


def _name_words(tokens: list[str], tails: frozenset[str] = frozenset()) -> list[str]:
    """Abbreviations of the name scope, connectors dropped, initials glued (a trailing legal form
    among `tails` kept apart): until nothing changes."""
    return _settled_name_words(tokens, tails)[0]


def _settled_name_words(tokens: list[str], tails: frozenset[str]) -> tuple[list[str], bool]:
    """`_name_words`, and whether its tokens are settled: True unless its eight rounds ran out while they
    still changed. A settled result comes back unchanged from `_name_words`, which need not be asked."""
    table = abbreviations("name")
    for _ in range(8):
        out = [table.get(t, t) for t in tokens]
        if "" in out:  # a connector (an empty canonical): the rare case, token by token
            out = _without_connectors(tokens, out)
        out = _glue_initials(out, tails)
        if out == tokens:
            return tokens, True
        tokens = out
    return tokens, False


def _without_connectors(tokens: list[str], canonical: list[str]) -> list[str]:
    """The canonical words of `tokens` without their connectors: 'and' always goes; a one-letter connector
    (Kowalski i Nowak) only between two words, else it stays as written."""
    out: list[str] = []
    n = len(tokens)
    for i, (t, c) in enumerate(zip(tokens, canonical, strict=True)):
        if not c:
            if len(t) > 1 or (0 < i < n - 1 and len(tokens[i - 1]) > 1 and len(tokens[i + 1]) > 1):
                continue
            c = t
        out.append(c)
    return out


def _name_tokens(text: str, tails: frozenset[str] = frozenset()) -> list[str]:
    """Tokens of a prepared name ('&' and '+' read as 'and'), before legal forms are stripped."""
    return _name_words(_split_name(text), tails)


def _split_name(text: str) -> list[str]:
    return _tokens(text.replace("&", " and ").replace("+", " and "))


@cache
def _legal_form_table() -> tuple[frozenset[tuple[str, ...]], frozenset[tuple[str, ...]], int]:
    """(forms stripped at the end, forms stripped at the start, longest form in tokens).

    The end forms are every term of cleanco's data (cleanco.termdata: legal forms of about 80
    jurisdictions, by type and by country), plus data/legal_forms.csv (form,position,country,note):
    our additions (Polish, CIS, Asian forms, multi-word expansions), the forms also written before
    the name (position start or both: N.V. Philips, AB Volvo, OOO Romashka, PT Bank...), and the
    cleanco terms we do not strip (position never). Each form goes through the same tokens as a
    name, so that N.V. = NV = N V and Sp. z o.o. = Sp.z o.o.
    """
    from cleanco.termdata import (  # start-up time: loaded when a company name is first read
        terms_by_country,
        terms_by_type,
    )

    terms = {t for group in (terms_by_type, terms_by_country) for forms in group.values() for t in forms}
    end: set[tuple[str, ...]] = set()
    start: set[tuple[str, ...]] = set()
    never: set[tuple[str, ...]] = set()
    for term in terms:
        if any("\x80" <= c <= "\x9f" for c in term):  # a mis-encoded term of cleanco's data
            continue
        form = tuple(_name_tokens(_prepare(term)))
        if form:
            end.add(form)
    text = resources.files("auditor.dedupe").joinpath("data/legal_forms.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(text.splitlines()):
        form = tuple(_name_tokens(_prepare(row["form"])))
        position = row["position"].strip()
        if not form:
            continue
        if position == "never":
            never.add(form)
        if position in ("end", "both"):
            end.add(form)
        if position in ("start", "both"):
            start.add(form)
    end -= never
    start -= never
    end.add(("the",))
    start.add(("the",))
    longest = max(len(f) for f in end | start)
    return frozenset(end), frozenset(start), longest


@cache
def _legal_tails() -> frozenset[str]:
    """The one-word end forms ('nv', 'sa', 'gmbh'...): kept apart from spelled-out initials before them."""
    return frozenset(f[0] for f in _legal_form_table()[0] if len(f) == 1 and f != ("the",))


def legal_forms() -> tuple[str, ...]:
    """Every legal form company_name strips, as its tokens ('gmbh co kg', 'nv', 'sp zoo'...), sorted."""
    end, start, _ = _legal_form_table()
    return tuple(sorted(" ".join(f) for f in (end | start) - {("the",)}))


def __getattr__(name: str) -> object:
    if name == "LEGAL_FORMS":  # the former constant, now read from cleanco and data/legal_forms.csv
        return legal_forms()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _ends_with_form(tokens: list[str]) -> bool:
    """True when the tokens end in a legal form ('the' is none) that is not all there is."""
    end, _, longest = _legal_form_table()
    return any(
        tuple(tokens[-k:]) in end and tokens[-k:] != ["the"] for k in range(1, min(longest, len(tokens) - 1) + 1)
    )


def _strip_legal_forms(tokens: list[str]) -> list[str]:
    """Legal forms (and 'the') off both ends, longest first, always keeping one token."""
    end, start, _ = _legal_form_table()
    last_words, first_words = _form_edges()
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        # only a form of a length that ends in the tokens' last word (starts in their first) can be there: most
        # names have none, and the others are asked only of those lengths, longest first
        for k in last_words.get(tokens[-1], ()):
            if k < len(tokens) and tuple(tokens[-k:]) in end:
                tokens, changed = tokens[:-k], True
                break
        if not changed:
            for k in first_words.get(tokens[0], ()):
                if k < len(tokens) and tuple(tokens[:k]) in start:
                    tokens, changed = tokens[k:], True
                    break
    return tokens


@cache
def _form_edges() -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
    """Per last word of the forms stripped at the end, the lengths of those forms, longest first; and per first
    word of the forms stripped at the start, theirs."""
    end, start, _ = _legal_form_table()
    return _lengths_by_word(end, -1), _lengths_by_word(start, 0)


def _lengths_by_word(forms: frozenset[tuple[str, ...]], at: int) -> dict[str, tuple[int, ...]]:
    lengths: dict[str, set[int]] = {}
    for form in forms:
        lengths.setdefault(form[at], set()).add(len(form))
    return {word: tuple(sorted(ks, reverse=True)) for word, ks in lengths.items()}


@cache
def _countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 and alpha-3 codes and English names (pycountry), folded, plus UK."""
    import pycountry  # start-up time: its database loads when a country is first read

    out = {"uk", "united kingdom", "usa", "united states"}
    for c in pycountry.countries:
        for attr in ("alpha_2", "alpha_3", "name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if value:
                out.add(" ".join(_tokens(_prepare(value))))
    return frozenset(out)


def _is_place(text: str) -> bool:
    """A blank, or a country: 'NL', '(N.L.)', 'Netherlands', 'USA'."""
    tokens = _tokens(_prepare(text))
    return not tokens or " ".join(tokens) in _countries() or "".join(tokens) in _countries()


def _drop_trailing_place(text: str) -> str:
    """'unilever n.v. (nl)' -> 'unilever n.v.'; 'dsm n.v., heerlen, nl' -> 'dsm n.v.'.

    A trailing parenthesised country (ISO code or English name) goes, and so does any trailing
    parenthesised group after a legal form ('Acme GmbH (Berlin)', 'Schlumberger Technology B.V.
    (STBV)'). After commas, trailing countries go, and so does everything after the first
    comma-separated part that ends in a legal form: a legal form closes the registered name, what
    follows is a place, an address or a department. Any other trailing place stays ('Le Chardonnay
    (Los Angeles)', 'Acme UK'): it may tell two branches or subsidiaries apart.
    """
    while (m := _TRAILING_GROUP.search(text)) and text[: m.start()].strip():
        head = text[: m.start()]
        if not (_is_place(m.group(1)) or _ends_with_form(_name_tokens(head, _legal_tails()))):
            break
        text = head
    if "," not in text:
        return text
    parts = text.split(",")
    while len(parts) > 1 and _is_place(parts[-1]):
        parts.pop()
    for k in range(len(parts) - 1):
        head = _name_tokens(",".join(parts[: k + 1]), _legal_tails())
        if _ends_with_form(head):
            parts = parts[: k + 1]
            break
    return ",".join(parts)


def _domain_labels(match: re.Match[str]) -> str:
    return " " + match.group(1).replace(".", " ") + " "


def _company_tokens(value: str) -> list[str]:
    text = _drop_trailing_place(_prepare(value))
    if _TLD_AFTER_DOT.search(text):  # what every domain-like word holds (most names have none)
        text = _DOMAIN.sub(_domain_labels, text)
    tails = _legal_tails()
    tokens, settled = _settled_name_words(_split_name(text), tails)
    # legal forms off and the words again, until nothing changes; a round whose words are settled and would
    # come back unchanged is not made (stripping twice strips no more than once: it strips to the end)
    for _ in range(8):
        stripped = _strip_legal_forms(tokens)
        if settled:
            # settled words keep no word the tables rewrite, no 'and' and no two one-letter words side by side;
            # so do their words with some taken off the ends (a connector left between two words had those
            # neighbours before), and a round of words would give them back as they are
            return stripped
        out, settled = _settled_name_words(stripped, tails)
        if out == tokens:
            break
        tokens = out
        if settled and out == stripped:
            break
    return tokens


def company_name(value: str | None) -> str | None:
    """A company name for matching: 'The Witkowski Sp. z o.o.' -> 'witkowski'; 'Thomas & Stewart,
    L.L.C.' -> 'thomas stewart'; '* AKZO NOBEL N.V.,' -> 'akzo nobel'; 'UNILEVER N.V. (NL)' ->
    'unilever'; 'DSM N.V., HEERLEN, NL' -> 'dsm'; 'Arts Deli' -> 'arts delicatessen'; 'Rivera395
    Inc' -> 'rivera 395'; 'Amazon.com, Inc.' -> 'amazon'.

    Steps: fold and case-fold; drop a trailing country and what follows a legal form after a comma
    (`_drop_trailing_place`); a domain-like word loses its top-level domain ('booking.com' ->
    'booking', so that a '.com' is never read as an abbreviation); '&' and '+' read as 'and'; the
    tokens of the module comment above, with the name scope of data/abbreviations.csv; then legal
    forms (cleanco's terms and data/legal_forms.csv, see `_legal_form_table`) and 'the' are taken
    off the end, and off the start for the forms written first there, longest form first, as long as
    a token remains ('AG' alone stays 'ag'). Numbers stay, as words of their own (see
    `name_numbers`). Deterministic and idempotent: company_name(company_name(x)) == company_name(x).
    """
    if _blank(value):
        return None
    return " ".join(_company_tokens(str(value))) or None


def company_names(values: pd.Series) -> pd.Series:
    return by_unique(values, company_name)


_ROMAN = re.compile(r"x{0,3}(?:ix|iv|v?i{0,3})")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}


def _roman(token: str) -> int | None:
    """ii..xxxix -> 2..39 (i, v and x alone are too often a letter)."""
    if len(token) < 2 or not _ROMAN.fullmatch(token):
        return None
    total = 0
    for a, b in zip(token, [*token[1:], ""], strict=True):
        v = _ROMAN_VALUES[a]
        total += -v if b and _ROMAN_VALUES[b] > v else v
    return total


def name_numbers(value: str | None) -> str | None:
    """The numbers of a company name, sorted, as text: 'Rivera395 Inc' -> '395'; 'Studio 54 & 2
    Brothers' -> '2 54'; 'Capital Partners III LP' -> '3'; 'Rivera Inc' -> None.

    What counts, read from the words of `company_name` (so not the digits of a dropped legal form
    or trailing country): each group of digits (letters glued to digits are split off first, so
    'B2B' gives 2 and '3M' gives 3: the letters stay in the name part), an ordinal's number ('21st'
    -> 21, and 'First' -> 1 since first = 1st), and a Roman numeral from II to XXXIX that is not the
    first word (Fund II; not 'Vi Holdings'). Leading zeros do not count (007 = 7). The same numbers
    in another order give the same text; None when there is no number. Two names whose numbers
    differ ('Rivera395' / 'Rivera251') are different companies however alike the rest is.
    """
    name = company_name(value)
    return None if name is None else numbers_of_name(name)


_MAY_HOLD_NUMBER = re.compile(r"\d| [ivx]{2,}(?: |$)")
"""A digit, or a word after the first of two or more of the letters Roman numerals are written in here: a name
without either holds no number (most names), and its words need not be read one by one."""


def numbers_of_name(name: str) -> str | None:
    """`name_numbers` of a name `company_name` has made."""
    if not _MAY_HOLD_NUMBER.search(name):
        return None
    numbers: list[int] = []
    for i, token in enumerate(name.split(" ")):
        digits = token[:-2] if token[-2:] in ("st", "nd", "rd", "th") and token[:-2].isdecimal() else token
        if digits.isdecimal():
            numbers.append(int(digits))
        elif i > 0 and (r := _roman(token)) is not None:
            numbers.append(r)
    return " ".join(str(n) for n in sorted(numbers)) or None


def names_numbers(values: pd.Series) -> pd.Series:
    return by_unique(values, name_numbers)


def numbers_of_company_names(names: pd.Series) -> pd.Series:
    """`names_numbers` of the raw names, from the column `company_names` made of them: each name is
    normalised once, not once for each."""
    return by_unique(names, numbers_of_name)


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


def _website_domain_kernels(text: pa.Array) -> pa.Array:
    """`website_domain` of printable-ASCII texts, step by step, as Arrow's kernels."""
    text = pc.ascii_lower(pc.ascii_trim(text, " "))
    # an address whose first '@' comes before any '/' gives what follows its last '@'
    text = pc.if_else(pc.match_substring_regex(text, "^[^/@]*@"), pc.replace_substring_regex(text, "^.*@", ""), text)
    text = pc.replace_substring_regex(text, r"^[a-z][a-z0-9+.\-]*://", "")
    text = pc.replace_substring_regex(pc.replace_substring_regex(text, "[/?#].*", ""), ":.*", "")
    text = pc.replace_substring_regex(pc.ascii_trim(text, "."), r"^www\.", "")
    return pc.if_else(pc.match_substring(text, "."), text, pa.scalar(None, pa.large_string()))


def website_domain_texts(text: pa.Array) -> pa.Array:
    """`website_domain` of each text of an Arrow text array (no nulls), by Arrow's kernels where the text is
    printable ASCII, value by value elsewhere."""
    return _with_odd_values(text, website_domain, _website_domain_kernels)


# addresses and cities

_GLUED_STRASSE = re.compile(r"(?<=[a-z])(strasse|str\.)(?=\s|\d|$)")
_NOT_HOUSE = frozenset({"box", "hwy", "rte", "fwy", "expy", "tpke", "km", "interstate"})
_MONTH_NAMES = (
    "stycznia lutego marca kwietnia maja czerwca lipca sierpnia wrzesnia pazdziernika listopada grudnia "
    "januar februar marz april mai juni juli august september oktober november dezember "
    "january february march may june july october december "
    "janvier fevrier mars avril juin juillet aout septembre octobre novembre decembre "
    "enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre "
    "gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre"
)
_MONTHS = frozenset(_MONTH_NAMES.split())
"""Month names (PL genitive, DE, EN, FR, ES, IT): a number before one is a date in a street name
(ul. 3 Maja, Straße des 17. Juni, Avenida 9 de Julio), not a house number."""


def _is_identifier(token: str | None) -> bool:
    return token is not None and (any(c.isdecimal() for c in token) or (len(token) == 1 and token.isalpha()))


def _address_words(tokens: list[str], table: dict[str, str]) -> tuple[list[str], bool]:
    """The tokens rewritten by `table` (an empty canonical drops the word) and initials glued, until nothing
    changes; and whether they settled (True unless the eight rounds ran out while they still changed): settled
    tokens come back unchanged from another call, which need not be made."""
    for _ in range(8):
        out = _glue_initials([c for t in tokens if (c := table.get(t, t))])
        if out == tokens:
            return tokens, True
        tokens = out
    return tokens, False


@cache
def _address_tables() -> tuple[dict[str, str], frozenset[str], frozenset[str]]:
    """(address and unit words -> canonical, canonical unit designators, number markers)."""
    table = {**abbreviations("address"), **abbreviations("unit")}
    return table, frozenset(abbreviations("unit").values()), frozenset(abbreviations("marker"))


@cache
def _droppers() -> frozenset[str]:
    """The unit designators and number markers: the words `_address_tokens` may drop."""
    _, units, markers = _address_tables()
    return units | markers


def _address_tokens(value: str) -> tuple[list[str], list[str]]:
    """(tokens with the address and unit words rewritten and initials glued; the same with the unit
    designators and number markers dropped before their identifier)."""
    table, units, markers = _address_tables()
    text = _prepare(value)
    if "str" in text:  # what the glued Strasse is written with (most streets have neither)
        text = _GLUED_STRASSE.sub(r" \1", text)
    full, settled = _address_words(_tokens(text), table)
    tokens = full
    droppers = _droppers()
    for _ in range(8):
        n = len(tokens)
        # only a unit designator or a number marker is dropped: tokens holding neither are kept as they are
        kept = (
            tokens
            if droppers.isdisjoint(tokens)
            else [
                t
                for i, t in enumerate(tokens)
                if not (
                    i + 1 < n
                    and ((t in units and _is_identifier(tokens[i + 1])) or (t in markers and tokens[i + 1].isdecimal()))
                )
            ]
        )
        if settled and kept == tokens:  # nothing dropped (most addresses): the words would come back as they are
            break
        out, settled = _address_words(kept, table)
        if out == tokens:
            break
        tokens = out
    return full, tokens


def address(value: str | None) -> str | None:
    """A street address for matching: '435 S. La Cienega Blv.' = '435 s. la cienega blvd.' ->
    '435 s ln cienega blvd'; '12224 Ventura Boulevard' -> '12224 ventura blvd'; 'ul. Świętokrzyska 114
    m. 5' = 'Ulica Swietokrzyska 114/5' -> 'ul swietokrzyska 114 5'; 'Schillerstraße 122' -> 'schiller
    str 122'; 'Main St 5 Apt 3' -> 'main st 5 3'; 'Fifth Avenue' -> '5th ave'.

    Tokens as in the module comment above the company names, rewritten with the address, unit and
    marker scopes of data/abbreviations.csv (USPS Publication 28 street suffixes and directionals,
    European street types, ordinal words); unit designators and number markers are dropped before
    their identifier, house and unit numbers stay. Idempotent.
    """
    if _blank(value):
        return None
    return " ".join(_address_tokens(str(value))[1]) or None


def addresses(values: pd.Series) -> pd.Series:
    return by_unique(values, address)


def house_number(value: str | None) -> str | None:
    """The first house number of an address, for blocking with a postal code or city: '435 s. la
    cienega blv.' -> '435'; 'ul. Długa 12a/3' -> '12'; 'Suite 200, 1 Main St' -> '1'; 'ul. 3 Maja 5'
    -> '5'; 'PO Box 12' -> None.

    The first number (digits only, leading zeros dropped: 12a and 12-14 give 12) that is not a
    unit's (after Apt, Suite, m....), a PO box's, a road's (Hwy 1, Route 66, km 5), an ordinal (5th
    Ave) or a date in a street name (a number before a month name).
    """
    if _blank(value):
        return None
    tokens = _address_tokens(str(value))[0]
    units = _address_tables()[1]
    for i, t in enumerate(tokens):
        if not (t.isascii() and t.isdecimal()):
            continue
        before = tokens[i - 1] if i else ""
        after = tokens[i + 1 : i + 3]
        if before in units or before in _NOT_HOUSE:
            continue
        if after and (after[0] in _MONTHS or (after[0] in ("de", "del", "des") and after[1:] and after[1] in _MONTHS)):
            continue
        return t.lstrip("0") or "0"
    return None


def house_numbers(values: pd.Series) -> pd.Series:
    return by_unique(values, house_number)


def city(value: str | None) -> str | None:
    """'St. Louis' = 'Saint Louis' -> 'saint louis'; 'Ft. Worth' -> 'fort worth'; 'N. Hollywood' ->
    'north hollywood' (the city scope of data/abbreviations.csv)."""
    if _blank(value):
        return None
    table = abbreviations("city")
    words = [table.get(t, t) for t in _SEPARATORS.split(_prepare(str(value))) if t]
    return " ".join(w for w in words if w) or None


def cities(values: pd.Series) -> pd.Series:
    return by_unique(values, city)


def postal_code(value: str | None) -> str | None:
    """'31-675' -> '31675'; 'b1 9qb' -> 'B19QB'."""
    if _blank(value):
        return None
    text = re.sub(r"[^0-9A-Za-z]", "", str(value)).upper()
    return text or None


def postal_codes(values: pd.Series) -> pd.Series:
    return objects(postal_code_texts(values))


def postal_code_texts(values: pd.Series) -> pd.Series:
    """`postal_codes` as Arrow-backed strings."""
    s = strings(values).str.replace(r"[^0-9A-Za-z]", "", regex=True).str.upper()
    return s.mask(s.str.len() == 0)


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
    return objects(exact_texts(values))


def exact_texts(values: pd.Series) -> pd.Series:
    """`exacts` as Arrow-backed strings."""
    s = strings(values).str.strip().str.lower()
    return s.mask(s.str.len() == 0)


_KERNEL_FORMS: dict[Callable, Callable[[pa.Array], pa.Array]] = {
    soundex: soundex_texts,
    website_domain: website_domain_texts,
}
"""Normalizers that are a fixed sequence of text operations, and their form over Arrow text (`_distinct_mapped`):
the same result for every text (oracle tests against the scalar forms)."""
