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
        handle.write(
            ",".join(_finding_texts(findings.iloc[start : start + CHUNK_ROWS]))
            + ("," if start + CHUNK_ROWS < len(findings) else "")
        )
    handle.write("\n  ]\n}\n")


SCALARS = (str, int, float, bool, type(None))
ENCODER = json.JSONEncoder(ensure_ascii=False)
"""json.dumps(value, ensure_ascii=False), without a new encoder per call."""


def _finding_texts(findings: pd.DataFrame) -> list[str]:
    """Each finding as `json.dumps(record, indent=INDENT)` shows it in the list (findings_records' record,
    its lines indented under the list's): each column's distinct values encoded once, then one format
    per finding. A dumps per finding (a new encoder each call) was most of the writer's time on a
    million findings sharing five messages."""
    columns = []
    for column in findings.columns:
        codes, uniques = pd.factorize(findings[column])
        encoded = [_encoded(value) for value in np.asarray(uniques, dtype=object)]
        if None in encoded:  # a list or a mapping: indented inside the record, as dumps would
            return _dumped(findings)
        columns.append(np.append(np.array(encoded, dtype=object), "null")[codes])
    pad = " " * (2 * INDENT + INDENT)
    keys = [json.dumps(str(c), ensure_ascii=False).replace("{", "{{").replace("}", "}}") for c in findings.columns]
    template = "\n" + " " * 2 * INDENT + "{{\n" + ",\n".join(f"{pad}{key}: {{}}" for key in keys)
    template += "\n" + " " * 2 * INDENT + "}}"
    return [template.format(*row) for row in zip(*columns, strict=True)]


def _encoded(value: Any) -> str | None:
    """A present value as findings_records makes it and dumps writes it; None for a list or a mapping."""
    if isinstance(value, pd.Timestamp):
        value = value.isoformat()
    elif hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if type(value) is int:  # not a bool
        return int.__repr__(value)
    return ENCODER.encode(value) if isinstance(value, SCALARS) else None


def _dumped(findings: pd.DataFrame) -> list[str]:
    return [
        "\n    " + json.dumps(record, ensure_ascii=False, indent=INDENT).replace("\n", "\n    ")
        for record in findings_records(findings)
    ]
