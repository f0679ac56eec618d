"""Synthetic CRM contacts (plus the accounts and activities they refer to) for the benchmarks.

Built with numpy so that 1,000,000 rows take seconds, and cached as CSV under
`benchmarks/data/` (git-ignored). The data are realistic in the ways that cost checking
time: Polish and international names with diacritics, phones in many national and
international spellings, postcodes of several countries, and a few percent of every defect
the core pack looks for (invalid e-mails, phones, postcodes and countries; stray whitespace;
ALL CAPS names; placeholders; duplicated ids and e-mails; dangling account ids; future,
unparseable and out-of-order dates; stale records). `DEFECT_RATES` lists the rates.

Written while `auditor.synth` was being built; switching the benchmark to it (and to its
ground truth) is a follow-up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).resolve().parent / "data"
AS_OF = pd.Timestamp("2026-10-31")
GENERATOR_VERSION = 1  # bump to invalidate cached data when the generator changes


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Jan Anna Piotr Katarzyna Krzysztof Małgorzata Andrzej Agnieszka Tomasz Barbara Paweł Ewa Michał "
    "Magdalena Marcin Joanna Łukasz Aleksandra Grzegorz Zofia Wojciech Monika Mateusz Dorota Jakub Żaneta "
    "Bartłomiej Jolanta Kamil Beata Dawid Elżbieta Szymon Urszula Maciej Halina Rafał Teresa Sławomir Iwona "
    "John Mary James Patricia Robert Jennifer Hans Ursula Jürgen Sabine Pierre Amélie François Chloé "
    "José María Giovanni Giulia Jiří Tereza Olga Ivan Sean Siobhán Ahmed Fatima Wei Yuki Anne-Marie Jean-Luc"
)
LAST_NAMES = (
    *_words(
        "Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak Dąbrowski "
        "Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski Nowakowski Pawłowski Michalski "
        "Nowicka Adamczyk Dudek Zając Wieczorek Jabłoński Król Majewski Olszewski Jaworski Wróbel Malinowski "
        "Pawlak Witkowski Walczak Stępień Górski Rutkowski Michalak Sikora Ostrowski Baran Duda Szewczyk "
        "Smith Johnson Williams Brown Jones Müller Schmidt Schneider Fischer Weber Dubois Martin Bernard "
        "García Fernández Rossi Russo Novák Svoboda O'Brien Murphy Kowalska-Nowak Łęcka Żurawska"
    ),
    "van der Berg",
    "de la Cruz",
    "Brzęczyszczykiewicz",
)
TITLES = ("CEO", "CFO", "Sales Manager", "Kierownik sprzedaży", "Dyrektor", "Specjalista", "Engineer", "", "")
SOURCES = ("import", "web form", "integration", "manual", "event")
OWNERS = tuple(f"owner{i:02d}@acme.pl" for i in range(40))
FREE_DOMAINS = ("gmail.com", "wp.pl", "onet.pl", "o2.pl", "interia.pl", "gazeta.pl", "outlook.com", "yahoo.com")

# country value as typed -> (ISO code, weight). Spellings vary as they do in real exports.
COUNTRIES = {
    "PL": ("PL", 0.40),
    "Polska": ("PL", 0.12),
    "Poland": ("PL", 0.08),
    "DE": ("DE", 0.06),
    "Deutschland": ("DE", 0.03),
    "Germany": ("DE", 0.02),
    "GB": ("GB", 0.04),
    "UK": ("GB", 0.02),
    "United Kingdom": ("GB", 0.02),
    "US": ("US", 0.04),
    "USA": ("US", 0.03),
    "FR": ("FR", 0.04),
    "France": ("FR", 0.02),
    "CZ": ("CZ", 0.02),
    "Czechy": ("CZ", 0.01),
    "NL": ("NL", 0.02),
    "pl": ("PL", 0.01),
    " Polska": ("PL", 0.02),
}
BAD_COUNTRIES = ("Polnad", "XX", "Mars", "n/a", "Warszawa", "Niemcy?", "-")
CITIES = {
    "PL": ("Warszawa", "Kraków", "Łódź", "Wrocław", "Poznań", "Gdańsk", "Szczecin", "Lublin"),
    "DE": ("Berlin", "München", "Hamburg", "Köln"),
    "GB": ("London", "Manchester", "Leeds"),
    "US": ("New York", "Chicago", "San Francisco"),
    "FR": ("Paris", "Lyon", "Marseille"),
    "CZ": ("Praha", "Brno"),
    "NL": ("Amsterdam", "Rotterdam"),
}

# Defect rates per field (fraction of rows); the benchmark report prints these.
DEFECT_RATES: dict[str, float] = {
    "contact_id missing": 0.001,
    "contact_id duplicated": 0.002,
    "account_id missing": 0.03,
    "account_id dangling": 0.02,
    "name missing": 0.01,
    "name placeholder (test, xxx, n/a, asdf, brak)": 0.005,
    "name whitespace (leading/trailing/double/nbsp/tab)": 0.02,
    "name casing (ALL CAPS / lower)": 0.02,
    "email missing": 0.03,
    "email invalid (@@, spaces, no TLD, commas...)": 0.04,
    "email placeholder (noemail@, test@test.com)": 0.005,
    "email duplicated (case/space variants)": 0.02,
    "email internationalized (valid, slow path)": 0.005,
    "phone invalid (too short, letters, wrong prefix)": 0.05,
    "phone placeholder (000-000-0000, n/a)": 0.005,
    "mobile missing": 0.5,
    "postal_code wrong for country": 0.05,
    "country missing": 0.03,
    "country invalid": 0.02,
    "birth_date missing": 0.4,
    "birth_date before 1900 / future / unparseable": 0.015,
    "email_opt_out unparseable": 0.005,
    "created_at future": 0.005,
    "created_at unparseable": 0.003,
    "updated_at before created_at": 0.02,
    "stale (no touch for 730 days)": 0.1,
}


def _pick(rng: np.random.Generator, values: tuple[str, ...] | list[str], n: int) -> np.ndarray:
    return np.asarray(values, dtype=object)[rng.integers(0, len(values), n)]


def _mask(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    return rng.random(n) < rate


def _digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    return pd.Series(rng.integers(0, 10**width, n)).astype(str).str.zfill(width).to_numpy(dtype=object)


def _ascii(names: np.ndarray) -> pd.Series:
    pairs = dict(zip("ąćęłńóśźżäöüéèçáíñřšěůýčž", "acelnoszzaoueecainrseuycz", strict=True))
    table = str.maketrans({**pairs, "ß": "ss"})
    return pd.Series(names).str.lower().str.translate(table).str.replace(r"[^a-z]", "", regex=True)


def _phones(rng: np.random.Generator, iso: np.ndarray) -> np.ndarray:
    """Mostly valid numbers for each row's country, in the spellings people use."""
    n = len(iso)
    out = np.empty(n, dtype=object)
    style = rng.integers(0, 4, n)
    pl_mobile = _pick(rng, ("50", "51", "53", "57", "60", "66", "69", "72", "78", "79", "88"), n)
    d7 = _digits(rng, n, 7)
    d6 = _digits(rng, n, 6)
    d4 = _digits(rng, n, 4)
    ser = pd.Series
    # Poland: mobiles 9 digits, landlines (22) xxx xx xx
    pl_num = ser(pl_mobile) + ser(d7)
    pl = np.select(
        [style == 0, style == 1, style == 2],
        [
            ("+48 " + pl_num.str[:3] + " " + pl_num.str[3:6] + " " + pl_num.str[6:]).to_numpy(),
            (pl_num.str[:3] + "-" + pl_num.str[3:6] + "-" + pl_num.str[6:]).to_numpy(),
            ("(22) " + ser(d7).str[:3] + " " + ser(d7).str[3:5] + " " + ser(d7).str[5:]).to_numpy(),
        ],
        ("0048" + pl_num).to_numpy(),
    )
    de = np.where(style < 2, ("+49 30 " + ser(d7)).to_numpy(), ("030 " + ser(d7) + "1").to_numpy())
    gb = np.where(
        style < 2, ("+44 20 7" + ser(d7).str[:3] + " " + ser(d4)).to_numpy(), ("020 7946 " + ser(d4)).to_numpy()
    )
    area = _pick(rng, ("212", "415", "312", "617", "646"), n)
    exch = pd.Series(rng.integers(200, 999, n)).astype(str)
    us = np.where(
        style < 2,
        ("(" + ser(area) + ") " + exch + "-" + ser(d4)).to_numpy(),
        ("+1 " + ser(area) + " " + exch + " " + ser(d4)).to_numpy(),
    )
    fr = ("+33 1 " + ser(d6).str[:2] + " " + ser(d6).str[2:4] + " " + ser(d6).str[4:] + " 00").to_numpy()
    cz = ("+420 602 " + ser(d6).str[:3] + " " + ser(d6).str[3:]).to_numpy()
    nl = ("+31 20 " + ser(d7)).to_numpy()
    for code, values in (("PL", pl), ("DE", de), ("GB", gb), ("US", us), ("FR", fr), ("CZ", cz), ("NL", nl)):
        rows = iso == code
        out[rows] = values[rows]
    other = pd.isna(out)
    out[other] = pl[other]
    bad = _mask(rng, n, DEFECT_RATES["phone invalid (too short, letters, wrong prefix)"])
    out[bad] = _pick(
        rng, ("601 234 56", "123", "+48 123", "12345", "+48 6O1 234 567", "tel. 22 abc", "+1 555 0100"), n
    )[bad]
    junk = _mask(rng, n, DEFECT_RATES["phone placeholder (000-000-0000, n/a)"])
    out[junk] = _pick(rng, ("000-000-0000", "n/a", "111111111", "brak"), n)[junk]
    return out


def _postcodes(rng: np.random.Generator, iso: np.ndarray) -> np.ndarray:
    n = len(iso)
    d5 = pd.Series(_digits(rng, n, 5))
    out = d5.to_numpy(dtype=object).copy()  # DE, US, FR: five digits
    pl = (d5.str[:2] + "-" + d5.str[2:]).to_numpy()
    letters = _pick(rng, tuple("ABDEFGHJLNPQRSTUWXYZ"), n)
    gb = ("SW1A " + pd.Series(rng.integers(1, 9, n)).astype(str) + pd.Series(letters) + "A").to_numpy()
    cz = (d5.str[:3] + " " + d5.str[3:]).to_numpy()
    nl = (d5.str[:4].str.replace("^0", "1", regex=True) + " AB").to_numpy()
    for code, values in (("PL", pl), ("GB", gb), ("CZ", cz), ("NL", nl)):
        rows = iso == code
        out[rows] = values[rows]
    bad = _mask(rng, n, DEFECT_RATES["postal_code wrong for country"])
    out[bad] = _pick(rng, ("00950", "1234", "ABC-12", "99-99", "n/a", "12 345", "SW1A1AAA"), n)[bad]
    return out


def _dates(rng: np.random.Generator, start: str, end: str, n: int) -> pd.Series:
    lo, hi = pd.Timestamp(start).value // 10**9, pd.Timestamp(end).value // 10**9
    return pd.Series(pd.to_datetime(rng.integers(lo, hi, n), unit="s"))


def _fmt(ts: pd.Series, with_time: bool = True) -> pd.Series:
    return ts.dt.strftime("%Y-%m-%d %H:%M:%S" if with_time else "%Y-%m-%d")


def make_accounts(n: int, rng: np.random.Generator) -> pd.DataFrame:
    ids = pd.Series(np.arange(1, n + 1)).map("A{:07d}".format)
    iso = _pick(rng, ("PL", "PL", "PL", "DE", "GB", "US", "FR"), n)
    created = _dates(rng, "2012-01-01", "2026-06-30", n)
    return pd.DataFrame(
        {
            "account_id": ids,
            "name": pd.Series(_pick(rng, ("Acme", "Orbis", "Polmex", "Techbud", "Nordic", "Vistula"), n))
            + " "
            + pd.Series(np.arange(n)).astype(str)
            + pd.Series(_pick(rng, (" Sp. z o.o.", " S.A.", " GmbH", " Ltd", " Inc."), n)),
            "country": iso,
            "created_at": _fmt(created),
            "updated_at": _fmt(created + pd.to_timedelta(rng.integers(0, 400, n), unit="D")),
        }
    )


def make_contacts(n: int, accounts: pd.Series, rng: np.random.Generator) -> pd.DataFrame:
    r = DEFECT_RATES
    first = _pick(rng, FIRST_NAMES, n)
    last = _pick(rng, LAST_NAMES, n)
    values = np.array(list(COUNTRIES), dtype=object)
    weights = np.array([w for _, w in COUNTRIES.values()])
    country = values[rng.choice(len(values), n, p=weights / weights.sum())]
    iso = np.array([COUNTRIES[c][0] for c in values], dtype=object)[pd.Index(values).get_indexer(pd.Index(country))]

    ids = pd.Series(np.arange(1, n + 1)).map("C{:08d}".format).to_numpy(dtype=object)
    dup = _mask(rng, n, r["contact_id duplicated"])
    ids[dup] = ids[rng.integers(0, n, n)][dup]
    ids[_mask(rng, n, r["contact_id missing"])] = None

    account_id = np.asarray(accounts, dtype=object)[rng.integers(0, len(accounts), n)]
    dangling = _mask(rng, n, r["account_id dangling"])
    account_id[dangling] = pd.Series(rng.integers(10**7, 2 * 10**7, n)).map("A{:08d}".format).to_numpy()[dangling]
    account_id[_mask(rng, n, r["account_id missing"])] = None

    # e-mail: first.last + a number @ a free or company domain
    local = _ascii(first) + "." + _ascii(last) + pd.Series(rng.integers(0, 10**6, n)).astype(str)
    domain = np.where(
        rng.random(n) < 0.6,
        _pick(rng, FREE_DOMAINS, n),
        ("firma" + pd.Series(rng.integers(0, 5000, n)).astype(str) + ".pl").to_numpy(),
    )
    email = (local + "@" + pd.Series(domain)).to_numpy(dtype=object)
    dup = _mask(rng, n, r["email duplicated (case/space variants)"])
    source = email[rng.integers(0, n, n)]
    variant = rng.integers(0, 3, n)
    email[dup & (variant == 0)] = source[dup & (variant == 0)]
    email[dup & (variant == 1)] = pd.Series(source).str.upper().to_numpy()[dup & (variant == 1)]
    email[dup & (variant == 2)] = pd.Series(source).str.capitalize().to_numpy()[dup & (variant == 2)]
    bad = _mask(rng, n, r["email invalid (@@, spaces, no TLD, commas...)"])
    kind = rng.integers(0, 7, n)
    broken = {
        0: pd.Series(email).str.replace("@", "@@", regex=False),
        1: pd.Series(email).str.replace(".", " ", n=1, regex=False),
        2: pd.Series(email).str.replace(r"\.[a-z]+$", "", regex=True),
        3: pd.Series(email).str.replace("@", "", regex=False),
        4: pd.Series(email).str.replace(".", ",", regex=False),
        5: pd.Series(email).str.replace("@", ".@", regex=False),
        6: '"' + pd.Series(email).str.replace("@", '"@', regex=False) + ">",
    }
    for k, series in broken.items():
        rows = bad & (kind == k)
        email[rows] = series.to_numpy()[rows]
    intl = _mask(rng, n, r["email internationalized (valid, slow path)"])
    email[intl] = (
        pd.Series(first).str.lower() + "." + pd.Series(rng.integers(0, 10**6, n)).astype(str) + "@wp.pl"
    ).to_numpy()[intl]
    junk = _mask(rng, n, r["email placeholder (noemail@, test@test.com)"])
    email[junk] = _pick(rng, ("noemail@acme.pl", "test@test.com", "brak@brak.pl", "asdf@asdf.com", "none@none.com"), n)[
        junk
    ]
    email[_mask(rng, n, r["email missing"])] = None

    # names: whitespace, casing and placeholder defects
    for names in (first, last):
        ws = _mask(rng, n, r["name whitespace (leading/trailing/double/nbsp/tab)"])
        how = rng.integers(0, 4, n)
        names[ws & (how == 0)] = " " + names[ws & (how == 0)]
        names[ws & (how == 1)] = names[ws & (how == 1)] + " "
        names[ws & (how == 2)] = names[ws & (how == 2)] + "\u00a0"
        names[ws & (how == 3)] = "\t" + names[ws & (how == 3)]
        caps = _mask(rng, n, r["name casing (ALL CAPS / lower)"])
        names[caps] = np.where(rng.random(n) < 0.5, pd.Series(names).str.upper(), pd.Series(names).str.lower())[caps]
        junk = _mask(rng, n, r["name placeholder (test, xxx, n/a, asdf, brak)"])
        names[junk] = _pick(rng, ("test", "xxx", "n/a", "asdf", "brak", "Test", "aaaa"), n)[junk]
        names[_mask(rng, n, r["name missing"])] = None

    phone = _phones(rng, iso)
    mobile = _phones(rng, iso)
    mobile[_mask(rng, n, r["mobile missing"])] = None
    postal = _postcodes(rng, iso)
    bad_c = _mask(rng, n, r["country invalid"])
    country[bad_c] = _pick(rng, BAD_COUNTRIES, n)[bad_c]
    country[_mask(rng, n, r["country missing"])] = None
    city = np.array([c[0] for c in CITIES.values()], dtype=object)[rng.integers(0, len(CITIES), n)]
    city_iso = np.array(list(CITIES), dtype=object)
    for code in city_iso:
        rows = iso == code
        city[rows] = _pick(rng, CITIES[code], int(rows.sum()))

    birth = _fmt(_dates(rng, "1940-01-01", "2004-12-31", n), with_time=False).to_numpy(dtype=object)
    odd = _mask(rng, n, r["birth_date before 1900 / future / unparseable"])
    birth[odd] = _pick(rng, ("1899-12-31", "1850-06-01", "2031-01-01", "31/02/1980", "yesterday", "0000-00-00"), n)[odd]
    birth[_mask(rng, n, r["birth_date missing"])] = None
    opt_out = _pick(rng, ("true", "false", "false", "false", "tak", "nie", ""), n)
    opt_out[_mask(rng, n, r["email_opt_out unparseable"])] = "maybe"

    created = _dates(rng, "2014-01-01", "2026-10-30", n)
    # most records were touched recently: last update ~ exponential with a 200-day mean before as-of
    recent = AS_OF - pd.Series(pd.to_timedelta(rng.exponential(200.0, n).astype("int64") + 1, unit="D"))
    updated = recent.where(recent >= created, created + pd.Timedelta(hours=1))
    # stale: neither created nor updated in the last 730 days (and no activity, see activities)
    stale = _mask(rng, n, r["stale (no touch for 730 days)"])
    old = _dates(rng, "2014-01-01", "2023-06-30", n)
    created = created.where(~stale, old)
    updated = updated.where(~stale, old + pd.Timedelta(days=30))
    order = _mask(rng, n, r["updated_at before created_at"])
    updated = updated.where(~order, created - pd.Timedelta(days=3))
    created_txt = _fmt(created).to_numpy(dtype=object)
    future = _mask(rng, n, r["created_at future"])
    created_txt[future] = _fmt(_dates(rng, "2027-01-01", "2030-01-01", n)).to_numpy()[future]
    unparsed = _mask(rng, n, r["created_at unparseable"])
    created_txt[unparsed] = _pick(rng, ("2021-13-45", "soon", "31.02.2020"), n)[unparsed]

    return pd.DataFrame(
        {
            "contact_id": ids,
            "account_id": account_id,
            "first_name": first,
            "last_name": last,
            "email": email,
            "phone": phone,
            "mobile": mobile,
            "title": _pick(rng, TITLES, n),
            "city": city,
            "postal_code": postal,
            "country": country,
            "birth_date": birth,
            "email_opt_out": opt_out,
            "owner": _pick(rng, OWNERS, n),
            "source": _pick(rng, SOURCES, n),
            "created_at": created_txt,
            "updated_at": _fmt(updated).to_numpy(dtype=object),
        }
    )


def make_activities(n: int, contact_ids: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    occurred = _dates(rng, "2022-01-01", "2026-10-30", n)
    return pd.DataFrame(
        {
            "activity_id": pd.Series(np.arange(1, n + 1)).map("X{:08d}".format),
            "type": _pick(rng, ("Call", "Email", "Meeting"), n),
            "contact_id": np.asarray(contact_ids, dtype=object)[rng.integers(0, len(contact_ids), n)],
            "occurred_at": _fmt(occurred),
            "created_at": _fmt(occurred),
        }
    )


def write_export(rows: int, seed: int, out_dir: Path) -> None:
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    accounts = make_accounts(max(rows // 20, 10), rng)
    contacts = make_contacts(rows, accounts["account_id"], rng)
    # Activities touch only a fifth of the contacts, so most stale contacts stay stale.
    touched = contacts["contact_id"].dropna().to_numpy()[: max(rows // 5, 1)]
    activities = make_activities(max(rows // 4, 1), touched, rng)
    accounts.to_csv(out_dir / "accounts.csv", index=False)
    contacts.to_csv(out_dir / "contacts.csv", index=False)
    activities.to_csv(out_dir / "activities.csv", index=False)


def ensure_export(rows: int, seed: int = 7, log: Callable[[str], None] = print) -> Path:
    """The cached export directory for (rows, seed), generating it on first use."""
    out_dir = DATA_DIR / f"contacts-{rows}-s{seed}-v{GENERATOR_VERSION}"
    stamp = out_dir.with_name(out_dir.name + ".json")  # beside, not inside: the directory is the export
    if stamp.exists():
        return out_dir
    log(f"generating {rows:,} contacts into {out_dir} (cached for later runs)")
    write_export(rows, seed, out_dir)
    stamp.write_text(json.dumps({"rows": rows, "seed": seed, "generator": "benchmarks/_contacts.py"}))
    return out_dir
