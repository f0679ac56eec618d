"""The clean CRM: every entity generated column-wise with numpy, consistent across tables.

Frames hold typed columns (datetime64[s], float, Int64, bool, str); `output.py` turns them
into the export's text. Every value here passes every rule of rules/core.yaml; the defects
and duplicates are added afterwards by `defects.py` and `duplicates.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from auditor.synth import data
from auditor.synth.phones import PHONES, STYLES, format_numbers, landline_plan, national_numbers
from auditor.synth.text import TEXT, email_part, feminine, slug

DAY = np.timedelta64(1, "D")
SEC = np.timedelta64(1, "s")

OWNERS = (
    "Anna Kowalczyk",
    "Piotr Nowak",
    "Tomasz Wiśniewski",
    "Magdalena Zielińska",
    "Michał Lewandowski",
    "Katarzyna Wójcik",
    "Paweł Kamiński",
    "Agnieszka Dąbrowska",
    "John Miller",
    "Sarah Thompson",
    "David Clarke",
    "Emma Fischer",
)
# how much of the record-keeping each owner does; a few owners carry the team
OWNER_WEIGHTS = np.array([14, 12, 10, 9, 8, 7, 6, 5, 9, 8, 6, 6], dtype=float)
ACTIVITY_OWNER_WEIGHTS = np.array([30, 9, 14, 8, 6, 5, 3, 2, 12, 7, 3, 2], dtype=float)
SLOPPY_OWNER = "Piotr Nowak"
SOURCES = ("manual", "web form", "import", "integration", "referral", "event", "linkedin")
SOURCE_WEIGHTS = np.array([30, 20, 15, 15, 8, 7, 5], dtype=float)
SLOPPY_SOURCE = "import"

RATES_TO_PLN = {"PLN": 1.0, "EUR": 4.3, "USD": 4.0, "GBP": 5.0}
COMPETITORS = ("Salesforce", "HubSpot", "Pipedrive", "Livespace", "Comarch", "Microsoft Dynamics", "Zoho")
LOSS_REASONS = ("Price", "Competitor", "No budget", "No decision", "Timing", "Product fit")
STAGE_PROBABILITY = {
    "Prospecting": 10,
    "Qualification": 20,
    "Proposal": 50,
    "Negotiation": 75,
    "Closed Won": 100,
    "Closed Lost": 0,
}
SEGMENT_DEAL_PLN = {"SMB": 15_000.0, "Mid-Market": 45_000.0, "Enterprise": 150_000.0}
SEGMENT_MRR_PLN = {"SMB": 900.0, "Mid-Market": 2_700.0, "Enterprise": 8_000.0}
TITLES = {
    "pl": (
        "Prezes Zarządu",
        "Dyrektor Handlowy",
        "Kierownik Zakupów",
        "Specjalista ds. Marketingu",
        "Główna Księgowa",
        "Kierownik IT",
        "Dyrektor Operacyjny",
        "Asystent Zarządu",
        "Kierownik Sprzedaży",
        "Analityk Biznesowy",
    ),
    "en": (
        "CEO",
        "Sales Director",
        "Purchasing Manager",
        "Marketing Specialist",
        "CFO",
        "IT Manager",
        "Operations Director",
        "Office Manager",
        "Head of Sales",
        "Business Analyst",
    ),
}
SUBJECTS = {
    "Call": ("Rozmowa telefoniczna", "Call: follow-up", "Call: discovery", "Telefon - ustalenie terminu"),
    "Email": ("Wysłano ofertę", "Email: proposal sent", "Email: pricing", "Odpowiedź na zapytanie"),
    "Meeting": ("Spotkanie - prezentacja", "Meeting: demo", "Meeting: negotiation", "Spotkanie u klienta"),
    "Task": ("Przygotować ofertę", "Task: send contract", "Task: update CRM", "Zadzwonić ponownie"),
    "Note": ("Notatka ze spotkania", "Note: budget confirmed", "Note: decision in Q4", "Klient prosi o rabat"),
}
TICKET_SUBJECTS = (
    "Nie działa logowanie",
    "Invoice question",
    "Błąd w raporcie",
    "Cannot export data",
    "Prośba o szkolenie",
    "Integration error",
    "Zmiana danych na fakturze",
    "Password reset",
    "Slow dashboard",
    "Pytanie o licencje",
)
SURVEY_COMMENTS = (
    "",
    "",
    "",
    "Świetna obsługa",
    "Great support",
    "Za długi czas odpowiedzi",
    "Too expensive",
    "Polecam",
    "Easy to use",
    "Brak integracji z naszym ERP",
    "",
)
PLANS = {"SMB": "Basic", "Mid-Market": "Professional", "Enterprise": "Enterprise"}


@dataclass
class Clean:
    """The clean tables plus what defect and duplicate injection need to know about them."""

    frames: dict[str, pd.DataFrame]
    as_of: pd.Timestamp
    reserved: dict[str, np.ndarray] = field(default_factory=dict)
    """Positions of records that nothing references (safe targets for primary-key defects)."""
    non_duplicates: int = 0
    """Hard non-duplicate records planted (same common name at another company, shared family phone)."""


def ids(prefix: str, n: int, start: int = 1) -> pd.Series:
    """Stable ids: prefix + number zero-padded to 6 digits (A000123, ACT001234)."""
    return prefix + pd.Series(np.arange(start, start + n), dtype="int64").astype(TEXT).str.zfill(6)


def _pick(
    rng: np.random.Generator, values: list[str] | tuple[str, ...], n: int, p: np.ndarray | None = None
) -> np.ndarray:
    arr = np.asarray(values, dtype=object)
    if p is not None:
        p = np.asarray(p, dtype=float) / np.sum(p)
    return arr[rng.choice(len(arr), size=n, p=p)]


def _at(now: np.datetime64, days_before: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Datetimes `days_before` whole days before now's date, at a business hour (07:00-18:59)."""
    day = now - np.ceil(np.maximum(days_before, 1)).astype("int64") * DAY
    secs = rng.integers(7 * 3600, 19 * 3600, size=len(days_before))
    return (day + secs * SEC).astype("datetime64[s]")


def _between(start: np.ndarray, end: np.ndarray, rng: np.random.Generator, skew: float = 1.0) -> np.ndarray:
    """A datetime between start and end (u**skew of the way), to the second."""
    span = (end - start).astype("int64")
    u = rng.random(len(span)) ** skew
    return (start + (span * u).astype("int64") * SEC).astype("datetime64[s]")


def _dates(values: np.ndarray) -> np.ndarray:
    return values.astype("datetime64[D]").astype("datetime64[s]")


def _postal(rng: np.random.Generator, country: str, spec: object, n: int) -> pd.Series:
    """Postal codes in the country's format from a city's prefixes or numeric range."""
    if country == "PL":
        pre = _pick(rng, spec, n)  # type: ignore[arg-type]
        return pd.Series(pre, dtype=TEXT) + "-" + pd.Series(rng.integers(0, 1000, n)).astype(TEXT).str.zfill(3)
    if country == "US":
        pre = _pick(rng, spec, n)  # type: ignore[arg-type]
        return pd.Series(pre, dtype=TEXT) + pd.Series(rng.integers(1, 100, n)).astype(TEXT).str.zfill(2)
    if country == "GB":
        outward = _pick(rng, spec, n)  # type: ignore[arg-type]
        letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
        inward = (
            pd.Series(rng.integers(0, 10, n)).astype(TEXT)
            + letters[rng.integers(0, 20, n)]
            + letters[rng.integers(0, 20, n)]
        )
        return pd.Series(outward, dtype=TEXT) + " " + inward
    lo, hi = spec  # type: ignore[misc]
    return pd.Series(rng.integers(lo, hi + 1, n)).astype(TEXT).str.zfill(5)


@dataclass
class _Places:
    """Addresses and phone numbers for rows of one country."""

    city: pd.Series
    street: pd.Series
    postal: pd.Series
    landline: pd.Series
    mobile: pd.Series


def _places_for(rng: np.random.Generator, countries: np.ndarray, mobile_share: float = 1.0) -> _Places:
    n = len(countries)
    city = np.full(n, "", dtype=object)
    street = city.copy()
    postal = city.copy()
    land = city.copy()
    mob = city.copy()
    places = data.places()
    for country in np.unique(countries):
        rows = np.flatnonzero(countries == country)
        k = len(rows)
        info = places[country]
        cities = info["cities"]
        ci = rng.choice(len(cities), size=k, p=np.array([c[3] for c in cities], float) / sum(c[3] for c in cities))
        city[rows] = np.array([c[0] for c in cities], dtype=object)[ci]
        nums = pd.Series(rng.integers(1, 160, k)).astype(TEXT)
        flat = np.where(rng.random(k) < 0.4, "/" + pd.Series(rng.integers(1, 60, k)).astype(TEXT), "")
        if country in ("US", "GB", "FR"):
            street[rows] = (nums + " " + _pick(rng, info["streets"], k)).to_numpy()
        else:
            street[rows] = (_pick(rng, info["streets"], k) + " " + nums + flat).to_numpy()
        code = np.full(k, "", dtype=object)
        phone = code.copy()
        mobile = code.copy()
        styles = _pick(rng, STYLES, k, p=np.array([15, 25, 40, 12, 8]))
        mobile_styles = _pick(rng, STYLES, k, p=np.array([20, 25, 35, 12, 8]))
        for j in np.unique(ci):
            sel = np.flatnonzero(ci == j)
            code[sel] = _postal(rng, country, cities[j][1], len(sel)).to_numpy()
            areas = cities[j][2] if isinstance(cities[j][2], list) else [cities[j][2]]
            plan = landline_plan(country, areas[0])
            if country == "US":
                # US mobiles and landlines share the city's geographic area codes
                nsn = national_numbers(rng, plan, len(sel), _pick(rng, areas, len(sel)))
                mob_nsn = national_numbers(rng, plan, len(sel), _pick(rng, areas, len(sel)))
                mobile[sel] = format_numbers(mob_nsn, country, plan.groups, mobile_styles[sel]).to_numpy()
            else:
                nsn = national_numbers(rng, plan, len(sel))
            phone[sel] = format_numbers(nsn, country, plan.groups, styles[sel]).to_numpy()
        if country != "US":
            plan = PHONES[country].mobile
            mobile = format_numbers(national_numbers(rng, plan, k), country, plan.groups, mobile_styles)
        postal[rows] = np.asarray(code, dtype=object)
        land[rows] = np.asarray(phone, dtype=object)
        mob[rows] = np.asarray(mobile, dtype=object)
    mob_s = pd.Series(mob, dtype=TEXT)
    if mobile_share < 1.0:
        mob_s = mob_s.where(rng.random(n) < mobile_share, None)
    text = [pd.Series(x, dtype=TEXT) for x in (city, street, postal, land)]
    return _Places(*text, mob_s)


CULTURE_OF = {"PL": "pl", "US": "en", "GB": "en", "DE": "de", "FR": "fr", "ES": "es", "IT": "it", "UA": "ua"}


def _company_names(rng: np.random.Generator, countries: np.ndarray) -> tuple[pd.Series, pd.Series]:
    """(base name, legal form) per row, in the style of the country; base + ' ' + form is the name."""
    n = len(countries)
    base = np.full(n, "", dtype=object)
    form = base.copy()
    comp = data.companies()
    nm = data.names()
    for country in np.unique(countries):
        rows = np.flatnonzero(countries == country)
        k = len(rows)
        culture = CULTURE_OF[country]
        last = nm[culture]["last"]
        style = rng.integers(0, 5, k)
        if culture == "pl":
            c = comp["pl"]
            city = _pick(rng, [ci[0] for ci in data.places()["PL"]["cities"]], k)
            word2 = pd.Series(_pick(rng, c["words"], k), dtype=TEXT).str.lower()
            options = [
                pd.Series(_pick(rng, last, k), dtype=TEXT),
                pd.Series(_pick(rng, last, k), dtype=TEXT) + " i Wspólnicy",
                pd.Series(_pick(rng, c["phrases"], k), dtype=TEXT) + " " + city,
                pd.Series(_pick(rng, c["words"], k), dtype=TEXT) + word2,
                pd.Series(_pick(rng, c["words"], k), dtype=TEXT) + "-" + pd.Series(_pick(rng, last, k), dtype=TEXT),
            ]
            forms = pd.Series(_pick(rng, c["forms"], k), dtype=TEXT)
            forms = forms.where(style != 1, "sp.k.")
            forms = forms.where(style != 2, _pick(rng, ["S.A.", "Sp. z o.o."], k))
        elif culture == "en":
            c = comp["en"]
            options = [
                pd.Series(_pick(rng, c["words"], k), dtype=TEXT) + " " + _pick(rng, c["nouns"], k),
                pd.Series(_pick(rng, last, k), dtype=TEXT) + " & " + _pick(rng, last, k),
                pd.Series(_pick(rng, last, k), dtype=TEXT) + " " + _pick(rng, c["nouns"], k),
                pd.Series(_pick(rng, c["words"], k), dtype=TEXT) + " " + _pick(rng, last, k),
                pd.Series(_pick(rng, c["words"], k), dtype=TEXT) + " " + _pick(rng, c["nouns"], k),
            ]
            forms = pd.Series(_pick(rng, c[country], k), dtype=TEXT)
        else:
            c = comp[culture]
            words = pd.Series(_pick(rng, c["words"], k), dtype=TEXT)
            surname = pd.Series(_pick(rng, last, k), dtype=TEXT)
            nouns = c.get("nouns")
            joined = words + _pick(rng, nouns, k) if culture == "de" else words + " " + _pick(rng, nouns or last, k)
            options = [surname, words + " " + surname, joined, surname + " & " + _pick(rng, last, k), joined]
            forms = pd.Series(_pick(rng, c["forms"], k), dtype=TEXT)
        chosen = options[0].copy()
        for i, opt in enumerate(options[1:], start=1):
            chosen = chosen.where(style != i, opt)
        base[rows] = np.asarray(chosen, dtype=object)
        form[rows] = np.asarray(forms, dtype=object)
    return pd.Series(base, dtype=TEXT), pd.Series(form, dtype=TEXT)


def _unique_names(rng: np.random.Generator, base: pd.Series, form: pd.Series, countries: np.ndarray) -> pd.Series:
    """Give colliding company names a distinguishing word so that two accounts are never
    accidental exact duplicates (hard non-duplicates are planted on purpose elsewhere)."""
    words = [w for c in ("pl", "en") for w in data.companies()[c]["words"]]
    for _ in range(6):
        dup = (base + " " + form).duplicated(keep="first").to_numpy()
        if not dup.any():
            break
        base = base.where(~dup, base + " " + pd.Series(_pick(rng, words, len(base)), dtype=TEXT))
    dup = (base + " " + form).duplicated(keep="first").to_numpy()
    # at millions of rows the name space runs out: number the rest, as real registries do
    base = base.where(~dup, base + " " + pd.Series(np.arange(len(base)) + 2).astype(TEXT))
    return base


def _people(rng: np.random.Generator, countries: np.ndarray) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """(first name, last name, is_female) matching each row's country; Polish surnames agree in gender."""
    n = len(countries)
    first = np.full(n, "", dtype=object)
    last = first.copy()
    female = rng.random(n) < 0.5
    nm = data.names()
    places = data.places()
    culture = np.empty(n, dtype=object)
    for country in np.unique(countries):
        rows = np.flatnonzero(countries == country)
        mix = places[country]["cultures"]
        culture[rows] = _pick(rng, list(mix), len(rows), p=np.array(list(mix.values())))
    for cult in np.unique(culture):
        rows = np.flatnonzero(culture == cult)
        k = len(rows)
        fem = female[rows]
        f = np.where(fem, _pick(rng, nm[cult]["female"], k), _pick(rng, nm[cult]["male"], k))
        ln = pd.Series(_pick(rng, nm[cult]["last"], k), dtype=TEXT)
        if cult == "pl":
            ln = ln.where(~fem, feminine(ln))
        first[rows] = f
        last[rows] = np.asarray(ln, dtype=object)
    return pd.Series(first, dtype=TEXT), pd.Series(last, dtype=TEXT), female


def _emails(rng: np.random.Generator, first: pd.Series, last: pd.Series, domains: pd.Series) -> pd.Series:
    """first.last@domain in a few common patterns, unique case-insensitively."""
    f = email_part(first)
    la = email_part(last)
    n = len(first)
    pattern = rng.integers(0, 5, n)
    local = f + "." + la
    local = local.where(pattern != 1, f.str.slice(0, 1) + "." + la)
    local = local.where(pattern != 2, f + la)
    local = local.where(pattern != 3, f + "_" + la)
    local = local.where(pattern != 4, f.str.slice(0, 1) + la)
    email = local + "@" + domains
    for i in range(2, 50):
        dup = email.str.lower().duplicated(keep="first").to_numpy()
        if not dup.any():
            break
        email = email.where(~dup, local + str(i) + "@" + domains)
    return email


def _currency_pln(amount_pln: np.ndarray, currency: np.ndarray) -> np.ndarray:
    rate = pd.Series(currency).map(RATES_TO_PLN).to_numpy(dtype=float)
    return amount_pln / rate


def _reserve(rng: np.random.Generator, n: int, share: float, minimum: int) -> np.ndarray:
    """Positions of records nothing will reference (so a broken primary key breaks nothing else)."""
    k = min(n // 4, max(minimum, round(n * share)))
    return np.sort(rng.choice(n, size=k, replace=False)) if k else np.array([], dtype=int)


def _lognormal(rng: np.random.Generator, median: np.ndarray, sigma: float) -> np.ndarray:
    return median * np.exp(rng.normal(0.0, sigma, len(median)))


def _owner(rng: np.random.Generator, n: int, weights: np.ndarray = OWNER_WEIGHTS) -> np.ndarray:
    return _pick(rng, OWNERS, n, p=weights)


def _source(rng: np.random.Generator, n: int) -> np.ndarray:
    return _pick(rng, SOURCES, n, p=SOURCE_WEIGHTS)


def _accounts(rng: np.random.Generator, now: np.datetime64, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    places = data.places()
    country = _pick(rng, list(places), n, p=np.array([v["weight"] for v in places.values()]))
    base, form = _company_names(rng, country)
    base = _unique_names(rng, base, form, country)
    tld = pd.Series(country).map({c: v["tld"] for c, v in places.items()})
    dom = slug(base)
    for i in range(2, 50):
        dup = (dom + "." + tld).duplicated(keep="first").to_numpy()
        if not dup.any():
            break
        dom = dom.where(~dup, slug(base) + str(i))
    domain = dom + "." + tld
    pl = _places_for(rng, country)
    segment = _pick(rng, ("SMB", "Mid-Market", "Enterprise"), n, p=np.array([0.6, 0.3, 0.1]))
    seg = pd.Series(segment)
    emp_median = seg.map({"SMB": 12.0, "Mid-Market": 180.0, "Enterprise": 2500.0}).to_numpy()
    employees = np.round(_lognormal(rng, emp_median, 0.6))
    lo = seg.map({"SMB": 2, "Mid-Market": 50, "Enterprise": 1000}).to_numpy()
    hi = seg.map({"SMB": 49, "Mid-Market": 999, "Enterprise": 60000}).to_numpy()
    employees = np.clip(employees, lo, hi).astype("int64")
    currency = pd.Series(country).map({c: v["currency"] for c, v in places.items()}).to_numpy()
    revenue = np.round(_currency_pln(employees * _lognormal(rng, np.full(n, 260_000.0), 0.4), currency), -3)
    has_address = rng.random(n) < 0.92
    created = _at(now, rng.uniform(40, 1095, n), rng)
    updated = _between(created, np.full(n, now), rng, skew=0.4)
    frame = pd.DataFrame(
        {
            "account_id": ids("A", n),
            "name": base + " " + form,
            "website": ("https://www." + domain).where(rng.random(n) < 0.9, None),
            "industry": _pick(rng, data.companies()["industries"], n),
            "segment": segment,
            "status": "Prospect",
            "employees": pd.array(employees, dtype="Int64"),
            "annual_revenue": revenue,
            "currency": currency,
            "phone": pl.landline.where(rng.random(n) < 0.95, None),
            "street": pl.street.where(has_address, None),
            "city": pl.city,
            "postal_code": pl.postal.where(has_address, None),
            "country": country,
            "customer_since": pd.Series(pd.NaT, index=range(n), dtype="datetime64[s]"),
            "owner": _owner(rng, n),
            "source": _source(rng, n),
            "created_at": created,
            "updated_at": updated,
        }
    )
    extra = pd.DataFrame({"base": base, "form": form, "domain": domain})
    return frame, extra


def _contacts(
    rng: np.random.Generator, now: np.datetime64, n: int, acc: pd.DataFrame, acc_extra: pd.DataFrame, pool: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray, int]:
    seg_w = acc["segment"].map({"SMB": 1.0, "Mid-Market": 3.0, "Enterprise": 8.0}).to_numpy()[pool]
    head = pool[: min(n, len(pool))]
    rest = pool[rng.choice(len(pool), size=n - len(head), p=seg_w / seg_w.sum())]
    acc_idx = rng.permutation(np.concatenate([head, rest]))
    country = acc["country"].to_numpy()[acc_idx]
    first, last, female = _people(rng, country)
    pl = _places_for(rng, country, mobile_share=0.75)
    phone = pl.landline.where(rng.random(n) < 0.55, None)

    # hard non-duplicates: common names at different companies, and relatives sharing a home phone
    planted = 0
    polish = np.flatnonzero((country == "PL") & (rng.random(n) < 0.01))
    if len(polish) >= 4:
        fem = female[polish]
        first.iloc[polish] = np.where(
            fem, _pick(rng, ("Anna", "Katarzyna"), len(polish)), _pick(rng, ("Piotr", "Tomasz"), len(polish))
        )
        last.iloc[polish] = np.where(fem, "Nowak", _pick(rng, ("Nowak", "Kowalski"), len(polish)))
        planted += len(polish)
    cand = np.setdiff1d(np.flatnonzero(country == "PL"), polish)
    k = min(len(cand) // 2, max(3, n // 300))
    if k:
        pairs = rng.choice(cand, size=2 * k, replace=False).reshape(k, 2)
        pairs = pairs[(female[pairs[:, 0]] == female[pairs[:, 1]]) & (acc_idx[pairs[:, 0]] != acc_idx[pairs[:, 1]])]
        last.iloc[pairs[:, 1]] = last.iloc[pairs[:, 0]].to_numpy()
        home = pl.landline.iloc[pairs[:, 0]].to_numpy()
        phone.iloc[pairs[:, 0]] = home
        phone.iloc[pairs[:, 1]] = home
        planted += 2 * len(pairs)

    places = data.places()
    free = pd.Series("", index=range(n), dtype=TEXT)
    for c in np.unique(country):
        rows = np.flatnonzero(country == c)
        free.iloc[rows] = _pick(rng, places[c]["free_mail"], len(rows))
    company_mail = rng.random(n) < 0.65
    domains = pd.Series(acc_extra["domain"].to_numpy()[acc_idx], dtype=TEXT).where(company_mail, free)
    email = _emails(rng, first, last, domains)
    has_address = rng.random(n) < 0.65
    culture = np.where(country == "PL", "pl", "en")
    title = np.where(culture == "pl", _pick(rng, TITLES["pl"], n), _pick(rng, TITLES["en"], n))
    birth = _dates(now - (rng.uniform(22, 67, n) * 365.25).astype("int64") * DAY)
    acc_created = acc["created_at"].to_numpy()[acc_idx]
    created = _between(acc_created, np.full(n, now - DAY), rng)
    lo = np.maximum(created, now - 700 * DAY)
    updated = _between(lo, np.full(n, now), rng, skew=0.6)
    opt = pd.array(rng.random(n) < 0.08, dtype="boolean")
    opt[rng.random(n) < 0.1] = pd.NA
    acc_owner = acc["owner"].to_numpy()[acc_idx]
    frame = pd.DataFrame(
        {
            "contact_id": ids("C", n),
            "account_id": acc["account_id"].to_numpy()[acc_idx],
            "first_name": first,
            "last_name": last,
            "email": email,
            "phone": phone,
            "mobile": pl.mobile,
            "title": np.where(rng.random(n) < 0.85, title, None),
            "street": pl.street.where(has_address, None),
            "city": pl.city.where(has_address | (rng.random(n) < 0.4), None),
            "postal_code": pl.postal.where(has_address, None),
            "country": country,
            "birth_date": pd.Series(birth).where(rng.random(n) < 0.35),
            "email_opt_out": opt,
            "owner": np.where(rng.random(n) < 0.8, acc_owner, _owner(rng, n)),
            "source": _source(rng, n),
            "created_at": created,
            "updated_at": updated,
        }
    )
    return frame, acc_idx, planted


def _campaigns(rng: np.random.Generator, now: np.datetime64, n: int) -> pd.DataFrame:
    channel = _pick(
        rng, ("Email", "Paid Search", "Social", "Event", "Webinar", "Display"), n, p=np.array([40, 15, 15, 10, 10, 10])
    )
    start = np.sort(_dates(now - rng.uniform(5, 1080, n).astype("int64") * DAY))
    duration = rng.integers(1, 60, n)
    end = start + duration * DAY
    sent = np.round(_lognormal(rng, np.full(n, 12_000.0), 0.8)).astype("int64")
    delivered = np.floor(sent * rng.uniform(0.9, 0.99, n)).astype("int64")
    opened = np.floor(delivered * rng.uniform(0.12, 0.45, n)).astype("int64")
    clicked = np.floor(opened * rng.uniform(0.05, 0.3, n)).astype("int64")
    unsub = np.floor(delivered * rng.uniform(0.0, 0.006, n)).astype("int64")
    base_cost = (
        pd.Series(channel)
        .map(
            {
                "Email": 2_500.0,
                "Paid Search": 20_000.0,
                "Social": 14_000.0,
                "Event": 45_000.0,
                "Webinar": 5_000.0,
                "Display": 15_000.0,
            }
        )
        .to_numpy()
    )
    currency = np.where(rng.random(n) < 0.8, "PLN", "EUR")
    cost = np.round(_currency_pln(_lognormal(rng, base_cost, 0.5), currency), 2)
    revenue = np.round(cost * _lognormal(rng, np.full(n, 3.0), 0.7), 2)
    themes = (
        "Automatyzacja sprzedaży",
        "Spring Promo",
        "Webinar CRM 101",
        "Black Week",
        "Targi Poznań",
        "Customer Stories",
        "Nowa wersja produktu",
        "Partner Summit",
        "Retargeting",
        "Newsletter",
    )
    quarter = pd.Series(pd.DatetimeIndex(start).to_period("Q").astype(TEXT))
    name = quarter + " " + channel + ": " + _pick(rng, themes, n)
    created = _at(now, (now - start).astype("timedelta64[D]").astype("int64") + rng.integers(1, 20, n), rng)
    return pd.DataFrame(
        {
            "campaign_id": ids("CMP", n),
            "name": name,
            "channel": channel,
            "start_date": start,
            "end_date": end,
            "sent": sent,
            "delivered": delivered,
            "opened": opened,
            "clicked": clicked,
            "unsubscribed": unsub,
            "cost": cost,
            "attributed_revenue": revenue,
            "currency": currency,
            "owner": _pick(rng, ("Magdalena Zielińska", "Emma Fischer", "Agnieszka Dąbrowska"), n),
            "source": "manual",
            "created_at": created,
            "updated_at": _between(created, np.maximum(created, np.minimum(now, end + 10 * DAY)), rng),
        }
    )


def _group_pick(rng: np.random.Generator, keys: np.ndarray, pool_keys: np.ndarray) -> np.ndarray:
    """For each key, a random position in pool_keys with the same key (-1 where there is none)."""
    order = np.argsort(pool_keys, kind="stable")
    sorted_keys = pool_keys[order]
    lo = np.searchsorted(sorted_keys, keys, side="left")
    hi = np.searchsorted(sorted_keys, keys, side="right")
    count = hi - lo
    pick = lo + np.floor(rng.random(len(keys)) * np.maximum(count, 1)).astype("int64")
    return np.where(count > 0, order[np.minimum(pick, len(order) - 1)], -1) if len(order) else np.full(len(keys), -1)


def _opportunities(
    rng: np.random.Generator,
    now: np.datetime64,
    n: int,
    acc: pd.DataFrame,
    acc_extra: pd.DataFrame,
    pool: np.ndarray,
    con: pd.DataFrame,
    con_acc: np.ndarray,
    con_pool: np.ndarray,
) -> pd.DataFrame:
    seg_w = acc["segment"].map({"SMB": 1.0, "Mid-Market": 2.5, "Enterprise": 5.0}).to_numpy()[pool]
    acc_idx = pool[rng.choice(len(pool), size=n, p=seg_w / seg_w.sum())]
    ci = _group_pick(rng, acc_idx, con_acc[con_pool])
    ci = np.where(ci >= 0, con_pool[np.maximum(ci, 0)], -1)
    ci = np.where(rng.random(n) < 0.9, ci, -1)
    created = _between(acc["created_at"].to_numpy()[acc_idx], np.full(n, now - 2 * DAY), rng, skew=0.8)
    age = (now - created) / DAY
    segment = acc["segment"].to_numpy()[acc_idx]
    seg = pd.Series(segment)
    cycle = np.clip(
        _lognormal(rng, seg.map({"SMB": 30.0, "Mid-Market": 55.0, "Enterprise": 85.0}).to_numpy(), 0.35), 20, 120
    )
    closed = (rng.random(n) < np.clip(age / 150, 0.1, 0.97)) & (age > 22)
    cycle = np.minimum(cycle, age - 2).astype("int64")
    won = closed & (rng.random(n) < 0.31)
    open_stage = _pick(
        rng, ("Prospecting", "Qualification", "Proposal", "Negotiation"), n, p=np.array([35, 25, 25, 15])
    )
    stage = np.where(closed, np.where(won, "Closed Won", "Closed Lost"), open_stage)
    created_day = created.astype("datetime64[D]")
    close = np.where(closed, created_day + cycle * DAY, now.astype("datetime64[D]") + rng.integers(5, 120, n) * DAY)
    currency = acc["currency"].to_numpy()[acc_idx]
    amount_pln = _lognormal(rng, seg.map(SEGMENT_DEAL_PLN).to_numpy(), 0.45)
    amount = np.round(_currency_pln(amount_pln, currency), -1)
    blank = ((stage == "Prospecting") & (rng.random(n) < 0.4)) | ((stage == "Closed Lost") & (rng.random(n) < 0.1))
    amount = np.where(blank, np.nan, amount)
    lost = stage == "Closed Lost"
    reason = np.where(lost, _pick(rng, LOSS_REASONS, n, p=np.array([30, 25, 15, 15, 10, 5])), None)
    has_comp = lost & (
        (reason == "Competitor") | ((reason == "Price") & (rng.random(n) < 0.5)) | (rng.random(n) < 0.08)
    )
    competitor = np.where(has_comp, _pick(rng, COMPETITORS, n, p=np.array([25, 20, 15, 15, 10, 10, 5])), None)
    typ = _pick(rng, ("New Business", "Upsell", "Renewal"), n, p=np.array([70, 20, 10]))
    close_s = close.astype("datetime64[s]")
    upd_closed = np.minimum(close_s + rng.integers(0, 10 * 86400, n) * SEC, now)
    upd_open = _between(np.maximum(created, now - 75 * DAY), np.full(n, now), rng)
    updated = np.maximum(np.where(closed, upd_closed, upd_open), created)
    year = pd.Series(created_day.astype("datetime64[Y]").astype("int64") + 1970).astype(TEXT)
    frame = pd.DataFrame(
        {
            "opportunity_id": ids("O", n),
            "account_id": acc["account_id"].to_numpy()[acc_idx],
            "contact_id": np.where(ci >= 0, con["contact_id"].to_numpy()[np.maximum(ci, 0)], None),
            "lead_id": None,
            "name": acc_extra["base"].to_numpy()[acc_idx] + " - " + typ + " " + year,
            "type": typ,
            "stage": stage,
            "amount": amount,
            "currency": currency,
            "probability": pd.Series(stage).map(STAGE_PROBABILITY).astype("float64").to_numpy(),
            "close_date": close.astype("datetime64[s]"),
            "loss_reason": reason,
            "competitor": competitor,
            "owner": np.where(rng.random(n) < 0.85, acc["owner"].to_numpy()[acc_idx], _owner(rng, n)),
            "source": _source(rng, n),
            "created_at": created,
            "updated_at": updated,
        }
    )
    return frame


def _history(rng: np.random.Generator, opp: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """Stage entries per deal: the path it took to its current stage, with increasing entry times."""
    stages = np.array(["Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost"])
    sub = opp.iloc[keep]
    stage = sub["stage"].to_numpy()
    pos = pd.Series(stage).map({s: i for i, s in enumerate(stages)}).to_numpy()
    m = len(sub)
    reached = np.where(pos <= 3, pos, np.where(pos == 4, 3, rng.integers(0, 4, m)))
    inc = np.zeros((m, 6), dtype=bool)
    for j in range(4):
        inc[:, j] = j <= reached
    # closed deals often skip a middle stage in the CRM
    inc[:, 1:4] &= ~((pos[:, None] >= 4) & (rng.random((m, 3)) < 0.3))
    inc[:, 4] = pos == 4
    inc[:, 5] = pos == 5
    row, col = np.nonzero(inc)
    created = sub["created_at"].to_numpy()[row]
    closed = pos[row] >= 4
    end = np.where(closed, sub["close_date"].to_numpy()[row] + 12 * 3600 * SEC, sub["updated_at"].to_numpy()[row])
    end = np.maximum(end, created)
    step = pd.Series(row).groupby(row).cumcount().to_numpy()
    count = np.bincount(row, minlength=m)[row]
    frac = np.where(count > 1, step / np.maximum(count - 1, 1), 0.0)
    # jitter the middle entries but keep them ordered and the first at creation, the last at the end
    frac = np.where(
        (step > 0) & (step < count - 1), frac + rng.uniform(-0.1, 0.1, len(row)) / np.maximum(count, 1), frac
    )
    entered = (created + ((end - created).astype("int64") * frac).astype("int64") * SEC).astype("datetime64[s]")
    return pd.DataFrame(
        {
            "history_id": ids("H", len(row)),
            "opportunity_id": sub["opportunity_id"].to_numpy()[row],
            "stage": stages[col],
            "entered_at": entered,
            "owner": sub["owner"].to_numpy()[row],
        }
    )


def _hours(h: np.ndarray) -> np.ndarray:
    return (h * 3600).astype("int64") * SEC


def _leads(
    rng: np.random.Generator,
    now: np.datetime64,
    n: int,
    con: pd.DataFrame,
    con_pool: np.ndarray,
    acc: pd.DataFrame,
    con_acc: np.ndarray,
    cmp: pd.DataFrame,
    cmp_pool: np.ndarray,
) -> pd.DataFrame:
    n_conv = min(round(n * 0.2), len(con_pool) // 2)
    conv = np.sort(rng.choice(con_pool, size=n_conv, replace=False))
    m = n - n_conv
    status = np.concatenate(
        [
            np.full(n_conv, "Converted", dtype=object),
            _pick(
                rng, ("New", "Working", "Nurturing", "Qualified", "Unqualified"), m, p=np.array([18, 15, 17, 10, 40])
            ),
        ]
    )
    places = data.places()
    country = np.concatenate(
        [
            con["country"].to_numpy()[conv],
            _pick(rng, list(places), m, p=np.array([v["weight"] for v in places.values()])),
        ]
    )
    first, last, _ = _people(rng, country[n_conv:])
    base, form = _company_names(rng, country[n_conv:])
    free = pd.Series("", index=range(m), dtype=TEXT)
    for c in np.unique(country[n_conv:]):
        rows = np.flatnonzero(country[n_conv:] == c)
        free.iloc[rows] = _pick(rng, places[c]["free_mail"], len(rows))
    tld = pd.Series(country[n_conv:]).map({c: v["tld"] for c, v in places.items()})
    domains = (slug(base) + "." + tld).where(rng.random(m) < 0.6, free)
    email = _emails(rng, first, last, domains)
    pl = _places_for(rng, country[n_conv:])
    acc_name = acc["name"].to_numpy()[con_acc[conv]]
    conv_phone = con["mobile"].fillna(con["phone"]).to_numpy()[conv]
    # converted leads came in shortly before their contact record was created
    conv_at = con["created_at"].to_numpy()[conv]
    recent = np.isin(status[n_conv:], ("New", "Working"))
    other_created = _at(now, np.where(recent, rng.uniform(1, 45, m), rng.uniform(30, 1090, m)), rng)
    created = np.concatenate([conv_at - rng.integers(2 * 86400, 90 * 86400, n_conv) * SEC, other_created])
    response = np.clip(_lognormal(rng, np.full(n, 4.0), 1.2), 0.05, 400)
    limit = np.where(status == "Converted", np.concatenate([conv_at, np.full(m, now)]), np.full(n, now))
    span_h = (limit - created) / np.timedelta64(1, "h")
    response = np.minimum(response, span_h * 0.9)
    first_resp = np.where(status == "New", np.datetime64("NaT"), created + _hours(response))
    converted_at = np.concatenate([conv_at, np.full(m, np.datetime64("NaT"), dtype="datetime64[s]")])
    # campaign: the latest non-reserved campaign that started up to 120 days before the lead
    starts = cmp["start_date"].to_numpy()[cmp_pool]
    k = np.searchsorted(starts, created, side="right") - 1
    ok = (k >= 0) & (rng.random(n) < 0.55)
    ok &= (created - starts[np.maximum(k, 0)]) < 120 * DAY
    campaign = np.where(ok, cmp["campaign_id"].to_numpy()[cmp_pool[np.maximum(k, 0)]], None)
    last_touch = np.maximum(created, np.where(np.isnat(first_resp), created, first_resp))
    last_touch = np.maximum(last_touch, np.where(np.isnat(converted_at), created, converted_at))
    updated = _between(last_touch, np.full(n, now), rng, skew=2.0)
    title = _pick(rng, TITLES["en"], n)
    frame = pd.DataFrame(
        {
            "lead_id": ids("L", n),
            "first_name": np.concatenate([con["first_name"].to_numpy()[conv], first.to_numpy()]),
            "last_name": np.concatenate([con["last_name"].to_numpy()[conv], last.to_numpy()]),
            "email": np.concatenate([con["email"].to_numpy()[conv], email.to_numpy()]),
            "phone": np.concatenate([conv_phone, pl.mobile.where(rng.random(m) < 0.7, None).to_numpy()]),
            "company": np.concatenate([acc_name, (base + " " + form).to_numpy()]),
            "title": np.concatenate(
                [con["title"].to_numpy()[conv], np.where(rng.random(m) < 0.6, title[n_conv:], None)]
            ),
            "country": country,
            "postal_code": np.concatenate(
                [con["postal_code"].to_numpy()[conv], pl.postal.where(rng.random(m) < 0.5, None).to_numpy()]
            ),
            "status": status,
            "first_response_at": first_resp,
            "converted_at": converted_at,
            "converted_contact_id": np.concatenate([con["contact_id"].to_numpy()[conv], np.full(m, None)]),
            "converted_account_id": np.concatenate([acc["account_id"].to_numpy()[con_acc[conv]], np.full(m, None)]),
            "converted_opportunity_id": None,
            "campaign_id": campaign,
            "owner": _owner(rng, n),
            "source": np.where(pd.notna(campaign), _pick(rng, ("web form", "event", "linkedin"), n), _source(rng, n)),
            "created_at": created,
            "updated_at": updated,
        }
    )
    # shuffle so that converted leads are not all at the front, then renumber
    frame = frame.iloc[rng.permutation(n)].reset_index(drop=True)
    frame["lead_id"] = ids("L", n)
    return frame


def _activities(
    rng: np.random.Generator,
    now: np.datetime64,
    total: int,
    con: pd.DataFrame,
    con_pool: np.ndarray,
    opp: pd.DataFrame,
    opp_pool: np.ndarray,
    lead: pd.DataFrame,
    lead_pool: np.ndarray,
) -> pd.DataFrame:
    # deal activities
    k_opp = rng.poisson(1.6, len(opp_pool))
    o = np.repeat(opp_pool, k_opp)
    o_start = opp["created_at"].to_numpy()[o]
    closed = np.isin(opp["stage"].to_numpy()[o], ("Closed Won", "Closed Lost"))
    o_end = np.where(closed, opp["close_date"].to_numpy()[o] + 17 * 3600 * SEC, opp["updated_at"].to_numpy()[o])
    o_at = _between(o_start, np.maximum(o_end, o_start), rng)
    # lead activities
    lp = lead_pool[lead["status"].to_numpy()[lead_pool] != "New"]
    k_lead = rng.poisson(0.8, len(lp))
    lidx = np.repeat(lp, k_lead)
    l_start = lead["created_at"].to_numpy()[lidx]
    l_end = lead["converted_at"].to_numpy()[lidx]
    l_end = np.where(np.isnat(l_end), now, l_end)
    l_at = _between(l_start, np.maximum(l_start, l_end), rng)
    # contact activities: the rest, some contacts much more active than others
    rest = max(total - len(o) - len(lidx), 0)
    w = rng.lognormal(0.0, 1.0, len(con_pool))
    c = con_pool[rng.choice(len(con_pool), size=rest, p=w / w.sum())]
    c_at = _between(con["created_at"].to_numpy()[c], np.full(rest, now), rng, skew=0.7)
    n = len(o) + len(lidx) + rest
    contact = np.concatenate(
        [opp["contact_id"].to_numpy()[o], np.full(len(lidx), None), con["contact_id"].to_numpy()[c]]
    )
    account = np.concatenate(
        [opp["account_id"].to_numpy()[o], np.full(len(lidx), None), con["account_id"].to_numpy()[c]]
    )
    occurred = np.concatenate([o_at, l_at, c_at]).astype("datetime64[s]")
    typ = _pick(rng, ("Call", "Email", "Meeting", "Task", "Note"), n, p=np.array([35, 35, 12, 10, 8]))
    duration = np.where(typ == "Call", np.clip(np.round(_lognormal(rng, np.full(n, 8.0), 0.8)), 1, 90), np.nan)
    duration = np.where(typ == "Meeting", _pick(rng, (15, 30, 45, 60, 90, 120), n).astype(float), duration)
    subject = np.empty(n, dtype=object)
    for t, options in SUBJECTS.items():
        sel = typ == t
        subject[sel] = _pick(rng, options, int(sel.sum()))
    created = np.minimum(occurred + rng.integers(0, 3600, n) * SEC, now)
    updated = np.where(rng.random(n) < 0.8, created, np.minimum(created + rng.integers(0, 5 * 86400, n) * SEC, now))
    owner = np.concatenate(
        [opp["owner"].to_numpy()[o], lead["owner"].to_numpy()[lidx], _owner(rng, rest, ACTIVITY_OWNER_WEIGHTS)]
    )
    frame = pd.DataFrame(
        {
            "activity_id": "",
            "type": typ,
            "subject": subject,
            "account_id": account,
            "contact_id": contact,
            "lead_id": np.concatenate([np.full(len(o), None), lead["lead_id"].to_numpy()[lidx], np.full(rest, None)]),
            "opportunity_id": np.concatenate([opp["opportunity_id"].to_numpy()[o], np.full(len(lidx) + rest, None)]),
            "occurred_at": occurred,
            "duration_minutes": duration,
            "owner": owner,
            "source": _pick(rng, ("manual", "integration", "email sync"), n, p=np.array([50, 20, 30])),
            "created_at": created,
            "updated_at": updated.astype("datetime64[s]"),
        }
    )
    frame = frame.sort_values("occurred_at", kind="stable").reset_index(drop=True)
    frame["activity_id"] = ids("ACT", n)
    return frame


def _tickets(
    rng: np.random.Generator,
    now: np.datetime64,
    n: int,
    acc: pd.DataFrame,
    customers: np.ndarray,
    first_won: np.ndarray,
    con: pd.DataFrame,
    con_acc: np.ndarray,
    con_pool: np.ndarray,
) -> pd.DataFrame:
    a = customers[rng.integers(0, len(customers), n)]
    ci = _group_pick(rng, a, con_acc[con_pool])
    ci = np.where((ci >= 0) & (rng.random(n) < 0.92), con_pool[np.maximum(ci, 0)], -1)
    since = first_won[a].astype("datetime64[s]") + DAY
    opened = _between(np.minimum(since, now - DAY), np.full(n, now - 3600 * SEC), rng, skew=0.7)
    first_h = np.clip(_lognormal(rng, np.full(n, 3.0), 1.0), 0.05, 200)
    res_h = np.clip(_lognormal(rng, np.full(n, 26.0), 1.1), 0.5, 2000)
    first = opened + _hours(first_h)
    resolved = opened + _hours(np.maximum(res_h, first_h + 0.1))
    done = resolved <= now
    responded = first <= now
    status = np.where(
        done,
        np.where(rng.random(n) < 0.6, "Closed", "Resolved"),
        np.where(responded, _pick(rng, ("Open", "Pending"), n, p=np.array([70, 30])), "New"),
    )
    fcr = rng.random(n) < 0.7
    needed = np.where(fcr, 1, 2 + rng.poisson(1.0, n))
    needed = np.where(done, needed, np.where(responded, 1 + rng.poisson(0.5, n), -1))
    last = np.where(done, resolved, np.where(responded, first, opened))
    return pd.DataFrame(
        {
            "ticket_id": ids("TK", n),
            "account_id": acc["account_id"].to_numpy()[a],
            "contact_id": np.where(ci >= 0, con["contact_id"].to_numpy()[np.maximum(ci, 0)], None),
            "subject": _pick(rng, TICKET_SUBJECTS, n),
            "status": status,
            "priority": _pick(rng, ("Low", "Medium", "High", "Urgent"), n, p=np.array([30, 40, 22, 8])),
            "channel": _pick(rng, ("Email", "Phone", "Chat", "Web"), n, p=np.array([40, 25, 20, 15])),
            "opened_at": opened,
            "first_response_at": np.where(responded, first, np.datetime64("NaT")),
            "resolved_at": np.where(done, resolved, np.datetime64("NaT")),
            "contacts_needed": pd.Series(needed, dtype="Int64").where(needed >= 0, pd.NA),
            "owner": _owner(rng, n),
            "source": _pick(rng, ("Email", "Phone", "Chat", "Web"), n),
            "created_at": opened,
            "updated_at": np.maximum(last, opened),
        }
    )


def _surveys(
    rng: np.random.Generator, now: np.datetime64, n: int, tk: pd.DataFrame, con: pd.DataFrame, con_pool: np.ndarray
) -> pd.DataFrame:
    resolved = np.flatnonzero(tk["resolved_at"].notna().to_numpy())
    n_tr = min(round(n * 0.6), len(resolved))
    t = np.sort(rng.choice(resolved, size=n_tr, replace=False))
    t_at = tk["resolved_at"].to_numpy()[t]
    t_resp = np.minimum(t_at + rng.integers(3600, 72 * 3600, n_tr) * SEC, now)
    n_rel = n - n_tr
    c = con_pool[rng.integers(0, len(con_pool), n_rel)]
    c_resp = _between(con["created_at"].to_numpy()[c], np.full(n_rel, now), rng)
    nps_p = np.array([2, 1, 1.5, 2, 2.5, 4, 8, 12, 18, 24, 25])
    nps = rng.choice(11, size=n, p=nps_p / nps_p.sum()).astype(float)
    nps[:n_tr][rng.random(n_tr) > 0.3] = np.nan
    csat_p = np.array([5, 7, 13, 35, 40])
    ces_p = np.array([25, 30, 20, 12, 7, 4, 2])
    csat = np.concatenate([rng.choice(5, size=n_tr, p=csat_p / 100) + 1.0, np.full(n_rel, np.nan)])
    ces = np.concatenate([rng.choice(7, size=n_tr, p=ces_p / 100) + 1.0, np.full(n_rel, np.nan)])
    ces[:n_tr][rng.random(n_tr) < 0.2] = np.nan
    responded = np.concatenate([t_resp, c_resp]).astype("datetime64[s]")
    frame = pd.DataFrame(
        {
            "response_id": "",
            "contact_id": np.concatenate([tk["contact_id"].to_numpy()[t], con["contact_id"].to_numpy()[c]]),
            "account_id": np.concatenate([tk["account_id"].to_numpy()[t], con["account_id"].to_numpy()[c]]),
            "ticket_id": np.concatenate([tk["ticket_id"].to_numpy()[t], np.full(n_rel, None)]),
            "nps": nps,
            "csat": csat,
            "ces": ces,
            "responded_at": responded,
            "comment": np.where(rng.random(n) < 0.3, _pick(rng, SURVEY_COMMENTS, n), None),
            "owner": None,
            "source": np.concatenate([np.full(n_tr, "ticket survey"), np.full(n_rel, "nps survey")]),
            "created_at": responded,
            "updated_at": responded,
        }
    )
    frame = frame.sort_values("responded_at", kind="stable").reset_index(drop=True)
    frame["comment"] = frame["comment"].replace("", None)
    frame["response_id"] = ids("S", n)
    return frame


def _subscriptions(
    rng: np.random.Generator, now: np.datetime64, acc: pd.DataFrame, customers: np.ndarray, first_won: np.ndarray
) -> pd.DataFrame:
    two = rng.random(len(customers)) < 0.35
    a = np.concatenate([customers, customers[two]])
    n = len(a)
    start = first_won[a] + rng.integers(0, 15, n) * DAY
    start[len(customers) :] += rng.integers(30, 400, n - len(customers)) * DAY
    today = now.astype("datetime64[D]")
    start = np.minimum(start, today - DAY)
    status = np.full(n, "Active", dtype=object)
    end = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    cancelled = end.copy()
    renewed = np.zeros(n, dtype=bool)
    alive = np.ones(n, dtype=bool)
    start_ts = pd.Series(start.astype("datetime64[s]"))
    for k in range(1, 6):
        boundary = (start_ts + pd.DateOffset(years=k)).to_numpy().astype("datetime64[D]")
        reached = alive & (boundary <= today)
        lapse = reached & (rng.random(n) < 0.15)
        expire = lapse & (rng.random(n) < 0.5)
        cancel = lapse & ~expire
        status[expire] = "Expired"
        status[cancel] = "Cancelled"
        end[lapse] = boundary[lapse]
        notice = boundary - rng.integers(15, 90, n) * DAY
        cancelled[cancel] = np.maximum(notice, start + DAY)[cancel]
        renewed[lapse] = k >= 2
        alive &= ~lapse
        current = alive & (boundary > today) & np.isnat(end)
        end[current] = boundary[current]
        renewed[current] = k >= 2
    # a few active subscriptions are cancelled mid-term
    term_start = (pd.Series(end.astype("datetime64[s]")) - pd.DateOffset(years=1)).to_numpy().astype("datetime64[D]")
    early = (status == "Active") & (rng.random(n) < 0.05)
    lo = np.maximum(term_start, start + DAY)
    span = np.maximum((today - DAY - lo).astype("int64"), 0)
    cancelled[early] = (lo + (rng.random(n) * span).astype("int64") * DAY)[early]
    status[early] = "Cancelled"
    segment = acc["segment"].to_numpy()[a]
    currency = acc["currency"].to_numpy()[a]
    mrr = np.round(_currency_pln(_lognormal(rng, pd.Series(segment).map(SEGMENT_MRR_PLN).to_numpy(), 0.4), currency), 2)
    created = start.astype("datetime64[s]") + 9 * 3600 * SEC
    touch = np.where(np.isnat(cancelled), np.minimum(np.where(status == "Active", term_start, end), today), cancelled)
    updated = np.maximum(touch.astype("datetime64[s]") + 10 * 3600 * SEC, created)
    frame = pd.DataFrame(
        {
            "subscription_id": "",
            "account_id": acc["account_id"].to_numpy()[a],
            "plan": pd.Series(segment).map(PLANS).to_numpy(),
            "mrr": mrr,
            "currency": currency,
            "status": status,
            "start_date": start.astype("datetime64[s]"),
            "end_date": end.astype("datetime64[s]"),
            "cancelled_at": cancelled.astype("datetime64[s]"),
            "renewed": renewed,
            "owner": acc["owner"].to_numpy()[a],
            "source": "billing",
            "created_at": created,
            "updated_at": np.minimum(updated, now),
        }
    )
    frame = frame.sort_values("start_date", kind="stable").reset_index(drop=True)
    frame["subscription_id"] = ids("SUB", n)
    return frame


def _costs(rng: np.random.Generator, now: np.datetime64, rows: int, cmp: pd.DataFrame) -> pd.DataFrame:
    scale = max(rows, 300) / 2000
    months = (now.astype("datetime64[M]") - np.arange(23, -1, -1)).astype("datetime64[D]")
    base = {
        "marketing": 45_000.0,
        "sales": 140_000.0,
        "retention": 22_000.0,
        "staff": 310_000.0,
        "overhead": 85_000.0,
        "loyalty": 12_000.0,
    }
    cats = np.repeat(np.array(list(base)), len(months))
    period = np.tile(months, len(base))
    trend = np.tile(np.linspace(0.85, 1.15, len(months)), len(base))
    amount = np.round(pd.Series(cats).map(base).to_numpy() * scale * trend * rng.lognormal(0, 0.12, len(cats)), 2)
    paid = np.flatnonzero(cmp["channel"].isin(["Paid Search", "Social", "Event", "Display"]).to_numpy())
    paid = paid[cmp["start_date"].to_numpy()[paid] >= months[0]]
    n = len(cats) + len(paid)
    frame = pd.DataFrame(
        {
            "cost_id": ids("COST", n),
            "period": np.concatenate(
                [period, cmp["start_date"].to_numpy()[paid].astype("datetime64[M]").astype("datetime64[D]")]
            ).astype("datetime64[s]"),
            "category": np.concatenate([cats, np.full(len(paid), "marketing")]),
            "amount": np.concatenate([amount, cmp["cost"].to_numpy()[paid]]),
            "currency": np.concatenate([np.full(len(cats), "PLN"), cmp["currency"].to_numpy()[paid]]),
            "campaign_id": np.concatenate([np.full(len(cats), None), cmp["campaign_id"].to_numpy()[paid]]),
            "description": np.concatenate(
                [
                    np.char.add("Monthly ", cats.astype(str)),
                    ("Campaign: " + cmp["name"].iloc[paid]).to_numpy(dtype=object),
                ]
            ),
            "owner": np.concatenate([np.full(len(cats), "Anna Kowalczyk"), cmp["owner"].to_numpy()[paid]]),
            "source": np.concatenate([np.full(len(cats), "finance import"), np.full(len(paid), "manual")]),
        }
    )
    return frame


def campaign_count(rows: int) -> int:
    """About 40 campaigns for a small CRM, growing with the square root of its size."""
    return round(40 * max(1.0, rows / 1000) ** 0.5)


def generate_clean(rows: int, seed: int, as_of: date) -> Clean:
    rng = np.random.default_rng(seed)
    now = np.datetime64(as_of, "s")
    n_acc = max(rows // 4, 12)
    acc, acc_extra = _accounts(rng, now, n_acc)
    acc_reserved = _reserve(rng, n_acc, 0.03, 20)
    acc_pool = np.setdiff1d(np.arange(n_acc), acc_reserved)

    con, con_acc, planted = _contacts(rng, now, rows, acc, acc_extra, acc_pool)
    con_reserved = _reserve(rng, rows, 0.02, 20)
    con_pool = np.setdiff1d(np.arange(rows), con_reserved)

    cmp = _campaigns(rng, now, campaign_count(rows))
    unpaid = np.flatnonzero(cmp["channel"].isin(["Email", "Webinar"]).to_numpy())
    cmp_reserved = np.sort(rng.choice(unpaid, size=min(len(unpaid), max(5, len(cmp) // 10)), replace=False))
    cmp_pool = np.setdiff1d(np.arange(len(cmp)), cmp_reserved)

    opp = _opportunities(rng, now, round(rows * 0.75), acc, acc_extra, acc_pool, con, con_acc, con_pool)
    opp_reserved = _reserve(rng, len(opp), 0.03, 20)
    opp_pool = np.setdiff1d(np.arange(len(opp)), opp_reserved)

    lead = _leads(rng, now, rows, con, con_pool, acc, con_acc, cmp, cmp_pool)
    lead_reserved = _reserve(rng, rows, 0.02, 30)
    lead_reserved = lead_reserved[lead["status"].to_numpy()[lead_reserved] != "Converted"]
    lead_pool = np.setdiff1d(np.arange(rows), lead_reserved)
    _link_lead_opportunities(rng, lead, opp, opp_pool)

    # customers: accounts with a won deal; they get subscriptions and tickets
    won = opp[opp["stage"] == "Closed Won"]
    first_won_s = won.groupby("account_id")["close_date"].min()
    acc_pos = pd.Series(np.arange(n_acc), index=acc["account_id"])
    customers = acc_pos[first_won_s.index].to_numpy()
    first_won = np.full(n_acc, np.datetime64("NaT"), dtype="datetime64[D]")
    first_won[customers] = first_won_s.to_numpy().astype("datetime64[D]")
    sub = _subscriptions(rng, now, acc, customers, first_won)
    active = sub.loc[sub["status"] == "Active", "account_id"].unique()
    acc.loc[acc_pos[first_won_s.index].to_numpy(), "customer_since"] = first_won_s.to_numpy()
    acc.loc[acc["customer_since"].notna(), "status"] = "Churned"
    acc.loc[acc["account_id"].isin(active), "status"] = "Customer"
    # a customer record is touched when it becomes one
    acc["updated_at"] = np.maximum(
        acc["updated_at"].to_numpy(), acc["customer_since"].fillna(acc["created_at"]).to_numpy().astype("datetime64[s]")
    )

    tk = _tickets(rng, now, max(rows // 3, 10), acc, customers, first_won, con, con_acc, con_pool)
    srv = _surveys(rng, now, max(rows // 3, 10), tk, con, con_pool)
    act = _activities(rng, now, rows * 4, con, con_pool, opp, opp_pool, lead, lead_pool)
    hist = _history(rng, opp, opp_pool)
    costs = _costs(rng, now, rows, cmp)
    frames = {
        "accounts": acc,
        "contacts": con,
        "leads": lead,
        "opportunities": opp,
        "opportunity_history": hist,
        "activities": act,
        "tickets": tk,
        "surveys": srv,
        "subscriptions": sub,
        "campaigns": cmp,
        "costs": costs,
    }
    reserved = {
        "tickets": np.flatnonzero(~tk["ticket_id"].isin(srv["ticket_id"]).to_numpy()),
        "accounts": acc_reserved,
        "contacts": con_reserved,
        "leads": lead_reserved,
        "opportunities": opp_reserved,
        "campaigns": cmp_reserved,
    }
    return Clean(frames, pd.Timestamp(as_of), reserved, planted)


def _link_lead_opportunities(
    rng: np.random.Generator, lead: pd.DataFrame, opp: pd.DataFrame, opp_pool: np.ndarray
) -> None:
    """A converted lead's first deal with its contact becomes its converted opportunity."""
    pool = opp.iloc[opp_pool]
    pool = pool[pool["contact_id"].notna()].sort_values("created_at", kind="stable")
    first_deal = pool.drop_duplicates("contact_id").set_index("contact_id")["opportunity_id"]
    conv = lead["converted_contact_id"].notna() & (rng.random(len(lead)) < 0.7)
    deal = lead["converted_contact_id"].map(first_deal).where(conv)
    lead["converted_opportunity_id"] = deal.astype("object").where(deal.notna(), None)
    linked = deal.dropna()
    opp.loc[opp["opportunity_id"].isin(linked), "lead_id"] = opp["opportunity_id"].map(
        pd.Series(lead.loc[linked.index, "lead_id"].to_numpy(), index=linked.to_numpy())
    )
