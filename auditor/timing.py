"""Where an audit's time and memory go: wall and CPU seconds per stage, the kernel's share of them (system
seconds and page faults), and the process's resident-memory high-water mark when each stage ended
(`crm-audit check/audit --timings`)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

try:
    import resource
except ImportError:  # Unix only: Windows has no such module, and no children of ours either
    resource = None  # type: ignore[assignment]


def peak_mb() -> float | None:
    """The most resident memory the process has held so far, in MB; None where the platform does not say
    (Windows has no `resource`)."""
    if resource is None:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB elsewhere


def cpu_with_children() -> float:
    """CPU seconds of this process and of the children it has waited for (work run beside, `auditor.beside`)."""
    if resource is None:
        return time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


Kernel = tuple[float, int]
"""(system CPU seconds, page faults): the kernel's work for a process, most of it zeroing or copying the pages
it touches for the first time (fresh memory, or memory shared with a forked process that either writes)"""


def kernel_used(who: str = "self") -> Kernel:
    """The kernel's work so far for this process ("self"), the calling thread ("thread", Linux) or the children
    waited for ("children"); nothing where the platform does not say (Windows)."""
    if resource is None:
        return (0.0, 0)
    scope = {"self": resource.RUSAGE_SELF, "children": resource.RUSAGE_CHILDREN}.get(who)
    if scope is None:
        scope = getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)
    usage = resource.getrusage(scope)
    return usage.ru_stime, usage.ru_minflt + usage.ru_majflt


def _kernel_since(before: Kernel, after: Kernel) -> Kernel:
    return after[0] - before[0], after[1] - before[1]


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
    kernel: dict[str, Kernel] = field(default_factory=dict)
    """stage -> the kernel's work in it (`Kernel`), of its process, or of its thread where its CPU clock is the
    thread's"""

    @contextmanager
    def stage(self, name: str, cpu: Callable[[], float] = time.process_time) -> Iterator[None]:
        """`cpu`: the clock of CPU seconds, the whole process's (every thread) unless told otherwise
        (`time.thread_time` for a stage that shares the process with others running beside it)."""
        who = "thread" if cpu is time.thread_time else "self"
        wall, used, kernel = time.perf_counter(), cpu(), kernel_used(who)
        try:
            yield
        finally:
            before = self.stages.get(name, (0.0, 0.0))
            self.stages[name] = (
                before[0] + time.perf_counter() - wall,
                before[1] + cpu() - used,
            )
            self.peaks[name] = peak_mb()
            system, faults = _kernel_since(kernel, kernel_used(who))
            earlier = self.kernel.get(name, (0.0, 0))
            self.kernel[name] = (earlier[0] + system, earlier[1] + faults)

    def add(
        self, name: str, wall: float, cpu: float, peak: float | None, *, beside: str, kernel: Kernel | None = None
    ) -> None:
        """A stage that ran in another process beside `beside`: its own wall and CPU seconds, its process's
        memory high-water mark and the kernel's work for it."""
        self.stages[name] = (wall, cpu)
        self.peaks[name] = peak
        self.beside[name] = beside
        if kernel is not None:
            self.kernel[name] = kernel

    def merge(self, other: Stopwatch) -> None:
        """`other`'s stages (another process's, sent back) as this one's."""
        self.stages |= other.stages
        self.peaks |= other.peaks
        self.kernel |= other.kernel

    def rows(self) -> list[tuple[str, float, float, float | None]]:
        """(stage, wall seconds, CPU seconds, memory high-water mark in MB when it ended)"""
        return [(name, wall, cpu, self.peaks.get(name)) for name, (wall, cpu) in self.stages.items()]
