"""Run history: each audit stored in a database, so that runs can be listed, compared
(`auditor.diff`) and judged against the last passing run of the same input (`track`).

Where: `--history` (a file path or any SQLAlchemy URL), else $CRM_AUDIT_HISTORY, else the
embedded SQLite file `.crm-audit/history.sqlite` under the current directory.

What a run keeps: id, start time, input (a URL without its password), config, as_of, tool
version, overall score, scores per dimension, entity, entity dimension and field, the gate
verdict and its checks, every rule's outcome and counts, the finding counts by severity, each
metric's value and confidence, and each worklist task's id, priority and number of records (task
ids are stable, so `track` tells the tasks done and the records fixed since the previous run).
A run is written in one transaction (SQLite: BEGIN IMMEDIATE, so concurrent runs queue instead of
interleaving); a crash leaves the database as it was.

The tables carry a schema version (`crm_audit_schema`); a database of another version is refused
with a message, never read by guess.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from auditor import __version__
from auditor.diff import compare, regressions
from auditor.errors import ConfigError, InputError
from auditor.gate import GateCheck
from auditor.redact import redact
from auditor.result import AuditResult
from auditor.runs import MetricState, RuleState, Run, RunSummary, ScoreKey, input_keys, short_time, snapshot

DEFAULT_LOCATION = ".crm-audit/history.sqlite"
ENV_VARIABLE = "CRM_AUDIT_HISTORY"
SCHEMA_VERSION = 1
TREND_RUNS = 20
BUSY_TIMEOUT_SECONDS = 60
"""How long a run waits for another run's write to finish before giving up."""

metadata = sa.MetaData()
schema_table = sa.Table("crm_audit_schema", metadata, sa.Column("version", sa.Integer, nullable=False))
runs_table = sa.Table(
    "crm_audit_runs",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(32), nullable=False, unique=True),
    sa.Column("started_at", sa.String(40), nullable=False),
    sa.Column("recorded_at", sa.String(40), nullable=False),
    sa.Column("input", sa.Text, nullable=False),
    sa.Column("config", sa.Text),
    sa.Column("as_of", sa.String(10), nullable=False),
    sa.Column("tool_version", sa.String(40), nullable=False),
    sa.Column("overall", sa.Float),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("findings", sa.Integer, nullable=False),
    sa.Column("errors", sa.Integer, nullable=False),
    sa.Column("warnings", sa.Integer, nullable=False),
    sa.Column("infos", sa.Integer, nullable=False),
    sa.Column("gate_json", sa.Text, nullable=False),
    sa.Index("crm_audit_runs_input", "input", "seq"),
)
scores_table = sa.Table(
    "crm_audit_scores",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("crm_audit_runs.run_id"), nullable=False, index=True),
    sa.Column("entity", sa.String(100)),
    sa.Column("dimension", sa.String(100)),
    sa.Column("field", sa.String(200)),
    sa.Column("score", sa.Float, nullable=False),
)
rules_table = sa.Table(
    "crm_audit_rules",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("crm_audit_runs.run_id"), nullable=False, index=True),
    sa.Column("rule_id", sa.String(300), nullable=False),
    sa.Column("entity", sa.String(100), nullable=False),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("evaluated", sa.Integer, nullable=False),
    sa.Column("failed", sa.Integer, nullable=False),
    sa.Column("findings", sa.Integer, nullable=False),
)
tasks_table = sa.Table(
    "crm_audit_tasks",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("crm_audit_runs.run_id"), nullable=False, index=True),
    sa.Column("task_id", sa.String(40), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("records", sa.Integer, nullable=False),
)
"""Added to schema version 1 without a version change: a history written before it gets the table on
the next write, and reads as "no tasks recorded" until then."""
metrics_table = sa.Table(
    "crm_audit_metrics",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("crm_audit_runs.run_id"), nullable=False, index=True),
    sa.Column("metric_id", sa.String(200), nullable=False),
    sa.Column("value_json", sa.Text, nullable=False),
    sa.Column("confidence", sa.String(20), nullable=False),
)


class History:
    """The run history at one location. Use as a context manager, or call `close()`."""

    def __init__(self, engine: sa.Engine, location: str) -> None:
        self.engine = engine
        self.location = location

    @classmethod
    def open(cls, location: str | Path | None = None, *, create: bool = True) -> History:
        """Open (and with `create`, initialise) the history at `location`: a file path or a
        SQLAlchemy URL; None: $CRM_AUDIT_HISTORY or `.crm-audit/history.sqlite`."""
        where = _where(location)
        url = where if "://" in where else _file_url(where)
        shown = redact(where)
        history = cls(_engine(url, shown, create), shown)
        try:
            history._check_schema(create)
        except BaseException:
            history.close()
            raise
        return history

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sa.Connection]:
        with _database_errors(self.location), self.engine.connect() as conn:
            if self.engine.dialect.name == "sqlite":
                # Take the write lock up front: a deferred transaction that upgrades from read to
                # write fails at once (SQLITE_BUSY) when another run holds the lock, instead of waiting.
                conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
            yield conn
            conn.commit()

    def _check_schema(self, create: bool) -> None:
        with self._transaction(write=create) as conn:
            inspector = sa.inspect(conn)
            if not inspector.has_table(schema_table.name):
                if inspector.has_table(runs_table.name):
                    raise InputError(f"{runs_table.name} exists without a schema version: not ours", file=self.location)
                if not create:
                    raise InputError("not a crm-audit run history (no run recorded here yet)", file=self.location)
                metadata.create_all(conn)
                conn.execute(schema_table.insert().values(version=SCHEMA_VERSION))
                return
            versions = conn.execute(sa.select(schema_table.c.version)).scalars().all()
            if create and versions == [SCHEMA_VERSION]:
                tasks_table.create(conn, checkfirst=True)
        if versions != [SCHEMA_VERSION]:
            found = ", ".join(map(str, versions)) or "none"
            raise InputError(
                f"run history has schema version {found}; crm-audit {__version__} reads version "
                f"{SCHEMA_VERSION}: use a crm-audit that matches, or point --history at a new file",
                file=self.location,
            )

    def record(self, run: Run | AuditResult, tasks: pd.DataFrame | None = None) -> str:
        """Store a run (an AuditResult is stored as its `snapshot`, with its worklist's tasks);
        `tasks`: the worklist (task_id, priority, records) to keep with a Run. Returns its run id."""
        if isinstance(run, AuditResult):
            tasks = run.worklist if tasks is None else tasks
            run = snapshot(run)
        run_id = run.run_id
        with self._transaction(write=True) as conn:
            conn.execute(
                runs_table.insert().values(
                    run_id=run_id,
                    started_at=run.started_at,
                    recorded_at=pd.Timestamp.now(tz="UTC").isoformat(),
                    input=run.input,
                    config=run.config,
                    as_of=run.as_of,
                    tool_version=run.tool_version,
                    overall=run.overall,
                    passed=run.passed,
                    findings=run.findings["total"],
                    errors=run.findings["error"],
                    warnings=run.findings["warning"],
                    infos=run.findings["info"],
                    gate_json=json.dumps(run.gate),
                )
            )
            rows = [{"run_id": run_id, **key._asdict(), "score": score} for key, score in run.scores.items()]
            if rows:
                conn.execute(scores_table.insert(), rows)
            rules = [{"run_id": run_id, **vars(r)} for r in run.rules.values()]
            if rules:
                conn.execute(rules_table.insert(), rules)
            metrics = [
                {"run_id": run_id, "metric_id": k, "value_json": json.dumps(m.value), "confidence": m.confidence}
                for k, m in run.metrics.items()
            ]
            if metrics:
                conn.execute(metrics_table.insert(), metrics)
            if tasks is not None and len(tasks) and "records" in tasks:
                conn.execute(
                    tasks_table.insert(),
                    [
                        {"run_id": run_id, "task_id": str(t), "priority": int(p), "records": int(n)}
                        for t, p, n in zip(tasks["task_id"], tasks["priority"], tasks["records"], strict=True)
                    ],
                )
        return run_id

    def tasks(self, run_id: str) -> dict[str, int] | None:
        """task id -> records of the run's worklist; None when the run kept no tasks."""
        with self._transaction(write=False) as conn:
            if not sa.inspect(conn).has_table(tasks_table.name):
                return None
            rows = conn.execute(
                sa.select(tasks_table.c.task_id, tasks_table.c.records).where(tasks_table.c.run_id == run_id)
            ).all()
        return {t: n for t, n in rows} or None

    def runs(self, limit: int | None = TREND_RUNS, input: str | None = None) -> list[RunSummary]:
        """The latest runs, newest first; only those of `input` when given."""
        query = sa.select(runs_table).order_by(runs_table.c.seq.desc()).limit(limit)
        if input is not None:
            query = query.where(runs_table.c.input.in_(input_keys(input)))
        with self._transaction(write=False) as conn:
            return [_summary(row) for row in conn.execute(query).mappings()]

    def get(self, ref: str) -> Run:
        """The run whose id is `ref` or starts with it (a unique prefix, as in git)."""
        with self._transaction(write=False) as conn:
            ids = (
                conn.execute(
                    sa.select(runs_table.c.run_id)
                    .where(runs_table.c.run_id.startswith(ref.strip().lower(), autoescape=True))
                    .limit(6)
                )
                .scalars()
                .all()
            )
            if not ids or not ref.strip():
                raise InputError(
                    f"no run {ref!r} in the run history (crm-audit history lists them)", file=self.location
                )
            if len(ids) > 1:
                shown = ", ".join(i[:12] for i in ids[:5])
                raise InputError(f"run {ref!r} is ambiguous: it starts {shown}...; give more characters")
            return _load(conn, ids[0])

    def pair(self, first: str | None = None, second: str | None = None) -> tuple[Run, Run]:
        """Two runs to compare: the given ids (or prefixes); with one, that run and the latest;
        with none, the last two runs."""
        if first is not None:
            before = self.get(first)
            return before, self.get(second if second is not None else self.runs(1)[0].run_id)
        last = self.runs(2)
        if len(last) < 2:
            raise InputError(
                f"the run history holds {len(last)} run{'s' if len(last) != 1 else ''}; a diff needs two",
                file=self.location,
            )
        return self.get(last[1].run_id), self.get(last[0].run_id)

    def last_passing(self, input: str | None = None) -> Run | None:
        """The newest run whose gate passed (of `input` when given)."""
        query = sa.select(runs_table.c.run_id).where(runs_table.c.passed.is_(True))
        if input is not None:
            query = query.where(runs_table.c.input.in_(input_keys(input)))
        with self._transaction(write=False) as conn:
            found = conn.execute(query.order_by(runs_table.c.seq.desc()).limit(1)).scalar()
            return _load(conn, found) if found else None


def _summary(row: sa.RowMapping) -> RunSummary:
    return RunSummary(
        row["run_id"],
        row["started_at"],
        row["input"],
        row["as_of"],
        row["tool_version"],
        row["overall"],
        bool(row["passed"]),
        row["findings"],
        row["errors"],
    )


def _load(conn: sa.Connection, run_id: str) -> Run:
    row = conn.execute(sa.select(runs_table).where(runs_table.c.run_id == run_id)).mappings().one()
    where = {t: t.c.run_id == run_id for t in (scores_table, rules_table, metrics_table)}
    scores = conn.execute(sa.select(scores_table).where(where[scores_table])).mappings()
    rules = conn.execute(sa.select(rules_table).where(where[rules_table])).mappings()
    metrics = conn.execute(sa.select(metrics_table).where(where[metrics_table])).mappings()
    return Run(
        run_id=row["run_id"],
        started_at=row["started_at"],
        input=row["input"],
        config=row["config"],
        as_of=row["as_of"],
        tool_version=row["tool_version"],
        overall=row["overall"],
        passed=bool(row["passed"]),
        findings={"total": row["findings"], "error": row["errors"], "warning": row["warnings"], "info": row["infos"]},
        gate=json.loads(row["gate_json"]),
        scores={ScoreKey(s["entity"], s["dimension"], s["field"]): s["score"] for s in scores},
        rules={
            r["rule_id"]: RuleState(
                r["rule_id"], r["entity"], r["severity"], r["status"], r["evaluated"], r["failed"], r["findings"]
            )
            for r in rules
        },
        metrics={m["metric_id"]: MetricState(json.loads(m["value_json"]), m["confidence"]) for m in metrics},
    )


def _where(location: str | Path | None) -> str:
    return str(location or os.environ.get(ENV_VARIABLE) or DEFAULT_LOCATION)


def check_location(location: str | Path | None = None) -> None:
    """A ConfigError for a history location that cannot be used (an unknown scheme, a port that is not a
    number, a driver not installed, a folder), connecting to nothing and creating nothing: an audit asks
    before it runs, not after an hour of work."""
    where = _where(location)
    if "://" in where:
        _parse(where, redact(where))
    else:
        _file_url(where)


def _parse(url: str, shown: str) -> sa.URL:
    try:
        parsed = sa.engine.make_url(url)
        parsed.get_dialect().import_dbapi()
    except ValueError:  # SQLAlchemy's int() of the port
        raise ConfigError("not a usable --history database URL: its port is not a number", file=shown) from None
    except (sa.exc.ArgumentError, ImportError) as err:
        raise ConfigError(f"not a usable --history database URL ({redact(str(err))})", file=shown) from None
    return parsed


def _file_url(path: str) -> str:
    file = Path(path).expanduser()
    if file.is_dir():
        raise ConfigError("is a directory; --history takes a database file or a SQLAlchemy URL", file=path)
    return f"sqlite:///{file.resolve()}"


def _engine(url: str, shown: str, create: bool) -> sa.Engine:
    parsed = _parse(url, shown)
    if parsed.get_backend_name() != "sqlite":
        try:
            return sa.create_engine(parsed)
        except (sa.exc.ArgumentError, ImportError) as err:
            raise ConfigError(f"not a usable --history database URL ({redact(str(err))})", file=shown) from None
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        file = Path(database)
        if create:
            with _database_errors(shown):
                file.parent.mkdir(parents=True, exist_ok=True)
        elif not file.is_file():
            raise InputError("no run history here yet (crm-audit audit records one)", file=shown)
    engine = sa.create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})

    @sa.event.listens_for(engine, "connect")
    def _manual_transactions(dbapi_connection: Any, _: Any) -> None:
        # pysqlite opens transactions itself, late and never for reads; History._transaction
        # issues BEGIN itself so that a write takes its lock before it reads anything.
        dbapi_connection.isolation_level = None

    return engine


@contextlib.contextmanager
def _database_errors(location: str) -> Iterator[None]:
    try:
        yield
    except sa.exc.SQLAlchemyError as err:
        cause = getattr(err, "orig", None) or err
        raise InputError(f"cannot use the run history ({type(cause).__name__}: {cause})", file=location) from None
    except OSError as err:
        raise InputError(f"cannot use the run history ({err.strerror or err})", file=location) from None


def track(result: AuditResult, history_url: str | Path | None = None, fail_on_regression: float | None = None) -> None:
    """Compare `result` with the last passing run of the same input, then record it.

    Fills `result.history` ({run_id, trend, baseline, regressions}). With `fail_on_regression`
    (points), a gate check "regression" is added; it fails when the overall score dropped by more
    than that many points against the baseline, or an error-level rule that passed (or did not
    exist) in the baseline now fails, and then the gate fails too. The run is recorded with the
    final verdict."""
    if fail_on_regression is not None and not fail_on_regression >= 0:
        raise ConfigError(f"--fail-on-regression takes a number of points >= 0, not {fail_on_regression}")
    with History.open(history_url) as history:
        baseline = history.last_passing(result.input)
        previous = history.runs(1, input=result.input)
        before = history.tasks(previous[0].run_id) if previous else None
        current = snapshot(result)
        found = regressions(compare(baseline, current), fail_on_regression or 0.0) if baseline else []
        if fail_on_regression is not None:
            check = _regression_check(baseline, found, fail_on_regression)
            result.gate.checks.append(check)
            result.gate.passed = result.gate.passed and check.passed
            current.passed, current.gate = result.gate.passed, result.gate.to_dict()
        history.record(current, tasks=result.worklist)
        trend = history.runs(TREND_RUNS, input=result.input)
    result.history = {
        "run_id": current.run_id,
        "trend": [
            {"run_id": r.run_id, "started_at": r.started_at, "overall": r.overall, "passed": r.passed}
            for r in reversed(trend)
        ],
        "baseline": baseline.summary.to_dict() if baseline else None,
        "regressions": found,
    }
    if before is not None and result.worklist is not None and "records" in result.worklist:
        result.history["progress"] = task_progress(before, result.worklist, previous[0])


def task_progress(before: dict[str, int], worklist: pd.DataFrame, previous: Any) -> dict[str, Any]:
    """The worklist against the previous run of the same input, by task id: tasks done (gone),
    new, still open, and records fixed (a task's records that no longer need the edit)."""
    now = dict(zip(worklist["task_id"].astype(str), worklist["records"].astype(int), strict=True))
    done = [t for t in before if t not in now]
    fixed = sum(before[t] for t in done) + sum(max(before[t] - n, 0) for t, n in now.items() if t in before)
    return {
        "against": previous.run_id,
        "started_at": previous.started_at,
        "tasks_before": len(before),
        "tasks_done": len(done),
        "tasks_new": sum(t not in before for t in now),
        "tasks_open": len(now),
        "records_fixed": fixed,
        "records_open": sum(now.values()),
    }


def _regression_check(baseline: Run | None, found: list[str], points: float) -> GateCheck:
    if baseline is None:
        return GateCheck("regression", True, "no earlier passing run of this input to compare with")
    against = f"run {baseline.run_id[:8]} of {short_time(baseline.started_at)}"
    if found:
        return GateCheck("regression", False, f"against {against}: " + "; ".join(found))
    return GateCheck(
        "regression", True, f"no regression against {against} (score drop within {points:g} points, no new error rule)"
    )
