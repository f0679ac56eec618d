"""The readers under generated input (seeded): every XLSX, Parquet and JSON shape either loads or is refused
with one line (exit 2), and the input is left as it was (CSV: test_fuzz_csv.py).

A few examples run in the default test run; `-m fuzz` runs the bounded campaign (see README,
"Reliability and safety")."""

from __future__ import annotations

import pytest
from fuzz_harness import SMOKE, campaign, load
from fuzz_strategies import Sample, json_sample, parquet_sample, xlsx_sample
from hypothesis import given


@SMOKE
@given(xlsx_sample())
def test_xlsx_loads_or_is_refused_in_one_line(sample: Sample) -> None:
    load(sample)


@SMOKE
@given(parquet_sample())
def test_parquet_loads_or_is_refused_in_one_line(sample: Sample) -> None:
    load(sample)


@SMOKE
@given(json_sample())
def test_json_loads_or_is_refused_in_one_line(sample: Sample) -> None:
    load(sample)


@pytest.mark.fuzz
@campaign(400)
@given(xlsx_sample())
def test_xlsx_campaign(sample: Sample) -> None:
    load(sample)


@pytest.mark.fuzz
@campaign(1000)
@given(parquet_sample())
def test_parquet_campaign(sample: Sample) -> None:
    load(sample)


@pytest.mark.fuzz
@campaign(1000)
@given(json_sample())
def test_json_campaign(sample: Sample) -> None:
    load(sample)
