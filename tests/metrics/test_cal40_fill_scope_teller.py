"""A mean's or median's failing records whose scope is unknown take it, in the fill, from passing records of the
kind the column that tells the scope says (`evaluate._like_their_kind`), as a distinct count's extrapolation does."""

from __future__ import annotations

import pandas as pd

from auditor.metrics import evaluate_metrics
from auditor.metrics.language import compile_metrics

WON_AMOUNT = compile_metrics({"won_amount": {"mean": "opportunities.amount where stage == Closed Won"}})


def test_a_blank_stage_is_filled_from_deals_of_its_probability() -> None:
    # 40 won deals of 10,000 (probability 100) and 140 open ones of 50,000 (probability 50), 20 more open ones of
    # 50,000 whose stage is blank. The truth and the raw value are 10,000. The old fill took the 20 blank stages from
    # all passing deals ordered by stage, so the 4 at the quantiles 4.5, 13.5, 22.5 and 31.5 of 180 were won: a mean of
    # (40 x 10,000 + 4 x 50,000) / 44 = 13,636 (+36%). Their probability says they are open: none is won, no move.
    n_won, n_open = 40, 160
    deals = pd.DataFrame(
        {
            "opportunity_id": [f"O{i:03d}" for i in range(n_won + n_open)],
            "account_id": [f"A{i:03d}" for i in range(n_won + n_open)],
            "stage": ["Closed Won"] * n_won + [None] * 20 + ["Negotiation"] * (n_open - 20),
            "probability": [100.0] * n_won + [50.0] * n_open,
            "amount": [10_000.0] * n_won + [50_000.0] * n_open,
            "currency": "PLN",
        }
    )
    findings = pd.DataFrame(
        {
            "entity": "opportunities",
            "record_id": deals["opportunity_id"][n_won : n_won + 20],
            "field": "stage",
            "rule_id": "opportunities.stage.required",
        }
    )
    [result] = evaluate_metrics(
        {"opportunities": deals}, findings, as_of="2026-10-31", metrics=WON_AMOUNT.values(), breakdowns=False
    )
    assert result.value == 10_000
    # the fill moves it no further than leaving them out (+0.0%), so the sensitivity reason does not name it
    assert not any("taking their unknown cells" in reason for reason in result.reasons)
