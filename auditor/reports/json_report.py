"""The machine-readable result document (shape: auditor/schemas/result.schema.json).

Written as a stream: the document without its findings is small; the findings (a million, on a large
export) are rendered CHUNK_ROWS at a time into the open file, never as one list of dicts or one string.
The bytes are those `json.dumps(result.to_dict(), indent=2, ensure_ascii=False)` would give."""

from __future__ import annotations

import io
import json
from typing import TextIO

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
        records = findings_records(findings.iloc[start : start + CHUNK_ROWS])
        handle.write(
            ",".join(
                "\n    " + json.dumps(record, ensure_ascii=False, indent=INDENT).replace("\n", "\n    ")
                for record in records
            )
            + ("," if start + CHUNK_ROWS < len(findings) else "")
        )
    handle.write("\n  ]\n}\n")
