"""Customer metrics the metric language cannot say: lifetime value (per-account totals; the predictive one
divides a mean by a share, CLV:CAC a mean by a ratio) and renewals (a term starts a year before its end date:
no date arithmetic). The survey scores, customers, new customers and their acquisition cost (accounts whose
first won deal is in the window), revenue, its months and its concentration, costs per category and per owner,
churn, retention and retention cost (subscriptions active at the window start) are definitions in
`metrics/core.yaml`, which the predictive CLV and CLV:CAC read through the registry. Money in the
base currency of the config's `currency:` section (auditor.money); the window is the 12 months up to as_of (or
--period). Source of truth: `auditor/synth/truth.py` computes truth/metrics.json with these same functions on the
clean data."""

from __future__ import annotations

import pandas as pd

from auditor.metrics.common import (
    Params,
    in_window,
    per_table,
    text,
)
from auditor.metrics.registry import (
    Estimate,
    Scope,
    Tables,
    get_metric,
    mean_of,
    metric,
    proportion,
    ratio,
    value_of,
)

WON = "Closed Won"
SEGMENT = "account_id->segment"


@per_table
def revenue_by_account(opp: pd.DataFrame, p: Params) -> pd.Series:
    """Each account's total Closed Won amount in the base currency (deals without an account left out)."""
    won = opp.loc[(text(opp["stage"]) == WON).to_numpy(bool), ["account_id", "amount", "currency"]]
    won = won.assign(_base=p.money.to_base(won["amount"], won["currency"]))
    return won.groupby(text(won["account_id"]), dropna=True)["_base"].sum()


def subscriptions_active_at(sub: pd.DataFrame, t: pd.Timestamp) -> pd.Series:
    """Active at t: started on or before t, not cancelled on or before t, not expired (status
    Expired with end_date on or before t)."""
    started = (sub["start_date"] <= t).fillna(False)
    cancelled = (sub["cancelled_at"] <= t).fillna(False)
    expired = ((text(sub["status"]) == "Expired") & (sub["end_date"] <= t)).fillna(False)
    return (started & ~cancelled & ~expired).astype(bool)


_WON_SCOPE = {"opportunities": Scope("Closed Won deals", lambda f: text(f["stage"]) == WON, ("stage",))}
_DEAL_FIELDS = ("stage", "amount", "currency", "account_id")


@metric(
    "clv",
    "Customer lifetime value (historical)",
    "{currency}",
    "mean",
    {"opportunities": _DEAL_FIELDS},
    breakdowns={"segment": SEGMENT, "owner": "owner", "source": "source"},
    scope=_WON_SCOPE,
)
def clv(t: Tables, p: Params) -> Estimate:
    """Mean over customer accounts (accounts with at least one Closed Won deal) of their total
    Closed Won amount in the base currency, all time."""
    return mean_of(revenue_by_account(t["opportunities"], p))


@metric(
    "clv_predictive",
    "Customer lifetime value (predictive)",
    "{currency}",
    "ratio",
    {"subscriptions": ["mrr", "currency", "status", "start_date", "end_date", "cancelled_at"]},
    breakdowns={"segment": SEGMENT},
)
def clv_predictive(t: Tables, p: Params) -> Estimate:
    """Average revenue per account x expected lifetime: 12 x mean MRR (base currency) of the subscriptions
    active at the window end / churn_rate (the yearly churn of the window). None without churn."""
    sub = t["subscriptions"]
    active = sub[subscriptions_active_at(sub, p.end)]
    mrr = p.money.to_base(active["mrr"], active["currency"]).dropna()
    churn = value_of(get_metric("churn_rate").compute(t, p))
    value = 12 * float(mrr.mean()) / churn if len(mrr) and churn else None
    return Estimate(value, len(mrr))


@metric(
    "clv_cac_ratio",
    "CLV : CAC",
    "ratio",
    "ratio",
    {
        "opportunities": ["account_id", "stage", "close_date", "amount", "currency"],
        "costs": ["period", "category", "amount", "currency"],
    },
)
def clv_cac_ratio(t: Tables, p: Params) -> Estimate:
    """clv / cac (historical CLV over acquisition cost)."""
    c = get_metric("cac").compute(t, p)
    v = clv(t, p)
    return ratio(v.value, c.value, n=v.n)


@metric(
    "renewal_rate",
    "Renewal rate",
    "share",
    "proportion",
    {"subscriptions": ["renewed", "status", "end_date"]},
    breakdowns={"segment": SEGMENT, "owner": "owner"},
)
def renewal_rate(t: Tables, p: Params) -> Estimate:
    """Of the subscriptions whose 12-month term ended in the window, the share that renewed: a
    term ended in the window and renewed when renewed is true and end_date - 1 year (the start
    of the current term) is in the window; it ended without renewal when the status is Expired
    or Cancelled and end_date is in the window."""
    sub = t["subscriptions"]
    renewed = sub["renewed"].astype("boolean").fillna(False).astype(bool)
    term_start = sub["end_date"] - pd.DateOffset(years=1)
    renewed_in = renewed & in_window(term_start, p)
    lapsed_in = text(sub["status"]).isin(["Expired", "Cancelled"]) & in_window(sub["end_date"], p)
    return proportion(renewed_in.sum(), (renewed_in | lapsed_in).sum())
