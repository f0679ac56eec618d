"""The run history in PostgreSQL (`--history postgresql+psycopg://...`), as in the SQLite file."""

from __future__ import annotations

import sqlalchemy as sa

from auditor.diff import compare
from auditor.history import History
from auditor.runs import MetricState, RuleState, Run, ScoreKey


def run(run_id: str, overall: float, status: str) -> Run:
    return Run(
        run_id=run_id,
        started_at="2026-11-29T10:00:00+00:00",
        input="postgresql://crm@warehouse/crm",
        config=None,
        as_of="2026-10-31",
        tool_version="0.1.0",
        overall=overall,
        passed=status == "passed",
        findings={"total": 3, "error": 3, "warning": 0, "info": 0},
        gate={"passed": status == "passed", "checks": []},
        scores={ScoreKey("contacts", None, None): overall, ScoreKey(None, "validity", None): overall},
        rules={"contacts.email.format": RuleState("contacts.email.format", "contacts", "error", status, 9, 3, 3)},
        metrics={"funnel": MetricState({"talks": 10}, "HIGH")},
    )


def test_runs_round_trip_and_compare_in_postgresql(pg_url: str) -> None:
    first, second = run("a" * 32, 99.0, "passed"), run("b" * 32, 90.0, "failed")
    with History.open(pg_url) as history:
        history.record(first)
        history.record(second)
        password = sa.engine.make_url(pg_url).password
        assert not password or password not in history.location, "messages never show the password"
    with History.open(pg_url, create=False) as history:
        assert history.get("a") == first
        assert history.last_passing(first.input) == first
        before, after = history.pair()
    changes = compare(before, after)
    assert changes.overall.delta == -9.0
    assert [r.rule_id for r in changes.newly_failing] == ["contacts.email.format"]
