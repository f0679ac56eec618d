"""The heavy oracles' example counts (tests/oracle_examples.py): a quarter in the default run, all of them in
the fuzz campaign, and the mark that the campaign selects them by."""

from __future__ import annotations

import oracle_examples
from hypothesis import given
from hypothesis import strategies as st


def _oracle():
    @oracle_examples.examples(150)
    @given(st.integers())
    def oracle(value: int) -> None:
        pass

    return oracle


def test_the_default_run_tries_a_quarter_rounded_up_and_the_campaign_every_example(monkeypatch) -> None:
    monkeypatch.setattr(oracle_examples, "FULL", False)
    assert _oracle()._hypothesis_internal_use_settings.max_examples == 38
    monkeypatch.setattr(oracle_examples, "FULL", True)
    assert _oracle()._hypothesis_internal_use_settings.max_examples == 150


def test_a_heavy_oracle_is_marked_for_the_campaign() -> None:
    assert [mark.name for mark in _oracle().pytestmark] == ["full_examples"]
