"""`postal_code`: the value has the postal-code format of the row's country.

Semantics: the country is the row's `country_field` value (a code or a name, resolved
like the `country` kind does) or `ctx.default_region` when that is missing or not a
country. The stripped value must fully match the country's pattern, case-insensitively:
PL "00-950", US "12345" / "12345-6789", GB "SW1A 1AA" (space optional), DE/FR/IT/FI/UA
five digits, ES 01000-52999, CZ/SK/SE "123 45" (space optional), NL "1234 AB", AT/CH/BE/
DK/NO/HU four digits, CA "K1A 0B1", IE Eircode "D02 X285", PT "1234-567", LT "LT-12345".
Rows whose country has no pattern pass (not evaluated); so do missing values. The
`patterns` parameter adds or replaces patterns (RE2 syntax) by alpha-2 code.

Suggestion: the value re-spaced/re-hyphenated into the canonical form when its letters
and digits fit the pattern (PL "00950" -> "00-950", GB "sw1a1aa" -> "SW1A 1AA"); NA
otherwise (US "1234" has lost a digit and gets none).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from auditor.checks.base import CheckContext, Dimension, Example, FixSafety, Param, RuleKind
from auditor.checks.expectations import no_equivalent
from auditor.checks.kinds._countries import row_regions
from auditor.checks.kinds._fastpath import fullmatches, passing, per_unique, present, strip, take, to_arrow

_D5 = r"[0-9]{5}"
_D4 = r"[0-9]{4}"
_D3_2 = r"[0-9]{3} ?[0-9]{2}"
PATTERNS: dict[str, str] = {
    "PL": r"[0-9]{2}-[0-9]{3}",
    "US": r"[0-9]{5}(?:-[0-9]{4})?",
    "GB": r"GIR ?0AA|(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]) ?[0-9][ABD-HJLNP-UW-Z]{2}",
    "DE": _D5, "FR": _D5, "IT": _D5, "FI": _D5, "UA": _D5,
    "ES": r"(?:0[1-9]|[1-4][0-9]|5[0-2])[0-9]{3}",
    "CZ": _D3_2, "SK": _D3_2, "SE": _D3_2,
    "NL": r"[1-9][0-9]{3} ?[A-Z]{2}",
    "AT": _D4, "CH": _D4, "BE": _D4, "DK": _D4, "NO": _D4, "HU": _D4,
    "CA": r"[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z] ?[0-9][ABCEGHJ-NPRSTV-Z][0-9]",
    "IE": r"(?:[AC-FHKNPRTV-Y][0-9]{2}|D6W) ?[0-9AC-FHKNPRTV-Y]{4}",
    "PT": r"[0-9]{4}-[0-9]{3}",
    "LT": r"(?:LT-)?[0-9]{5}",
}  # fmt: skip


def patterns(params: Mapping[str, Any]) -> dict[str, str]:
    return {**PATTERNS, **{k.upper(): v for k, v in (params.get("patterns") or {}).items()}}


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    arr = to_arrow(values)
    text = strip(arr)
    has = present(arr)
    codes, regions = row_regions(ctx.frame, params.get("country_field"), ctx.default_region, values.index)
    table = patterns(params)
    ok = np.ones(len(arr), dtype=bool)
    for code, region in enumerate(regions):
        rows = np.flatnonzero(has & (codes == code))
        if region in table and len(rows):
            ok[rows] = fullmatches(take(text, rows), table[region], ignore_case=True)
    return passing(ok, values.index)


def _split(head: int, sep: str) -> Callable[[str], str]:
    return lambda s: f"{s[:head]}{sep}{s[head:]}"


def _tail(sep: str, size: int = 3) -> Callable[[str], str]:
    return lambda s: f"{s[:-size]}{sep}{s[-size:]}"


# Canonical layout of the bare letters and digits, per country.
LAYOUTS: dict[str, Callable[[str], str]] = {
    "PL": _split(2, "-"), "PT": _split(4, "-"), "US": lambda s: s if len(s) == 5 else _split(5, "-")(s),
    "GB": _tail(" "), "CA": _tail(" "), "IE": _split(3, " "), "NL": _split(4, " "),
    "CZ": _split(3, " "), "SK": _split(3, " "), "SE": _split(3, " "),
}  # fmt: skip


def reformat(value: str, region: str, table: Mapping[str, str]) -> str | None:
    pattern = table.get(region)
    if pattern is None:
        return None
    bare = re.sub(r"[^0-9A-Za-z]", "", value).upper()
    candidate = LAYOUTS.get(region, lambda s: s)(bare)
    return candidate if re.fullmatch(f"(?:{pattern})", candidate, re.IGNORECASE) else None


def suggest(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    codes, regions = row_regions(ctx.frame, params.get("country_field"), ctx.default_region, values.index)
    table = patterns(params)
    pairs = ((v, regions[c]) if isinstance(v, str) else None for v, c in zip(values.tolist(), codes, strict=True))
    out = per_unique(pairs, lambda pair: None if pair is None else reformat(*pair, table))
    return pd.Series([pd.NA if s is None else s for s in out], index=values.index, dtype="object")


KIND = RuleKind(
    name="postal_code",
    gx=no_equivalent("format depends on each row's country, written as a code or a name"),
    fix_safety=FixSafety.SAME_CHARACTERS,
    summary="The postal code has the format of the row's country (PL 00-950, US 12345, GB SW1A 1AA, DE 10115...).",
    dimension=Dimension.VALIDITY,
    check=check,
    message="{field} is not a valid postal code for its country: {value}",
    params=(
        Param("country_field", str, None, help="column holding the row's country; the default region when empty"),
        Param("patterns", dict, None, help="extra or replacement patterns (RE2, full match) by ISO alpha-2 code"),
    ),
    suggest=suggest,
    examples=(
        Example(
            params={"country_field": "country"},
            passes=("00-950", "SW1A 1AA", "sw1a1aa", "10115", "12345-6789", "31-042", "9999"),
            fails=("00950", "1234", "SW1A-1AA", "1011", "0-950"),
            entity="contacts",
            field="postal_code",
            extra_columns={
                "country": (
                    "PL",
                    "United Kingdom",
                    "GB",
                    "Deutschland",
                    "USA",
                    None,
                    "Mongolia",
                    "Polska",
                    "US",
                    "GB",
                    "DE",
                    "PL",
                ),
            },
        ),
    ),
)
