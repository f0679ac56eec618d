"""The real exports of ../shared/datasets, audited with the config a new user writes (the files and a
column mapping, nothing else: examples/real-data/): every defect each SOURCE.md counts is found, with
its exact count, and nothing is reported that SOURCE.md says is not a defect. docs/real-data.md gives
the commands and the results. Skipped when ../shared/datasets is absent (a fresh clone without it)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from auditor import check
from auditor.config import load_config

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"

CONFIGS = Path(__file__).resolve().parents[1] / "examples" / "real-data"


def audited(name: str):
    folder = DATASETS / name
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    return check(folder, load_config(CONFIGS / f"{name}.yaml"))


def defined_metrics(name: str, config_file: str, ids: list[str] | None = None) -> list:
    """The metrics a user defined in `config_file` (examples/real-data) on the data set `name`: every one
    the config defines, or `ids`."""
    from auditor.pipeline import metrics

    folder = DATASETS / name
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    config = load_config(CONFIGS / config_file)
    return metrics(folder, config, metric_ids=ids or list(config.defined_metrics))[1]


def counts(result, rule_id: str) -> pd.Series:
    """Findings of one rule per field."""
    found = result.findings[result.findings["rule_id"] == rule_id]
    return found.groupby("field").size()


def values(result, rule_id: str, field: str) -> pd.Series:
    found = result.findings
    return found.loc[(found["rule_id"] == rule_id) & (found["field"] == field), "value"]


def frame_rows(result, entity: str, found: pd.DataFrame) -> pd.Index:
    """The loaded table's index of each finding (findings name the file row)."""
    table = result.data[entity]
    position = pd.Series(table.row_numbers.index, index=table.row_numbers.to_numpy())
    return pd.Index(position.loc[found["row"].to_numpy()].to_numpy())


def no_absent_column_findings(result) -> None:
    """Nothing is reported on a field the export does not have, and no rule crashed."""
    assert not result.structural
    assert all(o.status != "error" for o in result.outcomes), [o.reason for o in result.outcomes if o.status == "error"]
    for table in result.tables:
        absent = set(table.get("absent_fields") or ())
        found = result.findings[result.findings["entity"] == table["entity"]]
        assert not (set(found["field"]) & absent)


@pytest.fixture(scope="module")
def salesforce():
    return audited("salesforce_coral_cloud")


@pytest.fixture(scope="module")
def itsm():
    return audited("itsm_incident_event_log")


@pytest.fixture(scope="module")
def itsm_incidents():
    """The log read as incidents (its latest event per incident number) with the support metrics' config,
    checked once: the config is `itsm_incidents.yaml` plus extra_fields and the metrics (asserted below)."""
    folder = DATASETS / "itsm_incident_event_log"
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    config = load_config(CONFIGS / "itsm_incidents_metrics.yaml")
    return config, check(folder, config)


@pytest.fixture(scope="module")
def hillstrom():
    return audited("hillstrom_email_campaign")


@pytest.fixture(scope="module")
def retail():
    return audited("online_retail_ii_2009_2010")


def test_salesforce_defects(salesforce) -> None:
    no_absent_column_findings(salesforce)
    # 49 External_Id__c values used twice and one three times: 101 contacts
    assert counts(salesforce, "contacts.identifier").to_dict() == {"External_Id__c": 101}
    # 26 birth dates in the future (the latest 2044-03-24)
    future = values(salesforce, "contacts.created_at.not_future", "birth_date")
    assert len(future) == 26 and max(future) == "2044-03-24"
    # the 116 US mobile numbers with an impossible area code (0 or 1) are all among the invalid numbers
    invalid = values(salesforce, "contacts.phone.format", "mobile")
    assert invalid.str.match(r"^[01]").sum() == 116
    # one hand-added contact (robert.wilson2@example.com) lacks what every other contact has
    sparse = salesforce.findings[salesforce.findings["rule_id"] == "contacts.usually_filled"]
    assert sparse["record_id"].nunique() == 1
    assert {"street", "city", "mobile", "source", "birth_date", "Guest_Type__c"} <= set(sparse["field"])
    # fields filled on demo records only: a photo URL on 2, a next check-in date on 1
    assert counts(salesforce, "contacts.rarely_filled").to_dict() == {"Next_Check_in_Date__c": 1, "Photo_URL__c": 2}


def test_salesforce_guest_reviews_give_the_published_nps(salesforce) -> None:
    nps = salesforce.data["surveys"].frame["nps"]
    assert len(nps) == 10
    assert round(100 * ((nps >= 9).mean() - (nps <= 6).mean())) == 10


def test_itsm_defects(itsm) -> None:
    no_absent_column_findings(itsm)
    # '?' means missing: every such cell of the columns SOURCE.md counts is reported, once
    sentinel = counts(itsm, "tickets.sentinel").to_dict()
    expected = {"caller_id": 29, "opened_by": 4835, "location": 76, "category": 64, "owner": 23029}
    expected |= {"closed_code": 525, "resolved_by": 202}
    assert {field: sentinel.get(field) for field in expected} == expected
    # resolved_at '?' (2,861): on resolved and closed events it is a missing resolution time; elsewhere a sentinel
    missing_resolution = counts(itsm, "tickets.resolved_at.required").get("resolved_at", 0)
    assert missing_resolution + sentinel.get("resolved_at", 0) == 2861
    # 1,418 incidents end Closed without a resolution time
    found = itsm.findings[itsm.findings["rule_id"] == "tickets.resolved_at.required"]
    events = itsm.data["tickets"].frame.loc[frame_rows(itsm, "tickets", found)]
    assert events.loc[events["status"] == "Closed", "number"].nunique() == 1418
    # the two events with the invalid state '-100'
    assert values(itsm, "tickets.status.allowed", "status").value_counts().get("-100") == 2
    # a column that is '?' on nearly every event is how the log writes "empty", not a defect per event
    assert "caused_by" not in sentinel and "vendor" not in sentinel


def test_itsm_as_incidents_gives_the_source_s_support_metrics(itsm_incidents) -> None:
    from auditor.pipeline import compute_metrics

    config, result = itsm_incidents
    # itsm_incidents.yaml is the metrics' config without its extra fields and metrics: the same files, latest
    # events and mapping, so the same tickets, whose count, statuses and built-in metrics are asserted here
    incidents = load_config(CONFIGS / "itsm_incidents.yaml")
    assert not incidents.extra_fields and not incidents.defined_metrics
    assert replace(config, extra_fields={}, metrics=None, defined_metrics={}, path=incidents.path) == incidents
    assert len(result.data["tickets"].raw) == 20768  # SOURCE.md: the first 20,768 incidents
    assert set(result.data["tickets"].raw["status"]) == {"Closed"}  # every incident's history ends Closed
    metrics = {
        m.id: m for m in compute_metrics(result, config, metric_ids=["tickets_handled", "time_to_resolution_hours"])
    }
    assert metrics["tickets_handled"].value == 20768
    assert metrics["time_to_resolution_hours"].value == pytest.approx(24.6, abs=0.05)  # SOURCE.md: median 24.6 h


def test_hillstrom_defects(hillstrom) -> None:
    no_absent_column_findings(hillstrom)
    # the misspelt category value 'Surburban' (28,776 rows), with its correction
    found = hillstrom.findings[hillstrom.findings["rule_id"] == "contacts.misspelt"]
    assert (
        len(found) == 28776 and set(found["value"]) == {"Surburban"} and set(found["suggested_value"]) == {"Suburban"}
    )
    # 6,562 identical rows are different customers (no id, no time): never copies; zip_code words are no postcodes
    assert set(hillstrom.findings["rule_id"]) == {"contacts.misspelt"}
    assert any("'zip_code' is named like 'postal_code'" in note for note in hillstrom.notes)


def test_online_retail_defects(retail) -> None:
    no_absent_column_findings(retail)
    # every column maps by its header, with no mapping in the config
    mapped = {c.source_column: c.field for c in retail.data["orders"].columns}
    assert mapped == {
        "Invoice": "order_id",
        "StockCode": "product_code",
        "Description": "description",
        "Quantity": "quantity",
        "InvoiceDate": "ordered_at",
        "Price": "unit_price",
        "Customer ID": "account_id",
        "Country": "country",
    }
    not_evaluated = {o.rule_id for o in retail.outcomes if o.status == "not_evaluated"}
    assert {"orders.line_id.unique", "orders.currency.format", "orders.foreign_key"} <= not_evaluated
    assert counts(retail, "orders.account_id.required").to_dict() == {"account_id": 107927}
    assert values(retail, "orders.sentinel", "description").value_counts().get("nan") == 2928
    assert counts(retail, "orders.quantity.range").to_dict() == {"quantity": 12326}
    assert counts(retail, "orders.unit_price.range").to_dict() == {"unit_price": 3}
    assert counts(retail, "orders.unit_price.zero").to_dict() == {"unit_price": 3687}
    assert counts(retail, "orders.exact_copy").sum() == 6865
    countries = values(retail, "orders.country.format", "country").value_counts()
    assert countries.get("Unspecified") == 310 and not {"United Kingdom", "EIRE", "USA"} & set(countries.index)
    codes = values(retail, "orders.odd_format", "product_code").value_counts()
    assert {"POST": 865, "M": 850, "DOT": 736, "D": 100}.items() <= codes.to_dict().items()
    # 2,018 stock codes with more than one description: two real descriptions (a finding that suggests the
    # code's usual one) or a real one and the text "nan" on some lines (the sentinel finding)
    frame = retail.data["orders"].frame
    described = frame.loc[frame["description"] != "nan", "product_code"]
    found = retail.findings[
        (retail.findings["rule_id"] == "orders.description.consistent")
        | ((retail.findings["rule_id"] == "orders.sentinel") & (retail.findings["field"] == "description"))
    ]
    codes = set(frame.loc[frame_rows(retail, "orders", found), "product_code"]) & set(described)
    assert len(codes) == 2018


def test_hillstrom_metrics_defined_in_yaml_give_the_published_values() -> None:
    # docs/real-data.md: visit, conversion and spend per customer, per segment, as a user defines them
    results = defined_metrics("hillstrom_email_campaign", "hillstrom_email_campaign_metrics.yaml")
    got = {r.id: r for r in results}
    assert round(got["visit_rate"].value, 5) == 0.14678
    assert round(got["conversion_rate"].value, 5) == 0.00903
    assert round(got["spend_per_customer"].value, 5) == 1.05091
    # SOURCE.md's table per segment (Mens / Womens / No E-Mail)
    by = {mid: got[mid].breakdowns["segment"] for mid in got}
    assert [round(100 * by["visit_rate"][s], 2) for s in ("Mens E-Mail", "Womens E-Mail", "No E-Mail")] == [
        18.28,
        15.14,
        10.62,
    ]
    assert [round(100 * by["conversion_rate"][s], 3) for s in ("Mens E-Mail", "Womens E-Mail", "No E-Mail")] == [
        1.253,
        0.884,
        0.573,
    ]
    assert [round(by["spend_per_customer"][s], 4) for s in ("Mens E-Mail", "Womens E-Mail", "No E-Mail")] == [
        1.4226,
        1.0772,
        0.6528,
    ]
    assert {r.confidence for r in results} == {"HIGH"}


def test_online_retail_metrics_defined_in_yaml_give_the_published_and_hand_computed_values() -> None:
    # docs/real-data.md: revenue, customers, Pareto share and cancellation rate, as a user defines them
    results = defined_metrics("online_retail_ii_2009_2010", "online_retail_ii_2009_2010_metrics.yaml")
    got = {r.id: r for r in results}
    # SOURCE.md: gross Quantity x Price over all lines 9,539,484.63 GBP; 4,383 customers; the top 20%
    # (863) of the 4,314 customers of the lines that are not cancellations hold 73.48% of their revenue
    assert got["sales_revenue"].value == pytest.approx(9_539_484.63, abs=0.01)
    assert got["customers_buying"].value == 4383
    assert round(100 * got["top20_customer_share"].value, 2) == 73.48
    assert got["top20_customer_share"].n == 4314
    # no published cancellation rate: by hand, distinct invoices whose number starts with 'C' over
    # distinct invoices
    folder = DATASETS / "online_retail_ii_2009_2010"
    df = pd.read_parquet(folder / "online_retail_II_2009_2010.parquet", columns=["Invoice"])
    invoices = df["Invoice"].astype(str).drop_duplicates()
    assert len(invoices) == 28816  # SOURCE.md
    by_hand = invoices.str.startswith("C").sum() / len(invoices)
    assert got["cancellation_rate"].value == pytest.approx(by_hand)
    # the flags the auditor gives (docs/real-data.md): the cancellation lines fail the quantity rule and a
    # fifth of the lines have no customer, so only the cancellation rate, which reads invoice numbers, is HIGH
    flags = {mid: r.confidence for mid, r in got.items()}
    assert flags == {
        "sales_revenue": "LOW",
        "customers_buying": "MEDIUM",
        "top20_customer_share": "MEDIUM",
        "cancellation_rate": "HIGH",
    }


def test_salesforce_review_nps_defined_in_yaml_gives_the_published_value() -> None:
    [nps] = defined_metrics("salesforce_coral_cloud", "salesforce_coral_cloud_metrics.yaml", ["guest_review_nps"])
    assert round(nps.value) == 10 and nps.n == 10  # SOURCE.md: NPS = +10 from 10 reviews
    assert nps.confidence == "MEDIUM" and "based on only 10 records" in nps.reasons


def test_itsm_support_metrics_defined_in_yaml_give_the_source_s_values(itsm_incidents) -> None:
    from auditor.pipeline import compute_metrics

    # what `metrics(folder, config, metric_ids=...)` computes after its check (defined_metrics)
    config, result = itsm_incidents
    results = compute_metrics(result, config, metric_ids=list(config.defined_metrics))
    got = {r.id: r for r in results}
    # SOURCE.md, from the last event of each of the 20,768 incidents: SLA met 12,594 (60.6%); time to
    # resolution over the 19,350 with both dates: median 24.6 h, mean 187.7 h; never reassigned nor
    # reopened 52.36%; reopened at least once 234, reassigned at least once 9,843
    assert got["sla_met"].value == pytest.approx(12594 / 20768)
    assert round(got["median_resolution_hours"].value, 1) == 24.6 and got["median_resolution_hours"].n == 19350
    assert round(got["mean_resolution_hours"].value, 1) == 187.7
    assert round(100 * got["first_time_fix"].value, 2) == 52.36
    assert got["reopened"].value == 234 and got["reassigned"].value == 9843
    # no published mean: by hand from the log's last events
    d = pd.read_csv(
        DATASETS / "itsm_incident_event_log" / "incident_event_log_prefix.csv.gz", dtype=str, keep_default_na=False
    )
    last = d.groupby("number").tail(1)
    assert got["mean_reassignments"].value == pytest.approx(last["reassignment_count"].astype(int).mean())
    assert {r.confidence for r in results} == {"HIGH"}
