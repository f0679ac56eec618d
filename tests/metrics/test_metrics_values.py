"""Every metric against values computed by hand on the tiny CRM of conftest.py (as_of 2026-10-31,
window 2025-11-01 .. 2026-10-31; EUR 4.3, USD 4.0, GBP 5.0 PLN)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from auditor.metrics import Params, evaluate_metrics, get_metric, registry, value_of
from auditor.metrics.evaluate import prepare
from auditor.money import Money

AS_OF = "2026-10-31"
TINY_MONEY = Money(base="PLN", rates={"PLN": 1.0, "EUR": 4.3, "USD": 4.0, "GBP": 5.0})

# Worked by hand (see conftest.py for the records):
# won deals: O1 1000 PLN (closed 2026-03-01, created 2026-01-30 10:00 -> 30 days),
#            O2 500 EUR = 2150 PLN (2025-06-01, before the window; created 2025-05-02 -> 30 days),
#            O3 1000 USD = 4000 PLN (2026-10-01; created 2026-08-02 15:30 -> 60 days)
# lost: O4 (Price, Zoho), O6 (Price, HubSpot); open: O5 Prospecting.
# A1 first won 2025-06-01 (not new), A2 first won 2026-10-01 (new) -> 1 new customer.
# costs in the window: sales 1000, marketing 100 EUR = 430 (the 2025-10-01 one is outside),
#   retention 300, loyalty 100 GBP = 500, staff 2000.
# subscriptions active at the window start 2025-10-31: SUB1 (A1), SUB2 (A2); SUB2 cancelled
#   2026-02-01 -> churn 1/2. Terms ended in the window: SUB1 renewed (term start 2025-12-31),
#   SUB2 Cancelled with end 2026-02-28 -> renewal 1/2. Active at the window end: SUB1 100, SUB3 50.
EXPECTED = {
    "cac": 1430.0,
    "new_customers": 1,
    "clv": (3150 + 4000) / 2,
    "clv_predictive": 12 * 75 / 0.5,
    "clv_cac_ratio": 3575 / 1430,
    "churn_rate": 0.5,
    "retention_rate": 0.5,
    "renewal_rate": 0.5,
    "customer_retention_cost": 800 / 2,
    "nps": 100 * (3 / 5 - 1 / 5),
    "csat": 50.0,
    "ces": 3.0,
    "customers": 2,
    "pareto_top20_share": 4000 / 7150,
    "revenue": 5000.0,
    "revenue_by_month": {
        **{m: 0.0 for m in [f"2025-{m}" for m in (11, 12)] + [f"2026-{m:02d}" for m in range(1, 11)]},
        "2026-03": 1000.0,
        "2026-10": 4000.0,
    },
    "costs_by_category": {"loyalty": 500.0, "marketing": 430.0, "retention": 300.0, "sales": 1000.0, "staff": 2000.0},
    "costs_per_owner": {"Anna": 1500.0, "Bob": 430.0},
    "campaign_open_rate": 90 / 400,
    "campaign_ctr": 20 / 400,
    "campaign_unsubscribe_rate": 4 / 400,
    "revenue_per_campaign": (1000 + 430) / 2,
    "lead_conversion_rate": 0.5,
    "win_rate": 3 / 5,
    "avg_deal_size": (1000 + 2150 + 4000) / 3,
    "sales_cycle_days": (30 + 30 + 60) / 3,
    "sales_cycle_by_stage": {"Prospecting": (10 + 20) / 2, "Proposal": (20 + 40) / 2},
    "lead_response_hours": 4.0,
    "funnel": {
        "Prospecting": 1,
        "Qualification": 0,
        "Proposal": 0,
        "Negotiation": 0,
        "Closed Won": 3,
        "Closed Lost": 2,
    },
    "lost_by_reason": {"Price": 2},
    "lost_by_competitor": {"HubSpot": 1, "Zoho": 1},
    "tickets_handled": 4,
    "tickets_closed_per_day": 2 / 90,
    "time_to_resolution_hours": 24.0,
    "first_contact_resolution_rate": 2 / 3,
    "records_per_owner": {"Anna": 2 + 3 + 2, "Bob": 1 + 3 + 1},
    "records_per_source": {"import": 2, "web": 1},
    "activities_per_owner": {"Anna": 2},
    # findings (below) on A1 (Anna, import) and O4 (Bob)
    "defects_per_owner": {"Anna": 1 / 7, "Bob": 1 / 5},
    "defects_per_source": {"import": 1 / 2, "web": 0.0},
}

FINDINGS = pd.DataFrame(
    {
        "entity": ["accounts", "opportunities", "opportunities"],
        "record_id": ["A1", "O4", "O4"],
        "field": ["name", "name", "probability"],
        "rule_id": ["accounts.name.placeholder", "opportunities.name.placeholder", "opportunities.probability.range"],
    }
)


def test_every_registered_metric_has_a_hand_computed_value() -> None:
    assert set(registry()) == set(EXPECTED)


@pytest.mark.parametrize("metric_id", sorted(EXPECTED))
def test_metric_value_on_the_tiny_crm(tiny, metric_id: str) -> None:
    tables, _ = prepare(tiny)
    tables["findings"] = FINDINGS
    got = value_of(get_metric(metric_id).compute(tables, Params.make(AS_OF, money=TINY_MONEY)))
    want = EXPECTED[metric_id]
    if isinstance(want, dict):
        assert set(got) == set(want)
        for k in want:
            assert got[k] == pytest.approx(want[k]), k
    else:
        assert got == pytest.approx(want)


def test_a_period_narrows_the_window(tiny) -> None:
    tables, _ = prepare(tiny)
    q1 = Params.make(AS_OF, "2026-Q1", TINY_MONEY)
    assert value_of(get_metric("revenue").compute(tables, q1)) == 1000.0
    assert value_of(get_metric("cac").compute(tables, q1)) is None  # no new customer in Q1
    assert list(value_of(get_metric("revenue_by_month").compute(tables, q1))) == ["2026-01", "2026-02", "2026-03"]
    assert value_of(get_metric("tickets_closed_per_day").compute(tables, q1)) == pytest.approx(1 / 90)


def test_breakdowns_recompute_the_metric_per_group(tiny) -> None:
    [win] = evaluate_metrics(tiny, None, as_of=AS_OF, metrics=["win_rate"])
    assert win.breakdowns["owner"] == {"Anna": 1.0, "Bob": 0.0}
    assert win.breakdowns["segment"] == {"SMB": 0.5, "Enterprise": 1.0}  # SMB: A1 O1 O2 won, O6 lost; A3 O4 lost
    assert win.breakdowns["month"]["2026-10"] == 1.0


def test_registry_suggests_the_closest_id_and_documents_each_metric() -> None:
    with pytest.raises(KeyError, match="did you mean 'win_rate'"):
        get_metric("win_rat")
    for m in registry().values():
        assert m.formula and m.unit and m.inputs and m.title


def test_the_generated_config_carries_the_generator_s_rates(tmp_path) -> None:
    import yaml

    from auditor.config import parse_config
    from auditor.synth.clean import RATES_TO_PLN
    from auditor.synth.truth import config_text

    money = parse_config(yaml.safe_load(config_text(pd.Timestamp(AS_OF).date())), tmp_path / "c.yaml").money
    assert money.base == "PLN" and dict(money.rates) == {k: v for k, v in RATES_TO_PLN.items() if k != "PLN"}


def test_a_missing_entity_or_column_is_not_evaluated(tiny) -> None:
    del tiny["costs"]
    tiny["surveys"] = tiny["surveys"].drop(columns=["csat"])
    results = {
        r.id: r for r in evaluate_metrics(tiny, None, as_of=AS_OF, metrics=["cac", "csat", "nps"], money=TINY_MONEY)
    }
    assert results["cac"].value is None and results["cac"].confidence == "NOT_EVALUATED"
    assert "no costs" in results["cac"].reasons[0]
    assert "surveys.csat" in results["csat"].reasons[0]
    assert results["nps"].value == pytest.approx(40.0)


def test_grouped_breakdowns_equal_the_metric_on_each_group_filtered_by_hand() -> None:
    rng = np.random.default_rng(7)
    n = 400
    opp = pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(n)],
            "account_id": rng.choice(["A1", "A2", "A3", None], n),
            "stage": rng.choice(["Closed Won", "Closed Lost", "Proposal"], n),
            "amount": rng.integers(1, 1000, n).astype(float),
            "currency": "PLN",
            "owner": rng.choice([f"Owner {i}" for i in range(8)] + [None], n),
            "created_at": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 600, n), unit="D"),
        }
    )
    opp["close_date"] = opp["created_at"] + pd.to_timedelta(rng.integers(1, 90, n), unit="D")
    accounts = pd.DataFrame({"account_id": ["A1", "A2", "A3"], "segment": ["SMB", "SMB", "Enterprise"]})
    frames = {"opportunities": opp, "accounts": accounts}
    [r] = evaluate_metrics(frames, None, as_of=AS_OF, metrics=["avg_deal_size"])
    won = opp[opp["stage"] == "Closed Won"]
    assert r.breakdowns["owner"] == pytest.approx(won.groupby("owner")["amount"].mean().to_dict())
    segment = won["account_id"].map({"A1": "SMB", "A2": "SMB", "A3": "Enterprise"})
    assert r.breakdowns["segment"] == pytest.approx(won.groupby(segment)["amount"].mean().to_dict())
    # the latest 12 months with a deal (any stage) closing by as_of; a month without a won deal has no value
    months = sorted(opp.loc[opp["close_date"] < pd.Timestamp("2026-11-01"), "close_date"].dt.strftime("%Y-%m").unique())
    by_month = won.groupby(won["close_date"].dt.strftime("%Y-%m"))["amount"].mean()
    assert r.breakdowns["month"] == pytest.approx({m: by_month.get(m) for m in months[-12:]})
    assert set(r.breakdown_confidence["owner"]) == set(r.breakdowns["owner"])
