"""Work run beside the main line in a forked process (auditor.beside), and the duplicate search run
beside the checks (auditor.pipeline)."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from auditor import beside as beside_module
from auditor import pipeline
from auditor.beside import beside, can_fork
from auditor.dedupe import Share, Step
from auditor.engines.pandas import PandasEngine

# a small export with a duplicate pair and three leads that match contacts (fixtures/acme, whose goldens the
# shared audit of tests/conftest.py checks, runs beside by default)
SALESFORCE = Path(__file__).resolve().parents[1] / "fixtures" / "salesforce"
forks = pytest.mark.skipif(not can_fork(), reason="no fork with a second CPU here: the work runs in the main line")


@forks
def test_the_work_runs_in_another_process_and_its_value_comes_back() -> None:
    pending = beside(lambda: (os.getpid(), pd.DataFrame({"a": [1, 2]}), time.process_time()))
    assert pending.process is not None
    pid, frame, _ = pending.result()
    assert pid != os.getpid() and pending.ran_beside
    pd.testing.assert_frame_equal(frame, pd.DataFrame({"a": [1, 2]}))
    wall, cpu = pending.seconds
    assert wall >= 0 and cpu >= 0 and pending.peak is not None and pending.process is None


def test_work_not_allowed_beside_runs_here_when_asked_for() -> None:
    ran: list[int] = []
    pending = beside(lambda: ran.append(os.getpid()) or "value", allowed=False)
    assert pending.process is None and ran == []
    assert pending.result() == "value"
    assert ran == [os.getpid()] and not pending.ran_beside


@forks
def test_a_failing_work_fails_here_with_its_own_error() -> None:
    # a child's error does not cross the pipe as it is (it may not pickle): the work runs again here, where
    # it raises what it always raised
    def work() -> None:
        raise ValueError(f"broken in {os.getpid()}")

    pending = beside(work)
    with pytest.raises(ValueError, match=f"broken in {os.getpid()}$"):
        pending.result()


@forks
def test_a_child_that_dies_without_a_word_is_replaced_by_the_work_here() -> None:
    parent = os.getpid()

    def work() -> int:
        if os.getpid() != parent:
            os._exit(3)  # killed, out of memory: no value and no message
        return 7

    assert beside(work).result() == 7


@forks
def test_a_value_that_does_not_pickle_is_made_here(capfd: pytest.CaptureFixture[str]) -> None:
    parent = os.getpid()
    value = beside(lambda: lambda: os.getpid() == parent).result()
    assert value()
    assert "Traceback" not in capfd.readouterr().err


@forks
def test_a_cancelled_child_does_not_outlive_the_main_line() -> None:
    pending = beside(lambda: time.sleep(60))
    process = pending.process
    pending.cancel()
    assert pending.process is None and not process.is_alive()


@forks
def test_the_main_line_takes_the_tasks_the_child_has_not_begun_from_the_back(tmp_path: Path) -> None:
    taken = tmp_path / "taken"

    def first() -> int:  # the child's from the start; it waits until the main line has taken one of its own
        for _ in range(600):
            if taken.exists():
                break
            time.sleep(0.05)
        return os.getpid()

    def later() -> int:
        return os.getpid()

    def last() -> int:  # the main line's last from the back: it has taken every other by now
        taken.touch()
        return os.getpid()

    pending = beside([first, last, later, later])
    pids = pending.results()
    assert pids[0] != os.getpid() and pids[1:] == [os.getpid()] * 3  # the child begun nothing after its first
    assert pending.ran_beside and pending.process is None


@forks
def test_the_main_line_takes_the_heaviest_task_left_first(tmp_path: Path) -> None:
    # the child is held on its first task until the main line has run the other three: the order in which it
    # ran them is by weight, the heaviest first, whatever their place in the list
    ran_here = tmp_path / "ran_here"
    ran_here.touch()

    def first() -> int:
        for _ in range(600):
            if len(ran_here.read_text().split()) == 3:
                break
            time.sleep(0.05)
        return os.getpid()

    def task(k: int):
        def run() -> int:
            with ran_here.open("a") as handle:
                handle.write(f"{k}\n")
            return os.getpid()

        return run

    pending = beside([first, task(1), task(2), task(3)], weights=[9, 1, 5, 3])
    pids = pending.results()
    assert pids[0] != os.getpid() and pids[1:] == [os.getpid()] * 3
    assert ran_here.read_text().split() == ["2", "3", "1"]


def test_a_weight_for_each_task() -> None:
    with pytest.raises(ValueError, match="one weight per task"):
        beside([os.getpid, os.getpid], weights=[1], allowed=False)


@forks
def test_tasks_a_failed_child_had_taken_run_here(tmp_path: Path) -> None:
    parent, failing = os.getpid(), tmp_path / "failing"

    def task(k: int):
        def run() -> tuple[int, int]:
            if os.getpid() != parent and k == 1:
                failing.touch()
                raise RuntimeError("only in the child")
            return k, os.getpid()

        return run

    pending = beside([task(k) for k in range(4)])
    for _ in range(600):  # until the child has taken its second task from the front, and fails on it
        if failing.exists():
            break
        time.sleep(0.05)
    values = pending.results()
    assert [k for k, _ in values] == [0, 1, 2, 3] and {pid for _, pid in values} == {parent}
    assert not pending.ran_beside


def test_tasks_that_cannot_go_beside_run_here_in_their_order() -> None:
    ran: list[int] = []
    pending = beside([lambda k=k: ran.append(k) or k for k in range(3)], allowed=False)
    assert pending.results() == [0, 1, 2] and ran == [0, 1, 2]


def test_no_fork_on_one_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(beside_module, "usable_cpus", lambda: 1)
    assert not can_fork()
    assert beside(os.getpid).process is None


def _duplicates_of(monkeypatch: pytest.MonkeyPatch, beside_from_rows: int) -> pipeline.AuditResult:
    monkeypatch.setattr(pipeline, "BESIDE_FROM_ROWS", beside_from_rows)
    return pipeline.check(SALESFORCE)


@forks
def test_the_duplicate_search_beside_the_checks_finds_what_it_finds_in_the_main_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # oracle: the same audit with the search in the main line, after the checks
    here = _duplicates_of(monkeypatch, 10**12)
    apart = _duplicates_of(monkeypatch, 0)
    assert "waiting for duplicates" not in here.timings.stages and not here.timings.beside
    assert apart.timings.beside == {pipeline.SECOND_CPU: "checks"} and "waiting for duplicates" in apart.timings.stages
    assert len(here.duplicates.pairs) == 1 and len(here.duplicates.links) == 3
    for name in ("pairs", "clusters", "merge_plan", "links"):
        pd.testing.assert_frame_equal(getattr(apart.duplicates, name), getattr(here.duplicates, name))
    _same(apart.duplicates.stats, here.duplicates.stats)
    pd.testing.assert_frame_equal(apart.findings, here.findings)
    _same(apart.scores, here.scores)


@forks
def test_a_search_shared_by_both_processes_finds_what_it_finds_in_the_main_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # oracle as above, with the child held on its first step (the contacts') until the main line, its checks
    # done, has taken a step of its own: the main line's first is the step reading the most records (the linkage:
    # 12 leads and 15 contacts), not the accounts' at the back; what each side takes after is a race
    here = _duplicates_of(monkeypatch, 10**12)
    taken, parent = tmp_path / "taken", os.getpid()
    steps_of = PandasEngine.duplicate_steps
    ran_here: list[str] = []

    def held(step: Step) -> Step:
        def run() -> Share:
            if os.getpid() == parent:
                ran_here.append(step.name)
                taken.touch()
            else:
                for _ in range(600):
                    if taken.exists():
                        break
                    time.sleep(0.05)
            return step.run()

        return replace(step, run=run)

    monkeypatch.setattr(PandasEngine, "duplicate_steps", lambda *args: [held(s) for s in steps_of(*args)])
    shared = _duplicates_of(monkeypatch, 0)
    assert {pipeline.SECOND_CPU, "duplicates", "waiting for duplicates"} <= set(shared.timings.stages)
    assert list(shared.duplicates.stats) == ["contacts", "accounts", "leads", "leads~contacts"]
    assert ran_here[0] == "leads~contacts"
    for name in ("pairs", "clusters", "merge_plan", "links"):
        pd.testing.assert_frame_equal(getattr(shared.duplicates, name), getattr(here.duplicates, name))
    _same(shared.duplicates.stats, here.duplicates.stats)
    pd.testing.assert_frame_equal(shared.findings, here.findings)
    _same(shared.scores, here.scores)


def _same(a: object, b: object) -> None:
    """a == b, with frames and series compared exactly wherever they are held."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif hasattr(a, "__dataclass_fields__"):
        assert type(a) is type(b)
        for name in a.__dataclass_fields__:
            _same(getattr(a, name), getattr(b, name))
    else:
        assert a == b or (a != a and b != b)  # NaN is itself here


@forks
def test_a_search_whose_child_fails_is_timed_as_a_stage_of_the_main_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def gone(*args: object) -> None:
        os._exit(3)

    monkeypatch.setattr(beside_module, "_child", gone)
    result = _duplicates_of(monkeypatch, 0)
    assert "duplicates" in result.timings.stages and pipeline.SECOND_CPU not in result.timings.stages
    assert not result.timings.beside and len(result.duplicates.pairs) == 1


def test_a_search_that_cannot_fork_reports_its_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    # the progress bars are withheld only from a forked child; a search that stays in the main line (one CPU
    # here) draws them, though the export is large enough to have gone beside
    monkeypatch.setattr(beside_module, "usable_cpus", lambda: 1)
    monkeypatch.setattr(pipeline, "BESIDE_FROM_ROWS", 0)
    said: list[str] = []
    pipeline.check(SALESFORCE, progress=lambda label, done, total: said.append(label))
    assert "dedupe done" in said
