"""The true value of each CRM metric on the CLEAN data (before defects and duplicates).

Conventions shared by every metric:

* Money is converted to PLN at the generator's rates (`clean.RATES_TO_PLN`: EUR 4.3, USD 4.0,
  GBP 5.0), which it writes into the config (`currency:`) so that the audit converts alike.
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

from auditor.metrics import Params, get_metric, value_of
from auditor.metrics.evaluate import prepare
from auditor.money import Money
from auditor.synth.clean import RATES_TO_PLN


def synth_money() -> Any:
    """The generator's rates as the config's `currency:` section reads them (auditor.money)."""

    return Money(base="PLN", rates=dict(RATES_TO_PLN), rates_source="config")


def config_text(as_of: Any) -> str:
    """The audit config written beside the generated export."""
    rates = ", ".join(f"{code}: {rate}" for code, rate in RATES_TO_PLN.items() if code != "PLN")
    return f"as_of: {as_of.isoformat()}\ndefault_region: PL\ncurrency: {{base: PLN, rates: {{{rates}}}}}\n"


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), nd)


# truth key -> decimals it is rounded to (None: an integer count or a distribution)
KEYS: dict[str, int | None] = {
    "cac": 2,
    "new_customers": None,
    "clv": 2,
    "clv_cac_ratio": 4,
    "churn_rate": 4,
    "retention_rate": 4,
    "renewal_rate": 4,
    "customer_retention_cost": 2,
    "nps": 2,
    "csat": 2,
    "ces": 4,
    "lead_conversion_rate": 4,
    "win_rate": 4,
    "avg_deal_size": 2,
    "sales_cycle_days": 2,
    "lead_response_hours": 2,
    "funnel": None,
    "lost_by_reason": None,
    "lost_by_competitor": None,
    "pareto_top20_share": 4,
    "campaign_open_rate": 4,
    "campaign_ctr": 4,
    "campaign_unsubscribe_rate": 6,
    "revenue_per_campaign": 2,
    "tickets_handled": None,
    "tickets_closed_per_day": 4,
    "time_to_resolution_hours": 2,
    "first_contact_resolution_rate": 4,
    "customers": None,
    "revenue_by_month": 2,
    "costs_by_category": 2,
}


def compute(frames: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> dict[str, Any]:
    """Every metric of truth/metrics.json, computed by the metric registry (`auditor.metrics`:
    each metric's docstring is its definition) on the clean frames, with the default window
    (the 12 months up to as_of)."""

    money = synth_money()
    tables, _ = prepare(frames, money=money)
    params = Params.make(as_of, money=money)
    out: dict[str, Any] = {
        "as_of": str(pd.Timestamp(as_of).date()),
        "currency": "PLN",
        "rates_to_pln": dict(RATES_TO_PLN),
        "window": {"start_exclusive": str(params.start.date()), "end_inclusive": str(params.end.date())},
    }
    for key, digits in KEYS.items():
        value = value_of(get_metric(key).compute(tables, params))
        if isinstance(value, dict):
            value = {k: (_r(v, digits) if digits is not None else int(v)) for k, v in value.items()}
        elif digits is not None:
            value = _r(value, digits)
        out[key] = value
    return out


def as_json_ready(metrics: dict[str, Any]) -> dict[str, Any]:
    """numpy scalars -> python numbers for json.dump."""

    def conv(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, np.generic):
            return v.item()
        return v

    return conv(metrics)
