"""CSV/TSV exports: detect encoding and delimiter, read every value as a string with pyarrow."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from auditor.errors import InputError
from auditor.sources.binary import reject_binary
from auditor.sources.csv_header import read_header, sniff_sample
from auditor.sources.csv_lines import line_of, row_numbers
from auditor.sources.delimiter import sniff_delimiter
from auditor.sources.encoding import decode, detect_encoding, mixed_encoding
from auditor.sources.files import data_stem, data_suffix, read_bytes, reason
from auditor.sources.raw import RawRead, dedupe_headers, empty_to_na, mark_read_as, rows_of_lines

_UTF8 = ("utf-8", "utf-8-sig", "utf8", "utf_8")
_MAX_LISTED = 5
_BLOCK = 1 << 20
_MAX_BLOCK = (1 << 31) - 1
"""pyarrow reads a record only whole inside one block; a longer one (a value of megabytes) is read again
with blocks four times larger, up to what pyarrow takes (2 GiB)."""


def read_csv(path: Path, source: str, encoding: str | None = None, delimiter: str | None = None) -> RawRead:
    data = read_bytes(path, source)
    forced = encoding is not None
    encoding = encoding or detect_encoding(data, source)
    # a file detect_encoding decoded as UTF-8 cannot mix; a given encoding is taken at its word
    mixed = None if forced or encoding == "utf-8" else mixed_encoding(data)
    payload = mixed.text.encode("utf-8") if mixed else _utf8_payload(data, encoding, source, validate=forced)
    reject_binary(payload, source)
    sample = sniff_sample(payload)
    if not sample.strip():
        raise InputError("file has no header row (only blank lines)", file=source)
    if delimiter is None:
        delimiter = "\t" if data_suffix(path) == ".tsv" else sniff_delimiter(sample)
    header = read_header(payload, delimiter, source)
    names, notes = dedupe_headers(header.fields, source)
    if mixed:
        notes.append(f"{source}: {mixed.describe()}")
        encoding = mixed.encoding

    table, long_rows, short_rows = _parse(payload, header.end, names, delimiter, source)
    if long_rows:
        expected, actual, text = long_rows[0]
        raise InputError(
            f"row has {actual} fields but the header has {expected} (an unquoted {_describe(delimiter)} in a value?);"
            f" {len(long_rows)} such row(s)",
            file=source,
            line=line_of(payload, text),
        )
    if short_rows:
        frame = _read_padded(payload, header.end, names, delimiter, source)
        lines = ", ".join(str(line_of(payload, text)) for _, _, text in short_rows[:_MAX_LISTED])
        notes.append(
            f"{source}: {len(short_rows)} row(s) have fewer fields than the header (lines {lines}"
            f"{', ...' if len(short_rows) > _MAX_LISTED else ''}); their missing trailing values are read as empty"
        )
        rows = row_numbers(payload, header.end, frame, None)
    else:
        frame = table.to_pandas()
        rows = row_numbers(payload, header.end, frame, table)
    return RawRead(
        name=data_stem(path),
        source=source,
        frame=frame,
        row_numbers=rows,
        format="csv",
        encoding="utf-8-sig" if encoding in _UTF8 and data.startswith(b"\xef\xbb\xbf") else encoding,
        delimiter=delimiter,
        notes=notes,
        read_as=mark_read_as(len(rows), rows_of_lines(mixed.odd_lines, rows), mixed.odd_encoding) if mixed else None,
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


def _parse(payload: bytes, start: int, names: list[str], delimiter: str, source: str) -> tuple[pa.Table, list, list]:
    """The records after the header (`payload[start:]`, not copied), every value a string."""
    bad: list[tuple[int, int, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        try:
            text = row.text
        except UnicodeDecodeError:  # pyarrow cuts a long row's text, maybe inside a character
            text = ""
        bad.append((row.expected_columns, row.actual_columns, text))
        return "skip"

    body = pa.py_buffer(payload).slice(start)
    if not body.size:  # header only, without a final line break: nothing for pyarrow to read
        return pa.table({name: pa.array([], pa.large_string()) for name in names}), [], []
    block = _BLOCK
    while True:
        bad.clear()
        try:
            table = pacsv.read_csv(
                pa.BufferReader(body),
                read_options=pacsv.ReadOptions(column_names=names, block_size=block),
                # a newline can only sit inside a quoted value; without quotes pyarrow may split blocks anywhere
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter, newlines_in_values=b'"' in payload, invalid_row_handler=on_invalid
                ),
                convert_options=pacsv.ConvertOptions(
                    # large text, as pandas holds it: text read as `string` was copied column by column into it
                    # (0.05-0.3 CPU s and a second copy of the text in memory for a million contacts)
                    column_types=dict.fromkeys(names, pa.large_string()),
                    null_values=[""],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                ),
            )
            break
        except pa.ArrowInvalid as err:
            if "straddl" in str(err) and block < min(body.size, _MAX_BLOCK):
                block = min(block * 4, _MAX_BLOCK)
                continue
            raise InputError(f"cannot parse CSV ({reason(err)})", file=source) from None
    long_rows = [b for b in bad if b[1] > b[0]]
    short_rows = [b for b in bad if b[1] < b[0]]
    return table, long_rows, short_rows


def _read_padded(payload: bytes, start: int, names: list[str], delimiter: str, source: str) -> pd.DataFrame:
    """The C parser pads short rows with empty values, which pyarrow refuses to do."""
    try:
        frame = pd.read_csv(
            io.BytesIO(payload[start:]),
            sep=delimiter,
            header=None,
            names=names,
            dtype=str,
            keep_default_na=False,
            na_values=[],
            index_col=False,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as err:
        raise InputError(f"cannot parse CSV: {reason(err)}", file=source) from None
    return empty_to_na(frame)


def _describe(delimiter: str) -> str:
    return {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(delimiter, repr(delimiter))
