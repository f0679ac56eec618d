"""Enum value maps: a CRM's picklist values -> the model's canonical values, in the typed frame only.

Maps come from three places, most trusted first, and are consulted per value:
- the user's config (`values:`), for every file of the entity;
- the preset of the CRM the file's headers belong to (`values:` in presets/<crm>.yaml);
- generic English/Polish values (`values:` in presets/generic.yaml), for every file.
A value is matched ignoring case and surrounding (and repeated) spaces. A value no map knows
stays as it is, so the `allowed` rule reports it with its suggestion. The raw frame keeps what
the file says, so findings show the original value.

A preset may also let another column decide a field (`values_from:`): Pipedrive keeps a deal's
outcome in "Deal - Status" (open/won/lost) while "Deal - Stage" stays at the last pipeline
stage the deal reached, so a won or lost deal's stage becomes Closed Won or Closed Lost, and
an open deal's stage name is mapped as usual.

Everything works on unique values, never row by row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from auditor.errors import ConfigError
from auditor.model import ENTITIES, ExtraField, Role
from auditor.sources.aliases import header_key, preset_document
from auditor.sources.table import ColumnMapping, ValueMapping

USER = "config"
GENERIC = "generic"


def value_key(value: object) -> str:
    """How values are compared: "  closed   WON " == "Closed Won"."""
    return " ".join(str(value).split()).casefold()


@dataclass(frozen=True)
class ValuesFrom:
    """Another column that decides the field's value when it holds one of `values`."""

    column: str
    values: dict[str, str]
    """value key of the deciding column -> canonical value of the field."""


@dataclass(frozen=True)
class PresetValues:
    maps: dict[str, dict[str, dict[str, str]]]
    """entity -> field -> value key -> canonical value."""
    values_from: dict[str, dict[str, ValuesFrom]]
    """entity -> field -> the deciding column."""


def enum_allowed(entity_name: str, field_name: str, extras: Mapping[str, ExtraField] | None = None) -> tuple[str, ...]:
    """The allowed values of an enum field (or declared enum extra); () when it is not an enum."""
    entity = ENTITIES[entity_name]
    if entity.has_field(field_name):
        f = entity.field(field_name)
        return f.allowed or () if f.role is Role.ENUM else ()
    extra = (extras or {}).get(field_name)
    return extra.allowed or () if extra is not None and extra.role is Role.ENUM else ()


@cache
def preset_values(name: str) -> PresetValues:
    """The value maps of presets/<name>.yaml, checked against the model (a bad preset is a bug: ValueError)."""
    document = preset_document(name)
    maps: dict[str, dict[str, dict[str, str]]] = {}
    for entity_name, fields in (document.get("values") or {}).items():
        for field_name, pairs in fields.items():
            allowed = _checked_allowed(name, entity_name, field_name)
            table: dict[str, str] = {}
            for value, target in pairs.items():
                if target not in allowed:
                    raise ValueError(f"preset {name}: {entity_name}.{field_name}: {value!r} -> {target!r} not allowed")
                if isinstance(value, bool):
                    raise ValueError(f"preset {name}: {entity_name}.{field_name}: quote the value {value!r}")
                table[value_key(value)] = target
            maps.setdefault(entity_name, {})[field_name] = table
    values_from: dict[str, dict[str, ValuesFrom]] = {}
    for entity_name, fields in (document.get("values_from") or {}).items():
        for field_name, spec in fields.items():
            allowed = _checked_allowed(name, entity_name, field_name)
            if not set(spec["values"].values()) <= set(allowed):
                raise ValueError(f"preset {name}: values_from {entity_name}.{field_name}: a target is not allowed")
            values_from.setdefault(entity_name, {})[field_name] = ValuesFrom(
                column=str(spec["column"]), values={value_key(k): v for k, v in spec["values"].items()}
            )
    return PresetValues(maps=maps, values_from=values_from)


def _checked_allowed(preset: str, entity_name: str, field_name: str) -> tuple[str, ...]:
    if entity_name not in ENTITIES or not ENTITIES[entity_name].has_field(field_name):
        raise ValueError(f"preset {preset}: values for unknown field {entity_name}.{field_name}")
    allowed = enum_allowed(entity_name, field_name)
    if not allowed:
        raise ValueError(f"preset {preset}: values for {entity_name}.{field_name}, which is not an enum")
    return allowed


def check_user_values(
    values: Mapping[str, Mapping[str, Mapping[str, str]]], extras: Mapping[str, Mapping[str, ExtraField]]
) -> None:
    """ConfigError on the first value map that names no enum field or maps to a value it does not allow."""
    for entity_name, fields in values.items():
        if entity_name not in ENTITIES:
            continue  # reported with the other option entities
        for field_name, pairs in fields.items():
            allowed = enum_allowed(entity_name, field_name, extras.get(entity_name))
            if not allowed:
                raise ConfigError(f"values.{entity_name}: {field_name!r} is not an enum field of {entity_name}")
            wrong = [f"{k!r} -> {v!r}" for k, v in pairs.items() if v not in allowed]
            if wrong:
                raise ConfigError(
                    f"values.{entity_name}.{field_name}: {wrong[0]} is not an allowed value ({', '.join(allowed)})"
                )


def map_enum_values(
    entity_name: str,
    frame: pd.DataFrame,
    source_frame: pd.DataFrame,
    columns: Sequence[ColumnMapping],
    preset: str | None,
    user: Mapping[str, Mapping[str, str]],
    extras: Mapping[str, ExtraField],
    source: str,
) -> list[ValueMapping]:
    """Put canonical values into the enum columns of `frame` (in place); say what was translated by which map.

    `source_frame` is the file as read (original headers, same row order), for `values_from` columns.
    """
    found: list[ValueMapping] = []
    generic = preset_values(GENERIC).maps.get(entity_name, {})
    crm = preset_values(preset) if preset else None
    for column in columns:
        name = column.field
        if not column.is_field or name is None or name not in frame or not enum_allowed(entity_name, name, extras):
            continue
        maps: list[tuple[str, Mapping[str, str]]] = []
        if name in user:
            maps.append((USER, {value_key(k): v for k, v in user[name].items()}))
        if crm is not None and name in crm.maps.get(entity_name, {}):
            maps.append((f"preset:{preset}", crm.maps[entity_name][name]))
        if name in generic:
            maps.append((GENERIC, generic[name]))
        decider = crm.values_from.get(entity_name, {}).get(name) if crm is not None else None
        deciding = _column(source_frame, decider.column) if decider is not None else None
        if not maps and deciding is None:
            continue
        values = frame[name]
        result = values.copy()
        decided = pd.Series(False, index=values.index)
        if decider is not None and deciding is not None:
            header, by_column = deciding
            by_column = by_column.set_axis(values.index)
            targets = _translate(by_column, [(f"preset:{preset}", decider.values)])
            decided = targets["target"].notna()
            changed = decided & (targets["target"] != values)
            result[changed] = targets.loc[changed, "target"]
            found.extend(_summaries(source, column, by_column[changed], targets[changed], via=header))
        targets = _translate(values.where(~decided), maps)
        changed = targets["target"].notna() & (targets["target"] != values)
        result[changed] = targets.loc[changed, "target"]
        found.extend(_summaries(source, column, values[changed], targets[changed]))
        frame[name] = result.astype(values.dtype)
    return found


def _column(source_frame: pd.DataFrame, header: str) -> tuple[str, pd.Series] | None:
    key = header_key(header)
    for h in source_frame.columns:
        if header_key(str(h)) == key:
            column = source_frame[h].reset_index(drop=True)
            return str(h), column.astype("str").where(column.notna())
    return None


def _translate(values: pd.Series, maps: Sequence[tuple[str, Mapping[str, str]]]) -> pd.DataFrame:
    """Per row: the canonical value and the map that knew it (both NA when none did). Looks up unique values
    only, and spreads them over the rows by their codes (two `Series.map`s were a Python call per row)."""
    codes, uniques = pd.factorize(values)
    target = np.full(len(uniques) + 1, None, dtype=object)  # the last for a missing value (code -1)
    by = target.copy()
    for position, value in enumerate(uniques):
        key = value_key(value)
        for name, table in maps:
            if key in table:
                target[position], by[position] = table[key], name
                break
    return pd.DataFrame({"target": target[codes], "by": by[codes]}, index=values.index)


def _summaries(
    source: str, column: ColumnMapping, values: pd.Series, targets: pd.DataFrame, via: str | None = None
) -> list[ValueMapping]:
    """One ValueMapping per map that translated something: (file value, canonical value, rows), most rows first."""
    if values.empty:
        return []
    counts = (
        pd.DataFrame({"value": values.astype("object"), "target": targets["target"], "by": targets["by"]})
        .value_counts(sort=False)
        .reset_index(name="rows")
        .sort_values(["by", "rows", "value"], ascending=[True, False, True], kind="stable")
    )
    return [
        ValueMapping(
            source=source,
            source_column=column.source_column,
            field=str(column.field),
            by=str(by),
            rows=int(group["rows"].sum()),
            pairs=tuple(
                (str(v), str(t), int(n)) for v, t, n in zip(group["value"], group["target"], group["rows"], strict=True)
            ),
            from_column=via,
        )
        for by, group in counts.groupby("by", sort=False)
    ]
