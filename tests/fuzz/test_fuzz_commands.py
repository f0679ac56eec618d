"""`crm-audit check` and `audit` under generated input (seeded), in this process: exit 0, 1 or 2 and never
3, no traceback, every output parseable, the input unchanged. A few examples in the default run; `-m fuzz`
runs the bounded campaign."""

from __future__ import annotations

import pytest
from fuzz_harness import run
from fuzz_strategies import Sample, any_sample
from hypothesis import HealthCheck, Phase, given, settings

_OPTIONS = settings(derandomize=True, database=None, suppress_health_check=list(HealthCheck))
_UNSHRUNK = settings(_OPTIONS, phases=[Phase.explicit, Phase.generate])
"""A failing run is reported as generated: shrinking a whole audit took over five minutes."""


@settings(_OPTIONS, max_examples=3)
@given(any_sample())
def test_check_exits_0_1_or_2_with_parseable_outputs(sample: Sample) -> None:
    run("check", sample, "--no-mask-pii")


@pytest.mark.fuzz
@settings(_UNSHRUNK, max_examples=90)
@given(any_sample())
def test_check_campaign(sample: Sample) -> None:
    run("check", sample, "--no-mask-pii")


@pytest.mark.fuzz
@settings(_UNSHRUNK, max_examples=10)
@given(any_sample())
def test_audit_campaign(sample: Sample) -> None:
    run("audit", sample, "--no-history", "--mask-pii")
