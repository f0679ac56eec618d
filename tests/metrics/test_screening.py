"""Plausibility screening: an anomaly no rule looks at still lowers the flag of every metric that
reads the field, and is named in its reasons and worklist; a clean export is never screened down."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.metrics import Flag, evaluate_metrics
from auditor.metrics.activity import RID
from auditor.metrics.screening import group_codes, screen

AS_OF = "2026-10-31"


def _tickets(n: int = 200, backwards: int = 0) -> dict[str, pd.DataFrame]:
    """`n` tickets resolved in the window, 1 to 48 h after their first response; the first `backwards`
    ones were resolved a day before their first response."""
    rng = np.random.default_rng(3)
    opened = pd.Timestamp("2026-06-01") + pd.to_timedelta(rng.integers(0, 100 * 24, n), unit="h")
    response = opened + pd.Timedelta(hours=1)
    resolved = response + pd.to_timedelta(rng.integers(1, 49, n), unit="h")
    resolved = resolved.where(np.arange(n) >= backwards, response - pd.Timedelta(days=1))
    frame = pd.DataFrame(
        {
            "ticket_id": [f"T{i}" for i in range(n)],
            "opened_at": opened,
            "first_response_at": response,
            "resolved_at": resolved,
            "status": "Resolved",
        }
    )
    return {"tickets": frame}


def _one(frames, metric):
    [result] = evaluate_metrics(frames, None, as_of=AS_OF, metrics=[metric], breakdowns=False)
    return result


@pytest.mark.parametrize("metric", ["tickets_closed_per_day", "time_to_resolution_hours"])
def test_a_metric_on_impossible_durations_is_never_high(metric: str) -> None:
    clean = _one(_tickets(), metric)
    assert clean.flag is Flag.HIGH, clean.reasons
    broken = _one(_tickets(backwards=30), metric)
    assert broken.flag is not Flag.HIGH
    said = next(r for r in broken.reasons if "plausibility.order" in r)
    assert said.startswith("30 of 200 resolved tickets fail rules on ") and "(plausibility.order 30)" in said
    fixes = [w for w in broken.worklist if w.get("rule_id") == "plausibility.order"]
    assert fixes and all(w["entity"] == "tickets" and w["records"] == 30 for w in fixes)


def test_screens_find_what_cannot_be_true_and_nothing_in_clean_data() -> None:
    n = 40
    surveys = pd.DataFrame(
        {
            "survey_id": [f"S{i}" for i in range(n)],
            "nps": [9.0] * (n - 2) + [11.0, -1.0],
            "responded_at": [pd.Timestamp("2026-10-01")] * (n - 3)
            + [pd.Timestamp("2027-01-01")] * 2
            + [pd.Timestamp("1900-01-01")],
        }
    )
    subscriptions = pd.DataFrame(
        {
            "subscription_id": [f"U{i}" for i in range(n)],
            "mrr": [100.0 + i for i in range(n - 1)] + [10_000_000.0],
            "currency": "EUR",
            "start_date": pd.Timestamp("2025-01-01"),
            "end_date": pd.Timestamp("2029-01-01"),  # a plan: may lie ahead
        }
    )
    tables = {
        "surveys": surveys.assign(**{RID: surveys["survey_id"]}),
        "subscriptions": subscriptions.assign(**{RID: subscriptions["subscription_id"]}),
    }
    reads = {"surveys": ["nps", "responded_at"], "subscriptions": ["mrr", "start_date", "end_date"]}
    found = screen(tables, reads, pd.Timestamp(AS_OF))
    got = sorted(found[["record_id", "field", "rule_id"]].itertuples(index=False, name=None))
    assert got == [
        ("S37", "responded_at", "plausibility.future"),
        ("S38", "nps", "plausibility.scale"),
        ("S38", "responded_at", "plausibility.future"),
        ("S39", "nps", "plausibility.scale"),
        ("S39", "responded_at", "plausibility.too_early"),
        ("U39", "mrr", "plausibility.outlier"),
    ]
    clean = {
        "surveys": tables["surveys"].iloc[:30],
        "subscriptions": tables["subscriptions"].iloc[:30],
    }
    assert screen(clean, reads, pd.Timestamp(AS_OF)).empty


def test_updated_follows_created_only() -> None:
    frame = pd.DataFrame(
        {
            "ticket_id": ["T1", "T2"],
            "opened_at": pd.to_datetime(["2026-01-01", "2026-01-01"]),
            "resolved_at": pd.to_datetime(["2026-01-05", "2026-01-05"]),
            "created_at": pd.to_datetime(["2026-01-01", "2026-01-01"]),
            "updated_at": pd.to_datetime(["2026-03-01", "2025-12-01"]),  # after resolution is fine
        }
    ).assign(**{RID: ["T1", "T2"]})
    found = screen({"tickets": frame}, {"tickets": ["updated_at", "resolved_at"]}, pd.Timestamp(AS_OF))
    assert found[["record_id", "field"]].values.tolist() == [["T2", "updated_at"]]


def test_an_amount_typed_a_thousand_times_too_large_is_screened_among_its_kind() -> None:
    # staff costs ~150,000 and loyalty costs ~6,000 a month: a loyalty cost typed 1,000 times too large
    # (6,000,000) is only 1.6 decades from the column's median, within 6 robust z of a column spread over
    # both, but far from every other loyalty cost; a loyalty cost of three times its usual is a big
    # month, not a typo (under 100 times its kind's median), and is not screened
    rng = np.random.default_rng(5)
    n = 30
    staff = 150_000 * rng.uniform(0.95, 1.05, n)
    loyalty = 6_000 * rng.uniform(0.95, 1.05, n)
    loyalty[0] *= 1_000
    loyalty[1] *= 3
    costs = pd.DataFrame(
        {
            "cost_id": [f"K{i}" for i in range(2 * n)],
            "category": ["staff"] * n + ["loyalty"] * n,
            "amount": np.concatenate([staff, loyalty]),
            "currency": "PLN",
        }
    )
    tables = {"costs": costs.assign(**{RID: costs["cost_id"]})}
    found = screen(tables, {"costs": ["amount"]}, pd.Timestamp(AS_OF))
    assert found[["record_id", "rule_id"]].values.tolist() == [["K30", "plausibility.outlier"]]
    # without the category, the column alone does not see it
    alone = {"costs": tables["costs"].drop(columns=["category"])}
    assert screen(alone, {"costs": ["amount"]}, pd.Timestamp(AS_OF)).empty


def test_a_date_pair_a_rule_already_judged_is_not_screened_again_on_the_other_date() -> None:
    # 30 first responses logged a day before their ticket was opened: the response-order rule reports
    # the first response, so the opening (which the resolution time reads) is not also screened
    frames = _tickets()
    tickets = frames["tickets"]
    early = tickets.index[:30]
    tickets.loc[early, "first_response_at"] = tickets.loc[early, "opened_at"] - pd.Timedelta(days=1)
    tables = {"tickets": tickets.assign(**{RID: tickets["ticket_id"]})}
    reads = {"tickets": ["opened_at", "resolved_at"]}
    unjudged = screen(tables, reads, pd.Timestamp(AS_OF))
    assert (unjudged["field"] + " " + unjudged["rule_id"]).tolist() == ["opened_at plausibility.order"] * 30
    findings = pd.DataFrame(
        {
            "entity": "tickets",
            "record_id": tickets.loc[early, "ticket_id"],
            "field": "first_response_at",
            "rule_id": "tickets.response.order",
        }
    )
    assert screen(tables, reads, pd.Timestamp(AS_OF), findings).empty
    [result] = evaluate_metrics(frames, findings, as_of=AS_OF, metrics=["time_to_resolution_hours"], breakdowns=False)
    assert result.flag is Flag.HIGH, result.reasons
    assert not any("plausibility" in r for r in result.reasons)


@given(
    st.lists(
        st.tuples(st.sampled_from(["PLN", "EUR", "", None]), st.sampled_from(["staff", "ads", "1", "", None])),
        min_size=1,
        max_size=30,
    ),
    st.booleans(),
)
def test_group_codes_partition_rows_as_their_joined_text_does(rows: list[tuple[object, object]], arrow: bool) -> None:
    dtype = "str" if arrow else object
    currency = pd.Series([r[0] for r in rows], dtype=dtype)
    category = pd.Series([r[1] for r in rows], dtype=dtype)
    frame = pd.DataFrame({"currency": currency, "category": category})
    text = currency.astype("object").fillna("") + "\x1f" + category.astype("object").fillna("").astype(str)
    codes = group_codes(frame, ["currency", "category"])
    # the same rows share a code exactly when they share the text
    assert pd.factorize(codes)[0].tolist() == pd.factorize(text)[0].tolist()
