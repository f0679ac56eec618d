"""Work run on the second core, beside the main line of an audit: a forked process that takes tasks from
the front of a list while the main line goes on, and hands their values back through a pipe.

    pending = beside(tasks)      # the fork starts on the first task at once
    ...                          # the main line goes on (the checks)
    values = pending.results()   # the main line takes the tasks not yet begun, the heaviest first (else from
                                 # the back), then waits for the child's; the child's own time and memory in
                                 # pending.seconds / .peak

The duplicate search reads the loaded tables only, not the checks' findings, so it need not wait for
them; threads would share one interpreter lock between two stages of Python. Its steps (one per entity)
are shared: the child takes them from the front, and the main line, once its checks are done, takes
those the child has not begun, the heaviest first, so both CPUs search while either has a step left. The
main line comes late, so the heaviest step left is the one it must not leave to the child: taken last by
either side, a large step leaves the other CPU idle while it runs (a list of steps in the child's order
would give the main line whatever was at its back). A forked
child shares the loaded tables' memory with its parent until either writes to it (the Arrow and numpy
buffers are not written). Where a fork is not to be had (Windows, macOS's default, a single usable CPU)
or the child fails in any way, the tasks run here in the main line, where their errors surface as they
always did.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from auditor.timing import Kernel, kernel_used, peak_mb

if TYPE_CHECKING:
    from auditor.timing import Stopwatch

T = TypeVar("T")
Around = Callable[[], AbstractContextManager[Any]]
"""A context the tasks of one process run in, entered once per process (e.g. a cache they share)."""


def second_cpu(stage: str) -> str:
    """The stopwatch's name for the share of `stage` a forked child ran."""
    return f"{stage}, second CPU"


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the platform says, else the machine's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether work may run beside: a fork on Linux with a second usable CPU. macOS forks, but a forked
    child of a process that has used some system frameworks may crash, which is why Python's default
    there is to spawn; a spawned child would have to be sent the loaded tables."""
    return sys.platform.startswith("linux") and usable_cpus() >= 2


@dataclass
class Pending(Generic[T]):
    """The values the tasks compute, on the second core or here."""

    tasks: Sequence[Callable[[], T]]
    around: Around = nullcontext
    process: Any = None
    pipe: Any = None
    weights: Sequence[float] = ()
    """each task's expected work (e.g. the records it reads): the main line takes the heaviest task left;
    without weights, the last"""
    claims: Any = None
    """shared with the child: whether each task is taken - the child takes the first left, the main line
    the heaviest left"""
    seconds: tuple[float, float] = (0.0, 0.0)
    """(wall, CPU) seconds the child worked"""
    peak: float | None = None
    """the memory high-water mark (MB) of the child"""
    kernel: Kernel = (0.0, 0)
    """the kernel's work for the child (`auditor.timing.Kernel`): its copies of the pages it shares with the
    main line and writes, among others"""
    ran_beside: bool = False
    """whether any value came from the child"""

    def result(self) -> T:
        """The value of the one task."""
        (value,) = self.results()
        return value

    def results(self, here: Around = nullcontext, waiting: Around = nullcontext) -> list[T]:
        """Every task's value, in the tasks' order. `here` is entered around each task the main line runs,
        `waiting` around the wait for the child's values (a stopwatch's stages)."""
        values: dict[int, T] = {}
        try:
            with self.around():
                while (task := self._claim_heaviest()) is not None:
                    with here():
                        values[task] = self.tasks[task]()
                if self.process is not None:
                    with waiting():
                        values |= self._childs_values()
                for task in range(len(self.tasks)):  # the child's that it did not hand back, or all of them
                    if task not in values:
                        with here():
                            values[task] = self.tasks[task]()
        except BaseException:
            self.cancel()
            raise
        return [values[task] for task in range(len(self.tasks))]

    def timed(self, watch: Stopwatch, stage: str, *, beside: str) -> None:
        """The child's seconds and peak, if it ran any task, as `watch`'s stage `second_cpu(stage)`, which ran
        beside the main line's stage `beside`."""
        if self.ran_beside:
            watch.add(second_cpu(stage), *self.seconds, self.peak, beside=beside, kernel=self.kernel)

    def cancel(self) -> None:
        """Stop the child (the main line failed or was interrupted): it must not outlive the audit."""
        if self.process is not None:
            self.process.terminate()
            self._close()

    def _claim_heaviest(self) -> int | None:
        if self.claims is None:
            return None
        weights = self.weights or range(len(self.tasks))
        return _claim(self.claims, lambda left: max(reversed(left), key=weights.__getitem__))

    def _childs_values(self) -> dict[int, T]:
        try:
            status, payload = pickle.load(self.pipe)
        except Exception:  # the child died without a word or mid-sentence (killed, out of memory)
            status, payload = "failed", None
        finally:
            self._close()
        if status != "done":
            return {}
        values, self.seconds, self.peak, self.kernel = payload
        self.ran_beside = bool(values)
        return values

    def _close(self) -> None:
        self.pipe.close()
        self.process.join()
        self.process = None


def _claim(claims: Any, choose: Callable[[list[int]], int] = min) -> int | None:
    """The index of a task not yet begun, `choose`n among those left (the first by default), marked as taken;
    None when none is left. Among tasks of equal weight `max` over the reversed list takes the last."""
    with claims.get_lock():
        left = [task for task in range(len(claims)) if not claims[task]]
        if not left:
            return None
        task = choose(left)
        claims[task] = 1
        return task


def beside(
    tasks: Callable[[], T] | Sequence[Callable[[], T]],
    *,
    allowed: bool = True,
    around: Around = nullcontext,
    weights: Sequence[float] = (),
) -> Pending[T]:
    """Start a forked child on `tasks` (one task, or a list shared with the main line) when `allowed` and
    `can_fork()`; else they all run at `results()`. `weights`: each task's expected work, by which the main
    line chooses (`Pending.weights`)."""
    if weights and len(weights) != (1 if callable(tasks) else len(tasks)):
        raise ValueError("beside: one weight per task")
    pending = Pending([tasks] if callable(tasks) else list(tasks), around, weights=list(weights))
    if not (allowed and pending.tasks and can_fork()):
        return pending
    import multiprocessing  # only where work runs beside: a small audit on one CPU never loads it

    context = multiprocessing.get_context("fork")
    pending.claims = context.Array("b", [1] + [0] * (len(pending.tasks) - 1))  # the first is the child's from the start
    read, write = os.pipe()
    process = context.Process(
        target=_child, args=(pending.tasks, around, pending.claims, write, read), daemon=True, name="crm-audit beside"
    )
    process.start()
    os.close(write)  # the child's end: a child that dies closes it, and the parent reads the end of the stream
    pending.process, pending.pipe = process, os.fdopen(read, "rb")
    return pending


def _child(tasks: Sequence[Callable[[], Any]], around: Around, claims: Any, write: int, read: int) -> None:
    os.close(read)
    wall, cpu = time.perf_counter(), time.process_time()
    values: dict[int, Any] = {}
    try:
        with around():
            task: int | None = 0
            while task is not None:
                values[task] = tasks[task]()
                task = _claim(claims)
        seconds = (time.perf_counter() - wall, time.process_time() - cpu)
        # a forked child's usage starts from nothing (fork(2)): all of it is the child's
        said: tuple[str, Any] = ("done", (values, seconds, peak_mb(), kernel_used()))
    except BaseException:  # any failure: the parent runs the child's tasks itself and raises it there
        said = ("failed", None)
    # streamed through the pipe as the parent reads it (protocol 5 writes arrays from their own buffers):
    # neither side holds the whole pickle at once, which at a million records is hundreds of MB. A value
    # that does not pickle, or a parent gone: the parent reads no answer and does the work itself
    with contextlib.suppress(Exception), os.fdopen(write, "wb") as pipe:
        pickle.dump(said, pipe, protocol=pickle.HIGHEST_PROTOCOL)
