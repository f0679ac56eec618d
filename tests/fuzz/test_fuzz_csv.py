"""CSV exports under generated input (seeded): every delimiter, quoting, line ending, BOM and encoding, and
damaged bytes, either load or are refused with one line (exit 2), and the input is left as it was. The
campaign has a file of its own so that pytest-xdist runs it beside the others (see README, "Reliability
and safety")."""

from __future__ import annotations

import pytest
from fuzz_harness import SMOKE, campaign, load
from fuzz_strategies import Sample, csv_sample
from hypothesis import given


@SMOKE
@given(csv_sample())
def test_csv_loads_or_is_refused_in_one_line(sample: Sample) -> None:
    load(sample)


@pytest.mark.fuzz
@campaign(2500)
@given(csv_sample())
def test_csv_campaign(sample: Sample) -> None:
    load(sample)
