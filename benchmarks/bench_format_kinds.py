"""Time the format and text-hygiene kinds on a million realistic values (about 5% bad).

    .venv/bin/python benchmarks/bench_format_kinds.py [--rows 1000000] [--skip-baseline]

For each kind: the median of 3 runs of its check, and a baseline that calls the library
(email-validator, phonenumbers) or the plain-Python rule once per unique value, timed once.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import email_validator
import numpy as np
import pandas as pd
import phonenumbers

from auditor.checks.base import CheckContext
from auditor.checks.kinds import get_kind
from auditor.checks.kinds._countries import resolve_country
from auditor.checks.kinds.email import is_valid_email
from auditor.checks.kinds.phone import is_valid_phone
from auditor.checks.kinds.whitespace import tidy
from auditor.model import ENTITIES

FIRST = [
    "Jan",
    "Anna",
    "Piotr",
    "Katarzyna",
    "Tomasz",
    "Agnieszka",
    "Paweł",
    "Magdalena",
    "Michał",
    "Ewa",
    "Łukasz",
    "Zofia",
    "John",
    "Mary",
    "Hans",
]
LAST = [
    "Kowalski",
    "Nowak",
    "Wiśniewska",
    "Wójcik",
    "Kamiński",
    "Lewandowska",
    "Zieliński",
    "Szymańska",
    "Smith",
    "Müller",
    "Dubois",
    "McDonald",
    "O'Brien",
    "van der Berg",
    "Kowalska-Nowak",
    "Ng",
    "Li",
    "Aaron",
]
SURNAMES_ASCII = ["kowalski", "nowak", "wisniewska", "smith", "mueller", "dubois"]
DOMAINS = ["gmail.com", "wp.pl", "onet.pl", "o2.pl", "interia.pl", "outlook.com", "firma.pl", "acme.com.pl", "web.de"]


def pick(rng: np.random.Generator, options: list[str], n: int, p: list[float] | None = None) -> pd.Series:
    return pd.Series(np.asarray(options, dtype=object)[rng.choice(len(options), n, p=p)], dtype="str")


def digits(rng: np.random.Generator, n: int, width: int) -> pd.Series:
    return pd.Series(rng.integers(0, 10**width, n), dtype="int64").astype("str").str.zfill(width)


def spoil(rng: np.random.Generator, good: pd.Series, bad: list[str], rate: float = 0.05) -> pd.Series:
    """Replace `rate` of the values with defective ones: a fixed junk value or the good value mangled."""
    out = good.copy()
    hit = rng.random(len(good)) < rate
    out[hit] = pick(rng, bad, int(hit.sum())).to_numpy()
    return out


def emails(rng: np.random.Generator, n: int) -> pd.Series:
    local = pick(rng, [f.lower() for f in FIRST], n) + "." + pick(rng, SURNAMES_ASCII, n)
    local = local + digits(rng, n, 4).where(rng.random(n) < 0.6, "")
    good = local + "@" + pick(rng, DOMAINS, n)
    bad = np.where(rng.random(n) < 0.5, good.str.replace("@", "@@"), good.str.replace(".", " ", n=1))
    bad = np.where(rng.random(n) < 0.3, good.str.replace(".", ",", n=-1), bad)
    hit = rng.random(n) < 0.05
    return good.where(~hit, pd.Series(bad, dtype="str"))


def phones(rng: np.random.Generator, n: int) -> tuple[pd.Series, pd.Series]:
    region = pick(rng, ["PL", "Polska", "DE", "GB", "US", "FR"], n, [0.6, 0.2, 0.08, 0.05, 0.05, 0.02])
    pl_mobile = pick(rng, ["50", "51", "53", "57", "60", "66", "69", "72", "78", "79", "88"], n) + digits(rng, n, 7)
    pl = np.where(
        rng.random(n) < 0.5,
        pl_mobile.str.slice(0, 3) + " " + pl_mobile.str.slice(3, 6) + " " + pl_mobile.str.slice(6),
        "+48 " + pl_mobile,
    )
    de = "030 " + digits(rng, n, 7)
    gb = "020 7" + digits(rng, n, 3) + " " + digits(rng, n, 4)
    us = "(" + pick(rng, ["212", "415", "646", "312"], n) + ") 2" + digits(rng, n, 2) + "-" + digits(rng, n, 4)
    fr = "01 " + digits(rng, n, 2) + " " + digits(rng, n, 2) + " " + digits(rng, n, 2) + " " + digits(rng, n, 2)
    value = np.select(
        [region.isin(["PL", "Polska"]), region == "DE", region == "GB", region == "US"], [pl, de, gb, us], fr
    )
    good = pd.Series(value, dtype="str")
    bad = np.where(rng.random(n) < 0.6, good.str.slice(0, -2), pick(rng, ["n/a", "000-000-0000", "brak", "123"], n))
    hit = rng.random(n) < 0.05
    return good.where(~hit, pd.Series(bad, dtype="str")), region


def library_email(v: str) -> bool:
    try:
        email_validator.validate_email(v.strip(), check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return True


def library_phone(pair: tuple[str, str]) -> bool:
    value, country = pair
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, resolve_country(country) or "PL"))
    except phonenumbers.NumberParseException:
        return False


def per_unique(values: pd.Series, fn: Callable[[Any], bool]) -> None:
    for v in pd.unique(values.dropna()):
        fn(v)


def cases(rng: np.random.Generator, n: int) -> list[tuple[str, pd.Series, dict[str, Any], pd.DataFrame, Callable]]:
    phone, region = phones(rng, n)
    country_good = pick(rng, ["PL", "Polska", "Poland", "DE", "Deutschland", "GB", "USA", "France", "CZ"], n)
    postal_good = np.select(
        [
            country_good.isin(["PL", "Polska", "Poland"]),
            country_good.isin(["DE", "Deutschland", "USA", "France"]),
            country_good == "GB",
        ],
        [digits(rng, n, 2) + "-" + digits(rng, n, 3), digits(rng, n, 5), pick(rng, ["SW1A 1AA", "EC1A 1BB"], n)],
        "1" + digits(rng, n, 2) + " " + digits(rng, n, 2),
    )
    names = pick(rng, LAST, n)
    name_cases = names.where(rng.random(n) > 0.05, names.str.upper())
    sites = (
        "www."
        + pick(rng, ["acme", "firma", "kowalski-trans", "abc"], n)
        + digits(rng, n, 3)
        + "."
        + pick(rng, ["pl", "com", "de", "co.uk"], n)
    )
    sites = sites.where(rng.random(n) > 0.5, "https://" + sites + "/")
    frames = {
        "email": emails(rng, n),
        "phone": phone,
        "url": spoil(rng, sites, ["acme", "http://", "www.", "acme .com", "htp://acme.com", "localhost"]),
        "country": spoil(rng, country_good, ["Polnad", "XX", "Mars", "n/a", "Germny"]),
        "currency": spoil(rng, pick(rng, ["PLN", "EUR", "USD", "GBP"], n), ["pln", "zł", "$", "€", "XYZ"]),
        "postal_code": spoil(rng, pd.Series(postal_good, dtype="str"), ["00950", "1234", "SW1A-1AA", "0-950"]),
        "placeholder": spoil(rng, pick(rng, FIRST + LAST, n), ["test", "asdf", "n/a", "xxx", "brak", "-", "aaaa"]),
        "whitespace": spoil(rng, names, [" Nowak", "Nowak ", "Anna  Maria", "Jan\tKowalski", "Jan\u00a0Nowak"]),
        "casing": name_cases,
    }
    baselines: dict[str, Callable[[pd.Series, pd.DataFrame], None]] = {
        "email": lambda s, df: per_unique(s, library_email),
        "phone": lambda s, df: per_unique(pd.Series(list(zip(s, df["country"], strict=True))), library_phone),
        "country": lambda s, df: per_unique(s, resolve_country),
        "whitespace": lambda s, df: per_unique(s, lambda v: tidy(v) == v),
    }
    out = []
    for kind, values in frames.items():
        df = pd.DataFrame({"value": values, "country": region if kind == "phone" else country_good})
        params = {"region_field": "country"} if kind == "phone" else {}
        if kind == "postal_code":
            params = {"country_field": "country"}
        out.append((kind, values, params, df, baselines.get(kind)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(20261031)
    print(f"{'kind':<12} {'check s (median of 3)':>22} {'failing':>8} {'baseline s':>11} {'unique':>9}")
    for kind, values, params, df, baseline in cases(rng, args.rows):
        ctx = CheckContext(ENTITIES["contacts"], df, df, {"contacts": df}, pd.Timestamp("2026-10-31"), "PL")
        check = get_kind(kind).check
        times = []
        for _ in range(3):
            is_valid_email.cache_clear()  # each run pays for its own library calls
            is_valid_phone.cache_clear()
            start = time.perf_counter()
            result = check(df["value"], params, ctx)
            times.append(time.perf_counter() - start)
        base = ""
        if baseline is not None and not args.skip_baseline:
            start = time.perf_counter()
            baseline(df["value"], df)
            base = f"{time.perf_counter() - start:.2f}"
        failing = f"{1 - result.mean():.1%}"
        print(f"{kind:<12} {statistics.median(times):>22.3f} {failing:>8} {base:>11} {values.nunique():>9}")


if __name__ == "__main__":
    main()
