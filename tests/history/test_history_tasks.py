"""The worklist in the run history: each run keeps its tasks (stable ids, priority, records), so that
`track` tells what was done since the previous run of the same input."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path

import pandas as pd

from auditor.history import History, task_progress, track


def tasks(**records: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"task_id": list(records), "priority": range(1, len(records) + 1), "records": list(records.values())}
    )


def test_a_runs_tasks_read_back(tmp_path: Path, make_run) -> None:
    with History.open(tmp_path / "h.sqlite") as history:
        history.record(make_run("a" * 32), tasks=tasks(F1=10, F2=1, M1=3))
        history.record(make_run("b" * 32))
        assert history.tasks("a" * 32) == {"F1": 10, "F2": 1, "M1": 3}
        assert history.tasks("b" * 32) is None


def test_a_history_from_before_tasks_gets_the_table_on_its_next_write(tmp_path: Path, make_run) -> None:
    file = tmp_path / "h.sqlite"
    with History.open(file) as history:
        history.record(make_run("a" * 32))
    with sqlite3.connect(file) as db:
        db.execute("DROP TABLE crm_audit_tasks")
    with History.open(file, create=False) as history:
        assert history.tasks("a" * 32) is None  # read-only: nothing created, nothing fails
    with History.open(file) as history:
        history.record(make_run("b" * 32), tasks=tasks(F1=2))
        assert history.tasks("b" * 32) == {"F1": 2}


def test_progress_counts_tasks_done_and_records_fixed(make_run) -> None:
    progress = task_progress({"F1": 10, "F2": 1, "M1": 3}, tasks(F1=7, M1=3, F9=4), make_run("a" * 32))
    assert progress == {
        "against": "a" * 32,
        "started_at": "2026-11-29T10:00:00+00:00",
        "tasks_before": 3,
        "tasks_done": 1,
        "tasks_new": 1,
        "tasks_open": 3,
        "records_fixed": 1 + 3,
        "records_open": 14,
    }


def test_track_reports_progress_against_the_previous_run(acme_audit, tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite"
    first = copy.copy(acme_audit)
    track(first, history_url=history)
    assert "progress" not in first.history
    second = copy.copy(acme_audit)
    worklist = acme_audit.worklist.copy()
    worklist.loc[0, "records"] -= 3  # three of the first task's records were fixed
    second.worklist = worklist.drop(index=1)  # and the second task is done
    track(second, history_url=history)
    progress = second.history["progress"]
    assert progress["against"] == first.history["run_id"]
    assert (progress["tasks_done"], progress["tasks_new"]) == (1, 0)
    assert progress["records_fixed"] == 3 + int(acme_audit.worklist.loc[1, "records"])
    assert progress["tasks_open"] == len(acme_audit.worklist) - 1
