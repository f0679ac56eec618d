"""The metric definitions of examples/real-data/*_metrics.yaml (docs/real-data.md), exactly as a user
wrote them for the real exports, on small hand-built tables with each value worked out by hand; and
the language's pieces they need (count distinct, starts with / ends with / contains, top_share) on
their own. tests/test_realworld_exports.py runs the same files on the real data."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.config import load_config
from auditor.errors import ConfigError
from auditor.metrics import Params, evaluate_metrics, get_metric, value_of
from auditor.metrics.evaluate import prepare
from auditor.metrics.language import compile_metrics, top_share
from auditor.money import Money

AS_OF = "2026-12-04"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "real-data"
GBP = Money(base="GBP", default="GBP", rates={"GBP": 1.0})


def order_lines() -> pd.DataFrame:
    """Nine invoice lines in the shape of Online Retail II (no currency column; 'C' invoices cancel).

    revenue   = 20 + 30 + 30 - 10 + 10 + 5 + 3 + 2 + 2 = 92
    customers = A, B, C, D, E, F = 6 (the line without a customer is not one)
    Pareto    = per customer, cancellations and lines without a customer left out:
                A 50, B 30, C 10, D 5, E 3, F 2 = 100; the top ceil(20% of 6) = 2 hold 80 -> 0.8
    cancelled = 1 of the 8 distinct invoices starts with C -> 1/8
    """
    return pd.DataFrame(
        {
            "order_id": ["489434", "489434", "489435", "C489436", "489437", "489438", "489439", "489440", "489441"],
            "account_id": ["A", "A", "B", "B", "C", "D", "E", None, "F"],
            "quantity": [2.0, 1.0, 3.0, -1.0, 1.0, 1.0, 3.0, 2.0, 1.0],
            "unit_price": [10.0, 30.0, 10.0, 10.0, 10.0, 5.0, 1.0, 1.0, 2.0],
            "product_code": ["85123A", "22423", "POST", "85123A", "22423", "M", "21232", "21232", "DOT"],
            "ordered_at": pd.Timestamp("2010-06-01"),
        }
    )


def reviews() -> pd.DataFrame:
    """Coral Cloud's ten guest reviews (SOURCE.md): 4 promoters, 3 passives, 3 detractors -> NPS +10."""
    return pd.DataFrame(
        {
            "response_id": [f"R{i}" for i in range(10)],
            "Rating__c": np.array([8, 10, 9, 7, 5, 4, 6, 9, 8, 10], dtype="float64"),
            "responded_at": pd.Timestamp("2024-11-01"),
        }
    )


def campaign_customers() -> pd.DataFrame:
    """Hillstrom's shape: one row per customer with the two-week outcome.

    visit      Mens 2/4, No E-Mail 1/4 -> 3/8
    conversion Mens 1/4 -> 1/8
    spend      (40 + 8) / 8 = 6.0; Mens 40 / 4 = 10, No E-Mail 8 / 4 = 2
    """
    return pd.DataFrame(
        {
            "contact_id": [f"K{i}" for i in range(8)],
            "segment": ["Mens E-Mail"] * 4 + ["No E-Mail"] * 4,
            "visit": [1, 1, 0, 0, 1, 0, 0, 0],
            "conversion": [1, 0, 0, 0, 0, 0, 0, 0],
            "spend": [40.0, 0, 0, 0, 8.0, 0, 0, 0],
        }
    )


def incidents() -> pd.DataFrame:
    """The ITSM log's shape, one row per incident (its latest event).

    SLA met          3 of 5 -> 0.6
    resolution hours 2, 10, 30, 100 (one unresolved) -> median 20, mean 35.5
    reassignments    0, 0, 1, 3, 1 -> mean 1.0; reassigned at least once: 3
    reopened         1 (I4); never reassigned nor reopened: I1 only (I2 was reopened) -> 1/5
    """
    opened = pd.Timestamp("2016-03-01 08:00")
    return pd.DataFrame(
        {
            "ticket_id": ["I1", "I2", "I3", "I4", "I5"],
            "opened_at": [opened] * 5,
            "resolved_at": [opened + pd.Timedelta(hours=h) for h in (2, 10, 30, 100)] + [pd.NaT],
            "status": "Closed",
            "priority": ["3 - Moderate"] * 4 + ["1 - Critical"],
            "made_sla": [True, True, False, True, False],
            "reassignment_count": [0.0, 0.0, 1.0, 3.0, 1.0],
            "reopen_count": [0.0, 1.0, 0.0, 0.0, 0.0],
        }
    )


EXPECTED = {
    "itsm_incidents_metrics": {
        "sla_met": 0.6,
        "median_resolution_hours": 20.0,
        "mean_resolution_hours": 35.5,
        "mean_reassignments": 1.0,
        "first_time_fix": 0.2,
        "reassigned": 3,
        "reopened": 1,
    },
    "online_retail_ii_2009_2010_metrics": {
        "sales_revenue": 92.0,
        "customers_buying": 6,
        "top20_customer_share": 0.8,
        "cancellation_rate": 1 / 8,
    },
    "salesforce_coral_cloud_metrics": {"guest_review_nps": 10.0},
    "hillstrom_email_campaign_metrics": {"visit_rate": 3 / 8, "conversion_rate": 1 / 8, "spend_per_customer": 6.0},
}
FRAMES = {
    "itsm_incidents_metrics": lambda: {"tickets": incidents()},
    "online_retail_ii_2009_2010_metrics": lambda: {"orders": order_lines()},
    "salesforce_coral_cloud_metrics": lambda: {"surveys": reviews()},
    "hillstrom_email_campaign_metrics": lambda: {"contacts": campaign_customers()},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_real_data_definitions_on_a_hand_built_fixture(name: str) -> None:
    config = load_config(EXAMPLES / f"{name}.yaml")
    assert set(config.defined_metrics) == set(EXPECTED[name])
    results = {
        r.id: r
        for r in evaluate_metrics(
            FRAMES[name](), None, as_of=AS_OF, money=GBP, metrics=list(config.defined_metrics.values())
        )
    }
    for mid, expected in EXPECTED[name].items():
        assert results[mid].value == pytest.approx(expected), mid
        assert results[mid].confidence != "NOT_EVALUATED", mid


def test_hillstrom_segments_on_the_fixture() -> None:
    config = load_config(EXAMPLES / "hillstrom_email_campaign_metrics.yaml")
    results = {
        r.id: r
        for r in evaluate_metrics(
            {"contacts": campaign_customers()}, None, as_of=AS_OF, metrics=list(config.defined_metrics.values())
        )
    }
    assert results["visit_rate"].breakdowns["segment"] == {"Mens E-Mail": 0.5, "No E-Mail": 0.25}
    assert results["spend_per_customer"].breakdowns["segment"] == {"Mens E-Mail": 10.0, "No E-Mail": 2.0}


# --- the pieces: count distinct, text matches, top_share -------------------------------------------

PIECES = {
    "invoices": ({"count": "distinct orders.order_id"}, 8),
    "invoices_with_customer": ({"count": "distinct orders.order_id where account_id is not missing"}, 7),
    "cancelled_lines": ({"share": "orders where order_id starts with C"}, 1 / 9),
    "kept_lines": ({"count": "orders where order_id not starts with C"}, 8),
    "ending_in_5": ({"count": "orders where order_id ends with '5'"}, 1),
    "codes_with_a": ({"count": "orders where product_code contains A"}, 2),
    "not_containing_a": ({"count": "orders where product_code not contains A"}, 7),
    # a number column read as text: 3.0 reads '3'
    "quantity_3": ({"count": "orders where quantity starts with 3"}, 2),
    # every line with a customer: A 50, B 30 - 10, C 10, D 5, E 3, F 2 = 90; the top 3 hold 80
    "top_half": ({"top_share": "orders.quantity * orders.unit_price", "per": "account_id", "top": 0.5}, 80 / 90),
    # all lines with a customer, cancellation included: A 50, B 20, C 10, D 5, E 3, F 2 = 90; top 2 hold 70
    "top_20_with_cancellations": ({"top_share": "orders.quantity * orders.unit_price", "per": "account_id"}, 70 / 90),
    "top_per_product": (
        {"top_share": "orders.quantity * orders.unit_price where quantity > 0", "per": "product_code", "top": "40%"},
        90 / 102,  # 22423 40, POST 30, 85123A 20 of 102 (6 codes: the top ceil(2.4) = 3)
    ),
    "cancelled_invoice_rate": (
        {"rate": ["count(distinct orders.order_id where order_id starts with C)", "count(distinct orders.order_id)"]},
        1 / 8,
    ),
}


@pytest.mark.parametrize("mid", sorted(PIECES))
def test_each_new_piece_against_its_hand_computed_value(mid: str) -> None:
    definition, expected = PIECES[mid]
    [m] = compile_metrics({mid: definition}).values()
    tables, _ = prepare({"orders": order_lines()}, money=GBP)
    assert value_of(m.compute(tables, Params.make(AS_OF, money=GBP))) == pytest.approx(expected)


def test_top_share_says_the_built_in_pareto_exactly(tiny) -> None:
    [m] = compile_metrics(
        {"my_pareto": {"top_share": "opportunities.amount", "per": "account_id", "filter": "stage == Closed Won"}}
    ).values()
    tables, _ = prepare(tiny)
    params = Params.make("2026-10-31", money=Money(base="PLN", rates={"PLN": 1.0, "EUR": 4.3, "USD": 4.0}))
    mine, theirs = m.compute(tables, params), get_metric("pareto_top20_share").compute(tables, params)
    assert value_of(mine) == pytest.approx(value_of(theirs))
    assert mine.n == theirs.n
    assert m.kind == "ratio" and m.unit == "share" and "account_id" in m.inputs["opportunities"]


def test_top_share_by_hand() -> None:
    # 10 groups: the top ceil(0.2 x 10) = 2 (100, 50) of 100 + 50 + 8 x 10 = 230; a group of missing
    # values and the rows without a group are left out
    values = pd.Series([100.0, 50.0, *[10.0] * 8, np.nan, 999.0])
    groups = pd.Series([*"abcdefghij", "k", None])
    est = top_share(values, groups, 0.2)
    assert est.value == pytest.approx(150 / 230) and est.n == 10
    assert top_share(pd.Series([], dtype=float), pd.Series([], dtype=object), 0.2).value is None


def test_a_distinct_count_is_not_scaled_to_the_failing_records() -> None:
    # the line without a customer fails a rule on account_id: its true customer is unknown, and one line
    # adds at most one customer (a new one), so the count without it is extrapolated by what the passing
    # lines add at the margin (a line of C, D, E or F adds one, of A or B none): between 6 and 7, never
    # scaled like a count of records (a line is not a customer)
    [m] = compile_metrics({"buyers": {"count": "distinct orders.account_id"}}).values()
    assert not m.extensive
    frame = order_lines()
    findings = pd.DataFrame(
        {
            "entity": ["orders"],
            "record_id": ["row:8"],
            "field": ["account_id"],
            "rule_id": ["orders.account_id.required"],
        }
    )
    ids = {"orders": pd.Series([f"row:{i + 1}" for i in range(len(frame))])}
    [r] = evaluate_metrics({"orders": frame}, findings, as_of=AS_OF, metrics=[m], ids=ids)
    assert r.value == 6 and 6 <= r.value_excluding_failing <= 7


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"top_share": "orders.amount"}, "per: expected the column whose groups are ranked"),
        ({"top_share": "orders.amount", "per": "acount_id"}, "did you mean 'account_id'?"),
        ({"top_share": "orders.amount", "per": "account_id", "top": 2}, "top: expected the share of the groups"),
        ({"top_share": "orders.amount", "per": "account_id", "top": "x%"}, "top: expected the share of the groups"),
        ({"nps": "orders.amount", "per": "account_id"}, "per: only a top_share, a count, a sum, a mean or a median"),
        ({"top_share": "orders.ordered_at", "per": "account_id"}, "sum() takes numbers"),
        ({"count": "orders where order_id starts C"}, "expected 'with' after 'starts'"),
        ({"count": "orders where ordered_at starts with 2010"}, "'starts with' reads text, not dates"),
        ({"count": "orders where order_id not like C"}, "expected 'in', 'starts with', 'ends with' or 'contains'"),
        ({"sum": "distinct orders.amount"}, "expected"),
    ],
)
def test_problems_of_the_new_pieces_are_config_errors(definition: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        compile_metrics({"m": definition})
    assert message in str(error.value)


def test_a_column_named_like_a_word_of_the_language_is_still_a_column() -> None:
    from auditor.model import ExtraField, Role

    extras = {"orders": {"contains": ExtraField("contains", Role.TEXT)}}
    [m] = compile_metrics({"m": {"count": "orders where contains contains x"}}, extras).values()
    frame = order_lines().assign(contains=["box", "x"] + [None] * 7)
    tables, _ = prepare({"orders": frame})
    assert value_of(m.compute(tables, Params.make(AS_OF))) == 2


WORDS = [
    "count", "distinct", "orders", "orders.order_id", "orders.account_id", "where", "not", "starts", "ends",
    "with", "contains", "in", "and", "or", "C", "'C'", "1", "(", ")", "/", "order_id",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join),
    st.one_of(st.none(), st.floats(allow_nan=True), st.text(max_size=6), st.integers(-3, 3)),
)
def test_random_definitions_with_the_new_pieces_only_ever_raise_config_errors(source: str, top) -> None:
    for definition in (
        {"count": source},
        {"rate": source},
        {"top_share": source, "per": "account_id", "top": top},
        {"top_share": "orders.unit_price", "per": source},
        {"sum": "orders.quantity", "filter": source},
    ):
        with contextlib.suppress(ConfigError):
            compile_metrics({"m": definition})
