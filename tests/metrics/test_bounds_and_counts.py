"""The bound adds the fields' worst moves only when they push the same way, and a count of distinct
values is extrapolated, not scaled, when its failing records are left out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from auditor.metrics import Flag, Params, evaluate_metrics
from auditor.metrics.bounds import bound
from auditor.metrics.language import compile_metrics
from auditor.metrics.registry import Metric

AS_OF = "2026-10-31"


def _difference(sign: float) -> tuple[Metric, dict[str, pd.DataFrame], dict]:
    """sum(x) + sign * sum(y) over ten records, the last one's x and y failing: x is at its largest
    passing value (it can only pull the value down, by going missing), and so is y."""
    frame = pd.DataFrame({"x": [10.0] * 10, "y": [1.0] * 10})
    metric = Metric(
        id="difference",
        title="x and y",
        unit="value",
        kind="sum",
        inputs={"opportunities": ("x", "y")},
        compute=lambda t, p: float(t["opportunities"]["x"].sum() + sign * t["opportunities"]["y"].sum()),
    )
    last = np.arange(10) == 9
    return metric, {"opportunities": frame}, {("opportunities", "x"): last, ("opportunities", "y"): last}


def _bound(sign: float) -> float:
    metric, tables, failing = _difference(sign)
    value = metric.compute(tables, None)
    total, _ = bound(metric, tables, Params.make(AS_OF), value, failing, lambda m, t, p: m.compute(t, p))
    return total


def test_moves_in_opposite_directions_do_not_add_up() -> None:
    # 100 - 10 = 90: x missing gives 80 (-11.1%), y missing gives 91 (+1.1%); they cannot both happen
    # in one direction, so the worst case is 11.1%, not 12.2%
    assert _bound(-1.0) == pytest.approx(10 / 90)


def test_moves_in_the_same_direction_add_up() -> None:
    # 100 + 10 = 110: x missing gives 100, y missing gives 109: both down, 11 of 110
    assert _bound(1.0) == pytest.approx(11 / 110)


WON_ACCOUNTS = compile_metrics(
    {"won_accounts": {"count": "distinct opportunities.account_id where stage == Closed Won"}}
)


def test_a_distinct_count_with_failing_records_like_the_others_stays_high() -> None:
    # 600 won deals over 1,000 accounts (most accounts have one deal); 60 deals carry a finding on their
    # account key but are like the others: leaving them out loses the accounts only they name (about 7%),
    # which is what any 60 deals would lose; extrapolated back, the count barely moves
    rng = np.random.default_rng(11)
    deals = pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(600)],
            "account_id": [f"A{a}" for a in rng.integers(0, 1000, 600)],
            "stage": "Closed Won",
        }
    )
    findings = pd.DataFrame(
        {
            "entity": "opportunities",
            "record_id": deals["opportunity_id"][:60],
            "field": "account_id",
            "rule_id": "opportunities.account_id.foreign_key",
        }
    )
    [result] = evaluate_metrics(
        {"opportunities": deals}, findings, as_of=AS_OF, metrics=WON_ACCOUNTS.values(), breakdowns=False
    )
    assert result.flag is Flag.HIGH, result.reasons
    assert result.sensitivity <= 0.02
    assert "extrapolated to all records" in " ".join(result.reasons)
