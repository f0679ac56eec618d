"""The machine-readable result document (shape: auditor/schemas/result.schema.json).

Written as a stream: the document without its findings is small; the findings (a million, on a large
export) are rendered CHUNK_ROWS at a time into the open file, never as one list of dicts or one string.
The bytes are those `json.dumps(result.to_dict(), indent=2, ensure_ascii=False)` would give."""

from __future__ import annotations

import io
import json
from typing import Any, TextIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.csvtext import text_bytes
from auditor.io import CHUNK_ROWS
from auditor.result import AuditResult, findings_records

INDENT = 2


def render(result: AuditResult, *, include_findings: bool = True) -> str:
    buffer = io.StringIO()
    write(result, buffer, include_findings=include_findings)
    return buffer.getvalue()


def write(result: AuditResult, handle: TextIO, *, include_findings: bool = True) -> None:
    head = json.dumps(result.to_dict(include_findings=False), ensure_ascii=False, indent=INDENT)
    if not include_findings:
        handle.write(head + "\n")
        return
    # the findings are the document's last key: the head without its closing brace, then the list
    handle.write(head[: head.rindex("}")].rstrip("\n") + ',\n  "findings": ')
    findings = result.findings
    if not len(findings):
        handle.write("[]\n}\n")
        return
    handle.write("[")
    for start in range(0, len(findings), CHUNK_ROWS):
        last = start + CHUNK_ROWS >= len(findings)
        handle.write(_finding_texts(findings.iloc[start : start + CHUNK_ROWS], last=last))
    handle.write("\n  ]\n}\n")


SCALARS = (str, int, float, bool, type(None))
ENCODER = json.JSONEncoder(ensure_ascii=False)
"""json.dumps(value, ensure_ascii=False), without a new encoder per call."""


def _finding_texts(findings: pd.DataFrame, *, last: bool) -> str:
    """The findings as `json.dumps(record, indent=INDENT)` shows each in the list (findings_records' record,
    its lines indented under the list's), each followed by a comma but the `last` chunk's last: each
    column's distinct values encoded once, the records joined by Arrow. A dumps per finding (a new encoder
    each call) was most of the writer's time on a million findings sharing five messages, and a format
    per finding still 9 µs."""
    pieces: list[Any] = []
    pad = " " * (2 * INDENT + INDENT)
    for n, column in enumerate(findings.columns):
        codes, uniques = pd.factorize(findings[column])
        encoded = [_encoded(value) for value in np.asarray(uniques, dtype=object)]
        if None in encoded:  # a list or a mapping: indented inside the record, as dumps would
            return _each_dumped(findings, last=last)
        key = json.dumps(str(column), ensure_ascii=False)
        opening = "\n" + " " * 2 * INDENT + "{\n" if n == 0 else ",\n"
        pieces.append(f"{opening}{pad}{key}: ")
        try:
            values = pa.array([*encoded, "null"], type=pa.string())
        except UnicodeError:  # a lone surrogate (a JSON source's "\\ud800"), which the file shows escaped
            return _each_dumped(findings, last=last)
        pieces.append(values.take(pa.array(np.where(codes < 0, len(encoded), codes))))
    records = pc.binary_join_element_wise(*pieces, "\n" + " " * 2 * INDENT + "},", "")
    text = bytes(text_bytes(records)).decode("utf-8")
    return text[:-1] if last else text


def _encoded(value: Any) -> str | None:
    """A present value as findings_records makes it and dumps writes it; None for a list or a mapping."""
    if isinstance(value, pd.Timestamp):
        value = value.isoformat()
    elif hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if type(value) is int:  # not a bool
        return int.__repr__(value)
    return ENCODER.encode(value) if isinstance(value, SCALARS) else None


def _each_dumped(findings: pd.DataFrame, *, last: bool) -> str:
    texts = [
        "\n    " + json.dumps(record, ensure_ascii=False, indent=INDENT).replace("\n", "\n    ")
        for record in findings_records(findings)
    ]
    return ",".join(texts) + ("" if last else ",")
