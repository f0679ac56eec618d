"""Wires the stages in order: load -> checks -> scores -> gate. Stages never import each other;
only this module knows the order."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from auditor.checks.engine import run_checks
from auditor.checks.packs import CORE_PACK_LABEL, load_rules
from auditor.config import AuditConfig, find_config, load_config
from auditor.gate import judge
from auditor.result import AuditResult
from auditor.scoring import compute_scores
from auditor.sources import load_export

Progress = Callable[[str, int, int], None]


def resolve_config(path: str | Path, config_path: str | Path | None) -> AuditConfig:
    """--config wins; otherwise a `crm-audit.yaml` inside the export directory; otherwise defaults."""
    return load_config(config_path if config_path is not None else find_config(path))


def check(
    path: str | Path,
    config: AuditConfig | None = None,
    *,
    extra_rules: Sequence[str | Path] = (),
    progress: Progress | None = None,
) -> AuditResult:
    """Audit the export at `path` (directory, file or SQLAlchemy URL) against the rule packs."""
    config = config or resolve_config(path, None)
    started = pd.Timestamp.now(tz="UTC")
    clock = time.perf_counter()
    rule_paths = [*config.rule_paths, *map(Path, extra_rules)]
    rules = load_rules(rule_paths, include_core=config.core_rules, extra_fields=config.extra_field_names)
    export = load_export(path, config.source_options(), progress)
    checked = run_checks(
        export.tables, rules, as_of=config.as_of, default_region=config.default_region, progress=progress
    )
    scores = compute_scores(
        checked.findings,
        {name: len(t.frame) for name, t in export.tables.items()},
        checked.outcomes,
        checked.structural,
        weights=config.weights,
        entity_weights=config.entity_weights,
    )
    gate = judge(config.gate, scores.overall, checked.findings, checked.structural, checked.outcomes)
    packs = ([CORE_PACK_LABEL] if config.core_rules else []) + [str(p) for p in rule_paths]
    return AuditResult(
        input=str(path),
        as_of=config.as_of,
        started_at=started,
        duration_seconds=time.perf_counter() - clock,
        tables=export.summary(),
        notes=list(export.notes),
        outcomes=checked.outcomes,
        structural=checked.structural,
        findings=checked.findings,
        scores=scores,
        gate=gate,
        rule_packs=packs,
        config=str(config.path) if config.path else None,
    )
