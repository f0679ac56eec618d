"""The value and the trusted value side by side: when failing records move a metric beyond the HIGH
threshold, every report leads with the warning and the believable figure, not the raw one."""

from __future__ import annotations

import pandas as pd
import pytest
from rich.console import Console

from auditor.metrics import evaluate_metrics
from auditor.metrics.render import table

AS_OF = "2026-10-31"


def _revenue(amounts: list[float], failing: list[str]):
    n = len(amounts)
    opportunities = pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(n)],
            "account_id": [f"A{i}" for i in range(n)],
            "stage": "Closed Won",
            "amount": amounts,
            "currency": "PLN",
            "close_date": pd.Timestamp("2026-10-01"),
            "created_at": pd.Timestamp("2026-09-01"),
        }
    )
    findings = pd.DataFrame(
        {"entity": "opportunities", "record_id": failing, "field": "amount", "rule_id": "opportunities.amount.outlier"}
    )
    [result] = evaluate_metrics({"opportunities": opportunities}, findings, as_of=AS_OF, metrics=["revenue"])
    return result


def test_ten_mistyped_amounts_do_not_make_the_headline() -> None:
    amounts = [1000.0] * 100
    for i in range(10):
        amounts[i] = 2_300_000_000.0
    result = _revenue(amounts, [f"O{i}" for i in range(10)])
    assert result.value == pytest.approx(10 * 2_300_000_000 + 90 * 1000)
    assert result.trusted_value == pytest.approx(100_000)  # 90 clean deals, scaled to all 100 records
    assert result.warning == ("without the records that fail rules it is 100,000 PLN, not the raw 23,000,090,000 PLN")
    assert result.to_dict()["trusted_value"] == pytest.approx(100_000)
    console = Console(width=200, record=True)
    console.print(table([result]))
    shown = console.export_text()
    assert "! 100,000 (raw" in shown and "not the raw" in shown


def test_a_small_move_keeps_the_value_as_the_headline() -> None:
    amounts = [1000.0] * 100
    amounts[0] = 1010.0
    result = _revenue(amounts, ["O0"])
    assert result.warning is None and result.trusted_value == result.value
