"""The regression gate across two imports of the same folder: clean, then dirty."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from auditor.errors import ConfigError
from auditor.history import History, track
from auditor.result import AuditResult

NEWLY_FAILING = {
    "accounts.account_id.required": 10,
    "accounts.account_id.unique": 5,
    "accounts.created_at.not_future": 12,
    "accounts.currency.format": 10,
    "accounts.name.placeholder": 10,
    "accounts.name.required": 10,
    "accounts.type": 19,
    "contacts.account_id.foreign_key": 10,
    "contacts.contact_id.required": 10,
    "contacts.contact_id.unique": 5,
    "contacts.created_at.not_future": 12,
    "contacts.email.format": 11,
    "contacts.email.placeholder": 10,
    "contacts.name.placeholder": 10,
    "contacts.type": 13,  # the 14th, a "?" in a yes/no field, is a missing value (contacts.sentinel, a warning)
}


def regression_check(result: AuditResult):
    (check,) = [c for c in result.gate.checks if c.name == "regression"]
    return check


def test_both_imports_pass_the_gate_on_their_own(clean: AuditResult, dirty: AuditResult) -> None:
    assert clean.gate.passed and dirty.gate.passed
    assert clean.scores.overall == 100.0
    assert dirty.scores.overall == 94.05


def test_a_dirty_import_after_a_clean_one_fails_the_gate(tmp_path: Path, clean, dirty) -> None:
    history = tmp_path / "h.sqlite"
    track(clean, history, fail_on_regression=1.0)
    assert clean.gate.passed and regression_check(clean).passed
    assert "no earlier passing run" in regression_check(clean).detail

    track(dirty, history, fail_on_regression=1.0)
    check = regression_check(dirty)
    assert not check.passed and not dirty.gate.passed and dirty.exit_code == 1
    assert f"against run {clean.history['run_id'][:8]}" in check.detail
    assert "overall score dropped 5.95 points (100.0 -> 94.05), more than 1" in check.detail
    assert f"{len(NEWLY_FAILING)} error rules newly failing" in check.detail
    for rule, records in NEWLY_FAILING.items():
        assert f"{rule} ({records} records)" in check.detail
    assert "contacts.email.unique" not in check.detail, "a warning rule is no regression"
    assert dirty.gate.to_dict()["reasons"] == [check.detail]

    assert dirty.history["baseline"]["run_id"] == clean.history["run_id"]
    assert [(t["overall"], t["passed"]) for t in dirty.history["trend"]] == [(100.0, True), (94.05, False)]
    assert len(dirty.history["regressions"]) == 2
    with History.open(history) as store:
        stored = store.get(dirty.history["run_id"])
    assert stored.passed is False, "the run is recorded with the final verdict"
    assert stored.gate["checks"][-1]["name"] == "regression"


def test_the_baseline_stays_the_last_passing_run(tmp_path: Path, clean, dirty, imports) -> None:
    history = tmp_path / "h.sqlite"
    track(clean, history, fail_on_regression=1.0)
    track(dirty, history, fail_on_regression=1.0)
    again = copy.deepcopy(imports[1])
    track(again, history, fail_on_regression=1.0)
    assert not again.gate.passed
    assert again.history["baseline"]["run_id"] == clean.history["run_id"]
    assert [t["passed"] for t in again.history["trend"]] == [True, False, False]


def test_an_import_no_worse_than_the_baseline_passes(tmp_path: Path, clean, imports) -> None:
    history = tmp_path / "h.sqlite"
    track(clean, history, fail_on_regression=0.0)
    same = copy.deepcopy(imports[0])
    track(same, history, fail_on_regression=0.0)
    assert same.gate.passed
    check = regression_check(same)
    assert check.passed and check.detail.startswith(f"no regression against run {clean.history['run_id'][:8]}")
    assert same.history["regressions"] == []


def test_a_better_import_after_a_worse_passing_one_passes(tmp_path: Path, clean, dirty) -> None:
    history = tmp_path / "h.sqlite"
    track(dirty, history, fail_on_regression=1.0)
    assert dirty.gate.passed, "no earlier run: nothing to regress from"
    track(clean, history, fail_on_regression=1.0)
    assert clean.gate.passed and clean.history["regressions"] == []
    assert clean.history["baseline"]["overall"] == 94.05


def test_without_a_threshold_regressions_are_reported_but_do_not_gate(tmp_path: Path, clean, dirty) -> None:
    history = tmp_path / "h.sqlite"
    track(clean, history)
    track(dirty, history)
    assert dirty.gate.passed
    assert all(c.name != "regression" for c in dirty.gate.checks)
    assert dirty.history["regressions"][0].startswith("overall score dropped 5.95 points")


def test_runs_of_another_input_are_no_baseline(tmp_path: Path, clean, dirty) -> None:
    history = tmp_path / "h.sqlite"
    track(clean, history, fail_on_regression=1.0)
    dirty.input = str(tmp_path / "another-export")
    track(dirty, history, fail_on_regression=1.0)
    assert dirty.gate.passed and dirty.history["baseline"] is None
    assert len(dirty.history["trend"]) == 1


def test_a_negative_threshold_is_refused_before_anything_is_recorded(tmp_path: Path, clean) -> None:
    with pytest.raises(ConfigError, match="--fail-on-regression takes a number of points >= 0, not -1"):
        track(clean, tmp_path / "h.sqlite", fail_on_regression=-1.0)
    assert not (tmp_path / "h.sqlite").exists()
