"""Two imports of the same export folder: a clean one (fixtures/acme accounts and contacts with
every injected defect and duplicate of truth/ removed), then the dirty original, audited once
each (rule checks, no duplicate detection) with a gate that both pass on their own (score >= 90,
findings do not block)."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pandas as pd
import pytest

from auditor.pipeline import check, resolve_config
from auditor.result import AuditResult
from auditor.runs import MetricState, RuleState, Run, ScoreKey

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"
TABLES = ("accounts", "contacts")
FAIL_UNDER = 90.0


def write_clean_copy(folder: Path) -> None:
    truth = ACME / "truth"
    defects = pd.read_csv(truth / "defects.csv", dtype=str)
    duplicates = pd.read_csv(truth / "duplicates.csv", dtype=str, keep_default_na=False)
    bad = pd.concat(
        [defects[["entity", "record_id"]], duplicates.loc[duplicates["corruption"] != "", ["entity", "record_id"]]]
    )
    kept = {}
    for entity in TABLES:
        frame = pd.read_csv(ACME / f"{entity}.csv", dtype=str, keep_default_na=False)
        ids = set(bad.loc[bad["entity"] == entity, "record_id"])
        # a record without a primary key is named row:<line in the file> in the truth
        lines = {int(i.removeprefix("row:")) for i in ids if i.startswith("row:")}
        line = pd.Series(frame.index + 2, index=frame.index)
        kept[entity] = frame[~frame[frame.columns[0]].isin(ids) & ~line.isin(lines)]
    contacts = kept["contacts"]
    kept["contacts"] = contacts[contacts["account_id"].isin(kept["accounts"]["account_id"])]
    for entity, frame in kept.items():
        frame.to_csv(folder / f"{entity}.csv", index=False)


def write_dirty_copy(folder: Path) -> None:
    for entity in TABLES:
        shutil.copy(ACME / f"{entity}.csv", folder / f"{entity}.csv")


def audit(folder: Path) -> AuditResult:
    config = resolve_config(folder, None)
    # Rules only: the scores then follow the injected defects of truth/, not how duplicate
    # detection (tested in tests/dedupe) happens to score a subset of the people.
    config.dedupe = None
    config.gate.fail_on = "never"
    config.gate.fail_under = FAIL_UNDER
    return check(folder, config)


@pytest.fixture(scope="session")
def imports(tmp_path_factory: pytest.TempPathFactory) -> tuple[AuditResult, AuditResult]:
    folder = tmp_path_factory.mktemp("imports") / "export"
    folder.mkdir()
    shutil.copy(ACME / "crm-audit.yaml", folder / "crm-audit.yaml")
    write_clean_copy(folder)
    clean = audit(folder)
    write_dirty_copy(folder)
    return clean, audit(folder)


@pytest.fixture
def clean(imports: tuple[AuditResult, AuditResult]) -> AuditResult:
    """A fresh copy: track() adds a gate check and the history to the result it is given."""
    return copy.deepcopy(imports[0])


@pytest.fixture
def dirty(imports: tuple[AuditResult, AuditResult]) -> AuditResult:
    return copy.deepcopy(imports[1])


@pytest.fixture
def make_run():
    """A factory of hand-made runs, for tests of storage and comparison that need no audit."""
    return sample_run


def sample_run(run_id: str, *, input: str = "exports", overall: float | None = 95.0, passed: bool = True) -> Run:
    return Run(
        run_id=run_id,
        started_at="2026-11-29T10:00:00+00:00",
        input=input,
        config="exports/crm-audit.yaml",
        as_of="2026-10-31",
        tool_version="0.1.0",
        overall=overall,
        passed=passed,
        findings={"total": 12, "error": 3, "warning": 7, "info": 2},
        gate={"passed": passed, "checks": [{"name": "score", "passed": passed, "detail": "..."}]},
        scores={
            ScoreKey(None, "validity", None): 97.5,
            ScoreKey("contacts", None, None): 94.25,
            ScoreKey("contacts", "validity", None): 96.0,
            ScoreKey("contacts", None, "email"): 91.0,
        },
        rules={
            "contacts.email.format": RuleState("contacts.email.format", "contacts", "error", "failed", 100, 3, 3),
            "contacts.name.casing": RuleState("contacts.name.casing", "contacts", "info", "passed", 100, 0, 0),
        },
        metrics={
            "nps": MetricState(42.5, "HIGH"),
            "funnel": MetricState({"talks": 10, "offer": 4}, "MEDIUM"),
            "cac": MetricState(None, "UNRELIABLE"),
        },
    )
