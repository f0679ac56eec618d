"""The readers under generated input (seeded): every CSV dialect and encoding, XLSX, Parquet and JSON
shape either loads or is refused with one line (exit 2), and the input is left as it was.

A few examples run in the default test run; `-m fuzz` runs the bounded campaign (see README,
"Reliability and safety")."""

from __future__ import annotations

import pytest
from fuzz_harness import load
from fuzz_strategies import Sample, csv_sample, json_sample, parquet_sample, xlsx_sample
from hypothesis import HealthCheck, given, settings

_SMOKE = settings(max_examples=8, derandomize=True, database=None, suppress_health_check=list(HealthCheck))


def _campaign(examples: int) -> settings:
    return settings(max_examples=examples, derandomize=True, database=None, suppress_health_check=list(HealthCheck))


@_SMOKE
@given(csv_sample())
def test_csv_loads_or_is_refused_in_one_line(sample: Sample) -> None:
    load(sample)


@_SMOKE
@given(xlsx_sample())
def test_xlsx_loads_or_is_refused_in_one_line(sample: Sample) -> None:
    load(sample)


@_SMOKE
@given(parquet_sample())
def test_parquet_loads_or_is_refused_in_one_line(sample: Sample) -> None:
    load(sample)


@_SMOKE
@given(json_sample())
def test_json_loads_or_is_refused_in_one_line(sample: Sample) -> None:
    load(sample)


@pytest.mark.fuzz
@_campaign(2400)
@given(csv_sample())
def test_csv_campaign(sample: Sample) -> None:
    load(sample)


@pytest.mark.fuzz
@_campaign(450)
@given(xlsx_sample())
def test_xlsx_campaign(sample: Sample) -> None:
    load(sample)


@pytest.mark.fuzz
@_campaign(1000)
@given(parquet_sample())
def test_parquet_campaign(sample: Sample) -> None:
    load(sample)


@pytest.mark.fuzz
@_campaign(1000)
@given(json_sample())
def test_json_campaign(sample: Sample) -> None:
    load(sample)
