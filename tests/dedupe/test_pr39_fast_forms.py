"""Oracle tests of the normalisers' fast forms against the forms they replace: the phones' digits kept from the texts'
bytes against the regular expression, the numbers written by numpy against Arrow's kernels."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.dedupe import normalize as nz

_PHONE_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["+", "00", "0", "48", " ", "-", ".", "/", "(", ")", "\u00a0", "ext", "brak", "n/a", "١٢"]),
        st.text(max_size=6),
    ),
    max_size=8,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), _PHONE_TEXT), max_size=30), st.integers(0, 4), st.integers(0, 4))
def test_ascii_digits_oracle_is_the_regular_expression(texts: list[str | None], start: int, cut: int) -> None:
    """Oracle: any text (non-ASCII digits and letters, blanks, nulls), of a whole array or a slice of one."""
    whole = pa.array(texts, type=pa.large_string())
    text = whole.slice(min(start, len(whole)), max(len(whole) - start - cut, 0))
    got = nz.ascii_digits(text)
    got.validate(full=True)
    assert got.equals(pc.replace_substring_regex(text, "[^0-9]", ""))


def _phone_texts_by_kernels(values: pd.Series, regions: pd.Series | str) -> pd.Series:
    """`nz.phone_texts` as Arrow's kernels made it before its numbers were written by numpy (fe3e207): the oracle."""
    s = nz.strings(values).str.strip()
    text = nz.arrow_text(s)
    if isinstance(regions, str):
        region = pa.array([regions.upper()] * len(text), type=pa.large_string())
    else:
        region = nz.arrow_text(nz.strings(regions).str.strip().str.upper())
    simple = pc.fill_null(pc.match_substring_regex(text, "^(\\+?[0-9 \\-./()\u00a0]{3,30})$"), False)
    digits = pc.replace_substring_regex(text, "[^0-9]", "")
    plus = pc.fill_null(pc.starts_with(text, "+"), False)
    idd = pc.and_(pc.invert(plus), pc.fill_null(pc.starts_with(digits, "00"), False))
    digits = pc.if_else(idd, pc.utf8_slice_codeunits(digits, 2), digits)
    international = pc.or_(plus, idd)
    missing = nz.text_scalar(None)
    out = pc.if_else(
        pc.and_(international, simple),
        pc.binary_join_element_wise(nz.text_scalar("+"), digits, nz.text_scalar("")),
        missing,
    )
    national = pc.and_(simple, pc.invert(international))
    encoded = pc.dictionary_encode(pc.if_else(national, region, missing))
    dialling = [nz._dialling(str(reg)) if reg else ("", "") for reg in encoded.dictionary.to_pylist()]
    at = pc.fill_null(encoded.indices, len(dialling))
    calling = pa.array([cc for cc, _ in dialling] + [""], type=pa.large_string()).take(at)
    prefix = pa.array([p for _, p in dialling] + [""], type=pa.large_string()).take(at)
    known = pc.and_(national, pc.not_equal(calling, ""))
    d = digits
    for p in {p for cc, p in dialling if cc and p}:
        long_enough = pc.and_(pc.starts_with(d, p), pc.greater(pc.utf8_length(d), len(p) + 5))
        lead = pc.and_(pc.and_(known, pc.equal(prefix, p)), pc.fill_null(long_enough, False))
        d = pc.if_else(lead, pc.utf8_slice_codeunits(d, len(p)), d)
    out = pc.if_else(known, pc.binary_join_element_wise(nz.text_scalar("+"), calling, d, nz.text_scalar("")), out)
    out = pc.if_else(pc.fill_null(pc.less(pc.utf8_length(out), 8), False), missing, out)
    rest = pc.and_(pc.invert(simple), pc.fill_null(pc.greater(pc.utf8_length(text), 0), False))
    spelt = zip(text.filter(rest).to_pylist(), pc.fill_null(region, "PL").filter(rest).to_pylist(), strict=True)
    out = pc.replace_with_mask(out, rest, pa.array([nz.phone(v, r) for v, r in spelt], type=pa.large_string()))
    return pd.Series(pd.arrays.ArrowStringArray(out), index=s.index, copy=False)


_NUMBER = st.lists(
    st.one_of(
        st.sampled_from(["+", "00", "0", "1", "8", "06", "48", "44", "49", " ", "-", ".", "(", ")", "\u00a0", "x"]),
        st.text(alphabet="0123456789", max_size=9),
        st.text(max_size=3),
    ),
    max_size=7,
).map("".join)
_REGION = st.one_of(st.none(), st.sampled_from(["PL", "DE", "FR", "GB", "US", "RU", "HU", "UA", "XX", "", " pl", "Ż"]))


@examples(120)
@given(st.lists(st.tuples(st.one_of(st.none(), _NUMBER), _REGION), max_size=30), st.sampled_from(["PL", "us", "XX"]))
def test_phone_texts_oracle_are_the_kernels(rows: list[tuple[str | None, str | None]], one: str) -> None:
    """Oracle: every number (international by '+' or '00', national of regions with and without a national
    prefix or a calling code, short, spelt, blank, missing, non-ASCII) per row's region and one region for all."""
    values = pd.Series([v for v, _ in rows], dtype=object)
    regions = pd.Series([r for _, r in rows], dtype=object)
    for region in (regions, one):
        got = nz.phone_texts(values, region)
        pd.testing.assert_series_equal(got, _phone_texts_by_kernels(values, region))
        assert pa.array(got.array).validate(full=True) is None


def _email_parts_by_pandas(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """`nz.email_parts` as pandas' string methods made it before (fe3e207): the oracle."""
    s = nz.strings(values).str.strip().str.lower().str.removeprefix("mailto:")
    at = s.str.contains("@", regex=False)
    text = nz.arrow_text(s)
    parts = pc.split_pattern(pc.fill_null(text, ""), "@", max_splits=1, reverse=True)
    ends = parts.offsets.to_numpy()
    flat = pc.list_flatten(parts)
    local = pd.Series(flat.take(pa.array(ends[:-1])).to_pylist(), index=s.index, name=s.name, dtype=nz.STRING)
    domain = pd.Series(flat.take(pa.array(ends[1:] - 1)).to_pylist(), index=s.index, name=s.name, dtype=nz.STRING)
    local, domain = local.where(s.notna()), domain.where(s.notna())
    newline = s.str.contains("\n", regex=False).fillna(False).astype(bool)
    domain = domain.mask(newline, nz.domain_parts(s))
    domain = domain.str.strip(".")
    domain = domain.mask(domain == "googlemail.com", "gmail.com")
    tagged = domain.isin(nz.PLUS_TAGS).to_numpy(dtype=bool)
    local[tagged] = local[tagged].str.replace(r"\+.*$", "", regex=True)
    blind = domain.isin(nz.DOT_BLIND).to_numpy(dtype=bool)
    local[blind] = local[blind].str.replace(".", "", regex=False)
    ok = (at & (local.str.len() > 0) & (domain.str.len() > 0)).fillna(False)
    joined = (local + "@" + domain).where(ok)
    local, domain = local.where(ok), domain.where(ok)
    broken = newline.to_numpy(dtype=bool) & ok.to_numpy(dtype=bool)
    if broken.any():
        local = local.mask(broken, nz.local_parts(joined.where(broken)))
        domain = domain.mask(broken, nz.domain_parts(joined.where(broken)))
    return joined, local, domain


_EMAIL = st.lists(
    st.one_of(
        st.sampled_from(
            ["@", "@@", ".", "..", "+", "+tag", " ", "\n", "\t", "mailto:", "MAILTO:", "Jan.Kowalski", "gmail.com"]
        ),
        st.sampled_from(["googlemail.com", "GMail.com", "outlook.com", "example.pl", "ł", "É", "日本", "\u00a0", "_"]),
        st.text(max_size=3),
    ),
    max_size=7,
).map("".join)


@examples(200)
@given(st.lists(st.one_of(st.none(), _EMAIL), max_size=25), st.booleans())
def test_email_parts_oracle_are_pandas_string_methods(values: list[str | None], arrow: bool) -> None:
    """Oracle: any e-mail (tags and dots of the providers that ignore them, 'mailto:', several '@', line breaks,
    blanks, missing, non-ASCII) as Arrow text or Python objects, e-mail, local part and domain alike."""
    series = pd.Series(values, dtype=nz.STRING if arrow else object, name="email")
    for got, want in zip(nz.email_parts(series), _email_parts_by_pandas(series), strict=True):
        pd.testing.assert_series_equal(got, want)


_TEXT = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["", " ", "Kozłowski", "jan.kowalski2", "\x7f\x80"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXT, max_size=25), st.booleans())
def test_ascii_letters_and_non_ascii_oracle_are_the_regular_expressions(values: list[str | None], arrow: bool) -> None:
    """Oracle: any text (non-ASCII, upper case, digits, blanks, missing) as Arrow text or Python objects."""
    series = pd.Series(values, dtype=nz.STRING if arrow else object)
    text = nz.strings(series)
    pd.testing.assert_series_equal(nz.ascii_letters(series), text.str.replace(r"[^a-z]", "", regex=True))
    beyond = text.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False).astype(bool).to_numpy()
    assert (nz.non_ascii(series) == beyond).all()
