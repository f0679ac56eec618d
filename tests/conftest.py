"""Settings for the whole suite, and the one audit of fixtures/acme that the modules share."""

from __future__ import annotations

import importlib.machinery
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pytest
from hypothesis import settings

if TYPE_CHECKING:
    from auditor.result import AuditResult

# Hypothesis' default 200 ms deadline per example is a timing assertion, and timings do not belong
# in pass/fail tests: on a loaded shared machine it fails correct code (DeadlineExceeded).
settings.register_profile("crm-audit", deadline=None)
settings.load_profile("crm-audit")

_main = sys.modules["__main__"]
if os.environ.get("PYTEST_XDIST_WORKER") and _main.__spec__ is None and not hasattr(_main, "__file__"):
    # A pytest-xdist worker's __main__ is execnet's bootstrap, with neither __spec__ nor __file__, which
    # pyspark.sql.connect takes for a doctest run and, without Spark Connect's own dependencies, answers
    # with sys.exit(0) on import (great_expectations imports it): every GE test would fail in setup. A
    # spec named __main__ is what `python -m` gives; multiprocessing ignores that name in its children.
    _main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)

ROOT = Path(__file__).resolve().parents[1]
OPTIONS = ("--no-history", "--no-mask-pii", "--format", "json")
"""The shared audit's options: no history (a run must not see another's), data unmasked (the reports
show the real values), and the result document printed instead of the text rendering (seconds)."""


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """A one-contact export folder: what option and config tests run commands on."""
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "contacts.csv").write_text("contact_id,email\nC1,a@b.pl\n", encoding="utf-8")
    return folder


class AcmeRun(NamedTuple):
    code: int
    """The command's exit code (the gate)."""
    out: Path
    """The folder every report was written to."""
    result: AuditResult
    """The AuditResult the command rendered."""


@pytest.fixture(scope="session")
def acme_run(tmp_path_factory: pytest.TempPathFactory) -> AcmeRun:
    """`crm-audit audit fixtures/acme --out OUT --no-history --no-mask-pii --format json`, run once from
    the repository root (relative paths, as a user types them) with the default config: the full audit
    (checks, duplicates, scores, gate, metrics, worklist) costs seconds, and a dozen modules read it.

    Read-only: a test that changes the result (or writes into `out`) takes a copy or runs its own."""
    import auditor.pipeline
    from auditor.cli import main

    out = tmp_path_factory.mktemp("acme_audit")
    ran: list[AuditResult] = []

    def recorded(*args, **kwargs):
        ran.append(run(*args, **kwargs))
        return ran[-1]

    run = auditor.pipeline.audit
    previous = Path.cwd()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auditor.pipeline, "audit", recorded)
        os.chdir(ROOT)
        try:
            code = main(["audit", "fixtures/acme", "--out", str(out), *OPTIONS])
        finally:
            os.chdir(previous)
    assert len(ran) == 1
    return AcmeRun(code, out, ran[0])


@pytest.fixture(scope="session")
def acme_audit(acme_run: AcmeRun) -> AuditResult:
    """The AuditResult of the shared audit of fixtures/acme (`acme_run`); `auditor.check` on the same
    export and config is its first part (everything but `metrics` and `worklist`). Read-only."""
    return acme_run.result


TERMINAL_SIZE = ("COLUMNS", "LINES")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """The terminal size as this process's os.environ has it, for the workers (pytest_configure): they
    inherit the C-level environment instead, where GNU readline, once loaded, exports COLUMNS and LINES;
    rich would then take COLUMNS=80 for a width the user asked for, and wrap what it must not."""
    node.workerinput["terminal_size"] = {name: os.environ.get(name) for name in TERMINAL_SIZE}


def pytest_configure(config: pytest.Config) -> None:
    sent = getattr(config, "workerinput", {}).get("terminal_size")
    for name, value in (sent or {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


SPARK_TESTS = "tests/engines/"
"""Its modules share one SparkSession and one Spark audit of fixtures/acme (tests/engines/conftest.py)."""
PG_TESTS = "tests/interop/test_pg_"
"""Its modules share one PostgreSQL server, started on a fixed port when CRM_AUDIT_PG_URL is unset."""


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """How `-n 2 --dist loadfile` (pyproject.toml) hands out the tests: a module at a time, so that its
    module fixtures are built once; all the Spark modules as one unit (one JVM and one Spark audit of
    fixtures/acme, about half the suite's time, on one worker while the other runs everything else),
    handed out first; and the PostgreSQL modules as one unit (one server). pytest-xdist's `loadgroup`
    would say the same with xdist_group marks, but with pytest 9.2 it ignores them (pytest-xdist#1386)."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            for unit in (SPARK_TESTS, PG_TESTS):
                if nodeid.startswith(unit):
                    return unit
            return super()._split_scope(nodeid)

        def _assign_work_unit(self, node) -> None:
            if SPARK_TESTS in self.workqueue:
                self.workqueue.move_to_end(SPARK_TESTS, last=False)
            super()._assign_work_unit(node)

    return Scheduling(config, log)
