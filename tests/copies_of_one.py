"""One contact written many times, and the memory peaks of work done on the copies: shared by the memory
tests of the checks, duplicate detection, the worklist and the writers (issue 18: a million copies must
audit in under 3 GB). Every copy fails the same rules with the same messages, so what each stage holds per
copy must be pointers, not the text again."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import pandas as pd
import pyarrow as pa

from auditor import audit
from auditor.result import AuditResult

T = TypeVar("T")

CONTACT = {
    "first_name": "Anna",
    "last_name": "Kowalska",
    "email": "anna.k@example.com",
    "phone": "+48 601 234 567",
    "title": "Manager",
    "street": "ul. Długa 5",
    "city": "Kraków",
    "postal_code": "30-001",
    "country": "PL",
    "birth_date": "1980-04-02",
    "owner": "Jan",
    "created_at": "2024-01-01T10:00:00",
    "updated_at": "2024-02-01T10:00:00",
}
POOLS: list[pa.MemoryPool] = []
"""Every proxy pool a measurement made: a buffer allocated from one must not outlive it (a crash)."""


def contact_without(*columns: str) -> dict[str, str]:
    """The contact without some of its columns."""
    return {k: v for k, v in CONTACT.items() if k not in columns}


def write_copies(folder: Path, n: int, row: Mapping[str, str] = CONTACT) -> Path:
    """`folder`/contacts.csv: `row` written `n` times, with ids C0000000, C0000001, ..."""
    folder.mkdir()
    pd.DataFrame({"contact_id": [f"C{k:07d}" for k in range(n)], **row}).to_csv(folder / "contacts.csv", index=False)
    return folder


def audited_copies(root: Path, *sizes: int) -> dict[int, AuditResult]:
    """The audit of `n` copies of the contact for each of `sizes`, each in its own folder below `root`."""
    return {n: audit(write_copies(root / str(n), n)) for n in sizes}


def python_peak(work: Callable[[], T]) -> tuple[int, T]:
    """(the peak of Python objects while `work` ran (tracemalloc), its result)."""
    tracemalloc.start()
    try:
        result = work()
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def peaks(work: Callable[[], T]) -> tuple[int, int, T]:
    """(the peaks of Python objects and of Arrow buffers while `work` ran, its result). Arrow's buffers are
    counted by a proxy of its memory pool."""
    default = pa.default_memory_pool()
    proxy = pa.proxy_memory_pool(default)
    POOLS.append(proxy)
    pa.set_memory_pool(proxy)
    try:
        python, result = python_peak(work)
        return python, proxy.max_memory(), result
    finally:
        pa.set_memory_pool(default)
