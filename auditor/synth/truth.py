"""The true value of each CRM metric on the CLEAN data (before defects and duplicates).

Conventions shared by every metric:

* Money is converted to PLN at fixed rates: EUR 4.3, USD 4.0, GBP 5.0 (PLN 1.0).
* "The window" is the 12 months up to as_of: dates d with as_of - 1 year < d <= as_of
  (for as_of 2026-10-31: 2025-11-01 .. 2026-10-31). Monthly cost periods are the first day
  of their month, so the window holds the 12 periods 2025-11-01 .. 2026-10-01.
* Rates are fractions (0.27, not 27%), except NPS and CSAT which use their usual scales.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from auditor.synth.clean import RATES_TO_PLN


def _pln(amount: pd.Series, currency: pd.Series) -> pd.Series:
    return amount * currency.map(RATES_TO_PLN)


def _r(x: float, nd: int = 4) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), nd)


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def window(as_of: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(start, end): the window is start < d <= end, end is as_of at the end of its day."""
    end = pd.Timestamp(as_of).normalize()
    return end - pd.DateOffset(years=1), end + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)


def _in(d: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    return (d > start) & (d <= end)


def subscriptions_active_at(sub: pd.DataFrame, t: pd.Timestamp) -> pd.Series:
    """Active at t: started on or before t, not cancelled on or before t, not expired (status
    Expired with end_date on or before t)."""
    started = sub["start_date"] <= t
    cancelled = sub["cancelled_at"].notna() & (sub["cancelled_at"] <= t)
    expired = (sub["status"] == "Expired") & (sub["end_date"] <= t)
    return started & ~cancelled & ~expired


def compute(frames: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> dict[str, Any]:
    """Every metric with its definition:

    cac: sales + marketing costs (costs rows with category sales or marketing, period in the
        window, PLN) / new customers, the accounts whose FIRST Closed Won deal has a close_date
        in the window.
    clv: historical CLV = mean over customer accounts (accounts with >= 1 Closed Won deal) of
        their total Closed Won amount (PLN).
    clv_cac_ratio: clv / cac.
    churn_rate: subscriptions active at the window start (see subscriptions_active_at) whose
        cancelled_at falls in the window / subscriptions active at the window start.
    retention_rate: 1 - churn_rate.
    renewal_rate: of the subscriptions whose 12-month term ended in the window, the share that
        renewed. A term ended in the window when (renewed is true and end_date - 1 year, the
        start of the current term, is in the window) - these renewed - or (status Expired or
        Cancelled and end_date, the end of the last term, in the window) - these did not.
    customer_retention_cost: retention + loyalty costs in the window (PLN) / customers at the
        window start (distinct accounts with a subscription active at the window start).
    nps: over responses with an nps value: 100 * (share 9-10 - share 0-6), range -100..100.
    csat: 100 * share of csat responses that are 4 or 5.
    ces: mean ces over responses with a value (1-7).
    lead_conversion_rate: leads with status Converted / all leads.
    win_rate: Closed Won / (Closed Won + Closed Lost) deals.
    avg_deal_size: mean amount (PLN) of Closed Won deals.
    sales_cycle_days: mean of close_date - date(created_at) in days over Closed Won deals.
    lead_response_hours: median of first_response_at - created_at in hours over leads with a
        first response.
    funnel: number of opportunities per stage.
    lost_by_reason / lost_by_competitor: Closed Lost deals per loss_reason / per competitor.
    pareto_top20_share: customer accounts ranked by total won amount (PLN); the share of all
        won revenue held by the top ceil(20%) of them.
    campaign_open_rate / campaign_ctr / campaign_unsubscribe_rate: sum(opened) / sum(clicked) /
        sum(unsubscribed), each over sum(delivered), all campaigns.
    revenue_per_campaign: mean attributed_revenue (PLN) over campaigns.
    tickets_handled: number of tickets.
    tickets_closed_per_day: tickets with resolved_at in the last 90 days (as_of - 90 days <
        resolved_at <= end of as_of) / 90.
    time_to_resolution_hours: median resolved_at - opened_at in hours over resolved tickets.
    first_contact_resolution_rate: resolved tickets (resolved_at present) with contacts_needed
        == 1 / resolved tickets.
    customers: accounts with status Customer.
    revenue_by_month: Closed Won amount (PLN) per close_date month, the 12 months of the window.
    costs_by_category: costs (PLN) per category with period in the window.
    """
    start, end = window(as_of)
    acc, opp, lead = frames["accounts"], frames["opportunities"], frames["leads"]
    sub, srv, tk = frames["subscriptions"], frames["surveys"], frames["tickets"]
    cmp, costs = frames["campaigns"], frames["costs"]

    won = opp[opp["stage"] == "Closed Won"].copy()
    won["pln"] = _pln(won["amount"], won["currency"])
    lost = opp[opp["stage"] == "Closed Lost"]
    first_won = won.groupby("account_id")["close_date"].min()
    new_customers = int(_in(first_won, start, end).sum())
    costs = costs.assign(pln=_pln(costs["amount"], costs["currency"]))
    cost_window = costs[_in(costs["period"], start, end)]
    acq_cost = cost_window.loc[cost_window["category"].isin(["sales", "marketing"]), "pln"].sum()
    cac = _ratio(acq_cost, new_customers)
    revenue_by_account = won.groupby("account_id")["pln"].sum()
    clv = revenue_by_account.mean() if len(revenue_by_account) else None

    active_start = subscriptions_active_at(sub, start)
    churned = active_start & _in(sub["cancelled_at"], start, end)
    churn = _ratio(churned.sum(), active_start.sum())
    term_start = sub["end_date"] - pd.DateOffset(years=1)
    renewed_in = sub["renewed"].astype(bool) & _in(term_start, start, end)
    lapsed_in = sub["status"].isin(["Expired", "Cancelled"]) & _in(sub["end_date"], start, end)
    renewal = _ratio(renewed_in.sum(), (renewed_in | lapsed_in).sum())
    retention_cost = cost_window.loc[cost_window["category"].isin(["retention", "loyalty"]), "pln"].sum()
    customers_start = sub.loc[active_start, "account_id"].nunique()

    nps = srv["nps"].dropna()
    csat = srv["csat"].dropna()
    responded = lead["first_response_at"].notna()
    response_h = (lead.loc[responded, "first_response_at"] - lead.loc[responded, "created_at"]) / pd.Timedelta(hours=1)
    cycle = (won["close_date"] - won["created_at"].dt.normalize()) / pd.Timedelta(days=1)
    ranked = revenue_by_account.sort_values(ascending=False)
    top = ranked.iloc[: math.ceil(0.2 * len(ranked))].sum() if len(ranked) else 0.0
    delivered = cmp["delivered"].sum()
    resolved = tk[tk["resolved_at"].notna()]
    closed_90 = _in(resolved["resolved_at"], end - pd.Timedelta(days=90), end).sum()
    ttr = (resolved["resolved_at"] - resolved["opened_at"]) / pd.Timedelta(hours=1)
    months = pd.period_range((start + pd.Timedelta(days=1)).to_period("M"), end.to_period("M"), freq="M")
    won_window = won[_in(won["close_date"], start, end)]
    by_month = won_window.groupby(won_window["close_date"].dt.to_period("M"))["pln"].sum()
    stages = ("Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost")
    clv_cac = _ratio(clv, cac) if clv is not None and cac else None
    return {
        "as_of": str(pd.Timestamp(as_of).date()),
        "currency": "PLN",
        "rates_to_pln": dict(RATES_TO_PLN),
        "window": {"start_exclusive": str(start.date()), "end_inclusive": str(end.date())},
        "cac": _r(cac, 2),
        "new_customers": new_customers,
        "clv": _r(clv, 2),
        "clv_cac_ratio": _r(clv_cac, 4),
        "churn_rate": _r(churn),
        "retention_rate": _r(1 - churn if churn is not None else None),
        "renewal_rate": _r(renewal),
        "customer_retention_cost": _r(_ratio(retention_cost, customers_start), 2),
        "nps": _r(100 * ((nps >= 9).mean() - (nps <= 6).mean()), 2) if len(nps) else None,
        "csat": _r(100 * (csat >= 4).mean(), 2) if len(csat) else None,
        "ces": _r(srv["ces"].mean(), 4),
        "lead_conversion_rate": _r(_ratio((lead["status"] == "Converted").sum(), len(lead))),
        "win_rate": _r(_ratio(len(won), len(won) + len(lost))),
        "avg_deal_size": _r(won["pln"].mean(), 2),
        "sales_cycle_days": _r(cycle.mean(), 2),
        "lead_response_hours": _r(response_h.median(), 2),
        "funnel": {s: int((opp["stage"] == s).sum()) for s in stages},
        "lost_by_reason": {str(k): int(v) for k, v in lost["loss_reason"].value_counts().sort_index().items()},
        "lost_by_competitor": {str(k): int(v) for k, v in lost["competitor"].value_counts().sort_index().items()},
        "pareto_top20_share": _r(_ratio(top, ranked.sum())),
        "campaign_open_rate": _r(_ratio(cmp["opened"].sum(), delivered)),
        "campaign_ctr": _r(_ratio(cmp["clicked"].sum(), delivered)),
        "campaign_unsubscribe_rate": _r(_ratio(cmp["unsubscribed"].sum(), delivered), 6),
        "revenue_per_campaign": _r(_pln(cmp["attributed_revenue"], cmp["currency"]).mean(), 2),
        "tickets_handled": len(tk),
        "tickets_closed_per_day": _r(closed_90 / 90),
        "time_to_resolution_hours": _r(ttr.median(), 2),
        "first_contact_resolution_rate": _r(_ratio((resolved["contacts_needed"] == 1).sum(), len(resolved))),
        "customers": int((acc["status"] == "Customer").sum()),
        "revenue_by_month": {str(m): _r(float(by_month.get(m, 0.0)), 2) for m in months},
        "costs_by_category": {str(k): _r(float(v), 2) for k, v in cost_window.groupby("category")["pln"].sum().items()},
    }


def as_json_ready(metrics: dict[str, Any]) -> dict[str, Any]:
    """numpy scalars -> python numbers for json.dump."""

    def conv(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, np.generic):
            return v.item()
        return v

    return conv(metrics)
