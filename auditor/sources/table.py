"""The result types of loading an export: what was read, from where, and how each column was mapped."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from auditor.model import ENTITIES, Entity, ExtraField


def record_ids(entity: Entity, frame: pd.DataFrame, row_numbers: pd.Series) -> pd.Series:
    """Primary key as text; a record without one is named by its row (`row:17`). The one naming of a
    record that findings, scores, metrics, the worklist and the reports share."""
    if entity.primary_key not in frame.columns:
        return _by_row(row_numbers)
    ids = frame[entity.primary_key].astype("str")
    missing = frame[entity.primary_key].isna().to_numpy()
    if not missing.any():  # most tables: no row named by its number, none written as text (a million on a large one)
        return ids
    return ids.where(~missing, _by_row(row_numbers[missing]))


def _by_row(row_numbers: pd.Series) -> pd.Series:
    return "row:" + row_numbers.astype("int64").astype(str)


MAPPED_HOWS = ("explicit", "extra", "canonical", "alias")
"""`how` values (besides `preset:<crm>`) for a column that feeds a model field or a declared extra."""


@dataclass(frozen=True)
class ColumnMapping:
    source_column: str
    """Header as it appears in the file (after de-duplication: a second "Email" is "Email.1")."""
    field: str | None
    """Canonical field name, extra-field name, kept column name, or None when ignored."""
    how: str
    """explicit, extra, canonical, preset:<crm>, alias, kept or ignored."""
    confidence: float

    @property
    def is_field(self) -> bool:
        """True when the column feeds a model field or a declared extra (not merely kept or ignored)."""
        return self.field is not None and (self.how in MAPPED_HOWS or self.how.startswith("preset:"))


@dataclass(frozen=True)
class ValueMapping:
    """Enum values of one column that a value map translated to the model's values (in the typed frame only)."""

    source: str
    """The file (or table) the values came from."""
    source_column: str
    field: str
    by: str
    """The map that knew them: config, preset:<crm> or generic."""
    rows: int
    pairs: tuple[tuple[str, str, int], ...]
    """(value in the file, canonical value, rows), most rows first."""
    from_column: str | None = None
    """Set when another column decided the value (Pipedrive's "Deal - Status"); `pairs` then hold its values."""

    @property
    def note(self) -> str:
        shown = ", ".join(f"{v} -> {t}" for v, t, _ in self.pairs[:5]) + (", ..." if len(self.pairs) > 5 else "")
        how = f"set from {self.from_column!r}" if self.from_column else "mapped"
        values = "value" if self.rows == 1 else "values"
        return f"{self.source}: {self.source_column} -> {self.field}: {self.rows} {values} {how} by {self.by} ({shown})"

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "source_column": self.source_column,
            "field": self.field,
            "by": self.by,
            "rows": self.rows,
            "from_column": self.from_column,
            "pairs": [{"value": v, "canonical": t, "rows": n} for v, t, n in self.pairs],
        }


@dataclass(frozen=True)
class Detected:
    """How a file's entity and CRM were recognized."""

    confidence: float
    """0-1: 1.0 set in the config or the entity's own name, 0.95 a CRM's export file pattern, 0.9 a
    name containing the entity, 0.6 a close spelling, at most 0.8 by headers."""
    reason: str
    crm: str | None = None
    """salesforce, hubspot or pipedrive when headers only that CRM spells claim the file."""

    def as_dict(self) -> dict:
        return {"confidence": self.confidence, "reason": self.reason, "crm": self.crm}


@dataclass
class Table:
    entity: str
    source: str
    """The file (or `sqlite:///x.db#table`) the first row came from; see `sources` for concatenated files."""
    raw: pd.DataFrame
    frame: pd.DataFrame
    columns: tuple[ColumnMapping, ...]
    row_numbers: pd.Series
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sources: pd.Series | None = None
    """Source of each row when the table was concatenated from several files; None when there is one."""
    values: tuple[ValueMapping, ...] = ()
    """Enum values the value maps translated in `frame` (`raw` keeps the file's values)."""
    detection: Detected | None = None
    """Why this file (the first one, when concatenated) holds this entity, with what confidence, and its CRM."""
    read_as: pd.Series | None = None
    """Per row, the encoding it was read in when most of its file is in another (None for the others);
    None when every file of the table is in one encoding (`auditor.sources.raw.RawRead.read_as`)."""

    @property
    def missing_fields(self) -> tuple[str, ...]:
        mapped = {c.field for c in self.columns if c.is_field}
        return tuple(f.name for f in ENTITIES[self.entity].fields if f.required and f.name not in mapped)

    def source_of(self, index: object) -> str:
        """The file a row (by index label) came from."""
        return self.source if self.sources is None else str(self.sources.loc[index])


@dataclass
class SourceOptions:
    mapping: dict[str, dict[str, str | None]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    extra_fields: dict[str, dict[str, ExtraField]] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    dayfirst: bool | None = None
    chunk_size: int | None = None
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    """entity -> enum field -> {value in the export: canonical value}; consulted before the presets' maps."""
    latest: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    """entity -> (key column, time column or None): keep the latest row per key (`sources.latest`)."""
    formats: dict[str, dict[str, str]] = field(default_factory=dict)
    """entity -> date field -> the strftime format every value of it is written in (`formats:`)."""
    reference_files: tuple[str, ...] = ()
    """Files the config's `references:` reads: reference tables, never read as data of the export."""


@dataclass
class LoadedExport:
    tables: dict[str, Table]
    notes: list[str] = field(default_factory=list)

    def summary(self) -> list[dict]:
        return [
            {
                "entity": t.entity,
                "source": t.source if t.sources is None else ", ".join(dict.fromkeys(t.sources.astype(str))),
                "format": t.format,
                "rows": len(t.raw),
                "encoding": t.encoding,
                "delimiter": t.delimiter,
                "columns": [
                    {"source_column": c.source_column, "field": c.field, "how": c.how, "confidence": c.confidence}
                    for c in t.columns
                ],
                "values": [v.as_dict() for v in t.values],
                **({"detection": t.detection.as_dict()} if t.detection else {}),
            }
            for t in self.tables.values()
        ]
