"""Memory of the checks on many copies of one contact (issue 18: a million copies must audit in under 3 GB).

Every copy fails the same rules, so what the checks hold per record must not be every rule's mask and
every kind's whole-column work at once, nor a message or value made once per finding: the check stage's
peak grows by a bounded number of bytes per copy, in Python objects (tracemalloc) and in Arrow buffers
(a proxy of Arrow's memory pool counts those)."""

from __future__ import annotations

from pathlib import Path

from copies_of_one import contact_without, peaks, write_copies

from auditor import findings
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


def _check_peaks(folder: Path, n: int) -> tuple[int, int, CheckResult]:
    """(peak of Python objects, peak of Arrow buffers, the result) of the checks on `n` copies."""
    write_copies(folder, n, contact_without("title"))
    config = resolve_config(folder, None)
    engine = PandasEngine()
    loaded = engine.load(folder, config, None)
    rules = config_rules(config, config.rule_paths)
    return peaks(lambda: engine.run_checks(loaded, rules, config, None))


def test_the_checks_peak_grows_by_a_bounded_number_of_bytes_per_copy(tmp_path: Path, monkeypatch) -> None:
    # the findings joined column by column, as on a million copies (a few thousand are joined at once)
    monkeypatch.setattr(findings, "AT_ONCE", 0)
    _check_peaks(tmp_path / "warm", 200)  # kinds imported, patterns compiled: not per copy
    small_python, small_arrow, _ = _check_peaks(tmp_path / "small", SMALL)
    large_python, large_arrow, result = _check_peaks(tmp_path / "large", LARGE)
    assert len(result.findings) >= 5 * LARGE  # every copy fails the same rules: the case measured
    python = (large_python - small_python) / (LARGE - SMALL)
    arrow = (large_arrow - small_arrow) / (LARGE - SMALL)
    assert python < PYTHON_PER_COPY, f"{small_python:,} bytes at {SMALL:,} copies, {large_python:,} at {LARGE:,}"
    assert arrow < ARROW_PER_COPY, f"{small_arrow:,} bytes at {SMALL:,} copies, {large_arrow:,} at {LARGE:,}"
