"""All-or-nothing output folders (auditor.staging): a run killed at any moment leaves `--out` holding one
complete run, the previous one or (before the first) nothing; never files of two runs side by side."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path

import pytest
from small_export import small_audit

from auditor.errors import InputError
from auditor.reports.outputs import AUDIT_OUTPUTS, write_audit_outputs
from auditor.result import AuditResult
from auditor.staging import MANIFEST, claim, staged

KILLS = 20
SEED = 18


@pytest.fixture(scope="module")
def small_result(tmp_path_factory: pytest.TempPathFactory) -> AuditResult:
    """A full audit of a small export: every kind of output file, written in a fraction of a second."""
    return small_audit(tmp_path_factory.mktemp("export"))


def _write_run(result: AuditResult, out: Path, number: int) -> None:
    """Run `number`: its number is in result.json (input), report.html (title) and junit.xml (time)."""
    result.input, result.duration_seconds = f"run-{number}", float(number)
    with staged(out) as stage:
        write_audit_outputs(result, stage)


def _run_in(out: Path) -> int | None:
    """The one run `out` holds (None: no folder); fails when it is incomplete or mixes runs."""
    if not out.exists():
        return None
    files = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    assert files and all((out / name).is_file() for name in files)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != MANIFEST) == files
    number = int(json.loads((out / "result.json").read_text(encoding="utf-8"))["input"].removeprefix("run-"))
    assert f"<title>CRM audit: run-{number}</title>" in (out / "report.html").read_text(encoding="utf-8")
    assert f'time="{number}.000"' in (out / "junit.xml").read_text(encoding="utf-8")
    return number


def test_a_run_killed_at_any_moment_leaves_one_complete_run(small_result: AuditResult, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    out = tmp_path / "out"
    _write_run(small_result, out, 0)
    started = time.perf_counter()
    _write_run(small_result, out, 1)
    one_run = time.perf_counter() - started
    seen: set[int] = set()
    reach = 1.5 * one_run  # kills land within this; adapted so that some cut a run before its swap, some after
    for kill in range(KILLS):
        before = _run_in(out)
        child = os.fork()
        if child == 0:  # pragma: no cover - the child writes run after run until it is killed
            try:
                for number in range(2 + 1000 * kill, 1000 * (kill + 1)):
                    _write_run(small_result, out, number)
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0, reach))
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        claim(out, AUDIT_OUTPUTS)  # what the next run does first: repair, clear what the killed one left
        after = _run_in(out)
        assert after is not None and (after == before or after >= 2 + 1000 * kill)
        seen.add(after)
        reach *= 1.4 if after == before else 0.8
        assert [p.name for p in tmp_path.iterdir()] == ["out"], "nothing staged is left beside --out"
    assert len(seen) >= 3, "some kills landed after a swap, others before: the runs were cut at different moments"


def test_a_failed_run_leaves_the_previous_one_untouched(small_result: AuditResult, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_run(small_result, out, 1)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(RuntimeError), staged(out) as stage:
        write_audit_outputs(small_result, stage)
        raise RuntimeError("the disk filled up")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_without_an_atomic_exchange_a_swap_killed_halfway_is_repaired(
    small_result: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditor.staging

    out = tmp_path / "out"
    _write_run(small_result, out, 1)
    monkeypatch.setattr(auditor.staging, "_exchange", lambda first, second: False)
    real_replace = os.replace

    def killed_before_the_second_rename(source, target):
        if Path(source).name.startswith(".out.staging-"):
            raise KeyboardInterrupt  # the process dies between the two renames
        real_replace(source, target)

    monkeypatch.setattr(auditor.staging.os, "replace", killed_before_the_second_rename)
    monkeypatch.setattr(auditor.staging, "_alive", lambda sibling: False)  # as a later process sees it
    with pytest.raises(KeyboardInterrupt):
        _write_run(small_result, out, 2)
    assert not out.exists()
    monkeypatch.setattr(auditor.staging.os, "replace", real_replace)
    claim(out, AUDIT_OUTPUTS)
    assert _run_in(out) == 1
    _write_run(small_result, out, 3)
    assert _run_in(out) == 3 and [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_folder_holding_anything_else_is_refused_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    (out / "result.json").write_text("{}", encoding="utf-8")
    claim(out, AUDIT_OUTPUTS)  # an earlier version's run: only names a run writes
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match=r"--out holds files crm-audit did not write \(notes.txt\)"):
        claim(out, AUDIT_OUTPUTS)


def test_out_inside_the_export_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from auditor.cli import main

    export = tmp_path / "export"
    export.mkdir()
    (export / "contacts.csv").write_text("contact_id,email\nC1,a@b.pl\n", encoding="utf-8")
    for out in (export / "reports", export):
        assert main(["audit", str(export), "--out", str(out), "--no-history"]) == 2
        err = capsys.readouterr().err
        assert "--out is inside the export folder" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in export.iterdir()) == ["contacts.csv"]


def test_a_full_disk_is_one_error_and_the_previous_run_stays(small_result: AuditResult, tmp_path: Path) -> None:
    import errno

    out = tmp_path / "out"
    _write_run(small_result, out, 1)
    full = r"cannot write the reports \(No space left on device\); --out is unchanged"
    with pytest.raises(InputError, match=full), staged(out) as stage:
        write_audit_outputs(small_result, stage)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert _run_in(out) == 1 and [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_parent_folder_that_cannot_be_written_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditor.staging

    monkeypatch.setattr(auditor.staging.os, "access", lambda path, mode: Path(path) != tmp_path)
    with pytest.raises(InputError, match="cannot write beside --out"):
        claim(tmp_path / "out" / "nested", AUDIT_OUTPUTS)


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def _two_runs(out: Path) -> None:
    for number in (1, 2):
        with staged(out) as stage:
            (stage / "run.txt").write_text(str(number), encoding="utf-8")


def test_a_caller_that_goes_on_has_the_replaced_run_removed_at_once(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _two_runs(out)
    assert (out / "run.txt").read_text(encoding="utf-8") == "2" and _siblings(out) == []


@pytest.fixture
def removal_later(monkeypatch: pytest.MonkeyPatch) -> None:
    """auditor.staging.remove_later on, as the program turns it on, for this test only."""
    import auditor.staging

    monkeypatch.setattr(auditor.staging, "_LATER", {"on": False})
    monkeypatch.setattr(auditor.staging, "_LEFT", [])
    auditor.staging.remove_later()


def test_the_program_leaves_the_replaced_run_to_a_process_it_does_not_wait_for(
    tmp_path: Path, removal_later: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditor.staging

    out = tmp_path / "out"
    _two_runs(out)
    (left,) = _siblings(out)  # the first run, swapped out of `out`, still there
    assert (out / "run.txt").read_text(encoding="utf-8") == "2"
    started: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(auditor.staging.subprocess, "Popen", lambda args, **options: started.append((args, options)))
    auditor.staging.remove_left_folders()
    ((args, options),) = started
    assert args == ["rm", "-rf", "--", str(out.parent / left)]
    assert options["start_new_session"] and all(
        options[stream] is auditor.staging.subprocess.DEVNULL for stream in ("stdin", "stdout", "stderr")
    )
    auditor.staging.remove_left_folders()
    assert len(started) == 1  # each folder handed over once


def test_the_process_left_to_remove_the_replaced_run_removes_it(tmp_path: Path, removal_later: None) -> None:
    import auditor.staging

    out = tmp_path / "out"
    _two_runs(out)
    assert len(_siblings(out)) == 1
    auditor.staging.remove_left_folders()
    deadline = time.monotonic() + 60
    while _siblings(out) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _siblings(out) == [] and (out / "run.txt").read_text(encoding="utf-8") == "2"


def test_without_a_remover_to_start_the_replaced_run_is_removed_here(
    tmp_path: Path, removal_later: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditor.staging

    def no_rm(args: list[str], **options: object) -> None:
        raise FileNotFoundError(args[0])

    monkeypatch.setattr(auditor.staging.subprocess, "Popen", no_rm)
    out = tmp_path / "out"
    _two_runs(out)
    auditor.staging.remove_left_folders()
    assert _siblings(out) == []
