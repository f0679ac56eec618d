"""Suspects: an amount unusual for its column, below the screens' certainty, counts as failing for a
metric only when the metric rests on it; then the metric is never HIGH and its reasons name it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditor.metrics import Flag, evaluate_metrics
from auditor.metrics.activity import RID
from auditor.metrics.language import compile_metrics
from auditor.metrics.screening import screen, suspects
from auditor.money import Money

AS_OF = "2026-10-31"
TYPOS = ["CMP3", "CMP17", "CMP29"]


def _campaigns(typos: list[str]) -> dict[str, pd.DataFrame]:
    """40 campaigns whose revenue spans 1.6 decades (1,600 to 63,000: an email and an event differ
    that much), each delivered to about 10,000 people; the `typos` (a small, a middling and a large
    campaign) have their revenue typed 1,000 times too large: 4 to 5.7 robust z from the bulk, under
    the screens' 6."""
    n = 40
    ids = [f"CMP{i}" for i in range(n)]
    revenue = np.round(10 ** np.linspace(3.2, 4.8, n), 2)
    revenue = np.where(np.isin(ids, typos), revenue * 1000, revenue)
    frame = pd.DataFrame(
        {
            "campaign_id": ids,
            "delivered": pd.array(10_000 + np.arange(n) * 10, dtype="Int64"),
            "attributed_revenue": revenue,
            "currency": "PLN",
        }
    )
    return {"campaigns": frame}


DEFINED = compile_metrics(
    {
        "revenue_per_delivery": {"ratio": "sum(campaigns.attributed_revenue) / sum(campaigns.delivered)"},
        "campaigns_with_revenue": {"count": "campaigns where attributed_revenue > 0"},
    }
)


def _one(frames: dict[str, pd.DataFrame], metric: str):
    [result] = evaluate_metrics(frames, None, as_of=AS_OF, metrics=[DEFINED[metric]], breakdowns=False)
    return result


def test_a_ratio_of_sums_resting_on_three_amounts_typed_1000_times_too_large_is_never_high() -> None:
    frames = _campaigns(TYPOS)
    # the screens do not see them: only the influence check can
    tables = {"campaigns": frames["campaigns"].assign(**{RID: frames["campaigns"]["campaign_id"]})}
    assert screen(tables, {"campaigns": ["attributed_revenue"]}, pd.Timestamp(AS_OF)).empty
    clean = _one(_campaigns([]), "revenue_per_delivery")
    assert clean.flag is Flag.HIGH, clean.reasons
    broken = _one(frames, "revenue_per_delivery")
    assert broken.value > 40 * clean.value
    assert broken.flag is Flag.UNRELIABLE
    said = broken.reasons[0]
    assert "3 campaigns with an unusual attributed_revenue" in said, broken.reasons
    assert all(f"{rid} " in said for rid in TYPOS)
    # the value a reader can lean on leaves them out, and the report leads with the warning
    assert abs(broken.trusted_value - clean.value) / clean.value < 0.10
    assert broken.warning is not None
    fixes = [w for w in broken.worklist if w.get("rule_id") == "plausibility.influence"]
    assert fixes == [
        {
            "action": "fix",
            "entity": "campaigns",
            "field": "attributed_revenue",
            "rule_id": "plausibility.influence",
            "records": 3,
        }
    ]


def test_a_suspect_that_does_not_move_the_metric_leaves_it_high() -> None:
    # a count of campaigns with revenue reads the amounts, but not their size
    result = _one(_campaigns(TYPOS), "campaigns_with_revenue")
    assert result.value == 40
    assert result.flag is Flag.HIGH, result.reasons


def test_a_wide_clean_column_has_no_suspects_and_its_sum_stays_high() -> None:
    # 2,000 log-normal deal sizes spread over three decades: its largest values are the bulk's tail, not suspects
    rng = np.random.default_rng(7)
    n = 2000
    deals = pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(n)],
            "amount": np.round(10 ** rng.normal(4, 0.6, n), 2),
            "currency": "PLN",
            "stage": "Closed Won",
        }
    )
    tables = {"opportunities": deals.assign(**{RID: deals["opportunity_id"]})}
    assert suspects(tables, {"opportunities": ["amount"]}, Money(base="PLN", rates={"PLN": 1.0})).empty
    [result] = evaluate_metrics(
        {"opportunities": deals},
        None,
        as_of=AS_OF,
        metrics=compile_metrics({"won": {"sum": "opportunities.amount where stage == Closed Won"}}).values(),
        breakdowns=False,
    )
    assert result.flag is Flag.HIGH, result.reasons


def test_suspects_are_judged_in_the_base_currency() -> None:
    # 30 amounts in PLN and 10 in EUR (about 4.3 PLN): one column in PLN, where a EUR amount typed 1,000
    # times too large stands out although its own currency has too few records to be judged alone
    pln = np.round(10 ** np.linspace(3, 5, 30), 2)
    eur = np.round(10 ** np.linspace(2.4, 4.4, 10), 2)
    eur[4] *= 1000
    frame = pd.DataFrame(
        {
            "campaign_id": [f"C{i}" for i in range(40)],
            "attributed_revenue": np.concatenate([pln, eur]),
            "currency": ["PLN"] * 30 + ["EUR"] * 10,
        }
    )
    tables = {"campaigns": frame.assign(**{RID: frame["campaign_id"]})}
    money = Money(base="PLN", rates={"PLN": 1.0, "EUR": 4.3})
    found = suspects(tables, {"campaigns": ["attributed_revenue"]}, money)
    assert found["record_id"].tolist() == ["C34"]
    assert set(found["rule_id"]) == {"plausibility.influence"}


def test_the_top_of_a_tail_is_no_suspect_but_a_value_apart_from_it_is() -> None:
    # 39 deliveries between 6,300 and 25,000 and one of 100,000: 4 robust z above the bulk, beyond
    # chance for 40 values, but only 4 times the next one (a big campaign); at 130,000 (5.2 times) it
    # stands apart
    def found(top: float) -> list[str]:
        delivered = np.append(10 ** np.linspace(3.8, 4.4, 39), top)
        frame = pd.DataFrame({"campaign_id": [f"C{i}" for i in range(40)], "delivered": delivered})
        tables = {"campaigns": frame.assign(**{RID: frame["campaign_id"]})}
        return suspects(tables, {"campaigns": ["delivered"]}, Money())["record_id"].tolist()

    assert found(100_000.0) == []
    assert found(130_000.0) == ["C39"]


def test_a_ratio_of_sums_resting_on_two_typos_no_suspect_check_sees_is_held_by_its_interval() -> None:
    # 40 campaigns whose revenue spans 3.3 decades (500 to 1,000,000), two of them typed 1,000 times too
    # large (9,300 and 44,000: 93% of the sum between them): in a column that wide they are under the
    # 3.0 robust z 40 values need, and within 5 times of each other, so neither is a suspect. Resampling
    # the 40 campaigns leaves both out one time in seven: the ratio's own interval is wider than itself
    n = 40
    revenue = np.round(10 ** np.linspace(2.7, 6.0, n), 2)
    typed = revenue.copy()
    typed[[15, 23]] *= 1000

    def campaigns(values: np.ndarray) -> dict[str, pd.DataFrame]:
        return {
            "campaigns": pd.DataFrame(
                {
                    "campaign_id": [f"CMP{i}" for i in range(n)],
                    "delivered": pd.array(10_000 + np.arange(n) * 10, dtype="Int64"),
                    "attributed_revenue": values,
                    "currency": "PLN",
                }
            )
        }

    frames = campaigns(typed)
    tables = {"campaigns": frames["campaigns"].assign(**{RID: frames["campaigns"]["campaign_id"]})}
    assert suspects(tables, {"campaigns": ["attributed_revenue"]}, Money(base="PLN", rates={"PLN": 1.0})).empty
    broken = _one(frames, "revenue_per_delivery")
    lo, hi = broken.interval
    assert (hi - lo) / 2 > broken.value
    assert broken.flag is Flag.MEDIUM, broken.reasons
    # without the typos the same interval is within the value
    clean = _one(campaigns(revenue), "revenue_per_delivery")
    lo, hi = clean.interval
    assert lo < clean.value < hi and (hi - lo) / 2 < clean.value
    assert clean.flag is Flag.HIGH, clean.reasons
