"""Where an audit's time and memory go: wall and CPU seconds per stage, and the process's resident-memory
high-water mark when each stage ended (`crm-audit check/audit --timings`)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def peak_mb() -> float | None:
    """The most resident memory the process has held so far, in MB; None where the platform does not say
    (Windows has no `resource`)."""
    try:
        import resource  # Unix only: Windows has no such module
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB elsewhere


def cpu_with_children() -> float:
    """CPU seconds of this process and of the children it has waited for (work run beside, `auditor.beside`)."""
    try:
        import resource  # Unix only: Windows has no such module, and no children of ours either
    except ImportError:
        return time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@dataclass
class Stopwatch:
    """Seconds per stage, in the order the stages first ran; a stage entered twice adds up."""

    stages: dict[str, tuple[float, float]] = field(default_factory=dict)
    """stage -> (wall seconds, CPU seconds of this process)"""
    peaks: dict[str, float | None] = field(default_factory=dict)
    """stage -> the process's memory high-water mark (MB) when the stage last ended: the stage after which
    it first reaches the audit's peak is the stage that set it (or one running beside it)"""
    beside: dict[str, str] = field(default_factory=dict)
    """stage -> the stage it ran beside (in another process, on another CPU): its wall seconds overlap"""

    @contextmanager
    def stage(self, name: str, cpu: Callable[[], float] = time.process_time) -> Iterator[None]:
        """`cpu`: the clock of CPU seconds, the whole process's (every thread) unless told otherwise
        (`time.thread_time` for a stage that shares the process with others running beside it)."""
        wall, used = time.perf_counter(), cpu()
        try:
            yield
        finally:
            before = self.stages.get(name, (0.0, 0.0))
            self.stages[name] = (
                before[0] + time.perf_counter() - wall,
                before[1] + cpu() - used,
            )
            self.peaks[name] = peak_mb()

    def add(self, name: str, wall: float, cpu: float, peak: float | None, *, beside: str) -> None:
        """A stage that ran in another process beside `beside`: its own wall and CPU seconds and its process's
        memory high-water mark."""
        self.stages[name] = (wall, cpu)
        self.peaks[name] = peak
        self.beside[name] = beside

    def rows(self) -> list[tuple[str, float, float, float | None]]:
        """(stage, wall seconds, CPU seconds, memory high-water mark in MB when it ended)"""
        return [(name, wall, cpu, self.peaks.get(name)) for name, (wall, cpu) in self.stages.items()]
