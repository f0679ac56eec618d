"""A per-group mean or median's failing records are filled from records in groups of their group's size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from auditor.metrics import Flag, evaluate_metrics
from auditor.metrics.evaluate import _Failing, _group_sizes, _surely_in_scope
from auditor.metrics.language import compile_metrics

MEDIAN_PER_CUSTOMER = compile_metrics(
    {"median_per_customer": {"median": "opportunities.amount where stage == Closed Won", "per": "account_id"}}
)


def _land_and_expand() -> pd.DataFrame:
    # 200 customers with one won deal of about 10,000 PLN and 100 with four of about 50,000 (a larger account
    # buys more often and more), and 100 lost deals of the repeat customers
    rng = np.random.default_rng(7)
    single = [f"A{i:03d}" for i in range(200)]
    repeat = [f"B{i:03d}" for i in range(100) for _ in range(4)]
    won = np.round(np.concatenate([rng.lognormal(np.log(10_000), 0.3, 200), rng.lognormal(np.log(50_000), 0.3, 400)]))
    return pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(700)],
            "account_id": single + repeat + repeat[::4],
            "stage": ["Closed Won"] * 600 + ["Closed Lost"] * 100,
            "amount": np.concatenate([won, won[200::4]]),
            "currency": "PLN",
        }
    )


def _missing_amounts(deals: pd.DataFrame, first: int) -> pd.DataFrame:
    """The findings of the `first` deals' missing amounts."""
    return pd.DataFrame(
        {
            "entity": "opportunities",
            "record_id": deals["opportunity_id"][:first],
            "field": "amount",
            "rule_id": "opportunities.amount.required",
        }
    )


@pytest.mark.parametrize("lost", [0, 3])
def test_a_one_deal_customer_is_not_filled_from_repeat_customers_deals(lost: int) -> None:
    # ten one-deal customers' amounts are missing. Their kind (a won deal) is mostly the repeat customers'
    # larger deals: filled from all won deals they moved the median of the totals +5.4% (11,522 -> 12,142),
    # more than leaving them out (+3.3%), though the value as recorded is 0.6% from the truth (11,588.5).
    # From deals of one-deal customers the fill moves it less than leaving them out. With `lost` lost deals of
    # each one-deal customer (3: four deals, 2^2, as many as a repeat customer's won ones) the group counted over
    # the whole table put them with the repeat customers, and the fill moved it +5.4% again (the code before):
    # counted in the metric's scope (won deals) a one-deal customer's group is of one deal
    deals = _land_and_expand()
    singles = pd.DataFrame(
        {
            "opportunity_id": [f"L{i}" for i in range(200 * lost)],
            "account_id": [f"A{i:03d}" for i in range(200) for _ in range(lost)],
            "stage": "Closed Lost",
            "amount": 20_000.0,
            "currency": "PLN",
        }
    )
    deals = pd.concat([deals, singles], ignore_index=True)
    truth = deals[deals["stage"] == "Closed Won"].groupby("account_id")["amount"].sum().median()
    broken = deals.assign(amount=deals["amount"].where(deals.index >= 10))
    [result] = evaluate_metrics(
        {"opportunities": broken},
        _missing_amounts(broken, 10),
        as_of="2026-10-31",
        metrics=MEDIAN_PER_CUSTOMER.values(),
        breakdowns=False,
    )
    said = " ".join(result.reasons)
    assert truth == 11_588.5 and result.value == 11_522.5
    assert "excluding them moves it from 11,522 to 11,901 PLN (+3.3%)" in said
    assert "taking their unknown cells" not in said
    assert result.flag == Flag.MEDIUM


def test_the_size_classes_count_the_records_in_the_metrics_scope() -> None:
    # a group's size counts the records in the metric's scope (a median of won amounts: the won deals), not the key's
    # every record, as the code before did (A was 2^2 there); a record outside counts itself as if it were in (its
    # fill matters only if it is); a record without a key is in no group
    frame = pd.DataFrame({"account_id": ["A", "A", "A", "A", "B", "B", "C", None], "amount": range(8)})
    in_scope = np.array([True, False, False, False, True, True, False, True])
    [metric] = MEDIAN_PER_CUSTOMER.values()
    assert _group_sizes(metric, frame, in_scope).tolist() == ["2^0", "2^1", "2^1", "2^1", "2^1", "2^1", "2^0", "none"]


def test_a_failing_record_whose_scope_is_unknown_counts_in_its_own_group_only() -> None:
    # a won deal, a lost one, a blank stage (unknown: in no other record's group), a misspelt "closed won" at its
    # rule's reading (in the scope), a won deal whose amount is missing (in the scope)
    frame = pd.DataFrame(
        {
            "account_id": ["A"] * 5,
            "stage": ["Closed Won", "Closed Lost", None, "closed won", "Closed Won"],
            "amount": [1.0, 2.0, 3.0, 4.0, None],
        }
    )
    fail = np.array([False, False, True, True, True])
    failing = frame[fail].assign(stage=[None, "Closed Won", "Closed Won"])
    unknown = {"stage": np.array([True, False, False]), "amount": np.array([False, False, True])}
    prim = _Failing(
        "opportunities",
        "won deals",
        4,
        3,
        pd.Series(fail),
        pd.Series(dtype="int64"),
        2,
        1,
        pd.Series([True, False, True, True, True]),  # the scope with the records unsure of it
    )
    [metric] = MEDIAN_PER_CUSTOMER.values()
    inside = _surely_in_scope(metric, prim, failing, unknown)
    assert inside.tolist() == [True, False, False, True, True]
    assert _group_sizes(metric, frame, inside).tolist() == ["2^1", "2^2", "2^2", "2^1", "2^1"]


def test_a_mean_of_records_has_no_group_sizes() -> None:
    [metric] = compile_metrics({"m": {"mean": "opportunities.amount"}}).values()
    assert metric.per is None
    assert _group_sizes(metric, pd.DataFrame({"amount": [1.0]}), np.array([True])) is None
