"""Reference tables: values of a field that must exist in a table the export ships (config `references:`).

    references:
      - field: orders.product_code     # entity.field: a field of the model or a declared extra field
        table: products.csv            # a file, relative to the config file (any format the loaders read)
        column: StockCode              # its column that holds the reference values
        severity: warning              # optional: error | warning | info (default warning)
      - field: accounts.owner
        in: contacts.email             # instead of a file: every value of another loaded table's field

Each item becomes one rule, `<entity>.<field>.reference`, of the `reference` kind
(`auditor/checks/kinds/reference.py`). This module owns the section: it parses it (every problem reported
through `bad`, with the closest name on a typo) and reads a reference file once per process while the file
is unchanged. A file named here is a reference table, never data of the export (`SourceOptions.reference_files`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from auditor.errors import InputError, did_you_mean
from auditor.model import ENTITIES

ITEM_KEYS = ("field", "table", "column", "in", "severity")
SEVERITIES = ("error", "warning", "info")
RULE_SUFFIX = "reference"
_SHOWN_COLUMNS = 12


@dataclass(frozen=True)
class Reference:
    """One item of `references:`: `entity.field` must hold values of `table`'s `column`, or of `within`."""

    entity: str
    field: str
    table: Path | None = None
    """The reference file, resolved (None with `in:`)."""
    column: str | None = None
    within: str | None = None
    """`in:`: `entity.field` of another loaded table."""
    severity: str = "warning"

    @property
    def rule_id(self) -> str:
        return f"{self.entity}.{self.field}.{RULE_SUFFIX}"

    @property
    def params(self) -> dict[str, str]:
        """The parameters of its `reference` rule."""
        if self.within is not None:
            return {"in": self.within}
        return {"table": str(self.table), "column": str(self.column)}


_hint = did_you_mean


def _entity_field(
    text: Any, where: str, key: str, extra_fields: Mapping[str, Iterable[str]], bad: Callable[[str], None]
) -> tuple[str, str] | None:
    """`entity.field` of a known entity and one of its fields (model or declared extra), else None and why."""
    where = f"{where}.{key}"
    if not isinstance(text, str) or "." not in text:
        bad(f"{where}: {text!r} is not entity.field (such as orders.product_code)")
        return None
    entity_name, field_name = text.split(".", 1)
    if entity_name not in ENTITIES:
        bad(f"{where}: unknown entity {entity_name!r}{_hint(entity_name, ENTITIES)}")
        return None
    known = [*ENTITIES[entity_name].field_names, *extra_fields.get(entity_name, ())]
    if field_name not in known:
        bad(
            f"{where}: {entity_name} has no field {field_name!r}{_hint(field_name, known)}"
            " (a column of the export the model does not know is declared under extra_fields first)"
        )
        return None
    return entity_name, field_name


def parse_references(
    section: Any,
    config_path: Path,
    bad: Callable[[str], None],
    extra_fields: Mapping[str, Iterable[str]] | None = None,
) -> list[Reference]:
    """The `references:` section, every problem reported through `bad`. A file is resolved relative to the
    config file and its header read (to check `column`); `extra_fields` (entity -> declared names) are
    fields an item may name besides the model's. Each message starts with the key path it is about
    (`references[0].column: ...`), which the config's problems turn into a line of the file."""
    if section is None:
        return []
    extra_fields = extra_fields or {}
    if not isinstance(section, list):
        bad("references: expected a list of {field: entity.field, table: file, column: name} (or in: entity.field)")
        return []
    parsed: list[Reference] = []
    seen: set[str] = set()
    for number, item in enumerate(section):
        where = f"references[{number}]"
        if not isinstance(item, dict):
            bad(f"{where}: expected a mapping with field and table + column (or in), not {item!r}")
            continue
        for key in item:
            if key not in ITEM_KEYS:
                bad(f"{where}.{key}: unknown key{_hint(str(key), ITEM_KEYS)}; valid keys: {', '.join(ITEM_KEYS)}")
        severity = item.get("severity", "warning")
        if severity not in SEVERITIES:
            bad(f"{where}.severity: {severity!r} is not one of {', '.join(SEVERITIES)}")
        if "field" not in item:
            bad(f"{where}: missing `field` (entity.field, such as orders.product_code)")
            continue
        target = _entity_field(item["field"], where, "field", extra_fields, bad)
        has_file, has_in = "table" in item or "column" in item, "in" in item
        if has_file == has_in:
            bad(f"{where}: give either `table` and `column` (a file) or `in` (entity.field of another table)")
            continue
        origin: dict[str, Any] | None
        if has_in:
            source = _entity_field(item["in"], where, "in", extra_fields, bad)
            if source is not None and source == target:
                bad(f"{where}.in: {item['in']} is the field itself")
                continue
            origin = None if source is None else {"within": ".".join(source)}
        else:
            origin = _file_origin(item, where, config_path, bad)
        if target is None or origin is None or severity not in SEVERITIES:
            continue
        reference = Reference(target[0], target[1], severity=str(severity), **origin)
        if reference.rule_id in seen:
            bad(f"{where}.field: {item['field']} is listed twice; one reference table per field")
            continue
        seen.add(reference.rule_id)
        parsed.append(reference)
    return parsed


def _file_origin(
    item: Mapping[str, Any], where: str, config_path: Path, bad: Callable[[str], None]
) -> dict[str, Any] | None:
    """`table` (resolved) and `column` of a file reference, checked against the file's header."""
    table, column = item.get("table"), item.get("column")
    if not isinstance(table, str) or not table.strip():
        bad(f"{where}.table: expected the reference file, relative to the config file (such as products.csv)")
        return None
    if not isinstance(column, str) or not column:
        bad(f"{where}: missing `column`, the column of {table} that holds the reference values")
        return None
    path = (config_path.parent / table).resolve()
    if not path.is_file():
        bad(f"{where}.table: reference table {table!r} not found (looked for {path})")
        return None
    try:
        frame = read_reference(path)
    except InputError as error:
        bad(f"{where}.table: reference table {table!r} cannot be read: {error.message}")
        return None
    if column not in frame.columns:
        columns = [str(c) for c in frame.columns]
        shown = ", ".join(columns[:_SHOWN_COLUMNS]) + (", ..." if len(columns) > _SHOWN_COLUMNS else "")
        bad(f"{where}.column: {table} has no column {column!r}{_hint(column, columns)}; its columns: {shown}")
        return None
    if frame[column].isna().all():
        bad(f"{where}.column: column {column!r} of {table} has no values")
        return None
    return {"table": path, "column": column}


def read_reference(path: str | Path) -> pd.DataFrame:
    """The reference file as the export's readers read it (format by its suffix, encoding and delimiter
    detected): the file's headers, every cell a string or missing. Read once while the file is unchanged."""
    file = Path(path).resolve()
    try:
        stat = file.stat()
    except OSError:
        raise InputError("reference table not found", file=str(path)) from None
    return _read(str(file), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _read(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    # imported here: the readers pull in pyarrow's CSV and Excel support, which a config without
    # references never needs (start-up time of every command that loads a config)
    from auditor.sources.loader import read_file
    from auditor.sources.table import SourceOptions

    return read_file(Path(path), path, SourceOptions())[0].frame
