"""Where an audit runs: `pandas` (in-process, the default) or `spark` (a cluster, or local[*]).

Both implement `auditor.engines.base.Engine`; `auditor.pipeline.check/audit(..., engine=)` drive either,
so scores, gate, metrics, worklist and reports do not know which one ran.
"""

from __future__ import annotations

from auditor.engines.base import Engine
from auditor.errors import ConfigError

ENGINES = ("pandas", "spark")
PYSPARK_MISSING = "the spark engine needs pyspark: pip install 'crm-auditor[spark]' (and Java 17 or later)"
DEFAULT_ENGINE = "pandas"


def get_engine(name: str = DEFAULT_ENGINE, master: str | None = None) -> Engine:
    """The engine called `name`; `master` (a Spark master URL) only for spark. The Spark session starts
    when the engine first needs it."""
    validate(name, master)
    if name == "spark":
        try:
            from auditor.engines.spark import SparkEngine  # pyspark is an optional dependency
        except ModuleNotFoundError as err:
            if err.name is None or not err.name.startswith("pyspark"):
                raise
            raise ConfigError(PYSPARK_MISSING) from None
        return SparkEngine(master=master)
    # start-up time: the stages behind an engine load when a command asks for one, not with `--help`
    from auditor.engines.pandas import PandasEngine

    return PandasEngine()


def validate(engine: str, master: str | None) -> None:
    """A ConfigError for an unknown engine, or a Spark master given to another engine."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
    if engine != "spark" and master is not None:
        raise ConfigError("--spark-master needs --engine spark")
