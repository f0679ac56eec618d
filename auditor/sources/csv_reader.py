"""CSV/TSV exports: detect encoding and delimiter, read every value as a string with pyarrow."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from auditor.errors import InputError
from auditor.sources.delimiter import sniff_delimiter
from auditor.sources.encoding import decode, detect_encoding, mixed_encoding
from auditor.sources.files import data_stem, data_suffix, read_bytes
from auditor.sources.raw import RawRead, dedupe_headers, empty_to_na

_SAMPLE = 1 << 16
_UTF8 = ("utf-8", "utf-8-sig", "utf8", "utf_8")
_MAX_LISTED = 5


def read_csv(path: Path, source: str, encoding: str | None = None, delimiter: str | None = None) -> RawRead:
    data = read_bytes(path, source)
    forced = encoding is not None
    encoding = encoding or detect_encoding(data, source)
    # a file detect_encoding decoded as UTF-8 cannot mix; a given encoding is taken at its word
    mixed = None if forced or encoding == "utf-8" else mixed_encoding(data)
    payload = mixed.text.encode("utf-8") if mixed else _utf8_payload(data, encoding, source, validate=forced)
    sample = payload[:_SAMPLE].decode("utf-8", errors="ignore")
    if not sample.strip():
        raise InputError("file has no header row (only blank lines)", file=source)
    if delimiter is None:
        delimiter = "\t" if data_suffix(path) == ".tsv" else sniff_delimiter(sample)
    header = next(csv.reader(io.StringIO(sample.lstrip("\r\n")), delimiter=delimiter))
    names, notes = dedupe_headers(header, source)
    if mixed:
        notes.append(f"{source}: {mixed.describe()}")
        encoding = mixed.encoding

    table, long_rows, short_rows = _parse(payload, names, delimiter)
    if long_rows:
        expected, actual, text = long_rows[0]
        raise InputError(
            f"row has {actual} fields but the header has {expected} (an unquoted {_describe(delimiter)} in a value?);"
            f" {len(long_rows)} such row(s)",
            file=source,
            line=_line_of(payload, text),
        )
    if short_rows:
        frame = _read_padded(payload, names, delimiter, source)
        lines = ", ".join(str(_line_of(payload, text)) for _, _, text in short_rows[:_MAX_LISTED])
        notes.append(
            f"{source}: {len(short_rows)} row(s) have fewer fields than the header (lines {lines}"
            f"{', ...' if len(short_rows) > _MAX_LISTED else ''}); their missing trailing values are read as empty"
        )
        rows = _row_numbers(payload, frame, None)
    else:
        frame = table.to_pandas()
        rows = _row_numbers(payload, frame, table)
    return RawRead(
        name=data_stem(path),
        source=source,
        frame=frame,
        row_numbers=rows,
        format="csv",
        encoding="utf-8-sig" if encoding in _UTF8 and data.startswith(b"\xef\xbb\xbf") else encoding,
        delimiter=delimiter,
        notes=notes,
    )


def _utf8_payload(data: bytes, encoding: str, source: str, validate: bool) -> bytes:
    """The file as UTF-8 bytes without a BOM, which is what pyarrow parses."""
    if encoding.lower().replace("_", "-") in _UTF8:
        if encoding == "utf-8-sig" or data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        if validate:  # detection has already decoded it strictly
            decode(data, "utf-8", source)
        return data
    return decode(data, encoding, source).lstrip("\ufeff").encode("utf-8")


def _parse(payload: bytes, names: list[str], delimiter: str) -> tuple[pa.Table, list, list]:
    bad: list[tuple[int, int, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append((row.expected_columns, row.actual_columns, row.text))
        return "skip"

    table = pacsv.read_csv(
        io.BytesIO(payload),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
        # a newline can only sit inside a quoted value; without quotes pyarrow may split blocks anywhere
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=b'"' in payload, invalid_row_handler=on_invalid
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    long_rows = [b for b in bad if b[1] > b[0]]
    short_rows = [b for b in bad if b[1] < b[0]]
    return table, long_rows, short_rows


def _read_padded(payload: bytes, names: list[str], delimiter: str, source: str) -> pd.DataFrame:
    """The C parser pads short rows with empty values, which pyarrow refuses to do."""
    try:
        frame = pd.read_csv(
            io.BytesIO(payload),
            sep=delimiter,
            header=0,
            names=names,
            dtype=str,
            keep_default_na=False,
            na_values=[],
            index_col=False,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as err:
        raise InputError(f"cannot parse CSV: {str(err).strip()}", file=source) from None
    return empty_to_na(frame)


def _line_of(payload: bytes, row_text: str) -> int | None:
    at = payload.find(row_text.encode("utf-8"))
    return payload.count(b"\n", 0, at) + 1 if at >= 0 else None


def _row_numbers(payload: bytes, frame: pd.DataFrame, table: pa.Table | None) -> np.ndarray:
    """File line of each record: header is line 1; blank lines and newlines inside quoted values counted."""
    n = len(frame)
    embedded = _embedded_newlines(frame, table) if b'"' in payload else None
    if embedded is None or not embedded.any():
        starts = _nonblank_lines(payload)
        if len(starts) == n + 1:
            return starts[1:]
        return np.arange(2, n + 2)
    consumed = 1 + embedded
    return 2 + np.concatenate(([0], np.cumsum(consumed)[:-1]))


def _embedded_newlines(frame: pd.DataFrame, table: pa.Table | None) -> np.ndarray:
    total = np.zeros(len(frame), dtype=np.int64)
    if table is not None:
        for column in table.columns:
            total += pc.fill_null(pc.count_substring(column, "\n"), 0).to_numpy(zero_copy_only=False)
        return total
    for name in frame.columns:
        total += frame[name].str.count("\n").fillna(0).to_numpy(dtype=np.int64)
    return total


def _nonblank_lines(payload: bytes) -> np.ndarray:
    """1-based numbers of the lines holding something, valid when no value spans lines."""
    if b"\n\n" not in payload and b"\n\r\n" not in payload and not payload.startswith((b"\n", b"\r\n")):
        return np.arange(1, payload.count(b"\n") + 1 + (not payload.endswith(b"\n")))
    buf = np.frombuffer(payload, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    if not payload.endswith(b"\n"):
        ends = np.append(ends, len(buf))
    starts = np.concatenate(([0], ends[:-1] + 1))
    length = ends - starts
    cr_only = (length == 1) & (buf[np.minimum(starts, len(buf) - 1)] == 13)
    return np.flatnonzero((length > 0) & ~cr_only) + 1


def _describe(delimiter: str) -> str:
    return {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(delimiter, repr(delimiter))
