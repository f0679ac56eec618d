"""Customer metrics the metric language cannot say: acquisition cost (first won deal per account), lifetime
value (per-account totals), churn, retention and renewals (subscriptions active at a date), retention cost and
revenue per month (every month of the window, 0 included). The survey scores, customers, revenue and its
concentration, and costs per category and per owner are definitions in `metrics/core.yaml`. Money in the base
currency of the config's `currency:` section (auditor.money); the window is the 12 months up to as_of (or
--period). Source of truth: `auditor/synth/truth.py` computes truth/metrics.json with these same functions on the
clean data."""

from __future__ import annotations

import pandas as pd

from auditor.metrics.common import (
    Params,
    in_window,
    per_table,
    text,
    within,
)
from auditor.metrics.registry import (
    Estimate,
    Scope,
    Tables,
    mean_of,
    metric,
    proportion,
    ratio,
)

WON = "Closed Won"
ACQUISITION = ("sales", "marketing")
RETENTION = ("retention", "loyalty")
SEGMENT = "account_id->segment"


def won_deals(opp: pd.DataFrame, p: Params) -> pd.DataFrame:
    """Closed Won deals (the columns the metrics read) with their amount in the base currency as `_base`."""
    cols = [c for c in ("account_id", "amount", "currency", "close_date", "created_at") if c in opp.columns]
    won = opp.loc[(text(opp["stage"]) == WON).to_numpy(bool), cols]
    return won.assign(_base=p.money.to_base(won["amount"], won["currency"]))


@per_table
def revenue_by_account(opp: pd.DataFrame, p: Params) -> pd.Series:
    won = won_deals(opp, p)
    return won.groupby(text(won["account_id"]), dropna=True)["_base"].sum()


@per_table
def new_customer_count(opp: pd.DataFrame, p: Params) -> int:
    won = opp.loc[(text(opp["stage"]) == WON).to_numpy(bool), ["account_id", "close_date"]]
    first = won.groupby(text(won["account_id"]), dropna=True)["close_date"].min()
    return int(within(first, p.start, p.end).sum())


@per_table
def cost_in_window(costs: pd.DataFrame, p: Params, categories: tuple[str, ...]) -> float:
    c = costs[in_window(costs["period"], p) & text(costs["category"]).isin(categories)]
    return float(p.money.to_base(c["amount"], c["currency"]).sum())


def subscriptions_active_at(sub: pd.DataFrame, t: pd.Timestamp) -> pd.Series:
    """Active at t: started on or before t, not cancelled on or before t, not expired (status
    Expired with end_date on or before t)."""
    started = (sub["start_date"] <= t).fillna(False)
    cancelled = (sub["cancelled_at"] <= t).fillna(False)
    expired = ((text(sub["status"]) == "Expired") & (sub["end_date"] <= t)).fillna(False)
    return (started & ~cancelled & ~expired).astype(bool)


def churn_estimate(sub: pd.DataFrame, p: Params) -> Estimate:
    active = subscriptions_active_at(sub, p.start)
    churned = active & in_window(sub["cancelled_at"], p)
    return proportion(churned.sum(), active.sum())


_WON_SCOPE = {"opportunities": Scope("Closed Won deals", lambda f: text(f["stage"]) == WON, ("stage",))}
_DEAL_FIELDS = ("stage", "amount", "currency", "account_id")


@metric(
    "cac",
    "Customer acquisition cost",
    "{currency}",
    "ratio",
    {"costs": ["period", "category", "amount", "currency"], "opportunities": ["account_id", "stage", "close_date"]},
)
def cac(t: Tables, p: Params) -> Estimate:
    """Sales + marketing costs (costs with category sales or marketing and period in the window,
    in the base currency) / new customers (accounts whose FIRST Closed Won deal has a close_date in the window)."""
    new = new_customer_count(t["opportunities"], p)
    return ratio(cost_in_window(t["costs"], p, ACQUISITION), new, n=new)


@metric(
    "new_customers",
    "New customers",
    "accounts",
    "count",
    {"opportunities": ["account_id", "stage", "close_date"]},
    scope=_WON_SCOPE,
    additive=False,  # accounts among deals: it does not grow in proportion to its deals
)
def new_customers(t: Tables, p: Params) -> int:
    """Accounts whose first Closed Won deal (earliest close_date) closed in the window."""
    return new_customer_count(t["opportunities"], p)


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
    churn = churn_estimate(sub, p).value
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
    c = cac(t, p)
    v = clv(t, p)
    return ratio(v.value, c.value, n=v.n)


_SUB_FIELDS = ("status", "start_date", "end_date", "cancelled_at")


@metric(
    "churn_rate",
    "Churn rate",
    "share",
    "proportion",
    {"subscriptions": _SUB_FIELDS},
    breakdowns={"segment": SEGMENT, "owner": "owner"},
)
def churn_rate(t: Tables, p: Params) -> Estimate:
    """Subscriptions active at the window start (started on or before it, not cancelled on or
    before it, not Expired with end_date on or before it) whose cancelled_at falls in the window
    / subscriptions active at the window start."""
    return churn_estimate(t["subscriptions"], p)


@metric(
    "retention_rate",
    "Retention rate",
    "share",
    "proportion",
    {"subscriptions": _SUB_FIELDS},
    breakdowns={"segment": SEGMENT, "owner": "owner"},
)
def retention_rate(t: Tables, p: Params) -> Estimate:
    """1 - churn_rate: the share of the subscriptions active at the window start that were not
    cancelled in the window."""
    e = churn_estimate(t["subscriptions"], p)
    return proportion(e.n - (e.successes or 0), e.n)


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


@metric(
    "customer_retention_cost",
    "Customer retention cost",
    "{currency} per customer",
    "ratio",
    {
        "costs": ["period", "category", "amount", "currency"],
        "subscriptions": ["account_id", "status", "start_date", "end_date", "cancelled_at"],
    },
)
def customer_retention_cost(t: Tables, p: Params) -> Estimate:
    """Retention + loyalty costs with period in the window (base currency) / customers at the window start
    (distinct accounts with a subscription active at the window start)."""
    customers = customers_at_start(t["subscriptions"], p)
    return ratio(cost_in_window(t["costs"], p, RETENTION), customers, n=customers)


@per_table
def customers_at_start(sub: pd.DataFrame, p: Params) -> int:
    """Distinct accounts with a subscription active at the window start."""
    return int(text(sub.loc[subscriptions_active_at(sub, p.start), "account_id"]).nunique())


@metric(
    "revenue_by_month",
    "Revenue trend (won per month)",
    "{currency}",
    "distribution",
    {"opportunities": ["stage", "amount", "currency", "close_date"]},
    scope=_WON_SCOPE,
)
def revenue_by_month(t: Tables, p: Params) -> dict[str, float]:
    """Closed Won amount (base currency) per close_date month, every month of the window (0 included)."""
    won = won_deals(t["opportunities"], p)
    won = won[in_window(won["close_date"], p)]
    months = pd.period_range((p.start + pd.Timedelta(days=1)).to_period("M"), p.end.to_period("M"), freq="M")
    by_month = won.groupby(won["close_date"].dt.to_period("M"))["_base"].sum()
    return {str(m): float(by_month.get(m, 0.0)) for m in months}
