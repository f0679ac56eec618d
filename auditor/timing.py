"""Where an audit's time goes: wall and CPU seconds per stage (`crm-audit check/audit --timings`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Stopwatch:
    """Seconds per stage, in the order the stages first ran; a stage entered twice adds up."""

    stages: dict[str, tuple[float, float]] = field(default_factory=dict)
    """stage -> (wall seconds, CPU seconds of this process)"""

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

    def rows(self) -> list[tuple[str, float, float]]:
        return [(name, wall, cpu) for name, (wall, cpu) in self.stages.items()]
