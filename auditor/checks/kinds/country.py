"""`country`: the value names a country.

Semantics: a value passes when, stripped and case-insensitively, it is an ISO 3166-1
alpha-2 or alpha-3 code, a pycountry name, common name or official name, or one of the
native and colloquial spellings in `_countries.ALTERNATE_NAMES` (Polska, Deutschland,
UK, USA, U.S.A., Czechy, Holland, España, Österreich...). "Polnad", "XX", "Mars" and
"n/a" fail. Missing values pass.

Speed: country columns hold few distinct values, so each distinct value is looked up once.

Suggestion: the alpha-2 code of the closest known name (Jaro-Winkler similarity >= 0.90,
names of 4+ letters only, so codes never attract typos) when the runner-up names a
different country at least 0.03 lower; a value that already is a country gets its code
suggested too. NA when not confident.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pycountry
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from auditor.checks.base import CheckContext, Dimension, Example, FixSafety, RuleKind, Standard
from auditor.checks.expectations import APPROXIMATE, GxMapping, expect
from auditor.checks.kinds._countries import known_names, resolve_country
from auditor.checks.kinds._fastpath import passing, suggest_each

MIN_SIMILARITY = 0.90
MIN_MARGIN = 0.03


def check(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    codes, uniques = pd.factorize(values)
    known = np.array([resolve_country(u) is not None for u in uniques] + [True], dtype=bool)
    return passing(known[codes], values.index)  # code -1 (missing) picks the trailing True


@cache
def _fuzzy_names() -> tuple[list[str], list[str]]:
    names = {k: v for k, v in known_names().items() if len(k) >= 4}
    return list(names), list(names.values())


@lru_cache(maxsize=4096)
def closest_country(value: str) -> str | None:
    exact = resolve_country(value)
    if exact is not None:
        return exact
    query = value.strip().lower()
    if len(query) < 4:
        return None
    names, codes = _fuzzy_names()
    best = process.extract(query, names, scorer=JaroWinkler.normalized_similarity, limit=8)
    if not best or best[0][1] < MIN_SIMILARITY:
        return None
    winner = codes[best[0][2]]
    rivals = [score for _, score, i in best[1:] if codes[i] != winner]
    if rivals and best[0][1] - rivals[0] < MIN_MARGIN:
        return None
    return winner


def suggest(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    return suggest_each(values, closest_country)


def iso_code(values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> pd.Series:
    """A country's standard spelling: its ISO 3166 alpha-2 code."""
    return values.map(resolve_country, na_action="ignore")


def gx(params: Mapping[str, Any], entity: str, name: str, as_of: pd.Timestamp | None) -> GxMapping:
    codes = sorted({c.alpha_2 for c in pycountry.countries} | {c.alpha_3 for c in pycountry.countries})
    return GxMapping(
        APPROXIMATE,
        "ISO codes only; the auditor also accepts country names in several languages, any case",
        (expect("ExpectColumnValuesToBeInSet", column=name, value_set=codes),),
    )


KIND = RuleKind(
    name="country",
    gx=gx,
    fix_safety=FixSafety.CASE_ONLY,
    standard=Standard("country to ISO alpha-2", iso_code),
    summary="The value is an ISO 3166 country code or a country name (English, official or common native spelling).",
    dimension=Dimension.VALIDITY,
    check=check,
    message="{field} is not a recognised country: {value}",
    suggest=suggest,
    examples=(
        Example(
            params={},
            passes=("PL", "POL", "Poland", "polska", " Deutschland ", "United States of America", "U.S.A.", "UK", None),
            fails=("Polnad", "XX", "Mars", "n/a", "Warszawa"),
            entity="contacts",
            field="country",
        ),
    ),
)
