"""The unknown share of a mean or median of groups' totals counts groups, as its value does: the groups holding the
failing records among the groups of its records, not records among records."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from test_fill_by_group_size import MEDIAN_PER_CUSTOMER

from auditor.metrics import MetricResult, MetricsSettings, evaluate_metrics
from auditor.metrics.language import compile_metrics

MEAN_PER_CUSTOMER = compile_metrics(
    {"mean_per_customer": {"mean": "opportunities.amount where stage == Closed Won", "per": "account_id"}}
)


def _four_deals_each() -> tuple[pd.DataFrame, pd.DataFrame]:
    # 100 customers with four won deals each (400 deals) and one more won deal without a customer; five customers'
    # twenty deals have no amount. Unknown: 21 of 401 deals, but 6 of 101 groups - the five customers' totals and
    # the group, whichever it is, of the deal without a customer
    rng = np.random.default_rng(42)
    amount = np.round(rng.lognormal(np.log(10_000), 0.5, 401))
    amount[:20] = np.nan
    deals = pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(401)],
            "account_id": [f"A{i // 4:03d}" for i in range(400)] + [None],
            "stage": "Closed Won",
            "amount": amount,
            "currency": "PLN",
        }
    )
    failing = pd.DataFrame(
        {
            "entity": "opportunities",
            "record_id": [*deals["opportunity_id"][:20], "O400"],
            "field": ["amount"] * 20 + ["account_id"],
            "rule_id": ["opportunities.amount.required"] * 20 + ["opportunities.account_id.required"],
        }
    )
    return deals, failing


@pytest.mark.parametrize("metrics", [MEDIAN_PER_CUSTOMER, MEAN_PER_CUSTOMER], ids=["median", "mean"])
def test_the_unknown_share_counts_the_groups_of_the_failing_records(metrics) -> None:
    # by hand from the result's own interval (se = half-width / z) and value without the failing records:
    # se x sqrt(n) x sqrt(6) / 101, where records gave se x sqrt(n) x sqrt(21) / 401, half of it (0.57x)
    deals, findings = _four_deals_each()
    [result] = evaluate_metrics(
        {"opportunities": deals}, findings, as_of="2026-10-31", metrics=metrics.values(), breakdowns=False
    )
    said, spread = _unknown_said(result)
    assert result.n == 100
    in_groups = 100 * spread * math.sqrt(6) / 101 / result.value_excluding_failing
    in_records = 100 * spread * math.sqrt(21) / 401 / result.value_excluding_failing
    assert said == pytest.approx(in_groups, abs=0.05)
    assert in_groups > 1.5 * in_records + 0.1  # the two are told apart at the reason's one decimal


def test_a_deal_read_as_its_rule_suggests_is_no_unknown_group() -> None:
    # the five customers' deals whose stage is only misspelt ("closed won") are read as Closed Won: no unknown
    # remains in their customers, which leaves the deal without a customer alone, 1 of 101 groups
    deals, findings = _four_deals_each()
    deals = deals.assign(amount=deals["amount"].fillna(10_000.0), stage=["closed won"] * 20 + ["Closed Won"] * 381)
    findings = findings.assign(
        field=["stage"] * 20 + ["account_id"],
        rule_id=["opportunities.stage.allowed"] * 20 + ["opportunities.account_id.required"],
        suggested_value=["Closed Won"] * 20 + [None],
    )
    [result] = evaluate_metrics(
        {"opportunities": deals}, findings, as_of="2026-10-31", metrics=MEAN_PER_CUSTOMER.values(), breakdowns=False
    )
    said, spread = _unknown_said(result)
    assert said == pytest.approx(100 * spread * math.sqrt(1) / 101 / result.value_excluding_failing, abs=0.05)


def test_a_deal_whose_customer_is_questioned_is_a_group_of_its_own() -> None:
    # the five customers' twenty deals have their amounts, but a rule questions their account_id: each may be any
    # customer's, so each is an unknown group - 20 among 115 (the 95 other customers and the 20), where the keys as
    # shown gave 5 of 100 and records 20 of 400
    deals, _ = _four_deals_each()
    deals = deals[:400].assign(amount=deals["amount"][:400].fillna(10_000.0))
    findings = pd.DataFrame(
        {
            "entity": "opportunities",
            "record_id": deals["opportunity_id"][:20],
            "field": "account_id",
            "rule_id": "opportunities.account_id.exists",
        }
    )
    [result] = evaluate_metrics(
        {"opportunities": deals}, findings, as_of="2026-10-31", metrics=MEAN_PER_CUSTOMER.values(), breakdowns=False
    )
    said, spread = _unknown_said(result)
    assert result.n == 100
    assert said == pytest.approx(100 * spread * math.sqrt(20) / 115 / result.value_excluding_failing, abs=0.05)


def _unknown_said(result: MetricResult) -> tuple[float, float]:
    """(the unknown share the reason gives, in %; se x sqrt(n), by hand from the result's interval: se = half-width
    / z)."""
    said = re.search(r"their true values could move it a further (\d+\.\d)%", " ".join(result.reasons))
    assert said is not None
    lo, hi = result.interval
    return float(said.group(1)), (hi - lo) / 2 / MetricsSettings().z * math.sqrt(result.n)
