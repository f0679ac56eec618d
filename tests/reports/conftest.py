"""One audit of a copy of fixtures/acme into which names that are HTML have been typed, shared by
the HTML report's tests (an audit takes half a minute)."""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from auditor import pipeline
from auditor.history import track
from auditor.result import AuditResult

ACME = Path(__file__).resolve().parents[2] / "fixtures" / "acme"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SCRIPT_CONTACT = "C002004"
"""A duplicate of C000037 (cluster shown in the report): its first name becomes SCRIPT."""
IMG_OWNER = "David Clarke"
"""Owner whose accounts get IMG as owner name (shown in the defects-by-owner table and chart)."""


def _edit(path: Path, change: dict[str, str], where: str, equals: str) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    hits = 0
    for row in rows:
        if row[where] == equals:
            row.update(change)
            hits += 1
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
    return hits


@dataclass(frozen=True)
class Injected:
    script: str = SCRIPT
    img: str = IMG
    contact: str = SCRIPT_CONTACT


@pytest.fixture(scope="session")
def injected() -> Injected:
    """What was typed into the export's copy (test modules cannot import a conftest by name)."""
    return Injected()


@pytest.fixture(scope="session")
def injected_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    export = tmp_path_factory.mktemp("html") / "acme"
    shutil.copytree(ACME, export, ignore=shutil.ignore_patterns("truth"))
    assert _edit(export / "contacts.csv", {"first_name": SCRIPT}, "contact_id", SCRIPT_CONTACT) == 1
    assert _edit(export / "accounts.csv", {"owner": IMG}, "owner", IMG_OWNER) > 0
    return export


@pytest.fixture(scope="session")
def audited(injected_export: Path, tmp_path_factory: pytest.TempPathFactory) -> AuditResult:
    """The full audit of the injected export, with two runs kept in a fresh history (so that the
    report has a trend)."""
    result = pipeline.audit(injected_export)
    history = tmp_path_factory.mktemp("history") / "history.sqlite"
    track(result, history_url=history)
    track(result, history_url=history)
    return result


ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts"
_saved = pytest.StashKey[list[Path]]()


@pytest.fixture
def artifact(request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """artifact("report.png") -> a path under build/test-artifacts/ that the run's summary lists."""

    def path(name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        target = ARTIFACTS / name
        request.config.stash.setdefault(_saved, []).append(target)
        return target

    return path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    for target in config.stash.get(_saved, []):
        if target.exists():
            terminalreporter.write_line(f"test artifact: {target}")


CHROMIUM = Path(os.environ.get("CRM_AUDIT_CHROMIUM", "/usr/bin/chromium"))
"""Debian's Chromium; CRM_AUDIT_CHROMIUM points elsewhere (another Chromium or Chrome build)."""


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The browser to launch. Skipped when playwright or the browser is missing, unless
    CRM_AUDIT_BROWSER_REQUIRED is set (CI sets it): then the test fails."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "the playwright package is not installed (pip install -e '.[dev]')"
    else:
        missing = "" if CHROMIUM.exists() else f"no browser at {CHROMIUM} (.ci/browser.sh installs it)"
    if missing:
        if os.environ.get("CRM_AUDIT_BROWSER_REQUIRED"):
            pytest.fail(f"CRM_AUDIT_BROWSER_REQUIRED is set but {missing}")
        pytest.skip(missing)
    return CHROMIUM


# Session scope, like `audited`, and first in a test's arguments: set up (or skipped) before the audit.
@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium))
        yield launched
        launched.close()
