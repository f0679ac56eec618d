"""Where an audit runs: `pandas` (in-process, the default) or `spark` (a cluster, or local[*]).

Both engines run the same pandas code on the same rules and return the same AuditResult, so
scores, gate and reports do not know which one ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from auditor.config import AuditConfig
from auditor.errors import ConfigError
from auditor.pipeline import Progress, audit, check, resolve_config
from auditor.result import AuditResult

ENGINES = ("pandas", "spark")
DEFAULT_ENGINE = "pandas"


def run_check(
    path: str | Path,
    config: AuditConfig | None = None,
    *,
    engine: str = DEFAULT_ENGINE,
    master: str | None = None,
    extra_rules: Sequence[str | Path] = (),
    progress: Progress | None = None,
    ge_suites: Sequence[str | Path] = (),
) -> AuditResult:
    """`auditor.pipeline.check` on the chosen engine; `master` (a Spark master URL) only for spark."""
    validate(engine, master)
    config = config or resolve_config(path, None)
    if engine == "pandas":
        return check(path, config, extra_rules=extra_rules, progress=progress, ge_suites=ge_suites)
    if ge_suites:
        raise ConfigError("Great Expectations suites run with the pandas engine only")
    from auditor.engines import spark

    return spark.check(path, config, master=master, extra_rules=extra_rules, progress=progress)


def run_audit(
    path: str | Path,
    config: AuditConfig | None = None,
    *,
    engine: str = DEFAULT_ENGINE,
    master: str | None = None,
    period: str | None = None,
    extra_rules: Sequence[str | Path] = (),
    progress: Progress | None = None,
) -> AuditResult:
    """`auditor.pipeline.audit` (checks, duplicates, scores, metrics, worklist) on the chosen engine."""
    validate(engine, master)
    config = config or resolve_config(path, None)
    if engine == "pandas":
        return audit(path, config, period=period, extra_rules=extra_rules, progress=progress)
    from auditor.engines import spark

    return spark.audit(path, config, master=master, period=period, extra_rules=extra_rules, progress=progress)


def validate(engine: str, master: str | None) -> None:
    """A ConfigError for an unknown engine, or a Spark master given to another engine."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
    if engine != "spark" and master is not None:
        raise ConfigError("--spark-master needs --engine spark")
