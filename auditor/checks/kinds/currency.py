"""`currency`: the value is an ISO 4217 currency code in its canonical spelling.

Semantics: a value passes when it is exactly (case-sensitive, nothing stripped) the
alpha-3 code of a pycountry currency: "PLN", "EUR", "USD". Currency codes are keys that
amounts are grouped and converted by, so " PLN" and "pln" fail like "zł", "$" or "XYZ"
do. Missing values pass.

Suggestion: the upper-cased stripped value when that is a code ("pln" -> "PLN"), else
the code of a well-known symbol or name ("zł", "zl", "$", "US$", "€", "£", "euro"...);
NA when unknown or ambiguous ("kr", "¥", "XYZ").
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from auditor.checks.base import CheckContext, Dimension, Example, FixSafety, RuleKind
from auditor.checks.expectations import EXACT, GxMapping, expect
from auditor.checks.kinds._fastpath import bools, passing, present, suggest_each, to_arrow

SYMBOLS = {
    "zł": "PLN",
    "zl": "PLN",
    "złoty": "PLN",
    "zloty": "PLN",
    "złotych": "PLN",
    "pl zł": "PLN",
    "$": "USD",
    "us$": "USD",
    "usd$": "USD",
    "dollar": "USD",
    "dolar": "USD",
    "us dollar": "USD",
    "€": "EUR",
    "euro": "EUR",
    "eur€": "EUR",
    "£": "GBP",
    "pound": "GBP",
    "gbp£": "GBP",
    "funt": "GBP",
    "kč": "CZK",
    "kc": "CZK",
    "ft": "HUF",
    "chf.": "CHF",
    "fr.": "CHF",
    "₴": "UAH",
    "₽": "RUB",
    "lei": "RON",
    "₹": "INR",
    "c$": "CAD",
    "ca$": "CAD",
    "a$": "AUD",
    "au$": "AUD",
}


@cache
def codes() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.currencies)


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    arr = to_arrow(values)
    known = bools(pc.is_in(arr, value_set=pa.array(sorted(codes()), type=arr.type)))
    return passing(known | ~present(arr), values.index)


def canonical(value: str) -> str | None:
    text = value.strip()
    if text.upper() in codes():
        return text.upper()
    return SYMBOLS.get(text.lower())


def suggest(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    return suggest_each(values, canonical)


def gx(params: Mapping[str, Any], entity: str, name: str, as_of: pd.Timestamp | None) -> GxMapping:
    return GxMapping(EXACT, "", (expect("ExpectColumnValuesToBeInSet", column=name, value_set=sorted(codes())),))


KIND = RuleKind(
    name="currency",
    gx=gx,
    fix_safety=FixSafety.CASE_ONLY,
    summary="The value is an ISO 4217 currency code in upper case (PLN, EUR, USD).",
    dimension=Dimension.VALIDITY,
    check=check,
    message="{field} is not an ISO 4217 currency code: {value}",
    suggest=suggest,
    examples=(
        Example(
            params={},
            passes=("PLN", "EUR", "USD", "GBP", None),
            fails=("pln", "zł", "$", "€", "US$", "XYZ", " EUR"),
            entity="opportunities",
            field="currency",
        ),
    ),
)
