"""Profile an export and suggest the rules its data already keeps, as a rule pack to review and keep.

`profile_export(path, config)` loads the export exactly as the audit does and describes every column
of every table, mapped or not: the field it feeds, the type its text parses as, how often it is empty,
its distinct and most common values, the range of its numbers and dates, and the values the
column-judging rule kinds of the core pack flag (sentinels, odd formats, misspellings, id collisions,
blanks in a column nearly always filled, values in one nearly always empty).

From the profile it suggests constraints, as Deequ's constraint suggestion does: `required` for a
column every record fills, `unique` for one whose values are all distinct, `range` with the observed
bounds for numbers, `allowed` with the observed values for a low-cardinality text column. A suggestion
always holds on the data it came from (each is checked with its kind before it is offered), so the
pack reports nothing on that data: it is a contract for the next import, and the user reviews it
(a chance pattern of a small table is no rule). Constraints the loaded packs already express (the
core pack's `contacts.email.required`) and `allowed` on the model's enums are not suggested again.

A rule pack may name only model fields and the config's declared `extra_fields`, so the rules about
columns no field maps to come with the `extra_fields:` declarations they need (their inferred role;
for a low-cardinality column an `allowed:` list, from which the config makes its own
`<entity>.<column>.allowed` rule) and are written into the pack commented out: the pack loads as it is,
and the user who pastes the declarations into the config uncomments them.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import yaml

from auditor.checks.base import CheckContext
from auditor.checks.kinds import get_kind
from auditor.checks.kinds._common import MISSING_CODES
from auditor.checks.kinds.identifier import looks_like_identifier
from auditor.checks.packs import config_rules
from auditor.checks.rule import Rule
from auditor.config import AuditConfig
from auditor.dtypes import as_text
from auditor.model import ENTITIES, DType, Field, Role
from auditor.sources import Table, load_export
from auditor.sources.convert import convert, parse_bool, parse_datetime, parse_number
from auditor.sources.loader import one_file_as

Progress = Callable[[str, int, int], None]

TYPE_SHARE = 0.95
"""A column is of a type when at least this share of its filled values parses as it."""
TOP_VALUES = 5
MIN_RECORDS = 50
"""`allowed` and `unique` are suggested only from at least this many filled values."""
MAX_ALLOWED = 20
"""`allowed` is suggested for a text column with at most this many distinct values."""
FREE_TEXT_WORDS = 3
"""A column whose values have this many words as a rule is free text: no `unique` for it."""
CANDIDATE_KINDS = ("sentinel", "odd_format", "misspelt", "identifier", "usually_filled", "rarely_filled")
"""The kinds whose verdicts are listed per column: values a person should look at before trusting a rule."""
CANDIDATE_VALUES = 10
"""Distinct flagged values listed per kind and column (the count of all of them is kept)."""
NOT_ENUMERABLE = (
    Role.ENUM,  # the model's own list, checked by the core pack (map other values under `values:`)
    Role.PRIMARY_KEY,
    Role.FOREIGN_KEY,
    Role.PERSON_NAME,
    Role.COMPANY_NAME,
    Role.EMAIL,
    Role.PHONE,
    Role.ADDRESS,
    Role.WEBSITE,
)
"""Roles whose few distinct values in one export are chance, never a list to keep: no `allowed` for them."""
NOT_UNIQUE = (
    Role.FOREIGN_KEY,
    Role.PERSON_NAME,
    Role.ADDRESS,
    Role.CITY,
    Role.COUNTRY,
    Role.OWNER,
    Role.SOURCE,
    Role.ENUM,
)
"""Roles whose values are distinct in one export only by chance (two Smiths will come): no `unique` for them."""
SEVERITY = "warning"
PACK_NAME = "suggested"
EMPTY = "(empty)"

_ROLES = {
    "integer": Role.COUNT,
    "number": Role.NUMBER,
    "bool": Role.BOOL,
    "date": Role.DATE,
    "datetime": Role.DATETIME,
    "text": Role.TEXT,
    "empty": Role.TEXT,
}
"""The role an undeclared column gets in the suggested `extra_fields:`, by its inferred type."""


@dataclass(frozen=True)
class Flagged:
    """What one kind flags in one column: the failing records and their most common distinct values."""

    kind: str
    records: int
    distinct: int
    values: tuple[tuple[str, int], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "records": self.records,
            "distinct": self.distinct,
            "values": [{"value": v, "count": n} for v, n in self.values],
        }


@dataclass(frozen=True)
class ColumnProfile:
    column: str
    """The header in the file."""
    field: str | None
    """The field it feeds, its kept name (how `kept`), or None when the config ignores it."""
    how: str
    rows: int
    empty: int
    """Records whose cell is missing or only whitespace."""
    type: str
    """date, datetime, number, integer, bool, text, or empty (no filled value to judge)."""
    distinct: int
    top: tuple[tuple[str, int], ...]
    minimum: float | int | str | None = None
    maximum: float | int | str | None = None
    flagged: tuple[Flagged, ...] = ()

    @property
    def null_share(self) -> float:
        return self.empty / self.rows if self.rows else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "field": self.field,
            "how": self.how,
            "type": self.type,
            "rows": self.rows,
            "empty": self.empty,
            "null_share": round(self.null_share, 6),
            "distinct": self.distinct,
            "top": [{"value": v, "count": n} for v, n in self.top],
            "min": self.minimum,
            "max": self.maximum,
            "sentinel_candidates": [f.to_dict() for f in self.flagged],
        }


@dataclass(frozen=True)
class TableProfile:
    entity: str
    source: str
    rows: int
    columns: tuple[ColumnProfile, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "source": self.source,
            "rows": self.rows,
            "columns": [c.to_dict() for c in self.columns],
        }


@dataclass(frozen=True)
class Suggestion:
    """One suggested rule. `declare` is set for a column no field maps to: the `extra_fields:` entry the
    config needs before a pack may name it. An `allowed` suggestion on such a column lives in that entry
    (`allowed:`), not in the pack."""

    id: str
    kind: str
    entity: str
    field: str
    params: Mapping[str, Any]
    reason: str
    declare: Mapping[str, Any] | None = None

    @property
    def in_config(self) -> bool:
        """True when the config's `extra_fields:` entry is the rule (an `allowed:` list)."""
        return self.declare is not None and self.kind == "allowed"

    def rule(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "entity": self.entity,
            "fields": [self.field],
            "severity": SEVERITY,
            **self.params,
        }

    def to_dict(self) -> dict[str, Any]:
        where = "extra_fields" if self.in_config else "commented" if self.declare is not None else "pack"
        return {**self.rule(), "reason": self.reason, "where": where, "needs_extra_field": self.declare is not None}


@dataclass
class ExportProfile:
    path: str
    created: dt.date
    tables: list[TableProfile]
    suggestions: list[Suggestion]
    notes: list[str] = field(default_factory=list)

    @property
    def pack_rules(self) -> list[Suggestion]:
        """Rules on model fields and declared extras: the pack's active rules."""
        return [s for s in self.suggestions if s.declare is None]

    @property
    def extra_rules(self) -> list[Suggestion]:
        """Rules on undeclared columns, written commented out until the config declares them."""
        return [s for s in self.suggestions if s.declare is not None and not s.in_config]

    @property
    def extra_fields(self) -> dict[str, dict[str, dict[str, Any]]]:
        """entity -> column -> {role, allowed?}: the `extra_fields:` the commented rules need."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for s in self.suggestions:
            if s.declare is not None:
                spec = out.setdefault(s.entity, {}).setdefault(s.field, dict(s.declare))
                if s.in_config:
                    spec.update(role=Role.ENUM.value, allowed=list(s.params["values"]))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "created": self.created.isoformat(),
            "tables": [t.to_dict() for t in self.tables],
            "suggestions": [s.to_dict() for s in self.suggestions],
            "extra_fields": self.extra_fields,
            "notes": list(self.notes),
        }

    def pack_yaml(self, file_name: str = "pack.yaml") -> str:
        """The suggestions as a rule pack: the rules on known fields active, the rest commented out below the
        `extra_fields:` they need. Loads with `load_rules([file])` (and the config's extra fields)."""
        rows = sum(t.rows for t in self.tables)
        lines = [
            f"# Suggested by `crm-audit profile` from the data of {self.path} on {self.created.isoformat()}",
            f"# ({len(self.tables)} table{'s' if len(self.tables) != 1 else ''}, {rows:,} rows).",
            "# These rules describe the data as it was, its defects included, and hold on every record of it:",
            "# review each one before you keep the pack (drop what is chance, fix the lists and bounds), then",
            f"# use it with `crm-audit check PATH --rules {file_name}` or `rules: [{file_name}]` in crm-audit.yaml.",
            f"pack: {PACK_NAME}",
            f"description: {yaml_line(f'suggested from {self.path} on {self.created.isoformat()}; review before use')}",
            "rules:",
        ]
        lines += [f"  - {yaml_line(s.rule())}  # {s.reason}" for s in self.pack_rules]
        extras = self.extra_fields
        if extras:
            lines += [
                "#",
                "# Columns no field maps to: a pack may name only model fields and declared extra fields.",
                "# To check them, add this to crm-audit.yaml (each `allowed:` list becomes an",
                "# `<entity>.<column>.allowed` rule of the config)...",
                "#",
                *(f"# {line}" for line in _extra_fields_yaml(extras, self.suggestions)),
            ]
            if self.extra_rules:
                lines += ["#", "# ...and uncomment these rules:"]
                lines += [f"#   - {yaml_line(s.rule())}  # {s.reason}" for s in self.extra_rules]
        return "\n".join(lines) + "\n"


def yaml_line(value: Any) -> str:
    """`value` as one line of YAML (flow style), quoted where YAML would misread it."""
    if isinstance(value, str | int | float | bool) or value is None:
        return yaml_line([value])[1:-1]
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**9, allow_unicode=True).strip()


def _extra_fields_yaml(
    extras: Mapping[str, Mapping[str, Mapping[str, Any]]], suggestions: Sequence[Suggestion]
) -> list[str]:
    why = {(s.entity, s.field): s.reason for s in suggestions if s.in_config}
    lines = ["extra_fields:"]
    for entity_name, columns in extras.items():
        lines.append(f"  {yaml_line(entity_name)}:")
        for name, spec in columns.items():
            comment = f"  # {why[entity_name, name]}" if (entity_name, name) in why else ""
            lines.append(f"    {yaml_line(name)}: {yaml_line(dict(spec))}{comment}")
    return lines


def profile_export(
    path: str | os.PathLike,
    config: AuditConfig,
    *,
    entity: str | None = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> ExportProfile:
    """Profile the export at `path` as the audit with `config` loads it (`entity`: read the one file at
    `path` as that entity) and suggest rules from it."""
    options = config.source_options()
    if entity is not None:
        options = one_file_as(options, path, entity)
    rules = config_rules(config)
    export = load_export(path, options, progress)
    typed = {name: t.frame for name, t in export.tables.items()}
    taken = {r.id for r in rules}
    tables: list[TableProfile] = []
    suggestions: list[Suggestion] = []
    notes = list(export.notes)
    for table in export.tables.values():
        profiled, suggested = _profile_table(table, rules, typed, config, taken, notes, progress)
        tables.append(profiled)
        suggestions += suggested
    return ExportProfile(
        path=os.fspath(path),
        created=today or dt.datetime.now(dt.UTC).date(),
        tables=tables,
        suggestions=suggestions,
        notes=notes,
    )


def _profile_table(
    table: Table,
    rules: Sequence[Rule],
    typed: Mapping[str, pd.DataFrame],
    config: AuditConfig,
    taken: set[str],
    notes: list[str],
    progress: Progress | None,
) -> tuple[TableProfile, list[Suggestion]]:
    model = ENTITIES[table.entity]
    ctx = CheckContext(
        entity=model,
        frame=table.frame,
        raw=table.raw,
        tables=typed,
        as_of=config.as_of,
        default_region=config.default_region,
    )
    # the parameters the config's packs give the column-judging kinds (the core pack: their defaults)
    params = {r.kind: r.params for r in rules if r.entity == table.entity and r.is_wildcard and not r.when}
    covered = {
        (r.kind, f) for r in rules if r.entity == table.entity and not r.is_wildcard and not r.when for f in r.fields
    }
    declared = config.extra_fields.get(table.entity, {})
    columns: list[ColumnProfile] = []
    suggestions: list[Suggestion] = []
    for done, mapping in enumerate(table.columns):
        if progress:
            progress(f"profiling {table.entity}", done, len(table.columns))
        name = mapping.field
        if name is None or name not in table.raw.columns:
            columns.append(ColumnProfile(mapping.source_column, None, mapping.how, len(table.raw), 0, "-", 0, ()))
            continue
        column = _profile_column(mapping.source_column, name, mapping.how, table, ctx, params, config, notes)
        columns.append(column)
        if model.has_field(name) and not mapping.is_field:
            continue  # a kept column under a field's name: a rule on that name would mean the field
        declare = None if model.has_field(name) or name in declared else {"role": _role_of(column).value}
        suggestions += _suggest(column, table, ctx, covered, declare, config, taken)
    if progress:
        progress(f"profiling {table.entity}", len(table.columns), len(table.columns))
    return TableProfile(table.entity, table.source, len(table.raw), tuple(columns)), suggestions


def _profile_column(
    header: str,
    name: str,
    how: str,
    table: Table,
    ctx: CheckContext,
    params: Mapping[str, Mapping[str, Any]],
    config: AuditConfig,
    notes: list[str],
) -> ColumnProfile:
    raw = as_text(table.raw[name])
    stripped = raw.str.strip()
    blank = stripped.isna() | stripped.eq("")
    counts = _counts(raw[~blank])
    kind, minimum, maximum = _infer(counts, config.dayfirst)
    flagged = []
    for kind_name in CANDIDATE_KINDS:
        found = _flagged(kind_name, table.frame[name], raw, params.get(kind_name, {}), ctx, notes, table.source)
        if found is not None:
            flagged.append(found)
    return ColumnProfile(
        column=header,
        field=name,
        how=how,
        rows=len(raw),
        empty=int(blank.sum()),
        type=kind,
        distinct=len(counts),
        top=tuple((str(v), int(n)) for v, n in counts.head(TOP_VALUES).items()),
        minimum=minimum,
        maximum=maximum,
        flagged=tuple(flagged),
    )


def _counts(values: pd.Series) -> pd.Series:
    """Distinct values with their counts, most common first, ties in the values' order."""
    counts = values.value_counts(sort=False)
    table = pd.DataFrame({"value": counts.index.astype(str), "count": counts.to_numpy()})
    table = table.sort_values(["count", "value"], ascending=[False, True], kind="stable")
    return pd.Series(table["count"].to_numpy(), index=pd.Index(table["value"].to_numpy(), dtype=object))


def _infer(counts: pd.Series, dayfirst: bool | None) -> tuple[str, Any, Any]:
    """(type, min, max) of a column from its distinct filled values and their counts. Codes for "no value"
    ("n/a", "?") are not judged; a type needs TYPE_SHARE of the rest; whole numbers with a leading zero
    are codes (postcodes, account numbers), i.e. text."""
    codes = pd.Series(counts.index, dtype="object").str.strip().str.lower().isin(MISSING_CODES).to_numpy()
    counts = counts[~codes]
    total = int(counts.sum())
    if total == 0:
        return "empty", None, None
    text = pd.Series(counts.index.astype(str), index=range(len(counts)))
    weights = pd.Series(counts.to_numpy(), index=text.index)

    def share(parsed: pd.Series) -> float:
        return float(weights[parsed.notna()].sum()) / total

    # The type under which most values parse wins, the narrower one on a tie: 0/1 flags are booleans, but
    # a spend column that is "0" on 99% of its records is a number (its other values are amounts).
    flags = share(parse_bool(text))
    if float(weights[text.str.contains(r"\d", regex=True)].sum()) / total < TYPE_SHARE:
        # every number and date has a digit: names, e-mails and picklists need no parsing
        return ("bool", None, None) if flags >= TYPE_SHARE else ("text", None, None)
    number = parse_number(text)
    number = number.where(np.isfinite(number))
    numbers = share(number)
    dates = parse_datetime(text, dayfirst=dayfirst) if numbers < 1 else None
    moments = share(dates) if dates is not None else 0.0
    best = max(flags, numbers, moments)
    if best < TYPE_SHARE:
        return "text", None, None
    if flags == best:
        return "bool", None, None
    if numbers == best:
        parsed = number.dropna()
        if not (parsed % 1 == 0).all():
            return "number", _plain(parsed.min()), _plain(parsed.max())
        if text[number.notna()].str.strip().str.lstrip("+-").str.match(r"0\d").any():
            return "text", None, None  # whole numbers with a leading zero are codes: postcodes, account numbers
        return "integer", _plain(parsed.min()), _plain(parsed.max())
    present = dates.dropna() if dates is not None else pd.Series(dtype="datetime64[ns]")
    timed = bool((present != present.dt.normalize()).any())
    shown = "%Y-%m-%d %H:%M:%S" if timed else "%Y-%m-%d"
    return ("datetime" if timed else "date"), present.min().strftime(shown), present.max().strftime(shown)


def _plain(value: Any) -> int | float | None:
    if value is None or pd.isna(value):
        return None
    number = float(value)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _flagged(
    kind_name: str,
    values: pd.Series,
    raw: pd.Series,
    params: Mapping[str, Any],
    ctx: CheckContext,
    notes: list[str],
    source: str,
) -> Flagged | None:
    """The records `kind_name` fails in this column, as the check engine runs it (an undecidable verdict
    passes), with the distinct raw values they hold."""
    try:
        ok = get_kind(kind_name).check(values, params, ctx)
    except Exception as exc:  # a kind that cannot judge this column is a note, not the end of the profile
        notes.append(f"{source}: {kind_name} could not judge {values.name!r}: {type(exc).__name__}: {exc}")
        return None
    failing = ~ok.astype("boolean").fillna(True).astype(bool)
    if not failing.any():
        return None
    counts = _counts(raw[failing].fillna(EMPTY))
    return Flagged(
        kind_name,
        int(failing.sum()),
        len(counts),
        tuple((str(v), int(n)) for v, n in counts.head(CANDIDATE_VALUES).items()),
    )


def _role_of(column: ColumnProfile) -> Role:
    """The role to declare an unmapped column with: its inferred type's, text for an id (10008756 is no count)."""
    if looks_like_identifier(str(column.field)):
        return Role.TEXT
    return _ROLES.get(column.type, Role.TEXT)


def _suggest(
    column: ColumnProfile,
    table: Table,
    ctx: CheckContext,
    covered: set[tuple[str, str]],
    declare: Mapping[str, Any] | None,
    config: AuditConfig,
    taken: set[str],
) -> list[Suggestion]:
    """The constraints this column keeps. Each is checked with its kind on the column as the audit would
    type it (for an undeclared column: as the suggested role types it), so none fails on this data."""
    name = str(column.field)
    if column.rows == 0:
        return []
    model = ENTITIES[table.entity]
    role = model.field(name).role if model.has_field(name) else None
    if declare is None:
        values = table.frame[name]
    else:
        dtype = Field(name, Role(declare["role"])).dtype
        values = table.raw[name] if dtype is DType.STRING else convert(table.raw[name], dtype, config.dayfirst)
    values = values.rename(name)
    is_text = values.dtype == object or pd.api.types.is_string_dtype(values.dtype)
    is_number = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
    present = values.dropna()
    filled = len(present)
    out: list[tuple[str, dict[str, Any], str]] = []

    if ("required", name) not in covered and column.empty == 0:
        out.append(("required", {}, f"filled in all {column.rows:,} records"))

    if (
        ("unique", name) not in covered
        and role not in NOT_UNIQUE
        and filled >= MIN_RECORDS
        and column.type in ("text", "integer")
        and present.nunique() == filled
        and not (is_text and _words(present) >= FREE_TEXT_WORDS)
    ):
        out.append(("unique", {}, f"all {filled:,} values distinct"))

    if is_number and column.type in ("number", "integer") and filled and not looks_like_identifier(name):
        low, high = _plain(present.min()), _plain(present.max())
        if low is not None and high is not None and math.isfinite(low) and math.isfinite(high):
            bounds: dict[str, Any] = {"min": low, "max": high}
            if column.type == "integer":
                bounds["integer"] = True
            out.append(("range", bounds, f"observed {low} to {high} over {filled:,} values"))

    if (
        is_text
        and role not in NOT_ENUMERABLE
        and ("allowed", name) not in covered
        and column.type not in ("number", "integer", "date", "datetime")
        and filled >= MIN_RECORDS
    ):
        counts = _counts(present.astype(str))
        if len(counts) <= MAX_ALLOWED:
            flagged = {v: f.kind for f in column.flagged for v, _ in f.values if v in counts.index}
            reason = f"{len(counts)} distinct value{'s' if len(counts) != 1 else ''} over {filled:,} records"
            if flagged:
                shown = ", ".join(f"{v!r} ({k})" for v, k in flagged.items())
                reason += f"; flagged: {shown}: remove from the list to report them"
            out.append(("allowed", {"values": [str(v) for v in counts.index]}, reason))

    suggestions = []
    for kind_name, params, reason in out:
        if not _holds(kind_name, values, params, ctx):
            continue  # "n/a" in a typed column is missing to `required`: a rule must hold on its own data
        rule_id = f"{table.entity}.{name}.{kind_name}.suggested"
        while rule_id in taken:
            rule_id += "_"
        taken.add(rule_id)
        suggestions.append(Suggestion(rule_id, kind_name, table.entity, name, params, reason, declare))
    return suggestions


def _words(values: pd.Series) -> float:
    return float(as_text(values).str.split().str.len().median())


def _holds(kind_name: str, values: pd.Series, params: Mapping[str, Any], ctx: CheckContext) -> bool:
    """True when the kind passes every record of the column (as the check engine judges a verdict)."""
    try:
        ok = get_kind(kind_name).check(values, params, ctx)
    except Exception:
        return False
    return bool(ok.astype("boolean").fillna(True).all())
