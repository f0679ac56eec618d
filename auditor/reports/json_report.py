"""The machine-readable result document (shape: auditor/schemas/result.schema.json)."""

from __future__ import annotations

import json

from auditor.result import AuditResult


def render(result: AuditResult, *, include_findings: bool = True) -> str:
    return json.dumps(result.to_dict(include_findings=include_findings), ensure_ascii=False, indent=2) + "\n"
