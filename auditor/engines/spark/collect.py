"""Bringing pandas frames computed on the executors back to the driver, in slices.

An executor's pandas result (a check pass's findings, the metrics' columns of a partition) travels as
pickled rows of `SCHEMA`, so that values and dtypes stay those of pandas. Two limits shape it, both hit
at 10,000,000 contacts with the default 4g driver heap: one pickled row per partition grew to hundreds
of MB and Spark's row buffer, doubling on it, ran out of heap; and a whole partition fetched as one task
result was lost from the driver's block manager. So a frame is cut into slices of `ROWS_PER_PAYLOAD`
rows, the results are computed in parallel into a disk cache, and the driver then reads them a few
slices per fetch.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator, Sequence
from functools import reduce
from typing import Any

import pandas as pd
from pyspark import StorageLevel

SCHEMA = "key int, payload binary"
ROWS_PER_PAYLOAD = 20_000
"""Rows per pickled slice (about 6 MB of findings)."""
PAYLOADS_PER_FETCH = 4


def payloads(key: int, frame: pd.DataFrame, extra: Any = None, rows: int = ROWS_PER_PAYLOAD) -> Iterator[pd.DataFrame]:
    """`frame` as pickled (slice, extra) rows of `SCHEMA`, `extra` with the first slice only (None with the
    others), so that what describes the whole partition is counted once. An empty frame is one slice."""
    for start in range(0, max(len(frame), 1), rows):
        piece = frame.iloc[start : start + rows]
        yield pd.DataFrame({"key": [key], "payload": [pickle.dumps((piece, extra if start == 0 else None))]})


def fetch(results, release: Iterable[Any] = ()) -> list[tuple[int, pd.DataFrame, Any]]:
    """Every (key, slice, extra) of `results` (a DataFrame of `SCHEMA`). The work behind it runs in parallel
    into a disk cache first; `release` (cached frames that work read) is then dropped, and the driver reads
    a few slices per fetch, so neither it nor the JVM holds every payload at once (`collect()` would: about
    300 MB of pickles per million findings, in the JVM and again in Python)."""

    results = results.persist(StorageLevel.DISK_ONLY)
    try:
        slices = results.count()
        for frame in release:
            frame.unpersist()
        fetches = results.repartition(max(1, -(-slices // PAYLOADS_PER_FETCH)))
        return [(r["key"], *pickle.loads(r["payload"])) for r in fetches.toLocalIterator()]
    finally:
        results.unpersist()


def union_all(frames: Sequence[Any]) -> Any:
    """The rows of Spark `frames` of one schema (matched by position) as one DataFrame: one action over them all
    where an action per frame would each be planned and scheduled anew."""
    return reduce(lambda union, more: union.unionAll(more), frames)
