"""The audit config file (YAML): sources, mapping, rule packs, thresholds, scoring.

    as_of: 2026-10-31          # "now" for future dates and staleness; default: today (UTC)
    default_region: PL         # phones and postcodes without a country
    rules: [rules/acme.yaml]   # packs applied after the core pack, relative to this file
    core_rules: true
    gate: {fail_under: 80, fail_on: error}
    scoring: {weights: {error: 0.5, warning: 0.2, info: 0.05}, entity_weights: {contacts: 2}}
    required: {contacts: [email, created_at]}   # columns the export must have (else a structural issue)
    sources:
      files: {"export-*.csv": contacts}
      tables: {crm_people: contacts}
      encoding: cp1250
      delimiter: ";"
      dayfirst: true
    mapping:
      contacts: {"Imię": first_name, "Notes": null}
    extra_fields:
      contacts:
        loyalty_tier: {role: enum, allowed: [gold, silver]}
    values:                    # enum values of the export -> the model's values (case-insensitive)
      opportunities: {stage: {"Verbal Yes": Negotiation, "Won": Closed Won}}
    formats:                   # date columns written in one strftime format
      contacts: {created_at: "%d/%m/%Y %H:%M"}
    currency: {base: PLN, rates: {EUR: 4.3}}   # money metrics (auditor/money.py)
    references:                # values that must exist in a reference table (see auditor/references.py)
      - {field: orders.product_code, table: products.csv, column: StockCode}

A directory given to `crm-audit check` that holds `crm-audit.yaml` uses it unless --config says otherwise.
"""

from __future__ import annotations

import codecs
import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from auditor.dedupe.settings import COMPARE_TYPES, DedupeSettings
from auditor.errors import ConfigError, did_you_mean, unknown_keys
from auditor.metrics.confidence import MetricsSettings
from auditor.metrics.language import compile_metrics
from auditor.model import ENTITIES, DType, ExtraField, Role
from auditor.money import Money, parse_money
from auditor.references import Reference, parse_references
from auditor.sources import SourceOptions
from auditor.yamlfile import compose_yaml, read_yaml

CONFIG_FILE_NAME = "crm-audit.yaml"
FAIL_ON = ("error", "warning", "never")
TOP_KEYS = {
    "as_of",
    "default_region",
    "rules",
    "core_rules",
    "gate",
    "scoring",
    "sources",
    "mapping",
    "extra_fields",
    "values",
    "dedupe",
    "metrics",
    "required",
    "references",
    "currency",
    "formats",
}
SOURCE_KEYS = {"files", "tables", "encoding", "delimiter", "dayfirst", "chunk_size", "latest"}
EXTRA_FIELD_KEYS = ("role", "type", "allowed", "compare")


@dataclass
class GateConfig:
    fail_under: float | None = None
    """Fail when the overall score is below this (0-100)."""
    fail_on: str = "error"
    """Fail when any finding has this severity or worse: error | warning | never."""


@dataclass
class AuditConfig:
    as_of: pd.Timestamp = field(default_factory=lambda: pd.Timestamp(dt.datetime.now(dt.UTC).date()))
    default_region: str = "US"
    rule_paths: list[Path] = field(default_factory=list)
    core_rules: bool = True
    gate: GateConfig = field(default_factory=GateConfig)
    weights: dict[str, float] | None = None
    entity_weights: dict[str, float] | None = None
    files: dict[str, str] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    dayfirst: bool | None = None
    chunk_size: int | None = None
    latest: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    """`sources.latest`: entity -> (key, time column) of an event log, the latest row per key kept."""
    mapping: dict[str, dict[str, str | None]] = field(default_factory=dict)
    extra_fields: dict[str, dict[str, ExtraField]] = field(default_factory=dict)
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    """entity -> enum field -> {value in the export: canonical value}; before the presets' value maps."""
    dedupe: Any = None
    """DedupeSettings (auditor.dedupe.settings) from the `dedupe:` section; None when `dedupe: false`."""
    metrics: dict[str, Any] | None = None
    """The `metrics:` section, parsed by the metrics stage (MetricsSettings.from_dict)."""
    defined_metrics: dict[str, Any] = field(default_factory=dict)
    """id -> auditor.metrics.Metric: the metrics of `metrics.define` and of the packs `metrics.packs`
    names (auditor/metrics/language.py), compiled and checked when the config is read."""
    required: dict[str, list[str]] = field(default_factory=dict)
    """entity -> fields the export must have: their absence is a structural issue that fails the gate.
    Any other field the export lacks is listed as absent and its rules are not evaluated."""
    formats: dict[str, dict[str, str]] = field(default_factory=dict)
    """entity -> date field -> its strftime format (`formats:`), instead of the inferred one."""
    money: Money = field(default_factory=Money)
    """`currency:`: the base currency metrics are in, the default currency, the rates (auditor.money)."""
    references: list[Reference] = field(default_factory=list)
    """`references:`: fields whose values must exist in a reference table (auditor.references)."""
    path: Path | None = None

    def __post_init__(self) -> None:
        if self.dedupe is None:
            self.dedupe = _dedupe_settings({}, self)

    def check_options(self) -> dict[str, Any]:
        """What the rule checks read from the config, whichever engine runs them (keyword arguments of
        `checks.engine.run_checks` and the Spark engine's `run_checks_spark`)."""
        return {"as_of": self.as_of, "default_region": self.default_region, "required": self.required}

    def source_options(self) -> Any:
        return SourceOptions(
            mapping=self.mapping,
            files=self.files,
            extra_fields=self.extra_fields,
            tables=self.tables,
            encoding=self.encoding,
            delimiter=self.delimiter,
            dayfirst=self.dayfirst,
            chunk_size=self.chunk_size,
            values=self.values,
            formats=self.formats,
            latest=self.latest,
            reference_files=tuple(str(r.table) for r in self.references if r.table is not None),
        )

    @property
    def extra_field_names(self) -> dict[str, list[str]]:
        return {entity: list(fields) for entity, fields in self.extra_fields.items()}


def _dedupe_settings(section: Any, config: AuditConfig) -> Any:
    """The `dedupe:` section as DedupeSettings, with the config's region and the comparison types of
    declared extra fields filled in where the section does not set them."""
    settings = DedupeSettings.from_dict(section or {})
    if "default_region" not in (section or {}):
        settings.default_region = config.default_region
    for entity, extras in config.extra_fields.items():
        for name, extra in extras.items():
            if extra.compare:
                settings.fields.setdefault(entity, {}).setdefault(name, extra.compare)
    return settings


_hint = did_you_mean


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The line of every key (and list item) of a YAML text, by its path: ("gate", "fail_on") -> 7."""
    root = compose_yaml(text)
    lines: dict[tuple[str, ...], int] = {}

    def walk(node: Any, at: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                here = (*at, str(key.value))
                lines.setdefault(here, key.start_mark.line + 1)
                walk(value, here)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                here = (*at, f"[{i}]")
                lines.setdefault(here, item.start_mark.line + 1)
                walk(item, here)

    walk(root, ())
    return lines


_PATH_PART = re.compile(r"\[\d+\]|[^.\[\]]+")


def _line_of(message: str, lines: Mapping[tuple[str, ...], int]) -> int | None:
    """The line a problem is about: its message starts with the dotted key path (`gate.fail_on: ...`,
    `dedupe.blocking.contacts[0]: ...`); the deepest part of that path the file has."""
    head = message.split(": ", 1)[0].strip("`")
    if " " in head or not head:
        return None
    path = tuple(_PATH_PART.findall(head))
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


class _Problems:
    """Every problem of a config, each with the line it is about, raised together as one ConfigError."""

    def __init__(self, path: Path, lines: Mapping[tuple[str, ...], int]) -> None:
        self.path, self.lines = path, lines
        self.found: list[tuple[int | None, str]] = []

    def __call__(self, message: str, at: tuple[str, ...] | None = None) -> None:
        line = None
        if at is not None:
            line = next((self.lines[at[:end]] for end in range(len(at), 0, -1) if at[:end] in self.lines), None)
        self.found.append((line if line is not None else _line_of(message, self.lines), message))

    def take(self, error: ConfigError) -> None:
        """The problems a section's own parser found (dedupe, metrics), each on its own line."""
        for message in error.problems:
            self(message)

    def raise_any(self) -> None:
        if not self.found:
            return
        if len(self.found) == 1:
            line, message = self.found[0]
            raise ConfigError(message, file=str(self.path), line=line)
        shown = [(f"line {line}: " if line else "") + message for line, message in sorted(self.found, key=_by_line)]
        raise ConfigError(
            f"{len(shown)} problems:\n  " + "\n  ".join(shown),
            file=str(self.path),
            problems=[message for _, message in self.found],
        )


def _by_line(problem: tuple[int | None, str]) -> int:
    return problem[0] if problem[0] is not None else 0


def _parse_values(
    values: Any, extras: Mapping[str, Mapping[str, ExtraField]], bad: Callable[[str], None]
) -> dict[str, dict[str, dict[str, str]]]:
    """`values: {entity: {enum field: {value in the export: allowed value}}}`, every problem reported."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        bad("values: expected entity -> enum field -> {value in the export: value of the model}")
        return {}
    parsed: dict[str, dict[str, dict[str, str]]] = {}
    for entity_name, fields in values.items():
        if entity_name not in ENTITIES:
            bad(f"values.{entity_name}: unknown entity{_hint(entity_name, ENTITIES)}")
            continue
        if not isinstance(fields, dict):
            bad(f"values.{entity_name}: expected enum fields -> {{value in the export: value of the model}}")
            continue
        entity = ENTITIES[entity_name]
        declared = extras.get(entity_name, {})
        enums = {f.name: f.allowed or () for f in entity.fields if f.role is Role.ENUM}
        enums |= {n: x.allowed for n, x in declared.items() if x.role is Role.ENUM and x.allowed}
        for field_name, pairs in fields.items():
            where = f"values.{entity_name}.{field_name}"
            if field_name not in enums:
                if entity.has_field(field_name) or field_name in declared:
                    bad(f"{where}: {field_name!r} is not an enum field (enum fields: {', '.join(enums)})")
                else:
                    known = [*entity.field_names, *declared]
                    bad(f"values.{entity_name}.{field_name}: unknown field{_hint(field_name, known)}")
                continue
            if not isinstance(pairs, dict):
                bad(f"{where}: expected {{value in the export: value of the model}}")
                continue
            allowed = enums[field_name]
            for value, target in pairs.items():
                if isinstance(value, bool) or value is None:
                    bad(f"{where}: quote the value {value!r} (YAML reads yes/no/on/off/null as non-strings)")
                elif target not in allowed:
                    bad(
                        f"{where}: {value!r} -> {target!r} is not an allowed value{_hint(str(target), allowed)};"
                        f" allowed: {', '.join(allowed)}"
                    )
            parsed.setdefault(entity_name, {})[field_name] = {
                str(k): str(v) for k, v in pairs.items() if not isinstance(k, bool) and k is not None
            }
    return parsed


def _parse_reading(sources: Mapping[str, Any], bad: Callable[[str], None]) -> tuple[Any, Any, Any, Any]:
    """`sources.encoding`, `delimiter`, `dayfirst` and `chunk_size`, each checked: a value the readers
    cannot use is an error here, not an internal error mid-read."""

    encoding, delimiter = sources.get("encoding"), sources.get("delimiter")
    dayfirst, chunk_size = sources.get("dayfirst"), sources.get("chunk_size")
    if encoding is not None:
        try:
            codecs.lookup(str(encoding))
        except LookupError:
            bad(f"sources.encoding: unknown encoding {encoding!r} (e.g. utf-8, cp1250, latin-1)")
            encoding = None
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        bad(f"sources.delimiter: one character, such as ';' or '\\t' (a tab), not {delimiter!r}")
        delimiter = None
    if dayfirst is not None and not isinstance(dayfirst, bool):
        bad(f"sources.dayfirst: true or false, not {dayfirst!r}")
        dayfirst = None
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1):
        bad(f"sources.chunk_size: a whole number of rows above 0, not {chunk_size!r}")
        chunk_size = None
    return encoding, delimiter, dayfirst, chunk_size


def _parse_required(
    required: Any, extras: Mapping[str, Mapping[str, ExtraField]], bad: Callable[[str], None]
) -> dict[str, list[str]]:
    """`required: {entity: [field, ...]}`: the columns an export must have, every problem reported."""
    if required is None:
        return {}
    if not isinstance(required, dict):
        bad("required: expected entity -> list of fields the export must have, e.g. {contacts: [email]}")
        return {}
    parsed: dict[str, list[str]] = {}
    for entity_name, fields in required.items():
        if entity_name not in ENTITIES:
            bad(f"required.{entity_name}: unknown entity{_hint(entity_name, ENTITIES)}")
            continue
        if isinstance(fields, str):
            fields = [fields]
        if not isinstance(fields, list):
            bad(f"required.{entity_name}: expected a list of fields")
            continue
        known = [*ENTITIES[entity_name].field_names, *extras.get(entity_name, {})]
        for name in fields:
            if name not in known:
                bad(f"required.{entity_name}: unknown field {name!r}{_hint(name, known)}")
        parsed[entity_name] = [str(f) for f in fields if f in known]
    return parsed


def find_config(path: str | Path) -> Path | None:
    """The config that belongs to an export directory, if it has one."""
    candidate = Path(path) / CONFIG_FILE_NAME
    return candidate if Path(path).is_dir() and candidate.is_file() else None


def load_config(path: str | Path | None) -> AuditConfig:
    if path is None:
        return AuditConfig()
    path = Path(path)
    data, text = read_yaml(path, "config file")
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError("the config must be a YAML mapping", file=str(path))
    return parse_config(data, path, _key_lines(text))


def _mapping(value: Any, where: str, what: str, bad: Callable[..., None]) -> dict:
    """A section that must be a mapping: {} (and a problem) when it is anything else."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        bad(f"{where}: expected {what}, not {type(value).__name__} {value!r}"[:200])
        return {}
    return value


def parse_config(
    data: Mapping[str, Any], path: Path, lines: Mapping[tuple[str, ...], int] | None = None
) -> AuditConfig:
    """The config from its parsed YAML: every problem of every section gathered into one
    ConfigError, each named by its key path and line (`lines`, from `_key_lines`) and, for an
    unknown key, the closest valid one."""
    bad = _Problems(path, lines or {})

    for key in data:
        if key not in TOP_KEYS:
            bad(f"{key}: unknown key{_hint(key, TOP_KEYS)}; valid keys: {', '.join(sorted(TOP_KEYS))}")
    config = AuditConfig(path=path)
    if data.get("as_of") is not None:
        try:
            as_of = pd.Timestamp(data["as_of"])
            if pd.isna(as_of) or isinstance(data["as_of"], bool | float):
                raise ValueError
            config.as_of = as_of.tz_localize(None).normalize()
        except (ValueError, TypeError, OverflowError):
            bad(f"as_of: {data['as_of']!r} is not a date (use YYYY-MM-DD)")
    if "default_region" in data:
        region = str(data["default_region"]).upper()
        import phonenumbers  # start-up time: its metadata loads only when a config names a region

        if region not in phonenumbers.SUPPORTED_REGIONS:
            bad(f"default_region: {data['default_region']!r} is not an ISO 3166 alpha-2 region (e.g. US, PL, GB)")
        config.default_region = region
    rules = data.get("rules") or []
    if isinstance(rules, str):
        rules = [rules]
    if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
        bad("rules: expected a list of rule pack paths")
        rules = []
    for i, rule_path in enumerate(rules):
        try:
            config.rule_paths.append((path.parent / rule_path).resolve())
        except (ValueError, OSError):
            bad(f"rules[{i}]: {rule_path!r} is not a file path")
    core_rules = data.get("core_rules", True)
    if not isinstance(core_rules, bool):
        bad(f"core_rules: true or false, not {core_rules!r}")
    config.core_rules = core_rules is not False

    gate = _mapping(data.get("gate"), "gate", "a mapping with fail_under and/or fail_on", bad)
    unknown_keys(gate, "gate", ("fail_under", "fail_on"), bad)
    if gate.get("fail_under") is not None:
        given = gate["fail_under"]
        try:
            score = float(given) if not isinstance(given, bool) else math.nan
        except (TypeError, ValueError):
            bad(f"gate.fail_under: {given!r} is not a number")
        else:
            if 0 <= score <= 100:
                config.gate.fail_under = score
            else:  # NaN too: a gate that nothing passes, or everything, is a typo
                bad(f"gate.fail_under: {given!r} is not a score from 0 to 100")
    if "fail_on" in gate:
        if gate["fail_on"] not in FAIL_ON:
            bad(f"gate.fail_on: {gate['fail_on']!r} is not one of {', '.join(FAIL_ON)}")
        else:
            config.gate.fail_on = gate["fail_on"]

    scoring = _mapping(data.get("scoring"), "scoring", "a mapping with weights and/or entity_weights", bad)
    unknown_keys(scoring, "scoring", ("weights", "entity_weights"), bad)
    if "weights" in scoring:
        weights = scoring["weights"]
        if (
            not isinstance(weights, dict)
            or set(weights) - {"error", "warning", "info"}
            or not all(_number(v) and 0 <= v <= 1 for v in weights.values())
        ):
            bad("scoring.weights: maps error/warning/info to numbers between 0 and 1")
        else:
            config.weights = {"error": 0.5, "warning": 0.2, "info": 0.05, **weights}
    if "entity_weights" in scoring:
        ew = scoring["entity_weights"]
        if not isinstance(ew, dict) or not all(
            k in ENTITIES and _number(v) and 0 <= v < math.inf for k, v in ew.items()
        ):
            bad(f"scoring.entity_weights: maps entity names ({', '.join(ENTITIES)}) to numbers of 0 or more")
        else:
            config.entity_weights = {k: float(v) for k, v in ew.items()}

    sources = _mapping(data.get("sources"), "sources", "a mapping", bad)
    unknown_keys(sources, "sources", SOURCE_KEYS, bad)
    for key in ("files", "tables"):
        value = _mapping(sources.get(key), f"sources.{key}", "{name or pattern: entity}", bad)
        for name, entity in value.items():
            if not isinstance(entity, str) or entity not in ENTITIES:
                bad(
                    f"sources.{key}: {name!r} maps to unknown entity {entity!r}{_hint(entity, ENTITIES)}",
                    (
                        "sources",
                        key,
                        str(name),
                    ),
                )
        setattr(config, key, {str(k): str(v) for k, v in value.items()})
    config.encoding, config.delimiter, config.dayfirst, config.chunk_size = _parse_reading(sources, bad)
    config.latest = _parse_latest(sources.get("latest"), bad)

    extras = _mapping(data.get("extra_fields"), "extra_fields", "entity -> {field: {role, allowed}}", bad)
    for entity_name, fields in extras.items():
        if entity_name not in ENTITIES:
            bad(f"extra_fields.{entity_name}: unknown entity{_hint(entity_name, ENTITIES)}")
            continue
        for name, spec in _mapping(fields, f"extra_fields.{entity_name}", "{field: {role, allowed}}", bad).items():
            where = ("extra_fields", entity_name, str(name))
            spec = _mapping(spec, ".".join(where), "{role, allowed, compare}", bad)
            unknown_keys(spec, ".".join(where), EXTRA_FIELD_KEYS, bad)
            role = spec.get("role", spec.get("type", "text"))
            try:
                role = Role(role)
            except ValueError:
                bad(f"{'.'.join(where)}: unknown role {role!r}{_hint(role, [r.value for r in Role])}", (*where, "role"))
                continue
            allowed = spec.get("allowed")
            if allowed is not None and not isinstance(allowed, list):
                bad(f"{'.'.join(where)}.allowed: expected a list of values", (*where, "allowed"))
                allowed = None
            compare = spec.get("compare")
            if compare is not None and compare not in COMPARE_TYPES:
                bad(
                    f"{'.'.join(where)}.compare: unknown comparison type {compare!r}{_hint(compare, COMPARE_TYPES)};"
                    f" one of {', '.join(COMPARE_TYPES)}",
                    (*where, "compare"),
                )
                compare = None
            config.extra_fields.setdefault(entity_name, {})[str(name)] = ExtraField(
                name=str(name),
                role=role,
                allowed=tuple(str(a) for a in allowed) if allowed else None,
                compare=compare,
            )

    mapping = _mapping(data.get("mapping"), "mapping", "entity -> {column of the export: field}", bad)
    for entity_name, columns in mapping.items():
        if entity_name not in ENTITIES:
            bad(f"mapping.{entity_name}: unknown entity{_hint(entity_name, ENTITIES)}")
            continue
        columns = _mapping(columns, f"mapping.{entity_name}", "{column of the export: field or null}", bad)
        known = set(ENTITIES[entity_name].field_names) | set(config.extra_fields.get(entity_name, {}))
        for header, target in columns.items():
            if target is not None and (not isinstance(target, str) or target not in known):
                bad(
                    f"mapping.{entity_name}: {header!r} -> unknown field {target!r}{_hint(target, known)}",
                    ("mapping", entity_name, str(header)),
                )
        config.mapping[entity_name] = {str(k): (None if v is None else str(v)) for k, v in columns.items()}

    config.values = _parse_values(data.get("values"), config.extra_fields, bad)
    config.required = _parse_required(data.get("required"), config.extra_fields, bad)
    config.references = parse_references(data.get("references"), path, bad, config.extra_field_names)

    section = data.get("dedupe", {})
    if section is False:
        config.dedupe = None
    else:
        try:
            config.dedupe = _dedupe_settings(section, config)
        except ConfigError as error:
            bad.take(error)
    config.metrics = _parse_metrics(data.get("metrics"), bad)
    config.defined_metrics = _parse_definitions(config.metrics, path, config.extra_fields, bad)
    config.money = parse_money(data.get("currency"), path, bad)
    config.formats = _parse_formats(data.get("formats"), config.extra_fields, bad)
    bad.raise_any()
    return config


def _parse_latest(section: Any, bad: _Problems) -> dict[str, tuple[str, str | None]]:
    """`sources.latest: {entity: {key: column, by: time column}}` (auditor.sources.latest)."""
    out: dict[str, tuple[str, str | None]] = {}
    for entity_name, spec in _mapping(section, "sources.latest", "entity -> {key: column, by: column}", bad).items():
        where = f"sources.latest.{entity_name}"
        if entity_name not in ENTITIES:
            bad(f"{where}: unknown entity{_hint(entity_name, ENTITIES)}")
            continue
        spec = _mapping(spec, where, "{key: column, by: time column}", bad)
        unknown_keys(spec, where, ("key", "by"), bad)
        key, by = spec.get("key"), spec.get("by")
        if not isinstance(key, str) or not key:
            bad(f"{where}.key: the column that names the record of each row, such as number or Id")
            continue
        if by is not None and not isinstance(by, str):
            bad(f"{where}.by: a column name, not {by!r}")
            continue
        out[str(entity_name)] = (key, by)
    return out


def _parse_formats(
    section: Any, extras: Mapping[str, Mapping[str, ExtraField]], bad: _Problems
) -> dict[str, dict[str, str]]:
    """`formats: {entity: {date field: strftime format}}`: dates the export writes in one format that
    inference would read otherwise (01/02/2026 day-first in a month-first column, 2026.032 ...)."""

    out: dict[str, dict[str, str]] = {}
    for entity_name, fields in _mapping(section, "formats", "entity -> {date field: format}", bad).items():
        if entity_name not in ENTITIES:
            bad(f"formats.{entity_name}: unknown entity{_hint(entity_name, ENTITIES)}")
            continue
        entity, declared = ENTITIES[entity_name], extras.get(entity_name, {})
        dates = [f.name for f in entity.fields if f.dtype in (DType.DATE, DType.DATETIME)]
        dates += [n for n, x in declared.items() if x.role in (Role.DATE, Role.DATETIME)]
        for name, fmt in _mapping(fields, f"formats.{entity_name}", "{date field: format}", bad).items():
            where = f"formats.{entity_name}.{name}"
            if name not in dates:
                bad(f"{where}: not a date field of {entity_name}{_hint(name, dates)}; date fields: {', '.join(dates)}")
                continue
            sample = dt.datetime(2001, 2, 3, 4, 5, 6)
            try:
                if not isinstance(fmt, str) or "%" not in fmt:
                    raise ValueError
                dt.datetime.strptime(sample.strftime(fmt), fmt)
            except (ValueError, TypeError):
                bad(f"{where}: {fmt!r} is not a date format such as '%d/%m/%Y', '%Y%m%d' or '%d %b %Y %H:%M'")
                continue
            out.setdefault(entity_name, {})[str(name)] = fmt
    return out


def _parse_metrics(section: Any, bad: _Problems) -> dict[str, Any] | None:
    """The `metrics:` section, kept as written for the metrics stage, but checked now: a typo in a
    threshold fails before a long audit, not after it."""

    if section is None:
        return None
    if not isinstance(section, dict):
        bad("metrics: expected a mapping of settings")
        return None
    try:
        MetricsSettings.from_dict(section)
    except ConfigError as error:
        bad.take(error)
    return section


def _parse_definitions(
    section: Mapping[str, Any] | None, path: Path, extras: Mapping[str, Mapping[str, ExtraField]], bad: _Problems
) -> dict[str, Any]:
    """`metrics.packs` (metric packs: YAML files of definitions, relative to the config) and
    `metrics.define`, compiled to Metrics (auditor.metrics.language): every problem named by its key
    path and line, in the config or in the pack."""
    # the language lives in the metrics stage; imported here (not at the top) to check the config early
    from auditor.metrics.language import compile_metrics

    if not section:
        return {}
    out: dict[str, Any] = {}
    packs = section.get("packs") or []
    if isinstance(packs, str):
        packs = [packs]
    if not isinstance(packs, list) or not all(isinstance(p, str) for p in packs):
        bad("metrics.packs: expected a list of metric pack paths, e.g. [metrics/retail.yaml]")
        packs = []
    for i, pack in enumerate(packs):
        try:
            out |= load_metric_pack((path.parent / pack).resolve(), extras, taken=out)
        except ConfigError as error:
            if error.file:
                raise
            bad(f"metrics.packs[{i}]: {error.message}")
    try:
        out |= compile_metrics(section.get("define"), extras, "metrics.define", taken=out)
    except ConfigError as error:
        bad.take(error)
    return out


def load_metric_pack(
    path: Path, extras: Mapping[str, Mapping[str, ExtraField]] | None = None, taken: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A metric pack: a YAML file with `metrics: {id: definition}` (README "Metrics"), compiled; a
    ConfigError naming the pack, the line and the key of every problem."""

    if not path.exists():  # named by the config's key that gives it (metrics.packs[i]), not as a file
        raise ConfigError(f"metric pack not found: {path}")
    data, text = read_yaml(path, "metric pack")
    data = {} if data is None else data
    problems = _Problems(path, _key_lines(text))
    if not isinstance(data, dict) or set(data) - {"metrics"}:
        problems("a metric pack is a mapping with one key, metrics: {id: definition}")
        problems.raise_any()
    try:
        out = compile_metrics(data.get("metrics"), extras or {}, "metrics", family=path.stem, taken=taken)
    except ConfigError as error:
        problems.take(error)
        out = {}
    problems.raise_any()
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def load_dedupe_config(path: str | Path | None) -> tuple[AuditConfig, DedupeSettings]:
    """The audit config at `path` (None: defaults) and the DedupeSettings of its `dedupe:` section
    (with the config's `default_region` and the extra fields' `compare` types filled in)."""
    config = load_config(path)
    return config, config.dedupe if config.dedupe is not None else DedupeSettings()
