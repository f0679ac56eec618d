"""`phone`: the value is a valid phone number for the row's country.

Semantics: a value passes when `phonenumbers.is_valid_number(phonenumbers.parse(value,
region))` is true, where `region` is the ISO alpha-2 of the row's `region_field` column
(which may hold "PL", "POL", "Poland", "Polska"...; resolved like the `country` kind does)
or `ctx.default_region` when that column is absent, missing or not a country. A number
written with "+" (or the region's international prefix, e.g. "0049...") is judged on its
own country calling code. Unparseable values fail; missing values pass.

Speed: `_phonefast` re-enacts parse() + is_valid_number() on whole columns with the
metadata's own patterns (RE2) for values made of digits and ordinary separators; only
the values it cannot settle go to the library, once per distinct (value, region).

Suggestion: the E.164 form ("+48601234567") of the value when it becomes valid after
light repairs (letter O for zero, a "(0)" or national "0" written after the country code);
NA otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow.compute as pc

from auditor.checks.base import CheckContext, Dimension, Example, Param, RuleKind, Standard
from auditor.checks.expectations import no_equivalent
from auditor.checks.kinds._countries import row_regions
from auditor.checks.kinds._fastpath import passing, per_unique, present, take, to_arrow
from auditor.checks.kinds._phonefast import (
    UNDECIDED,
    VALID,
    judge_international,
    judge_national,
    normalize,
    plan_for,
)
from auditor.dtypes import as_text


@lru_cache(maxsize=1 << 16)
def is_valid_phone(value: str, region: str) -> bool:
    """The library verdict this kind reproduces."""
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, region))
    except phonenumbers.NumberParseException:
        return False


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    arr = to_arrow(values)
    has = present(arr)
    codes, regions = row_regions(ctx.frame, params.get("region_field"), ctx.default_region, values.index)
    compact, simple = normalize(arr)
    verdict = np.full(len(arr), UNDECIDED, dtype=np.int8)

    plus = simple & np.asarray(pc.fill_null(pc.starts_with(compact, "+"), False))
    rows = np.flatnonzero(plus)
    verdict[rows] = judge_international(pc.utf8_slice_codeunits(take(compact, rows), start=1))

    national = simple & ~plus
    for code, region in enumerate(regions):
        plan = plan_for(region)
        rows = np.flatnonzero(national & (codes == code))
        if plan is None or len(rows) == 0:
            continue
        local, idd_length = judge_national(plan, take(compact, rows))
        verdict[rows] = local
        for size in np.unique(idd_length[idd_length > 0]):
            idd_rows = rows[idd_length == size]
            verdict[idd_rows] = judge_international(pc.utf8_slice_codeunits(take(compact, idd_rows), start=int(size)))

    ok = ~has | (verdict == VALID)
    undecided = np.flatnonzero(has & (verdict == UNDECIDED))
    if len(undecided):
        texts = take(arr, undecided).to_pylist()
        region_of = np.asarray(regions, dtype=object)[codes[undecided]].tolist()
        # each distinct (value, region) once, by a dict: a MultiIndex of them and its factorize cost a millisecond
        # or two even for the few values of a small export's phone column
        verdicts = per_unique(zip(texts, region_of, strict=True), lambda key: is_valid_phone(*key))
        ok[undecided] = np.array(verdicts, dtype=bool)
    return passing(ok, values.index)


# Light repairs, each tried on the original value: letter O for zero, "+48 (0) 601...", "+48 0601...".
_REPAIRS: tuple[tuple[str, str, bool], ...] = (
    (r"[oO]", "0", True),
    ("(0)", "", False),
    (r"^(\s*\+\d{1,3})[\s\-./]*0", r"\1", True),
)


def _e164(value: str, region: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(value, region), phonenumbers.PhoneNumberFormat.E164)


def suggest(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    """Repairs are applied column-wise and judged by `check` itself (the fast path); the library
    is called only to format the few values that a repair makes valid."""
    text = as_text(values)
    out = pd.Series(pd.NA, index=values.index, dtype="object")
    open_rows = text.notna()
    codes, regions = row_regions(ctx.frame, params.get("region_field"), ctx.default_region, values.index)
    region_of = pd.Series(np.asarray(regions, dtype=object)[codes], index=values.index)
    for pattern, replacement, regex in _REPAIRS:
        candidate = text.str.replace(pattern, replacement, regex=regex)
        tried = open_rows & candidate.ne(text).fillna(False).astype(bool)
        if not tried.any():
            continue
        valid = check(candidate[tried], params, ctx)
        fixed = valid.index[valid.to_numpy()]
        out.loc[fixed] = [_e164(v, r) for v, r in zip(candidate.loc[fixed], region_of.loc[fixed], strict=True)]
        open_rows.loc[fixed] = False
    return out


def e164(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    """A number's standard spelling: E.164, read in the row's region (`region_field`, else the default);
    `values` are positionally aligned with `ctx.frame`. Each distinct (value, region) is formatted once."""
    codes, regions = row_regions(ctx.frame, params.get("region_field"), ctx.default_region, ctx.frame.index)
    keys = pd.MultiIndex.from_arrays([values.to_numpy(), np.asarray(regions, dtype=object)[codes]])
    key_codes, uniques = pd.factorize(keys)
    spelt = [possible_e164(v, r) if isinstance(v, str) else None for v, r in uniques]
    return pd.Series(np.array([*spelt, None], dtype=object)[key_codes], index=values.index)


def possible_e164(value: str, region: str) -> str | None:
    """E.164 of a number that phonenumbers reads as possible in `region`; None otherwise."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


KIND = RuleKind(
    name="phone",
    gx=no_equivalent("validity per the row's country (phonenumbers metadata); no regex is faithful"),
    standard=Standard("phone to E.164", e164),
    summary="The value is a valid phone number (libphonenumber rules) for the row's country or the default region.",
    dimension=Dimension.VALIDITY,
    check=check,
    message="{field} is not a valid phone number: {value}",
    params=(
        Param(
            "region_field",
            str,
            None,
            help="column holding the row's country (code or name); numbers without a + prefix are read in that "
            "country, or in the default region when it is empty",
        ),
    ),
    suggest=suggest,
    examples=(
        Example(
            params={"region_field": "country"},
            passes=("+48 601 234 567", "601-234-567", "(22) 628 31 40", "030 1234567", "0048 601 234 567", None),
            fails=("601 234 56", "123", "+48 123", "n/a", "+1 555 0100"),
            entity="contacts",
            field="phone",
            extra_columns={
                "country": ("PL", "Polska", "Poland", "Deutschland", None, "PL", "PL", "PL", "PL", "PL", "US"),
            },
        ),
    ),
)
