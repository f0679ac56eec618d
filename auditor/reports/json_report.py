"""The machine-readable result document (shape: auditor/schemas/result.schema.json).

Written as a stream: the document without its findings is small; the findings (a million, on a large
export) are rendered a chunk at a time (auditor.io.Chunks) into the open file, never as one list of dicts or one string.
The bytes are those `json.dumps(result.to_dict(), indent=2, ensure_ascii=False)` would give."""

from __future__ import annotations

import io
import json
from typing import Any, BinaryIO, TextIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.csvtext import arrow_texts, each_distinct, text_bytes
from auditor.io import CHUNK_ROWS, Chunks
from auditor.result import AuditResult, findings_records

INDENT = 2


def render(result: AuditResult, *, include_findings: bool = True) -> str:
    buffer = io.StringIO()
    write(result, buffer, include_findings=include_findings)
    return buffer.getvalue()


def write(
    result: AuditResult,
    handle: TextIO,
    *,
    include_findings: bool = True,
    raw: BinaryIO | None = None,
    summary: dict[str, Any] | None = None,
) -> None:
    """The document into `handle`. `raw`: the binary file under `handle`, when what is written to `handle` reaches
    it as UTF-8 unchanged (no newline translation): the findings' text, made as UTF-8 by Arrow, is written there as
    it is, not decoded into a str for `handle` to encode again (0.6 CPU s of 180 MB on a million contacts).
    `summary`: the result's findings_summary() made already (AuditResult.to_dict)."""
    head = json.dumps(result.to_dict(include_findings=False, summary=summary), ensure_ascii=False, indent=INDENT)
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
    chunks = Chunks(len(findings), CHUNK_ROWS)
    for start, stop in chunks:
        if raw is None:
            chunks.wrote(handle.write(_finding_texts(findings.iloc[start:stop], last=stop == len(findings))))
            continue
        made = _finding_lines(findings.iloc[start:stop], last=stop == len(findings))
        if isinstance(made, str):
            chunks.wrote(handle.write(made))
            continue
        handle.flush()  # what `handle` holds goes first
        chunks.wrote(raw.write(made))
    handle.write("\n  ]\n}\n")


SCALARS = (str, int, float, bool, type(None))
ENCODER = json.JSONEncoder(ensure_ascii=False)
"""json.dumps(value, ensure_ascii=False), without a new encoder per call."""


def _finding_texts(findings: pd.DataFrame, *, last: bool) -> str:
    """_finding_lines as a str."""
    made = _finding_lines(findings, last=last)
    return made if isinstance(made, str) else bytes(made).decode("utf-8")


def _finding_lines(findings: pd.DataFrame, *, last: bool) -> str | memoryview:
    """The findings as `json.dumps(record, indent=INDENT)` shows each in the list (findings_records' record,
    its lines indented under the list's), each followed by a comma but the `last` chunk's last: each
    column's distinct values encoded once, the records joined by Arrow. A dumps per finding (a new encoder
    each call) was most of the writer's time on a million findings sharing five messages, and a format
    per finding still 9 µs. Their UTF-8 bytes as Arrow made them, or a str where each record is dumped (a list,
    a mapping, a lone surrogate)."""
    pieces: list[Any] = []
    pad = " " * (2 * INDENT + INDENT)
    for n, column in enumerate(findings.columns):
        key = json.dumps(str(column), ensure_ascii=False)
        opening = "\n" + " " * 2 * INDENT + "{\n" if n == 0 else ",\n"
        pieces.append(f"{opening}{pad}{key}: ")
        try:
            values = _column_values(findings[column])
        except UnicodeError:  # a lone surrogate (a JSON source's "\\ud800"), which the file shows escaped
            return _each_dumped(findings, last=last)
        if values is None:  # a list or a mapping: indented inside the record, as dumps would
            return _each_dumped(findings, last=last)
        pieces.append(values)
    records = pc.binary_join_element_wise(*pieces, "\n" + " " * 2 * INDENT + "},", "")
    text = text_bytes(records)  # UTF-8: a text Arrow holds has no lone surrogate
    return text[:-1] if last else text


def _column_values(values: pd.Series) -> pa.Array | None:
    """Each value of a column as dumps writes it ("null" where missing); None when one is a list or a
    mapping. Texts and whole numbers are encoded by Arrow (a text with a control character by dumps), other
    values once per distinct value."""
    if pd.api.types.is_integer_dtype(values.dtype) and isinstance(values.dtype, np.dtype):
        return pc.cast(pa.array(values), pa.string())
    if isinstance(values.dtype, pd.StringDtype) or (
        pd.api.types.is_object_dtype(values.dtype) and pd.api.types.infer_dtype(values, skipna=True) == "string"
    ):
        return each_distinct(arrow_texts(values), _strings).fill_null("null")
    codes, uniques = pd.factorize(values)
    encoded_values = [_encoded(value) for value in np.asarray(uniques, dtype=object)]
    if None in encoded_values:
        return None
    shown_values = pa.array([*encoded_values, "null"], type=pa.string())
    return shown_values.take(pa.array(np.where(codes < 0, len(encoded_values), codes)))


def _strings(texts: pa.Array) -> pa.Array:
    """Texts as dumps writes them (null stays null): escaped by Arrow, one with a control character by dumps."""
    escaped = pc.replace_substring(pc.replace_substring(texts, "\\", "\\\\"), '"', '\\"')
    shown = pc.binary_join_element_wise('"', escaped, '"', "")
    control = pc.fill_null(pc.match_substring_regex(texts, r"[\x00-\x1f]"), False)
    if pc.any(control).as_py():
        by_dumps = [ENCODER.encode(t) for t in texts.filter(control).to_pylist()]
        shown = pc.replace_with_mask(shown, control, pa.array(by_dumps, type=pa.string()))
    return shown


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
