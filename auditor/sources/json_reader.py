"""JSON (an array of records, or {"entity": [records], ...}) and JSON Lines files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from auditor.errors import InputError
from auditor.sources.encoding import decode, detect_encoding
from auditor.sources.files import data_stem, read_bytes
from auditor.sources.raw import RawRead, dedupe_headers
from auditor.sources.stringify import to_strings

_TOO_DEEP = "JSON nested deeper than it can be read (a record's values are flat: text, numbers, dates)"


def read_json(
    path: Path, source: str, names_entity: Callable[[str], bool], encoding: str | None = None
) -> list[RawRead]:
    text = _text(path, source, encoding)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"invalid JSON: {err.msg} (column {err.colno})", file=source, line=err.lineno) from None
    except RecursionError:
        raise InputError(_TOO_DEEP, file=source) from None
    if isinstance(document, list):
        return [_records(document, data_stem(path), source, "json", np.arange(1, len(document) + 1))]
    if isinstance(document, dict):
        lists = {k: v for k, v in document.items() if isinstance(v, list)}
        named = {k: v for k, v in lists.items() if names_entity(k)}
        if named:
            return [_records(v, k, f"{source}#{k}", "json", np.arange(1, len(v) + 1)) for k, v in named.items()]
        if len(lists) == 1:
            (records,) = lists.values()
            return [_records(records, data_stem(path), source, "json", np.arange(1, len(records) + 1))]
    raise InputError("expected a JSON array of records or an object of entity name -> array of records", file=source)


def read_jsonl(path: Path, source: str, encoding: str | None = None) -> RawRead:
    lines = _text(path, source, encoding).splitlines()
    numbers = [n for n, line in enumerate(lines, start=1) if line.strip()]
    records = []
    for n in numbers:
        try:
            records.append(json.loads(lines[n - 1]))
        except json.JSONDecodeError as err:
            raise InputError(f"invalid JSON: {err.msg} (column {err.colno})", file=source, line=n) from None
        except RecursionError:
            raise InputError(_TOO_DEEP, file=source, line=n) from None
    return _records(records, data_stem(path), source, "jsonl", np.asarray(numbers, dtype=np.int64))


def _text(path: Path, source: str, encoding: str | None) -> str:
    data = read_bytes(path, source)
    return decode(data, encoding or detect_encoding(data, source), source).lstrip("\ufeff")


def _records(records: list, name: str, source: str, fmt: str, rows: np.ndarray) -> RawRead:
    for position, record in enumerate(records):
        if not isinstance(record, dict):
            raise InputError(
                f"record {position + 1} is a {type(record).__name__}, not an object",
                file=source,
                row=int(rows[position]),
            )
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    if records and frame.columns.empty:
        raise InputError(f"none of the {len(records)} record(s) has a field", file=source)
    names, notes = dedupe_headers(list(frame.columns), source)
    frame.columns = names
    try:
        strings = to_strings(frame)
    except RecursionError:  # a value nested deeper than json.dumps goes, written back as text
        raise InputError(_TOO_DEEP, file=source) from None
    return RawRead(name=name, source=source, frame=strings, row_numbers=rows, format=fmt, notes=notes)
