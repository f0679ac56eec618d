"""An average, share or median takes a failing record whose every questioned cell its rule reads ("pln" as
PLN, "closed won" as Closed Won) at that reading when its failing records are left out, as a count or a sum
does: a fix would, and leaving it out instead loses a value that is known."""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditor.metrics import Flag, evaluate_metrics
from auditor.metrics.language import compile_metrics

AS_OF = "2026-10-31"


def _misspelt(field: str, ids: pd.Series, reading: str, rule: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"entity": "opportunities", "record_id": ids, "field": field, "rule_id": rule, "suggested_value": reading}
    )


def _deals(amounts: list[float], currencies: list[str], stages: list[str]) -> pd.DataFrame:
    n = len(amounts)
    return pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(n)],
            "account_id": [f"A{i}" for i in range(n)],
            "stage": stages,
            "amount": amounts,
            "currency": currencies,
        }
    )


def test_a_mean_takes_a_currency_its_rule_reads_at_that_reading() -> None:
    # 100 deals of about 1,000 PLN and 30 of about 2,000 whose currency is written "pln": the amounts
    # cannot be converted as recorded, so the raw mean is the 100 deals'. Their rule reads "pln" as PLN;
    # left out, they changed nothing and the mean looked unmoved (MEDIUM, trusted value 1,003), though
    # the mean of all 130 deals, as a fix makes it, is 23% higher
    passing = [1000.0 + i % 7 for i in range(100)]
    misspelt = [2000.0 + i % 5 for i in range(30)]
    deals = _deals(passing + misspelt, ["PLN"] * 100 + ["pln"] * 30, ["Closed Won"] * 130)
    findings = _misspelt("currency", deals["opportunity_id"][100:], "PLN", "opportunities.currency.format")
    metric = compile_metrics({"mean_amount": {"mean": "opportunities.amount"}})
    [result] = evaluate_metrics({"opportunities": deals}, findings, as_of=AS_OF, metrics=metric.values())
    assert result.value == np.mean(passing)
    assert result.value_excluding_failing == np.mean(passing + misspelt)  # 1,233.5
    assert "30 read as their rules suggest instead" in " ".join(result.reasons)
    assert result.flag is Flag.UNRELIABLE  # a 23% move leads the report
    assert result.trusted_value == result.value_excluding_failing


def test_a_share_takes_a_stage_its_rule_reads_at_that_reading() -> None:
    # the win rate of 100 closed deals, 40 won, and 20 more written "closed won": read as won, the rate
    # of the 120 deals is 60 / 120 = 50%; left out, it stayed at the passing deals' 40%
    stages = ["Closed Won"] * 40 + ["Closed Lost"] * 60 + ["closed won"] * 20
    deals = _deals([1000.0] * 120, ["PLN"] * 120, stages)
    findings = _misspelt("stage", deals["opportunity_id"][100:], "Closed Won", "opportunities.stage.allowed")
    [result] = evaluate_metrics({"opportunities": deals}, findings, as_of=AS_OF, metrics=["win_rate"])
    assert result.value_excluding_failing == 0.5
    assert "20 read as their rules suggest instead" in " ".join(result.reasons)
    assert result.flag < Flag.HIGH


def test_a_median_bound_counts_a_read_record_once() -> None:
    # a median of 99 passing amounts and 21 written in "pln" (read: 21 known values, all above the
    # rest): the value without failing records takes them in (the median of all 120), and the order
    # statistics' bound still sees 99 passing values beside 21 failing ones, not the 21 twice
    passing = [float(a) for a in range(1000, 1099)]
    misspelt = [5000.0] * 21
    deals = _deals(passing + misspelt, ["PLN"] * 99 + ["pln"] * 21, ["Closed Won"] * 120)
    findings = _misspelt("currency", deals["opportunity_id"][99:], "PLN", "opportunities.currency.format")
    metric = compile_metrics({"median_amount": {"median": "opportunities.amount"}})
    [result] = evaluate_metrics({"opportunities": deals}, findings, as_of=AS_OF, metrics=metric.values())
    assert result.value_excluding_failing == float(np.median(passing + misspelt))
    assert result.bound is not None
    # the highest median 21 values can make of these 99: the 60th and 61st of the 120, 1,059.5 (from 1,049);
    # with the 21 counted twice it would be 5,000
    assert result.bound == (1059.5 - 1049.0) / 1049.0
