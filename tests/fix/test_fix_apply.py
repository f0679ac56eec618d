"""crm-audit fix on fixtures/acme: exact changes per rule, the input untouched, only fixed cells
changed in the copy, and the fixed findings gone when the copy is audited again."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import pandas as pd
import pytest

from auditor.cli import main
from auditor.errors import ConfigError
from auditor.fix import CHANGE_COLUMNS
from auditor.pipeline import check, fix_export, resolve_config
from auditor.staging import MANIFEST

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"
KEY = ["entity", "record_id", "field", "rule_id"]
PER_RULE = {
    "accounts.currency.format": 4,
    "accounts.name.whitespace": 23,
    "accounts.phone.format": 405,
    "accounts.postal_code.format": 4,
    "accounts.segment.allowed": 7,
    "activities.type.allowed": 18,
    "campaigns.currency.format": 3,
    "contacts.email.format": 5,
    "contacts.name.casing": 37,
    "contacts.name.whitespace": 31,
    "contacts.phone.format": 2260,
    "costs.category.allowed": 6,
    "costs.currency.format": 2,
    "leads.name.whitespace": 32,
    "leads.phone.format": 1206,
    "leads.status.allowed": 6,
    "opportunities.currency.format": 2,
    "opportunities.stage.allowed": 6,
    "opportunity_history.stage.allowed": 22,
    "subscriptions.currency.format": 3,
    "subscriptions.status.allowed": 8,
    "tickets.status.allowed": 6,
}


def hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def rules_only(path: Path):
    config = copy.copy(resolve_config(path, None))
    config.dedupe = None
    return config


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory):
    before = hashes(ACME)
    out = tmp_path_factory.mktemp("fixed")
    report = fix_export(ACME, out=out, apply=True)
    assert hashes(ACME) == before, "the input must never be written to"
    return report


@pytest.fixture(scope="module")
def findings_before(acme_audit) -> pd.DataFrame:
    # check(ACME, rules_only(ACME)).findings: the rules' findings of the suite's shared full audit of the
    # fixture (tests/conftest.py), which runs the same checks and then appends the duplicates' findings
    duplicate_rules = {o.rule_id for o in acme_audit.outcomes if o.origin == "auditor.dedupe"}
    findings = acme_audit.findings
    return findings[~findings["rule_id"].isin(duplicate_rules)].reset_index(drop=True)


@pytest.fixture(scope="module")
def findings_after(fixed) -> pd.DataFrame:
    return check(fixed.out, rules_only(fixed.out)).findings


def test_changes_per_rule(fixed) -> None:
    assert fixed.per_rule() == PER_RULE
    assert fixed.skipped == 0
    log = pd.read_csv(fixed.out / "changes.csv", dtype=str, keep_default_na=False)
    assert tuple(log.columns) == CHANGE_COLUMNS
    assert len(log) == sum(PER_RULE.values())


def test_change_log_rows(fixed) -> None:
    log = fixed.changes.set_index(["record_id", "field"])
    assert tuple(log.loc[("A000007", "city"), ["before", "after", "fix"]]) == ("  Poznań", "Poznań", "trim whitespace")
    assert tuple(log.loc[("A000007", "phone"), ["before", "after"]]) == ("61 223 63 11", "+48612236311")
    assert tuple(log.loc[("A000002", "phone"), ["before", "after"]]) == ("01-35-70-70-76", "+33135707076")  # FR
    assert tuple(log.loc[("A000094", "segment"), ["before", "after"]]) == ("smb", "SMB")
    assert not fixed.changes["after"].eq(fixed.changes["before"]).any()


def test_fixed_copy_differs_only_in_the_fixed_cells(fixed) -> None:
    for source in sorted(ACME.glob("*.csv")):
        original = source.read_bytes().split(b"\n")
        copied = (fixed.out / source.name).read_bytes().split(b"\n")
        assert len(original) == len(copied)
        differing = {i + 1 for i, (a, b) in enumerate(zip(original, copied, strict=True)) if a != b}
        changed_rows = set(fixed.changes.loc[fixed.changes["file"].str.endswith("/" + source.name), "row"].astype(int))
        assert differing == changed_rows, source.name
    assert (fixed.out / "surveys.csv").read_bytes() == (ACME / "surveys.csv").read_bytes()
    assert (fixed.out / "crm-audit.yaml").read_bytes() == (ACME / "crm-audit.yaml").read_bytes()


def test_fixed_findings_are_gone_on_the_copy(fixed, findings_before, findings_after) -> None:
    still = fixed.changes[KEY].merge(findings_after[KEY].astype(str).drop_duplicates(), on=KEY)
    assert still.empty
    after = findings_after["rule_id"].value_counts()
    before = findings_before["rule_id"].value_counts()
    for rule in (
        "accounts.name.whitespace",
        "contacts.name.whitespace",
        "leads.name.whitespace",
        "contacts.name.casing",
    ):
        assert before[rule] > 0 and rule not in after.index
    fixed_findings = fixed.changes[KEY].merge(findings_before[KEY].astype(str).drop_duplicates(), on=KEY)
    per_rule = fixed_findings["rule_id"].value_counts()
    for rule, n in per_rule.items():
        assert after.get(rule, 0) == before[rule] - n, rule
    assert per_rule["opportunity_history.stage.allowed"] == 22 and after["opportunity_history.stage.allowed"] == 38


def test_dry_run_writes_only_the_change_log(fixed, tmp_path: Path) -> None:
    report = fix_export(ACME, out=tmp_path, apply=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST, "changes.csv"]
    assert not report.applied and report.written == []
    pd.testing.assert_frame_equal(report.changes, fixed.changes)


def test_out_must_not_be_the_input(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--out"):
        fix_export(ACME, out=ACME, apply=False)


def test_cli_prints_the_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fix", str(ACME), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert f"{sum(PER_RULE.values()):,} safe changes planned (dry run" in printed
    assert "2,260  contacts.phone.format" in printed
    assert "--apply safe" in printed
    assert main(["fix", str(ACME), "--out", str(tmp_path), "--apply", "risky"]) == 2
