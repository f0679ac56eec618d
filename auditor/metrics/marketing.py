"""Campaign metrics: open, click-through and unsubscribe rates, revenue per campaign. Source of
truth: `auditor/synth/truth.py` (same functions on the clean data)."""

from __future__ import annotations

from auditor.metrics.common import Params
from auditor.metrics.registry import Estimate, Tables, mean_of, metric, proportion

_BREAKDOWNS = {"channel": "channel", "owner": "owner", "month": "start_date"}


def _rate(t: Tables, counted: str) -> Estimate:
    c = t["campaigns"][["delivered", counted]].astype("float64").dropna()
    return proportion(c[counted].sum(), c["delivered"].sum())


@metric(
    "campaign_open_rate",
    "Campaign open rate",
    "share",
    "proportion",
    {"campaigns": ["delivered", "opened"]},
    breakdowns=_BREAKDOWNS,
)
def campaign_open_rate(t: Tables, p: Params) -> Estimate:
    """sum(opened) / sum(delivered) over campaigns with both counts (all campaigns)."""
    return _rate(t, "opened")


@metric(
    "campaign_ctr",
    "Campaign click-through rate",
    "share",
    "proportion",
    {"campaigns": ["delivered", "clicked"]},
    breakdowns=_BREAKDOWNS,
)
def campaign_ctr(t: Tables, p: Params) -> Estimate:
    """sum(clicked) / sum(delivered) over campaigns with both counts."""
    return _rate(t, "clicked")


@metric(
    "campaign_unsubscribe_rate",
    "Campaign unsubscribe rate",
    "share",
    "proportion",
    {"campaigns": ["delivered", "unsubscribed"]},
    breakdowns=_BREAKDOWNS,
)
def campaign_unsubscribe_rate(t: Tables, p: Params) -> Estimate:
    """sum(unsubscribed) / sum(delivered) over campaigns with both counts."""
    return _rate(t, "unsubscribed")


@metric(
    "revenue_per_campaign",
    "Revenue per campaign",
    "{currency}",
    "mean",
    {"campaigns": ["attributed_revenue", "currency"]},
    breakdowns=_BREAKDOWNS,
)
def revenue_per_campaign(t: Tables, p: Params) -> Estimate:
    """Mean attributed_revenue (base currency) over campaigns with a value."""
    c = t["campaigns"]
    return mean_of(p.money.to_base(c["attributed_revenue"], c["currency"]))
