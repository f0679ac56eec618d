"""Defect injection: realistic data-entry errors, each recorded with the rule(s) it breaks.

Every rule of the core pack gets at least a floor of defects (when defect_rate > 0), the rest
of an entity's budget (defect_rate x records) is spread over its rules by weight. Victims are
drawn with higher weight for the sloppy owner and the `import` source. Two injections share a
record only when they touch fields no rule couples (an order rule's `after`, a `when`, a
country used to read a phone...), so every injected value breaks exactly the rules listed.

Rules whose outcome depends on other records (unique, foreign_key, staleness, outlier) are
not recorded here; `reference.evaluate` derives them from the finished tables.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import phonenumbers
from email_validator import EmailNotValidError, validate_email

from auditor.model import ENTITIES
from auditor.synth.clean import SLOPPY_OWNER, SLOPPY_SOURCE
from auditor.synth.reference import core_rules
from auditor.synth.text import TEXT

FLOOR = 10
"""Defects per rule (truth rows for collisions) whenever defect_rate > 0, so that small exports
exercise every rule."""

BAD_DATES = ("31/02/2026", "n.d.", "yesterday", "2026-13-01", "32.01.2025")
BAD_NUMBERS = ("12,5OO", "n.d.", "ok. 50", "50+", "~200")
TITLE_PLACEHOLDERS = ("Test", "Asdf", "Xxx", "Brak", "Unknown")
PLACEHOLDERS = ("test", "Test", "TEST", "asdf", "xxx", "n/a", "brak", "unknown")
PHONE_PLACEHOLDERS = ("000-000-0000", "0000000000", "n/a", "brak", "111-111-111", "+48 000 000 000")
EMAIL_PLACEHOLDERS = ("noemail@example.com", "test@test.com", "brak@brak.pl", "none@none.com", "xxx@xxx.com", "n/a")
BAD_COUNTRIES = ("Polnad", "XX", "Plska", "ZZ", "Poladn")
CURRENCY_TYPOS = {
    "PLN": ("pln", "zł", "PLNN", "złoty"),
    "EUR": ("eur", "€", "EURO"),
    "USD": ("usd", "US$", "$"),
    "GBP": ("gbp", "£", "GPB"),
}
POSTAL_COUNTRIES = ("PL", "US", "GB", "DE", "FR")


@dataclass
class Truth:
    rows: list[tuple[str, int, str, str, str]] = field(default_factory=list)
    """(entity, position, field, rule_id, injection); positions resolve to record ids at the end."""

    def add(self, entity: str, pos: Sequence[int], fld: str | Sequence[str], rule: str, injection: str) -> None:
        flds = [fld] * len(pos) if isinstance(fld, str) else list(fld)
        self.rows.extend((entity, int(p), f, rule, injection) for p, f in zip(pos, flds, strict=True))


def _couplings() -> dict[str, dict[str, set[str]]]:
    """Per entity, field -> the fields that a cross-field rule reads together with it."""
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))

    def link(entity: str, a: str, b: str) -> None:
        out[entity][a].add(b)
        out[entity][b].add(a)

    for r in core_rules():
        e = r["entity"]
        for f in r["fields"]:
            out[e][f].add(f)
            if "after" in r:
                link(e, f, r["after"])
            if f in r.get("before", {}):
                link(e, f, r["before"][f])
            for w in r.get("when", {}) or {}:
                link(e, f, w)
            for key in ("region_field", "country_field", "group_by"):
                if key in r:
                    link(e, f, r[key])
            if r["kind"] == "staleness":
                link(e, f, "created_at")
    return out


class Injector:
    def __init__(
        self,
        text: dict[str, pd.DataFrame],
        typed: dict[str, pd.DataFrame],
        reserved: dict[str, np.ndarray],
        rng: np.random.Generator,
        as_of: pd.Timestamp,
        rate: float,
    ) -> None:
        self.text = text
        self.typed = typed
        self.reserved = reserved
        self.rng = rng
        self.as_of = as_of
        self.rate = rate
        self.edits: dict[tuple[str, str], dict[int, str | None]] = defaultdict(dict)
        self.used: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.drop: dict[str, set[int]] = defaultdict(set)
        self.truth = Truth()
        self.labels: dict[tuple[str, int], str] = {}
        """(entity, position) -> injection applied there, to label computed findings."""
        self.coupled = _couplings()
        self.rules = {r["id"]: r for r in core_rules()}

    # ------------------------------------------------------------------ primitives
    def get(self, entity: str, col: str, pos: np.ndarray) -> list[str | None]:
        edits = self.edits.get((entity, col), {})
        base = self.text[entity][col].to_numpy()[pos]
        return [
            edits.get(int(p), None if pd.isna(v) else v) if int(p) in edits else (None if pd.isna(v) else v)
            for p, v in zip(pos, base, strict=True)
        ]

    def set(self, entity: str, col: str, pos: Sequence[int], values: Sequence[str | None]) -> None:
        e = self.edits[(entity, col)]
        for p, v in zip(pos, values, strict=True):
            e[int(p)] = v

    def weights(self, entity: str, pos: np.ndarray) -> np.ndarray:
        """Sloppy owner and import source enter about three times their share of defects."""
        frame = self.text[entity]
        w = np.ones(len(pos))
        if "owner" in frame:
            w += 2.0 * frame["owner"].eq(SLOPPY_OWNER).fillna(False).to_numpy(dtype=bool)[pos]
        if "source" in frame:
            w += 2.0 * frame["source"].eq(SLOPPY_SOURCE).fillna(False).to_numpy(dtype=bool)[pos]
        return w

    def choose(
        self, entity: str, k: int, cand: np.ndarray | None, fields: Sequence[str], exclusive: bool = False
    ) -> np.ndarray:
        """Up to k positions among candidates where touching `fields` cannot interact with earlier injections."""
        n = len(self.text[entity])
        pos = np.arange(n) if cand is None else np.asarray(cand, dtype=int)
        pos = pos[~np.isin(pos, list(self.drop[entity]))] if self.drop[entity] else pos
        if k <= 0 or not len(pos) or self.rate <= 0:
            return np.array([], dtype=int)
        used = self.used[entity]
        reach: set[str] = set()
        for f in fields:
            reach |= self.coupled[entity].get(f, {f}) | {f}
        # only the few already-used candidates need a per-record look
        used_keys = np.fromiter(used.keys(), dtype=int, count=len(used))
        free = ~np.isin(pos, used_keys)
        ok = free.copy()
        if not exclusive:
            idx = np.flatnonzero(~free)
            ok[idx] = [("*" not in used[int(p)] and not (used[int(p)] & reach)) for p in pos[idx]]
        picked: list[int] = []
        for group in (pos[free], pos[ok & ~free]):
            need = k - len(picked)
            if need <= 0 or not len(group):
                continue
            w = self.weights(entity, group)
            take = self.rng.choice(len(group), size=min(need, len(group)), replace=False, p=w / w.sum())
            picked.extend(int(x) for x in group[np.sort(take)])
        for p in picked:
            used[p] |= {"*"} if exclusive else set(fields)
        return np.array(sorted(picked), dtype=int)

    def mark(self, entity: str, pos: Sequence[int], injection: str, fields: Sequence[str] = ("*",)) -> None:
        for p in pos:
            self.used[entity][int(p)] |= set(fields)
            self.labels[(entity, int(p))] = injection

    def count(self, rule_id: str, weight: float = 1.0) -> int:
        """How many defects a rule gets: the floor, or its share of the entity's budget."""
        if self.rate <= 0:
            return 0
        entity = self.rules[rule_id]["entity"]
        rules = [r for r in self.rules.values() if r["entity"] == entity]
        budget = self.rate * len(self.text[entity])
        return max(FLOOR, round(budget * weight / len(rules)))

    # ------------------------------------------------------------------ generic injections
    def replace(
        self,
        rule_id: str,
        fld: str | Sequence[str],
        make: Callable[[list[str | None], np.ndarray], list[str | None]],
        injection: str,
        cand: np.ndarray | None = None,
        k: int | None = None,
        weight: float = 1.0,
        also: Sequence[str] = (),
        extra: dict[str, Callable[[np.ndarray], list[str | None]]] | None = None,
    ) -> np.ndarray:
        """Set `fld` of k records to make(current values, positions) and record rule_id (+ `also`)."""
        entity = self.rules[rule_id]["entity"]
        k = self.count(rule_id, weight) if k is None else k
        fields = [fld] if isinstance(fld, str) else list(fld)
        per_field = np.array_split(np.arange(k), len(fields))
        chosen = []
        for f, share in zip(fields, per_field, strict=True):
            c = cand
            if c is None or isinstance(c, dict):
                c = (cand or {}).get(f) if isinstance(cand, dict) else None
            touched = [f, *(extra or {})]
            pos = self.choose(entity, len(share), c, touched)
            if not len(pos):
                continue
            self.set(entity, f, pos, make(self.get(entity, f, pos), pos))
            for col, fn in (extra or {}).items():
                self.set(entity, col, pos, fn(pos))
            self.truth.add(entity, pos, f, rule_id, injection)
            for other in also:
                self.truth.add(entity, pos, f, other, injection)
            self.mark(entity, pos, injection, touched)
            chosen.append(pos)
        return np.concatenate(chosen) if chosen else np.array([], dtype=int)

    def pick(self, options: Sequence[str], n: int) -> list[str]:
        return [options[i] for i in self.rng.integers(0, len(options), n)]

    def nonblank(self, entity: str, col: str, mask: np.ndarray | None = None) -> np.ndarray:
        v = self.text[entity][col]
        ok = v.notna().to_numpy() & v.astype(TEXT).str.strip().ne("").fillna(False).to_numpy(dtype=bool)
        if mask is not None:
            ok &= mask
        return np.flatnonzero(ok)

    def where(self, entity: str, col: str, values: Sequence[Any]) -> np.ndarray:
        return self.text[entity][col].isin(values).to_numpy(dtype=bool).copy()

    def fmt_dt(self, ts: pd.Series | np.ndarray) -> list[str]:
        return [str(x) for x in np.asarray(ts, dtype="datetime64[s]")]

    def fmt_d(self, ts: pd.Series | np.ndarray) -> list[str]:
        return [str(x) for x in np.asarray(ts, dtype="datetime64[s]").astype("datetime64[D]")]

    def typed_col(self, entity: str, col: str, pos: np.ndarray) -> np.ndarray:
        return self.typed[entity][col].to_numpy()[pos]

    def future(self, n: int, lo: int = 5, hi: int = 400) -> np.ndarray:
        return (
            np.datetime64(self.as_of, "s")
            + self.rng.integers(lo, hi, n) * np.timedelta64(1, "D")
            + self.rng.integers(7 * 3600, 19 * 3600, n) * np.timedelta64(1, "s")
        )

    def out_of_order(
        self,
        rule_id: str,
        fld: str,
        anchor: str,
        days: tuple[int, int],
        injection: str,
        *,
        date: bool = False,
        filled: bool = False,
        k: int | None = None,
    ) -> np.ndarray:
        """An `order` defect: `fld` set `days` (low, high) days before `anchor`; `filled`: only
        records where `fld` has a value."""
        entity = self.rules[rule_id]["entity"]
        fmt = self.fmt_d if date else self.fmt_dt
        lo, hi = days
        return self.replace(
            rule_id,
            fld,
            lambda v, pos: fmt(self.days_before(entity, anchor, pos, lo, hi)),
            injection,
            cand=self.nonblank(entity, fld) if filled else None,
            k=k,
        )

    def days_before(self, entity: str, col: str, pos: np.ndarray, lo: int, hi: int) -> np.ndarray:
        base = np.asarray(self.typed_col(entity, col, pos), dtype="datetime64[s]")
        return base - self.rng.integers(lo, hi, len(pos)) * np.timedelta64(1, "D")

    # ------------------------------------------------------------------ keys
    def pk_blank(self, rule_id: str) -> None:
        entity = self.rules[rule_id]["entity"]
        pk = ENTITIES[entity].primary_key
        pos = self.choose(entity, self.count(rule_id), self.reserved.get(entity), [pk], exclusive=True)
        self.set(entity, pk, pos, [None] * len(pos))
        self.truth.add(entity, pos, pk, rule_id, "id_missing")
        self.mark(entity, pos, "id_missing")

    def pk_collision(self, entity: str) -> None:
        """A record re-imported under an id already in use: both records share the id."""
        pk = ENTITIES[entity].primary_key
        rule = f"{entity}.{pk}.unique"
        pairs = (self.count(rule) + 1) // 2
        victims = self.choose(entity, pairs, self.reserved.get(entity), [pk], exclusive=True)
        owners = self.choose(entity, len(victims), None, [pk], exclusive=True)
        victims = victims[: len(owners)]
        self.set(entity, pk, victims, self.get(entity, pk, owners))
        self.mark(entity, victims, "id_collision")
        self.mark(entity, owners, "id_collision")

    def fk_dangling(self, rule_id: str, fields: Sequence[str] | None = None) -> None:
        r = self.rules[rule_id]
        entity = r["entity"]
        flds = list(fields or r["fields"])
        k = self.count(rule_id)
        for f, share in zip(flds, np.array_split(np.arange(k), len(flds)), strict=True):
            target = ENTITIES[ENTITIES[entity].field(f).references]  # type: ignore[index]
            prefix = self.text[target.name][target.primary_key].iloc[0].rstrip("0123456789")
            pos = self.choose(entity, len(share), self.nonblank(entity, f), [f])
            n_target = len(self.text[target.name])
            ghost = [f"{prefix}{10 * n_target + int(i):06d}" for i in self.rng.integers(1, 10 * n_target, len(pos))]
            self.set(entity, f, pos, ghost)
            self.mark(entity, pos, "dangling_reference", [f])


# ---------------------------------------------------------------------- value makers


def _whitespace(rng: np.random.Generator) -> Callable[[list[str | None], np.ndarray], list[str | None]]:
    def make(values: list[str | None], _: np.ndarray) -> list[str | None]:
        out: list[str | None] = []
        for v, how in zip(values, rng.integers(0, 4, len(values)), strict=True):
            v = v or ""
            if how == 0:
                out.append("  " + v)
            elif how == 1:
                out.append(v + " ")
            elif how == 2 and " " in v:
                out.append(v.replace(" ", "  ", 1))
            else:
                out.append(v + "\t")
        return out

    return make


def _phone_invalid(value: str, country: str) -> bool:
    try:
        return not phonenumbers.is_valid_number(phonenumbers.parse(value, country or "PL"))
    except phonenumbers.NumberParseException:
        return True


def _email_invalid(value: str) -> bool:
    try:
        validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        return True
    return False


def _bad_email(value: str, how: int) -> str:
    local, _, domain = value.partition("@")
    variants = (
        f"{local}@@{domain}",
        f"{local}{domain}",
        f"{local[: max(1, len(local) // 2)]} {local[max(1, len(local) // 2) :]}@{domain}",
        f"{value}.",
        f"{local}@{domain.split('.')[0]}",
        f"{local.replace('.', '..', 1) if '.' in local else local + '..x'}@{domain}",
    )
    return variants[how % len(variants)]


def _bad_phone(value: str, how: int) -> str:
    """A number cut off when typed in (3 or more trailing digits lost) or with digits typed twice."""
    if how == -1:
        return value + "12"
    out, drop = list(value), 3 + how
    for i in range(len(out) - 1, -1, -1):
        if drop and out[i].isdigit():
            out[i] = ""
            drop -= 1
    return "".join(out).rstrip(" -.")


def _bad_postal(value: str, country: str, how: int) -> str:
    if country == "PL":
        return value.replace("-", "") if how % 2 == 0 else value + "0"
    if country == "US":
        return value[:4] if how % 2 == 0 else value + "-12"
    if country == "GB":
        return value[:-1] if how % 2 == 0 else value.replace(" ", " 0")
    return value[:4] if how % 2 == 0 else "ABC"


def _bad_website(value: str, how: int) -> str:
    host = value.removeprefix("https://").removeprefix("www.")
    variants = (
        "www.",
        host.split(".")[0],
        "http://",
        host.replace(".", ",", 1),
        f"https://www.{host.split('.')[0]} .pl",
    )
    return variants[how % len(variants)]


def _typo_enum(value: str, options: dict[str, Sequence[str]], fallback: Sequence[str], how: int) -> str:
    opts = options.get(value) or fallback
    return opts[how % len(opts)]


STAGE_TYPOS = {
    "Closed Won": ("Closed-Won", "closed won", "Won"),
    "Closed Lost": ("Closed-Lost", "Lost", "closed lost"),
    "Negotiation": ("Negotation", "negotiation"),
    "Proposal": ("Propsal", "Offer"),
    "Qualification": ("Qualifcation", "qualification"),
    "Prospecting": ("Prospect", "prospecting"),
}


def _neg(values: list[str | None], _: np.ndarray) -> list[str | None]:
    return [f"-{v}" if v and not v.startswith("-") else "-100.00" for v in values]


def inject(inj: Injector) -> None:
    """Every rule of the core pack, with the defects real CRMs show for it."""
    rng = inj.rng
    t = inj.typed

    def pick(options: Sequence[str]) -> Callable[[list[str | None], np.ndarray], list[str | None]]:
        return lambda values, _: inj.pick(options, len(values))

    def blank(values: list[str | None], _: np.ndarray) -> list[str | None]:
        return [None] * len(values)

    def ways(values: list[str | None]) -> np.ndarray:
        return rng.integers(0, 1000, len(values))

    def dates(values: list[str | None], _: np.ndarray) -> list[str | None]:
        return inj.pick(BAD_DATES, len(values))

    def numbers(values: list[str | None], _: np.ndarray) -> list[str | None]:
        return inj.pick(BAD_NUMBERS, len(values))

    def future_of(entity: str) -> Callable[[list[str | None], np.ndarray], list[str | None]]:
        return lambda values, pos: inj.fmt_dt(inj.future(len(pos)))

    def future_date(values: list[str | None], pos: np.ndarray) -> list[str | None]:
        return inj.fmt_d(inj.future(len(pos)))

    def currency(values: list[str | None], _: np.ndarray) -> list[str | None]:
        return [
            _typo_enum(v or "PLN", CURRENCY_TYPOS, CURRENCY_TYPOS["PLN"], int(h))
            for v, h in zip(values, ways(values), strict=True)
        ]

    def ws(values: list[str | None], pos: np.ndarray) -> list[str | None]:
        return _whitespace(rng)(values, pos)

    def country_of(entity: str, pos: np.ndarray) -> list[str]:
        return [c or "PL" for c in inj.get(entity, "country", pos)]

    # phones: cut short or too long, re-checked against phonenumbers for the row's country
    def phone_bad(entity: str) -> Callable[[list[str | None], np.ndarray], list[str | None]]:
        def make(values: list[str | None], pos: np.ndarray) -> list[str | None]:
            out = []
            for v, c, h in zip(values, country_of(entity, pos), ways(values), strict=True):
                # German numbers have variable length: keep cutting until the number is really invalid
                for j in [-1, *range(12)] if h % 3 == 0 else range(12):
                    bad = _bad_phone(v or "601234567", j)
                    if _phone_invalid(bad, c):
                        break
                out.append(bad)
            return out

        return make

    def phone_placeholder(rule: str, fmt_rule: str, fields: Sequence[str]) -> None:
        entity = inj.rules[rule]["entity"]
        k = inj.count(rule)
        for f, share in zip(fields, np.array_split(np.arange(k), len(fields)), strict=True):
            pos = inj.choose(entity, len(share), None, [f])
            values = inj.pick(PHONE_PLACEHOLDERS, len(pos))
            inj.set(entity, f, pos, values)
            inj.truth.add(entity, pos, f, rule, "phone_placeholder")
            countries = country_of(entity, pos)
            invalid = [p for p, v, c in zip(pos, values, countries, strict=True) if _phone_invalid(v, c)]
            inj.truth.add(entity, invalid, f, fmt_rule, "phone_placeholder")
            inj.mark(entity, pos, "phone_placeholder", [f])

    def email_bad(values: list[str | None], _: np.ndarray) -> list[str | None]:
        out = []
        for v, h in zip(values, ways(values), strict=True):
            for j in range(6):
                bad = _bad_email(v or "jan.kowalski@gmail.com", int(h) + j)
                if _email_invalid(bad):
                    break
            out.append(bad)
        return out

    def email_placeholder(rule: str, fmt_rule: str) -> None:
        entity = inj.rules[rule]["entity"]
        pos = inj.choose(entity, inj.count(rule), inj.nonblank(entity, "email"), ["email"])
        values = inj.pick(EMAIL_PLACEHOLDERS, len(pos))
        inj.set(entity, "email", pos, values)
        inj.truth.add(entity, pos, "email", rule, "email_placeholder")
        inj.truth.add(
            entity,
            [p for p, v in zip(pos, values, strict=True) if _email_invalid(v)],
            "email",
            fmt_rule,
            "email_placeholder",
        )
        inj.mark(entity, pos, "email_placeholder", ["email"])

    def pl_with_intl_phone(entity: str, phone_fields: Sequence[str]) -> np.ndarray:
        """Polish rows whose phones carry a +48 prefix (or none): a bad country cannot change how they read."""
        ok = inj.where(entity, "country", ["PL"]).copy()
        for f in phone_fields:
            v = t[entity][f].astype(TEXT)
            ok &= (t[entity][f].isna() | v.str.startswith("+").fillna(False)).to_numpy(dtype=bool)
        return np.flatnonzero(ok)

    def postal_bad(entity: str) -> Callable[[list[str | None], np.ndarray], list[str | None]]:
        return lambda values, pos: [
            _bad_postal(v or "", c, int(h))
            for v, c, h in zip(values, country_of(entity, pos), ways(values), strict=True)
        ]

    def postal_cand(entity: str) -> np.ndarray:
        return inj.nonblank(entity, "postal_code", inj.where(entity, "country", POSTAL_COUNTRIES))

    now = np.datetime64(inj.as_of, "s")
    closed = ["Closed Won", "Closed Lost"]

    # ------------------------------------------------------------ accounts
    inj.pk_blank("accounts.account_id.required")
    inj.pk_collision("accounts")
    inj.replace("accounts.name.required", "name", blank, "name_missing")
    inj.replace("accounts.name.placeholder", "name", pick(PLACEHOLDERS), "name_placeholder")
    inj.replace("accounts.name.whitespace", "name", ws, "whitespace", weight=1.5)
    inj.replace(
        "accounts.name.whitespace",
        ["city", "street"],
        ws,
        "whitespace",
        cand={"city": inj.nonblank("accounts", "city"), "street": inj.nonblank("accounts", "street")},
        k=6,
    )
    inj.replace(
        "accounts.website.format",
        "website",
        lambda v, _: [_bad_website(x or "", int(h)) for x, h in zip(v, ways(v), strict=True)],
        "website_invalid",
        cand=inj.nonblank("accounts", "website"),
    )
    inj.replace(
        "accounts.phone.format", "phone", phone_bad("accounts"), "phone_invalid", cand=inj.nonblank("accounts", "phone")
    )
    phone_placeholder("accounts.phone.placeholder", "accounts.phone.format", ["phone"])
    inj.replace(
        "accounts.country.required",
        "country",
        blank,
        "country_missing",
        cand=np.flatnonzero(inj.where("accounts", "country", ["PL"])),
    )
    inj.replace(
        "accounts.country.format",
        "country",
        pick(BAD_COUNTRIES),
        "country_invalid",
        cand=pl_with_intl_phone("accounts", ["phone"]),
    )
    inj.replace(
        "accounts.postal_code.format",
        "postal_code",
        postal_bad("accounts"),
        "postal_code_invalid",
        cand=postal_cand("accounts"),
    )
    inj.replace("accounts.currency.format", "currency", currency, "currency_invalid")
    inj.replace(
        "accounts.segment.allowed",
        ["segment", "status"],
        lambda v, _: [
            {
                "SMB": "smb",
                "Mid-Market": "Mid Market",
                "Enterprise": "Enterprice",
                "Customer": "customer",
                "Prospect": "Prospekt",
                "Churned": "Former customer",
            }.get(x or "", "Client")
            for x in v
        ],
        "enum_misspelled",
    )
    inj.replace("accounts.employees.range", "employees", pick(("0", "-5", "9999999")), "employees_out_of_range")
    inj.replace(
        "accounts.annual_revenue.range",
        "annual_revenue",
        _neg,
        "negative_amount",
        cand=inj.nonblank("accounts", "annual_revenue"),
    )
    inj.replace("accounts.type", ["employees", "annual_revenue"], numbers, "unparseable_number")
    inj.replace(
        "accounts.type",
        ["customer_since", "created_at", "updated_at"],
        dates,
        "unparseable_date",
        k=9,
        cand={"customer_since": inj.nonblank("accounts", "customer_since")},
    )
    fut = inj.replace(
        "accounts.created_at.not_future",
        "created_at",
        future_of("accounts"),
        "future_date",
        extra={"updated_at": lambda pos: inj.fmt_dt(inj.future(len(pos), 401, 420))},
        k=7,
    )
    del fut
    inj.replace(
        "accounts.created_at.not_future",
        "customer_since",
        future_date,
        "future_date",
        k=5,
        cand=inj.nonblank("accounts", "customer_since"),
    )
    inj.out_of_order("accounts.updated_at.order", "updated_at", "created_at", (1, 200), "updated_before_created")

    # ------------------------------------------------------------ contacts
    inj.pk_blank("contacts.contact_id.required")
    inj.pk_collision("contacts")
    inj.replace("contacts.name.required", ["first_name", "last_name"], blank, "name_missing")
    inj.replace("contacts.name.placeholder", ["first_name", "last_name"], pick(TITLE_PLACEHOLDERS), "name_placeholder")
    inj.replace(
        "contacts.name.whitespace",
        ["first_name", "last_name", "email", "city"],
        ws,
        "whitespace",
        weight=2,
        cand={"city": inj.nonblank("contacts", "city")},
    )
    inj.replace(
        "contacts.name.casing",
        ["first_name", "last_name"],
        lambda v, _: [(x or "").upper() if h % 2 else (x or "").lower() for x, h in zip(v, ways(v), strict=True)],
        "name_casing",
        weight=2,
    )
    inj.replace("contacts.email.required", "email", blank, "email_missing", weight=1.5)
    inj.replace("contacts.email.format", "email", email_bad, "email_invalid", weight=2)
    email_placeholder("contacts.email.placeholder", "contacts.email.format")
    pairs = (inj.count("contacts.email.unique") + 1) // 2
    a = inj.choose("contacts", pairs, None, ["email"])
    b = inj.choose("contacts", len(a), None, ["email"])
    a = a[: len(b)]
    inj.set(
        "contacts",
        "email",
        b,
        [
            (x or "").capitalize() if h % 2 else (x or "").upper()
            for x, h in zip(inj.get("contacts", "email", a), ways(a), strict=True)
        ],
    )
    inj.mark("contacts", np.concatenate([a, b]), "email_shared_case_variant", ["email"])
    inj.replace(
        "contacts.phone.format",
        ["phone", "mobile"],
        phone_bad("contacts"),
        "phone_invalid",
        cand={"phone": inj.nonblank("contacts", "phone"), "mobile": inj.nonblank("contacts", "mobile")},
    )
    phone_placeholder("contacts.phone.placeholder", "contacts.phone.format", ["phone", "mobile"])
    inj.replace(
        "contacts.country.format",
        "country",
        pick(BAD_COUNTRIES),
        "country_invalid",
        cand=pl_with_intl_phone("contacts", ["phone", "mobile"]),
    )
    inj.replace(
        "contacts.postal_code.format",
        "postal_code",
        postal_bad("contacts"),
        "postal_code_invalid",
        cand=postal_cand("contacts"),
    )
    inj.fk_dangling("contacts.account_id.foreign_key")
    inj.replace("contacts.type", ["birth_date", "created_at", "updated_at"], dates, "unparseable_date")
    inj.replace("contacts.type", "email_opt_out", pick(("maybe", "?", "n.d.")), "unparseable_bool", k=4)
    inj.replace(
        "contacts.created_at.not_future",
        "created_at",
        future_of("contacts"),
        "future_date",
        k=6,
        extra={"updated_at": lambda pos: inj.fmt_dt(inj.future(len(pos), 401, 420))},
    )
    inj.replace("contacts.created_at.not_future", "birth_date", future_date, "future_date", k=6)
    inj.replace(
        "contacts.birth_date.range",
        "birth_date",
        lambda v, _: [f"18{int(h) % 100:02d}-0{1 + int(h) % 9}-1{int(h) % 9}" for h in ways(v)],
        "birth_date_too_old",
    )
    inj.out_of_order("contacts.updated_at.order", "updated_at", "created_at", (1, 300), "updated_before_created")
    _stale_contacts(inj)

    # ------------------------------------------------------------ leads
    inj.pk_blank("leads.lead_id.required")
    inj.pk_collision("leads")
    inj.replace("leads.last_name.required", "last_name", blank, "name_missing")
    inj.replace(
        "leads.name.placeholder",
        ["first_name", "last_name", "company"],
        pick(PLACEHOLDERS),
        "name_placeholder",
        cand={"company": inj.nonblank("leads", "company")},
    )
    inj.replace(
        "leads.name.whitespace",
        ["first_name", "last_name", "company", "email"],
        ws,
        "whitespace",
        weight=1.5,
        cand={"company": inj.nonblank("leads", "company"), "email": inj.nonblank("leads", "email")},
    )
    inj.replace("leads.email.format", "email", email_bad, "email_invalid", cand=inj.nonblank("leads", "email"))
    email_placeholder("leads.email.placeholder", "leads.email.format")
    inj.replace("leads.phone.format", "phone", phone_bad("leads"), "phone_invalid", cand=inj.nonblank("leads", "phone"))
    inj.replace(
        "leads.country.format",
        "country",
        pick(BAD_COUNTRIES),
        "country_invalid",
        cand=pl_with_intl_phone("leads", ["phone"]),
    )
    inj.replace(
        "leads.status.allowed",
        "status",
        lambda v, _: [
            {
                "Converted": "converted",
                "Qualified": "Qualifed",
                "Working": "In Progress",
                "New": "new",
                "Unqualified": "Disqualified",
                "Nurturing": "nurturing",
            }[x or "New"]
            for x in v
        ],
        "enum_misspelled",
    )
    inj.replace(
        "leads.status.required",
        "status",
        blank,
        "status_missing",
        cand=np.flatnonzero(~inj.where("leads", "status", ["Converted"])),
    )
    inj.replace(
        "leads.converted_at.required",
        "converted_at",
        blank,
        "converted_without_date",
        cand=np.flatnonzero(inj.where("leads", "status", ["Converted"])),
    )
    inj.out_of_order(
        "leads.converted_at.order", "first_response_at", "created_at", (1, 30), "response_before_created", filled=True
    )
    inj.out_of_order(
        "leads.converted_at.order", "converted_at", "created_at", (1, 30), "converted_before_created", filled=True, k=5
    )
    inj.fk_dangling("leads.foreign_key")
    inj.replace(
        "leads.type",
        ["first_response_at", "created_at", "updated_at"],
        dates,
        "unparseable_date",
        cand={"first_response_at": inj.nonblank("leads", "first_response_at")},
    )
    new = np.flatnonzero(inj.where("leads", "status", ["New"]) & t["leads"]["first_response_at"].isna().to_numpy())
    inj.replace(
        "leads.created_at.not_future",
        "created_at",
        future_of("leads"),
        "future_date",
        cand=new,
        k=6,
        extra={"updated_at": lambda pos: inj.fmt_dt(inj.future(len(pos), 401, 420))},
    )
    inj.replace(
        "leads.created_at.not_future",
        "first_response_at",
        future_of("leads"),
        "future_date",
        k=6,
        cand=inj.nonblank("leads", "first_response_at", ~inj.where("leads", "status", ["Converted"])),
    )

    # ------------------------------------------------------------ opportunities
    stage = t["opportunities"]["stage"].to_numpy()
    is_open = ~np.isin(stage, closed)
    won = stage == "Closed Won"
    inj.pk_blank("opportunities.opportunity_id.required")
    inj.pk_collision("opportunities")
    inj.replace("opportunities.account_id.required", "account_id", blank, "account_missing")
    inj.fk_dangling("opportunities.account_id.foreign_key")
    inj.fk_dangling("opportunities.contact_id.foreign_key")
    inj.replace("opportunities.stage.required", "stage", blank, "stage_missing", cand=np.flatnonzero(is_open))
    inj.replace(
        "opportunities.stage.allowed",
        "stage",
        lambda v, _: [_typo_enum(x or "", STAGE_TYPOS, ("Won",), int(h)) for x, h in zip(v, ways(v), strict=True)],
        "enum_misspelled",
    )
    inj.replace(
        "opportunities.stage.allowed",
        "type",
        lambda v, _: [
            {"New Business": "New business", "Upsell": "Upsel", "Renewal": "Renewl"}.get(x or "", "New") for x in v
        ],
        "enum_misspelled",
        k=4,
    )
    inj.replace("opportunities.name.placeholder", "name", pick(PLACEHOLDERS), "name_placeholder")
    inj.replace(
        "opportunities.amount.range",
        "amount",
        _neg,
        "negative_amount",
        cand=inj.nonblank("opportunities", "amount", ~won),
    )
    _outliers(inj, "opportunities", "amount", "opportunities.amount.outlier")
    inj.replace("opportunities.currency.format", "currency", currency, "currency_invalid")
    inj.replace(
        "opportunities.probability.range",
        "probability",
        pick(("150", "-10", "110", "1000")),
        "probability_out_of_range",
    )
    inj.replace(
        "opportunities.won.amount", "amount", pick(("", "0.00", "0")), "won_without_amount", cand=np.flatnonzero(won)
    )
    inj.replace(
        "opportunities.closed.close_date", "close_date", blank, "closed_without_date", cand=np.flatnonzero(~is_open)
    )
    inj.replace(
        "opportunities.lost.loss_reason",
        "loss_reason",
        blank,
        "lost_without_reason",
        cand=inj.nonblank("opportunities", "loss_reason"),
    )
    inj.out_of_order(
        "opportunities.close_date.order", "close_date", "created_at", (2, 60), "closed_before_created", date=True
    )
    inj.replace(
        "opportunities.close_date.not_future",
        "close_date",
        future_date,
        "closed_in_future",
        cand=np.flatnonzero(~is_open),
    )
    inj.replace(
        "opportunities.created_at.not_future",
        "created_at",
        future_of("opportunities"),
        "future_date",
        cand=np.flatnonzero(is_open),
        extra={"close_date": lambda pos: inj.fmt_d(inj.future(len(pos), 450, 500))},
    )
    inj.replace(
        "opportunities.type",
        "amount",
        numbers,
        "unparseable_number",
        cand=inj.nonblank("opportunities", "amount", ~won),
        k=4,
    )
    inj.replace("opportunities.type", "probability", pick(("n.d.", "high", "fifty")), "unparseable_number", k=2)
    inj.replace("opportunities.type", "close_date", dates, "unparseable_date", cand=np.flatnonzero(is_open), k=2)
    inj.replace("opportunities.type", "created_at", dates, "unparseable_date", cand=np.flatnonzero(~is_open), k=2)
    inj.replace("opportunities.type", "updated_at", dates, "unparseable_date", cand=np.flatnonzero(~is_open), k=2)
    _stale_deals(inj)

    # ------------------------------------------------------------ opportunity history
    inj.fk_dangling("opportunity_history.opportunity_id.foreign_key")
    inj.replace(
        "opportunity_history.stage.allowed",
        "stage",
        lambda v, _: [_typo_enum(x or "", STAGE_TYPOS, ("Won",), int(h)) for x, h in zip(v, ways(v), strict=True)],
        "enum_misspelled",
    )
    inj.replace(
        "opportunity_history.entered_at.not_future", "entered_at", future_of("opportunity_history"), "future_date"
    )

    # ------------------------------------------------------------ activities
    inj.pk_collision("activities")
    inj.replace(
        "activities.type.allowed",
        "type",
        lambda v, _: [
            {"Call": "call", "Email": "E-mail", "Meeting": "Spotkanie", "Task": "To-do", "Note": "note"}.get(
                x or "", "Other"
            )
            for x in v
        ],
        "enum_misspelled",
    )
    inj.replace("activities.occurred_at.required", "occurred_at", blank, "date_missing")
    inj.replace("activities.occurred_at.not_future", "occurred_at", future_of("activities"), "future_date")
    inj.fk_dangling("activities.foreign_key")
    inj.replace(
        "activities.duration_minutes.range", "duration_minutes", pick(("-15", "2000", "99999")), "duration_out_of_range"
    )
    inj.replace(
        "activities.type_check",
        ["duration_minutes", "created_at"],
        lambda v, pos: inj.pick(("15 min", "ok. 20", "n.d.", "yesterday", "31/02/2026"), len(v)),
        "unparseable_value",
    )

    # ------------------------------------------------------------ tickets
    tstatus = t["tickets"]["status"].to_numpy()
    inj.pk_collision("tickets")
    inj.replace(
        "tickets.status.allowed",
        ["status", "priority", "channel"],
        lambda v, _: [
            {
                "Resolved": "Solved",
                "Closed": "closed",
                "Open": "open",
                "Pending": "On hold",
                "New": "Nowe",
                "Low": "low",
                "Medium": "Normal",
                "High": "Hi",
                "Urgent": "ASAP",
                "Email": "E-mail",
                "Phone": "Telefon",
                "Chat": "chat",
                "Web": "Portal",
            }.get(x or "", "Other")
            for x in v
        ],
        "enum_misspelled",
    )
    inj.out_of_order(
        "tickets.response.order", "first_response_at", "opened_at", (1, 5), "response_before_opened", filled=True
    )
    inj.out_of_order(
        "tickets.response.order", "resolved_at", "opened_at", (1, 5), "resolved_before_opened", filled=True, k=5
    )
    inj.replace(
        "tickets.resolved_at.required",
        "resolved_at",
        blank,
        "resolved_without_date",
        cand=np.flatnonzero(np.isin(tstatus, ["Resolved", "Closed"])),
    )
    inj.replace("tickets.contacts_needed.range", "contacts_needed", pick(("0", "-1", "250")), "count_out_of_range")
    inj.fk_dangling("tickets.foreign_key")
    inj.replace(
        "tickets.opened_at.not_future",
        ["first_response_at", "resolved_at"],
        future_of("tickets"),
        "future_date",
        cand={
            "first_response_at": inj.nonblank("tickets", "first_response_at"),
            "resolved_at": inj.nonblank("tickets", "resolved_at"),
        },
    )
    inj.replace(
        "tickets.type",
        ["opened_at", "first_response_at", "contacts_needed"],
        lambda v, pos: inj.pick(("n.d.", "31/02/2026", "two", "yesterday"), len(v)),
        "unparseable_value",
        cand={"first_response_at": inj.nonblank("tickets", "first_response_at")},
    )

    # ------------------------------------------------------------ surveys
    inj.pk_collision("surveys")
    inj.replace("surveys.nps.range", "nps", pick(("11", "7.5", "-1", "15", "10.5")), "score_out_of_range")
    inj.replace("surveys.csat.range", "csat", pick(("0", "6", "3.5")), "score_out_of_range")
    inj.replace("surveys.ces.range", "ces", pick(("0", "8", "4.5")), "score_out_of_range")
    inj.fk_dangling("surveys.foreign_key", ["contact_id", "account_id"])
    inj.replace("surveys.responded_at.not_future", "responded_at", future_of("surveys"), "future_date")
    inj.replace(
        "surveys.type",
        ["nps", "csat", "ces", "responded_at"],
        lambda v, pos: inj.pick(("n.d.", "good", "dziewięć", "31/02/2026"), len(v)),
        "unparseable_value",
    )

    # ------------------------------------------------------------ subscriptions
    sstatus = t["subscriptions"]["status"].to_numpy()
    inj.pk_collision("subscriptions")
    inj.fk_dangling("subscriptions.account_id.foreign_key")
    inj.replace(
        "subscriptions.status.allowed",
        "status",
        lambda v, _: [
            {"Active": "active", "Cancelled": "Canceled", "Expired": "expired"}.get(x or "", "Aktywna") for x in v
        ],
        "enum_misspelled",
    )
    inj.replace("subscriptions.mrr.range", "mrr", _neg, "negative_amount")
    _outliers(inj, "subscriptions", "mrr", "subscriptions.mrr.outlier")
    inj.replace("subscriptions.currency.format", "currency", currency, "currency_invalid")
    inj.out_of_order("subscriptions.end_date.order", "end_date", "start_date", (1, 60), "end_before_start", date=True)
    inj.out_of_order(
        "subscriptions.end_date.order",
        "cancelled_at",
        "start_date",
        (1, 60),
        "cancelled_before_start",
        date=True,
        filled=True,
        k=4,
    )
    inj.replace(
        "subscriptions.cancelled_at.required",
        "cancelled_at",
        blank,
        "cancelled_without_date",
        cand=np.flatnonzero(sstatus == "Cancelled"),
    )
    inj.replace(
        "subscriptions.type",
        ["mrr", "start_date", "end_date", "renewed"],
        lambda v, pos: inj.pick(("n.d.", "12,5OO", "31/02/2026", "maybe"), len(v)),
        "unparseable_value",
        cand={"end_date": inj.nonblank("subscriptions", "end_date")},
    )

    # ------------------------------------------------------------ campaigns
    inj.pk_collision("campaigns")
    inj.replace("campaigns.name.required", "name", blank, "name_missing")
    inj.replace(
        "campaigns.channel.allowed",
        "channel",
        pick(("email", "Newsletter", "Facebook", "Google Ads")),
        "enum_misspelled",
    )
    inj.out_of_order("campaigns.end_date.order", "end_date", "start_date", (1, 30), "end_before_start", date=True)
    cm = t["campaigns"]
    for col, base in (
        ("delivered", "sent"),
        ("opened", "delivered"),
        ("clicked", "opened"),
        ("unsubscribed", "delivered"),
    ):
        inj.replace(
            "campaigns.funnel.order",
            col,
            lambda v, pos, base=base: [
                str(int(x) + int(h) % 500 + 1) for x, h in zip(cm[base].to_numpy()[pos], ways(v), strict=True)
            ],
            "funnel_count_exceeds",
            k=3,
        )
    inj.replace(
        "campaigns.counts.range", ["clicked", "unsubscribed", "cost", "attributed_revenue"], _neg, "negative_count"
    )
    inj.replace("campaigns.currency.format", "currency", currency, "currency_invalid")
    inj.replace(
        "campaigns.type",
        ["sent", "cost", "start_date", "attributed_revenue"],
        lambda v, pos: inj.pick(("1,2k", "12,5OO", "n.d.", "ok. 5000"), len(v)),
        "unparseable_value",
    )

    # ------------------------------------------------------------ costs
    inj.pk_collision("costs")
    inj.replace(
        "costs.category.allowed",
        "category",
        pick(("Marketing", "sprzedaż", "ads", "Sales", "other")),
        "enum_misspelled",
    )
    inj.replace("costs.amount.required", ["amount", "period"], blank, "value_missing")
    inj.replace("costs.amount.range", "amount", _neg, "negative_amount")
    inj.replace("costs.currency.format", "currency", currency, "currency_invalid")
    inj.fk_dangling("costs.campaign_id.foreign_key")
    inj.replace(
        "costs.type",
        ["period", "amount"],
        lambda v, pos: inj.pick(("2026-13", "Q1 2026", "12,5OO", "n.d."), len(v)),
        "unparseable_value",
    )
    del now


def _stale_contacts(inj: Injector) -> None:
    """Contacts nobody has touched for over two years: old update, no recent activity."""
    t = inj.typed["contacts"]
    now = np.datetime64(inj.as_of, "s")
    created = t["created_at"].to_numpy()
    cand = np.flatnonzero(created < now - 800 * np.timedelta64(1, "D"))
    pos = inj.choose("contacts", inj.count("contacts.staleness"), cand, ["updated_at"], exclusive=True)
    upd = created[pos] + inj.rng.integers(0, 30, len(pos)) * np.timedelta64(1, "D")
    inj.set("contacts", "updated_at", pos, inj.fmt_dt(upd))
    inj.mark("contacts", pos, "stale_record")
    _drop_activities(inj, "contact_id", t["contact_id"].to_numpy()[pos], now - 760 * np.timedelta64(1, "D"))


def _stale_deals(inj: Injector) -> None:
    """Open deals left alone for months: no update or activity in the last 90+ days."""
    t = inj.typed["opportunities"]
    now = np.datetime64(inj.as_of, "s")
    is_open = ~t["stage"].isin(["Closed Won", "Closed Lost"]).to_numpy()
    pos = inj.choose(
        "opportunities", inj.count("opportunities.staleness"), np.flatnonzero(is_open), ["updated_at"], exclusive=True
    )
    upd = now - inj.rng.integers(100, 300, len(pos)) * np.timedelta64(1, "D")
    created = np.minimum(
        t["created_at"].to_numpy()[pos], upd - inj.rng.integers(5, 60, len(pos)) * np.timedelta64(1, "D")
    )
    inj.set("opportunities", "updated_at", pos, inj.fmt_dt(upd))
    inj.set("opportunities", "created_at", pos, inj.fmt_dt(created))
    inj.mark("opportunities", pos, "stale_record")
    _drop_activities(inj, "opportunity_id", t["opportunity_id"].to_numpy()[pos], now - 100 * np.timedelta64(1, "D"))


def _drop_activities(inj: Injector, key: str, ids: np.ndarray, since: np.datetime64) -> None:
    act = inj.typed["activities"]
    mask = act[key].isin(ids).to_numpy() & (act["occurred_at"].to_numpy() > since)
    rows = np.flatnonzero(mask)
    inj.drop["activities"].update(int(r) for r in rows)
    for r in rows:
        inj.used["activities"][int(r)].add("*")


def _outliers(inj: Injector, entity: str, col: str, rule_id: str) -> None:
    """Extra zeros typed or a pasted account number: the amount multiplied by 10^5-10^6, far beyond
    any clean value (clean values stay under robust |z| 5, injected ones land above 8)."""
    pos = inj.choose(entity, inj.count(rule_id), inj.nonblank(entity, col), [col, "currency"])
    factor = 10.0 ** inj.rng.integers(5, 7, len(pos))
    values = inj.typed[entity][col].to_numpy()[pos] * factor
    inj.set(entity, col, pos, [f"{v:.2f}" for v in values])
    inj.mark(entity, pos, "amount_extra_zeros", [col, "currency"])
