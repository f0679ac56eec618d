"""Recording and reading runs: round trip, listing, prefixes, schema version, bad locations,
atomic and concurrent writes."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from auditor.errors import ConfigError, InputError
from auditor.history import DEFAULT_LOCATION, History
from auditor.runs import RuleState, Run, run_input


def test_a_run_reads_back_as_it_was_recorded(tmp_path: Path, make_run) -> None:
    run = make_run("a" * 32)
    with History.open(tmp_path / "h.sqlite") as history:
        assert history.record(run) == run.run_id
        assert history.get(run.run_id) == run


def test_runs_are_listed_newest_first_and_by_input(tmp_path: Path, make_run) -> None:
    with History.open(tmp_path / "h.sqlite") as history:
        for i, where in enumerate(["exports", "other", "exports", "exports"]):
            history.record(make_run(f"{i:032x}", input=where, overall=90.0 + i))
        assert [r.overall for r in history.runs()] == [93.0, 92.0, 91.0, 90.0]
        assert [r.overall for r in history.runs(2)] == [93.0, 92.0]
        assert [r.overall for r in history.runs(input="other/")] == [91.0], "same folder however typed"
        assert history.runs(input="nowhere") == []


def test_the_last_passing_run_of_an_input(tmp_path: Path, make_run) -> None:
    with History.open(tmp_path / "h.sqlite") as history:
        assert history.last_passing("exports") is None
        history.record(make_run("1" * 32, overall=97.0))
        history.record(make_run("2" * 32, overall=80.0, passed=False))
        history.record(make_run("3" * 32, input="other", overall=99.0))
        assert history.last_passing("exports").overall == 97.0
        assert history.last_passing().overall == 99.0


def test_runs_are_found_by_a_unique_prefix(tmp_path: Path, make_run) -> None:
    with History.open(tmp_path / "h.sqlite") as history:
        history.record(make_run("abc1" + "0" * 28))
        history.record(make_run("abc2" + "0" * 28))
        assert history.get("ABC1").run_id.startswith("abc1")
        with pytest.raises(InputError, match="ambiguous"):
            history.get("abc")
        with pytest.raises(InputError, match="no run 'fff'"):
            history.get("fff")
        with pytest.raises(InputError, match="no run"):
            history.get("")
        with pytest.raises(InputError, match="no run"):
            history.get("ab_")  # a LIKE wildcard is a character here, not "any"


def test_pair_defaults_to_the_last_two_runs(tmp_path: Path, make_run) -> None:
    with History.open(tmp_path / "h.sqlite") as history:
        history.record(make_run("1" * 32))
        with pytest.raises(InputError, match="holds 1 run; a diff needs two"):
            history.pair()
        history.record(make_run("2" * 32))
        history.record(make_run("3" * 32))
        assert [r.run_id[0] for r in history.pair()] == ["2", "3"]
        assert [r.run_id[0] for r in history.pair("1")] == ["1", "3"]
        assert [r.run_id[0] for r in history.pair("3", "1")] == ["3", "1"]


def test_the_default_location_is_under_the_current_directory(tmp_path: Path, monkeypatch, make_run) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRM_AUDIT_HISTORY", raising=False)
    with pytest.raises(InputError, match="no run history here yet"):
        History.open(create=False)
    assert not (tmp_path / ".crm-audit").exists(), "reading never creates a database"
    with History.open() as history:
        history.record(make_run("1" * 32))
    assert (tmp_path / DEFAULT_LOCATION).is_file()
    monkeypatch.setenv("CRM_AUDIT_HISTORY", str(tmp_path / "env.sqlite"))
    with History.open() as history:
        assert history.runs() == []


def test_a_url_works_like_a_path(tmp_path: Path, make_run) -> None:
    with History.open(f"sqlite:///{tmp_path}/sub/h.sqlite") as history:
        history.record(make_run("1" * 32))
    with History.open(tmp_path / "sub" / "h.sqlite", create=False) as history:
        assert len(history.runs()) == 1


def test_another_schema_version_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "h.sqlite"
    History.open(file).close()
    with sqlite3.connect(file) as db:
        db.execute("UPDATE crm_audit_schema SET version = 99")
    with pytest.raises(InputError, match=r"schema version 99; crm-audit .* reads version 1") as error:
        History.open(file)
    assert str(file) in str(error.value)


def test_tables_of_ours_without_a_version_are_refused(tmp_path: Path) -> None:
    file = tmp_path / "h.sqlite"
    with sqlite3.connect(file) as db:
        db.execute("CREATE TABLE crm_audit_runs (x INTEGER)")
    with pytest.raises(InputError, match="without a schema version"):
        History.open(file)


def test_a_database_of_other_tables_gets_ours_beside_them(tmp_path: Path, make_run) -> None:
    file = tmp_path / "warehouse.sqlite"
    with sqlite3.connect(file) as db:
        db.execute("CREATE TABLE customers (id INTEGER)")
    with History.open(file) as history:
        history.record(make_run("1" * 32))
    assert {"customers", "crm_audit_runs"} <= set(sa.inspect(sa.create_engine(f"sqlite:///{file}")).get_table_names())


@pytest.mark.parametrize(
    ("location", "error", "message"),
    [
        ("not-a-db", InputError, "file is not a database"),
        ("folder", ConfigError, "is a directory"),
        ("nodialect://x/y", ConfigError, "not a usable --history database URL"),
    ],
)
def test_bad_locations_name_themselves(tmp_path: Path, location: str, error: type, message: str) -> None:
    (tmp_path / "not-a-db").write_text("this is a CSV, not SQLite\n" * 100)
    (tmp_path / "folder").mkdir()
    where = location if "://" in location else str(tmp_path / location)
    with pytest.raises(error, match=message) as raised:
        History.open(where)
    assert where in str(raised.value)


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path, make_run) -> None:
    broken = make_run("2" * 32)
    broken.rules["bad"] = RuleState("bad", "contacts", None, "failed", 1, 1, 1)  # type: ignore[arg-type]
    with History.open(tmp_path / "h.sqlite") as history:
        history.record(make_run("1" * 32))
        with pytest.raises(InputError, match="cannot use the run history"):
            history.record(broken)
        assert [r.run_id for r in history.runs()] == ["1" * 32]
        history.record(replace(broken, rules={}))
        assert len(history.runs()) == 2


def test_concurrent_runs_all_land_and_the_database_stays_sound(tmp_path: Path, make_run) -> None:
    file = tmp_path / "h.sqlite"
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            with History.open(file) as history:
                for i in range(10):
                    history.record(make_run(f"{worker:02d}{i:030d}"))
                    history.runs(5)
        except BaseException as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with History.open(file) as history:
        assert len(history.runs(None)) == 40
    with sqlite3.connect(file) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT COUNT(*) FROM crm_audit_rules").fetchone() == (80,)


def _record_many(file: str, worker: int, runs: list[Run]) -> None:
    with History.open(file) as history:
        for run in runs:
            history.record(replace(run, run_id=f"{worker:02d}{run.run_id[2:]}"))


def test_concurrent_processes_all_land(tmp_path: Path, make_run) -> None:
    """Separate processes, as concurrent CI jobs on one runner are: SQLite's file locks, not
    its in-process ones, keep the writes apart."""
    file = str(tmp_path / "h.sqlite")
    History.open(file).close()
    runs = [make_run(f"00{i:030d}") for i in range(10)]
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_record_many, args=(file, w, runs)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
    assert [p.exitcode for p in workers] == [0, 0, 0, 0]
    with History.open(file) as history:
        assert len(history.runs(None)) == 40
    with sqlite3.connect(file) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_urls_lose_their_secrets_and_paths_are_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_input("postgresql://me:secret@db/crm") == "postgresql://me:***@db/crm"
    assert run_input("postgresql://db/crm?sslpassword=secret") == "postgresql://db/crm?sslpassword=***"
    (tmp_path / "exports").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "exports")
    monkeypatch.chdir(tmp_path)
    resolved = str((tmp_path / "exports").resolve())
    assert {run_input(typed) for typed in ("./exports/", "exports", str(tmp_path / "exports"), "link")} == {resolved}
