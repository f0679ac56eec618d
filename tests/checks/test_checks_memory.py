"""Memory of the checks on many copies of one contact (issue 18: a million copies must audit in under 3 GB).

Every copy fails the same rules, so what the checks hold per record must not be every rule's mask and
every kind's whole-column work at once, nor a message or value made once per finding: the check stage's
peak grows by a bounded number of bytes per copy, in Python objects (tracemalloc) and in Arrow buffers
(a proxy of Arrow's memory pool counts those)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pandas as pd
import pyarrow as pa

from auditor.checks.engine import CheckResult
from auditor.checks.packs import config_rules
from auditor.engines.pandas import PandasEngine
from auditor.pipeline import resolve_config

SMALL, LARGE = 1_000, 4_000
PYTHON_PER_COPY = 950
"""Bytes of Python objects the check stage's peak may grow by per copy (6 findings each): about 750
now; 1,190 when every rule's mask and a str per finding's message, value and owner were held."""
ARROW_PER_COPY = 800
"""Bytes of Arrow buffers: about 400 now; 1,450 when every column's stripped text (and the sentinel
kind's lower-cased copy of it) stayed cached until the last finding was made."""
ROW = {
    "first_name": "Anna",
    "last_name": "Kowalska",
    "email": "anna.k@example.com",
    "phone": "+48 601 234 567",
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


def _check_peaks(folder: Path, n: int) -> tuple[int, int, CheckResult]:
    """(peak of Python objects, peak of Arrow buffers, the result) of the checks on `n` copies."""
    folder.mkdir()
    pd.DataFrame({"contact_id": [f"C{k:07d}" for k in range(n)], **ROW}).to_csv(folder / "contacts.csv", index=False)
    config = resolve_config(folder, None)
    engine = PandasEngine()
    loaded = engine.load(folder, config, None)
    rules = config_rules(config, config.rule_paths)
    default = pa.default_memory_pool()
    proxy = pa.proxy_memory_pool(default)
    POOLS.append(proxy)
    pa.set_memory_pool(proxy)
    tracemalloc.start()
    try:
        result = engine.run_checks(loaded, rules, config, None)
        return tracemalloc.get_traced_memory()[1], proxy.max_memory(), result
    finally:
        tracemalloc.stop()
        pa.set_memory_pool(default)


def test_the_checks_peak_grows_by_a_bounded_number_of_bytes_per_copy(tmp_path: Path) -> None:
    _check_peaks(tmp_path / "warm", 200)  # kinds imported, patterns compiled: not per copy
    small_python, small_arrow, _ = _check_peaks(tmp_path / "small", SMALL)
    large_python, large_arrow, result = _check_peaks(tmp_path / "large", LARGE)
    assert len(result.findings) >= 5 * LARGE  # every copy fails the same rules: the case measured
    python = (large_python - small_python) / (LARGE - SMALL)
    arrow = (large_arrow - small_arrow) / (LARGE - SMALL)
    assert python < PYTHON_PER_COPY, f"{small_python:,} bytes at {SMALL:,} copies, {large_python:,} at {LARGE:,}"
    assert arrow < ARROW_PER_COPY, f"{small_arrow:,} bytes at {SMALL:,} copies, {large_arrow:,} at {LARGE:,}"
