"""report.html, written with the other outputs of an audit, in a real browser (Debian's Chromium
driven by playwright): it renders with no console or page error under its own
Content-Security-Policy, shows its charts, shows the names typed into the CRM as text instead of
running them, and links only to files written beside it. Saves a screenshot to build/test-artifacts/.

Skipped when there is no browser, unless CRM_AUDIT_BROWSER_REQUIRED is set (CI sets it, after
.ci/browser.sh installed Chromium): then a missing browser fails the test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.reports.outputs import write_audit_outputs
from auditor.result import AuditResult


def test_report_in_a_browser(browser: Any, audited: AuditResult, injected: Any, tmp_path: Path, artifact) -> None:
    write_audit_outputs(audited, tmp_path)
    report = tmp_path / "report.html"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    console: list[str] = []
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(report.as_uri(), wait_until="load")

    assert console == []  # a style the policy blocked would be reported here
    assert errors == []
    assert dialogs == []  # alert(1) never ran
    assert page.locator("script").count() == 0
    assert page.locator("img").count() == 0

    charts = page.locator("svg")
    assert charts.count() == 6
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 100 and box["height"] > 20

    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")  # unfold the sections
    shown = page.get_by_text(injected.script)  # a contact's first name, in a duplicate cluster
    assert shown.count() >= 1 and shown.first.is_visible()
    assert page.locator("#owners").get_by_role("cell", name=injected.img, exact=True).is_visible()
    assert page.locator("#overview").get_by_role("cell", name=injected.img, exact=True).is_visible()
    # the stylesheet applied (its hash matches the policy): the FAIL badge is red on white
    verdict = page.locator("#verdict")
    assert verdict.inner_text() == "FAIL"
    assert verdict.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(198, 40, 40)"

    # the "... and K more" links point at files written beside the report
    links = page.locator("a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    files = {link for link in links if not link.startswith("#")}
    assert {"worklist.csv", "worklist.xlsx", "duplicates/"} <= files
    for link in files:
        assert (tmp_path / link).exists(), link

    page.screenshot(path=artifact("report.png"), full_page=True)
    page.close()
