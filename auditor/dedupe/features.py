"""Record features for matching: normalized columns, the comparisons they feed, and blocking keys.

`prepare(frame, entity, settings)` reads the roles of the entity's fields (auditor.model) and
the extra comparison fields of the settings, and returns the normalized feature columns plus
the list of comparisons to run. A field a table does not have is simply not compared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from auditor.dedupe import normalize as nz
from auditor.dedupe.blocking import combined_codes, feature_codes, first_rows
from auditor.model import ENTITIES, Role
from auditor.sources.convert import date_parts


@dataclass(frozen=True)
class Comparison:
    name: str
    """Output name (the field it compares, or `phone` for all phone fields together)."""
    kind: str
    """person_first, person_last, name, text, company, email, phone, exact, date, number, postal, domain"""
    columns: tuple[str, ...]
    """Feature columns it reads."""
    group: str = ""
    """The piece of evidence it belongs to (name, email, phone, birth_date, address, site, website,
    locality, or its own name): the auto-merge band asks for two independent pieces, and a first and a
    last name that agree are one piece, not two."""
    joint: str = ""
    """The family of fields that are not independent of each other (see JOINT_FAMILIES), or ''."""

    @property
    def labels(self) -> tuple[str, ...]:
        return LEVEL_LABELS[self.kind]

    @property
    def top(self) -> int:
        return len(self.labels) - 1

    @property
    def term_frequency(self) -> bool:
        """Exact agreement weighs by how rare the shared value is (Splink's term-frequency adjustment).
        Not for a city or a country: their rarity mostly tells the population mix (a Spanish contact
        in a Polish CRM), which the rarity of the names already counts."""
        return self.kind in TF_KINDS and self.group not in COARSE_GROUPS


LEVEL_LABELS: dict[str, tuple[str, ...]] = {
    "person_first": ("different", "similar or initial", "very similar", "nickname", "exact"),
    "person_last": ("different", "similar", "very similar", "exact"),
    "name": ("different", "similar", "very similar", "exact"),
    "text": ("different", "similar", "very similar", "exact"),
    "company": ("different", "similar", "very similar", "exact"),
    "email": ("different", "same shared role address", "similar local part", "same local part, other domain", "exact"),
    "phone": ("different", "same number"),
    "exact": ("different", "exact"),
    "date": ("different", "within two edits", "year off by one or day and month swapped", "one edit", "exact"),
    "number": ("different", "within 10%", "exact"),
    "postal": ("different", "same area", "exact"),
    "domain": ("different", "exact"),
}
"""Levels from the strongest disagreement (0) to exact agreement (last); the weights learnt for them are
kept monotone, so that agreement never counts against a match and disagreement never for it."""
TF_KINDS = frozenset(
    {"person_first", "person_last", "name", "text", "company", "email", "phone", "exact", "date", "postal", "domain"}
)
GROUPS = {
    "person_first": "name",
    "person_last": "name",
    "company": "name",
    "email": "email",
    "phone": "phone",
    "domain": "website",
    "postal": "address",
}
COARSE_GROUPS = frozenset({"locality"})
"""Evidence too coarse to count as a piece on its own (a city or a country is shared by many)."""
JOINT_FAMILIES = {"address": "place", "locality": "place", "site": "place"}
"""Evidence groups whose fields are not independent given two different records: a street lies in one
postcode, a postcode in one city, a city in one country; an organisation's phone, street and postcode
describe its site, and a hotel, a mall or an office building hosts several organisations at one address
with one switchboard. A family's agreement weighs as one piece (its strongest agreeing field); each
of its disagreements still counts."""
KIND_OF_COMPARE_TYPE = {
    "name": "name",
    "text": "text",
    "exact": "exact",
    "date": "date",
    "number": "number",
    "email": "email",
    "phone": "phone",
    "company": "company",
    "postal": "postal",
    "domain": "domain",
}
_ROLE_KIND = {
    Role.COMPANY_NAME: "company",
    Role.WEBSITE: "domain",
    Role.ADDRESS: "text",
    Role.CITY: "name",
    Role.POSTAL_CODE: "postal",
    Role.COUNTRY: "exact",
}
_BY_VALUE: dict[str, Callable[[str], str | None]] = {
    "name": nz.person_name,
    "text": nz.text,
    "company": nz.company_name,
    "domain": nz.website_domain,
}
"""The kinds whose columns are normalized value by value (`_Features.coded_by`), and how."""
_NORMALIZER: dict[str, Callable[[pd.Series], pd.Series]] = {
    "exact": nz.exact_texts,
    "postal": nz.postal_code_texts,
}
"""The other kinds' column normalizers, as Arrow-backed strings (the features are stored so, see `_Features`)."""

DEFAULT_BLOCKING = {
    # No surname + city key: at 1M contacts it gave 4.1M pairs and found 0.17% of the true pairs that
    # no other key finds (none on acme, Febrl or 100k). Soundex + first initial stays although it finds
    # hardly any pair alone: its namesake pairs are the negatives EM needs (without them acme leads'
    # job-move recall falls from 0.99 to 0.88).
    "person": [
        ["email"],
        ["phone"],
        ["name_sorted"],
        ["last", "postal_code"],
        ["first", "postal_code"],
        ["last", "birth_date"],
        ["first", "birth_date"],
        ["email_local"],
        ["last_sx", "first:1"],
        ["first", "last:3"],
        ["postal_code", "birth_date"],
        ["street", "postal_code"],
        ["birth_date", "city"],
        ["street", "birth_date"],
    ],
    # the longest word of the name and the street (with its house number) block without a city or a country
    "company": [
        ["company"],
        ["website"],
        ["phone"],
        ["company:6", "postal_code"],
        ["company_sx", "city"],
        ["company:4", "country"],
        ["company_word"],
        ["company_compact:6"],
        ["street"],
    ],
}


class _Features(dict):
    """Feature columns, each stored as Arrow-backed strings as soon as it is made: a million
    records then cost a few bytes per value instead of one Python string object each."""

    def __init__(self) -> None:
        super().__init__()
        self.coded: dict[str, nz.Coded] = {}
        """per feature made from its distinct values (`coded`), its `pd.factorize`, made with it"""

    def __setitem__(self, name: str, values: pd.Series) -> None:
        self.coded.pop(name, None)
        super().__setitem__(name, values if values.dtype == bool else nz.strings(values))

    def coded_by(
        self, name: str, values: pd.Series, fn: Callable[[str], str | None], coded: nz.Coded | None = None
    ) -> None:
        """Feature `name`: `fn` of each distinct value of `values` (`nz.by_unique_coded`), kept with its codes.
        `coded`: the codes of `values`, when known (a feature's own, a column two features are made of)."""
        column, coded = nz.by_unique_coded(values, fn, coded)
        self[name] = column
        self.coded[name] = coded

    def alias(self, name: str, source: str) -> None:
        """Feature `name` holds feature `source` (the same column, the same codes)."""
        self[name] = self[source]
        if source in self.coded:
            self.coded[name] = self.coded[source]


@dataclass
class Prepared:
    entity: str
    features: pd.DataFrame
    comparisons: list[Comparison]
    profile: str
    """person or company: which default blocking keys apply."""
    ids: pd.Series
    cannot_link_fields: list[str]
    aliases: dict[str, str] = field(default_factory=dict)
    """Blocking-key feature names that stand for a compared feature (company -> name)."""
    warnings: list[str] = field(default_factory=list)
    """Evidence lost on the way (a date column that mostly does not parse), for the run's diagnostics."""
    _codes: dict[tuple[str, ...], tuple[np.ndarray, Any]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def codes(self, *columns: str) -> tuple[np.ndarray, Any]:
        """Integer codes (int32, -1 missing) of feature columns over one vocabulary (their values one
        column after the other, `pd.factorize`d), and the vocabulary: made once per set of columns and
        shared by the comparisons, the term frequencies and the blocking keys, each of which factorized
        every column again (a tenth of duplicate detection on a million contacts)."""
        if columns not in self._codes:
            joint = next((key for key in self._codes if len(columns) == 1 and columns[0] in key and len(key) > 1), None)
            if joint is not None:
                self._codes[columns] = _one_of(self._codes[joint], joint.index(columns[0]), len(self.features))
            else:
                codes, uniques = feature_codes(self.features, *columns)
                self._codes[columns] = (codes.astype(np.int32), uniques)
        return self._codes[columns]

    def let_go_of_values(self) -> None:
        """Drop the features' values and the codes nothing holds, keeping the number of records: once the pairs
        are blocked and the rules counted, a `Comparator` made already reads its own codes of the values. At a
        million contacts the values were 0.3 GB held through the clusters and the pairs frame, the step's peak.
        The table cannot be compared or blocked again after it."""
        self.features = self.features.iloc[:, :0]
        self._codes.clear()


def _one_of(joint: tuple[np.ndarray, Any], at: int, n: int) -> tuple[np.ndarray, Any]:
    """`feature_codes` of the column at place `at` of several coded over one vocabulary (`joint`): its codes
    numbered again as its values first come, by a hash of integers instead of its texts (a million phone numbers
    hashed again for each phone field), and its values taken from the joint vocabulary."""
    flat, uniques = joint
    part = flat[at * n : (at + 1) * n]
    valid = part >= 0
    codes = np.full(n, -1, dtype=np.int32)
    numbered, taken = pd.factorize(part[valid])
    codes[valid] = numbered
    return codes, uniques.take(taken)


_DAYS_IN_MONTH = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
UNPARSABLE_WARNING_SHARE = 0.01
"""A date column compared for matching whose share of unreadable values exceeds this gets a warning."""


def _digits_date(values: pd.Series, name: str, warnings: list[str]) -> pd.Series:
    """Dates as 'YYYYMMDD', from any format the loader reads (ISO, YYYYMMDD, d.m.y / m/d/y decided per
    column, "13 Jul 2022"), read as text so that a date outside a pandas timestamp's range (a birth in
    1630) compares too. An impossible date ('1856-86-18') or other text keeps its digits, so that a
    typo still compares, and more than 1% of such values gets a warning naming the column and an
    example."""
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.dt.strftime("%Y%m%d").astype(object)
        return out.where(values.notna().to_numpy(), None)
    # birth dates repeat: read each distinct text once (day-first is decided over the whole column, so
    # the distinct values decide it as the column would)
    codes, distinct = pd.factorize(nz.strings(values).str.strip(), use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(distinct))
    text = nz.strings(pd.Series(np.asarray(distinct, dtype=object)))
    text = text.mask(text.str.len() == 0)
    parts = date_parts(text.astype(object))
    shaped = parts["year"].notna() & parts["month"].notna() & parts["day"].notna()
    numbers = parts.fillna(0).astype(np.int64)
    composed = (
        numbers["year"].astype(str).str.zfill(4)
        + numbers["month"].astype(str).str.zfill(2)
        + numbers["day"].astype(str).str.zfill(2)
    )
    digits = text.str.replace(r"[^0-9]", "", regex=True)
    digits = digits.mask(digits.str.len() == 0).astype(object)
    out = np.append(composed.astype(object).where(shaped.to_numpy(), digits.to_numpy()).to_numpy(dtype=object), None)[
        codes
    ]
    unreadable = unreadable_dates(text, parts)
    present = int(counts[text.notna().to_numpy()].sum())
    bad = int(counts[unreadable].sum())
    if present and bad > UNPARSABLE_WARNING_SHARE * present:
        # the distinct values come in order of first appearance: the first unreadable one is the file's
        warnings.append(date_warning(name, bad, present, str(text[unreadable].iloc[0])))
    return pd.Series(out, index=values.index, dtype=object).where(pd.notna(out), None)


def unreadable_dates(text: pd.Series, parts: pd.DataFrame | None = None) -> np.ndarray:
    """True where a non-blank value is no calendar date in any format the loader reads (a date before
    1677, which a pandas timestamp cannot hold, is a date)."""
    text = nz.strings(text).str.strip()
    text = text.mask(text.str.len() == 0)
    parts = date_parts(text.astype(object)) if parts is None else parts
    year, month, day = (parts[k].to_numpy(dtype=float) for k in ("year", "month", "day"))
    month_ok = ~np.isnan(year) & ~np.isnan(day) & (month >= 1) & (month <= 12)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    limit = np.where(month_ok, _DAYS_IN_MONTH[np.where(month_ok, month, 0).astype(int)], 0) - ((month == 2) & ~leap)
    valid = month_ok & (day >= 1) & (day <= limit)
    return text.notna().to_numpy() & ~valid


def date_warning(name: str, unreadable: int, present: int, example: str) -> str:
    return (
        f"{name}: {unreadable:,} of {present:,} values ({unreadable / present:.1%}) are not dates "
        f"(e.g. {example!r}); they are compared by their digits"
    )


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
    warnings: list[str] = []
    aliases: dict[str, str] = {}
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
        first_name = pd.factorize(frame["first_name"], use_na_sentinel=True)  # hashed once for both features
        feats.coded_by("first", frame["first_name"], nz.person_name, first_name)
        feats.coded_by("first_canon", frame["first_name"], nz.canonical_first_name, first_name)
        feats.coded_by("last", frame["last_name"], nz.person_name)
        comps.append(Comparison("first_name", "person_first", ("first", "first_canon", "last")))
        comps.append(Comparison("last_name", "person_last", ("last", "first")))
        person_fields = [c for c in person_fields if c not in ("first_name", "last_name")]
    elif person_fields:
        feats.coded_by("last", frame[person_fields[0]], nz.person_name)
        comps.append(Comparison(person_fields[0], "name", ("last",)))
        person_fields = person_fields[1:]
    for column in person_fields:
        feats.coded_by(column, frame[column], nz.person_name)
        comps.append(Comparison(column, "name", (column,)))
    if "last" in feats:
        feats.coded_by("last_sx", feats["last"], nz.soundex, feats.coded.get("last"))
    if "first" in feats:
        first, last = feats["first_canon"], feats["last"]
        swap = (first > last).fillna(False)
        # NA when either part is missing
        feats["name_sorted"] = first.where(~swap, last) + " " + last.where(~swap, first)

    email_cols = [c for c in present if (roles.get(c) is Role.EMAIL and c not in fields) or fields.get(c) == "email"]
    for k, column in enumerate(email_cols):
        name = "email" if k == 0 else f"email_{k}"
        e, local, domain = nz.email_parts(frame[column])
        role = nz.role_local_parts(local)
        feats[name] = e
        feats[f"{name}_role"] = role.fillna(False).astype(bool)
        if k == 0:
            feats["email_local"] = local.mask(role.fillna(False) | (local.str.len() < 3))
            feats["email_domain"] = domain
            if "first" in feats and "last" in feats:
                feats["email_named"] = _named_local_parts(local, feats["first"], feats["last"])
        comps.append(Comparison(name, "email", (name, f"{name}_role")))
    phone_cols = [c for c in present if (roles.get(c) is Role.PHONE and c not in fields) or fields.get(c) == "phone"]
    if phone_cols:
        for k, column in enumerate(phone_cols):
            feats[f"phone_{k}"] = nz.phone_texts(frame[column], regions if regions is not None else default_region)
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
            feats[column] = _digits_date(frame[column], column, warnings)
        elif kind == "number":
            feats[column] = _numbers(frame[column])
        elif kind == "name":
            feats.coded_by(column, frame[column], nz.person_name if roles.get(column) is not Role.CITY else nz.city)
        elif roles.get(column) is Role.ADDRESS and kind == "text":
            feats.coded_by(column, frame[column], nz.address)
        elif kind in _BY_VALUE:
            feats.coded_by(column, frame[column], _BY_VALUE[kind])
        else:
            feats[column] = _NORMALIZER[kind](frame[column])
        comps.append(Comparison(column, kind, (column,)))
    # aliases used by the default blocking keys
    for role, alias in (
        (Role.POSTAL_CODE, "postal_code"),
        (Role.CITY, "city"),
        (Role.COMPANY_NAME, "company"),
        (Role.WEBSITE, "website"),
        (Role.COUNTRY, "country"),
    ):
        if alias in feats:
            continue
        source = next((c for c in present if roles.get(c) is role and c in feats), None)
        if source is not None:
            feats.alias(alias, source)
            aliases[alias] = source
    if "company" in feats:
        feats.coded_by("company_sx", feats["company"], nz.soundex, feats.coded.get("company"))
        for k, words in enumerate(_key_words(feats["company"], WORD_KEYS, feats.coded.get("company"))):
            feats[f"company_word_{k}"] = words
        feats["company_compact"] = feats["company"].str.replace(" ", "", regex=False)
        named = aliases.get("company", "company")
        if any(c.name == named and c.kind == "company" for c in comps):  # feats[named] holds company_names
            feats.coded_by("company_numbers", feats[named], nz.numbers_of_name, feats.coded.get(named))
        elif named in frame.columns:
            feats.coded_by("company_numbers", frame[named], nz.name_numbers)
        else:
            feats.coded_by("company_numbers", feats["company"], nz.name_numbers, feats.coded.get("company"))
        comps = [replace(c, columns=(*c.columns, "company_numbers")) if c.kind == "company" else c for c in comps]
    for column in cannot_link_fields or ():
        if column in frame.columns:
            feats[f"cl:{column}"] = nz.exact_texts(frame[column])
    birth = next((c for c in feats if c in ("birth_date", "date_of_birth")), None)
    if birth and birth != "birth_date":
        feats.alias("birth_date", birth)
        aliases["birth_date"] = birth
    comps = [replace(c, group=_group(c, roles, profile)) for c in comps]
    comps = [replace(c, joint=JOINT_FAMILIES.get(c.group, "")) for c in comps]
    features = pd.DataFrame(feats, index=index)
    if ids is None:
        pk = model.primary_key if model else None
        ids = (
            nz.strings(frame[pk])
            if pk and pk in frame.columns
            else pd.Series([f"row:{i + 1}" for i in range(len(frame))], index=index, dtype="string")
        )
    prepared = Prepared(
        entity, features, comps, profile, ids.astype(str), list(cannot_link_fields or []), aliases, warnings
    )
    # the features made value by value are coded already: their rows are not hashed again
    prepared._codes.update(
        {(name,): (codes.astype(np.int32), uniques) for name, (codes, uniques) in feats.coded.items()}
    )
    return prepared


def _named_local_parts(local: pd.Series, first: pd.Series, last: pd.Series) -> pd.Series:
    """True where the e-mail's local part is made of the record's own names (jan.kowalski, jkowalski,
    kowalski_j, jan.kowalski2): two namesakes at two employers share such a local part, so beyond
    the names it says nothing; a local part of its own (jk1977, wolf.pack) does."""
    local = nz.strings(local)
    accented = pd.Series(nz.non_ascii(local), index=local.index)
    if accented.any():  # kozłowski@ is Kozłowski's, as the folded names read it
        local = local.mask(accented, nz.strings(nz.by_unique(local[accented], nz.fold)))
    loc = nz.ascii_letters(local)
    # the forms follow from a record's two names alone: written once per distinct pair of names (tens of
    # thousands at a million contacts, not eight texts per record), and matched to the local parts by their
    # codes in one vocabulary
    pair, rep = _distinct_pairs(first, last)
    f, la = nz.ascii_letters(first.iloc[rep]), nz.ascii_letters(last.iloc[rep])
    fi, li = f.str.slice(0, 1), la.str.slice(0, 1)
    forms = (f + la, la + f, fi + la, la + fi, f + li, li + f, f, la)
    codes = pd.factorize(pd.concat([loc, *forms], ignore_index=True), use_na_sentinel=True)[0]
    n = len(loc)
    own, form_codes = codes[:n], codes[n:].reshape(len(forms), len(rep))
    named = np.zeros(n, dtype=bool)
    for form in form_codes:
        named |= form[pair] == own
    named &= own >= 0
    return pd.Series(named, index=local.index) & (loc.str.len() > 0).fillna(False).astype(bool)


def _distinct_pairs(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the number of its distinct (a, b) (missing values included), and the first row of each."""
    coded = (pd.factorize(column, use_na_sentinel=True) for column in (a, b))
    pair = pd.factorize(combined_codes(len(a), ((codes, len(uniques)) for codes, uniques in coded)))[0]
    return pair, first_rows(pair)


def _group(comparison: Comparison, roles: Mapping[str, Role], profile: str) -> str:
    if comparison.kind == "company" and profile == "person":
        return "employer"  # a person's company changes with the job: not the identity
    if profile == "company" and (comparison.kind in ("phone", "postal") or roles.get(comparison.name) is Role.ADDRESS):
        return "site"  # one organisation's site
    if comparison.kind in GROUPS:
        return GROUPS[comparison.kind]
    role = roles.get(comparison.name)
    if role is Role.PERSON_NAME:
        return "name"
    if role in (Role.CITY, Role.COUNTRY):
        return "locality"
    if role is Role.ADDRESS:
        return "address"
    if comparison.kind == "date" and "birth" in comparison.name:
        return "birth_date"
    return comparison.name


WORD_KEYS = 2
"""Words of a company name used as blocking keys: its longest ones (long words are the rare ones). Two, so
that a typo in one ("Koninlijke Philips Electronics") still leaves a key shared with the right spelling
when no city, country or postcode is known."""


def _ranked_words(value: str) -> list[str]:
    """A name's distinct words of three or more characters, longest first (ties: the earlier word)."""
    # a stable sort keeps the earlier of two words of one length first, reversed or not
    return sorted([w for w in dict.fromkeys(value.split()) if len(w) >= 3], key=len, reverse=True)


def _key_words(names: pd.Series, count: int, coded: nz.Coded | None = None) -> list[pd.Series]:
    """Per name, its `count` longest words of three or more characters (ties: the earlier word), for
    blocking: 'koninklijke philips electronics' and 'philips electronics' meet on a word even when their
    first words differ and no city or country is known. A record's own words only, so that any slice of
    a table gets the keys the whole table gets. Each distinct name is found and ranked once for all `count`
    keys."""
    return nz.by_unique_parts(names, _ranked_words, count, coded)
