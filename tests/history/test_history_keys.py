"""Regression baselines are keyed on the resolved input: the same export typed as a relative path, an
absolute path or through a symbolic link is one input; a database is its URL without secrets."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from auditor.history import History, track
from auditor.result import AuditResult


def _as_typed(result: AuditResult, typed: str) -> AuditResult:
    again = copy.deepcopy(result)
    again.input = typed
    return again


def test_relative_absolute_and_linked_paths_share_one_baseline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean: AuditResult, dirty: AuditResult
) -> None:
    folder = Path(clean.input).resolve()
    monkeypatch.chdir(folder.parent)
    (tmp_path / "link").symlink_to(folder)
    history = tmp_path / "h.sqlite"

    track(_as_typed(clean, f"./{folder.name}/"), history, fail_on_regression=1.0)
    for typed in (str(folder), str(tmp_path / "link")):
        again = _as_typed(dirty, typed)
        track(again, history, fail_on_regression=1.0)
        (check,) = [c for c in again.gate.checks if c.name == "regression"]
        assert not check.passed, f"{typed}: no baseline found ({check.detail})"
        assert again.history is not None and again.history["baseline"]["input"] == str(folder)
    with History.open(history) as store:
        assert {run.input for run in store.runs(None)} == {str(folder)}


def test_a_run_keyed_on_the_path_as_typed_stays_the_baseline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_run, dirty: AuditResult
) -> None:
    folder = Path(dirty.input).resolve()
    monkeypatch.chdir(folder.parent)
    history = tmp_path / "h.sqlite"
    with History.open(history) as store:  # as an earlier version stored it: the path as typed
        store.record(make_run("a" * 32, input=folder.name, overall=100.0))
    again = _as_typed(dirty, folder.name)
    track(again, history, fail_on_regression=50.0)
    assert again.history is not None and again.history["baseline"]["run_id"] == "a" * 32


def test_a_database_is_keyed_without_its_password(tmp_path: Path, clean: AuditResult) -> None:
    history = tmp_path / "h.sqlite"
    first = _as_typed(clean, "postgresql+psycopg://ann:first-secret@db.example:5432/crm")
    second = _as_typed(clean, "postgresql+psycopg://ann:second-secret@db.example:5432/crm")
    track(first, history)
    track(second, history, fail_on_regression=1.0)
    assert second.history is not None and second.history["baseline"]["run_id"] == first.history["run_id"]
    assert b"secret" not in history.read_bytes()
