"""GitHub Actions annotations: one workflow command per finding (`::error file=...,line=...,title=rule::message`
for errors, `::warning` for warnings), at most `limit` of each severity, then a notice saying how
many more there are, and the gate's verdict. GitHub shows 10 annotations of each kind per step and
50 per job, so a longer list only fills the log: findings.csv and junit.xml hold them all."""

from __future__ import annotations

import pandas as pd

from auditor.reports.mask import mask_findings
from auditor.result import AuditResult

ANNOTATED = ("error", "warning")
DEFAULT_LIMIT = 10


def _data(text: str) -> str:
    """A workflow command's message, escaped as the runner expects."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """A workflow command's property value (file, title), escaped as the runner expects."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, message: str, *, file: str | None = None, line: int | None = None, title: str = "") -> str:
    properties = []
    if file:
        properties.append(f"file={_property(file)}")
        if line is not None:
            properties.append(f"line={int(line)}")
    if title:
        properties.append(f"title={_property(title)}")
    return f"::{level} {','.join(properties)}::{_data(message)}" if properties else f"::{level}::{_data(message)}"


def render(result: AuditResult, *, mask: bool = False, limit: int = DEFAULT_LIMIT) -> str:
    """The annotations of `result`: the first `limit` error findings and the first `limit` warnings
    (in the findings' order), a notice counting the rest, and the gate's verdict as one line.
    `mask`: emails, phones and person names masked (auditor.reports.mask)."""
    findings = result.findings
    lines: list[str] = []
    left: dict[str, int] = {}
    for level in ANNOTATED:
        chosen = findings[findings["severity"] == level]
        shown = chosen.head(limit)
        if mask and len(shown):
            shown = mask_findings(shown)
        for f in shown.itertuples(index=False):
            lines.append(
                annotation(
                    level,
                    f"{f.entity} {f.record_id}: {f.message}",
                    file=None if pd.isna(f.file) else str(f.file),
                    line=None if pd.isna(f.row) else int(f.row),
                    title=str(f.rule_id),
                )
            )
        left[level] = len(chosen) - len(shown)
    more = [f"{n:,} more {level}{'s' if n != 1 else ''}" for level, n in left.items() if n]
    if more:
        lines.append(
            annotation(
                "notice",
                f"{' and '.join(more)} not annotated (--max-annotations); findings.csv and junit.xml list them all",
                title="crm-audit",
            )
        )
    verdict = "PASS" if result.gate.passed else "FAIL"
    summary = f"{verdict}: hygiene score {result.scores.overall} / 100 ({result.shown_input})"
    if result.gate.reasons:
        summary += "; " + "; ".join(result.gate.reasons)
    lines.append(annotation("notice" if result.gate.passed else "error", summary, title="crm-audit gate"))
    return "\n".join(lines) + "\n"
