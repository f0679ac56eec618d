"""JSON (an array of records, or {"entity": [records], ...}) and JSON Lines files."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from auditor.errors import InputError
from auditor.sources.encoding import MixedEncoding, decode, detect_encoding, mixed_encoding
from auditor.sources.files import data_stem, read_bytes
from auditor.sources.json_spans import Spans, array_spans, member_spans, records_of_lines
from auditor.sources.raw import RawRead, dedupe_headers, mark_read_as, rows_of_lines
from auditor.sources.stringify import to_strings

_TOO_DEEP = "JSON nested deeper than it can be read (a record's values are flat: text, numbers, dates)"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
"""an escape of a UTF-16 surrogate: a pair of them is one character, a lone one is none"""
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def read_json(
    path: Path, source: str, names_entity: Callable[[str], bool], encoding: str | None = None
) -> list[RawRead]:
    text, mixed = _text(path, source, encoding)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"invalid JSON: {err.msg} (column {err.colno})", file=source, line=err.lineno) from None
    except RecursionError:
        raise InputError(_TOO_DEEP, file=source) from None
    escaped = _SURROGATE_ESCAPE.search(text) is not None
    if isinstance(document, list):
        reads = [_records(document, data_stem(path), source, "json", np.arange(1, len(document) + 1), escaped)]
        return _mark(reads, lambda: [array_spans(text)], mixed, source)
    if isinstance(document, dict):
        lists = {k: v for k, v in document.items() if isinstance(v, list)}
        named = {k: v for k, v in lists.items() if names_entity(k)}
        if named:
            reads = [
                _records(v, k, f"{source}#{k}", "json", np.arange(1, len(v) + 1), escaped) for k, v in named.items()
            ]
        elif len(lists) == 1:
            named = lists
            (records,) = lists.values()
            reads = [_records(records, data_stem(path), source, "json", np.arange(1, len(records) + 1), escaped)]
        if named:
            return _mark(reads, lambda: [member_spans(text)[k] for k in named], mixed, source)
    raise InputError("expected a JSON array of records or an object of entity name -> array of records", file=source)


def read_jsonl(path: Path, source: str, encoding: str | None = None) -> RawRead:
    text, mixed = _text(path, source, encoding)
    lines = text.splitlines()
    numbers = [n for n, line in enumerate(lines, start=1) if line.strip()]
    records = []
    for n in numbers:
        try:
            records.append(json.loads(lines[n - 1]))
        except json.JSONDecodeError as err:
            raise InputError(f"invalid JSON: {err.msg} (column {err.colno})", file=source, line=n) from None
        except RecursionError:
            raise InputError(_TOO_DEEP, file=source, line=n) from None
    escaped = _SURROGATE_ESCAPE.search(text) is not None
    read = _records(records, data_stem(path), source, "jsonl", np.asarray(numbers, dtype=np.int64), escaped)
    if mixed:
        read.notes.append(f"{source}: {mixed.describe()}")
        read.encoding = mixed.encoding
        read.read_as = mark_read_as(len(numbers), rows_of_lines(mixed.odd_lines, read.row_numbers), mixed.odd_encoding)
    return read


def _text(path: Path, source: str, encoding: str | None) -> tuple[str, MixedEncoding | None]:
    """The file's text, and how its lines were read when they mix UTF-8 with a single-byte encoding
    (each line in its own, never valid UTF-8 as mojibake); a given encoding is taken at its word."""
    data = read_bytes(path, source)
    detected = encoding or detect_encoding(data, source)
    mixed = None if encoding is not None or detected == "utf-8" else mixed_encoding(data)
    if mixed:
        return mixed.text, mixed
    return decode(data, detected, source).lstrip("\ufeff"), None


def _mark(
    reads: list[RawRead], spans: Callable[[], list[Spans]], mixed: MixedEncoding | None, source: str
) -> list[RawRead]:
    """Note a file of mixed encodings once, and mark each table's records read in the other encoding;
    `spans`: the lines of each table's records (walked only then)."""
    if mixed is None:
        return reads
    reads[0].notes.append(f"{source}: {mixed.describe()}")
    for read, span in zip(reads, spans(), strict=True):
        read.encoding = mixed.encoding
        read.read_as = mark_read_as(len(read.frame), records_of_lines(mixed.odd_lines, span), mixed.odd_encoding)
    return reads


def _records(records: list, name: str, source: str, fmt: str, rows: np.ndarray, escaped: bool = False) -> RawRead:
    for position, record in enumerate(records):
        if not isinstance(record, dict):
            raise InputError(
                f"record {position + 1} is a {type(record).__name__}, not an object",
                file=source,
                row=int(rows[position]),
            )
    replaced: list[tuple[int, str]] = []
    if escaped:  # only a file that escapes a surrogate can hold a lone one: the others are not walked
        records = [_without_lone_surrogates(record, int(rows[i]), replaced) for i, record in enumerate(records)]
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    if records and frame.columns.empty:
        raise InputError(f"none of the {len(records)} record(s) has a field", file=source)
    names, notes = dedupe_headers(list(frame.columns), source)
    frame.columns = names
    try:
        strings = to_strings(frame)
    except RecursionError:  # a value nested deeper than json.dumps goes, written back as text
        raise InputError(_TOO_DEEP, file=source) from None
    if replaced:
        row, field = replaced[0]
        notes.append(
            f"{source}: {len(replaced):,} value(s) hold a lone surrogate escape (such as \\ud800), which is no "
            f"character: read as U+FFFD, the replacement character (first: row {row}, field {field!r})"
        )
    return RawRead(name=name, source=source, frame=strings, row_numbers=rows, format=fmt, notes=notes)


def _without_lone_surrogates(record: dict, row: int, replaced: list[tuple[int, str]]) -> dict:
    """`record` with each lone surrogate of its texts (nested ones too) replaced by U+FFFD, and (row, field)
    of each value changed added to `replaced`: UTF-8, and so Arrow text and every file written, cannot hold
    one."""
    out = {}
    for field, value in record.items():
        name, clean = _clean(field), _clean(value)
        if clean is not value or name is not field:
            replaced.append((row, str(name)))
        out[name] = clean
    return out


def _clean(value: object) -> object:
    """`value` itself when it holds no lone surrogate, else a copy with U+FFFD in their place."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value) if _LONE_SURROGATE.search(value) else value
    if isinstance(value, list):
        items = [_clean(v) for v in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    if isinstance(value, dict):
        pairs = {_clean(k): _clean(v) for k, v in value.items()}
        changed = any(a is not b for a, b in zip(pairs.values(), value.values(), strict=True))
        return pairs if changed or any(isinstance(k, str) and _LONE_SURROGATE.search(k) for k in value) else value
    return value
