"""Valid phone numbers per country, generated without calling phonenumbers per row.

Each country has number plans (a prefix chooser plus a number of random digits) that were
checked against phonenumbers' metadata: every number they produce is valid for the country
(tests/synth verifies this on the fixture and on a large sample). Formatting is done on
whole columns with string slicing, so a million numbers take about a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditor.synth.text import TEXT


@dataclass(frozen=True)
class Plan:
    prefixes: tuple[str, ...]
    digits: int
    """Random digits after the prefix; the first one is drawn from 2-9 so no plan yields a
    short code, an N11 exchange or a run of zeros right after the prefix."""
    groups: tuple[int, ...]
    """National grouping of the national significant number, e.g. (3, 3, 3) -> 601 234 567."""


@dataclass(frozen=True)
class CountryPhones:
    calling_code: str
    trunk: str
    """Prefix dialled before the national significant number inside the country ('0' in GB/DE/FR/UA)."""
    mobile: Plan
    landline: dict[str, Plan]
    """Landline plan per city (the city's area code is the prefix)."""


def _land(area: str, total: int, groups: tuple[int, ...], next_digits: str = "") -> Plan:
    """An area code plan; `next_digits` restricts the digit after the area code where only some
    subscriber ranges are allocated (GB, FR)."""
    if next_digits:
        return Plan(tuple(area + d for d in next_digits), total - len(area) - 1, groups)
    return Plan((area,), total - len(area), groups)


PHONES: dict[str, CountryPhones] = {
    "PL": CountryPhones(
        "48",
        "",
        Plan(("50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88"), 7, (3, 3, 3)),
        {},
    ),
    "US": CountryPhones("1", "", Plan((), 7, (3, 3, 4)), {}),
    "GB": CountryPhones("44", "0", Plan(("73", "74", "75", "78"), 8, (4, 6)), {}),
    "DE": CountryPhones(
        "49", "0", Plan(("151", "152", "157", "160", "162", "170", "171", "172", "176"), 8, (3, 8)), {}
    ),
    "FR": CountryPhones(
        "33",
        "0",
        Plan(("61", "62", "64", "65", "66", "67", "68", "73", "75", "76", "77", "78"), 7, (1, 2, 2, 2, 2)),
        {},
    ),
    "ES": CountryPhones("34", "", Plan(("6",), 8, (3, 3, 3)), {}),
    "IT": CountryPhones(
        "39", "", Plan(("320", "328", "333", "338", "340", "347", "348", "349", "366", "380", "392"), 7, (3, 3, 4)), {}
    ),
    "UA": CountryPhones(
        "380", "0", Plan(("50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"), 7, (2, 3, 2, 2)), {}
    ),
}


def landline_plan(country: str, area: str) -> Plan:
    """The landline plan for an area code (from places.json) of a country."""
    if country == "PL":
        return _land(area, 9, (2, 3, 2, 2))
    if country == "US":
        return Plan((area,), 7, (3, 3, 4))
    if country == "GB":
        return _land(area, 10, (2, 4, 4) if len(area) == 2 else (3, 3, 4), "34")
    if country == "DE":
        return _land(area, 10, (len(area), 10 - len(area)))
    if country == "FR":
        return _land(area, 9, (1, 2, 2, 2, 2), "2345")
    if country == "ES":
        return _land(area, 9, (3, 3, 3))
    if country == "IT":
        return _land(area, 10, (len(area), 10 - len(area)))
    if country == "UA":
        return _land(area, 9, (2, 3, 2, 2))
    raise KeyError(country)


def random_digits(rng: np.random.Generator, n: int, k: int) -> pd.Series:
    """n strings of k digits; the first digit is 2-9 and no digit repeats 4 times in a row
    (a run like 0000 reads as a placeholder to a junk detector)."""
    d = rng.integers(0, 10, size=(n, k))
    d[:, 0] = rng.integers(2, 10, size=n)
    # break runs: where a digit equals the three before it, bump it by one
    for j in range(3, k):
        run = (d[:, j] == d[:, j - 1]) & (d[:, j] == d[:, j - 2]) & (d[:, j] == d[:, j - 3])
        d[run, j] = (d[run, j] + 1) % 10
    chars = (d + ord("0")).astype(np.uint8).view(f"S{k}").ravel()
    return pd.Series(chars.astype(str), dtype=TEXT)


def national_numbers(rng: np.random.Generator, plan: Plan, n: int, prefixes: np.ndarray | None = None) -> pd.Series:
    """n national significant numbers of a plan (prefixes may be given per row, e.g. US area codes)."""
    if prefixes is None:
        prefixes = np.asarray(plan.prefixes)[rng.integers(0, len(plan.prefixes), n)]
    tail = random_digits(rng, n, plan.digits)
    if plan.digits == 7 and not plan.prefixes:
        # US exchanges: avoid 555 (fictional) and N11 service codes
        bad = tail.str.slice(0, 3).eq("555") | tail.str.slice(1, 3).eq("11")
        tail = tail.where(~bad, "4" + tail.str.slice(1))
        tail = tail.where(~tail.str.slice(1, 3).eq("11"), tail.str.slice(0, 1) + "21" + tail.str.slice(3))
    return pd.Series(prefixes, dtype=TEXT) + tail


STYLES = ("e164", "international", "national", "national_dashed", "national_compact")


def _template(country: str, groups: tuple[int, ...], style: str) -> str:
    """The layout of a number in a style, `d` standing for the national number's digits in order."""
    spec = PHONES[country]
    digits = ["d" * g for g in groups]
    if style == "e164":
        return "+" + spec.calling_code + "".join(digits)
    if style == "international":
        return "+" + spec.calling_code + " " + " ".join(digits)
    if country == "US":
        return {"national": "(ddd) ddd-dddd", "national_dashed": "-".join(digits)}.get(style, ".".join(digits))
    sep = {"national": " ", "national_dashed": "-", "national_compact": ""}[style]
    return spec.trunk + sep.join(digits)


def format_numbers(nsn: pd.Series, country: str, groups: tuple[int, ...], style: np.ndarray) -> pd.Series:
    """Write national significant numbers of one country in the given styles (one per row).

    Every style has a fixed layout per plan, so the text is assembled as a byte matrix: the
    template repeated per row with the digits dropped into their positions."""
    n = len(nsn)
    length = sum(groups)
    digits = np.asarray(nsn.to_numpy(dtype=object).astype(str)).astype(f"S{length}").view(np.uint8).reshape(n, length)
    style = np.asarray(style)
    templates = {st: _template(country, groups, st) for st in STYLES}
    out = np.empty(n, dtype=f"U{max(len(t) for t in templates.values())}")
    for st, template in templates.items():
        rows = np.flatnonzero(style == st)
        if not len(rows):
            continue
        raw = np.frombuffer(template.encode("ascii"), dtype=np.uint8)
        mat = np.tile(raw, (len(rows), 1))
        mat[:, raw == ord("d")] = digits[rows]
        out[rows] = mat.view(f"S{len(raw)}").ravel().astype(f"U{len(raw)}")
    return pd.Series(out, dtype=TEXT)
