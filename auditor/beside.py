"""Work run on the second core, beside the main line of an audit: a forked process that computes one
value and hands it back through a pipe.

    pending = beside(work)       # the fork starts the work at once
    ...                          # the main line goes on (the checks)
    value = pending.result()     # waits; the work's own time and memory in pending.seconds / .peak

The duplicate search reads the loaded tables only, not the checks' findings, so it need not wait for
them; threads would share one interpreter lock between two stages of Python. A forked child shares the
loaded tables' memory with its parent until either writes to it (the Arrow and numpy buffers are not
written). Where a fork is not to be had (Windows, macOS's default, a single usable CPU) or the child
fails in any way, the work runs here in the main line, where its errors surface as they always did.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from auditor.timing import peak_mb

T = TypeVar("T")


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
    """The value `work` computes, on the second core or, failing that, here."""

    work: Callable[[], T]
    process: Any = None
    pipe: Any = None
    seconds: tuple[float, float] = (0.0, 0.0)
    """(wall, CPU) seconds the work took where it ran"""
    peak: float | None = None
    """the memory high-water mark (MB) of the process the work ran in"""
    ran_beside: bool = False
    """whether the value came from the child (else the work ran here)"""

    def result(self) -> T:
        if self.process is None:
            return self._here()
        try:
            status, payload = pickle.load(self.pipe)
        except Exception:  # the child died without a word or mid-sentence (killed, out of memory)
            status, payload = "failed", None
        finally:
            self._close()
        if status != "done":
            return self._here()
        value, self.seconds, self.peak = payload
        self.ran_beside = True
        return value

    def cancel(self) -> None:
        """Stop the child (the main line failed or was interrupted): it must not outlive the audit."""
        if self.process is not None:
            self.process.terminate()
            self._close()

    def _close(self) -> None:
        self.pipe.close()
        self.process.join()
        self.process = None

    def _here(self) -> T:
        value, self.seconds = _timed(self.work)
        self.peak = peak_mb()
        return value


def _timed(work: Callable[[], T]) -> tuple[T, tuple[float, float]]:
    """(work's value, (wall, CPU) seconds it took in this process)"""
    wall, cpu = time.perf_counter(), time.process_time()
    value = work()
    return value, (time.perf_counter() - wall, time.process_time() - cpu)


def beside(work: Callable[[], T], *, allowed: bool = True) -> Pending[T]:
    """Start `work` in a forked child when `allowed` and `can_fork()`; else it runs at `result()`."""
    pending = Pending(work)
    if not (allowed and can_fork()):
        return pending
    import multiprocessing  # only where work runs beside: a small audit on one CPU never loads it

    read, write = os.pipe()
    process = multiprocessing.get_context("fork").Process(
        target=_child, args=(work, write, read), daemon=True, name="crm-audit beside"
    )
    process.start()
    os.close(write)  # the child's end: a child that dies closes it, and the parent reads the end of the stream
    pending.process, pending.pipe = process, os.fdopen(read, "rb")
    return pending


def _child(work: Callable[[], Any], write: int, read: int) -> None:
    os.close(read)
    try:
        value, seconds = _timed(work)
        said: tuple[str, Any] = ("done", (value, seconds, peak_mb()))
    except BaseException:  # any failure: the parent runs the work itself and raises it there
        said = ("failed", None)
    # streamed through the pipe as the parent reads it (protocol 5 writes arrays from their own buffers):
    # neither side holds the whole pickle at once, which at a million records is hundreds of MB. A value
    # that does not pickle, or a parent gone: the parent reads no answer and does the work itself
    with contextlib.suppress(Exception), os.fdopen(write, "wb") as pipe:
        pickle.dump(said, pipe, protocol=pickle.HIGHEST_PROTOCOL)
