"""crm-audit synth: determinism, clean data that passes the core pack, truth consistent with the export."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import phonenumbers
import pycountry
import pytest
from email_validator import validate_email

from auditor.model import ENTITIES
from auditor.synth import generate
from auditor.synth.reference import GENERATED, core_rules, evaluate, robust_z

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "acme"
AS_OF = pd.Timestamp("2026-10-31")
POSTAL = {
    "PL": r"\d{2}-\d{3}",
    "US": r"\d{5}",
    "GB": r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}",
    "DE": r"\d{5}",
    "FR": r"\d{5}",
    "ES": r"\d{5}",
    "IT": r"\d{5}",
    "UA": r"\d{5}",
}
JUNK = re.compile(r"^(test|asdf|xxx|n/?a|brak|unknown|none)$|(.)\2{3}", re.IGNORECASE)


def read(out: Path, entity: str) -> pd.DataFrame:
    return pd.read_csv(out / f"{entity}.csv", dtype=str, keep_default_na=False).replace("", np.nan)


def hashes(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean") / "export"
    generate(300, 11, out, defect_rate=0, duplicate_rate=0)
    return out


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dirty") / "export"
    generate(300, 11, out)
    return out


def test_same_seed_same_files_other_seed_differs(tmp_path: Path, dirty: Path) -> None:
    generate(300, 11, tmp_path / "again" / "export")
    assert hashes(tmp_path / "again" / "export") == hashes(dirty)
    generate(300, 12, tmp_path / "other")
    assert hashes(tmp_path / "other")["contacts.csv"] != hashes(dirty)["contacts.csv"]


def test_headers_are_the_model_fields(dirty: Path) -> None:
    for name, ent in ((e, ENTITIES[e]) for e in GENERATED):
        header = (dirty / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == list(ent.field_names)


def test_clean_data_has_no_cross_record_findings(clean: Path) -> None:
    frames = {e: pd.read_csv(clean / f"{e}.csv", dtype=str, keep_default_na=False).replace("", None) for e in GENERATED}
    findings = evaluate(frames, AS_OF)
    assert findings.empty, findings.head(20)
    assert (clean / "truth" / "defects.csv").read_text().strip() == "entity,record_id,field,rule_id,injection"


def test_clean_data_passes_independent_checks(clean: Path) -> None:
    f = {e: read(clean, e) for e in GENERATED}
    con, acc, lead, opp = f["contacts"], f["accounts"], f["leads"], f["opportunities"]
    for name, ent in ((e, ENTITIES[e]) for e in GENERATED):
        for fld in ent.fields:
            if fld.required:
                assert f[name][fld.name].notna().all(), (name, fld.name)
            if fld.allowed:
                assert f[name][fld.name].dropna().isin(fld.allowed).all(), (name, fld.name)
            if fld.dtype.value in ("datetime", "date"):
                d = pd.to_datetime(f[name][fld.name], format="ISO8601")
                if not (name == "opportunities" and fld.name == "close_date") and fld.name != "end_date":
                    assert (d.dropna() <= AS_OF + pd.Timedelta(days=1)).all(), (name, fld.name)
    for frame in (con, lead):
        emails = frame["email"].dropna()
        for e in emails:
            validate_email(e, check_deliverability=False)
        assert not emails.map(JUNK.search).notna().any()
    assert con["email"].str.lower().is_unique
    for name, cols in (("contacts", ["phone", "mobile"]), ("accounts", ["phone"]), ("leads", ["phone"])):
        frame = f[name]
        for col in cols:
            for value, country in frame[[col, "country"]].dropna().itertuples(index=False):
                assert phonenumbers.is_valid_number(phonenumbers.parse(value, country)), (name, value, country)
    for frame in (acc, con):
        for code, country in frame[["postal_code", "country"]].dropna().itertuples(index=False):
            assert re.fullmatch(POSTAL[country], code), (code, country)
    for frame in (con, lead):
        names = pd.concat([frame["first_name"], frame["last_name"]]).dropna()
        assert names.eq(names.str.strip()).all() and not names.str.contains("  ").any()
        assert not (names.str.upper().eq(names) | names.str.lower().eq(names)).any()
        assert not names.map(JUNK.search).notna().any()
    for frame in (acc, opp, f["subscriptions"], f["campaigns"], f["costs"]):
        assert frame["currency"].isin(["PLN", "EUR", "USD", "GBP"]).all()
    assert acc["country"].map(lambda c: pycountry.countries.get(alpha_2=c) is not None).all()
    assert acc["website"].dropna().str.fullmatch(r"https://www\.[a-z0-9-]+(\.[a-z]+)+").all()
    dt = {
        e: {c: pd.to_datetime(f[e][c], format="ISO8601") for c in f[e] if c.endswith(("_at", "_date", "since"))}
        for e in GENERATED
    }
    for e in ("accounts", "contacts"):
        assert (dt[e]["updated_at"] >= dt[e]["created_at"]).all()
    assert (
        (dt["leads"]["first_response_at"] >= dt["leads"]["created_at"]) | dt["leads"]["first_response_at"].isna()
    ).all()
    assert ((dt["leads"]["converted_at"] >= dt["leads"]["created_at"]) | dt["leads"]["converted_at"].isna()).all()
    assert (lead.loc[lead["status"] == "Converted", "converted_at"]).notna().all()
    closed = opp["stage"].isin(["Closed Won", "Closed Lost"])
    assert (dt["opportunities"]["close_date"] >= dt["opportunities"]["created_at"]).all()
    assert (dt["opportunities"]["close_date"][closed] <= AS_OF).all()
    assert (opp.loc[opp["stage"] == "Closed Won", "amount"].astype(float) > 0).all()
    assert opp.loc[opp["stage"] == "Closed Lost", "loss_reason"].notna().all()
    assert opp["probability"].astype(float).between(0, 100).all()
    tk = dt["tickets"]
    assert ((tk["resolved_at"] >= tk["opened_at"]) | tk["resolved_at"].isna()).all()
    assert ((tk["first_response_at"] >= tk["opened_at"]) | tk["first_response_at"].isna()).all()
    assert f["tickets"].loc[f["tickets"]["status"].isin(["Resolved", "Closed"]), "resolved_at"].notna().all()
    sub = dt["subscriptions"]
    assert (sub["end_date"] >= sub["start_date"]).all()
    assert ((sub["cancelled_at"] >= sub["start_date"]) | sub["cancelled_at"].isna()).all()
    assert f["subscriptions"].loc[f["subscriptions"]["status"] == "Cancelled", "cancelled_at"].notna().all()
    cmp = f["campaigns"][["sent", "delivered", "opened", "clicked", "unsubscribed"]].astype(int)
    assert (cmp["sent"] >= cmp["delivered"]).all() and (cmp["delivered"] >= cmp["opened"]).all()
    assert (cmp["opened"] >= cmp["clicked"]).all() and (cmp["delivered"] >= cmp["unsubscribed"]).all()
    srv = f["surveys"]
    for col, lo, hi in (("nps", 0, 10), ("csat", 1, 5), ("ces", 1, 7)):
        v = srv[col].dropna().astype(float)
        assert v.between(lo, hi).all() and (v == v.round()).all()
    for e, col in (("opportunities", "amount"), ("subscriptions", "mrr")):
        assert robust_z(f[e], col, "currency").max() < 5


def test_referential_integrity_of_clean_data(clean: Path) -> None:
    f = {e: read(clean, e) for e in GENERATED}
    for name, ent in ((e, ENTITIES[e]) for e in GENERATED):
        assert f[name][ent.primary_key].is_unique
        for fld in ent.fields:
            if fld.references:
                target = ENTITIES[fld.references]
                assert f[name][fld.name].dropna().isin(f[fld.references][target.primary_key]).all(), (name, fld.name)


def check_truth(out: Path) -> pd.DataFrame:
    truth = pd.read_csv(out / "truth" / "defects.csv", dtype=str, keep_default_na=False)
    rules = {r["id"]: r for r in core_rules()}
    assert truth["rule_id"].isin(list(rules)).all()
    for row in truth.itertuples(index=False):
        rule = rules[row.rule_id]
        assert rule["entity"] == row.entity and row.field in rule["fields"], row
    for name, ent in ((e, ENTITIES[e]) for e in GENERATED):
        ids = set(pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)[ent.primary_key])
        rids = truth.loc[truth["entity"] == name, "record_id"]
        assert set(rids[~rids.str.startswith("row:")]) <= ids, name
    dups = pd.read_csv(out / "truth" / "duplicates.csv", dtype=str, keep_default_na=False)
    sizes = dups.groupby("cluster_id").size()
    assert (sizes >= 2).all()
    assert (dups.groupby("cluster_id")["corruption"].apply(lambda c: (c == "").sum()) == 1).all()
    return truth


def test_truth_is_consistent_with_the_export(dirty: Path) -> None:
    truth = check_truth(dirty)
    # a 300-contact export has too few subscriptions for an outlier group (>= 20 per currency)
    # and may have no cancelled one; every other rule gets defects
    missing = {r["id"] for r in core_rules()} - set(truth["rule_id"])
    assert missing <= {"subscriptions.mrr.outlier", "subscriptions.cancelled_at.required"}
    metrics = json.loads((dirty / "truth" / "metrics.json").read_text())
    assert metrics["currency"] == "PLN" and 0 < metrics["win_rate"] < 1
    assert "default_region: PL" in (dirty / "crm-audit.yaml").read_text()


def test_failed_generation_leaves_no_partial_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import auditor.synth as synth

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(synth, "write_csv", boom)
    with pytest.raises(RuntimeError):
        generate(300, 1, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_committed_fixture_counts_and_truth() -> None:
    truth = check_truth(FIXTURE)
    counts = truth["rule_id"].value_counts()
    assert all(counts.get(r["id"], 0) >= 8 for r in core_rules())
    sizes = {e: len(read(FIXTURE, e)) for e in GENERATED}
    assert sizes["contacts"] >= 2000 and sizes["accounts"] >= 500 and sizes["opportunities"] >= 1500
    assert sum(p.stat().st_size for p in FIXTURE.rglob("*") if p.is_file()) < 10_000_000


@pytest.mark.slow
def test_committed_fixture_is_reproducible(tmp_path: Path) -> None:
    generate(2000, 7, tmp_path / "acme", as_of=date(2026, 10, 31))
    assert hashes(tmp_path / "acme") == hashes(FIXTURE)


def test_plausibility_anomalies_break_no_rule_and_leave_the_rest_alone(tmp_path: Path, dirty: Path) -> None:
    from auditor.pipeline import metrics, resolve_config
    from auditor.synth.anomalies import TARGETS

    # every target is a field no core rule reports that anomaly on (only the metrics' screens can)
    # (no core rule kind bounds a date from below: not_future looks ahead only)
    kinds = {"order": "order", "future": "not_future", "too_early": "range", "outlier": "outlier"}
    for t in TARGETS:
        covering = [
            r["id"]
            for r in core_rules()
            if r["entity"] == t.entity and t.field in r["fields"] and r["kind"] == kinds[t.kind]
        ]
        if t.kind == "order":  # an order rule on the field compares it with `after`, not with `before`
            covering = [r for r in covering if next(x for x in core_rules() if x["id"] == r)["after"] == t.before]
        assert not covering, (t, covering)
    out = tmp_path / "anomalous"
    generate(300, 11, out, defect_rate=0, duplicate_rate=0, anomaly_rate=0.05)
    anomalies = pd.read_csv(out / "truth" / "anomalies.csv", dtype=str)
    # (a small export's few subscriptions and campaigns may be all ineligible: none left to edit)
    edited = set(zip(anomalies["entity"], anomalies["field"], strict=True))
    assert {("tickets", "resolved_at"), ("tickets", "opened_at"), ("costs", "amount")} <= edited
    assert edited <= {(t.entity, t.field) for t in TARGETS}
    assert not (dirty / "truth" / "anomalies.csv").exists()  # the default export has none
    defects = pd.read_csv(out / "truth" / "defects.csv", dtype=str)
    assert not set(zip(defects["entity"], defects["record_id"], defects["field"], strict=True)) & set(
        zip(anomalies["entity"], anomalies["record_id"], anomalies["field"], strict=True)
    )
    # with no defect and no duplicate, the anomalies alone keep the metrics that read them below HIGH
    config = resolve_config(out, None)
    config.dedupe = None
    _, results = metrics(out, config, breakdowns=False)
    got = {m.id: m for m in results}
    for mid in ("time_to_resolution_hours", "cac", "costs_by_category", "customer_retention_cost"):
        assert got[mid].confidence != "HIGH", (mid, got[mid].reasons)
    assert any("plausibility.outlier" in r for r in got["cac"].reasons)


def test_a_clean_export_passes_the_default_gate(clean: Path) -> None:
    from auditor import check

    result = check(clean)
    assert result.gate.passed, result.gate.reasons
    assert not (result.findings["severity"] == "error").any()


def test_without_generated_duplicates_the_only_duplicate_errors_are_leads_whose_link_a_defect_broke(
    tmp_path: Path,
) -> None:
    # duplicates off, defects on: a converted lead whose converted_contact_id was made dangling is its
    # contact entered twice, and nothing else may be an error-severity duplicate
    from auditor import check

    out = tmp_path / "export"
    generate(300, 11, out, duplicate_rate=0)
    findings = check(out).findings
    duplicates = findings["rule_id"].str.contains(r"\.duplicate(?:_of_\w+)?$")
    errors = findings[duplicates & (findings["severity"] == "error")]
    defects = pd.read_csv(out / "truth" / "defects.csv", dtype=str)
    broken = defects[(defects["field"] == "converted_contact_id") & (defects["injection"] == "dangling_reference")]
    assert findings[duplicates]["rule_id"].nunique() >= 1  # the lead-to-contact links ran
    assert set(errors["rule_id"]) <= {"leads.duplicate_of_contact"}
    assert set(errors["record_id"]) <= set(broken["record_id"])
