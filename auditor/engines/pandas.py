"""The pandas engine: the whole export in this process (the default)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from auditor.checks.engine import CheckResult, run_checks
from auditor.checks.rule import Rule
from auditor.config import AuditConfig
from auditor.dedupe import DedupeResult, Step, find_duplicates, search_steps
from auditor.dedupe.settings import DedupeSettings
from auditor.engines.base import Loaded, Progress
from auditor.sources import load_export


class PandasEngine:
    name = "pandas"

    def load(self, path: str | Path, config: AuditConfig, progress: Progress | None) -> Loaded:
        export = load_export(path, config.source_options(), progress)
        return Loaded(
            handles=export.tables,
            data=export.tables,
            counts={name: len(t.frame) for name, t in export.tables.items()},
            summary=export.summary(),
            notes=list(export.notes),
        )

    def run_checks(
        self, loaded: Loaded, rules: Sequence[Rule], config: AuditConfig, progress: Progress | None
    ) -> CheckResult:
        return run_checks(loaded.handles, list(rules), progress=progress, **config.check_options())

    def find_duplicates(self, loaded: Loaded, settings: DedupeSettings, progress: Progress | None) -> DedupeResult:
        return find_duplicates(loaded.data, settings, progress=progress)

    def duplicate_steps(self, loaded: Loaded, settings: DedupeSettings, progress: Progress | None) -> list[Step]:
        return search_steps(loaded.data, settings, progress=progress)

    def metric_frames(self, loaded: Loaded, metrics: Iterable[Any]) -> None:
        return None  # the whole typed tables are in loaded.data
