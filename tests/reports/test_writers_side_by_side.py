"""The audit's writers in two lanes (auditor.reports.outputs), the second a forked process where one may fork
and a thread elsewhere: the same files, byte for byte, as one writer after the other; every file reaches the
disk by a sync of the staged folder; a failure is raised as when the files were written in order, and no
writer starts after it."""

from __future__ import annotations

import io
import multiprocessing
import os
import threading
import time
import zipfile
from pathlib import Path

import pytest
from small_export import small_audit

import auditor.io
from auditor import pipeline
from auditor.beside import can_fork
from auditor.cli import main
from auditor.errors import InputError
from auditor.reports import findings_csv, html, json_report, junit, outputs, worklist_csv
from auditor.reports.outputs import SIDE_BY_SIDE_FROM, default_workers, write_audit_outputs
from auditor.result import AuditResult
from auditor.timing import Stopwatch

forks = pytest.mark.skipif(not can_fork(), reason="the second lane is a forked process on Linux with two CPUs")


@pytest.fixture
def on_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lanes as where no process may fork (Windows, macOS): on threads."""
    monkeypatch.setattr(outputs, "can_fork", lambda: False)


@pytest.fixture(scope="module")
def small_result(tmp_path_factory: pytest.TempPathFactory) -> AuditResult:
    """A full audit of a small export with duplicates: every kind of output file."""
    result = small_audit(tmp_path_factory.mktemp("export"))
    result.duration_seconds = 1.0  # report.html and junit.xml show it
    return result


def _contents(folder: Path) -> dict[str, bytes]:
    """Every file's bytes; worklist.xlsx's as its parts but docProps/core.xml (the second it was made)."""
    out = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    with zipfile.ZipFile(io.BytesIO(out.pop("worklist.xlsx"))) as book:
        out.update({f"worklist.xlsx/{n}": book.read(n) for n in book.namelist() if n != "docProps/core.xml"})
    return out


@pytest.mark.parametrize("lanes", ["forked", "threads"])
def test_side_by_side_writes_the_same_files_as_one_after_the_other(
    lanes: str, small_result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if lanes == "threads":
        monkeypatch.setattr(outputs, "can_fork", lambda: False)
    serial = write_audit_outputs(small_result, tmp_path / "serial", workers=1)
    side_by_side = write_audit_outputs(small_result, tmp_path / "side_by_side", workers=2)
    assert side_by_side == serial and "duplicates/pairs.csv" in serial
    assert _contents(tmp_path / "side_by_side") == _contents(tmp_path / "serial")


def _said_by(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


@forks
def test_the_second_lane_writes_in_a_process_of_its_own(
    small_result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each lane has a CPU and an interpreter lock of its own (threads shared one); its seconds and memory are
    the audit's "writing reports, second CPU"."""
    pids, render = tmp_path / "pids", junit.render

    def said(*args, **kwargs):
        with pids.open("a") as note:
            note.write(f"{os.getpid()}\n")
        return render(*args, **kwargs)

    monkeypatch.setattr(junit, "render", said)
    stages = Stopwatch()
    with stages.stage("writing reports"):
        written = write_audit_outputs(small_result, tmp_path / "out", workers=2, stages=stages)
    assert "junit.xml" in written and (tmp_path / "out" / "junit.xml").exists()
    (writer,) = _said_by(pids)
    assert writer != os.getpid()
    assert stages.beside == {"writing reports, second CPU": "writing reports"}
    wall, cpu = stages.stages["writing reports, second CPU"]
    assert wall > 0 and cpu > 0
    assert multiprocessing.active_children() == []


@forks
def test_the_forked_lane_syncs_its_own_files(
    small_result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The staged folder's one sync in this process lists only this process's files: the lane beside puts its
    own on disk (one sync of the folder) before it says they are written."""
    pids, syncfs = tmp_path / "pids", auditor.io._syncfs

    def said(folder: Path) -> bool:
        with pids.open("a") as note:
            note.write(f"{os.getpid()}\n")
        return syncfs(folder)

    monkeypatch.setattr(auditor.io, "_syncfs", said)
    stage = tmp_path / "stage"
    stage.mkdir()
    with auditor.io.synced_once(stage):
        write_audit_outputs(small_result, stage, workers=2)
    assert sorted(_said_by(pids), key=lambda pid: pid == os.getpid())[-1] == os.getpid()  # this one's, last
    assert len(set(_said_by(pids)) - {os.getpid()}) == 1


@forks
def test_a_failed_forked_lane_is_written_here_and_its_error_raised_here(
    small_result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids, render = tmp_path / "pids", junit.render

    def broken(*args, **kwargs):
        with pids.open("a") as note:
            note.write(f"{os.getpid()}\n")
        raise OSError(28, "junit.xml: no space left on device")

    monkeypatch.setattr(junit, "render", broken)
    with pytest.raises(OSError, match=r"junit\.xml: no space left"):
        write_audit_outputs(small_result, tmp_path / "out", workers=2)
    beside, here = _said_by(pids)
    assert beside != os.getpid() and here == os.getpid()
    monkeypatch.setattr(junit, "render", render)
    assert not (tmp_path / "out" / "junit.xml").exists()
    assert not list((tmp_path / "out").rglob("*.tmp")), "a file half written was left"
    assert multiprocessing.active_children() == []


@forks
def test_a_failure_in_this_lane_stops_the_forked_one(
    small_result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise OSError(28, "result.json: no space left on device")

    monkeypatch.setattr(json_report, "write", broken)
    with pytest.raises(OSError, match=r"result\.json: no space left"):
        write_audit_outputs(small_result, tmp_path / "out", workers=2)
    assert multiprocessing.active_children() == []


@pytest.mark.usefixtures("on_threads")
def test_writers_on_threads_leave_their_files_to_the_one_sync(
    small_result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """auditor.io.synced_once's folder is a context variable, which a new thread does not see by itself."""
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(auditor.io.os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    stage = tmp_path / "stage"
    stage.mkdir()
    with auditor.io.synced_once(stage):
        write_audit_outputs(small_result, stage, workers=2)
        assert synced == [], "a writer synced its file itself"


@pytest.mark.usefixtures("on_threads")
def test_the_first_failure_in_the_files_order_is_raised_and_no_writer_starts_after_one(
    small_result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []
    began, failed = threading.Event(), threading.Event()

    def broken(name: str, first: threading.Event, then: threading.Event):
        def write(*args, **kwargs):
            started.append(name)
            first.set()
            then.wait(30)
            failed.set()
            raise OSError(28, f"{name}: no space left on device")

        return write

    # result.json and findings.csv run at once, one in each lane; result.json fails first, findings.csv then
    monkeypatch.setattr(json_report, "write", broken("result.json", threading.Event(), began))
    monkeypatch.setattr(findings_csv, "write", broken("findings.csv", began, failed))
    monkeypatch.setattr(html, "render", broken("report.html", threading.Event(), failed))
    with pytest.raises(OSError, match=r"result\.json: no space left"):
        write_audit_outputs(small_result, tmp_path / "out", workers=2)
    assert sorted(started) == ["findings.csv", "result.json"], "a writer started after a failure"


@pytest.mark.usefixtures("on_threads")
def test_a_result_under_the_threads_threshold_is_written_one_file_after_the_other(small_result: AuditResult) -> None:
    # two threads cost a small audit more than they save: acme's writing took 1.45 s one after the other,
    # 1.71 s side by side
    assert len(small_result.findings) < SIDE_BY_SIDE_FROM
    assert default_workers(small_result) == 1


@forks
def test_where_the_lane_is_forked_a_result_from_forked_from_is_written_side_by_side(
    small_result: AuditResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "FORKED_FROM", len(small_result.findings))
    assert default_workers(small_result) == 2
    monkeypatch.setattr(outputs, "FORKED_FROM", len(small_result.findings) + 1)
    assert default_workers(small_result) == 1


def _noted(path: Path, real, *, then=None):
    """`real`, which first notes the pid of the process it runs in into `path` (and then runs `then`, if any)."""

    def noting(*args, **kwargs):
        with path.open("a") as note:
            note.write(f"{os.getpid()}\n")
        if then is not None:
            then()
        return real(*args, **kwargs)

    return noting


@forks
def test_written_ahead_in_a_process_of_its_own_the_files_are_those_written_one_after_the_other(
    small_result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Oracle: findings.csv, duplicates/ and review.* begun by `write_ahead` (in a forked process) and the rest
    by `write_audit_outputs(ahead=)` are the files, paths and order of one writer after the other."""
    pids = tmp_path / "pids"
    monkeypatch.setattr(outputs, "FORKED_FROM", 0)
    monkeypatch.setattr(findings_csv, "write", _noted(pids, findings_csv.write))
    serial = write_audit_outputs(small_result, tmp_path / "serial", workers=1)
    ahead = outputs.write_ahead(small_result, tmp_path / "ahead")
    assert ahead is not None and ahead.names == {"findings.csv", "duplicates/*.csv", "review.json, review.html"}
    stages = Stopwatch()
    written = write_audit_outputs(small_result, tmp_path / "ahead", workers=2, stages=stages, ahead=ahead)
    assert written == serial and "duplicates/pairs.csv" in serial
    assert _contents(tmp_path / "ahead") == _contents(tmp_path / "serial")
    here, beside = _said_by(pids)
    assert here == os.getpid() and beside != os.getpid()
    assert stages.beside["writing findings and duplicates, second CPU"] == "worklist"
    assert multiprocessing.active_children() == []


def test_nothing_is_written_ahead_where_the_writers_would_not_run_side_by_side(
    small_result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "FORKED_FROM", len(small_result.findings) + 1)
    assert outputs.write_ahead(small_result, tmp_path) is None
    monkeypatch.setattr(outputs, "FORKED_FROM", 0)
    monkeypatch.setattr(outputs, "can_fork", lambda: False)
    assert outputs.write_ahead(small_result, tmp_path) is None


@forks
def test_files_the_process_ahead_failed_to_write_are_written_here_and_their_error_raised_here(
    small_result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids = tmp_path / "pids"

    def broken(*args, **kwargs):
        raise OSError(28, "findings.csv: no space left on device")

    monkeypatch.setattr(outputs, "FORKED_FROM", 0)
    monkeypatch.setattr(findings_csv, "write", _noted(pids, broken))
    ahead = outputs.write_ahead(small_result, tmp_path / "out")
    with pytest.raises(OSError, match=r"findings\.csv: no space left"):
        write_audit_outputs(small_result, tmp_path / "out", workers=2, ahead=ahead)
    beside, here = _said_by(pids)
    assert beside != os.getpid() and here == os.getpid()
    assert not list((tmp_path / "out").rglob("*.tmp")), "a file half written was left"
    assert multiprocessing.active_children() == []


def _wait_for(path: Path, lines: int) -> None:
    """Until `path` holds `lines` lines (another process writes them), at most 30 s."""
    for _ in range(3000):
        if len(_said_by(path)) >= lines:
            return
        time.sleep(0.01)
    raise AssertionError(f"{path.name}: fewer than {lines} lines after 30 s")


def _small_export(folder: Path) -> Path:
    rows = ["contact_id,first_name,last_name,email,created_at"]
    rows += [f"C{i},Ann,Lee{i % 7},ann{i % 9}@example.com,2026-0{1 + i % 9}-1{i % 10}" for i in range(60)]
    folder.mkdir()
    (folder / "contacts.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


@forks
def test_crm_audit_writes_the_findings_while_the_worklist_is_planned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The worklist waits here until findings.csv is begun by the process ahead: on the code before it, written
    after the worklist, the wait ran out."""
    pids = tmp_path / "pids"
    monkeypatch.setattr(outputs, "FORKED_FROM", 0)
    monkeypatch.setattr(findings_csv, "write", _noted(pids, findings_csv.write))
    planned = pipeline.plan_worklist
    monkeypatch.setattr(pipeline, "plan_worklist", lambda *a, **k: (_wait_for(pids, 1), planned(*a, **k))[1])
    out = tmp_path / "out"
    assert (
        main(["audit", str(_small_export(tmp_path / "export")), "--out", str(out), "--no-history", "--timings"]) == 1
    )  # the gate fails: placeholder emails
    (beside,) = _said_by(pids)
    assert beside != os.getpid() and (out / "findings.csv").exists() and (out / "duplicates" / "review.json").exists()
    assert "writing findings and duplicates, second CPU ran beside worklist" in " ".join(
        capsys.readouterr().err.split()
    )
    assert multiprocessing.active_children() == []


@forks
def test_a_run_failing_while_the_process_ahead_writes_stops_it_and_leaves_out_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids, out = tmp_path / "pids", tmp_path / "out"
    export = _small_export(tmp_path / "export")
    assert main(["audit", str(export), "--out", str(out), "--no-history"]) == 1  # its placeholder emails
    before = _contents(out)
    monkeypatch.setattr(outputs, "FORKED_FROM", 0)
    # the process ahead stays inside findings.csv until it is stopped
    monkeypatch.setattr(findings_csv, "write", _noted(pids, findings_csv.write, then=lambda: time.sleep(60)))

    def failing(*args, **kwargs):
        _wait_for(pids, 1)
        raise InputError("the worklist failed")

    monkeypatch.setattr(pipeline, "plan_worklist", failing)
    assert main(["audit", str(export), "--out", str(out), "--no-history"]) == 2
    assert multiprocessing.active_children() == []
    assert _contents(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")] == [], "a staged folder was left"


@forks
def test_with_files_written_ahead_worklist_csv_and_result_json_are_written_in_the_forked_lane(
    small_result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The forked lane has left findings.csv, duplicates/ and review.* to the process ahead: worklist.csv and
    result.json, which the main line wrote beside the workbook, are its instead (the two lanes even out), and
    report.html, in the same lane, shows the findings summary result.json's writer made."""
    pids, out = tmp_path / "pids", tmp_path / "out"
    monkeypatch.setattr(outputs, "FORKED_FROM", 0)
    monkeypatch.setattr(worklist_csv, "write", _noted(pids, worklist_csv.write))
    monkeypatch.setattr(json_report, "write", _noted(tmp_path / "json", json_report.write))
    summary = _noted(tmp_path / "summary", AuditResult.findings_summary)
    monkeypatch.setattr(AuditResult, "findings_summary", summary)
    write_audit_outputs(small_result, out, workers=2, ahead=outputs.write_ahead(small_result, out))
    (tasks,) = _said_by(pids)
    assert tasks != os.getpid() and _said_by(tmp_path / "json") == [tasks]
    assert _said_by(tmp_path / "summary") == [tasks]  # made once, for result.json and report.html
    assert multiprocessing.active_children() == []
