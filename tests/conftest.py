"""Settings for the whole suite, and the one audit of fixtures/acme that the modules share."""

from __future__ import annotations

import os
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

ROOT = Path(__file__).resolve().parents[1]
OPTIONS = ("--no-history", "--no-mask-pii", "--format", "json")
"""The shared audit's options: no history (a run must not see another's), data unmasked (the reports
show the real values), and the result document printed instead of the text rendering (seconds)."""


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
    import auditor.engines
    from auditor.cli import main

    out = tmp_path_factory.mktemp("acme_audit")
    ran: list[AuditResult] = []

    def recorded(*args, **kwargs):
        ran.append(run(*args, **kwargs))
        return ran[-1]

    run = auditor.engines.audit
    previous = Path.cwd()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auditor.engines, "audit", recorded)
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
