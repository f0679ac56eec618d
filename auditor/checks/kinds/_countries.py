"""Country names and codes as people type them, resolved to ISO 3166-1 alpha-2.

Shared by `country` (is the value a country?), `phone` (region of a national number) and
`postal_code` (which pattern applies). A lookup key is the stripped, lower-cased value.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pycountry

# Native and colloquial spellings pycountry does not carry; CRM exports are full of them.
ALTERNATE_NAMES: dict[str, str] = {
    "polska": "PL",
    "rzeczpospolita polska": "PL",
    "polen": "PL",
    "polonia": "PL",
    "pologne": "PL",
    "deutschland": "DE",
    "niemcy": "DE",
    "germania": "DE",
    "allemagne": "DE",
    "alemania": "DE",
    "bundesrepublik deutschland": "DE",
    "francja": "FR",
    "frankreich": "FR",
    "francia": "FR",
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "wielka brytania": "GB",
    "anglia": "GB",
    "großbritannien": "GB",
    "usa": "US",
    "u.s.a.": "US",
    "u.s.": "US",
    "us of a": "US",
    "america": "US",
    "united states of america": "US",
    "stany zjednoczone": "US",
    "usa (stany zjednoczone)": "US",
    "czechy": "CZ",
    "czech republic": "CZ",
    "czech": "CZ",
    "česko": "CZ",
    "česká republika": "CZ",
    "tschechien": "CZ",
    "holland": "NL",
    "the netherlands": "NL",
    "holandia": "NL",
    "nederland": "NL",
    "niderlandy": "NL",
    "españa": "ES",
    "espana": "ES",
    "hiszpania": "ES",
    "spanien": "ES",
    "italia": "IT",
    "włochy": "IT",
    "italien": "IT",
    "schweiz": "CH",
    "suisse": "CH",
    "svizzera": "CH",
    "szwajcaria": "CH",
    "österreich": "AT",
    "osterreich": "AT",
    "austria": "AT",
    "sverige": "SE",
    "szwecja": "SE",
    "schweden": "SE",
    "norge": "NO",
    "norwegia": "NO",
    "danmark": "DK",
    "dania": "DK",
    "suomi": "FI",
    "finlandia": "FI",
    "belgië": "BE",
    "belgique": "BE",
    "belgia": "BE",
    "belgien": "BE",
    "slovensko": "SK",
    "słowacja": "SK",
    "magyarország": "HU",
    "węgry": "HU",
    "ungarn": "HU",
    "litwa": "LT",
    "lietuva": "LT",
    "łotwa": "LV",
    "latvija": "LV",
    "estonia": "EE",
    "eesti": "EE",
    "ukraina": "UA",
    "україна": "UA",
    "rosja": "RU",
    "россия": "RU",
    "russia": "RU",
    "irlandia": "IE",
    "éire": "IE",
    "eire": "IE",
    "portugalia": "PT",
    "grecja": "GR",
    "ελλάδα": "GR",
    "rumunia": "RO",
    "românia": "RO",
    "bułgaria": "BG",
    "chorwacja": "HR",
    "hrvatska": "HR",
    "słowenia": "SI",
    "slovenija": "SI",
    "turcja": "TR",
    "türkiye": "TR",
    "turkey": "TR",
    "kanada": "CA",
    "chiny": "CN",
    "china": "CN",
    "japonia": "JP",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "iran": "IR",
    "syria": "SY",
    "taiwan": "TW",
    "vietnam": "VN",
    "laos": "LA",
    "moldova": "MD",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "brazylia": "BR",
    "brasil": "BR",
    "meksyk": "MX",
    "méxico": "MX",
    "indie": "IN",
    "australia": "AU",
    "nowa zelandia": "NZ",
    "uae": "AE",
    "emiraty arabskie": "AE",
    "izrael": "IL",
}


@cache
def known_names() -> dict[str, str]:
    """Every accepted spelling (lower-case) -> alpha-2."""
    names: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("alpha_2", "alpha_3", "name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if value:
                names[value.lower()] = c.alpha_2
    names.update(ALTERNATE_NAMES)
    return names


@cache
def resolve_country(value: str) -> str | None:
    """ISO alpha-2 for a typed country value, None when it is not a country we know."""
    return known_names().get(value.strip().lower())


def row_regions(frame: pd.DataFrame, field: str | None, default: str, index: pd.Index) -> tuple[np.ndarray, list[str]]:
    """Alpha-2 region per row of `index`, as (codes, regions): the row's `field` when it names a
    country, else `default`. Codes index into `regions`, which holds each region once."""
    fallback = default.upper()
    if not field or field not in frame.columns:
        return np.zeros(len(index), dtype=np.int64), [fallback]
    column = frame[field] if frame.index.equals(index) else frame[field].reindex(index)
    codes, uniques = pd.factorize(column)
    resolved = [(resolve_country(u) if isinstance(u, str) else None) or fallback for u in uniques]
    regions = sorted(set(resolved) | {fallback})
    position = {r: i for i, r in enumerate(regions)}
    # The trailing entry serves code -1 (a missing country).
    lookup = np.array([position[r] for r in resolved] + [position[fallback]], dtype=np.int64)
    return lookup[codes], regions
