"""`crm-audit init`: a commented starter config written from what the auditor detects in an export.

The file records every decision the loader made, so that a person can check and edit it: which
file holds which entity (and how sure the detection was), the column mapping as an explicit
`mapping:` section, the value maps applied as `values:`, an `as_of` and a `default_region` guessed
from the data, and a `gate:` block. Loading the written file with `load_config` gives the same
mapping the detection used.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from pathlib import Path

import pandas as pd

from auditor.checks.kinds._countries import resolve_country
from auditor.config import CONFIG_FILE_NAME
from auditor.errors import ConfigError
from auditor.io import write_text
from auditor.sources import LoadedExport, Table, load_export
from auditor.sources.sql_reader import display_url, is_database_url

_DATE_FIELDS = ("updated_at", "created_at", "occurred_at", "opened_at", "close_date", "responded_at", "ordered_at")


def _q(text: object) -> str:
    """A YAML scalar that reads back as this exact string (JSON strings are YAML)."""
    return json.dumps(str(text), ensure_ascii=False)


def default_output(path: str) -> Path:
    if is_database_url(path):
        return Path(CONFIG_FILE_NAME)
    given = Path(path)
    return (given if given.is_dir() else given.parent) / CONFIG_FILE_NAME


def guess_as_of(export: LoadedExport, today: dt.date | None = None) -> tuple[dt.date, str]:
    """The latest record date in the export (not after today): the export's own "now"."""
    today = today or dt.datetime.now(dt.UTC).date()
    latest: pd.Timestamp | None = None
    for table in export.tables.values():
        for name in _DATE_FIELDS:
            if name in table.frame.columns and pd.api.types.is_datetime64_any_dtype(table.frame[name].dtype):
                values = table.frame[name].dropna()
                values = values[values.dt.date <= today]
                if len(values) and (latest is None or values.max() > latest):
                    latest = values.max()
    if latest is None:
        return today, "today: the export has no record dates"
    return latest.date(), "the latest record date in the export; set the export's date if you know it"


def guess_region(export: LoadedExport) -> tuple[str | None, str]:
    """The most common country of the records, else of the phones' country codes."""
    import phonenumbers  # start-up time: its metadata loads only when a region is guessed

    countries: Counter[str] = Counter()
    for table in export.tables.values():
        if "country" in table.frame.columns:
            for value, count in table.frame["country"].dropna().astype(str).value_counts().items():
                code = resolve_country(value)
                if code:
                    countries[code] += int(count)
    if countries:
        code, count = countries.most_common(1)[0]
        return code, f"{count} of {sum(countries.values())} records with a country are in {code}"
    prefixes: Counter[str] = Counter()
    for table in export.tables.values():
        for name in ("phone", "mobile"):
            if name in table.frame.columns:
                for value in table.frame[name].dropna().astype(str):
                    text = value.strip()
                    if text.startswith(("+", "00")):
                        try:
                            number = phonenumbers.parse("+" + text.lstrip("+0") if text.startswith("00") else text)
                        except phonenumbers.NumberParseException:
                            continue
                        region = phonenumbers.region_code_for_country_code(number.country_code)
                        if region and region != "ZZ":
                            prefixes[region] += 1
    if prefixes:
        code, count = prefixes.most_common(1)[0]
        return code, f"{count} of {sum(prefixes.values())} international phone numbers are from {code}"
    return None, "no country or international phone number in the data"


def _source_key(source: str, root: Path | None) -> str:
    if "#" in source and is_database_url(source):
        return source.rsplit("#", 1)[1]
    if root is not None and root.is_dir():
        try:
            return Path(source).relative_to(root).as_posix()
        except ValueError:
            pass
    return Path(source).name


def _sources(table: Table) -> list[str]:
    if table.sources is None:
        return [table.source]
    return list(dict.fromkeys(table.sources.astype(str)))


def starter_config(path: str | os.PathLike, *, today: dt.date | None = None) -> str:
    """The starter config of the export at `path` (directory, file or SQLAlchemy URL), as YAML text."""
    given = os.fspath(path)
    export = load_export(given)
    database = is_database_url(given)
    root = None if database else Path(given)
    as_of, as_of_why = guess_as_of(export, today)
    region, region_why = guess_region(export)
    shown = display_url(given) if database else given
    lines = [
        f"# crm-audit.yaml: a starter config written by `crm-audit init` from {shown}",
        f"# on {dt.datetime.now(dt.UTC).date().isoformat()}. It records what the auditor detected: check every",
        "# line, fix what it guessed wrong, delete what you do not need. See README.md, 'The config file'.",
        "",
        f"as_of: {as_of.isoformat()}    # {as_of_why}",
        (f"default_region: {region}    # {region_why}" if region else f"# default_region: US    # {region_why}"),
        "",
        "gate:",
        "  fail_under: 80    # the audit fails below this overall hygiene score (0-100)",
        "  fail_on: error    # ...or on any finding this severe: error | warning | never",
        "",
        "sources:",
        f"  {'tables' if database else 'files'}:    # {'table' if database else 'file'} -> entity",
    ]
    for table in export.tables.values():
        detected = table.detection
        for source in _sources(table):
            key = _source_key(source, root)
            why = ""
            if detected is not None:
                why = f"    # {detected.reason}; confidence {detected.confidence:.2f}"
                why += f"; {detected.crm} export" if detected.crm else ""
            lines.append(f"    {_q(key)}: {table.entity}{why}")
    lines += ["", "mapping:    # entity -> {header: field}; null ignores a column"]
    for table in export.tables.values():
        lines.append(f"  {table.entity}:")
        seen: set[str] = set()
        fed = Counter(c.source_column for c in table.columns if c.is_field)
        for column in table.columns:
            if column.source_column in seen:
                continue
            if fed[column.source_column] > 1:
                # one header feeding two fields (a full name split, CreatedDate as opened_at and created_at):
                # `mapping:` takes one field per header, so this one is left to detection
                seen.add(column.source_column)
                targets = " and ".join(c.field or "" for c in table.columns if c.source_column == column.source_column)
                lines.append(f"    # {_q(column.source_column)} feeds {targets} ({column.how}; left to detection)")
                continue
            if column.how == "kept":
                lines.append(f"    # {_q(column.source_column)}: ?    # not mapped: kept as an extra column")
                continue
            seen.add(column.source_column)
            target = "null" if column.field is None else column.field
            how = f"{column.how}, confidence {column.confidence:.2f}"
            lines.append(f"    {_q(column.source_column)}: {target}    # {how}")
    value_lines: dict[str, dict[str, list[str]]] = {}
    for table in export.tables.values():
        for mapped in table.values:
            if mapped.from_column:
                value_lines.setdefault(table.entity, {}).setdefault(mapped.field, []).append(
                    f"      # {mapped.field} set from {mapped.from_column!r} by {mapped.by} (automatic)"
                )
                continue
            entries = value_lines.setdefault(table.entity, {}).setdefault(mapped.field, [])
            for value, canonical, rows in mapped.pairs:
                entry = f"      {_q(value)}: {_q(canonical)}    # {mapped.by}, {rows} row{'s' if rows != 1 else ''}"
                if not any(e.startswith(f"      {_q(value)}:") for e in entries):
                    entries.append(entry)
    if value_lines:
        lines += ["", "values:    # the export's picklist values -> the model's (applied while typing)"]
        for entity, fields in value_lines.items():
            lines.append(f"  {entity}:")
            for field, entries in fields.items():
                real = [e for e in entries if not e.lstrip().startswith("#")]
                lines.append(f"    {field}:" + ("" if real else " {}"))
                lines += entries
    return "\n".join(lines) + "\n"


def write_starter(
    path: str | os.PathLike, out: str | os.PathLike | None = None, *, force: bool = False, today: dt.date | None = None
) -> Path:
    """Write the starter config (default: `crm-audit.yaml` in the export directory); never overwrite
    an existing file unless `force`."""

    target = Path(out) if out is not None else default_output(os.fspath(path))
    if target.exists() and not force:
        raise ConfigError("already exists; use --force to overwrite it", file=str(target))
    text = starter_config(path, today=today)
    write_text(target, text)
    return target
