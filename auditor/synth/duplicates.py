"""Duplicate injection: copies of contacts, accounts and leads under new ids, with the
corruptions real CRMs accumulate (nicknames, typos, swapped names, lost diacritics, phones
written differently, missing fields, job moves, legal-form spellings...).

A corruption that breaks a core rule is recorded as a defect of the copy (ALL CAPS name ->
casing, double space -> whitespace, blank email -> required); shared emails are picked up
by the computed `unique` truth for every record carrying them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import phonenumbers

from auditor.model import ENTITIES
from auditor.synth import data
from auditor.synth.text import TEXT, fold

DUP_ENTITIES = ("contacts", "accounts", "leads")
CORRUPTIONS: dict[str, tuple[str, ...]] = {
    "contacts": (
        "nickname",
        "typo",
        "swapped_names",
        "diacritics",
        "phone_format",
        "missing_fields",
        "email_domain_change",
        "shared_company_phone",
        "case_change",
        "whitespace",
    ),
    "accounts": ("legal_form", "typo", "diacritics", "phone_format", "missing_fields", "case_change", "whitespace"),
    "leads": (
        "nickname",
        "typo",
        "swapped_names",
        "diacritics",
        "phone_format",
        "missing_fields",
        "email_domain_change",
        "case_change",
        "whitespace",
    ),
}
DEFERRED = ("case_change", "whitespace")
PREFIX = {"contacts": "C", "accounts": "A", "leads": "L"}
WS_RULE = {
    "contacts": "contacts.name.whitespace",
    "accounts": "accounts.name.whitespace",
    "leads": "leads.name.whitespace",
}
PHONE_FORMATS = (
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
)


@dataclass
class DuplicateResult:
    copies: dict[str, pd.DataFrame] = field(default_factory=dict)
    clusters: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(entity, record_id, cluster_id, corruption)"""
    defects: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    """(entity, record_id, field, rule_id, injection)"""


def _typo(value: str, rng: np.random.Generator) -> str | None:
    """One edit inside a word (never the first letter, never a triple letter): Kowalski -> Kowalsky."""
    if len(value) < 4 or not value.isalpha():
        return None
    for _ in range(10):
        i = int(rng.integers(1, len(value) - 1))
        op = int(rng.integers(0, 4))
        if op == 0:
            out = value[:i] + value[i + 1 :]
        elif op == 1:
            out = value[:i] + value[i + 1] + value[i] + value[i + 2 :]
        elif op == 2:
            out = value[:i] + value[i] + value[i:]
        else:
            out = value[:i] + "aeiouyrnst"[int(rng.integers(0, 10))] + value[i + 1 :]
        if (
            out != value
            and out[1:].lower() == out[1:]
            and not any(out[j] == out[j + 1] == out[j + 2] for j in range(len(out) - 2))
        ):
            return out
    return None


def _reformat(value: str, country: str, rng: np.random.Generator) -> str | None:
    try:
        num = phonenumbers.parse(value, country or "PL")
    except phonenumbers.NumberParseException:
        return None
    options = [phonenumbers.format_number(num, f) for f in PHONE_FORMATS]
    options = [
        o for o in options if o != value and phonenumbers.is_valid_number(phonenumbers.parse(o, country or "PL"))
    ]
    return options[int(rng.integers(0, len(options)))] if options else None


def _legal_variant(name: str, rng: np.random.Generator) -> str | None:
    variants: dict[str, list[str]] = data.companies()["legal_variants"]
    for form in sorted(variants, key=len, reverse=True):
        if name.endswith(" " + form):
            alt = variants[form][int(rng.integers(0, len(variants[form])))]
            base = name[: -len(form) - 1]
            return f"{base}{alt}" if alt.startswith(",") else f"{base} {alt}"
    return None


def make_duplicates(
    frames: dict[str, pd.DataFrame],
    used: dict[str, set[int]],
    rng: np.random.Generator,
    rate: float,
    as_of: pd.Timestamp,
) -> DuplicateResult:
    """Copies for duplicate_rate of the untouched contacts, accounts and leads (1 or 2 each)."""
    result = DuplicateResult()
    if rate <= 0:
        return result
    nick = data.nicknames()
    emails = set(frames["contacts"]["email"].dropna().str.strip().str.lower())
    # job moves and shared switchboards only borrow from accounts no defect was injected into
    accounts = frames["accounts"].drop(index=sorted(used.get("accounts", set())))
    acc_phone = dict(zip(accounts["account_id"], accounts["phone"], strict=True))
    acc_by_country = {c: g for c, g in accounts[accounts["website"].notna()].groupby("country")}
    now = np.datetime64(as_of, "s")
    cluster = 0
    for entity in DUP_ENTITIES:
        frame = frames[entity]
        pk = ENTITIES[entity].primary_key
        n = len(frame)
        pool = np.setdiff1d(np.arange(n), np.fromiter(used.get(entity, set()), dtype=int))
        pool = pool[frame[pk].notna().to_numpy()[pool]]
        k = min(len(pool), round(rate * n))
        sources = np.sort(rng.choice(pool, size=k, replace=False))
        rows: list[dict[str, object]] = []
        for src in sources:
            original = {k: (None if pd.isna(v) else v) for k, v in frame.iloc[int(src)].to_dict().items()}
            cluster += 1
            cid = f"DUP{cluster:06d}"
            result.clusters.append((entity, str(original[pk]), cid, ""))
            for _ in range(1 if rng.random() < 0.7 else 2):
                rec = dict(original)
                rec[pk] = f"{PREFIX[entity]}{n + len(rows) + 1:06d}"
                applied: list[str] = []
                defects: list[tuple[str, str, str]] = []
                options = list(CORRUPTIONS[entity])
                want = 1 if rng.random() < 0.6 else 2
                rng.shuffle(options)
                ctx = {"nick": nick, "emails": emails, "acc_phone": acc_phone, "acc_by_country": acc_by_country}
                # corruptions that break a rule are chosen like the others but applied last, so that
                # no later corruption (a name swap) moves the broken value to another field
                deferred = [o for o in options[:want] if o in DEFERRED]
                for name in options:
                    if len(applied) + len(deferred) == want:
                        break
                    if name not in DEFERRED and _CORRUPT[name](rec, entity, rng, defects, ctx):
                        applied.append(name)
                applied += [name for name in deferred if _CORRUPT[name](rec, entity, rng, defects, ctx)]
                _fresh_dates(rec, entity, rng, now)
                if entity == "contacts" and rec["email"]:
                    emails.add(str(rec["email"]).strip().lower())
                rows.append(rec)
                corruption = ";".join(applied)
                result.clusters.append((entity, str(rec[pk]), cid, corruption))
                result.defects.extend((entity, str(rec[pk]), f, r, f"duplicate:{inj}") for f, r, inj in defects)
        result.copies[entity] = pd.DataFrame(rows, columns=frame.columns).astype(TEXT) if rows else frame.iloc[:0]
    return result


def _fresh_dates(rec: dict[str, object], entity: str, rng: np.random.Generator, now: np.datetime64) -> None:
    """A copy is a later, separate record: created recently, touched since, never converted or won."""
    created = (
        now
        - int(rng.integers(20, 500)) * np.timedelta64(1, "D")
        + int(rng.integers(7 * 3600, 19 * 3600)) * np.timedelta64(1, "s")
    )
    updated = created + int(rng.integers(0, max(1, int((now - created) / np.timedelta64(1, "s"))))) * np.timedelta64(
        1, "s"
    )
    rec["created_at"] = str(created)
    rec["updated_at"] = str(updated)
    rec["source"] = "import" if rng.random() < 0.4 else rec["source"]
    if entity == "leads":
        rec.update(
            status="New",
            first_response_at=None,
            converted_at=None,
            converted_contact_id=None,
            converted_account_id=None,
            converted_opportunity_id=None,
        )
    if entity == "accounts":
        rec.update(status="Prospect", customer_since=None)


Corruptor = Callable[[dict[str, object], str, np.random.Generator, list[tuple[str, str, str]], dict[str, object]], bool]


def _nickname(rec: dict[str, object], entity: str, rng: np.random.Generator, defects: list, ctx: dict) -> bool:
    options = ctx["nick"].get(rec.get("first_name"))
    if not options:
        return False
    rec["first_name"] = options[int(rng.integers(0, len(options)))]
    return True


def _typo_c(rec: dict[str, object], entity: str, rng: np.random.Generator, defects: list, ctx: dict) -> bool:
    col = "name" if entity == "accounts" else ("last_name" if rng.random() < 0.6 else "first_name")
    value = rec.get(col)
    if not isinstance(value, str):
        return False
    if entity == "accounts":
        head, _, tail = value.partition(" ")
        out = _typo(head, rng)
        if out is None:
            return False
        rec[col] = f"{out} {tail}" if tail else out
        return True
    out = _typo(value, rng)
    if out is None:
        return False
    rec[col] = out
    return True


def _swapped(rec: dict[str, object], entity: str, rng: np.random.Generator, defects: list, ctx: dict) -> bool:
    if not rec.get("first_name") or not rec.get("last_name"):
        return False
    rec["first_name"], rec["last_name"] = rec["last_name"], rec["first_name"]
    return True


def _diacritics(rec: dict[str, object], entity: str, rng: np.random.Generator, defects: list, ctx: dict) -> bool:
    cols = ("name",) if entity == "accounts" else ("first_name", "last_name")
    changed = False
    for col in cols:
        v = rec.get(col)
        if isinstance(v, str) and fold(v) != v:
            rec[col] = fold(v)
            changed = True
    return changed


def _phone_format(rec: dict[str, object], entity: str, rng: np.random.Generator, defects: list, ctx: dict) -> bool:
    for col in ("mobile", "phone"):
        v = rec.get(col)
        if isinstance(v, str) and v:
            out = _reformat(v, str(rec.get("country") or "PL"), rng)
            if out:
                rec[col] = out
                return True
    return False


def _missing(rec: dict[str, object], entity: str, rng: np.random.Generator, defects: list, ctx: dict) -> bool:
    cols = {"contacts": ("email", "phone", "mobile"), "leads": ("email", "phone"), "accounts": ("website", "phone")}[
        entity
    ]
    present = [c for c in cols if rec.get(c)]
    if not present:
        return False
    col = present[int(rng.integers(0, len(present)))]
    rec[col] = None
    if entity == "contacts" and col == "email":
        defects.append(("email", "contacts.email.required", "missing_fields"))
    return True


def _job_move(rec: dict[str, object], entity: str, rng: np.random.Generator, defects: list, ctx: dict) -> bool:
    email = rec.get("email")
    others = ctx["acc_by_country"].get(rec.get("country"))
    if not isinstance(email, str) or "@" not in email or others is None or not len(others):
        return False
    new = others.iloc[int(rng.integers(0, len(others)))]
    domain = str(new["website"]).removeprefix("https://www.")
    local = email.split("@")[0]
    candidate = f"{local}@{domain}"
    i = 2
    while candidate.lower() in ctx["emails"]:
        candidate = f"{local}{i}@{domain}"
        i += 1
    rec["email"] = candidate
    if entity == "contacts":
        rec["account_id"] = new["account_id"]
        rec["phone"] = None
    else:
        rec["company"] = new["name"]
    return True


def _shared_phone(rec: dict[str, object], entity: str, rng: np.random.Generator, defects: list, ctx: dict) -> bool:
    phone = ctx["acc_phone"].get(rec.get("account_id"))
    if not isinstance(phone, str) or not phone or phone == rec.get("phone"):
        return False
    rec["phone"] = phone
    return True


def _case(rec: dict[str, object], entity: str, rng: np.random.Generator, defects: list, ctx: dict) -> bool:
    if entity == "accounts":
        v = rec.get("name")
        if not isinstance(v, str) or v.upper() == v:
            return False
        rec["name"] = v.upper()
        return True
    changed = False
    for col in ("first_name", "last_name"):
        v = rec.get(col)
        if isinstance(v, str) and len(v) > 1 and (col == "last_name" or rng.random() < 0.5):
            rec[col] = v.upper()
            changed = True
            if entity == "contacts":
                defects.append((col, "contacts.name.casing", "case_change"))
    return changed


def _ws(rec: dict[str, object], entity: str, rng: np.random.Generator, defects: list, ctx: dict) -> bool:
    col = "name" if entity == "accounts" else "last_name"
    v = rec.get(col)
    if not isinstance(v, str) or not v:
        return False
    rec[col] = v.replace(" ", "  ", 1) if " " in v and rng.random() < 0.5 else v + " "
    defects.append((col, WS_RULE[entity], "whitespace"))
    return True


_CORRUPT: dict[str, Corruptor] = {
    "nickname": _nickname,
    "typo": _typo_c,
    "swapped_names": _swapped,
    "diacritics": _diacritics,
    "phone_format": _phone_format,
    "missing_fields": _missing,
    "email_domain_change": _job_move,
    "shared_company_phone": _shared_phone,
    "case_change": _case,
    "whitespace": _ws,
    "legal_form": lambda rec, entity, rng, defects, ctx: _set_legal(rec, rng),
}


def _set_legal(rec: dict[str, object], rng: np.random.Generator) -> bool:
    name = rec.get("name")
    out = _legal_variant(name, rng) if isinstance(name, str) else None
    if not out:
        return False
    rec["name"] = out
    return True
