"""Wires the stages in order: load -> checks -> duplicates -> scores -> gate. Stages never import
each other; only this module knows the order. The duplicate search needs only the loaded tables: on a
large enough export it runs beside the checks on the second CPU (`auditor.beside`), and its results join
the checks' before the scores, as they would after them."""

from __future__ import annotations

import ctypes
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pandas as pd
import pyarrow as pa

from auditor.beside import Pending, beside, can_fork, second_cpu
from auditor.checks.base import Severity
from auditor.checks.engine import RuleOutcome
from auditor.checks.packs import CORE_PACK_LABEL, REALWORLD_PACK_LABEL, config_rules
from auditor.config import AuditConfig, find_config, load_config
from auditor.dedupe import DedupeResult, DedupeSettings, Share, assemble, assembled_findings, share_findings
from auditor.dedupe.normalize import remembered
from auditor.engines.base import Engine, Loaded, Progress
from auditor.engines.pandas import PandasEngine
from auditor.errors import ConfigError
from auditor.findings import concat_findings
from auditor.gate import GateResult, judge
from auditor.metrics import MetricsSettings, evaluate_metrics
from auditor.metrics.evaluate import Runner, one_after_another, resolve_request, settle_money
from auditor.model import ENTITIES
from auditor.result import AuditResult
from auditor.scoring import Scores, compute_scores
from auditor.sources.table import record_ids
from auditor.timing import Stopwatch
from auditor.worklist import plan_worklist

T = TypeVar("T")

if TYPE_CHECKING:  # auditor.fix is imported when a fix is asked for: an audit never needs it
    from auditor.fix import FixReport


def _libc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None on a C library without it (macOS, musl, Windows)."""
    try:
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (OSError, TypeError, AttributeError):
        return None


_MALLOC_TRIM = _libc_trim()


def hand_back_memory() -> None:
    """Give the operating system the memory a stage freed. glibc keeps freed blocks in its heap and
    Arrow's allocator (mimalloc) its freed pages, so the next stage's peak stacks on memory nothing
    uses: on a million copies of one contact, a gigabyte after the checks. Dask's workers trim the same
    way; it takes milliseconds."""
    pa.default_memory_pool().release_unused()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


@contextmanager
def _stage(watch: Stopwatch, name: str) -> Iterator[None]:
    """`watch.stage(name)`, the memory it freed handed back at its end."""
    with watch.stage(name):
        yield
        hand_back_memory()


def resolve_config(path: str | Path, config_path: str | Path | None) -> AuditConfig:
    """--config wins; otherwise a `crm-audit.yaml` inside the export directory; otherwise defaults."""
    return load_config(config_path if config_path is not None else find_config(path))


def check(
    path: str | Path,
    config: AuditConfig | None = None,
    *,
    engine: Engine | None = None,
    extra_rules: Sequence[str | Path] = (),
    progress: Progress | None = None,
    ge_suites: Sequence[str | Path] = (),  # Great Expectations suites run as part of the audit (auditor.interop)
) -> AuditResult:
    """Audit the export at `path` (directory, file or SQLAlchemy URL) against the rule packs, on `engine`
    (default: pandas, in this process; `auditor.engines.get_engine("spark")` for Spark)."""
    return _check(path, config, engine=engine, extra_rules=extra_rules, progress=progress, ge_suites=ge_suites)[0]


Scored = tuple[Scores, GateResult]
"""(the scores, the gate judged on them)"""
SCORES_STAGE = "scores and gate"


def _scoring_beside(score: Callable[[], Scored], engine: Engine, findings: pd.DataFrame) -> Pending[Scored] | None:
    """The scores and the gate begun in a forked child (`auditor.beside`), or None (too few findings to pay for a
    fork, no fork to be had, or an engine that does not hold the findings in this process): nothing a full audit
    does before its worklist reads them but the report, and the metrics' serial prework (the screens, the
    suspects, the clusters' merge: 2.2 s at a million contacts) reads only the findings and the tables, so the
    scores (1.0-1.45 CPU s there, one CPU otherwise idle) run beside it. `_scored` takes them."""
    if engine.name != "pandas" or len(findings) < SCORES_BESIDE_FROM or not can_fork():
        return None
    return beside(score)


def _scored(result: AuditResult, scoring: Pending[Scored] | None) -> None:
    """The scores and the gate made beside put into `result` (made here if the child failed), the child's
    seconds as the row "scores and gate, second CPU" beside the metrics; nothing when they were made already."""
    if scoring is None or result.scores is not None:
        return
    result.scores, result.gate = scoring.result()
    scoring.timed(result.timings, SCORES_STAGE, beside="metrics")


SCORES_BESIDE_FROM = 100_000
"""findings from which a full audit's scores are made beside the metrics' prework: fixtures/acme's 2,350 take
0.02 s, less than a fork; a million contacts' 1.9 million 1.0-1.45 s"""


def _check(
    path: str | Path,
    config: AuditConfig | None,
    *,
    engine: Engine | None,
    extra_rules: Sequence[str | Path] = (),
    progress: Progress | None = None,
    ge_suites: Sequence[str | Path] = (),
    scores_beside: bool = False,
) -> tuple[AuditResult, Loaded, Pending[Scored] | None]:
    """`check`, the export as the engine holds it (the metrics of a full audit read it again), and the scores
    and gate being made beside (`scores_beside`, `_scoring_beside`): then the result holds neither until
    `_scored` is given it."""
    config = config or resolve_config(path, None)
    engine = engine or PandasEngine()
    if ge_suites and engine.name != "pandas":
        raise ConfigError("Great Expectations suites run with the pandas engine only")
    started = pd.Timestamp.now(tz="UTC")
    clock = time.perf_counter()
    watch = Stopwatch()
    rule_paths = [*config.rule_paths, *map(Path, extra_rules)]
    rules = config_rules(config, rule_paths)
    with _stage(watch, "load"):
        loaded = engine.load(path, config, progress)
    searched = _search_duplicates(engine, loaded, config.dedupe, progress)
    try:
        with _stage(watch, "checks"):
            checked = engine.run_checks(loaded, rules, config, progress)
        # -- begin Great Expectations hook: failed expectations of --ge-suite files become findings and outcomes
        if ge_suites:
            # start-up time: an audit without Great Expectations suites never loads their runner
            from auditor.interop.ge import run_suites

            with _stage(watch, "great expectations"):
                checked = run_suites(ge_suites, loaded.data, checked)
        # -- end Great Expectations hook
    except BaseException:
        if searched is not None:
            searched.cancel()
        raise
    findings, outcomes = checked.findings, list(checked.outcomes)
    duplicates = None
    if searched is not None:
        values = searched.results(
            here=lambda: _stage(watch, "duplicates"), waiting=lambda: _stage(watch, "waiting for duplicates")
        )
        searched.timed(watch, "duplicates", beside="checks")
        duplicates, found = _joined(values, config.dedupe, progress)
        if len(found):
            findings = concat_findings([findings, found.copy(deep=False)])  # the check's findings taken apart
        outcomes += duplicate_outcomes(duplicates, found)

    def score() -> Scored:
        scores = compute_scores(
            findings,
            dict(loaded.counts),
            outcomes,
            checked.structural,
            weights=config.weights,
            entity_weights=config.entity_weights,
        )
        return scores, judge(config.gate, scores.overall, findings, checked.structural, outcomes)

    scoring = _scoring_beside(score, engine, findings) if scores_beside else None
    scores: Scores | None = None
    gate: GateResult | None = None
    if scoring is None:
        with _stage(watch, SCORES_STAGE):
            scores, gate = score()
    packs = ([CORE_PACK_LABEL, REALWORLD_PACK_LABEL] if config.core_rules else []) + [str(p) for p in rule_paths]
    tables = [{**t, "absent_fields": checked.absent.get(t["entity"], [])} for t in loaded.summary]
    result = AuditResult(
        input=str(path),
        as_of=config.as_of,
        started_at=started,
        duration_seconds=time.perf_counter() - clock,
        tables=tables,
        notes=list(loaded.notes),
        outcomes=outcomes,
        structural=checked.structural,
        findings=findings,
        scores=scores,  # type: ignore[arg-type]  # None while they are made beside, until `_scored`
        gate=gate,  # type: ignore[arg-type]
        rule_packs=packs,
        config=str(config.path) if config.path else None,
        data=loaded.data,
        duplicates=duplicates,
        timings=watch,
    )
    return result, loaded, scoring


Found = tuple[int, Share | DedupeResult, pd.DataFrame]
"""(a step's place in the search, what it found, its findings)"""


def _search_duplicates(
    engine: Engine, loaded: Loaded, settings: DedupeSettings | None, progress: Progress | None
) -> Pending[Found] | None:
    """The duplicate search, started beside the checks (it reads the loaded tables, not the checks'
    findings) where the engine holds the tables in this process and the export is large enough to pay for
    a fork: a child takes its steps from the front (the contacts', the leads' and their linkage's first,
    which normalize the same values), and the main line, its checks done, takes those left, the one reading
    the most records first (at 300,000 leads and contacts, the linkage, not the accounts' step and then the
    linkage while the child, its steps done, waits).
    Else the steps run when asked for, as a stage of their own. None without a dedupe section."""
    if settings is None:
        return None
    main_line = os.getpid()

    def shown(label: str, done: int, total: int) -> None:
        if progress and os.getpid() == main_line:  # a forked child must not draw on the terminal
            progress(label, done, total)

    steps = engine.duplicate_steps(loaded, settings, shown)
    if steps is None:  # the engine searches as one job of its own (Spark)

        def whole() -> Found:
            found = engine.find_duplicates(loaded, settings, progress)
            return 0, found, found.findings()

        return beside(whole, allowed=False)

    def task(place: int) -> Callable[[], Found]:
        def run() -> Found:
            share = steps[place].run()
            return place, share, share_findings(share, settings)

        return run

    order = sorted(range(len(steps)), key=lambda place: not steps[place].linked)
    allowed = sum(loaded.counts.values()) >= BESIDE_FROM_ROWS
    weights = [steps[place].records for place in order]
    return beside([task(place) for place in order], allowed=allowed, around=remembered, weights=weights)


def _joined(
    values: list[Found], settings: DedupeSettings, progress: Progress | None
) -> tuple[DedupeResult, pd.DataFrame]:
    """The search's result and findings from its steps', in the steps' order (as one process finds them)."""
    values = sorted(values, key=lambda value: value[0])
    parts = [part for _, part, _ in values]
    if len(parts) == 1 and isinstance(parts[0], DedupeResult):  # the engine's one job (Spark)
        return parts[0], values[0][2]
    duplicates = assemble(parts, settings)
    if progress:
        progress("dedupe done", len(parts), len(parts))
    return duplicates, assembled_findings(duplicates, [frame for _, _, frame in values])


SECOND_CPU = second_cpu("duplicates")
"""the stage of the search's steps the child ran, beside the checks"""


def _shared_with_a_child(
    watch: Stopwatch, stage: str, *, allowed: bool, first: Callable[[], None] = lambda: None
) -> Runner:
    """A runner of a stage's tasks that shares them with a forked child (`auditor.beside`): the child takes
    them from the front, the main line the one of the most work left; the child's seconds and peak are the stage's row
    "<stage>, second CPU". The metrics' evaluations read what the stage made before them: the child
    starts with them in hand, where a spawned process would have to be sent them. `first` runs before the tasks
    are shared (the scores made beside the stage's prework are taken: no third process on two CPUs)."""

    def run(tasks: list[Callable[[], T]], work: Sequence[int] = ()) -> list[T]:
        first()
        pending = beside(tasks, allowed=allowed, weights=work)
        values = pending.results()
        pending.timed(watch, stage, beside=stage)
        return values

    return run


BESIDE_FROM_ROWS = 10_000
"""rows of an export from which its duplicate search runs beside the checks: below it a fork and the
result's trip through a pipe cost about what the checks take"""


def duplicate_outcomes(duplicates: DedupeResult, found: pd.DataFrame) -> list[RuleOutcome]:
    """One outcome per duplicate rule (`contacts.duplicate`, `leads.duplicate_of_contact`), so that
    duplicates count in the uniqueness dimension, the JUnit report and the rule list like any rule."""
    outcomes = []
    for key, stats in duplicates.stats.items():
        entity, _, other = key.partition("~")
        rule_id = f"{entity}.duplicate_of_{other.removesuffix('s')}" if other else f"{entity}.duplicate"
        mine = found[found["rule_id"] == rule_id]
        outcomes.append(
            RuleOutcome(
                rule_id=rule_id,
                kind="duplicate",
                entity=entity,
                fields=(ENTITIES[entity].primary_key,),
                severity=Severity.ERROR if (mine["severity"] == "error").any() else Severity.WARNING,
                dimension="uniqueness",
                status="not_evaluated" if "skipped" in stats else "failed" if len(mine) else "passed",
                evaluated=0 if "skipped" in stats else int(stats.get("records", 0)),
                failed=int(mine["record_id"].nunique()),
                findings=len(mine),
                reason=stats.get("skipped"),
                origin="auditor.dedupe",
            )
        )
    return outcomes


def metrics(
    path: str | Path,
    config: AuditConfig | None = None,
    *,
    period: str | None = None,
    clusters: pd.DataFrame | None = None,
    settings: object | None = None,
    metric_ids: Sequence[str] | None = None,
    breakdowns: bool = True,
    progress: Progress | None = None,
    by: Sequence[str] = (),
) -> tuple[AuditResult, list]:
    """Audit the export, then compute every metric (or `metric_ids`) with its confidence flag,
    judged on the findings of the records and fields each metric reads and on duplicate clusters
    (entity, record_id, cluster_id): `clusters` when given, else those the audit found.
    Returns (the audit result, a list of auditor.metrics.MetricResult). `settings`: a
    MetricsSettings; default: from the config's `metrics:` section. `by`: columns (`column` or
    `entity.column`) every metric whose primary entity has them is also broken down by."""

    config = config or resolve_config(path, None)
    resolve_request(config.as_of, period, metric_ids, defined=config.defined_metrics)
    result = check(path, config, progress=progress)
    results = compute_metrics(
        result,
        config,
        period=period,
        clusters=clusters,
        settings=settings,
        metric_ids=metric_ids,
        breakdowns=breakdowns,
        by=by,
    )
    return result, results


def compute_metrics(
    result: AuditResult,
    config: AuditConfig,
    *,
    period: str | None = None,
    clusters: pd.DataFrame | None = None,
    settings: object | None = None,
    metric_ids: Sequence[str] | None = None,
    breakdowns: bool = True,
    frames: Mapping[str, pd.DataFrame] | None = None,
    ids: Mapping[str, pd.Series] | None = None,
    by: Sequence[str] = (),
    run: Runner = one_after_another,
) -> list:
    """The metrics stage on an audit that already ran: the loaded tables, findings and clusters
    of `result` (or `clusters` when given). `frames` and `ids`: the typed frames and their record
    ids per entity, when they are not `result.data` (the Spark engine passes only the columns the
    metrics read, `auditor.engines.spark.metrics`). `run`: how the metrics' evaluations run
    (`evaluate_metrics`)."""

    if settings is None:
        settings = MetricsSettings.from_dict(config.metrics)
    if clusters is None and result.duplicates is not None and len(result.duplicates.clusters):
        clusters = result.duplicates.clusters
    if frames is None:
        frames = {name: t.frame for name, t in result.data.items()}
        ids = {name: record_ids(ENTITIES[name], t.frame, t.row_numbers) for name, t in result.data.items()}
    money = settle_money(frames, config.money)
    result.currency = money.to_dict()
    return evaluate_metrics(
        frames,
        result.findings,
        as_of=config.as_of,
        period=period,
        clusters=clusters,
        settings=settings,  # type: ignore[arg-type]
        ids=ids,
        metrics=metric_ids,
        breakdowns=breakdowns,
        money=money,
        defined=config.defined_metrics,
        by=by,
        run=run,
    )


def fix_export(
    path: str | Path,
    config: AuditConfig | None = None,
    out: str | Path = "fixed",
    *,
    apply: bool = False,
    level: str = "safe",
    progress: Progress | None = None,
) -> FixReport:
    """Audit `path` (rules only: duplicates are never fixed), plan the safe fixes and write
    `out/changes.csv`; with `apply`, also the fixed copy (auditor.fix.apply_fixes)."""

    # start-up time: only `crm-audit fix` plans fixes; an audit loads the fixers it suggests with (auditor.worklist)
    from auditor.fix import apply_fixes, refuse_bad_target, rules_only

    refuse_bad_target(path, out, level)
    config = config or resolve_config(path, None)
    result = check(path, rules_only(config), progress=progress)
    return apply_fixes(result, config, out, apply=apply, level=level)


def audit(
    path: str | Path,
    config: AuditConfig | None = None,
    *,
    engine: Engine | None = None,
    period: str | None = None,
    extra_rules: Sequence[str | Path] = (),
    progress: Progress | None = None,
    before_worklist: Callable[[AuditResult], None] | None = None,
) -> AuditResult:
    """The full audit: checks, duplicates, scores, gate, then metrics and the cleanup worklist,
    all on one AuditResult (`result.metrics`, `result.worklist`), on `engine` (default: pandas).
    `before_worklist` is given the result when all but the worklist is in it (`crm-audit audit`
    begins writing the files that need no worklist, `auditor.reports.outputs.write_ahead`)."""

    config = config or resolve_config(path, None)
    engine = engine or PandasEngine()
    _, wanted = resolve_request(config.as_of, period, None, defined=config.defined_metrics)  # fails before the checks
    result, loaded, scoring = _check(
        path, config, engine=engine, extra_rules=extra_rules, progress=progress, scores_beside=True
    )
    if progress:
        progress("metrics", 0, 1)
    try:
        with _stage(result.timings, "metrics"):
            inputs = engine.metric_frames(loaded, wanted)
            frames, ids = inputs if inputs is not None else (None, None)
            shared = engine.name == "pandas" and sum(loaded.counts.values()) >= BESIDE_FROM_ROWS
            run = _shared_with_a_child(
                result.timings, "metrics", allowed=shared, first=lambda: _scored(result, scoring)
            )
            result.metrics = compute_metrics(result, config, period=period, frames=frames, ids=ids, run=run)
            _scored(result, scoring)  # a runner that was never called (an engine's own)
    except BaseException:
        if scoring is not None:
            scoring.cancel()
        raise
    if progress:
        progress("metrics", 1, 1)
    with _stage(result.timings, "worklist"):
        if before_worklist is not None:
            before_worklist(result)
        worklist = plan_worklist(result, MetricsSettings.from_dict(config.metrics))  # the config given, not re-read
    result.worklist, result.worklist_records = worklist.tasks, worklist.records
    return result
