"""Choosing an engine: a clear one-line error, never an ImportError, when the Spark extra is missing."""

from __future__ import annotations

import sys

import pytest

from auditor.engines import PYSPARK_MISSING, get_engine
from auditor.errors import ConfigError


def test_the_spark_engine_without_pyspark_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "pyspark" or m.startswith(("pyspark.", "auditor.engines.spark"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now raises ModuleNotFoundError
    with pytest.raises(ConfigError, match="needs pyspark") as caught:
        get_engine("spark")
    assert str(caught.value).startswith(PYSPARK_MISSING)


def test_a_spark_master_without_the_spark_engine_is_refused() -> None:
    with pytest.raises(ConfigError, match="--spark-master needs --engine spark"):
        get_engine("pandas", master="local[2]")
