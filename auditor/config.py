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

A directory given to `crm-audit check` that holds `crm-audit.yaml` uses it unless --config says otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from auditor.errors import ConfigError
from auditor.model import ENTITIES, ExtraField, Role

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
}
SOURCE_KEYS = {"files", "tables", "encoding", "delimiter", "dayfirst", "chunk_size"}


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
    mapping: dict[str, dict[str, str | None]] = field(default_factory=dict)
    extra_fields: dict[str, dict[str, ExtraField]] = field(default_factory=dict)
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    """entity -> enum field -> {value in the export: canonical value}; before the presets' value maps."""
    dedupe: Any = None
    """DedupeSettings (auditor.dedupe.settings) from the `dedupe:` section; None when `dedupe: false`."""
    metrics: dict[str, Any] | None = None
    """The `metrics:` section, parsed by the metrics stage (MetricsSettings.from_dict)."""
    required: dict[str, list[str]] = field(default_factory=dict)
    """entity -> fields the export must have: their absence is a structural issue that fails the gate.
    Any other field the export lacks is listed as absent and its rules are not evaluated."""
    path: Path | None = None

    def __post_init__(self) -> None:
        if self.dedupe is None:
            self.dedupe = _dedupe_settings({}, self)

    def source_options(self) -> Any:
        from auditor.sources import SourceOptions

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
        )

    @property
    def extra_field_names(self) -> dict[str, list[str]]:
        return {entity: list(fields) for entity, fields in self.extra_fields.items()}


def _dedupe_settings(section: Any, config: AuditConfig) -> Any:
    """The `dedupe:` section as DedupeSettings, with the config's region and the comparison types of
    declared extra fields filled in where the section does not set them."""
    from auditor.dedupe.settings import DedupeSettings

    settings = DedupeSettings.from_dict(section or {})
    if "default_region" not in (section or {}):
        settings.default_region = config.default_region
    for entity, extras in config.extra_fields.items():
        for name, extra in extras.items():
            if extra.compare:
                settings.fields.setdefault(entity, {}).setdefault(name, extra.compare)
    return settings


def _hint(name: str, choices: Any) -> str:
    close = get_close_matches(str(name), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _parse_values(
    values: Any, extras: Mapping[str, Mapping[str, ExtraField]], bad: Callable[[str], None]
) -> dict[str, dict[str, dict[str, str]]]:
    """`values: {entity: {enum field: {value in the export: allowed value}}}`, every problem reported."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        bad("`values` maps entity -> enum field -> {value in the export: value of the model}")
        return {}
    parsed: dict[str, dict[str, dict[str, str]]] = {}
    for entity_name, fields in values.items():
        if entity_name not in ENTITIES:
            bad(f"values: unknown entity {entity_name!r}{_hint(entity_name, ENTITIES)}")
            continue
        if not isinstance(fields, dict):
            bad(f"values.{entity_name} maps enum fields to {{value in the export: value of the model}}")
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
                    bad(f"values.{entity_name}: unknown field {field_name!r}{_hint(field_name, known)}")
                continue
            if not isinstance(pairs, dict):
                bad(f"{where} maps values in the export to values of the model")
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
    import codecs

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
        bad("`required` maps entity -> list of fields the export must have, e.g. {contacts: [email]}")
        return {}
    parsed: dict[str, list[str]] = {}
    for entity_name, fields in required.items():
        if entity_name not in ENTITIES:
            bad(f"required: unknown entity {entity_name!r}{_hint(entity_name, ENTITIES)}")
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
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError("config file not found", file=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}", file=str(path), line=mark.line + 1 if mark else None
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config: {exc}", file=str(path)) from None
    if not isinstance(data, dict):
        raise ConfigError("the config must be a YAML mapping", file=str(path))
    return parse_config(data, path)


def parse_config(data: Mapping[str, Any], path: Path) -> AuditConfig:
    problems: list[str] = []

    def bad(message: str) -> None:
        problems.append(message)

    for key in data:
        if key not in TOP_KEYS:
            bad(f"unknown key {key!r}{_hint(key, TOP_KEYS)}")
    config = AuditConfig(path=path)
    if "as_of" in data:
        try:
            config.as_of = pd.Timestamp(data["as_of"]).tz_localize(None).normalize()
        except (ValueError, TypeError):
            bad(f"as_of {data['as_of']!r} is not a date (use YYYY-MM-DD)")
    if "default_region" in data:
        region = str(data["default_region"]).upper()
        import phonenumbers

        if region not in phonenumbers.SUPPORTED_REGIONS:
            bad(f"default_region {data['default_region']!r} is not an ISO 3166 alpha-2 region")
        config.default_region = region
    rules = data.get("rules", [])
    if isinstance(rules, str):
        rules = [rules]
    if not isinstance(rules, list):
        bad("`rules` must be a list of rule pack paths")
        rules = []
    config.rule_paths = [(path.parent / str(r)).resolve() for r in rules]
    config.core_rules = bool(data.get("core_rules", True))

    gate = data.get("gate") or {}
    if not isinstance(gate, dict):
        bad("`gate` must be a mapping with fail_under and/or fail_on")
        gate = {}
    for key in gate:
        if key not in ("fail_under", "fail_on"):
            bad(f"unknown gate key {key!r}{_hint(key, ('fail_under', 'fail_on'))}")
    if gate.get("fail_under") is not None:
        try:
            config.gate.fail_under = float(gate["fail_under"])
        except (TypeError, ValueError):
            bad(f"gate.fail_under {gate['fail_under']!r} is not a number")
    if "fail_on" in gate:
        if gate["fail_on"] not in FAIL_ON:
            bad(f"gate.fail_on must be one of {', '.join(FAIL_ON)}")
        else:
            config.gate.fail_on = gate["fail_on"]

    scoring = data.get("scoring") or {}
    if isinstance(scoring, dict):
        if "weights" in scoring:
            weights = scoring["weights"]
            if (
                not isinstance(weights, dict)
                or set(weights) - {"error", "warning", "info"}
                or not all(isinstance(v, int | float) and 0 <= v <= 1 for v in weights.values())
            ):
                bad("scoring.weights maps error/warning/info to numbers between 0 and 1")
            else:
                config.weights = {"error": 0.5, "warning": 0.2, "info": 0.05, **weights}
        if "entity_weights" in scoring:
            ew = scoring["entity_weights"]
            if not isinstance(ew, dict) or not all(k in ENTITIES for k in ew):
                bad(f"scoring.entity_weights maps entity names ({', '.join(ENTITIES)}) to numbers")
            else:
                config.entity_weights = {k: float(v) for k, v in ew.items()}

    sources = data.get("sources") or {}
    if not isinstance(sources, dict):
        bad("`sources` must be a mapping")
        sources = {}
    for key in sources:
        if key not in SOURCE_KEYS:
            bad(f"unknown sources key {key!r}{_hint(key, SOURCE_KEYS)}")
    for key in ("files", "tables"):
        value = sources.get(key) or {}
        for name, entity in value.items() if isinstance(value, dict) else ():
            if entity not in ENTITIES:
                bad(f"sources.{key}: {name!r} maps to unknown entity {entity!r}{_hint(entity, ENTITIES)}")
        setattr(config, key, {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {})
    config.encoding, config.delimiter, config.dayfirst, config.chunk_size = _parse_reading(sources, bad)

    extras = data.get("extra_fields") or {}
    for entity_name, fields in extras.items() if isinstance(extras, dict) else ():
        if entity_name not in ENTITIES:
            bad(f"extra_fields: unknown entity {entity_name!r}{_hint(entity_name, ENTITIES)}")
            continue
        for name, spec in (fields or {}).items():
            spec = spec or {}
            role = spec.get("role", spec.get("type", "text"))
            try:
                role = Role(role)
            except ValueError:
                bad(f"extra_fields.{entity_name}.{name}: unknown role {role!r}{_hint(role, [r.value for r in Role])}")
                continue
            allowed = spec.get("allowed")
            config.extra_fields.setdefault(entity_name, {})[name] = ExtraField(
                name=name,
                role=role,
                allowed=tuple(str(a) for a in allowed) if allowed else None,
                compare=spec.get("compare"),
            )

    mapping = data.get("mapping") or {}
    for entity_name, columns in mapping.items() if isinstance(mapping, dict) else ():
        if entity_name not in ENTITIES:
            bad(f"mapping: unknown entity {entity_name!r}{_hint(entity_name, ENTITIES)}")
            continue
        known = set(ENTITIES[entity_name].field_names) | set(config.extra_fields.get(entity_name, {}))
        for header, target in (columns or {}).items():
            if target is not None and target not in known:
                bad(f"mapping.{entity_name}: {header!r} -> unknown field {target!r}{_hint(target, known)}")
        config.mapping[entity_name] = {str(k): (None if v is None else str(v)) for k, v in (columns or {}).items()}

    config.values = _parse_values(data.get("values"), config.extra_fields, bad)
    config.required = _parse_required(data.get("required"), config.extra_fields, bad)

    section = data.get("dedupe", {})
    if section is False:
        config.dedupe = None
    else:
        try:
            config.dedupe = _dedupe_settings(section, config)
        except ConfigError as error:
            bad(error.message)
    metrics = data.get("metrics")
    if metrics is not None and not isinstance(metrics, dict):
        bad("`metrics` must be a mapping of settings")
    config.metrics = metrics

    if problems:
        raise ConfigError(
            problems[0] if len(problems) == 1 else f"{len(problems)} problems:\n  " + "\n  ".join(problems),
            file=str(path),
        )
    return config
