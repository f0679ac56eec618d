"""A breakdown of a single measure of the metric language reduces each group's rows of values made once over the
whole table (`Metric.grouped`); the oracle is the metric computed on a table of only that group's rows, which is
what every other metric's breakdown does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from deal_frames import deals
from hypothesis import given, settings
from hypothesis import strategies as st

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


@settings(max_examples=40, deadline=None)
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
    assert get_metric("win_rate").grouped is not None and get_metric("clv").grouped is None
