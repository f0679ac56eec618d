"""The findings on fixtures/acme recover its injected defects (fixtures/acme/truth/defects.csv).

Per rule family (the rule's kind): recall >= 0.98 and precision >= 0.95 over
(entity, record_id, field, rule_id). The generator injects the defects of rules/core.yaml; the
generic rules of rules/realworld.yaml find defects of real exports it does not make, so on acme
they must stay nearly silent (what they find there is listed and bounded below).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from auditor.checks.packs import REALWORLD_PACK_LABEL, load_rules
from auditor.synth.reference import GENERATED

ACME = Path(__file__).resolve().parents[1] / "fixtures" / "acme"
KEY = ["entity", "record_id", "field", "rule_id"]
MIN_RECALL, MIN_PRECISION = 0.98, 0.95

pytestmark = pytest.mark.skipif(not (ACME / "truth" / "defects.csv").exists(), reason="fixtures/acme not generated")


@pytest.fixture(scope="module")
def result(acme_audit):
    # `check(ACME)` is the first part of the suite's shared full audit of the fixture (tests/conftest.py)
    return acme_audit


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    return pd.read_csv(ACME / "truth" / "defects.csv", dtype=str, keep_default_na=False)[KEY].drop_duplicates()


def agreement(found: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    kind_of = {r.id: r.kind for r in load_rules()}
    found = found[KEY].astype(str).drop_duplicates().assign(found=True)
    merged = truth.assign(true=True).merge(found, on=KEY, how="outer")
    merged["kind"] = merged["rule_id"].map(kind_of)
    for column in ("true", "found"):
        merged[column] = merged[column].astype("boolean").fillna(False).astype(bool)
    hits = merged.groupby("kind").apply(
        lambda g: pd.Series(
            {
                "truth": int(g["true"].sum()),
                "found": int(g["found"].sum()),
                "hits": int((g["true"] & g["found"]).sum()),
            }
        ),
        include_groups=False,
    )
    hits["recall"] = hits["hits"] / hits["truth"]
    hits["precision"] = hits["hits"] / hits["found"]
    return hits


def test_every_truth_rule_exists_in_the_core_pack(truth: pd.DataFrame) -> None:
    rules = {r.id: r for r in load_rules()}
    unknown = set(truth["rule_id"]) - set(rules)
    assert not unknown
    wrong_field = truth[[f not in rules[r].fields for r, f in zip(truth["rule_id"], truth["field"], strict=True)]]
    assert wrong_field.empty


def _realworld_ids() -> set[str]:
    return {r.id for r in load_rules() if r.origin.startswith(REALWORLD_PACK_LABEL)}


def test_findings_recover_injected_defects_per_rule_family(result, truth: pd.DataFrame) -> None:
    realworld = _realworld_ids()
    table = agreement(result.findings[~result.findings["rule_id"].isin(realworld)], truth)
    kinds = {r.kind for r in load_rules() if r.id not in realworld and r.entity in GENERATED}
    assert set(table.index) == kinds, f"rule families without injected defects: {kinds - set(table.index)}"
    low = table[(table["recall"] < MIN_RECALL) | (table["precision"] < MIN_PRECISION)]
    assert low.empty, f"families below recall {MIN_RECALL} / precision {MIN_PRECISION}:\n{low.to_string()}"


def test_gate_fails_on_the_dirty_fixture_with_reasons(result) -> None:
    assert not result.gate.passed
    assert result.exit_code == 1
    assert any("error finding" in reason for reason in result.gate.reasons)
    assert 0 < result.scores.overall < 100
    assert not result.structural
    assert all(o.status != "error" for o in result.outcomes)


def test_generic_rules_add_only_what_acme_really_has(result) -> None:
    """On the generated export the generic rules find only real gaps of the generator: e-mails left empty
    by 19 leads while 99% have one, 8 tickets with no first response or contact count, and a '?' typed
    into a yes/no field (the generator's type defect, now read as a missing value)."""
    found = result.findings[result.findings["rule_id"].isin(_realworld_ids())]
    counts = found.groupby(["rule_id", "field"]).size().to_dict()
    assert counts == {
        ("contacts.sentinel", "email_opt_out"): 1,
        ("leads.usually_filled", "email"): 19,
        ("tickets.usually_filled", "contacts_needed"): 4,
        ("tickets.usually_filled", "first_response_at"): 4,
    }
