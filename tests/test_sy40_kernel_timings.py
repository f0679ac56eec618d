"""`--timings`' share of the kernel: each stage's system seconds and page faults (auditor.timing), a forked
child's its own (auditor.beside)."""

from __future__ import annotations

import mmap
import sys

import pytest

from auditor.beside import beside, can_fork, second_cpu
from auditor.commands.app import print_timings
from auditor.timing import Stopwatch

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="page faults as Linux counts them")
PAGES = 2_000


def _touch_fresh_pages() -> int:
    """Writes a byte to each of PAGES pages just mapped: the kernel finds each a page on its first write."""
    memory = mmap.mmap(-1, PAGES * mmap.PAGESIZE)
    for page in range(PAGES):
        memory[page * mmap.PAGESIZE] = 1
    memory.close()
    return PAGES


@linux
def test_a_stage_counts_the_pages_it_touched_first() -> None:
    watch = Stopwatch()
    with watch.stage("touch"):
        _touch_fresh_pages()
    with watch.stage("idle"):
        pass
    system, faults = watch.kernel["touch"]
    assert faults >= PAGES and system >= 0
    assert watch.kernel["idle"][1] < PAGES // 10


@linux
@pytest.mark.skipif(not can_fork(), reason="no fork with a second CPU here")
def test_a_child_beside_reports_its_own_faults_not_the_parents() -> None:
    pending = beside(_touch_fresh_pages)
    assert pending.result() == PAGES and pending.ran_beside
    watch = Stopwatch()
    pending.timed(watch, "touch", beside="main")
    assert watch.kernel[second_cpu("touch")][1] >= PAGES


@linux
def test_the_timings_table_shows_system_seconds_and_faults(capsys: pytest.CaptureFixture[str]) -> None:
    watch = Stopwatch()
    with watch.stage("touch"):
        _touch_fresh_pages()
    print_timings(watch, 1.0, 1.0)
    shown = capsys.readouterr().err
    assert "sys s" in shown and "faults" in shown
    assert f"{watch.kernel['touch'][1]:,}" in shown
