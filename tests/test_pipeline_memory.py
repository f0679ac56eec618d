"""The audit hands the memory a stage freed back to the system before the next stage (issue 18): glibc
keeps freed blocks in its heap, so the next stage's peak would stack on memory nothing uses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor import pipeline

ACME = Path(__file__).parent.parent / "fixtures" / "acme"


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(pipeline._MALLOC_TRIM is None, reason="no malloc_trim in this C library")
def test_freed_heap_memory_is_handed_back() -> None:
    before = _rss()
    blocks = [bytes(4_000) for _ in range(50_000)]  # 200 MB of heap blocks, each under the mmap threshold
    del blocks[:-1]  # all but the last: the heap's top stays in use, so free() alone cannot shrink it
    held = _rss() - before
    pipeline.hand_back_memory()
    assert held > 150 * 2**20, f"{held:,} bytes still held after the blocks were freed"
    assert _rss() - before < 50 * 2**20


def test_every_stage_of_an_audit_hands_its_memory_back(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(pipeline, "hand_back_memory", lambda: calls.append(1))
    result = pipeline.audit(ACME)
    # a stage run beside in a process of its own hands everything back as that process ends; the main line's
    # share of the duplicate search hands back after each of its steps, as many as it took (none, on a quiet
    # machine where the child outran the checks)
    assert len(calls) >= len(result.timings.stages) - len(result.timings.beside)
    assert set(result.timings.stages) >= {"load", "checks", "scores and gate", "metrics", "worklist"}
    assert {"duplicates", pipeline.SECOND_CPU} & set(result.timings.stages)
