"""Metrics as data (auditor/metrics/language.py): each definition on a small hand-built CRM against a
value worked out by hand, the same confidence machinery as the built-ins, breakdowns by any column
with min_n, config problems with key paths and lines, and a parser that only ever raises ConfigError."""

from __future__ import annotations

import contextlib
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.config import load_config, parse_config
from auditor.errors import ConfigError
from auditor.metrics import Params, evaluate_metrics, get_metric, value_of
from auditor.metrics.evaluate import prepare
from auditor.metrics.language import (
    _Runtime,
    check_expression,
    compile_metrics,
    month_labels,
    parse_condition,
    parse_selection,
    top_share,
)
from auditor.model import ExtraField, Role
from auditor.money import Money

AS_OF = "2026-10-31"
MONEY = Money(base="PLN", rates={"PLN": 1.0, "EUR": 4.3, "USD": 4.0, "GBP": 5.0})
EXTRAS = {
    "accounts": {"churned": ExtraField("churned", Role.TEXT)},
    "surveys": {"region": ExtraField("region", Role.TEXT)},
    "campaigns": {"open_rate": ExtraField("open_rate", Role.NUMBER)},
}


@pytest.fixture
def crm(tiny) -> dict[str, pd.DataFrame]:
    return extended(tiny)


def extended(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """conftest's tiny CRM, plus: a churn flag on the accounts (a snapshot without dates), a region on
    70 survey responses, an open rate (no open count) on the campaigns, and four order lines."""
    t["accounts"]["churned"] = ["no", "yes", None]
    # North: 30 promoters (10), 20 passives (8), 10 detractors (3) -> NPS 100 x (30 - 10) / 60 = 33.3
    # South: 10 promoters -> 100, but only 10 responses
    north = [10] * 30 + [8] * 20 + [3] * 10
    t["surveys"] = pd.DataFrame(
        {
            "response_id": [f"R{i}" for i in range(70)],
            "nps": np.array(north + [10] * 10, dtype="float64"),
            "region": ["North"] * 60 + ["South"] * 10,
            "responded_at": pd.Timestamp("2026-10-01"),
        }
    )
    # a campaign report with rates, not counts: 30% of 100 and 20% of 300 opened -> 90 / 400
    t["campaigns"] = t["campaigns"].drop(columns=["opened"]).assign(open_rate=[0.30, 0.20])
    t["orders"] = pd.DataFrame(
        {
            "line_id": ["OL1", "OL2", "OL3", "OL4"],
            "order_id": ["X1", "X1", "X2", "X3"],
            "quantity": [1.0, 2.0, -1.0, 3.0],
            "amount": [10.0, 20.0, -5.0, 30.0],
            "currency": ["PLN"] * 4,
        }
    )
    return t


DEFINITIONS = {
    # (sales 1000 + marketing 100 EUR = 430, both in the window) / 2 customer accounts
    "cpa": {
        "title": "Cost per acquisition",
        "ratio": ["sum(costs.amount where category in [sales, marketing])", "count(accounts where status == Customer)"],
        "window": "period",
        "unit": "{currency} per customer",
    },
    "churn_snapshot": {"share": "accounts where churned == yes"},  # 1 of 3 accounts
    "nps_by_region": {"metric": "nps", "by": "region", "min_n": 50},
    "open_rate": {"ratio": ["sum(campaigns.open_rate * campaigns.delivered)", "sum(campaigns.delivered)"]},
    "open_rate_weighted": {"mean": "campaigns.open_rate", "weight": "campaigns.delivered"},
    "avg_basket": {"mean": "orders.amount where quantity > 0"},  # (10 + 20 + 30) / 3
    "median_resolution_h": {"median": "hours(tickets.resolved_at - tickets.opened_at)"},  # 24, 12, 48
    "won_per_lead": {"ratio": "count(opportunities where stage == Closed Won) / count(leads)"},  # 3 / 4
    "deal_size_as_written": {"mean": "raw(opportunities.amount)", "filter": "stage == Closed Won"},
}
EXPECTED = {
    "cpa": 1430 / 2,
    "churn_snapshot": 1 / 3,
    "nps_by_region": 100 * (40 - 10) / 70,
    "open_rate": 90 / 400,
    "open_rate_weighted": 90 / 400,
    "avg_basket": 20.0,
    "median_resolution_h": 24.0,
    "won_per_lead": 3 / 4,
    "deal_size_as_written": (1000 + 500 + 1000) / 3,
}


@pytest.fixture(scope="module")
def defined():
    return compile_metrics(DEFINITIONS, EXTRAS)


@pytest.mark.parametrize("mid", sorted(EXPECTED))
def test_each_definition_against_its_hand_computed_value(crm, defined, mid: str) -> None:
    tables, _ = prepare(crm)
    got = value_of(defined[mid].compute(tables, Params.make(AS_OF, money=MONEY)))
    assert got == pytest.approx(EXPECTED[mid])


def test_user_metrics_get_the_whole_confidence_machinery(crm, defined) -> None:
    results = {r.id: r for r in evaluate_metrics(crm, None, as_of=AS_OF, money=MONEY, defined=defined)}
    assert set(defined) <= set(results)
    for mid, value in EXPECTED.items():
        assert results[mid].value == pytest.approx(value), mid
        assert results[mid].confidence != "NOT_EVALUATED", mid
    assert results["churn_snapshot"].interval is not None and results["churn_snapshot"].unit == "share"
    assert results["cpa"].unit == "PLN per customer"
    assert results["median_resolution_h"].unit == "hours"
    assert results["cpa"].formula.startswith("ratio: sum(costs.amount where category in [sales, marketing])")


def test_nps_by_region_leaves_out_regions_under_min_n(crm, defined) -> None:
    [r] = evaluate_metrics(crm, None, as_of=AS_OF, money=MONEY, metrics=[defined["nps_by_region"]])
    assert r.breakdowns == {"region": {"North": pytest.approx(100 * 20 / 60)}}
    assert set(r.breakdown_confidence["region"]) == {"North"}
    assert r.breakdown_confidence["region"]["North"]["n"] == 60
    assert any("1 of 2 groups under 50 records left out" in reason for reason in r.reasons)


def test_any_metric_breaks_down_by_any_column(crm, defined) -> None:
    # the built-in NPS by a column of the export the model does not have (crm-audit metrics --by region)
    [r] = evaluate_metrics(crm, None, as_of=AS_OF, metrics=["nps"], by=["surveys.region"])
    assert r.breakdowns["region"] == {"North": pytest.approx(100 * 20 / 60), "South": 100.0}
    assert r.breakdown_confidence["region"]["South"]["confidence"] == "MEDIUM"  # only 10 responses
    # a column no entity of the metric has is left alone; min_n from the settings
    from auditor.metrics import MetricsSettings

    [r] = evaluate_metrics(
        crm, None, as_of=AS_OF, metrics=["nps"], by=["region"], settings=MetricsSettings(breakdown_min_n=20)
    )
    assert list(r.breakdowns["region"]) == ["North"]
    [win] = evaluate_metrics(crm, None, as_of=AS_OF, metrics=["win_rate"], by=["surveys.region"])
    assert "region" not in win.breakdowns


def test_a_user_metric_is_judged_on_the_findings_of_its_fields(crm, defined) -> None:
    # a finding on the amount of 2 of the 3 positive order lines: coverage and sensitivity say so
    findings = pd.DataFrame(
        {
            "entity": ["orders", "orders"],
            "record_id": ["OL2", "OL4"],
            "field": ["amount", "amount"],
            "rule_id": ["orders.amount.range", "orders.amount.range"],
        }
    )
    [r] = evaluate_metrics(crm, findings, as_of=AS_OF, money=MONEY, metrics=[defined["avg_basket"]])
    assert r.value == pytest.approx(20.0)
    assert r.coverage == pytest.approx(1 / 3)  # of the lines the where selects, as a filter's
    assert r.value_excluding_failing == pytest.approx(10.0)  # OL1 alone (OL3 is outside the where)
    assert r.confidence in ("LOW", "UNRELIABLE")
    said = "2 of 3 orders where quantity > 0 fail rules on amount (orders.amount.range 2)"
    assert any(said in reason for reason in r.reasons)
    assert any("excluding them moves it from 20 to 10 PLN" in reason for reason in r.reasons)
    assert {"action": "fix", "entity": "orders", "field": "amount", "rule_id": "orders.amount.range", "records": 2} in (
        r.worklist
    )


def test_a_filter_is_the_metric_s_scope(crm, defined) -> None:
    # a finding on a Closed Lost deal is outside `filter: stage == Closed Won`: coverage stays whole
    findings = pd.DataFrame(
        {
            "entity": ["opportunities"],
            "record_id": ["O4"],
            "field": ["amount"],
            "rule_id": ["opportunities.amount.range"],
        }
    )
    m = defined["deal_size_as_written"]
    assert m.scope["opportunities"].label == "opportunities where stage == Closed Won"
    [r] = evaluate_metrics(crm, findings, as_of=AS_OF, metrics=[m])
    assert r.coverage == 1.0


def test_mean_deal_size_without_a_currency_column(crm, defined) -> None:
    t = crm
    t["opportunities"] = t["opportunities"].drop(columns=["currency"])
    results = {
        r.id: r
        for r in evaluate_metrics(
            t, None, as_of=AS_OF, metrics=["avg_deal_size", defined["deal_size_as_written"]], money=MONEY
        )
    }
    assert results["avg_deal_size"].confidence == "NOT_EVALUATED"
    assert results["deal_size_as_written"].value == pytest.approx(2500 / 3)


def test_a_column_the_export_lacks_is_not_evaluated(crm, defined) -> None:
    t = crm
    t["accounts"] = t["accounts"].drop(columns=["churned"])
    [r] = evaluate_metrics(t, None, as_of=AS_OF, metrics=[defined["churn_snapshot"]])
    assert r.confidence == "NOT_EVALUATED" and r.reasons[0] == "not evaluated: the export has no accounts.churned"


PACK_BUILT_INS = (
    "win_rate",
    "funnel",
    "lost_by_reason",
    "lost_by_competitor",
    "costs_by_category",
    "costs_per_owner",
    "activities_per_owner",
    "sales_cycle_days",
    "lead_conversion_rate",
    "avg_deal_size",
    "lead_response_hours",
    "revenue",
    "pareto_top20_share",
    "customers",
    "nps",
    "csat",
    "ces",
    "tickets_handled",
    "time_to_resolution_hours",
    "first_contact_resolution_rate",
    "campaign_open_rate",
    "campaign_ctr",
    "campaign_unsubscribe_rate",
    "revenue_per_campaign",
    "churn_rate",
    "retention_rate",
    "customer_retention_cost",
    "revenue_by_month",
    "cac",
    "new_customers",
    "clv",
    "clv_predictive",
    "clv_cac_ratio",
    "renewal_rate",
)


@pytest.mark.parametrize("mid", PACK_BUILT_INS)
def test_built_in_metrics_the_language_can_say_are_definitions_of_the_bundled_pack(mid: str) -> None:
    # their values are checked against hand-computed ones with every other built-in (test_metrics_values.py)
    m = get_metric(mid)
    assert m.compute.__module__ == "auditor.metrics.language", f"{mid} is still Python"
    assert m.description and "; filter:" not in m.description  # the formula as its author wrote it


def test_a_population_names_the_records_of_a_filter_in_the_reasons(crm) -> None:
    [m] = compile_metrics(
        {"won_size": {"mean": "raw(opportunities.amount)", "filter": "stage == Closed Won", "population": "won deals"}}
    ).values()
    assert m.scope["opportunities"].label == "won deals"
    findings = pd.DataFrame(
        {
            "entity": ["opportunities"],
            "record_id": ["O1"],
            "field": ["amount"],
            "rule_id": ["opportunities.amount.range"],
        }
    )
    [r] = evaluate_metrics(crm, findings, as_of=AS_OF, metrics=[m])
    assert any(reason.startswith("1 of 3 won deals fail rules on amount") for reason in r.reasons), r.reasons


@pytest.mark.parametrize(
    ("definition", "problem"),
    [
        ({"share": "leads where status == Converted", "population": "leads"}, "population: names the records a filter"),
        ({"count": "tickets", "population": "tickets"}, "population: names the records a filter"),
        ({"count": "tickets where priority == High", "population": ""}, "population: expected the name"),
        ({"count": "tickets where priority == High", "population": 3}, "population: expected the name"),
    ],
)
def test_a_population_needs_a_filter_or_a_where_and_a_name(definition: dict, problem: str) -> None:
    with pytest.raises(ConfigError, match=f"metrics.define.m.{problem}"):
        compile_metrics({"m": definition})


def test_a_description_is_the_formula_as_written_and_the_default_one_says_the_filter() -> None:
    body = {"mean": "raw(opportunities.amount)", "filter": "stage == Closed Won", "window": "close_date"}
    [written] = compile_metrics({"m": {**body, "description": "Mean won amount."}}).values()
    [default] = compile_metrics({"m": body}).values()
    assert written.formula == "Mean won amount."
    assert default.formula == "mean: raw(opportunities.amount); filter: stage == Closed Won; window: close_date"


# --- config problems ----------------------------------------------------------------------------

CONFIG = """\
as_of: 2026-10-31
extra_fields:
  accounts:
    churned: {role: text}
metrics:
  coverage: {high: 0.9}
  define:
    cpa:
      ratio:
        - sum(cost.amount where category in [sales, marketing])
        - count(accounts where status == Customer)
    churn: {share: accounts where churnd == yes}
    nps: {nps: surveys.nps}
    by_region: {metric: npss, by: region}
    basket: {mean: orders.amount where quantity => 0}
    slow: {median: avg(tickets.opened_at)}
    subject: {mean: tickets.subject}
    typo: {share: accounts where churned == yes, bye: owner}
    two: {share: accounts where churned == yes, count: accounts}
    cut: {metric: win_rate, by: regio}
    date: {count: opportunities where close_date > soon}
"""


def test_every_problem_names_the_metric_the_key_the_line_and_the_closest_name(tmp_path: Path) -> None:
    path = tmp_path / "crm-audit.yaml"
    path.write_text(CONFIG)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    for expected in (
        "line 9: metrics.define.cpa.ratio: unknown entity 'cost' (did you mean 'costs'?)",
        "line 12: metrics.define.churn.share: unknown column 'churnd' of accounts (did you mean 'churned'?)",
        "line 13: metrics.define.nps: 'nps' is a built-in metric",
        "line 14: metrics.define.by_region.metric: unknown metric 'npss' (did you mean 'nps'?)",
        "line 15: metrics.define.basket.mean: '=>' is not an operator (did you mean '>='?)",
        "line 16: metrics.define.slow.median: unknown function 'avg' (did you mean 'mean'?)",
        "line 17: metrics.define.subject.mean: mean() takes numbers; tickets.subject is text",
        "line 18: metrics.define.typo.bye: unknown key (did you mean 'by'?)",
        "line 19: metrics.define.two: a definition has exactly one of",
        "line 20: metrics.define.cut.by: unknown column 'regio' of opportunities",
        "line 21: metrics.define.date.count: 'soon' is not a date",
    ):
        assert expected in text, expected
    assert len(caught.value.problems) == 11


def test_definitions_and_packs_in_the_config(tmp_path: Path) -> None:
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "retail.yaml").write_text(
        "metrics:\n  basket: {mean: orders.amount where quantity > 0}\n  baskets: {count: orders}\n"
    )
    data = {
        "metrics": {
            "packs": ["metrics/retail.yaml"],
            "define": {"basket_by_country": {"metric": "basket", "by": "country", "min_n": 5}},
        }
    }
    config = parse_config(data, tmp_path / "crm-audit.yaml")
    assert list(config.defined_metrics) == ["basket", "baskets", "basket_by_country"]
    assert config.defined_metrics["basket"].family == "retail"
    assert config.defined_metrics["basket_by_country"].breakdowns == {"country": "country"}
    assert config.defined_metrics["basket_by_country"].min_n == 5
    # a problem in a pack names the pack and its line; an id taken by a pack is a problem
    (tmp_path / "metrics" / "retail.yaml").write_text("metrics:\n  basket: {mean: order.amount}\n")
    with pytest.raises(ConfigError, match=r"retail.yaml:2: metrics.basket.mean: unknown entity 'order'"):
        parse_config(data, tmp_path / "crm-audit.yaml")
    (tmp_path / "metrics" / "retail.yaml").write_text("metrics:\n  basket: {count: orders}\n")
    clash = {"metrics": {"packs": ["metrics/retail.yaml"], "define": {"basket": {"count": "orders"}}}}
    with pytest.raises(ConfigError, match="'basket' is already defined"):
        parse_config(clash, tmp_path / "crm-audit.yaml")
    with pytest.raises(ConfigError, match=r"metrics.packs\[0\]: metric pack not found"):
        parse_config({"metrics": {"packs": ["nope.yaml"]}}, tmp_path / "crm-audit.yaml")


def test_defined_metrics_run_in_the_metrics_stage(acme_audit, tmp_path: Path) -> None:
    from auditor.pipeline import compute_metrics

    text = (Path(__file__).resolve().parents[2] / "fixtures" / "acme" / "crm-audit.yaml").read_text()
    data = yaml.safe_load(text)
    data["metrics"] = {
        "define": {"won_in_window": {"count": "opportunities where stage == Closed Won and close_date in window"}}
    }
    config = parse_config(data, tmp_path / "crm-audit.yaml")
    results = compute_metrics(acme_audit, config, metric_ids=["won_in_window", "win_rate"], breakdowns=False)
    assert [r.id for r in results] == ["won_in_window", "win_rate"]
    frame = acme_audit.data["opportunities"].frame
    won = (frame["stage"] == "Closed Won") & (frame["close_date"] > "2025-10-31") & (frame["close_date"] < "2026-11-01")
    assert results[0].value == int(won.sum())


# --- the parser's contract ------------------------------------------------------------------------

WORDS = [
    "sum", "count", "mean", "median", "hours", "days", "raw", "avg", "where", "and", "or", "not", "in",
    "is", "missing", "window", "accounts", "opportunities.amount", "costs.amount", "stage", "status",
    "Closed", "Won", "(", ")", "[", "]", ",", ".", "/", "*", "+", "-", "==", "!=", ">=", "<", "=", "=>",
    "1", "2.5", "'x'", '"y', "->", "@", "é", "",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=14).map(" ".join))
def test_random_expressions_only_ever_raise_config_errors(source: str) -> None:
    check_expression(source)  # swallows ConfigError, so anything else fails the test
    for key in ("ratio", "share", "mean", "count", "filter"):
        definition = {"sum": "costs.amount", "filter": source} if key == "filter" else {key: source}
        with contextlib.suppress(ConfigError):
            compile_metrics({"m": definition})


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=30))
def test_any_text_only_ever_raises_config_errors(source: str) -> None:
    with contextlib.suppress(ConfigError):
        compile_metrics({"m": {"mean": source}, "n": {"ratio": [source, source]}})


def test_the_metrics_stage_breaks_down_by_any_column(acme_audit, capsys) -> None:
    # `crm-audit metrics PATH --by opportunities.type` is this stage with by=[...] after the audit
    from auditor.cli import main
    from auditor.pipeline import compute_metrics, resolve_config

    acme = Path(__file__).resolve().parents[2] / "fixtures" / "acme"
    [win] = compute_metrics(acme_audit, resolve_config(acme, None), metric_ids=["win_rate"], by=["opportunities.type"])
    assert set(win.breakdowns) == {"owner", "segment", "source", "month", "type"}
    assert set(win.breakdown_confidence["type"]) == set(win.breakdowns["type"]) and len(win.breakdowns["type"]) > 1
    assert main(["metrics", "--help"]) == 0 and "--by" in capsys.readouterr().out


def test_a_count_says_what_it_counts() -> None:
    counts = compile_metrics(
        {
            "won_deals": {"count": "opportunities where stage == Closed Won"},
            "won_customers": {"count": "distinct opportunities.account_id where stage == Closed Won"},
            "owners": {"count": "distinct opportunities.owner"},
        }
    )
    # a distinct count of a key counts the records it refers to, not the rows it reads
    assert {mid: m.unit for mid, m in counts.items()} == {
        "won_deals": "opportunities",
        "won_customers": "accounts",
        "owners": "distinct owner values",
    }


def test_a_difference_of_two_dates_is_a_span_the_fill_carries_as_a_duration() -> None:
    defined = compile_metrics(
        {
            "cycle": {"median": "days(opportunities.close_date - opportunities.created_at)"},
            "cycle_in_days": {"mean": "days(opportunities.close_date - date(opportunities.created_at))"},
            "resolution": {"mean": "hours(tickets.resolved_at - tickets.opened_at)", "filter": "status == Closed"},
            "deal_size": {"mean": "opportunities.amount"},
            "net": {"sum": "opportunities.amount - opportunities.amount"},
        }
    )
    # end - start gives (start, end); amounts subtracted are not dates
    assert {mid: m.spans for mid, m in defined.items()} == {
        "cycle": (("created_at", "close_date"),),
        "cycle_in_days": (("created_at", "close_date"),),
        "resolution": (("opened_at", "resolved_at"),),
        "deal_size": (),
        "net": (),
    }
    # the built-in durations declare theirs as the language would say them
    assert get_metric("sales_cycle_days").spans == (("created_at", "close_date"),)
    assert get_metric("time_to_resolution_hours").spans == (("opened_at", "resolved_at"),)


def test_the_day_of_a_timestamp(crm) -> None:
    t = crm
    n = len(t["opportunities"])
    # created at 23:00 and closed the next day: one day to the day, an hour by the clock
    t["opportunities"] = t["opportunities"].assign(
        created_at=pd.Timestamp("2026-01-01 23:00"), close_date=pd.Timestamp("2026-01-02")
    )
    defined = compile_metrics(
        {
            "to_the_day": {"mean": "days(opportunities.close_date - date(opportunities.created_at))"},
            "by_the_clock": {"mean": "days(opportunities.close_date - opportunities.created_at)"},
        }
    )
    results = {r.id: r for r in evaluate_metrics(t, None, as_of=AS_OF, metrics=list(defined.values()))}
    assert results["to_the_day"].value == pytest.approx(1.0) and results["to_the_day"].n == n
    assert results["by_the_clock"].value == pytest.approx(1 / 24)


def test_date_takes_one_date_column() -> None:
    for body in ("days(opportunities.close_date - date(opportunities.amount))", "date(opportunities.close_date)"):
        with pytest.raises(ConfigError, match=r"date\(\) takes one date column|takes numbers"):
            compile_metrics({"m": {"mean": body}})


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["Closed Won", "Closed Lost", "closed won", "", "Prospecting", None]), max_size=30),
    st.sampled_from(
        [
            "stage == Closed Won",
            "stage != Closed Won",
            "stage in [Closed Won, Closed Lost]",
            "stage not in [Closed Won, '']",
            "not stage == Prospecting",
        ]
    ),
)
def test_text_conditions_on_arrow_text_as_on_python_objects_oracle(stages: list, source: str) -> None:
    # the loader's Arrow text is compared as it is; Python objects are the reading it must agree with
    condition = parse_condition(source)
    params = Params.make(AS_OF, money=MONEY)
    arrow = pd.DataFrame({"stage": pd.Series(stages, dtype=pd.StringDtype("pyarrow", na_value=np.nan))})
    objects = pd.DataFrame({"stage": pd.Series(stages, dtype="object")})
    on_arrow = _Runtime("opportunities", arrow, params).condition(condition)
    on_objects = _Runtime("opportunities", objects, params).condition(condition)
    assert on_arrow.dtype == bool and on_arrow.tolist() == on_objects.tolist()


def test_a_count_or_a_sum_per_a_column_is_a_distribution(crm) -> None:
    defined = compile_metrics(
        {
            # costs of the window per category, in PLN
            "spend": {"sum": "costs.amount", "per": "category", "window": "period"},
            # every stage listed, in this order, 0 included; a stage not listed is left out
            "pipeline": {"count": "opportunities", "per": "stage", "groups": ["Prospecting", "Closed Won"]},
            "won_by_owner": {"count": "opportunities where stage == Closed Won", "per": "owner"},
        }
    )
    assert {m.id: (m.kind, m.unit) for m in defined.values()} == {
        "spend": ("distribution", "{currency}"),
        "pipeline": ("distribution", "opportunities"),
        "won_by_owner": ("distribution", "opportunities"),
    }
    results = {
        r.id: r.value for r in evaluate_metrics(crm, None, as_of=AS_OF, metrics=list(defined.values()), money=MONEY)
    }
    opp = crm["opportunities"]
    assert results["pipeline"] == {"Prospecting": int((opp["stage"] == "Prospecting").sum()), "Closed Won": 3}
    won = opp.loc[opp["stage"] == "Closed Won", "owner"].value_counts()
    assert results["won_by_owner"] == {str(k): int(v) for k, v in won.sort_index().items()}
    # K3 (marketing, 2025-10-01) is before the window; 100 GBP = 500 PLN
    assert results["spend"] == {
        "loyalty": 500.0,
        "marketing": 430.0,
        "retention": 300.0,
        "sales": 1000.0,
        "staff": 2000.0,
    }


@pytest.mark.parametrize(
    ("definition", "problem"),
    [
        (
            {"nps": "surveys.nps", "per": "response_id"},
            "per: only a top_share, a count, a sum, a mean or a median takes 'per'",
        ),
        (
            {"mean": "opportunities.amount", "per": "month(close_date)"},
            "per: a mean of the totals per group takes a column, not months",
        ),
        (
            {"mean": "campaigns.opened", "weight": "campaigns.delivered", "per": "channel"},
            "per: a mean of the totals per channel is not weighted",
        ),
        ({"count": "opportunities", "per": "stage", "top": 0.2}, "top: only a top_share takes 'top'"),
        ({"count": "opportunities", "groups": ["Closed Won"]}, "groups: only a count or a sum per a column"),
        ({"count": "opportunities", "per": "stage", "groups": "Closed Won"}, "groups: expected a list"),
        ({"count": "distinct opportunities.account_id", "per": "stage"}, "per: a count of distinct values"),
        ({"count": "opportunities", "per": "stag"}, "per: unknown column 'stag' of opportunities"),
        ({"count": "opportunities", "per": "month(amount)"}, "per: month.. takes a date column of opportunities"),
        (
            {"count": "opportunities", "per": "month(closed)"},
            "per: month.. takes a date .* 'closed' is not one of its columns .did you mean",
        ),
        ({"top_share": "opportunities.amount", "per": "month(close_date)"}, "per: a top_share ranks the groups"),
        (
            {"sum": "opportunities.amount", "window": "first(close_date)"},
            "window: first.close_date. keeps the distinct",
        ),
        ({"count": "distinct opportunities.account_id", "window": "first(closed)"}, "window: no entity .* 'closed'"),
        ({"count": "distinct opportunities.account_id", "window": []}, "window: expected a date column"),
        ({"count": "opportunities", "window": ["close_date", "period"]}, "window: no entity .* 'period'"),
    ],
)
def test_per_and_groups_problems(definition: dict, problem: str) -> None:
    with pytest.raises(ConfigError, match=f"metrics.define.m.{problem}"):
        compile_metrics({"m": definition})


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.sampled_from(["A1", "A2", "B7", "ż", "A10"])),
            st.sampled_from([None, 1.0, 2.5, 1e6, 1 / 3]),
        ),
        max_size=40,
    )
)
def test_a_pareto_share_of_arrow_text_groups_as_of_python_objects_oracle(rows: list) -> None:
    # grouped by the Arrow array itself (a million account ids were copied out as Python strings): the same shares
    ids = [i for i, _ in rows]
    values = pd.Series([np.nan if v is None else v for _, v in rows], dtype="float64")
    arrow = top_share(values, pd.Series(ids, dtype=pd.StringDtype("pyarrow", na_value=np.nan)), 0.2)
    objects = top_share(values, pd.Series(ids, dtype="object"), 0.2)
    assert (arrow.value, arrow.n) == (objects.value, objects.n)


ACTIVE_AT_START = (
    "start_date <= window start and not cancelled_at <= window start"
    " and not (status == Expired and end_date <= window start)"
)


def test_a_condition_compares_a_date_with_the_window_s_start_or_end(crm) -> None:
    # conftest's subscriptions: SUB1 started 2025-01-01, SUB2 2025-03-01 and cancelled 2026-02-01, SUB3 started
    # 2026-01-01, SUB4 2024-01-01 and expired 2025-06-30; they end 2026-12-31, 2026-02-28, 2026-12-31, 2025-06-30
    defined = compile_metrics(
        {
            "churn": {"share": "subscriptions where cancelled_at in window", "filter": ACTIVE_AT_START},
            "ending_later": {"count": "subscriptions where end_date > window end"},
        }
    )
    tables, _ = prepare(crm)

    def value(mid: str, period: str | None) -> float:
        return value_of(defined[mid].compute(tables, Params.make(AS_OF, period, MONEY)))

    # the 12 months to 2026-10-31: SUB1 and SUB2 active at the start, SUB2 cancelled inside
    assert value("churn", None) == 0.5
    # 2026-Q2 starts after SUB2's cancellation and SUB3's start: SUB1 and SUB3, neither cancelled
    assert value("churn", "2026-Q2") == 0.0
    assert value("ending_later", None) == 2  # SUB1, SUB3
    assert value("ending_later", "2025") == 3  # and SUB2


def test_a_scope_on_the_window_s_start_is_read_in_the_run_s_window(crm) -> None:
    [m] = compile_metrics(
        {
            "churn": {
                "share": "subscriptions where cancelled_at in window",
                "filter": ACTIVE_AT_START,
                "population": "subscriptions active at the start",
            }
        }
    ).values()
    findings = pd.DataFrame(
        {
            "entity": ["subscriptions"],
            "record_id": ["SUB1"],
            "field": ["cancelled_at"],
            "rule_id": ["subscriptions.cancelled_at.order"],
        }
    )
    for period, active in ((None, 2), ("2026-Q2", 2), ("2026-Q1", 2), ("2027", 2)):
        [r] = evaluate_metrics(crm, findings, as_of=AS_OF, period=period, metrics=[m], breakdowns=False)
        said = f"1 of {active} subscriptions active at the start fail rules on cancelled_at"
        assert any(reason.startswith(said) for reason in r.reasons), (period, r.reasons)
    [r] = evaluate_metrics(crm, findings, as_of=AS_OF, period="2024-Q1", metrics=[m], breakdowns=False)
    # before SUB1 started, none is active at the start: SUB1 is in doubt only through its questioned field
    assert not any(reason.startswith("1 of 2 ") for reason in r.reasons), r.reasons


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ("status <= window start", "'window start' is a date: compare a date column with it, not a text"),
        ("mrr > window end", "'window end' is a date: compare a date column with it, not a number"),
    ],
)
def test_the_window_s_edges_compare_with_dates_only(condition: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        compile_metrics({"m": {"count": f"subscriptions where {condition}"}})


def test_a_count_or_a_sum_per_month_of_a_date(crm) -> None:
    defined = compile_metrics(
        {
            # won deals in the window: O1 1,000 PLN on 2026-03-01, O3 1,000 USD (4,000 PLN) on 2026-10-01; O2 closed
            # 2025-06-01, before it. Every month of the window is shown, 0 included
            "won_per_month": {
                "sum": "opportunities.amount where stage == Closed Won",
                "per": "month(close_date)",
                "window": "close_date",
            },
            # without a window: the months the deals have, oldest first (O5 has no close date)
            "deals_per_month": {"count": "opportunities", "per": "Month( close_date )"},
        }
    )
    results = {
        r.id: r.value for r in evaluate_metrics(crm, None, as_of=AS_OF, metrics=list(defined.values()), money=MONEY)
    }
    months = [f"2025-{m}" for m in ("11", "12")] + [f"2026-{m:02d}" for m in range(1, 11)]
    assert results["won_per_month"] == {m: {"2026-03": 1000.0, "2026-10": 4000.0}.get(m, 0.0) for m in months}
    assert results["deals_per_month"] == {"2025-06": 1, "2026-03": 1, "2026-04": 1, "2026-05": 1, "2026-10": 1}
    [quarter] = evaluate_metrics(
        crm, None, as_of=AS_OF, period="2026-Q1", metrics=[defined["won_per_month"]], money=MONEY
    )
    assert quarter.value == {"2026-01": 0.0, "2026-02": 0.0, "2026-03": 1000.0}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31))),
        max_size=20,
    )
)
def test_month_labels_read_as_pandas_periods_oracle(stamps: list) -> None:
    # the straightforward reading: each date's Period of a month as text, missing left missing
    series = pd.Series(pd.to_datetime(stamps), dtype="datetime64[ns]")
    expected = [None if pd.isna(d) else str(pd.Timestamp(d).to_period("M")) for d in series]
    assert month_labels(series).tolist() == expected


def test_a_distinct_count_in_the_window_of_each_value_s_first_date(crm) -> None:
    # won deals: A1 on 2025-06-01 (O2) and 2026-03-01 (O1), A2 on 2026-10-01 (O3)
    defined = compile_metrics(
        {
            "new": {
                "count": "distinct opportunities.account_id where stage == Closed Won",
                "window": "first(close_date)",
            },
            "with_a_win": {
                "count": "distinct opportunities.account_id where stage == Closed Won",
                "window": "close_date",
            },
            # sales and marketing costs of the window: K1 1,000 PLN and K2 100 EUR (430 PLN); K3 is before it
            "cost_per_new": {
                "ratio": [
                    "sum(costs.amount where category in [sales, marketing])",
                    "count(distinct opportunities.account_id where stage == Closed Won)",
                ],
                "window": ["period", "first(close_date)"],
            },
        }
    )

    def values(period: str | None) -> dict[str, Any]:
        results = evaluate_metrics(
            crm, None, as_of=AS_OF, period=period, metrics=list(defined.values()), money=MONEY, breakdowns=False
        )
        return {r.id: r.value for r in results}

    # the 12 months to 2026-10-31: A2 is new; A1 won there too, but won first before
    assert values(None) == {"new": 1, "with_a_win": 2, "cost_per_new": 1430.0}
    # 2025: A1's first win; no sales or marketing cost then but K3 (999 PLN, 2025-10-01)
    assert values("2025") == {"new": 1, "with_a_win": 1, "cost_per_new": 999.0}
    assert defined["new"].inputs == {"opportunities": ("account_id", "stage", "close_date")}


def test_a_date_moved_by_a_length_of_time(crm) -> None:
    # conftest's subscriptions end 2026-12-31 (SUB1, SUB3), 2026-02-28 (SUB2), 2025-06-30 (SUB4) and started
    # 2025-01-01, 2025-03-01, 2026-01-01, 2024-01-01; the window is the 12 months to 2026-10-31
    defined = compile_metrics(
        {
            # a year before the end: 2025-12-31 (SUB1, SUB3) is in the window, 2025-02-28 and 2024-06-30 are not
            "term_started": {"count": "subscriptions where end_date - 1 year in window"},
            # 18 months after the start: 2026-07-01, 2026-09-01, 2027-07-01, 2025-07-01
            "matured": {"count": "subscriptions where start_date + 18 months <= window end"},
            # the days from the start to 30 days before the end: 729 - 30, 364 - 30, 364 - 30, 546 - 30
            "notice_days": {"mean": "days(subscriptions.end_date - 30 days - subscriptions.start_date)"},
            "a_week_later": {"count": "subscriptions where 1 week + start_date > '2026-01-07'"},
        }
    )
    tables, _ = prepare(crm)
    params = Params.make(AS_OF, money=MONEY)
    values = {mid: value_of(m.compute(tables, params)) for mid, m in defined.items()}
    assert values == {
        "term_started": 2,
        "matured": 3,
        "notice_days": pytest.approx((699 + 334 + 334 + 516) / 4),
        "a_week_later": 1,  # SUB3: 2026-01-08
    }


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2200, 12, 31))),
        max_size=20,
    ),
    st.integers(min_value=-30, max_value=30),
    st.sampled_from(["days", "weeks", "months", "years", "hours"]),
)
def test_a_moved_date_reads_as_pandas_offsets_value_by_value_oracle(stamps: list, amount: int, unit: str) -> None:
    # the straightforward reading: each date moved on its own by a calendar offset (a year before 2024-02-29 is
    # 2023-02-28), missing left missing
    series = pd.Series(pd.to_datetime(stamps), dtype="datetime64[ns]")
    rt = _Runtime("subscriptions", pd.DataFrame({"end_date": series}), Params.make(AS_OF))
    written = f"- {amount}" if amount >= 0 else f"+ {-amount}"
    moved = rt.value(parse_selection(f"subscriptions.end_date {written} {unit}", entity_only=False).value)
    expected = [None if pd.isna(d) else pd.Timestamp(d) - pd.DateOffset(**{unit: amount}) for d in series]
    assert [None if pd.isna(d) else pd.Timestamp(d) for d in moved] == expected


@pytest.mark.parametrize(
    ("definition", "problem"),
    [
        ({"count": "subscriptions where end_date - 1.5 years in window"}, "count: 1.5 years: months and years are"),
        ({"sum": "subscriptions.mrr + 1 day"}, "sum: a length of time .1 year, 30 days. moves a date"),
        ({"count": "subscriptions where 2 days in window"}, "count: a length of time"),
        ({"count": "subscriptions where 1 year - end_date in window"}, "count: a length of time"),
        ({"count": "subscriptions where mrr in window"}, "count: 'mrr in window' takes a date, not a number"),
    ],
)
def test_a_length_of_time_only_moves_a_date(definition: dict, problem: str) -> None:
    with pytest.raises(ConfigError, match=f"metrics.define.m.{problem}"):
        compile_metrics({"m": definition})


def test_a_filter_on_the_window_is_a_scope_read_in_the_run_s_window(crm) -> None:
    # the terms that ended in the window: SUB2 (Cancelled, ending 2026-02-28) in the 12 months to 2026-10-31,
    # SUB4 (Expired, 2025-06-30) in 2025; a finding on each
    [m] = compile_metrics(
        {
            "lapsed": {
                "share": "subscriptions where renewed == false",
                "filter": "end_date in window",
                "population": "terms that ended",
            }
        }
    ).values()
    findings = pd.DataFrame(
        {
            "entity": ["subscriptions"] * 2,
            "record_id": ["SUB2", "SUB4"],
            "field": ["renewed"] * 2,
            "rule_id": ["subscriptions.type"] * 2,
        }
    )
    for period in (None, "2025"):
        [r] = evaluate_metrics(crm, findings, as_of=AS_OF, period=period, metrics=[m], breakdowns=False)
        assert r.value == 1.0
        assert any(reason.startswith("1 of 1 terms that ended fail") for reason in r.reasons), (period, r.reasons)


def test_a_mean_or_median_of_each_group_s_total(crm) -> None:
    # costs per category in PLN: sales 1,000, marketing 100 EUR (430) + 999, retention 300, loyalty 100 GBP (500)
    defined = compile_metrics(
        {
            "mean_per_category": {"mean": "costs.amount where category != staff", "per": "category"},
            "median_per_category": {"median": "costs.amount where category != staff", "per": "category"},
            # won deals per account: A1 1,000 PLN + 500 EUR (2,150), A2 1,000 USD (4,000)
            "value_per_customer": {"mean": "opportunities.amount where stage == Closed Won", "per": "account_id"},
        }
    )
    tables, _ = prepare(crm)
    params = Params.make(AS_OF, money=MONEY)
    results = {mid: m.compute(tables, params) for mid, m in defined.items()}
    assert results["mean_per_category"].value == pytest.approx((1000 + 1429 + 300 + 500) / 4)
    assert results["median_per_category"].value == pytest.approx((500 + 1000) / 2)
    assert (results["value_per_customer"].value, results["value_per_customer"].n) == (3575.0, 2)
    assert sorted(results["value_per_customer"].sample) == [3150.0, 4000.0]  # the bootstrap resamples accounts
    # an account whose won deal has no amount is still an account with a win: its total is 0
    crm["opportunities"].loc[crm["opportunities"]["opportunity_id"] == "O3", "amount"] = np.nan
    tables, _ = prepare(crm)
    assert value_of(defined["value_per_customer"].compute(tables, params)) == 3150.0 / 2


ACTIVE_AT_END = ACTIVE_AT_START.replace("window start", "window end")


def _tables_and_params(crm: dict[str, pd.DataFrame]) -> tuple[Any, Params]:
    return prepare(crm)[0], Params.make(AS_OF, money=MONEY)


def test_a_metric_derived_from_other_metrics_and_measures(crm) -> None:
    defined = compile_metrics(
        {
            # README's sixth worked example: the mean won revenue per customer account (3,575, above) / cac 1,430
            # (sales and marketing costs of the window for one new customer, A2)
            "ltv_to_cac": {"derived": "value_per_customer / cac", "title": "LTV : CAC"},
            "value_per_customer": {"mean": "opportunities.amount where stage == Closed Won", "per": "account_id"},
            # 12 x the mean MRR of SUB1 (100) and SUB3 (50), active at the window end, / a churn of 0.5
            "clv_forward": {"derived": f"12 * mean(subscriptions.mrr where {ACTIVE_AT_END}) / churn_rate"},
            # revenue of the window (O1 1,000 PLN, O3 4,000) less its costs (K1, K2, K4, K5, K6: 1,000 + 430 + 300 +
            # 500 + 2,000)
            "margin": {"derived": "revenue - sum(costs.amount)", "window": "period", "unit": "{currency}"},
            "no_costs": {"derived": "revenue / (sum(costs.amount where category == travel) - 0)", "window": "period"},
            # defined before the metric it reads
            "double_margin": {"derived": "2 * margin"},
        }
    )
    assert list(defined) == ["ltv_to_cac", "value_per_customer", "clv_forward", "margin", "no_costs", "double_margin"]
    results = {r.id: r for r in evaluate_metrics(crm, None, as_of=AS_OF, metrics=list(defined.values()), money=MONEY)}
    assert results["ltv_to_cac"].value == pytest.approx(3575 / 1430)
    assert results["ltv_to_cac"].n == 2  # its first operand's: the customer accounts
    assert results["ltv_to_cac"].value == value_of(get_metric("clv_cac_ratio").compute(*_tables_and_params(crm)))
    assert results["clv_forward"].value == pytest.approx(1800.0)
    assert results["margin"].value == pytest.approx(5000 - 4230) and results["margin"].unit == "PLN"
    assert results["no_costs"].value is None  # a division by 0 has no value
    assert results["double_margin"].value == pytest.approx(2 * 770)
    # intervals: CAC (a ratio of two tables' totals) has none, so LTV:CAC carries the value per customer's
    # bootstrap alone, propagated on the log scale; a difference of totals has none
    lo, hi = results["value_per_customer"].interval
    se = (hi - lo) / 2 / 1.959964
    half = 1.959964 * (math.log(3575 + se) - math.log(3575 - se)) / 2
    expected = (3575 / 1430 * math.exp(-half), 3575 / 1430 * math.exp(half))
    assert results["ltv_to_cac"].interval == pytest.approx(expected)
    assert results["margin"].interval is None
    assert results["clv_forward"].interval[0] < 1800 < results["clv_forward"].interval[1]
    assert defined["margin"].kind == "sum" and defined["ltv_to_cac"].kind == "ratio"
    assert defined["double_margin"].kind == "ratio"  # a number times a sum is not a sum of records
    assert defined["ltv_to_cac"].inputs == {
        "opportunities": ("amount", "stage", "currency", "account_id", "close_date"),
        "costs": ("amount", "category", "currency", "period"),
    }
    for r in results.values():
        assert r.confidence != "NOT_EVALUATED", (r.id, r.reasons)
    # without costs, a metric derived from CAC cannot be evaluated, and says why
    del crm["costs"]
    [r] = evaluate_metrics(crm, None, as_of=AS_OF, metrics=[defined["ltv_to_cac"]], money=MONEY)
    assert r.confidence == "NOT_EVALUATED" and "costs" in r.reasons[0]


@pytest.mark.parametrize(
    ("definitions", "problem"),
    [
        ({"m": {"derived": "clv / cak"}}, "m.derived: unknown metric 'cak' .did you mean 'cac'"),
        ({"m": {"derived": "funnel / 2"}}, "m.derived: funnel is a distribution"),
        ({"m": {"derived": "n / 2"}, "n": {"derived": "m * 2"}}, "m.derived: a cycle of metric references"),
        ({"m": {"derived": "clv / cac", "filter": "stage == Closed Won"}}, "m.filter: unknown key"),
        ({"m": {"derived": "clv / / cac"}}, "m.derived: expected a metric id"),
        ({"m": {"derived": "mean(subscriptions.mrrr) / churn_rate"}}, "m.derived: unknown column 'mrrr'"),
        ({"m": {"derived": "clv / count(accounts)", "window": "closed"}}, "m.window: no entity .* 'closed'"),
    ],
)
def test_derived_problems(definitions: dict, problem: str) -> None:
    with pytest.raises(ConfigError, match=f"metrics.define.{problem}"):
        compile_metrics(definitions)


def test_a_scope_on_the_window_is_read_only_in_a_run_s_window(crm) -> None:
    # unbound, churn's subscriptions active at the window start would be those of some stand-in window
    churn = get_metric("churn_rate")
    subscriptions = prepare(crm)[0]["subscriptions"]
    with pytest.raises(RuntimeError, match=r"depends on the run's window: bind it with Metric\.in_period"):
        churn.scope["subscriptions"].mask(subscriptions)
    # active at 2025-10-31: SUB1 and SUB2 (SUB3 starts later, SUB4 expired)
    bound = churn.in_period(Params.make(AS_OF, money=MONEY)).scope["subscriptions"]
    assert bound.mask(subscriptions).tolist() == [True, True, False, False]
