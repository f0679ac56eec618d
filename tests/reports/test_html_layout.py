"""report.html's layout in a real browser (Chromium, see conftest.py's `browser`), on a phone (390 px)
and a wide screen (1400 px), for the demo audit and for a large synthetic one with long names, long
values and huge amounts: nothing overflows the page sideways, no text is clipped or spills out of its
table cell, no figure wraps mid-number, the overview needs no sideways scrolling, and on the wide
screen the overview (trust board, score and gate, first ten tasks) fits in the first 1,000 px.
Screenshots of the first screen of each go to build/test-artifacts/ for people to look at.

The checks run in the page (layout_check.js) with every folded section opened. Wide data tables
(a duplicate cluster with a dozen compared fields, the metrics on a phone) scroll inside their own
box by design; that is allowed below the overview and listed, not failed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from auditor.reports import html
from auditor.reports.outputs import write_audit_outputs
from auditor.result import AuditResult

CHECK = (Path(__file__).parent / "layout_check.js").read_text(encoding="utf-8")
FIRST_SCREEN = 1000
WIDTHS = (390, 1400)
WIDE_ENOUGH = {"overview", "summary", "metrics", "worklist", "owners", "entities", "rules", "fields"}
"""Sections whose tables need no sideways scrolling on the wide screen."""


@pytest.fixture(scope="module")
def demo(audited: AuditResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo-report")
    write_audit_outputs(audited, out)
    return out / "report.html"


def large(audited: AuditResult) -> AuditResult:
    """The audit blown up: 200,000 findings by 20,000 owners (one named with 300 letters and no
    space), 100,000 clusters, 60,000 tasks with long unbroken values and amounts up to 10^15."""
    n = 200_000
    findings = audited.findings.sample(n, replace=True, random_state=1).reset_index(drop=True)
    findings["owner"] = "owner " + (findings.index % 20_000).astype(str)
    findings.loc[:50, "owner"] = "Z" * 300
    findings["record_id"] = "R" + findings.index.astype(str)
    clusters = pd.DataFrame(
        {
            "entity": "contacts",
            "record_id": [f"X{i}" for i in range(n // 2)],
            "cluster_id": [f"K{i // 2}" for i in range(n // 2)],
            "is_master": [i % 2 == 0 for i in range(n // 2)],
            "band": "review",
        }
    )
    tasks = pd.concat([audited.worklist] * (60_000 // len(audited.worklist) + 1), ignore_index=True).head(60_000)
    tasks["priority"] = np.arange(1, len(tasks) + 1)
    tasks["task_id"] = [f"F-{i:016x}" for i in range(len(tasks))]
    tasks.loc[:4, "issue"] = "Opportunities (deals), 12,345 records (O1, O2, O3, …): amount " + "9" * 120
    tasks.loc[:4, "current_value"] = "a" * 400
    tasks.loc[:9, "money_at_stake"] = [10.0**k for k in range(6, 16)]
    tasks.loc[:9, "records"] = [123_456_789] * 10
    tasks.loc[:9, "owner"] = "Z" * 300
    return dataclasses.replace(
        audited,
        findings=findings,
        duplicates=dataclasses.replace(audited.duplicates, clusters=clusters),
        worklist=tasks,
    )


@pytest.fixture(scope="module")
def synthetic(audited: AuditResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("large-report") / "report.html"
    path.write_text(html.render(large(audited)), encoding="utf-8")
    return path


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("which", ["demo", "synthetic"])
def test_layout_holds(
    browser: Any, which: str, width: int, request: pytest.FixtureRequest, artifact: Callable[[str], Path]
) -> None:
    report: Path = request.getfixturevalue(which)
    page = browser.new_page(viewport={"width": width, "height": FIRST_SCREEN})
    page.goto(report.as_uri(), wait_until="load")
    page.screenshot(path=artifact(f"report-{which}-{width}.png"))  # the first screen, as a person sees it
    overview_bottom = page.locator("#overview").evaluate("e => e.getBoundingClientRect().bottom + window.scrollY")
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    found = page.evaluate(CHECK)
    page.close()

    assert found["problems"] == []
    scrolled = {s["where"].rsplit("#", 1)[-1] for s in found["scrolling"]}
    assert "overview" not in scrolled, found["scrolling"]
    if width >= 1400:
        assert not scrolled & WIDE_ENOUGH, found["scrolling"]
        assert overview_bottom <= FIRST_SCREEN


def test_a_figure_that_would_wrap_is_caught(browser: Any, tmp_path: Path) -> None:
    """The check itself: a number squeezed into a narrow cell, and text cut by a box, are reported."""
    page_file = tmp_path / "bad.html"
    page_file.write_text(
        "<!DOCTYPE html><html><head><style>td.num{width:2rem} .cut{width:5rem;overflow:hidden;white-space:nowrap}"
        "</style></head><body><table><tr><td class='num'>23,268 177,019</td></tr></table>"
        "<div class='cut'>a long line of text that does not fit</div></body></html>",
        encoding="utf-8",
    )
    page = browser.new_page(viewport={"width": 390, "height": 600})
    page.goto(page_file.as_uri())
    problems = page.evaluate(CHECK)["problems"]
    page.close()
    assert any(p.startswith("figure wraps") for p in problems)
    assert any(p.startswith("clipped: div.cut") for p in problems)
