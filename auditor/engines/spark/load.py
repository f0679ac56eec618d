"""Export files as Spark DataFrames of raw strings, typed per partition by the pandas loader's own code.

Spark holds each table as the file's cells (all strings, columns `c0..cN` so that any header is a
legal name) plus the record's position in the export (`__pos`), its line (`__row`) and its file
(`__file`). What the pandas loader decides from headers alone (entity, column mapping) is decided once
on the driver; typing (dates, numbers, enum value maps) runs per partition through the same
`auditor.sources` code, so a partition becomes exactly the `Table` slice the pandas engine would hold.

Differences from the pandas reader, all at the edges: CSV is read by Spark's reader (splittable, one
record per line: a quoted value holding a line break is not supported, and `__row` counts records, not
physical lines, so blank lines in the middle of a file shift the reported line); the enum value
translations are applied but not summarised in the result's `tables` section; with no `dayfirst` in the
config, an ambiguous day/month order is decided per partition instead of per column.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType

from auditor.errors import ConfigError, InputError
from auditor.sources.delimiter import sniff_delimiter
from auditor.sources.detect import Detection
from auditor.sources.encoding import detect_encoding, mixed_encoding
from auditor.sources.files import COMPRESSIONS, data_stem, data_suffix
from auditor.sources.loader import FORMATS, _entity_of, _table, data_files, names_entity
from auditor.sources.raw import RawRead, dedupe_headers, empty_to_na
from auditor.sources.stringify import to_strings
from auditor.sources.table import SourceOptions, Table

POS = "__pos"
ROW = "__row"
FILE = "__file"
_SAMPLE = 1 << 16
_FORMATS = ("csv", "parquet")
# Spark decompresses these itself (by the file's suffix); the header is sniffed through the same codec.
_SPARK_COMPRESSIONS = {".gz": gzip.open, ".bz2": bz2.open}


@dataclass(frozen=True)
class RawFile:
    """One data file as the driver sees it: headers, entity and how Spark should read it."""

    path: Path
    source: str
    format: str
    headers: tuple[str, ...]
    detection: Detection
    encoding: str | None = None
    delimiter: str | None = None


@dataclass(frozen=True)
class TableSpec:
    """What it takes to type a partition of an entity's rows; small, so Spark ships it to every task."""

    entity: str
    files: tuple[RawFile, ...]
    options: SourceOptions

    @property
    def source(self) -> str:
        return self.files[0].source

    @property
    def headers(self) -> tuple[str, ...]:
        return self.files[0].headers

    def typed(self, rows: pd.DataFrame) -> Table:
        """The typed Table of some rows (a partition) of this entity, as `load_export` types them."""
        first = self.files[0]
        cells = rows[[f"c{i}" for i in range(len(self.headers))]].set_axis(list(self.headers), axis=1)
        read = RawRead(
            name=first.path.stem,
            source=first.source,
            # the CSV reader reads an empty cell as missing; Parquet keeps an empty string as a value
            frame=empty_to_na(cells.reset_index(drop=True)) if first.format == "csv" else cells.reset_index(drop=True),
            row_numbers=rows[ROW].to_numpy(dtype=np.int64),
            format=first.format,
            encoding=first.encoding,
            delimiter=first.delimiter,
        )
        table = _table(read, first.detection, self.options, [])
        if len(self.files) > 1:
            table.sources = pd.Series(rows[FILE].to_numpy(), name="source").astype("str")
        return table

    def typed_partition(self, batches: Iterator[pd.DataFrame]) -> tuple[pd.DataFrame, Table] | None:
        """A partition's Arrow batches as one frame of raw rows and its typed Table (None when empty):
        the pandas code sees the partition whole, as it sees a whole table."""
        frames = [b for b in batches if len(b)]
        if not frames:
            return None
        part = pd.concat(frames, ignore_index=True)
        return part, self.typed(part)

    def template(self) -> Table:
        """The table with no rows: its columns, mapping and source, for structural checks and outcomes."""
        empty = pd.DataFrame({**{f"c{i}": pd.Series(dtype="str") for i in range(len(self.headers))}})
        empty[ROW] = pd.Series(dtype="int64")
        empty[FILE] = pd.Series(dtype="str")
        return self.typed(empty)


@dataclass
class SparkTable:
    """One entity: its rows in Spark and how to type them."""

    spec: TableSpec
    rows: object
    """pyspark DataFrame: c0..cN (strings), __pos, __row, __file."""
    count: int

    @property
    def entity(self) -> str:
        return self.spec.entity

    @property
    def files(self) -> tuple[RawFile, ...]:
        return self.spec.files


def load_tables(spark, path: str | os.PathLike, options: SourceOptions, notes: list[str]) -> dict[str, SparkTable]:
    """One SparkTable per entity found under `path` (a directory or one CSV/Parquet file)."""
    root = Path(path)
    if not root.exists():
        raise InputError("no such file or directory", file=os.fspath(path))
    if options.latest:
        # the latest row of a key may sit in any partition: it needs a shuffle the partition-wise typing
        # does not do, so the Spark engine says so instead of keeping every row silently
        raise ConfigError(
            "sources.latest is not supported by the Spark engine yet; run the audit without --engine spark"
        )
    files = data_files(root, options, notes) if root.is_dir() else [root]
    # as the pandas loader: a file found by looking through the folder that cannot be read is skipped with
    # a note, unless its name says it holds an entity; one the user named is an error
    found = root.is_dir() and not options.files
    by_entity: dict[str, list[RawFile]] = {}
    for file in files:
        source = os.path.join(os.fspath(path), file.relative_to(root)) if root.is_dir() else os.fspath(path)
        try:
            raw = _describe(file, source, root, options, notes)
        except InputError as error:
            if not found or names_entity(data_stem(file)):
                raise
            notes.append(f"{source}: skipped, cannot be read ({error.message})")
            continue
        if raw is None:
            notes.append(f"{source}: skipped, its name and headers match no CRM entity")
            continue
        d = raw.detection
        notes.append(f"{source}: {d.entity} ({d.reason}; confidence {d.confidence:.2f})")
        by_entity.setdefault(d.entity, []).append(raw)
    if not by_entity:
        raise InputError(
            "no file maps to a CRM entity; name files like contacts.csv or set `sources.files`", file=os.fspath(path)
        )
    return {entity: _spark_table(spark, entity, parts, options) for entity, parts in by_entity.items()}


def _describe(file: Path, source: str, root: Path, options: SourceOptions, notes: list[str]) -> RawFile | None:
    fmt = FORMATS.get(data_suffix(file), "csv")
    if fmt not in _FORMATS:
        raise InputError(f"the spark engine reads CSV and Parquet files, not {fmt}", file=source)
    if file.suffix.lower() in COMPRESSIONS and (fmt != "csv" or file.suffix.lower() not in _SPARK_COMPRESSIONS):
        raise InputError(
            f"the spark engine reads CSV compressed with {' or '.join(_SPARK_COMPRESSIONS)}, not {file.suffix}",
            file=source,
        )
    encoding = delimiter = None
    if fmt == "parquet":
        header: list[str] = list(pq.read_schema(file).names)
    else:
        encoding, delimiter, header = _csv_header(file, source, options, notes)
    names, _ = dedupe_headers(header, source)
    probe = RawRead(data_stem(file), source, pd.DataFrame(columns=names), np.arange(0), fmt)
    detection = _entity_of(probe, root, options)
    if detection is None:
        return None
    return RawFile(file, source, fmt, tuple(names), detection, encoding, delimiter)


def _csv_header(file: Path, source: str, options: SourceOptions, notes: list[str]) -> tuple[str, str, list[str]]:
    opener = _SPARK_COMPRESSIONS.get(file.suffix.lower(), open)
    with opener(file, "rb") as handle:
        sample = handle.read(_SAMPLE)
    if len(sample) == _SAMPLE and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n") + 1]  # whole lines only, so no character is cut in two
    encoding = options.encoding or detect_encoding(sample, source)
    mixed = None if options.encoding or encoding == "utf-8" else mixed_encoding(sample)
    if mixed:
        # Spark decodes a file in one encoding; reading line by line would mean reading it in Python
        notes.append(
            f"{source}: mixed encodings ({mixed.odd()} in its first {_SAMPLE >> 10} KiB); the Spark engine reads"
            f" every line as {encoding}, so the letters of the others are misread. The pandas engine reads each"
            " line in its own encoding and reports the rows as findings"
        )
    text = sample.decode(encoding, errors="ignore").lstrip("\ufeff")
    if not text.strip():
        raise InputError("file has no header row (only blank lines)", file=source)
    delimiter = options.delimiter or ("\t" if data_suffix(file) == ".tsv" else sniff_delimiter(text))
    header = next(csv.reader(io.StringIO(text.lstrip("\r\n")), delimiter=delimiter))
    return encoding, delimiter, header


def _spark_table(spark, entity: str, files: list[RawFile], options: SourceOptions) -> SparkTable:
    first = files[0]
    for other in files[1:]:
        if other.headers != first.headers:
            raise InputError(
                f"the spark engine reads the {entity} files as one table, so their headers must match"
                f" those of {first.source}",
                file=other.source,
            )
    offset = 0
    parts = []
    for file in files:
        rows, n = (_read_parquet if file.format == "parquet" else _read_csv)(spark, file, offset)
        parts.append(rows)
        offset += n
    rows = parts[0]
    for part in parts[1:]:
        rows = rows.unionByName(part)
    return SparkTable(TableSpec(entity, tuple(files), options), rows, offset)


def _raw_schema(headers: tuple[str, ...]):
    return StructType(
        [StructField(f"c{i}", StringType()) for i in range(len(headers))]
        + [StructField(POS, LongType()), StructField(ROW, LongType()), StructField(FILE, StringType())]
    )


def _read_csv(spark, file: RawFile, offset: int):
    """Spark's CSV reader, numbered: a record's position is its partition's offset plus its place in it."""

    schema = StructType([StructField(f"c{i}", StringType()) for i in range(len(file.headers))])
    cells = spark.read.csv(
        str(file.path),
        schema=schema,
        header=True,
        sep=file.delimiter,
        encoding="utf-8" if file.encoding in ("utf-8-sig", "utf8") else file.encoding,
        quote='"',
        escape='"',
        mode="PERMISSIVE",
    )
    numbered, n, _ = number_rows(cells, offset, POS)
    if not n:
        return _empty(spark, file), 0
    return numbered.withColumn(ROW, F.col(POS) - offset + 2).withColumn(FILE, F.lit(file.source)), n


def number_rows(frame, offset: int, column: str) -> tuple[object, int, object]:
    """`frame` with `column` = `offset` + the row's place in it (partitions in their order, rows in their
    order within each: a file's lines, a sorted frame's order), its number of rows, and the cache the
    places were counted on (they hold only as long as it does: unpersist it when done with them)."""

    numbered = frame.withColumn("__pid", F.spark_partition_id()).withColumn("__mid", F.monotonically_increasing_id())
    numbered = numbered.cache()
    counts = sorted((r["__pid"], r["count"]) for r in numbered.groupBy("__pid").count().collect())
    starts, total = [], offset
    for pid, n in counts:
        starts.append((pid, total))
        total += n
    first = frame.sparkSession.createDataFrame(starts, "__pid int, __start long")
    # monotonically_increasing_id puts the partition id in the upper 31 bits and the place in the lower 33
    place = F.col("__start") + (F.col("__mid") - F.shiftleft(F.col("__pid").cast("long"), 33))
    rows = numbered.join(F.broadcast(first), "__pid").withColumn(column, place).drop("__pid", "__mid", "__start")
    return rows, total - offset, numbered


def _read_parquet(spark, file: RawFile, offset: int):
    """Spark schedules the row groups; each task reads its own with pyarrow and stringifies them like the
    pandas reader does, so typed Parquet columns (dates, decimals, nullable integers) give the same text."""

    meta = pq.ParquetFile(file.path).metadata
    groups, start = [], offset
    for g in range(meta.num_row_groups):
        groups.append((str(file.path), g, start, file.source))
        start += meta.row_group(g).num_rows
    if not groups:
        return _empty(spark, file), 0
    tasks = spark.createDataFrame(groups, "path string, rg int, start long, source string")
    tasks = tasks.repartition(min(len(groups), spark.sparkContext.defaultParallelism * 4))
    width = len(file.headers)
    return tasks.mapInPandas(lambda it: _read_row_groups(it, width, offset), schema=_raw_schema(file.headers)), (
        start - offset
    )


def _read_row_groups(tasks: Iterator[pd.DataFrame], width: int, offset: int) -> Iterator[pd.DataFrame]:
    for batch in tasks:
        for task in batch.itertuples(index=False):
            group = pq.ParquetFile(task.path).read_row_group(task.rg)
            cells = to_strings(group.to_pandas())
            cells.columns = [f"c{i}" for i in range(width)]
            n = len(cells)
            cells[POS] = np.arange(task.start, task.start + n, dtype=np.int64)
            cells[ROW] = cells[POS] - offset + 1
            cells[FILE] = task.source
            yield cells


def _empty(spark, file: RawFile):
    return spark.createDataFrame([], _raw_schema(file.headers))
