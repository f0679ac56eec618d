"""The confidence rules one by one: intervals, coverage, sensitivity, duplicates, sample size,
freshness, and the settings object."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from auditor.errors import ConfigError
from auditor.metrics import Flag, MetricsSettings, evaluate_metrics
from auditor.metrics.confidence import bootstrap, distance, nps_interval, propagated, wilson
from auditor.metrics.registry import Derivation, Estimate, proportion
from auditor.money import Money

AS_OF = "2026-10-31"


def test_wilson_matches_the_textbook_values() -> None:
    lo, hi = wilson(8, 10, 1.959964)
    assert (lo, hi) == (pytest.approx(0.4902, abs=1e-4), pytest.approx(0.9433, abs=1e-4))
    lo, hi = wilson(0, 20, 1.959964)
    assert lo == 0.0 and hi == pytest.approx(0.1611, abs=1e-4)
    assert wilson(1, 2, scale=100)[1] > 50 and wilson(3, 0) is None


def test_nps_interval_uses_the_nps_variance() -> None:
    scores = np.array([10] * 50 + [8] * 30 + [3] * 20, dtype=float)
    # p9 = 0.5, p6 = 0.2, nps = 0.3; var = 0.5 + 0.2 - 0.09 = 0.61; se = sqrt(0.61 / 100)
    half = 1.959964 * 100 * math.sqrt(0.61 / 100)
    lo, hi = nps_interval(scores)
    assert lo == pytest.approx(30 - half) and hi == pytest.approx(30 + half)
    assert nps_interval(np.array([10.0] * 5)) == (100.0, 100.0)


def test_bootstrap_covers_the_mean_like_the_normal_approximation() -> None:
    sample = np.random.default_rng(1).normal(100, 10, 2000)
    lo, hi = bootstrap(sample, "mean", resamples=800)
    se = 10 / math.sqrt(2000)
    assert lo < sample.mean() < hi
    assert (hi - lo) / 2 == pytest.approx(1.96 * se, rel=0.15)
    big = np.random.default_rng(2).normal(100, 10, 50_000)
    lo, hi = bootstrap(big, "median", max_sample=2000)
    assert (hi - lo) / 2 == pytest.approx(1.96 * 1.2533 * 10 / math.sqrt(50_000), rel=0.3)
    assert bootstrap(np.array([1.0]), "mean") is None


def _quotient(num: Estimate, den: Estimate) -> Derivation:
    return Derivation((("proportion", num), ("proportion", den)), lambda v: v[0] / v[1] if v[1] else None)


def test_a_derived_value_s_interval_propagates_its_operands_on_the_log_scale() -> None:
    settings = MetricsSettings()
    num, den = proportion(30, 100), proportion(60, 100)
    # by hand: each Wilson interval's width / 2z is the operand's standard error; a quotient moves by half the
    # difference of the logs one standard error above and below each operand, the two moves in quadrature
    (a_lo, a_hi), (b_lo, b_hi) = wilson(30, 100), wilson(60, 100)
    se_a, se_b = (a_hi - a_lo) / 2 / 1.959964, (b_hi - b_lo) / 2 / 1.959964
    move_a = (math.log((0.3 + se_a) / 0.6) - math.log((0.3 - se_a) / 0.6)) / 2
    move_b = (math.log(0.3 / (0.6 + se_b)) - math.log(0.3 / (0.6 - se_b))) / 2
    half = 1.959964 * math.sqrt(move_a**2 + move_b**2)
    lo, hi = propagated(0.5, _quotient(num, den), settings)
    assert (lo, hi) == (pytest.approx(0.5 * math.exp(-half)), pytest.approx(0.5 * math.exp(half)))
    # a difference is propagated as it is (it may be 0 or below), and a metric read twice moves as one operand
    difference = Derivation((("proportion", num), ("proportion", den)), lambda v: v[0] - v[1])
    lo, hi = propagated(-0.3, difference, settings)
    assert (hi - lo) / 2 == pytest.approx(1.959964 * math.hypot(se_a, se_b)) and (lo + hi) / 2 == pytest.approx(-0.3)
    assert propagated(0.0, Derivation((("proportion", num),), lambda v: v[0] - v[0]), settings) == (0.0, 0.0)
    # totals have no interval of their own: a value made of them has none
    totals = Derivation((("count", Estimate(30.0, 30)), ("sum", Estimate(12.5, 4))), lambda v: v[0] + v[1])
    assert propagated(42.5, totals, settings) is None
    # a value undefined one standard error from an operand's (a divisor of 0 there) has no first-order interval
    undefined_above = Derivation((("proportion", den),), lambda v: 1 / (0.61 - v[0]) if v[0] < 0.61 else None)
    assert propagated(100.0, undefined_above, settings) is None


def test_a_derived_quotient_s_interval_covers_the_truth_as_often_as_it_says() -> None:
    # an oracle by simulation: two independent shares, their quotient's 95% interval over 2,000 samples
    rng, settings = np.random.default_rng(7), MetricsSettings()
    covered = 0
    for _ in range(2000):
        a, b = rng.binomial(400, 0.3), rng.binomial(300, 0.6)
        lo, hi = propagated((a / 400) / (b / 300), _quotient(proportion(a, 400), proportion(b, 300)), settings)
        covered += lo <= 0.5 <= hi
    assert 0.93 <= covered / 2000 <= 0.97


def test_distance_is_relative_and_handles_distributions() -> None:
    assert distance(110, 100) == pytest.approx(0.1)
    assert distance({"a": 5, "b": 5}, {"a": 4, "b": 6}) == pytest.approx(0.2)
    assert distance(None, None) == 0 and distance(1, None) == math.inf


def test_the_distance_of_distributions_does_not_depend_on_the_order_of_their_keys() -> None:
    # ten 1s beside 1e16: added one by one after it, each would round away; the keys' order in a set
    # follows the hash seed, so a plain sum differed in its last digits from run to run
    months = {f"2026-{m:02d}": 1.0 for m in range(1, 11)} | {"2025-12": 1e16}
    assert distance(months, {"2025-12": 1.0}) == 1e16 - 1 + 10


def _findings(entity: str, ids: list[str], field: str, rule: str) -> pd.DataFrame:
    return pd.DataFrame({"entity": entity, "record_id": ids, "field": field, "rule_id": rule})


def _one(frames, findings, metric, **kw):
    [r] = evaluate_metrics(frames, findings, as_of=AS_OF, metrics=[metric], breakdowns=False, **kw)
    return r


def _deals(n_won: int, n_lost: int, cycle: int = 30) -> dict[str, pd.DataFrame]:
    n = n_won + n_lost
    created = pd.Timestamp("2026-06-01")
    return {
        "opportunities": pd.DataFrame(
            {
                "opportunity_id": [f"O{i}" for i in range(n)],
                "account_id": [f"A{i}" for i in range(n)],
                "stage": ["Closed Won"] * n_won + ["Closed Lost"] * n_lost,
                "amount": 100.0,
                "currency": "PLN",
                "created_at": created,
                "close_date": created + pd.Timedelta(days=cycle),
                "updated_at": pd.Timestamp("2026-10-30"),
            }
        )
    }


def test_clean_inputs_are_high_with_a_positive_reason() -> None:
    r = _one(_deals(300, 700), None, "win_rate", clusters=pd.DataFrame(columns=["entity", "record_id", "cluster_id"]))
    assert r.flag is Flag.HIGH and r.value == pytest.approx(0.3)
    assert "all 1,000 input records pass" in r.reasons[0]
    assert r.interval[0] < 0.3 < r.interval[1]


def test_missing_close_dates_lower_coverage_and_the_reason_says_how_many() -> None:
    frames = _deals(100, 0)
    opp = frames["opportunities"]
    broken = [f"O{i}" for i in range(30)]
    # the broken deals have no close date... and a close date would have made them long deals
    opp.loc[opp["opportunity_id"].isin(broken), "close_date"] = pd.NaT
    findings = _findings("opportunities", broken, "close_date", "opportunities.closed.close_date")
    r = _one(frames, findings, "sales_cycle_days")
    assert r.coverage == pytest.approx(0.7)
    assert r.flag is Flag.LOW
    assert r.reasons[0].startswith("30 of 100 Closed Won deals fail rules on close_date")
    assert r.worklist[0] == {
        "action": "fix",
        "entity": "opportunities",
        "field": "close_date",
        "rule_id": "opportunities.closed.close_date",
        "records": 30,
    }


def test_sensitivity_compares_the_value_without_the_failing_records() -> None:
    frames = _deals(100, 0)
    opp = frames["opportunities"]
    opp.loc[:1, "amount"] = 1_000_000.0  # two amounts with extra zeros
    findings = _findings("opportunities", ["O0", "O1"], "amount", "opportunities.amount.outlier")
    r = _one(frames, findings, "avg_deal_size")
    assert r.coverage == pytest.approx(0.98)
    assert r.value_excluding_failing == pytest.approx(100.0)
    assert r.sensitivity > 100 and r.flag is Flag.UNRELIABLE
    assert "excluding them moves it from 20,098 to 100 PLN" in r.reasons[0]


def test_extensive_metrics_are_scaled_back_when_failing_records_are_excluded() -> None:
    frames = _deals(50, 50)
    findings = _findings("opportunities", ["O60", "O61"], "stage", "opportunities.stage.allowed")
    r = _one(frames, findings, "funnel")
    # 98 of 100 pass: excluding two lost deals and scaling by 100/98 keeps the funnel's total
    assert r.value_excluding_failing["Closed Won"] == pytest.approx(50 * 100 / 98)
    assert r.flag is Flag.MEDIUM  # shift 2.04% > 2%


def test_duplicate_clusters_are_merged_and_foreign_keys_follow() -> None:
    accounts = pd.DataFrame(
        {"account_id": [f"A{i}" for i in range(20)], "status": "Customer", "updated_at": pd.Timestamp("2026-10-01")}
    )
    clusters = pd.DataFrame(
        {"entity": "accounts", "record_id": ["A0", "A10", "A1", "A11"], "cluster_id": ["D1", "D1", "D2", "D2"]}
    )
    r = _one({"accounts": accounts}, None, "customers", clusters=clusters)
    assert r.value == 20 and r.value_duplicates_merged == 18
    assert r.flag is Flag.LOW  # 10% off
    assert r.reasons[0] == "merging 2 duplicate accounts in 2 clusters moves it from 20 to 18 accounts (-10.0%)"
    assert {"action": "merge", "entity": "accounts", "clusters": 2, "records": 2} in r.worklist
    # a deal of the copy A10 now belongs to its survivor A0: one customer with two won deals
    frames = _deals(2, 0)
    frames["opportunities"]["account_id"] = ["A0", "A10"]
    frames["accounts"] = accounts
    r = _one(frames, None, "clv", clusters=clusters)
    assert r.value == 100 and r.value_duplicates_merged == 200


def test_no_clusters_is_said() -> None:
    r = _one(_deals(30, 30), None, "win_rate")
    assert r.reasons[-1] == "duplicates not checked (no duplicate clusters given)"


def test_small_samples_and_stale_data_lower_the_flag() -> None:
    r = _one(_deals(3, 5), None, "win_rate")
    assert r.flag is Flag.UNRELIABLE or r.flag is Flag.LOW
    assert any("based on only 8 records" in x for x in r.reasons)
    stale = _deals(300, 300)
    stale["opportunities"]["updated_at"] = pd.Timestamp("2026-04-01")
    stale["opportunities"]["created_at"] = pd.Timestamp("2026-03-01")
    r = _one(stale, None, "win_rate")
    assert r.flag is Flag.LOW and r.freshness_days == pytest.approx(213)
    assert "stale: the newest record (opportunities.updated_at) is 213 days before as_of" in r.reasons


def test_settings_from_the_config_section() -> None:
    s = MetricsSettings.from_dict({"coverage": {"high": 0.9}, "shift_high": 0.03, "sample": {"high": 50}})
    assert (s.coverage_high, s.shift_high, s.sample_high) == (0.9, 0.03, 50)
    assert MetricsSettings.from_dict(None) == MetricsSettings()
    with pytest.raises(ConfigError, match=r"metrics\.coverage\.hihg: unknown key; did you mean 'high'"):
        MetricsSettings.from_dict({"coverage": {"hihg": 0.9}})
    with pytest.raises(ConfigError, match=r"metrics\.shift_high: expected a non-negative number"):
        MetricsSettings.from_dict({"shift_high": "two percent"})
    with pytest.raises(ConfigError, match="high >= medium >= low"):
        MetricsSettings.from_dict({"coverage": {"high": 0.5}})
    loose = MetricsSettings.from_dict({"coverage": {"high": 0.6, "medium": 0.5, "low": 0.4}})
    frames = _deals(100, 0)
    findings = _findings("opportunities", [f"O{i}" for i in range(30)], "stage", "opportunities.stage.allowed")
    assert _one(frames, findings, "win_rate", settings=loose).flag is Flag.HIGH


def _tickets(hours: np.ndarray) -> dict[str, pd.DataFrame]:
    opened = pd.Timestamp("2026-09-01")
    return {
        "tickets": pd.DataFrame(
            {
                "ticket_id": [f"T{i}" for i in range(len(hours))],
                "opened_at": opened,
                "resolved_at": opened + pd.to_timedelta(hours, unit="h"),
                "updated_at": pd.Timestamp("2026-10-30"),
            }
        )
    }


def test_unknown_values_of_a_median_use_its_bootstrap_standard_error() -> None:
    # skewed durations: the sd of the values (~ 95 h) is far wider than the median's standard error
    hours = np.round(np.random.default_rng(3).lognormal(3, 1.2, 900), 2)
    failing = [f"T{i}" for i in range(0, 900, 30)]  # 30 tickets, spread evenly: excluding them barely moves it
    findings = _findings("tickets", failing, "opened_at", "tickets.opened_at.not_future")
    r = _one(_tickets(hours), findings, "time_to_resolution_hours")
    lo, hi = r.interval
    se = (hi - lo) / 2 / 1.959964
    expected = se * math.sqrt(900) * math.sqrt(30) / 900 / r.value_excluding_failing
    said = next(x for x in r.reasons if x.startswith("excluding them"))
    assert f"their true values could move it a further {100 * expected:.1f}%" in said
    sd_based = 1.2533 * hours.std() * math.sqrt(30) / 900 / r.value_excluding_failing
    assert expected < sd_based / 2


def test_each_breakdown_group_has_its_own_flag_from_coverage_and_sample_size() -> None:
    frames = _deals(110, 110)
    i = np.arange(220) % 11
    opp = frames["opportunities"]
    opp["owner"] = np.where(i < 5, "Clean", np.where(i < 10, "Broken", "Tiny"))  # 100, 100, 20 deals; half won
    broken = opp.loc[opp["owner"] == "Broken", "opportunity_id"]
    failing = [*broken[:20], *broken[-20:]]  # 20 won and 20 lost: excluding them leaves the rate at 0.5
    findings = _findings("opportunities", failing, "stage", "opportunities.stage.allowed")
    loose = MetricsSettings(coverage_high=0.8, coverage_medium=0.7, shift_high=0.05)
    [r] = evaluate_metrics(frames, findings, as_of=AS_OF, metrics=["win_rate"], settings=loose)
    assert r.flag is Flag.HIGH and r.coverage == pytest.approx(180 / 220)
    groups = r.breakdown_confidence["owner"]
    assert groups["Clean"] == {"confidence": "HIGH", "n": 100, "coverage": 1.0, "reasons": []}
    assert groups["Broken"]["confidence"] == "LOW" and groups["Broken"]["coverage"] == pytest.approx(0.6)
    assert groups["Broken"]["reasons"] == ["40 of 100 closed deals fail rules on its fields"]
    assert groups["Tiny"]["confidence"] == "MEDIUM" and groups["Tiny"]["reasons"] == ["based on only 20 records"]
    assert r.breakdowns["owner"] == {"Broken": 0.5, "Clean": 0.5, "Tiny": 0.5}
    # no group is trusted more than its metric: at the default coverage threshold (0.90) the
    # metric is MEDIUM, and so is its clean group
    [r] = evaluate_metrics(frames, findings, as_of=AS_OF, metrics=["win_rate"])
    assert r.flag is Flag.MEDIUM
    assert r.breakdown_confidence["owner"]["Clean"]["confidence"] == "MEDIUM"
    assert r.breakdown_confidence["owner"]["Clean"]["reasons"] == ["the metric as a whole is MEDIUM"]
    assert r.to_dict()["breakdown_confidence"]["owner"]["Tiny"]["n"] == 20


def _subscriptions(statuses: list[str], end_dates: list[str], renewed: list[bool]) -> dict[str, pd.DataFrame]:
    n = len(statuses)
    return {
        "subscriptions": pd.DataFrame(
            {
                "subscription_id": [f"S{i}" for i in range(n)],
                "account_id": [f"A{i}" for i in range(n)],
                "status": statuses,
                "start_date": pd.Timestamp("2024-01-01"),
                "end_date": pd.to_datetime(end_dates),
                "cancelled_at": pd.NaT,
                "renewed": renewed,
                "updated_at": pd.Timestamp("2026-10-30"),
            }
        )
    }


def _renewals(typos_on: str) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """40 renewed terms and 20 expired ones ending in the window (renewal rate 40 / 60), 40
    subscriptions running until 2029; 30 of those (typos_on="outside") or 15 of the expired ones
    (typos_on="expired") carry a status typo."""
    statuses = ["Active"] * 40 + ["Expired"] * 20 + ["Active"] * 40
    ends = ["2027-03-01"] * 40 + ["2026-05-01"] * 20 + ["2029-01-01"] * 40
    renewed = [True] * 40 + [False] * 60
    broken = list(range(60, 90)) if typos_on == "outside" else list(range(40, 55))
    for i in broken:
        statuses[i] = statuses[i].lower()[:-1]
    findings = _findings("subscriptions", [f"S{i}" for i in broken], "status", "subscriptions.status.allowed")
    return _subscriptions(statuses, ends, renewed), findings


def test_failing_records_that_cannot_move_the_metric_do_not_lower_its_flag() -> None:
    # 30 of 100 subscriptions fail (coverage 0.70), but they end in 2029: whatever their status,
    # no term of theirs ends in the window, so the renewal rate cannot move
    frames, findings = _renewals("outside")
    r = _one(frames, findings, "renewal_rate")
    assert r.value == pytest.approx(40 / 60) and r.coverage == pytest.approx(0.7)
    assert r.bound == 0.0
    assert r.flag is Flag.HIGH
    assert r.reasons[0] == (
        "30 of 100 subscriptions fail rules on status (subscriptions.status.allowed 30);"
        " whatever their true values, they move it at most 0.0%"
    )
    # a bound above bound.high leaves the flag to coverage: 0.70 is LOW
    strict = MetricsSettings(bound_high=-1.0)
    assert _one(frames, findings, "renewal_rate", settings=strict).flag is Flag.LOW


def test_failing_records_that_can_move_the_metric_keep_it_below_high() -> None:
    # 15 expired terms with a status typo are not counted as lapsed: the rate reads 40 / 45; had
    # their status been Expired (or Cancelled) it would be 40 / 60, 25% lower
    frames, findings = _renewals("expired")
    r = _one(frames, findings, "renewal_rate")
    assert r.value == pytest.approx(40 / 45)
    assert r.bound == pytest.approx((40 / 45 - 40 / 60) / (40 / 45))
    assert "their true values could move it by up to 25.0% (the most: subscriptions.status = Cancelled)" in r.reasons[1]
    # excluding them does not move it, but they are not like every passing term: of the 45 passing terms
    # that were not renewed 5 lapsed in the window, so the 15 taken from those 45 (the quantiles of their
    # statuses) hold 2 lapsed ones: 40 / 47, 4.3% off, where excluding them said 0%
    assert r.flag is Flag.LOW
    assert "with the same renewed and status moves it from 88.9% to 85.1% (-4.3%)" in r.reasons[0]


def test_the_bound_sees_failing_records_that_are_not_missing_at_random() -> None:
    # cancelled subscriptions without a cancellation date look retained; excluding them moves
    # nothing, but a cancellation date in the window would make them churned
    frames = _subscriptions(["Active"] * 85 + ["Cancelled"] * 15, ["2027-06-01"] * 100, [False] * 100)
    failing = [f"S{i}" for i in range(85, 100)]
    findings = _findings("subscriptions", failing, "cancelled_at", "subscriptions.cancelled_at.required")
    r = _one(frames, findings, "retention_rate")
    assert r.value == 1.0 and r.value_excluding_failing == 1.0
    assert r.bound == pytest.approx(0.15)
    assert r.flag is Flag.MEDIUM


def _nps_with_unreadable(unreadable: int) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """500 answers, `unreadable` of them without a readable score (type findings, left out of the
    value); the rest 40% promoters, 40% passives, 20% detractors: NPS 20 either way."""
    valid = 500 - unreadable
    promoters = passives = valid * 2 // 5
    scores = [10.0] * promoters + [7.0] * passives + [3.0] * (valid - promoters - passives)
    scores += [np.nan] * unreadable
    surveys = pd.DataFrame(
        {"response_id": [f"R{i}" for i in range(500)], "nps": scores, "responded_at": pd.Timestamp("2026-10-20")}
    )
    failing = [f"R{i}" for i in range(valid, 500)]
    return {"surveys": surveys}, _findings("surveys", failing, "nps", "surveys.type")


def test_unknown_values_within_the_bound_at_99_percent_keep_a_value_high() -> None:
    # excluding the 12 unreadable answers moves nothing; their unknown true values, one standard
    # error: 74.8 x sqrt(12) / 500 / 20 = 2.6% (above 2%), x 2.576 = 6.7%: within 10%
    r = _one(*_nps_with_unreadable(12), "nps")
    assert r.value == pytest.approx(20, abs=0.3) and r.sensitivity == 0.0
    said = next(x for x in r.reasons if x.startswith("excluding them"))
    assert said.endswith("their true values could move it a further 2.6%")
    assert r.flag is Flag.HIGH


def test_unknown_values_beyond_the_bound_at_99_percent_are_not_high() -> None:
    # 40 unreadable: one standard error is 4.7%, x 2.576 = 12.2% > 10%
    r = _one(*_nps_with_unreadable(40), "nps")
    said = next(x for x in r.reasons if x.startswith("excluding them"))
    assert said.endswith("their true values could move it a further 4.7%")
    assert r.flag is Flag.MEDIUM
    assert MetricsSettings().sensitivity_flag(0.0, 0.047) is Flag.MEDIUM
    assert MetricsSettings().sensitivity_flag(0.021, 0.0) is Flag.MEDIUM  # the measured shift is above 2%
    assert MetricsSettings(bound_confidence=0.5).sensitivity_flag(0.0, 0.047) is Flag.HIGH


def test_the_bound_tries_every_known_currency_and_adds_up_the_fields() -> None:
    # 4 campaigns with an unknown currency spelling have no PLN value; 2 others a negative revenue
    revenue = [1000.0] * 34 + [-5.0] * 2 + [1000.0] * 4
    campaigns = pd.DataFrame(
        {
            "campaign_id": [f"C{i}" for i in range(40)],
            "attributed_revenue": revenue,
            "currency": ["PLN"] * 36 + ["pln"] * 4,
            "updated_at": pd.Timestamp("2026-10-30"),
        }
    )
    findings = pd.concat(
        [
            _findings("campaigns", ["C34", "C35"], "attributed_revenue", "campaigns.counts.range"),
            _findings("campaigns", [f"C{i}" for i in range(36, 40)], "currency", "campaigns.currency.format"),
        ]
    )
    rates = Money(base="PLN", rates={"PLN": 1.0, "EUR": 4.3, "USD": 4.0, "GBP": 5.0})
    r = _one({"campaigns": campaigns}, findings, "revenue_per_campaign", money=rates)
    value = (34_000 - 10) / 36
    assert r.value == pytest.approx(value)
    by_currency = abs((34_000 - 10 + 4 * 1000 * 5.0) / 40 - value) / value  # all four in GBP
    by_revenue = abs(1000 - value) / value  # the two negatives missing, or any passing amount
    assert r.bound == pytest.approx(by_currency + by_revenue)
    assert r.flag is not Flag.HIGH
