"""Comparing two runs (scores, rules, finding counts, metrics), and the diff and history commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.diff import compare, regressions
from auditor.history import track
from auditor.runs import MetricState, RuleState, ScoreKey


def test_compare_names_every_kind_of_change(make_run) -> None:
    before = make_run("1" * 32)
    after = make_run("2" * 32, overall=93.5)
    after.scores[ScoreKey("contacts", None, None)] = 90.0
    after.scores[ScoreKey("contacts", None, "email")] = 80.0
    after.scores[ScoreKey("contacts", None, "phone")] = 99.0
    after.rules["contacts.email.format"] = RuleState("contacts.email.format", "contacts", "error", "failed", 100, 5, 6)
    after.rules["contacts.name.casing"] = RuleState("contacts.name.casing", "contacts", "info", "failed", 100, 2, 2)
    after.rules["contacts.email.required"] = RuleState(
        "contacts.email.required", "contacts", "error", "failed", 9, 9, 9
    )
    after.metrics["nps"] = MetricState(40.0, "MEDIUM")
    after.metrics["funnel"] = MetricState({"talks": 11, "offer": 4}, "MEDIUM")

    changes = compare(before, after)
    assert changes.overall.delta == -1.5
    scores = {s.key.label: (s.before, s.after, s.delta) for s in changes.scores}
    assert scores["contacts"] == (94.25, 90.0, -4.25)
    assert scores["validity (all entities)"] == (97.5, 97.5, 0.0), "every dimension and entity, changed or not"
    assert scores["contacts.email"] == (91.0, 80.0, -11.0)
    assert scores["contacts.phone"] == (None, 99.0, None)
    rules = {r.rule_id: r for r in changes.rules}
    assert set(rules) == {"contacts.email.format", "contacts.name.casing", "contacts.email.required"}
    assert rules["contacts.email.format"].change == "findings changed"
    assert rules["contacts.email.format"].to_dict()["findings_delta"] == 3
    assert rules["contacts.name.casing"].change == "newly failing"
    assert (rules["contacts.email.required"].change, rules["contacts.email.required"].status_before) == (
        "newly failing",
        None,
    )
    metrics = {m.metric_id: m for m in changes.metrics}
    assert set(metrics) == {"nps", "funnel"}
    assert (metrics["nps"].delta, metrics["nps"].confidence_before, metrics["nps"].confidence_after) == (
        -2.5,
        "HIGH",
        "MEDIUM",
    )
    assert metrics["funnel"].delta is None
    json.dumps(changes.to_dict())  # the JSON document is plain data

    found = regressions(changes, points=1.0)
    assert found == [
        "overall score dropped 1.50 points (95.0 -> 93.5), more than 1",
        "1 error rule newly failing: contacts.email.required (9 records)",
    ]
    assert regressions(changes, points=2.0) == [found[1]], "an info rule newly failing is no regression"
    fixed = compare(after, before)
    assert {r.rule_id for r in fixed.fixed} == {"contacts.name.casing"}
    assert regressions(fixed, points=0.0) == []


@pytest.fixture
def recorded(tmp_path: Path, clean, dirty) -> tuple[Path, str, str]:
    history = tmp_path / "h.sqlite"
    track(clean, history, fail_on_regression=1.0)
    track(dirty, history, fail_on_regression=1.0)
    return history, clean.history["run_id"], dirty.history["run_id"]


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_history_lists_the_runs(capsys, recorded) -> None:
    history, first, second = recorded
    code, out, _ = run(capsys, "history", "--history", str(history))
    assert code == 0
    assert out.index(second[:8]) < out.index(first[:8]), "newest first"
    assert "PASS" in out and "FAIL" in out and "100.00" in out and "94.05" in out
    code, out, _ = run(capsys, "history", "--history", str(history), "--format", "json", "--limit", "1")
    document = json.loads(out)
    assert [r["run_id"] for r in document["runs"]] == [second]
    assert document["runs"][0]["passed"] is False


def test_diff_of_the_last_two_runs(capsys, recorded) -> None:
    history, first, second = recorded
    code, out, _ = run(capsys, "diff", "--history", str(history), "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert (document["before"]["run_id"], document["after"]["run_id"]) == (first, second)
    assert document["overall"] == {
        "entity": None,
        "dimension": None,
        "field": None,
        "before": 100.0,
        "after": 94.05,
        "delta": -5.95,
    }
    changes = {r["rule_id"]: r for r in document["rules"]}
    assert changes["contacts.email.format"]["change"] == "newly failing"
    assert changes["contacts.email.format"]["failed_after"] == 11
    assert len(changes) == 39 and {c["change"] for c in changes.values()} == {"newly failing"}, "clean had none"

    code, out, _ = run(capsys, "diff", first[:6], second[:6], "--history", str(history))
    assert code == 0
    assert "100.00 -> 94.05" in out and "-5.95" in out
    assert "newly failing" in out and "contacts.email.format" in out
    assert "contacts (all entities)" not in out and "uniqueness (all entities)" in out


def test_diff_reports_bad_references_in_one_line(capsys, recorded, tmp_path: Path) -> None:
    history, *_ = recorded
    code, _, err = run(capsys, "diff", "ffffff", "--history", str(history))
    assert code == 2 and err.startswith("crm-audit: error: ") and "no run 'ffffff'" in err
    missing = tmp_path / "nothing.sqlite"
    code, _, err = run(capsys, "diff", "--history", str(missing))
    assert code == 2 and "no run history here yet" in err
    assert not missing.exists()
