"""Record features for matching: normalized columns, the comparisons they feed, and blocking keys.

`prepare(frame, entity, settings)` reads the roles of the entity's fields (auditor.model) and
the extra comparison fields of the settings, and returns the normalized feature columns plus
the list of comparisons to run. A field a table does not have is simply not compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from auditor.dedupe import normalize as nz
from auditor.model import ENTITIES, Role


@dataclass(frozen=True)
class Comparison:
    name: str
    """Output name (the field it compares, or `phone` for all phone fields together)."""
    kind: str
    """person_first, person_last, name, text, company, email, phone, exact, date, number, postal, domain"""
    columns: tuple[str, ...]
    """Feature columns it reads."""

    @property
    def labels(self) -> tuple[str, ...]:
        return LEVEL_LABELS[self.kind]


LEVEL_LABELS: dict[str, tuple[str, ...]] = {
    "person_first": ("different", "similar or initial", "very similar", "nickname", "exact"),
    "person_last": ("different", "similar", "very similar", "exact"),
    "name": ("different", "similar", "very similar", "exact"),
    "text": ("different", "similar", "very similar", "exact"),
    "company": ("different", "similar", "very similar", "exact"),
    "email": ("different", "same shared role address", "similar local part", "same local part, other domain", "exact"),
    "phone": ("different", "same shared number", "same number"),
    "exact": ("different", "exact"),
    "date": ("different", "within two edits or day/month swapped", "one edit", "exact"),
    "number": ("different", "within 10%", "exact"),
    "postal": ("different", "same area", "exact"),
    "domain": ("different", "exact"),
}
KIND_OF_COMPARE_TYPE = {"name": "name", "text": "text", "exact": "exact", "date": "date", "number": "number",
                        "email": "email", "phone": "phone", "company": "company", "postal": "postal",
                        "domain": "domain"}
_ROLE_KIND = {Role.COMPANY_NAME: "company", Role.WEBSITE: "domain", Role.ADDRESS: "text", Role.CITY: "name",
              Role.POSTAL_CODE: "postal", Role.COUNTRY: "exact"}
_NORMALIZER = {"name": nz.person_names, "text": nz.texts, "company": nz.company_names, "exact": nz.exacts,
               "postal": nz.postal_codes, "domain": nz.website_domains}

DEFAULT_BLOCKING = {
    # No surname + city key: at 1M contacts it gave 4.1M pairs and found 0.17% of the true pairs that
    # no other key finds (none on acme, Febrl or 100k). Soundex + first initial stays although it finds
    # hardly any pair alone: its namesake pairs are the negatives EM needs (without them acme leads'
    # job-move recall falls from 0.99 to 0.88).
    "person": [["email"], ["phone"], ["name_sorted"], ["last", "postal_code"], ["first", "postal_code"],
               ["last", "birth_date"], ["first", "birth_date"], ["email_local"], ["last_sx", "first:1"],
               ["first", "last:3"], ["postal_code", "birth_date"],
               ["street", "postal_code"], ["birth_date", "city"], ["street", "birth_date"]],
    "company": [["company"], ["website"], ["phone"], ["company:6", "postal_code"], ["company_sx", "city"],
                ["company:4", "country"]],
}


class _Features(dict):
    """Feature columns, each stored as Arrow-backed strings as soon as it is made: a million
    records then cost a few bytes per value instead of one Python string object each."""

    def __setitem__(self, name: str, values: pd.Series) -> None:
        super().__setitem__(name, values if values.dtype == bool else nz.strings(values))


@dataclass
class Prepared:
    entity: str
    features: pd.DataFrame
    comparisons: list[Comparison]
    profile: str
    """person or company: which default blocking keys apply."""
    ids: pd.Series
    cannot_link_fields: list[str]


def _digits_date(values: pd.Series) -> pd.Series:
    """Dates as 'YYYYMMDD'; text that is not a date keeps its digits (so that a typo still compares)."""
    parsed = nz.dates(values)
    out = parsed.str.replace("-", "", regex=False).astype(object) if len(parsed) else parsed
    if not pd.api.types.is_datetime64_any_dtype(values):
        raw = nz.strings(values).str.replace(r"[^0-9]", "", regex=True)
        raw = raw.mask(raw.str.len() == 0).astype(object)
        out = pd.Series(out, index=values.index, dtype=object).where(pd.Series(out).notna().to_numpy(), raw)
    return out.where(pd.notna(out), None)


def _numbers(values: pd.Series) -> pd.Series:
    nums = pd.to_numeric(values, errors="coerce")
    out = nums.map(lambda v: None if pd.isna(v) else repr(float(v))).astype(object)
    return out


def prepare(
    frame: pd.DataFrame,
    entity: str,
    fields: Mapping[str, str] | None = None,
    *,
    ids: pd.Series | None = None,
    default_region: str = "PL",
    cannot_link_fields: list[str] | None = None,
) -> Prepared:
    """Normalized features and comparisons for one table (typed frame with canonical column names)."""
    model = ENTITIES.get(entity)
    fields = dict(fields or {})
    roles: dict[str, Role] = {f.name: f.role for f in model.fields} if model else {}
    feats = _Features()
    comps: list[Comparison] = []
    index = frame.index
    present = [c for c in frame.columns if c in roles or c in fields]

    def kind_for(column: str) -> str | None:
        if column in fields:
            kind = fields[column]
            return None if kind == "off" else KIND_OF_COMPARE_TYPE[kind]
        role = roles.get(column)
        if role is Role.DATE and "birth" in column:
            return "date"
        if role is Role.FOREIGN_KEY and column == "account_id":
            return "exact"
        return _ROLE_KIND.get(role) if role else None

    regions = frame["country"] if "country" in frame.columns else None
    if regions is not None:
        regions = nz.strings(regions).str.strip().str.upper().str.slice(0, 2).fillna(default_region)
    person_fields = [c for c in present if roles.get(c) is Role.PERSON_NAME and c not in fields]
    profile = "person" if person_fields else "company"
    if "first_name" in person_fields and "last_name" in person_fields:
        feats["first"] = nz.person_names(frame["first_name"])
        feats["first_canon"] = nz.canonical_first_names(frame["first_name"])
        feats["last"] = nz.person_names(frame["last_name"])
        comps.append(Comparison("first_name", "person_first", ("first", "first_canon", "last")))
        comps.append(Comparison("last_name", "person_last", ("last", "first")))
        person_fields = [c for c in person_fields if c not in ("first_name", "last_name")]
    elif person_fields:
        feats["last"] = nz.person_names(frame[person_fields[0]])
        comps.append(Comparison(person_fields[0], "name", ("last",)))
        person_fields = person_fields[1:]
    for column in person_fields:
        feats[column] = nz.person_names(frame[column])
        comps.append(Comparison(column, "name", (column,)))
    if "last" in feats:
        feats["last_sx"] = nz.by_unique(feats["last"], nz.soundex)
    if "first" in feats:
        first, last = feats["first_canon"], feats["last"]
        swap = (first > last).fillna(False)
        # NA when either part is missing
        feats["name_sorted"] = first.where(~swap, last) + " " + last.where(~swap, first)

    email_cols = [c for c in present if (roles.get(c) is Role.EMAIL and c not in fields) or fields.get(c) == "email"]
    for k, column in enumerate(email_cols):
        name = "email" if k == 0 else f"email_{k}"
        e = nz.emails(frame[column])
        local = nz.local_parts(e)
        role = nz.role_local_parts(local)
        feats[name] = e
        feats[f"{name}_role"] = role.fillna(False).astype(bool)
        if k == 0:
            feats["email_local"] = local.mask(role.fillna(False) | (local.str.len() < 3))
            feats["email_domain"] = nz.domain_parts(e)
        comps.append(Comparison(name, "email", (name, f"{name}_role")))
    phone_cols = [c for c in present if (roles.get(c) is Role.PHONE and c not in fields) or fields.get(c) == "phone"]
    if phone_cols:
        for k, column in enumerate(phone_cols):
            feats[f"phone_{k}"] = nz.phones(frame[column], regions if regions is not None else default_region)
        comps.append(Comparison("phone", "phone", tuple(f"phone_{k}" for k in range(len(phone_cols)))))
    handled = set(email_cols) | set(phone_cols) | {"first_name", "last_name"} | set(person_fields)
    if profile == "person" and comps and comps[0].kind == "name":
        handled.add(comps[0].name)
    for column in present:
        if column in handled or column in feats:
            continue
        kind = kind_for(column)
        if kind is None or kind in ("email", "phone"):
            continue
        if roles.get(column) is Role.PERSON_NAME:
            continue
        if kind == "date":
            feats[column] = _digits_date(frame[column])
        elif kind == "number":
            feats[column] = _numbers(frame[column])
        elif kind == "name":
            feats[column] = nz.person_names(frame[column]) if roles.get(column) is not Role.CITY else nz.cities(
                frame[column])
        else:
            feats[column] = _NORMALIZER[kind](frame[column])
        comps.append(Comparison(column, kind, (column,)))
    # aliases used by the default blocking keys
    for role, alias in ((Role.POSTAL_CODE, "postal_code"), (Role.CITY, "city"), (Role.COMPANY_NAME, "company"),
                        (Role.WEBSITE, "website"), (Role.COUNTRY, "country")):
        if alias in feats:
            continue
        source = next((c for c in present if roles.get(c) is role and c in feats), None)
        if source is not None:
            feats[alias] = feats[source]
    if "company" in feats:
        feats["company_sx"] = nz.by_unique(feats["company"], nz.soundex)
    for column in cannot_link_fields or ():
        if column in frame.columns:
            feats[f"cl:{column}"] = nz.exacts(frame[column])
    birth = next((c for c in feats if c in ("birth_date", "date_of_birth")), None)
    if birth and birth != "birth_date":
        feats["birth_date"] = feats[birth]
    features = pd.DataFrame(feats, index=index)
    if ids is None:
        pk = model.primary_key if model else None
        ids = nz.strings(frame[pk]) if pk and pk in frame.columns else pd.Series(
            [f"row:{i + 1}" for i in range(len(frame))], index=index, dtype="string")
    return Prepared(entity, features, comps, profile, ids.astype(str), list(cannot_link_fields or []))
