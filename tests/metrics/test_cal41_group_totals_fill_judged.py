"""A mean or median of groups' totals judges the fill's move, not the larger of it and leaving the records out."""

from __future__ import annotations

import pandas as pd
import pytest
from test_fill_by_group_size import MEDIAN_PER_CUSTOMER, _land_and_expand, ten_amounts_missing

from auditor.metrics import Flag, evaluate_metrics
from auditor.metrics.language import compile_metrics

MEAN_PER_CUSTOMER = compile_metrics(
    {"mean_per_customer": {"mean": "opportunities.amount where stage == Closed Won", "per": "account_id"}}
)
JUDGED = "which is judged: left out, a record would take its part out of its account_id's total"


@pytest.mark.parametrize(
    ("metrics", "statistic", "left_out", "filled"),
    [
        (MEDIAN_PER_CUSTOMER, "median", "to 11,901 PLN (+3.3%)", "to 11,688 PLN (+1.4%)"),
        (MEAN_PER_CUSTOMER, "mean", "to 75,472 PLN (+3.4%)", "to 73,287 PLN (+0.5%)"),
    ],
)
def test_one_deal_customers_left_out_are_not_a_cleaner_total(metrics, statistic, left_out, filled) -> None:
    # ten of 200 one-deal customers (deals of about 10,000 PLN; 100 repeat customers buy four of about 50,000)
    # have no amount: as recorded their totals are 0, and the value is within 0.6% of the truth. Left out, the ten
    # smallest customers drop out and the value moves +3.3-3.4%, as dropping ten random customers would not: the
    # flag was MEDIUM on that move. Filled from one-deal customers' deals, their totals are back, and the move is
    # the fill's
    deals = _land_and_expand()
    totals = deals[deals["stage"] == "Closed Won"].groupby("account_id")["amount"].agg("sum")
    truth = getattr(totals, statistic)()
    broken, findings = ten_amounts_missing(deals)
    [result] = evaluate_metrics(
        {"opportunities": broken}, findings, as_of="2026-10-31", metrics=metrics.values(), breakdowns=False
    )
    said = " ".join(result.reasons)
    assert abs(result.value - truth) / truth < 0.006
    assert left_out in said and filled + ", " + JUDGED in said
    assert result.flag == Flag.HIGH


def test_a_mean_of_records_judges_the_larger_move() -> None:
    # the same deals' amounts as a mean of records: leaving ten deals out is leaving out records like the others,
    # and the fill's smaller move does not replace it
    [metric] = compile_metrics({"m": {"mean": "opportunities.amount where stage == Closed Won"}}).values()
    deals = _land_and_expand()
    broken = deals.assign(amount=deals["amount"].where(deals.index >= 10))
    findings = pd.DataFrame(
        {"entity": "opportunities", "record_id": broken["opportunity_id"][:10], "field": "amount", "rule_id": "r"}
    )
    [result] = evaluate_metrics({"opportunities": broken}, findings, as_of="2026-10-31", metrics=[metric])
    assert "which is judged" not in " ".join(result.reasons)
