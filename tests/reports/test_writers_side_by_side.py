"""The audit's writers on threads (auditor.reports.outputs): the same files, byte for byte, as one writer
after the other; every file still reaches the disk in the one sync of the staged folder; a failure is
raised as when the files were written in order, and no writer starts after it."""

from __future__ import annotations

import io
import os
import threading
import zipfile
from pathlib import Path

import pytest
from small_export import small_audit

import auditor.io
from auditor.reports import findings_csv, html, json_report
from auditor.reports.outputs import SIDE_BY_SIDE_FROM, default_workers, write_audit_outputs
from auditor.result import AuditResult


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


def test_side_by_side_writes_the_same_files_as_one_after_the_other(small_result: AuditResult, tmp_path: Path) -> None:
    serial = write_audit_outputs(small_result, tmp_path / "serial", workers=1)
    threads = write_audit_outputs(small_result, tmp_path / "threads", workers=2)
    assert threads == serial and "duplicates/pairs.csv" in serial
    assert _contents(tmp_path / "threads") == _contents(tmp_path / "serial")


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


def test_a_small_result_is_written_one_file_after_the_other(small_result: AuditResult) -> None:
    # two threads cost a small audit more than they save: acme's writing took 1.45 s one after the other,
    # 1.71 s side by side
    assert len(small_result.findings) < SIDE_BY_SIDE_FROM
    assert default_workers(small_result) == 1
