"""AuditResult: the one object every report renders. Its JSON shape is versioned and
documented by `auditor/schemas/result.schema.json` (bump SCHEMA_VERSION on any change)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from auditor import __version__
from auditor.checks.engine import RuleOutcome, StructuralIssue
from auditor.gate import GateResult
from auditor.redact import redact
from auditor.scoring import Scores
from auditor.timing import Stopwatch

SCHEMA_VERSION = "1.5"


@dataclass
class AuditResult:
    input: str
    as_of: pd.Timestamp
    started_at: pd.Timestamp
    duration_seconds: float
    tables: list[dict[str, Any]]
    """One entry per loaded table: entity, source, format, rows, columns with their mapping."""
    notes: list[str]
    outcomes: list[RuleOutcome]
    structural: list[StructuralIssue]
    findings: pd.DataFrame
    scores: Scores
    gate: GateResult
    rule_packs: list[str] = field(default_factory=list)
    config: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict, repr=False)
    """The loaded tables (entity -> Table), for later stages; not part of the JSON document."""
    duplicates: Any = None
    """The DedupeResult (pairs, clusters, merge plan), when duplicate detection ran."""
    metrics: list[Any] = field(default_factory=list)
    """auditor.metrics.MetricResult per metric, when the full audit ran (`crm-audit audit`)."""
    currency: dict[str, Any] | None = None
    """The base currency of the money metrics and the rates to it (auditor.money.Money.to_dict)."""
    worklist: pd.DataFrame | None = None
    """The prioritized cleanup tasks (auditor.worklist.WORKLIST_COLUMNS), when the full audit ran."""
    worklist_records: pd.DataFrame | None = field(default=None, repr=False)
    """Every record of every task (auditor.worklist.RECORD_COLUMNS): a bulk task's record list."""
    timings: Stopwatch = field(default_factory=Stopwatch, repr=False)
    """Wall and CPU seconds per stage (load, checks, duplicates, ..., writing); not in the JSON document,
    which stays the same from run to run."""
    history: dict[str, Any] | None = None
    """Run history when kept: {"run_id", "trend": [...], "baseline": {...}, "regressions": [...],
    "progress": {...} (auditor.history.task_progress, from the second run on)}."""

    @property
    def shown_input(self) -> str:
        """The input as every report and message shows it: a database URL's password masked
        (`input` itself is what later stages read, fix among them)."""
        return redact(self.input)

    @property
    def exit_code(self) -> int:
        return 0 if self.gate.passed else 1

    def findings_summary(self) -> dict[str, Any]:
        f = self.findings
        return {
            "total": len(f),
            "records": int(f[["entity", "record_id"]].drop_duplicates().shape[0]) if len(f) else 0,
            "by_severity": {s: int(f["severity"].eq(s).sum()) for s in ("error", "warning", "info")},
            "by_entity": {str(k): int(v) for k, v in f["entity"].value_counts().sort_index().items()},
            "by_dimension": {str(k): int(v) for k, v in f["dimension"].value_counts().sort_index().items()},
        }

    def to_dict(self, *, include_findings: bool = True, summary: dict[str, Any] | None = None) -> dict[str, Any]:
        """The result document (auditor/schemas/result.schema.json). `summary`: findings_summary() made already."""
        document: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "crm-auditor", "version": __version__},
            "input": self.shown_input,
            "config": self.config,
            "rule_packs": self.rule_packs,
            "as_of": self.as_of.strftime("%Y-%m-%d"),
            "started_at": self.started_at.isoformat(),
            "duration_seconds": round(self.duration_seconds, 3),
            "gate": self.gate.to_dict(),
            "scores": self.scores.to_dict(),
            "tables": self.tables,
            "notes": self.notes,
            "structural_issues": [
                {
                    "entity": i.entity,
                    "file": i.file,
                    "field": i.field,
                    "severity": i.severity.value,
                    "message": i.message,
                }
                for i in self.structural
            ],
            "rules": [
                {
                    "id": o.rule_id,
                    "kind": o.kind,
                    "entity": o.entity,
                    "fields": list(o.fields),
                    "severity": o.severity.value,
                    "dimension": o.dimension,
                    "status": o.status,
                    "evaluated": o.evaluated,
                    "failed": o.failed,
                    "findings": o.findings,
                    "reason": o.reason,
                    "origin": o.origin,
                }
                for o in self.outcomes
            ],
            "summary": self.findings_summary() if summary is None else summary,
        }
        if self.duplicates is not None:
            document["duplicates"] = {
                entity: {
                    **{
                        key: stats.get(key)
                        for key in (
                            "records",
                            "candidate_pairs",
                            "reduction_ratio",
                            "clusters",
                            "duplicates",
                            "linked",
                            "em_converged",
                            "em_iterations",
                            "skipped",
                            "warnings",
                            "labels",
                        )
                        if key in stats
                    },
                    **({"model": _model_summary(stats["model"])} if "model" in stats else {}),
                }
                for entity, stats in self.duplicates.stats.items()
            }
        if self.metrics:
            if self.currency is not None:
                document["currency"] = self.currency
            document["metrics"] = [m.to_dict() for m in self.metrics]
        if self.worklist is not None:
            document["worklist"] = worklist_summary(self.worklist)
        if self.history is not None:
            document["history"] = self.history
        if include_findings:
            document["findings"] = findings_records(self.findings)
        return document


def _model_summary(model: dict[str, Any]) -> dict[str, Any]:
    """The duplicate model as result.json shows it: the match share and where it came from, the training
    sessions, and each field's bits per level (m and u stay in the Python API's stats)."""
    return {
        **{k: model[k] for k in ("match_share", "match_share_from", "match_share_estimates") if k in model},
        "sessions": model.get("sessions", []),
        "comparisons": {
            name: {k: c[k] for k in ("levels", "bits", "learnt_by", "made_monotone", "evidence") if k in c}
            for name, c in model.get("comparisons", {}).items()
        },
    }


def worklist_summary(worklist: pd.DataFrame) -> dict[str, Any]:
    """Counts only: the tasks themselves are in worklist.csv / worklist.xlsx."""
    return {
        "tasks": len(worklist),
        "auto_fixable": int(worklist["auto_fixable"].eq("yes").sum()) if len(worklist) else 0,
        "by_entity": {str(k): int(v) for k, v in worklist["entity"].value_counts().sort_index().items()},
    }


def findings_records(findings: pd.DataFrame) -> list[dict[str, Any]]:
    """Findings as JSON-ready dicts: missing values become null, numbers stay numbers."""
    records = findings.astype("object").where(findings.notna(), None).to_dict(orient="records")
    for record in records:
        for key, value in record.items():
            if isinstance(value, float) and math.isnan(value):
                record[key] = None
            elif isinstance(value, pd.Timestamp):
                record[key] = value.isoformat()
            elif hasattr(value, "item"):
                record[key] = value.item()
    return records
