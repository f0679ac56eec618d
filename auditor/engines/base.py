"""The seam between the pipeline and where the work runs: the few operations an audit needs of an
engine. `auditor.pipeline` calls them in order (load, run the checks, find duplicates, and for the full
audit the frames the metrics read) and does everything else itself: scores, gate, metrics, worklist.
An engine never imports the pipeline."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd

    from auditor.checks.engine import CheckResult
    from auditor.checks.rule import Rule
    from auditor.config import AuditConfig
    from auditor.dedupe import DedupeResult, Step
    from auditor.dedupe.settings import DedupeSettings
    from auditor.sources.table import Table

Progress = Callable[[str, int, int], None]


@dataclass
class Loaded:
    """An export as an engine holds it."""

    handles: Mapping[str, Any]
    """entity -> the engine's own table (pandas: the Table; Spark: a SparkTable)"""
    data: Mapping[str, Table]
    """entity -> the typed table on the driver, for the stages that read whole tables (pandas: every
    table; Spark: none unless asked)"""
    counts: Mapping[str, int]
    """records per entity"""
    summary: list[dict] = field(default_factory=list)
    """one entry per table: entity, source, format, rows, columns with their mapping"""
    notes: list[str] = field(default_factory=list)
    """how the files were read and mapped"""


class Engine(Protocol):
    name: str

    def load(self, path: str | Path, config: AuditConfig, progress: Progress | None) -> Loaded: ...

    def run_checks(
        self, loaded: Loaded, rules: Sequence[Rule], config: AuditConfig, progress: Progress | None
    ) -> CheckResult: ...

    def find_duplicates(self, loaded: Loaded, settings: DedupeSettings, progress: Progress | None) -> DedupeResult: ...

    def duplicate_steps(self, loaded: Loaded, settings: DedupeSettings, progress: Progress | None) -> list[Step] | None:
        """The steps of `find_duplicates` (`auditor.dedupe.search_steps`), which the pipeline may share
        between two processes, or None where the search is one job (Spark's, on the cluster)."""
        ...

    def metric_frames(
        self, loaded: Loaded, metrics: Iterable[Any]
    ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.Series]] | None:
        """(frames, record ids) per entity holding the columns `metrics` read, or None to read
        `loaded.data` whole."""
        ...
