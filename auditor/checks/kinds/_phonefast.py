"""A vectorized re-enactment of `phonenumbers.is_valid_number(phonenumbers.parse(v, region))`.

The common phone value is digits with spaces, dashes, dots, slashes or parentheses, maybe a
leading "+". For those, parse() reduces to a few decisions that depend only on the digits
and the region's metadata: strip an international dialling prefix (IDD) or "+", take the
country calling code, maybe strip a national prefix ("0" in DE, "1" in US), and finally
match the national significant number (NSN) against the type patterns of the region the
number belongs to. This module performs the same steps on whole Arrow columns with the
metadata's own regexes compiled by RE2, and marks each row as certainly valid, certainly
invalid, or undecided. Undecided rows (letters, extensions, exotic prefixes, national
prefix rules with transformations, country codes shared by several regions when the
first region does not claim the number...) are left for the library.

Every branch mirrors a named step of `phonenumberutil.parse`; the hypothesis tests
compare the outcome with the library on generated numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import ValidationResult, _test_number_length

from auditor.checks.kinds._fastpath import chars_at, kept, lengths, strip, take
from auditor.checks.kinds._fastpath import fullmatches as re2_fullmatches
from auditor.checks.kinds._fastpath import matches as re2_matches
from auditor.lookups import index_in

# Characters of phonenumbers' _VALID_PUNCTUATION that people put inside numbers. Tabs and
# other whitespace are not punctuation to the library, so they keep a value off the fast path.
SEPARATOR_CHARS = " \u00a0-.()/"
MIN_DIGITS, MAX_DIGITS = 3, 20
_NSN_MIN, _NSN_MAX = 2, 17
_KEEP_ORIGINAL = (ValidationResult.TOO_SHORT, ValidationResult.IS_POSSIBLE_LOCAL_ONLY, ValidationResult.INVALID_LENGTH)
_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)

VALID, INVALID, UNDECIDED = 1, 0, -1

COMPILED_UP_TO = 512
"""Values up to which a pattern is matched by Python's `re`, compiled once per process, and not by RE2, which Arrow
compiles on every call: libphonenumber's patterns take RE2 0.1-3 ms each, for each region and length of a phone
column, where Python's `re` reads a few hundred numbers in less. Both read the same digits the same way (ASCII
classes; the metadata's patterns are the library's own, which Python's `re` runs)."""


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII)


def fullmatches(arr: pa.Array, pattern: str) -> np.ndarray:
    """`_fastpath.fullmatches`: per value, the whole of it matches `pattern` (missing -> False)."""
    if len(arr) > COMPILED_UP_TO:
        return re2_fullmatches(arr, pattern)
    return _each(arr, _compiled(f"(?:{pattern})").fullmatch)


def matches(arr: pa.Array, pattern: str) -> np.ndarray:
    """`_fastpath.matches` of a pattern anchored at the start (`^`): per value, its start matches."""
    if len(arr) > COMPILED_UP_TO:
        return re2_matches(arr, pattern)
    return _each(arr, _compiled(pattern).search)


def _each(arr: pa.Array, match: Callable[[str], re.Match[str] | None]) -> np.ndarray:
    values = arr.to_pylist()
    return np.fromiter((value is not None and match(value) is not None for value in values), bool, len(values))


def _literals(pattern: str | None) -> tuple[str, ...] | None:
    """The alternatives of a prefix pattern made only of digit literals ("0|180020"), else None."""
    if not pattern:
        return ()
    parts = pattern.split("|")
    return tuple(parts) if all(re.fullmatch(r"\d+", p) for p in parts) else None


@dataclass(frozen=True)
class Validator:
    """What is_valid_number checks for the first region of a country calling code."""

    general: str
    general_lengths: frozenset[int]
    by_length: dict[int, str]
    """Union of the type patterns that admit an NSN of this length."""
    leading_digits: str | None
    sole_region: bool
    """Only region for its calling code: failing its patterns is a certain "invalid"."""

    def verdict(self, nsn: pa.Array) -> np.ndarray:
        out = np.full(len(nsn), INVALID, dtype=np.int8)
        n = lengths(nsn)
        ok = fullmatches(nsn, self.general)
        if self.general_lengths:
            ok &= np.isin(n, list(self.general_lengths))
        typed = np.zeros(len(nsn), dtype=bool)
        for length, pattern in self.by_length.items():
            rows = np.flatnonzero(ok & (n == length))
            if len(rows):
                typed[rows] = fullmatches(take(nsn, rows), pattern)
        valid = ok & typed
        out[valid] = VALID
        if self.leading_digits is not None:
            # Only numbers the region claims by leading digits are judged by it.
            claimed = matches(nsn, f"^(?:{self.leading_digits})")
            out[~claimed] = UNDECIDED
        elif not self.sole_region:
            out[~valid] = UNDECIDED
        return out


@dataclass(frozen=True, eq=False)
class Plan:
    """How parse() treats a number under one region's metadata."""

    region: str
    calling_code: str
    idd_literals: tuple[str, ...] | None
    idd_pattern: str
    prefix_literals: tuple[str, ...] | None
    prefix_pattern: str | None
    general: str
    length_result: np.ndarray
    """_test_number_length of a number of each length 0..MAX_DIGITS (it depends on length only)."""
    validator: Validator


def _desc_pattern(desc: object) -> str | None:
    pattern = getattr(desc, "national_number_pattern", None)
    return pattern or None


@cache
def validator_for(calling_code: int) -> Validator | None:
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(calling_code, ())
    if not regions or regions[0] == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
        return None
    meta = PhoneMetadata.metadata_for_region(regions[0])
    general = _desc_pattern(meta.general_desc) if meta else None
    if meta is None or general is None:
        return None
    by_length: dict[int, str] = {}
    for length in range(_NSN_MIN, _NSN_MAX + 1):
        patterns = []
        for name in _TYPES:
            desc = getattr(meta, name)
            pattern = _desc_pattern(desc)
            if pattern and (not desc.possible_length or length in desc.possible_length):
                patterns.append(f"(?:{pattern})")
        if patterns:
            by_length[length] = "|".join(patterns)
    return Validator(
        general=general,
        general_lengths=frozenset(meta.general_desc.possible_length),
        by_length=by_length,
        leading_digits=meta.leading_digits,
        sole_region=len(regions) == 1,
    )


@cache
def plan_for(region: str) -> Plan | None:
    meta = PhoneMetadata.metadata_for_region(region)
    if meta is None or _desc_pattern(meta.general_desc) is None:
        return None
    validator = validator_for(meta.country_code)
    if validator is None:
        return None
    prefix = meta.national_prefix_for_parsing
    literals = None if meta.national_prefix_transform_rule else _literals(prefix)
    return Plan(
        region=region,
        calling_code=str(meta.country_code),
        idd_literals=_literals(meta.international_prefix),
        idd_pattern=meta.international_prefix or "",
        prefix_literals=literals,
        prefix_pattern=prefix if literals is None else None,
        general=meta.general_desc.national_number_pattern,
        length_result=np.array([_test_number_length("5" * n, meta) for n in range(MAX_DIGITS + 1)]),
        validator=validator,
    )


@cache
def _calling_codes() -> tuple[list[str], ...]:
    codes = [str(c) for c in phonenumbers.COUNTRY_CODE_TO_REGION_CODE]
    return tuple(sorted(c for c in codes if len(c) == n) for n in (1, 2, 3))


def normalize(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Digits-with-optional-plus form of each value, and where that form is trustworthy."""
    text = strip(arr)
    compact = kept(text, lambda data: ~chars_at(data, SEPARATOR_CHARS))
    simple = fullmatches(compact, rf"\+?[0-9]{{{MIN_DIGITS},{MAX_DIGITS}}}") & (lengths(text) <= 64)
    return compact, simple


def _result_of_length(plan: Plan, arr: pa.Array) -> np.ndarray:
    return plan.length_result[np.minimum(lengths(arr), MAX_DIGITS)]


def judge(plan: Plan, digits: pa.Array) -> np.ndarray:
    """VALID / INVALID / UNDECIDED for numbers whose country calling code is already removed.

    Mirrors _maybe_strip_national_prefix_carrier_code and the length test after it: the
    prefix is dropped unless that turns a viable number into a non-viable one or leaves a
    number too short (or of a local-only or impossible length).
    """
    out = np.full(len(digits), UNDECIDED, dtype=np.int8)
    cut = np.zeros(len(digits), dtype=np.int64)
    if plan.prefix_literals is None:
        cut[matches(digits, f"^(?:{plan.prefix_pattern})")] = -1  # left to the library
    else:
        for literal in plan.prefix_literals:  # python's re tries alternatives in order
            cut[(cut == 0) & np.asarray(pc.starts_with(digits, literal))] = len(literal)
    keep = np.flatnonzero(cut == 0)
    pieces = [(keep, take(digits, keep))]
    for size in np.unique(cut[cut > 0]):
        rows = np.flatnonzero(cut == size)
        original = take(digits, rows)
        stripped = pc.utf8_slice_codeunits(original, start=int(size))
        stay = fullmatches(original, plan.general) & ~fullmatches(stripped, plan.general)
        stay |= np.isin(_result_of_length(plan, stripped), _KEEP_ORIGINAL)
        pieces.append((rows[stay], take(original, np.flatnonzero(stay))))
        pieces.append((rows[~stay], take(stripped, np.flatnonzero(~stay))))
    for rows, nsn in pieces:
        if len(rows):
            out[rows] = _verdict(plan, nsn)
    return out


def _verdict(plan: Plan, nsn: pa.Array) -> np.ndarray:
    n = lengths(nsn)
    out = np.full(len(nsn), INVALID, dtype=np.int8)  # parse() raises outside these lengths
    judgeable = np.flatnonzero((n >= _NSN_MIN) & (n <= _NSN_MAX))
    if len(judgeable):
        out[judgeable] = plan.validator.verdict(take(nsn, judgeable))
    return out


def judge_national(plan: Plan, digits: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Verdicts for numbers written without "+", and the length of a literal IDD they start with.

    Rows with an IDD length > 0 are to be judged on the digits after it as if written with
    "+"; their verdict here stays UNDECIDED.
    """
    out = np.full(len(digits), UNDECIDED, dtype=np.int8)
    n = lengths(digits)
    idd_length = np.zeros(len(digits), dtype=np.int64)
    if plan.idd_literals is None:
        idd = matches(digits, f"^(?:{plan.idd_pattern})")
    else:
        idd = np.zeros(len(digits), dtype=bool)
        for literal in plan.idd_literals:
            hit = ~idd & np.asarray(pc.starts_with(digits, literal))
            idd |= hit
            # An IDD followed by "0" is no IDD to parse(); such rare numbers are left to the library.
            after = pc.utf8_slice_codeunits(digits, start=len(literal), stop=len(literal) + 1)
            nonzero = np.asarray(pc.fill_null(pc.not_equal(after, "0"), False))
            idd_length[hit & nonzero & (n > len(literal) + 2)] = len(literal)
    rows = np.flatnonzero(~idd)
    if len(rows):
        sub = take(digits, rows)
        verdict = judge(plan, sub)
        # parse() strips the region's own calling code from a national number that is not
        # viable as it stands or too long; a viable one of possible length is left alone.
        own_code = np.asarray(pc.starts_with(sub, plan.calling_code))
        risky = own_code & (
            ~fullmatches(sub, plan.general) | (_result_of_length(plan, sub) == ValidationResult.TOO_LONG)
        )
        verdict[risky] = UNDECIDED
        out[rows] = verdict
    return out, idd_length


def calling_codes(digits: pa.Array) -> np.ndarray:
    """The country calling code each row starts with (0 when none), as parse() reads it."""
    code = np.zeros(len(digits), dtype=np.int64)
    candidate = ~np.asarray(pc.starts_with(digits, "0"))
    for size, codes in zip((1, 2, 3), _calling_codes(), strict=True):
        head = pc.utf8_slice_codeunits(digits, start=0, stop=size)
        index = index_in(head, codes)
        hit = candidate & (code == 0) & (index >= 0)
        code[hit] = np.array([int(c) for c in codes])[index[hit]]
    return code


def judge_international(digits: pa.Array) -> np.ndarray:
    """Verdicts for the digits after "+" (or after a stripped IDD)."""
    out = np.full(len(digits), UNDECIDED, dtype=np.int8)
    code = calling_codes(digits)
    for cc in np.unique(code):
        if cc == 0:
            continue  # parse() retries such numbers as national ones: the library decides
        plan = plan_for(phonenumbers.region_code_for_country_code(int(cc)))
        if plan is None:
            continue
        rows = np.flatnonzero(code == cc)
        out[rows] = judge(plan, pc.utf8_slice_codeunits(take(digits, rows), start=len(str(cc))))
    return out
