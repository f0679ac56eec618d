"""A ratio of two measures takes a failing record whose every questioned cell its rule reads ("pln" as PLN) at that
reading, as an average, a share, a median, a count and a sum do: left out, the record's known numerator and
denominator are both lost, and a ratio of a few dozen campaigns' totals moves with whichever campaigns are left."""

from __future__ import annotations

import pandas as pd

from auditor.metrics import evaluate_metrics
from auditor.metrics.language import compile_metrics

REVENUE_PER_DELIVERY = compile_metrics(
    {"revenue_per_delivery": {"ratio": "sum(campaigns.attributed_revenue) / sum(campaigns.delivered)"}}
)


def test_a_ratio_takes_a_currency_its_rule_reads_at_that_reading() -> None:
    # 30 campaigns of 1,000 PLN per 1,000 deliveries and 10 events of 6,000 PLN per 1,000, whose currency is
    # written "pln": their revenue cannot be converted as recorded, so the raw ratio is the 30 campaigns' 1.0.
    # Left out, they changed nothing (the ratio looked unmoved), though with them, as their rule reads them, it is
    # (30,000 + 60,000) / 40,000 = 2.25
    campaigns = pd.DataFrame(
        {
            "campaign_id": [f"C{i}" for i in range(40)],
            "delivered": [1000] * 40,
            "attributed_revenue": [1000.0] * 30 + [6000.0] * 10,
            "currency": ["PLN"] * 30 + ["pln"] * 10,
        }
    )
    findings = pd.DataFrame(
        {
            "entity": "campaigns",
            "record_id": campaigns["campaign_id"][30:],
            "field": "currency",
            "rule_id": "campaigns.currency.format",
            "suggested_value": "PLN",
        }
    )
    [result] = evaluate_metrics(
        {"campaigns": campaigns}, findings, as_of="2026-10-31", metrics=REVENUE_PER_DELIVERY.values()
    )
    assert result.value == 1.0
    assert result.value_excluding_failing == 2.25
    assert "10 read as their rules suggest instead" in " ".join(result.reasons)
