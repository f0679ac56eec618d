"""A run as the history keeps it: the record types, and `snapshot`, which turns an AuditResult
into one. Storage is auditor.history; comparison auditor.diff."""

from __future__ import annotations

import math
import os
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pandas as pd

from auditor import __version__
from auditor.redact import redact
from auditor.result import AuditResult
from auditor.sources.sql_reader import display_url, is_database_url


class ScoreKey(NamedTuple):
    """Which score: (None, dim, None) a dimension overall; (entity, None, None) an entity;
    (entity, dim, None) an entity's dimension; (entity, None, field) a field."""

    entity: str | None
    dimension: str | None
    field: str | None

    @property
    def label(self) -> str:
        """`validity (all entities)`, `contacts`, `contacts validity`, `contacts.email`."""
        if self.entity is None:
            return f"{self.dimension} (all entities)"
        if self.field is not None:
            return f"{self.entity}.{self.field}"
        return f"{self.entity} {self.dimension}" if self.dimension else self.entity


@dataclass(frozen=True)
class RuleState:
    rule_id: str
    entity: str
    severity: str
    status: str
    evaluated: int
    failed: int
    findings: int


@dataclass(frozen=True)
class MetricState:
    value: Any
    """a number, a dict of numbers (funnel stages...) or None"""
    confidence: str


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    started_at: str
    input: str
    as_of: str
    tool_version: str
    overall: float | None
    passed: bool
    findings: int
    errors: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "input": self.input,
            "as_of": self.as_of,
            "tool_version": self.tool_version,
            "overall": self.overall,
            "passed": self.passed,
            "findings": self.findings,
            "errors": self.errors,
        }


@dataclass
class Run:
    """One stored audit: what `History.record` writes and `History.get` reads back."""

    run_id: str
    started_at: str
    input: str
    config: str | None
    as_of: str
    tool_version: str
    overall: float | None
    passed: bool
    findings: dict[str, int]
    """total, error, warning, info"""
    gate: dict[str, Any]
    scores: dict[ScoreKey, float] = field(default_factory=dict)
    rules: dict[str, RuleState] = field(default_factory=dict)
    metrics: dict[str, MetricState] = field(default_factory=dict)

    @property
    def summary(self) -> RunSummary:
        return RunSummary(
            self.run_id,
            self.started_at,
            self.input,
            self.as_of,
            self.tool_version,
            self.overall,
            self.passed,
            self.findings["total"],
            self.findings["error"],
        )


def short_time(started_at: str) -> str:
    """A run's start as lists and messages show it: `2026-11-29 23:57` (UTC)."""
    return started_at[:16].replace("T", " ")


def run_input(path: str) -> str:
    """The input as history keys it: a URL without its secrets, the absolute path with symbolic links
    resolved, so that the same export compares with itself however it was typed (`./export`,
    `export/`, `/home/ann/export`, from any folder)."""
    if is_database_url(path):
        return redact(display_url(path))
    return os.path.realpath(path)


def input_keys(path: str) -> list[str]:
    """The keys runs of `path` may be stored under: run_input's, and the path as typed (normalised),
    which earlier versions keyed runs on (so that their runs stay the baseline)."""
    keys = [run_input(path)]
    if not is_database_url(path) and os.path.normpath(path) not in keys:
        keys.append(os.path.normpath(path))
    return keys


def snapshot(result: AuditResult, run_id: str | None = None) -> Run:
    """The run `result` would be stored as (its gate as it stands now)."""
    counts = result.findings["severity"].value_counts() if len(result.findings) else pd.Series(dtype="int64")
    scores: dict[ScoreKey, float] = {ScoreKey(None, d, None): s for d, s in result.scores.dimensions.items()}
    for name, entity in result.scores.entities.items():
        scores[ScoreKey(name, None, None)] = entity.score
        scores.update({ScoreKey(name, d, None): s for d, s in entity.dimensions.items()})
        scores.update({ScoreKey(name, None, f): s for f, s in entity.fields.items()})
    return Run(
        run_id=run_id or uuid.uuid4().hex,
        started_at=result.started_at.isoformat(),
        input=run_input(result.input),
        config=result.config,
        as_of=result.as_of.strftime("%Y-%m-%d"),
        tool_version=__version__,
        overall=result.scores.overall,
        passed=result.gate.passed,
        findings={"total": len(result.findings)} | {s: int(counts.get(s, 0)) for s in ("error", "warning", "info")},
        gate=result.gate.to_dict(),
        scores={k: float(v) for k, v in scores.items() if v is not None},
        rules={
            o.rule_id: RuleState(
                o.rule_id, o.entity, o.severity.value, o.status, int(o.evaluated), int(o.failed), int(o.findings)
            )
            for o in result.outcomes
        },
        metrics={m.id: MetricState(_plain(m.value), m.flag.name) for m in result.metrics},
    )


def _plain(value: Any) -> Any:
    """A metric value as JSON keeps it: numbers rounded, NaN as None, dicts kept."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 6)
    return value
