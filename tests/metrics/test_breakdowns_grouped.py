"""A breakdown of a single measure of the metric language reduces each group's rows of values made once over the
whole table (`Metric.grouped`); the oracle is the metric computed on a table of only that group's rows, which is
what every other metric's breakdown does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from deal_frames import deals
from hypothesis import given
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.metrics import Params, get_metric
from auditor.metrics.evaluate import prepare
from auditor.metrics.language import compile_metrics
from auditor.money import Money

AS_OF = "2026-10-31"
MONEY = Money(base="PLN", rates={"PLN": 1.0, "EUR": 4.3})
DEFINITIONS = {
    "won_share": {"share": "opportunities where stage == Closed Won", "filter": "stage in [Closed Won, Closed Lost]"},
    "deals": {"count": "opportunities where amount > 100"},
    "with_amount": {"count": "opportunities.amount"},
    "won_sum": {"sum": "opportunities.amount where stage == Closed Won", "window": "close_date"},
    "mean_size": {"mean": "opportunities.amount"},
    "median_days": {"median": "days(opportunities.close_date - date(opportunities.created_at))"},
    "score": {"nps": "opportunities.probability"},
}


@pytest.fixture(scope="module")
def defined():
    return compile_metrics(DEFINITIONS)


@examples(40)
@given(deals(), st.data())
def test_each_group_as_if_the_table_held_only_its_rows_oracle(defined, frame: pd.DataFrame, data) -> None:
    tables, _ = prepare({"opportunities": frame}, None, MONEY)
    params = Params.make(AS_OF, money=MONEY)
    codes = np.array(data.draw(st.lists(st.integers(0, 3), min_size=len(frame), max_size=len(frame))), dtype=int)
    groups = [np.flatnonzero(codes == c) for c in range(4)]
    for mid, m in defined.items():
        assert m.grouped is not None, mid
        opp = tables["opportunities"]
        expected = [m.compute({**tables, "opportunities": opp.iloc[g]}, params) for g in groups]
        got = m.grouped(tables, params, groups)
        for mine, theirs in zip(got, expected, strict=True):
            assert type(mine) is type(theirs), mid
            if isinstance(theirs, int):
                assert mine == theirs, mid
            else:  # the same values in the same order: equal to the last bit
                assert (mine.value, mine.n) == (theirs.value, theirs.n), mid


def test_only_single_measures_are_grouped(defined) -> None:
    others = compile_metrics(
        {
            "ratio": {"ratio": "count(opportunities where stage == Closed Won) / count(leads)"},
            "distinct": {"count": "distinct opportunities.account_id"},
            "weighted": {"mean": "opportunities.amount", "weight": "opportunities.probability"},
            "per": {"count": "opportunities", "per": "stage"},
        }
    )
    assert {mid: m.grouped for mid, m in others.items()} == dict.fromkeys(others)
    # a `per:` mean of totals (CLV) is grouped too since the twentieth session (test_made_once.py)
    assert get_metric("win_rate").grouped is not None and get_metric("clv").grouped is not None


RATIOS = {
    "per_deal": {"ratio": "sum(opportunities.amount where stage == Closed Won) / count(opportunities)"},
    "won_rate": {"rate": "count(opportunities where stage == Closed Won) / count(opportunities where amount > 0)"},
    "paired": {"ratio": "sum(opportunities.amount where stage == Closed Won) / sum(opportunities.probability)"},
    "paired_rate": {"rate": ["sum(opportunities.probability)", "sum(opportunities.amount)"], "scale": 100},
    "in_window": {
        "rate": "count(opportunities where stage == Closed Won) / count(opportunities)",
        "window": "close_date",
    },
}


@examples(40)
@given(deals(), st.data())
def test_a_ratio_of_one_tables_counts_or_sums_per_group_is_the_ratio_of_its_rows_oracle(frame, data) -> None:
    """Oracle: each group's ratio or rate (two counts or sums of the table's rows, paired or not) is the metric on a
    table of only the group's rows, every field to the last bit (the terms a bootstrap resamples too)."""
    defined = compile_metrics(RATIOS)
    tables, _ = prepare({"opportunities": frame}, None, MONEY)
    params = Params.make(AS_OF, money=MONEY)
    codes = np.array(data.draw(st.lists(st.integers(0, 3), min_size=len(frame), max_size=len(frame))), dtype=int)
    groups = [np.flatnonzero(codes == c) for c in range(4)]
    opp = tables["opportunities"]
    for mid, m in defined.items():
        assert m.grouped is not None, mid
        for mine, theirs in zip(
            m.grouped(tables, params, groups),
            [m.compute({**tables, "opportunities": opp.iloc[g]}, params) for g in groups],
            strict=True,
        ):
            assert (mine.value, mine.n, mine.successes, mine.scale) == (
                theirs.value,
                theirs.n,
                theirs.successes,
                theirs.scale,
            ), mid
            assert (mine.pairs is None) == (theirs.pairs is None), mid
            if theirs.pairs is not None:
                np.testing.assert_array_equal(mine.pairs, theirs.pairs)


def test_a_ratio_with_a_distinct_count_or_a_mean_is_recomputed_per_group() -> None:
    others = compile_metrics(
        {
            "distinct": {"ratio": "sum(opportunities.amount) / count(distinct opportunities.account_id)"},
            "mean": {"ratio": "mean(opportunities.amount) / count(opportunities)"},
        }
    )
    assert {mid: m.grouped for mid, m in others.items()} == dict.fromkeys(others)
