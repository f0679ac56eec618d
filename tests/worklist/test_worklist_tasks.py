"""The cleanup worklist on fixtures/acme: every injected defect and duplicate is in a task,
priorities follow the documented formula, task ids are stable."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditor.fix.safe import safe_mask
from auditor.worklist import (
    EFFORT,
    LIST_SEP,
    MONEY_STEP,
    SEVERITY,
    WORKLIST_COLUMNS,
    build_worklist,
    plan_worklist,
)

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"
KEY = ["entity", "record_id", "field", "rule_id"]


def fix_keys(records: pd.DataFrame) -> pd.DataFrame:
    """(entity, record, field, rule) of every fix, from the records of the tasks (a bulk task has many)."""
    fixes = records[records["action"] == "fix"]
    return fixes.assign(rule_id=fixes["rule_ids"].str.split(LIST_SEP)).explode("rule_id")[KEY].drop_duplicates()


def merged_records(worklist: pd.DataFrame) -> pd.DataFrame:
    merges = worklist[worklist["action"] == "merge"]
    members = merges.assign(record_id=merges["members"].str.split(LIST_SEP)).explode("record_id")
    return pd.concat([merges[["entity", "record_id"]], members[["entity", "record_id"]]]).drop_duplicates()


def test_columns_and_one_row_per_task(worklist: pd.DataFrame, records: pd.DataFrame) -> None:
    assert tuple(worklist.columns) == WORKLIST_COLUMNS
    assert worklist["task_id"].is_unique
    fixes = records[records["action"] == "fix"]
    assert not fixes.duplicated(["entity", "file", "row", "field"]).any()
    assert set(worklist["auto_fixable"]) == {"yes", "no"}
    assert set(worklist["effort"]) <= set(EFFORT)


def test_every_injected_defect_is_in_a_task(records: pd.DataFrame) -> None:
    truth = pd.read_csv(ACME / "truth" / "defects.csv", dtype=str, keep_default_na=False)[KEY].drop_duplicates()
    covered = truth.merge(fix_keys(records), on=KEY, how="inner")
    assert len(truth) == 1889
    # all but one: the generator's '?' in a yes/no field is labelled a type defect, and the audit reads
    # it as a missing value written out (contacts.sentinel), a task on the same record and field
    missed = truth.merge(covered, how="left", indicator=True).query("_merge == 'left_only'")
    assert len(covered) == 1888
    assert missed[["field", "rule_id"]].values.tolist() == [["email_opt_out", "contacts.type"]]
    sentinel = fix_keys(records)
    sentinel = sentinel[(sentinel["rule_id"] == "contacts.sentinel") & (sentinel["field"] == "email_opt_out")]
    assert sentinel["record_id"].tolist() == missed["record_id"].tolist()


def test_every_finding_is_in_a_task(acme_audit, worklist: pd.DataFrame, records: pd.DataFrame) -> None:
    findings = acme_audit.findings
    plain = findings[~findings["rule_id"].str.contains(".duplicate", regex=False)][KEY].astype(str).drop_duplicates()
    assert len(plain.merge(fix_keys(records), on=KEY)) == len(plain) == 1916
    duplicates = findings[findings["rule_id"].str.endswith(".duplicate")][["entity", "record_id"]].drop_duplicates()
    assert len(duplicates.merge(merged_records(worklist))) == len(duplicates)


def test_every_detected_true_duplicate_is_in_a_merge_task(acme_audit, worklist: pd.DataFrame) -> None:
    truth = pd.read_csv(ACME / "truth" / "duplicates.csv", dtype=str, keep_default_na=False)
    covered = truth.merge(merged_records(worklist), on=["entity", "record_id"])
    assert len(truth) == 513
    clustered = truth.merge(acme_audit.duplicates.clusters[["entity", "record_id"]].drop_duplicates())
    # every true duplicate the duplicate stage finds is in a merge task; it finds all but a few whose only
    # evidence beyond the name is an e-mail made of the name at another company (a job move, or a
    # namesake: the model cannot tell and leaves them out)
    assert len(covered) == len(clustered) >= 500
    clusters = acme_audit.duplicates.clusters
    assert len(clusters.merge(merged_records(worklist), on=["entity", "record_id"])) == len(clusters)


def test_one_merge_task_per_cluster_with_its_plan(acme_audit, worklist: pd.DataFrame) -> None:
    dup = acme_audit.duplicates
    merges = worklist[(worklist["action"] == "merge") & worklist["rule_ids"].str.endswith(".duplicate")]
    assert len(merges) == dup.clusters[["entity", "cluster_id"]].drop_duplicates().shape[0]
    task = merges[merges["record_id"] == "C002001"].iloc[0]
    assert task["members"] == "C000007"
    assert task["evidence"].startswith("C000007 (match probability ")
    planned = dup.merge_plan[dup.merge_plan["master_id"] == "C002001"]
    assert all(f"{f} = " in (task["merge_plan"] or "") for f in planned["field"])
    links = worklist[worklist["rule_ids"] == "leads.duplicate_of_contact"]
    assert links["members"].str.split(LIST_SEP).str.len().sum() == len(dup.links) == 83


def test_priority_is_the_rank_of_the_documented_score(worklist: pd.DataFrame) -> None:
    assert list(worklist["priority"]) == list(range(1, len(worklist) + 1))
    assert worklist["priority_score"].is_monotonic_decreasing
    severity = worklist["severity"].map(SEVERITY)
    effort = worklist["effort"].map(EFFORT)
    stake = 1 + np.log10(1 + worklist["money_at_stake"] / MONEY_STEP)
    breadth = 1 + np.log10(worklist["records"])
    impact = worklist["priority_score"] * effort / (severity * stake * breadth) - 1
    # impact counts the metrics a task touches, plus the levels below HIGH of the flagged ones
    # (at least one each) and the flag levels gained, so it is at least that count
    touched = worklist["metrics"].fillna("").map(lambda m: len(m.split(", ")) if m else 0)
    assert (impact + 0.01 >= touched + worklist["flags_at_stake"]).all()  # the score is rounded to 3 decimals


def test_same_impact_orders_by_severity_and_effort(worklist: pd.DataFrame) -> None:
    fixes = worklist[worklist["action"] == "fix"]
    same_rule = fixes[fixes["rule_ids"] == "activities.type.allowed"]
    auto = same_rule[same_rule["auto_fixable"] == "yes"]
    manual = same_rule[same_rule["auto_fixable"] == "no"]
    assert len(auto) == 1 and len(manual)  # the safe ones are one bulk task: one run of `crm-audit fix`
    assert auto["priority"].max() < manual["priority"].min()
    assert auto["records"].iloc[0] > 1


def test_metric_effect_comes_from_the_metric_worklist(acme_audit, worklist: pd.DataFrame) -> None:
    nps = next(m for m in acme_audit.metrics if m.id == "nps")
    named = sum(w["records"] for w in nps.worklist if w["action"] == "fix")
    rule = next(w for w in nps.worklist if w["action"] == "fix")
    task = worklist[(worklist["rule_ids"] == rule["rule_id"]) & (worklist["field"] == rule["field"])].iloc[0]
    assert "nps" in task["metrics"].split(", ")
    assert f"nps {nps.flag.name} -> " in task["metric_effect"]
    assert f"when the {named:,} records its worklist names are fixed" in task["metric_effect"]


def test_safe_fixes_are_auto_fixable_with_their_value(worklist: pd.DataFrame, records: pd.DataFrame) -> None:
    record = records[records["current_value"] == "closed won"].iloc[0]
    task = worklist.set_index("task_id").loc[record["task_id"]]
    assert record["suggested_value"] == "Closed Won"
    assert (task["auto_fixable"], task["effort"]) == ("yes", "low")
    fuzzy = worklist[(worklist["rule_ids"] == "accounts.country.format") & (worklist["current_value"] == "Poladn")]
    assert len(fuzzy) == 1 and (fuzzy["suggested_value"] == "PL").all() and (fuzzy["auto_fixable"] == "no").all()


def test_task_ids_do_not_depend_on_finding_order(acme_audit, worklist: pd.DataFrame) -> None:
    shuffled = acme_audit.findings.sample(frac=1.0, random_state=3).reset_index(drop=True)
    original = acme_audit.findings
    try:
        acme_audit.findings = shuffled
        again = build_worklist(acme_audit)
    finally:
        acme_audit.findings = original
    pd.testing.assert_frame_equal(
        again.set_index("task_id").sort_index()[["entity", "record_id", "field", "rule_ids", "priority_score"]],
        worklist.set_index("task_id").sort_index()[["entity", "record_id", "field", "rule_ids", "priority_score"]],
    )


def test_task_ids_do_not_depend_on_where_the_export_lies(acme_audit, worklist: pd.DataFrame) -> None:
    moved = copy.copy(acme_audit)
    names = acme_audit.findings["file"].str.split("/").str[-1]
    moved.findings = acme_audit.findings.assign(file="/elsewhere/acme/" + names)
    assert set(build_worklist(moved)["task_id"]) == set(worklist["task_id"])


@pytest.mark.parametrize(
    ("kind", "value", "suggestion", "safe"),
    [
        ("whitespace", " Jan ", "Jan", True),
        ("casing", "KOWALSKI", "Kowalski", True),
        ("allowed", "closed won", "Closed Won", True),
        ("allowed", "Propsal", "Proposal", False),
        ("currency", "pln", "PLN", True),
        ("currency", "zł", "PLN", False),
        ("country", "Poladn", "PL", False),
        ("phone", "6O1 234 567", "+48601234567", False),
        ("postal_code", "00950", "00-950", True),
        ("postal_code", "sw1a1aa", "SW1A 1AA", True),
        ("postal_code", "0095", "00-950", False),
        ("whitespace", " Jan", None, False),
    ],
)
def test_safe_mask(kind: str, value: str, suggestion: str | None, safe: bool) -> None:
    mask = safe_mask(pd.Series([kind]), pd.Series([value]), pd.Series([suggestion], dtype="object"))
    assert bool(mask[0]) is safe


def test_a_clean_audit_has_an_empty_worklist_with_every_column(acme_audit) -> None:
    clean = copy.copy(acme_audit)
    clean.findings, clean.duplicates, clean.metrics = acme_audit.findings.head(0), None, []
    worklist = build_worklist(clean)
    assert worklist.empty and tuple(worklist.columns) == WORKLIST_COLUMNS


def test_unreadable_dates_get_a_suggestion_only_when_they_read_one_way(acme_audit) -> None:
    edited = copy.copy(acme_audit)
    findings = acme_audit.findings.copy()
    dates = findings.index[(findings["rule_id"] == "contacts.type") & (findings["field"] == "created_at")][:2]
    findings.loc[dates, "value"] = ["15.03.2026", "03.04.2026"]
    edited.findings = findings
    planned = plan_worklist(edited)
    cells = planned.records.set_index("current_value")
    assert cells.loc["15.03.2026", "suggested_value"] == "2026-03-15"
    assert pd.isna(cells.loc["03.04.2026", "suggested_value"])
    tasks = planned.tasks.set_index("task_id").loc[cells.loc[["15.03.2026", "03.04.2026"], "task_id"]]
    assert (tasks["auto_fixable"] == "no").all()


def test_the_worklist_takes_the_config_it_is_given(acme_audit, monkeypatch) -> None:
    """An in-memory config's metric thresholds reach the worklist's projected flags: it is not re-read
    from the file the audit named."""
    import auditor.config
    import auditor.pipeline
    from auditor.config import load_config
    from auditor.pipeline import audit

    config = load_config(acme_audit.config)
    config.metrics = {"coverage_high": 0.99, "shift_high": 0.001}
    seen = []
    plan = auditor.pipeline.plan_worklist
    monkeypatch.setattr(
        auditor.pipeline, "plan_worklist", lambda result, settings: seen.append(settings) or plan(result, settings)
    )
    monkeypatch.setattr(auditor.config, "load_config", lambda *a, **k: pytest.fail("the config was read again"))
    audit(acme_audit.input, config)
    assert (seen[0].coverage_high, seen[0].shift_high) == (0.99, 0.001)
