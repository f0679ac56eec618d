"""The calibration benchmark judges a flag against the evidence it rests on: P(within 2%) from the sensitivity
reason's move s and unknown-values term u (`benchmarks/bench_metrics.evidence`). The evidence is read off the
texts the audit writes, so these tests hold the reader and the writer together."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditor.metrics import evaluate_metrics
from auditor.metrics.language import compile_metrics

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_metrics  # a benchmark script, not a package: found on the path set above

AS_OF = "2026-10-31"


def test_evidence_of_a_move_and_an_unknown_term_computed_by_hand() -> None:
    # -3.8% of 29.9 is 0.038 / 0.962 = 3.95% of the 28.8 it moves to (the flag's and the truth's reference)
    # e ~ N(0.0395, 0.028): P(|e| <= 0.02) = Phi(-0.6966) - Phi(-2.1251) = 0.24302 - 0.01679
    said = (
        "excluding them moves it from 29.9 to 28.8 points (-100..100) (-3.8%); their true values could move it"
        " a further 2.8% | 95% interval 19.2 to 40.7 (n = 187)"
    )
    assert bench_metrics.evidence_terms(said) == pytest.approx((0.038 / 0.962, 0.028))
    assert bench_metrics.evidence(said) == pytest.approx(0.2262, abs=5e-4)


def test_evidence_without_failing_records_and_without_a_word_on_them() -> None:
    assert bench_metrics.evidence("all 182 input records pass the rules on its fields") == 1.0
    assert bench_metrics.evidence("based on only 4 records") is None
    # a move alone within 2% is within 2%; beyond it, not
    assert bench_metrics.evidence("excluding them moves it from 10 to 10.1 (+1.0%)") == 1.0
    assert bench_metrics.evidence("excluding them moves it from 10 to 10.3 (+3.0%)") == 0.0
    assert bench_metrics.evidence("excluding them moves it from 10 to 0 (-100.0%)") == 0.0


def test_evidence_reads_the_move_and_the_unknown_term_the_audit_writes() -> None:
    # 200 amounts and 15 negative ones a range rule questions: their true values are unknown, so the
    # reason says how far excluding them moves the mean and how far their true values could move it further
    rng = np.random.default_rng(3)
    amounts = rng.lognormal(7, 0.5, 215)
    amounts[200:] = -amounts[200:]
    deals = pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(215)],
            "account_id": [f"A{i}" for i in range(215)],
            "stage": "Closed Won",
            "amount": amounts,
            "currency": "PLN",
        }
    )
    findings = pd.DataFrame(
        {
            "entity": "opportunities",
            "record_id": deals["opportunity_id"][200:],
            "field": "amount",
            "rule_id": "opportunities.amount.range",
        }
    )
    metric = compile_metrics({"mean_amount": {"mean": "opportunities.amount"}})
    [result] = evaluate_metrics({"opportunities": deals}, findings, as_of=AS_OF, metrics=metric.values())
    terms = bench_metrics.evidence_terms(" | ".join(result.reasons))
    assert terms is not None
    s, u = terms
    assert s == pytest.approx(result.sensitivity, abs=1e-3)  # the text rounds to 0.1% of the value read
    assert u > 0
    assert 0.0 <= bench_metrics.evidence(" | ".join(result.reasons)) < 1.0


def test_the_reliability_table_bins_cases_by_their_evidence() -> None:
    said = "excluding them moves it from 29.9 to 28.8 points (-100..100) (-3.8%); their true values could move it"
    cases = pd.DataFrame(
        {
            "error": [0.01, 0.05, 0.0, 0.3],
            "flag": ["HIGH", "MEDIUM", "HIGH", "LOW"],
            "reasons": [
                f"{said} a further 2.8%",  # evidence 0.226
                f"{said} a further 2.8%",
                "all 182 input records pass the rules on its fields",  # evidence 1: no failing records, left out
                "excluding them moves it from 10 to 13 (+30.0%)",  # evidence 0: left out
            ],
        }
    )
    table = bench_metrics.reliability_table(cases).splitlines()
    assert table[2:] == ["| 0.1-0.3 | 2 | 22.6% | 50.0% | 50.0% |"]


def test_a_distribution_s_change_is_its_move() -> None:
    # a distribution's move is written as a distance, not a percentage in parentheses: before, it read as no move
    said = "excluding them (2 read as their rules suggest instead, the rest scaled to all records) changes 3.4% of its"
    assert bench_metrics.evidence_terms(f"{said} distribution") == pytest.approx((0.034, 0.0))
    assert bench_metrics.evidence(f"{said} distribution") == 0.0


def _case(reasons: str, **numbers: float) -> pd.Series:
    return pd.Series(
        {"coverage": 1.0, "duplicates": 0.0, "bound": float("nan"), "value": None, **numbers, "reasons": reasons}
    )


def test_what_keeps_a_case_below_high_read_off_its_reasons() -> None:
    moved = "excluding them moves it from 10 to 10.3 (+3.0%)"  # 2.9% of the cleaner value: above 2%
    failing = "12 of 40 campaigns fail rules on currency (campaigns.currency.format 10)"
    assert bench_metrics.held_by(_case(moved)) == ["sensitivity"]
    assert bench_metrics.held_by(_case("excluding them moves it from 10 to 10.1 (+1.0%)")) == []
    # coverage 0.7 holds it unless the bound clears it; the sensitivity's bound of 1.5% takes the imputed move to HIGH
    assert bench_metrics.held_by(_case(f"{failing}; their true values could move it by up to 58.3%", coverage=0.7)) == [
        "coverage"
    ]
    cleared = f"{failing}; whatever their true values, they move it at most 1.5%"
    scaled = "excluding them (scaled to all records) moves it from 10 to 10.3 (+3.0%)"
    assert bench_metrics.held_by(_case(f"{cleared} | {scaled}", coverage=0.7, bound=0.015)) == []
    # 28 records (under 30); the 95% interval 2.6% to 19.9% of a value of 8% is 8.65 / 8 = 1.08 of it each way (over 1)
    assert bench_metrics.held_by(
        _case("based on only 28 records | 95% interval 2.6% to 19.9% (n = 28)", value=0.08)
    ) == [
        "sample size",
        "interval",
    ]
    assert bench_metrics.held_by(_case("95% interval 3.6% to 12.4% (n = 40)", value=0.08)) == []
    stale = "stale: the newest record (campaigns.updated_at) is 95 days before as_of"
    assert bench_metrics.held_by(_case(f"{stale} | merging 5 duplicate accounts in 2 clusters", duplicates=0.03)) == [
        "freshness",
        "duplicates",
    ]


def test_the_signed_error_of_numbers_only() -> None:
    assert bench_metrics._signed(9.0, 10.0) == pytest.approx(-0.1)
    assert bench_metrics._signed(11, -10) == pytest.approx(2.1)
    assert bench_metrics._signed({"a": 1.0}, {"a": 2.0}) is None and bench_metrics._signed(1.0, 0.0) is None
