"""`crm-audit fix`: the safe, deterministic fixes (auditor.fix.safe) applied to a copy of the export.

    result = auditor.pipeline.check("export/", rules_only(config))   # or: fix_export("export/", ...)
    report = apply_fixes(result, config, out="fixed/", apply=True)
    report.changes          # entity, record_id, file, row, field, before, after, rule_id, fix
    report.per_rule()       # {rule_id: changes}

The input is never written to. With `apply=False` (a dry run) only `out/changes.csv` is written. With
`apply=True` every file the export was loaded from is written to `out/` under the same name: CSV
files with only the fixed cells changed (auditor.fix.csv_patch) and no fixed cell a live formula
(auditor.fix.inert), XLSX and Parquet files re-written with the fixed cells (auditor.fix.formats),
files without fixes copied byte for byte. A CSV file that mixes encodings is refused, naming its
lines. Fixing inside JSON files or database tables is refused with a clear message (export them as
CSV first).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from auditor.checks.base import CheckContext
from auditor.checks.kinds import get_kind
from auditor.checks.packs import config_rules
from auditor.config import AuditConfig
from auditor.errors import ConfigError, InputError
from auditor.fix import csv_patch, formats
from auditor.fix.inert import inert
from auditor.fix.safe import cell_fixes, safe_mask
from auditor.io import atomic_open, write_csv
from auditor.model import ENTITIES
from auditor.result import AuditResult
from auditor.sources.table import record_ids
from auditor.sources.urls import is_database_url
from auditor.staging import claim, staged

__all__ = [
    "CHANGES_FILE",
    "CHANGE_COLUMNS",
    "LEVELS",
    "FixReport",
    "apply_fixes",
    "cell_fixes",
    "plan_fixes",
    "safe_mask",
]

CHANGE_COLUMNS = ("entity", "record_id", "file", "row", "field", "before", "after", "rule_id", "fix")
LEVELS = ("safe",)
CHANGES_FILE = "changes.csv"
CELL = ["entity", "file", "row", "field"]
FIX_LABELS = {
    "whitespace": "trim whitespace",
    "casing": "name case",
    "allowed": "allowed value's case",
    "currency": "ISO 4217 code case",
    "email": "e-mail lower case",
    "country": "country code case",
    "postal_code": "postal code format",
}


@dataclass
class FixReport:
    changes: pd.DataFrame
    """CHANGE_COLUMNS, one row per (cell, rule); a cell fixed for two rules has two rows in order"""
    applied: bool
    out: Path
    written: list[Path] = field(default_factory=list)
    skipped: int = 0
    """planned changes left out because the file's cell did not hold the loaded value"""

    def per_rule(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.changes["rule_id"].value_counts().sort_index().items()}


def refuse_bad_target(path: str | Path, out: str | Path, level: str) -> None:
    """A ConfigError for an unknown fix level or an `out` that is the export's own folder, an InputError
    for an `out` holding files a run did not write (checked before the export is audited)."""
    if level not in LEVELS:
        raise ConfigError(f"unknown fix level {level!r}; the only level is 'safe'", column="--apply")
    root = Path(path) if Path(path).is_dir() else Path(path).parent
    if Path(out).resolve() == root.resolve():
        raise ConfigError("--out must be a directory other than the input's", file=str(out))
    claim(Path(out), _ours(path))


def _ours(path: str | Path) -> tuple[str, ...]:
    """The names a fix run may write at the top of `out`: the change log and the export's own entries
    (its fixed copy keeps their names and folders)."""
    if is_database_url(str(path)):
        return (CHANGES_FILE,)
    export = Path(path)
    names = [p.name for p in export.iterdir()] if export.is_dir() else [export.name]
    return (CHANGES_FILE, *names)


def rules_only(config: AuditConfig) -> AuditConfig:
    """The config without duplicate detection: duplicates are never fixed here, so the audit that plans
    the fixes need not find them."""
    lighter = copy.copy(config)
    lighter.dedupe = None
    return lighter


def apply_fixes(
    result: AuditResult,
    config: AuditConfig,
    out: str | Path = "fixed",
    *,
    apply: bool = False,
    level: str = "safe",
) -> FixReport:
    """Plan the safe fixes of an audited export (`result`, from `check`) and write `out/changes.csv`; with
    `apply`, also the fixed copy of every file it was loaded from."""
    path = result.input
    refuse_bad_target(path, out, level)
    out = Path(out)
    changes = plan_fixes(result, config)
    targets = _targets(Path(path), result, out)
    changes, skipped, outputs = _patched(result, changes, targets, apply=apply)
    written = []
    # all or nothing, as an audit's --out: the run is written beside `out` and swapped in whole
    with staged(out) as stage:
        if apply:
            beside = config.path is not None and Path(config.path).parent.resolve() == Path(path).resolve()
            if beside and config.path is not None:  # the export's own crm-audit.yaml: the copy audits the same way
                outputs[out / Path(config.path).name] = Path(config.path).read_bytes()
            for target, data in outputs.items():
                with atomic_open(stage / target.relative_to(out), "wb") as handle:
                    handle.write(data)
                written.append(target)
        write_csv(changes, stage / CHANGES_FILE)
    return FixReport(changes=changes, applied=apply, out=out, written=written, skipped=skipped)


# --- planning -----------------------------------------------------------------------------------


def plan_fixes(result: AuditResult, config: AuditConfig) -> pd.DataFrame:
    """Every safe change for the audited export, in the order to apply them (CHANGE_COLUMNS)."""
    cells = _cell_index(result)
    finding_changes = _finding_changes(result, cells)
    standard = _standard_changes(result, config, cells, finding_changes)
    changes = pd.concat([finding_changes, standard], ignore_index=True)
    return changes[list(CHANGE_COLUMNS)].reset_index(drop=True)


def _cell_index(result: AuditResult) -> pd.DataFrame:
    """entity, file, row -> position in the loaded table and the record id."""
    parts = []
    for name, table in result.data.items():
        files = table.sources.astype(str).to_numpy() if table.sources is not None else table.source
        ids = record_ids(ENTITIES[name], table.frame, table.row_numbers) if name in ENTITIES else None
        parts.append(
            pd.DataFrame(
                {
                    "entity": name,
                    "file": files,
                    "row": table.row_numbers.astype("int64").to_numpy(),
                    "pos": np.arange(len(table.raw)),
                    "record_id": np.asarray(ids, dtype=object) if ids is not None else None,
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["entity", "file", "row", "pos"])


def _finding_changes(result: AuditResult, cells: pd.DataFrame) -> pd.DataFrame:
    kinds = {o.rule_id: o.kind for o in result.outcomes}
    f = result.findings.assign(kind=result.findings["rule_id"].map(kinds))
    f = f[safe_mask(f["kind"], f["value"], f["suggested_value"])]
    if not len(f):
        return pd.DataFrame(columns=list(CHANGE_COLUMNS))
    fixed = cell_fixes(f, CELL)
    rows = (
        f[[*CELL, "record_id", "rule_id", "kind"]]
        .merge(fixed, on=CELL)
        .merge(cells[["entity", "file", "row", "pos"]], on=["entity", "file", "row"])
    )
    rows["before"] = _raw_values(result, rows)
    rows = rows[rows["before"].notna().to_numpy(bool) & (rows["before"] != rows["fixed"]).to_numpy(bool)]
    return rows.assign(after=rows["fixed"], fix=rows["kind"].map(FIX_LABELS))[list(CHANGE_COLUMNS)]


def _raw_values(result: AuditResult, rows: pd.DataFrame) -> pd.Series:
    """The loaded text of each (entity, pos, field) cell; None where the field has no column."""
    out = pd.Series(None, index=rows.index, dtype="object")
    for (entity, name), group in rows.groupby(["entity", "field"], sort=False):
        raw = result.data[entity].raw
        if name in raw.columns:
            values = raw[name].astype("object").to_numpy()[group["pos"].to_numpy(np.int64)]
            out[group.index] = values
    return out.where(out.notna(), None)


def _standard_changes(
    result: AuditResult, config: AuditConfig, cells: pd.DataFrame, earlier: pd.DataFrame
) -> pd.DataFrame:
    """Passing values re-spelled in their standard form, for the rules whose kind has one
    (`RuleKind.standard`: phones in E.164, countries as ISO codes, e-mails in lower case)."""
    rules = config_rules(config)
    findings = result.findings
    parts = []
    for rule in rules:
        standard = get_kind(rule.kind).standard
        if standard is None or rule.entity not in result.data:
            continue
        table = result.data[rule.entity]
        positions = cells[cells["entity"] == rule.entity]
        for name in rule.fields:
            if name not in table.raw.columns:
                continue
            current = _current(table.raw[name], earlier, rule.entity, name, positions)
            failing = findings[
                (findings["entity"] == rule.entity) & (findings["rule_id"] == rule.id) & (findings["field"] == name)
            ]
            open_ = current.notna().to_numpy(bool) & ~_at(failing, positions, len(current))
            spelt = standard.spell(current, rule.params, _context(table, rule.entity, result, config))
            changed = open_ & spelt.notna().to_numpy(bool) & (spelt != current).fillna(False).to_numpy(bool)
            if not changed.any():
                continue
            pos = np.flatnonzero(changed)
            meta = positions.set_index("pos").loc[pos]
            parts.append(
                pd.DataFrame(
                    {
                        "entity": rule.entity,
                        "record_id": meta["record_id"].to_numpy(),
                        "file": meta["file"].to_numpy(),
                        "row": meta["row"].to_numpy(),
                        "field": name,
                        "before": current.to_numpy()[pos],
                        "after": spelt.to_numpy()[pos],
                        "rule_id": rule.id,
                        "fix": standard.label,
                    }
                )
            )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(CHANGE_COLUMNS))


def _current(raw: pd.Series, earlier: pd.DataFrame, entity: str, name: str, positions: pd.DataFrame) -> pd.Series:
    """The column's loaded text with the findings' fixes already planned for it applied."""
    values = raw.astype("object").reset_index(drop=True)
    done = earlier[(earlier["entity"] == entity) & (earlier["field"] == name)]
    if len(done):
        at = done.merge(positions[["file", "row", "pos"]], on=["file", "row"])
        values[at["pos"].to_numpy(np.int64)] = at["after"].to_numpy()
    return values.where(values.notna() & values.astype(str).str.strip().ne(""), None)


def _at(frame: pd.DataFrame, positions: pd.DataFrame, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    if len(frame):
        mask[frame[["file", "row"]].merge(positions[["file", "row", "pos"]], on=["file", "row"])["pos"]] = True
    return mask


def _context(table: Any, entity: str, result: AuditResult, config: AuditConfig) -> CheckContext:
    """What a kind's standard spelling may read: the row's other columns (a phone's country)."""
    return CheckContext(
        entity=ENTITIES[entity],
        frame=table.frame,
        raw=table.raw,
        tables={},
        as_of=result.as_of,
        default_region=config.default_region,
    )


# --- writing ------------------------------------------------------------------------------------


def _targets(path: Path, result: AuditResult, out: Path) -> dict[str, tuple[Any, Path]]:
    """Each source the export was loaded from (a file, or `book.xlsx#sheet`) -> (its table, where
    its file's fixed copy goes)."""
    root = path if path.is_dir() else path.parent
    targets: dict[str, tuple[Any, Path]] = {}
    for table in result.data.values():
        sources = dict.fromkeys(table.sources.astype(str)) if table.sources is not None else [table.source]
        for source in sources:
            file = Path(_file_of(source, table.format))
            try:
                relative = file.resolve().relative_to(root.resolve())
            except ValueError:
                relative = Path(file.name)
            target = out / relative
            if target.resolve() == file.resolve() or target.name == CHANGES_FILE:
                raise ConfigError("--out must be a directory other than the input's", file=str(out))
            targets[source] = (table, target)
    return targets


def _file_of(source: str, fmt: str) -> str:
    return source.rsplit("#", 1)[0] if fmt == "xlsx" and "#" in source and not Path(source).exists() else source


def _patched(
    result: AuditResult, changes: pd.DataFrame, targets: dict[str, tuple[Any, Path]], *, apply: bool
) -> tuple[pd.DataFrame, int, dict[Path, bytes]]:
    """Patch each file in memory; keep the changes whose cell held the loaded value. Sheets of one
    workbook patch the same bytes in turn."""
    keep = np.ones(len(changes), dtype=bool)
    outputs: dict[Path, bytes] = {}
    changes = changes.copy()
    for source, (table, target) in targets.items():
        at = (changes["file"] == source).to_numpy(bool)
        if table.format == "csv":  # XLSX cells are written as text and Parquet has no formulas
            changes.loc[at, "after"] = changes.loc[at, "after"].map(inert)
        mine = changes[at]
        if table.format not in PATCHERS:
            if apply:
                raise InputError(
                    f"fixes can be written into CSV, XLSX and Parquet files only, not {table.format}; export the "
                    "table as CSV first or run without --apply for the change log",
                    file=source,
                )
            continue
        file = _file_of(source, table.format)
        data = outputs.get(target) or Path(file).read_bytes()
        if mine.empty:
            outputs[target] = data
            continue
        column_of = {c.field: c.source_column for c in table.columns if c.field is not None}
        edits: dict[tuple[int, str], tuple[str, str]] = {}
        for (row, name), cell in mine.groupby(["row", "field"], sort=False):
            if name in column_of:
                edits[(int(row), column_of[name])] = (cell["before"].iloc[0], cell["after"].iloc[-1])
        outputs[target], done = PATCHERS[table.format](data, source, table, edits)
        ok = [(int(r), column_of.get(n, "")) in done for r, n in zip(mine["row"], mine["field"], strict=True)]
        keep[np.flatnonzero(at)[~np.array(ok, dtype=bool)]] = False
    return changes[keep].reset_index(drop=True), int((~keep).sum()), outputs


def _patch_csv(data: bytes, source: str, table: Any, edits: formats.Edits) -> tuple[bytes, set[tuple[int, str]]]:
    delimiter = table.delimiter or ","
    header = csv_patch.header(data, table.encoding, delimiter, source)
    index = {name: header.index(name) for _, name in edits if name in header}
    by_index = {(row, index[name]): values for (row, name), values in edits.items() if name in index}
    patched, done = csv_patch.patch(data, by_index, encoding=table.encoding, delimiter=delimiter, source=source)
    return patched, {(row, name) for (row, name) in edits if name in index and (row, index[name]) in done}


def _patch_xlsx(data: bytes, source: str, table: Any, edits: formats.Edits) -> tuple[bytes, set[tuple[int, str]]]:
    sheet = source.rsplit("#", 1)[1] if _file_of(source, "xlsx") != source else None
    return formats.patch_xlsx(data, sheet, edits)


def _patch_parquet(data: bytes, source: str, table: Any, edits: formats.Edits) -> tuple[bytes, set[tuple[int, str]]]:
    return formats.patch_parquet(data, edits)


PATCHERS: dict[str, Callable[[bytes, str, Any, formats.Edits], tuple[bytes, set[tuple[int, str]]]]] = {
    "csv": _patch_csv,
    "xlsx": _patch_xlsx,
    "parquet": _patch_parquet,
}
