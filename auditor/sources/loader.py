"""load_export: find the data files (or tables), read them, decide their entity, map and type them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pandas as pd

from auditor.dtypes import as_text
from auditor.errors import ConfigError, InputError
from auditor.model import ENTITIES, DType, ExtraField, Field, entity
from auditor.sources.convert import (
    Ambiguity,
    convert,
    parse_dates_noting_order,
    parse_numbers,
    parse_with_format,
    whole_numbers,
)
from auditor.sources.csv_reader import read_csv
from auditor.sources.detect import Detection, detect_by_headers, detect_by_name
from auditor.sources.excel_reader import read_xlsx
from auditor.sources.files import data_stem, data_suffix
from auditor.sources.json_reader import read_json, read_jsonl
from auditor.sources.latest import latest_rows
from auditor.sources.mapping import map_columns, reject_implausible
from auditor.sources.parquet_reader import read_parquet
from auditor.sources.raw import RawRead, refuse_oversized
from auditor.sources.table import ColumnMapping, Detected, LoadedExport, SourceOptions, Table
from auditor.sources.urls import is_database_url
from auditor.sources.values import check_user_values, map_enum_values

Progress = Callable[[str, int, int], None]

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_NOT_DATA = {".yaml", ".yml", ".md"}
_NOT_DATA_DIRS = {"truth"}


def load_export(
    path: str | os.PathLike, options: SourceOptions | None = None, progress: Progress | None = None
) -> LoadedExport:
    """Read an export directory, a single file or a database URL into one Table per entity."""
    return _load(path, options or SourceOptions(), progress)[0]


def _load(
    path: str | os.PathLike, options: SourceOptions, progress: Progress | None, only: str | None = None
) -> tuple[LoadedExport, list[str]]:
    """`load_export`, and every entity found in the export. `only`: the one entity wanted; a table of
    another is read (its entity may be known only from its headers) but neither mapped nor typed, which
    is most of the time of loading an export (`dedupe --entity` loaded all eleven tables of acme)."""
    _check_options(options)
    given = os.fspath(path)
    notes: list[str] = []
    if is_database_url(given):
        reads: Iterable[RawRead] = _read_database(given, options, notes, progress)
        root = None
    else:
        root = Path(given)
        if not root.exists():
            raise InputError("no such file or directory", file=given)
        reads = _read_files(root, given, options, notes, progress)

    found: dict[str, None] = {}
    typed: list[tuple[list[str], Future[Table] | None]] = []  # per read, in order: its notes, its table being typed
    # A table is typed on a thread while the next file is read: reading is mostly Arrow's threads, typing mostly
    # this process's, so together they keep both CPUs busy (at a million contacts typing is 2.6 CPU s of the
    # load's 6.4). One thread: the tables are typed one at a time, in the order they were read.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="typing") as typing:
        try:
            for read in reads:
                own = list(read.notes)
                detection = _entity_of(read, root, options)
                if detection is None:
                    own.append(f"{read.source}: skipped, its name and headers match no CRM entity")
                else:
                    found[detection.entity] = None
                    own.append(
                        f"{read.source}: {detection.entity} ({detection.reason}; confidence {detection.confidence:.2f})"
                    )
                wanted = detection is not None and (only is None or detection.entity == only)
                typed.append((own, typing.submit(_table, read, detection, options, own) if wanted else None))
        except BaseException:
            # a file that cannot be read is the error met first, as when every file was read before any was typed
            typing.shutdown(cancel_futures=True)
            raise
    tables: dict[str, list[Table]] = {}
    for own, table_typed in typed:
        table = None if table_typed is None else table_typed.result()  # the first error in file order is raised
        notes.extend(own)
        if table is None:
            continue
        if table.raw.empty:
            notes.append(f"{table.source}: no data rows (header only)")
        tables.setdefault(table.entity, []).append(table)
    if not found:
        raise InputError(
            "no file or table maps to a CRM entity; name files like contacts.csv or set `sources.files`", file=given
        )
    merged = {e: _concat(parts, notes) for e, parts in tables.items()}
    for name, (key, by) in options.latest.items():
        if name in merged:
            merged[name] = latest_rows(merged[name], key, by, notes)
    return LoadedExport(tables=merged, notes=notes), list(found)


def one_file_as(options: SourceOptions, path: str | os.PathLike | None, entity_name: str) -> SourceOptions:
    """The options with the file at `path` read as `entity_name` (`--entity` of a command given one file);
    an InputError naming the closest entity when `entity_name` is none."""
    try:
        entity(entity_name)
    except KeyError as err:
        raise InputError(str(err.args[0])) from None
    if path is None:
        return options
    if not Path(path).is_file():
        raise InputError("--entity names the entity of one file, and this is not a file", file=os.fspath(path))
    return replace(options, files={**options.files, Path(path).name: entity_name})


def _check_options(options: SourceOptions) -> None:
    named = [
        *options.mapping,
        *options.extra_fields,
        *options.values,
        *options.files.values(),
        *options.tables.values(),
    ]
    for name in named:
        try:
            entity(name)
        except KeyError as err:
            raise ConfigError(str(err.args[0])) from None
    check_user_values(options.values, options.extra_fields)


def data_files(root: Path, options: SourceOptions, notes: list[str]) -> list[Path]:
    """The files of an export directory to read. With `sources.files`, exactly the files it names
    (file name or path relative to the export, globs allowed): every other file is listed as ignored and
    never opened, so that an answer key or a notes file lying beside the export changes nothing.
    Without it, every file of a data type, hidden files and `truth/` folders left out. A reference table
    (the config's `references:`) is never data, whatever `sources.files` matches."""
    files = []
    references = {Path(p).resolve() for p in options.reference_files}
    for file in sorted(root.rglob("*")):
        relative = file.relative_to(root)
        if any(part.startswith(".") or part in _NOT_DATA_DIRS for part in relative.parts) or not file.is_file():
            continue
        shown = os.path.join(root, relative)
        if references and file.resolve() in references:
            notes.append(f"{shown}: ignored, a reference table (config `references:`)")
        elif options.files:
            if any(_named(pattern, file, root) for pattern in options.files):
                files.append(file)
            elif file.suffix.lower() not in _NOT_DATA:
                notes.append(f"{shown}: ignored, not listed in sources.files")
        elif data_suffix(file) in FORMATS:
            files.append(file)
        elif file.suffix.lower() not in _NOT_DATA:
            notes.append(f"{shown}: skipped, not a data file type ({file.suffix or 'no suffix'})")
    for pattern in options.files:
        if not any(_named(pattern, file, root) for file in files):
            notes.append(f"{root}: nothing matches {pattern!r} of sources.files")
    return files


def _named(pattern: str, file: Path, root: Path) -> bool:
    candidates = {file.name, file.relative_to(root).as_posix()}
    return any(fnmatch(c, pattern) or fnmatch(c.lower(), pattern.lower()) for c in candidates)


def _read_files(
    root: Path, given: str, options: SourceOptions, notes: list[str], progress: Progress | None
) -> Iterator[RawRead]:
    """The export's reads, one file at a time (the caller types a table while the next file is read)."""
    files = data_files(root, options, notes) if root.is_dir() else [root]
    # a file found by looking through the folder that cannot be read is skipped with a note, unless its
    # name says it holds an entity; one the user named (the path itself, or sources.files) is an error
    found = root.is_dir() and not options.files
    for done, file in enumerate(files):
        source = os.path.join(given, file.relative_to(root)) if root.is_dir() else given
        if progress:
            progress(f"reading {source}", done, len(files))
        try:
            reads = read_file(file, source, options)
        except InputError as error:
            if not found or names_entity(data_stem(file)):
                raise
            notes.append(f"{source}: skipped, cannot be read ({error.message})")
            continue
        yield from reads
    if progress:
        progress("read all files", len(files), len(files))


def read_file(file: Path, source: str, options: SourceOptions) -> list[RawRead]:
    """What the readers make of one file (a workbook or JSON document may hold several tables)."""
    reads = _read_format(file, source, options)
    for read in reads:
        refuse_oversized(read)
    return reads


def _read_format(file: Path, source: str, options: SourceOptions) -> list[RawRead]:
    fmt = FORMATS.get(data_suffix(file), "csv")
    if fmt == "xlsx":
        return read_xlsx(file, source, names_entity)
    if fmt == "parquet":
        return [read_parquet(file, source)]
    if fmt == "json":
        return read_json(file, source, names_entity, options.encoding)
    if fmt == "jsonl":
        return [read_jsonl(file, source, options.encoding)]
    return [read_csv(file, source, options.encoding, options.delimiter)]


def _read_database(url: str, options: SourceOptions, notes: list[str], progress: Progress | None) -> list[RawRead]:
    from auditor.sources import sql_reader  # SQLAlchemy loads only for a database (start-up time)

    engine = sql_reader.connect(url)
    try:
        names = sql_reader.table_names(engine, url)
        # with sources.tables the user said which tables hold data; otherwise their names tell
        wanted = (
            [n for n in names if n in options.tables] if options.tables else [n for n in names if detect_by_name(n)]
        )
        shown = sql_reader.display_url(url)
        notes.extend(f"{shown}#{n}: skipped, its name matches no CRM entity" for n in names if n not in wanted)
        notes.extend(
            f"{shown}: table {n!r} from sources.tables does not exist" for n in options.tables if n not in names
        )
        reads = []
        for done, name in enumerate(wanted):
            report = _chunk_progress(progress, name, done, len(wanted)) if progress else None
            if progress:
                progress(f"reading table {name}", done, len(wanted))
            reads.append(sql_reader.read_table(engine, url, name, options.chunk_size, report))
            refuse_oversized(reads[-1])
        return reads
    finally:
        engine.dispose()


def _chunk_progress(progress: Progress, name: str, done: int, total: int) -> Callable[[int], None]:
    return lambda rows: progress(f"reading table {name}: {rows} rows", done, total)


def names_entity(name: str) -> bool:
    return detect_by_name(name) is not None


def _entity_of(read: RawRead, root: Path | None, options: SourceOptions) -> Detection | None:
    if read.format == "sql":
        table = read.source.rsplit("#", 1)[-1]
        if table in options.tables:
            return Detection(options.tables[table], 1.0, "set in sources.tables")
    else:
        for pattern, entity_name in options.files.items():
            if _matches(pattern, read, root):
                return Detection(entity_name, 1.0, f"set in sources.files ({pattern!r})")
    return detect_by_name(read.name) or detect_by_headers(
        list(read.frame.columns), options.mapping, options.extra_fields
    )


def _ambiguous(source: str, entity: str, name: str, ambiguity: Ambiguity) -> list[str]:
    """A note when a date column's day/month order was a guess: no value had a day above 12."""
    count, example, day_first = ambiguity
    if not count or example is None:
        return []
    sep = next((c for c in example if not c.isdigit()), "/")
    other = sep.join(("%m", "%d", "%Y") if day_first else ("%d", "%m", "%Y"))
    return [
        f"{source}: {name}: {count:,} dates such as {example!r} could be day-first or month-first; read"
        f" {'day' if day_first else 'month'}-first. If that is wrong, set sources.dayfirst, or"
        f" formats: {{{entity}: {{{name}: '{other}'}}}}"
    ]


def _matches(pattern: str, read: RawRead, root: Path | None) -> bool:
    source = read.source.split("#", 1)[0]
    candidates = {Path(source).name, read.name}
    if root is not None and root.is_dir():
        candidates.add(Path(source).relative_to(root).as_posix() if Path(source).is_relative_to(root) else source)
    return any(fnmatch(c, pattern) or fnmatch(c.lower(), pattern.lower()) for c in candidates)


def _table(read: RawRead, detection: Detection, options: SourceOptions, notes: list[str]) -> Table:
    entity_name = detection.entity
    extras = options.extra_fields.get(entity_name, {})
    mapped = map_columns(entity_name, list(read.frame.columns), read.source, options.mapping.get(entity_name), extras)
    reject_implausible(mapped, read.frame, entity_name, read.source)
    notes.extend(mapped.notes)
    if mapped.preset:
        notes.append(f"{read.source}: headers look like a {mapped.preset} export")
    applied = mapped.apply(read.frame).reset_index(drop=True)
    raw = applied.apply(as_text)
    frame = raw.copy()
    formats = options.formats.get(entity_name, {})
    fields = _typed_fields(raw, mapped.columns, entity_name, extras, formats)
    dated = _dates_noting_order(raw, read, fields, options)
    numbers = _numbers(raw, fields)
    for column in mapped.columns:
        if column.is_field and column.field in frame:
            dtype = _dtype(entity_name, column.field, extras)
            if column.field in formats:
                frame[column.field] = parse_with_format(raw[column.field], formats[column.field])
            elif dtype in (DType.DATE, DType.DATETIME) and options.dayfirst is None:
                typed, ambiguity = dated[column.field]
                frame[column.field] = typed
                notes.extend(_ambiguous(read.source, entity_name, column.field, ambiguity))
            elif column.field in numbers:
                frame[column.field] = numbers[column.field]
            elif dtype is not DType.STRING:
                frame[column.field] = convert(raw[column.field], dtype, options.dayfirst, read.excel_serials)
    values = map_enum_values(
        entity_name,
        frame,
        read.frame.reset_index(drop=True),
        mapped.columns,
        mapped.preset,
        options.values.get(entity_name, {}),
        extras,
        read.source,
    )
    notes.extend(v.note for v in values)
    missing = [f.name for f in ENTITIES[entity_name].fields if f.required and f.name not in raw]
    if missing:
        notes.append(f"{read.source}: no column for required field(s) {', '.join(missing)} of {entity_name}")
    return Table(
        entity=entity_name,
        source=read.source,
        raw=raw,
        frame=frame,
        columns=tuple(mapped.columns),
        row_numbers=pd.Series(np.asarray(read.row_numbers, dtype=np.int64), index=raw.index, name="row"),
        format=read.format,
        encoding=read.encoding,
        delimiter=read.delimiter,
        values=tuple(values),
        detection=Detected(detection.confidence, detection.reason, mapped.preset),
        read_as=None if read.read_as is None else pd.Series(read.read_as, index=raw.index, name="read_as"),
    )


def _dates_noting_order(
    raw: pd.DataFrame, read: RawRead, fields: Mapping[str, DType], options: SourceOptions
) -> dict[str, tuple[pd.Series, Ambiguity]]:
    """The typed column and day/month note of each date column `_table` reads without a format or `dayfirst`,
    the table's date columns read together (`parse_dates_noting_order`: each form once, not once per column)."""
    if options.dayfirst is not None:
        return {}
    names = [name for name, dtype in fields.items() if dtype in (DType.DATE, DType.DATETIME)]
    return dict(zip(names, parse_dates_noting_order([raw[name] for name in names], read.excel_serials), strict=True))


def _numbers(raw: pd.DataFrame, fields: Mapping[str, DType]) -> dict[str, pd.Series]:
    """The typed column of each number and integer column `_table` reads without a format, the table's plain
    numbers read together (`parse_numbers`)."""
    names = [name for name, dtype in fields.items() if dtype in (DType.NUMBER, DType.INTEGER)]
    numbers = parse_numbers([raw[name] for name in names])
    return {
        name: whole_numbers(number) if fields[name] is DType.INTEGER else number
        for name, number in zip(names, numbers, strict=True)
    }


def _typed_fields(
    raw: pd.DataFrame,
    columns: Sequence[ColumnMapping],
    entity_name: str,
    extras: dict[str, ExtraField],
    formats: Mapping[str, str],
) -> dict[str, DType]:
    """The type of each field of `raw` that `_table` types without a format, in the order of `columns`."""
    return {
        column.field: _dtype(entity_name, column.field, extras)
        for column in columns
        if column.is_field and column.field in raw and column.field not in formats
    }


def _dtype(entity_name: str, field_name: str, extras: dict[str, ExtraField]) -> DType:
    model = ENTITIES[entity_name]
    if model.has_field(field_name):
        return model.field(field_name).dtype
    extra = extras.get(field_name)
    # an explicit mapping to a name that is neither a field nor a declared extra stays a string
    return Field(field_name, extra.role).dtype if extra else DType.STRING


def _concat(parts: list[Table], notes: list[str]) -> Table:
    """Tables of one entity from several files, one after the other; `sources` says which row came from where."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    notes.append(f"{first.entity}: {len(parts)} sources concatenated ({', '.join(p.source for p in parts)})")
    columns: dict[tuple[str, str | None], ColumnMapping] = {}
    for part in parts:
        for c in part.columns:
            columns.setdefault((c.source_column, c.field), c)
    sources = pd.Series(np.repeat([p.source for p in parts], [len(p.raw) for p in parts]), name="source")
    return Table(
        entity=first.entity,
        source=first.source,
        raw=pd.concat([p.raw for p in parts], ignore_index=True),
        frame=pd.concat([p.frame for p in parts], ignore_index=True),
        columns=tuple(columns.values()),
        row_numbers=pd.concat([p.row_numbers for p in parts], ignore_index=True),
        format=first.format,
        encoding=first.encoding,
        delimiter=first.delimiter,
        sources=sources.astype("str"),
        values=tuple(v for p in parts for v in p.values),
        detection=first.detection,
        read_as=_concat_read_as(parts),
    )


def _concat_read_as(parts: list[Table]) -> pd.Series | None:
    if all(p.read_as is None for p in parts):
        return None
    each = [p.read_as if p.read_as is not None else pd.Series(None, index=p.raw.index, dtype=object) for p in parts]
    return pd.concat(each, ignore_index=True).rename("read_as")


def load_entity(path: str | os.PathLike, entity: str, options: SourceOptions) -> Table:
    """The table of one entity from an export (a single file is taken to hold that entity)."""
    # the entity is checked before anything is read; a single file is taken to hold it
    options = one_file_as(options, path if Path(os.fspath(path)).is_file() else None, entity)
    export, found = _load(path, options, None, only=entity)
    if entity not in export.tables:
        raise InputError(f"no {entity} table found (found: {', '.join(found) or 'none'})", file=str(path))
    return export.tables[entity]
