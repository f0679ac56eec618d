"""`phone`: region resolution, suggestions, and the vectorized path against phonenumbers itself."""

from __future__ import annotations

import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import context, frame
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.kinds import _phonefast, phone
from auditor.checks.kinds._fastpath import chars_at, fullmatches, kept, matches

FAST = settings(max_examples=60, deadline=None)
REGIONS = ["PL", "DE", "GB", "US", "FR", "CZ", "IT", "NL", "ES", "AT", "CH", "IE", "SE", "CA", "RU", "AU", "BR"]


def library(value: str, region: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, region))
    except phonenumbers.NumberParseException:
        return False


def test_examples(examples_hold) -> None:
    examples_hold("phone")


def test_region_comes_from_the_country_column_in_any_spelling(run) -> None:
    values = ["030 1234567"] * 6
    countries = ["DE", "DEU", "Germany", "Deutschland", "Niemcy", "PL"]
    assert run("phone", values, {"region_field": "country"}, country=countries) == [True] * 5 + [False]


def test_default_region_when_the_country_is_missing_or_unknown(run) -> None:
    values = ["601 234 567", "601 234 567", "601 234 567", "601 234 567"]
    countries = [None, "Mars", "", "Polska"]
    assert run("phone", values, {"region_field": "country"}, country=countries) == [True] * 4
    assert run("phone", ["601 234 567"], {"region_field": "country"}, default_region="DE", country=[None]) == [False]
    assert run("phone", ["601 234 567"], {}) == [True]  # no region_field: the default region


def test_a_plus_number_is_judged_on_its_own(run) -> None:
    values = ["+48 601 234 567", "+49 30 1234567", "+44 20 7946 0958", "0044 20 7946 0958"]
    assert run("phone", values, {"region_field": "country"}, country=["US", "PL", "PL", "PL"]) == [True] * 4


def test_unparseable_and_junk_fail(run) -> None:
    values = ["n/a", "brak", "12", "+", "++48", "601 234 567 890 123 456", "601\t234\t567", "+999 123 456 789"]
    assert run("phone", values) == [library(v, "PL") for v in values]
    assert run("phone", values[:4]) == [False] * 4


def test_suggests_e164(suggest) -> None:
    got = suggest(
        "phone",
        ["6O1 234 567", "+48 (0) 601 234 567", "+48 0601234567", "123"],
        {"region_field": "c"},
        c=["PL", "PL", "PL", "PL"],
    )
    assert got == ["+48601234567", "+48601234567", "+48601234567", None]


@st.composite
def realistic(draw: st.DrawFn) -> tuple[str, str]:
    """A number shaped like a region's example numbers, some digits changed, in a common format."""
    region = draw(st.sampled_from(REGIONS))
    kind = draw(
        st.sampled_from(
            [
                phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE,
                phonenumbers.PhoneNumberType.TOLL_FREE,
            ]
        )
    )
    example = phonenumbers.example_number_for_type(region, kind) or phonenumbers.example_number(region)
    nsn = phonenumbers.national_significant_number(example)
    keep = draw(st.integers(0, len(nsn)))
    tail = draw(st.text(alphabet="0123456789", min_size=max(0, len(nsn) - keep - 1), max_size=len(nsn) - keep + 1))
    digits = nsn[:keep] + tail
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    cc = str(meta.country_code)
    shape = draw(st.sampled_from(["+cc", "+cc (0)", "00cc", "national", "bare", "cc", "dashes"]))
    value = {
        "+cc": f"+{cc} {digits}",
        "+cc (0)": f"+{cc} (0){digits}",
        "00cc": f"00{cc}{digits}",
        "national": f"{meta.national_prefix or ''}{digits}",
        "bare": digits,
        "cc": f"{cc}{digits}",
        "dashes": "-".join(digits[i : i + 3] for i in range(0, len(digits), 3)),
    }[shape]
    row_region = draw(st.sampled_from([region, region, "PL", "DE", "GB"]))
    return value, row_region


@FAST
@given(st.lists(realistic(), min_size=1, max_size=30))
def test_realistic_numbers_match_the_library(run, rows: list[tuple[str, str]]) -> None:
    values, regions = [v for v, _ in rows], [r for _, r in rows]
    assert run("phone", values, {"region_field": "country"}, country=regions) == [library(v, r) for v, r in rows]


_NOISE = st.text(alphabet="0123456789+-() ./\u00a0x#", min_size=0, max_size=18)


@FAST
@given(st.lists(st.tuples(_NOISE, st.sampled_from(REGIONS)), min_size=1, max_size=30))
def test_noisy_numbers_match_the_library(run, rows: list[tuple[str, str]]) -> None:
    values, regions = [v for v, _ in rows], [r for _, r in rows]
    assert run("phone", values, {"region_field": "country"}, country=regions) == [library(v, r) for v, r in rows]


def test_common_numbers_never_reach_the_library(run, monkeypatch) -> None:
    def fail(value: str, region: str) -> bool:
        raise AssertionError(f"library called for {value!r} in {region}")

    monkeypatch.setattr("auditor.checks.kinds.phone.is_valid_phone", fail)
    values = [
        "601 234 567",
        "+48 601-234-567",
        "(22) 628 31 40",
        "0048 22 628 31 40",
        "030 1234567",
        "+49 30 1234567",
        "020 7946 0958",
        "+44 20 7946 0958",
        "(212) 456-7890",
        "601 234 56",
    ]
    regions = ["PL", "PL", "PL", "PL", "DE", "DE", "GB", "GB", "US", "PL"]
    assert run("phone", values, {"region_field": "country"}, country=regions) == [
        library(v, r) for v, r in zip(values, regions, strict=True)
    ]


_SPELLINGS = st.lists(
    st.one_of(st.none(), st.text(alphabet="0129 \u00a0-.()/+xà\u00a1\u0100", max_size=8)), max_size=20
)


@settings(max_examples=150, deadline=None)
@given(values=_SPELLINGS, large=st.booleans(), start=st.integers(0, 2))
def test_oracle_separators_are_dropped_as_re2_s_replace_drops_them(
    values: list[str | None], large: bool, start: int
) -> None:
    # "à" (C3 A0) and "¡" (C2 A1) share a byte with the no-break space (C2 A0): only the whole character goes
    text = pa.array(["+48 1", "", *values], type=pa.large_string() if large else pa.string()).slice(start)
    compact = kept(text, lambda data: ~chars_at(data, _phonefast.SEPARATOR_CHARS))
    assert compact.to_pylist() == pc.replace_substring_regex(text, r"[ \x{a0}\-.()/]", "").to_pylist()


def test_separators_are_dropped_without_a_regex(monkeypatch) -> None:
    monkeypatch.setattr(pc, "replace_substring_regex", lambda *a, **k: pytest.fail("replaced by a regex"))
    compact, simple = _phonefast.normalize(pa.array(["+48 (22) 350-71-95", "601\u00a0731.295", None]))
    assert compact.to_pylist() == ["+48223507195", "601731295", None]
    assert simple.tolist() == [True, True, False]


def test_the_values_left_to_the_library_are_told_apart_without_a_multiindex(monkeypatch) -> None:
    """A few values the fast path leaves undecided (letters, extensions): each distinct (value, region) once, by a
    dict, not a MultiIndex and its factorize (a millisecond or two per phone column)."""
    monkeypatch.setattr(pd.MultiIndex, "from_arrays", lambda *a, **k: pytest.fail("a MultiIndex of the values"))
    cells = ["601 731 295 ext 12", "tel. 601 731 295", "601 731 295 ext 12", "601731295"]
    df = frame("phone", cells)
    verdicts = phone.check(df["phone"], {}, context(df)).tolist()
    assert verdicts == [phone.is_valid_phone(v, "PL") for v in cells]


def _patterns(region: str) -> list[tuple[str, bool]]:
    """Every pattern the fast path matches for `region`, and whether it is anchored at the start only."""
    plan = _phonefast.plan_for(region)
    if plan is None:
        return []
    validator = plan.validator
    whole = [plan.general, validator.general, *validator.by_length.values(), r"\+?[0-9]{3,20}"]
    starts = [p for p in (plan.prefix_pattern, plan.idd_pattern, validator.leading_digits) if p]
    return [(p, False) for p in whole] + [(f"^(?:{p})", True) for p in starts]


@settings(max_examples=60, deadline=None)
@given(
    region=st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)),
    values=st.lists(
        st.one_of(st.none(), st.text(alphabet="0123456789", max_size=18), st.text(alphabet="+0129 \n٣x", max_size=8)),
        max_size=30,
    ),
)
def test_oracle_patterns_compiled_once_by_python_match_as_re2_matches_them(region: str, values: list) -> None:
    """Oracle: a small array's values matched by Python's `re` (each pattern compiled once per process) against
    RE2's matches (Arrow compiling the pattern on every call), for every pattern of a region's metadata."""
    arr = pa.array(values, type=pa.large_string())
    for pattern, anchored in _patterns(region):
        if anchored:
            assert _phonefast.matches(arr, pattern).tolist() == matches(arr, pattern).tolist(), pattern
        else:
            assert _phonefast.fullmatches(arr, pattern).tolist() == fullmatches(arr, pattern).tolist(), pattern


def test_a_small_arrays_patterns_are_not_compiled_by_re2_for_each_call(monkeypatch) -> None:
    called: list[str] = []
    regex = pc.match_substring_regex
    monkeypatch.setattr(pc, "match_substring_regex", lambda *a, **k: called.append(a[1]) or regex(*a, **k))
    numbers = pd.Series(["601 234 567", "+48 22 628 31 40", "030 1234567", "123"], dtype="str", name="phone")
    df = numbers.to_frame()
    expected = [phone.is_valid_phone(number, "PL") for number in numbers]
    assert phone.check(numbers, {}, context(df)).tolist() == expected
    assert called == []
